"""Full-text search, the same on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import pytest

from tix.core.db import session_scope
from tix.core.errors import Invalid
from tix.core.models import Ticket
from tix.core.services import changes, contacts, messages, opening, tickets
from tix.core.views import TicketFilter, cursor_of, list_tickets


@pytest.fixture
def corpus(world) -> dict[str, int]:
    made = {}
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        customer = contacts.find_contact(session, "kunde@example.com")
        support = world.channel(session, "support")

        def request(key: str, subject: str, body: str) -> Ticket:
            ticket = opening.open_request_ticket(
                session, admin, channel=support, customer=customer, subject=subject, body=body
            )
            made[key] = ticket.number
            return ticket

        request("pump", "Hydraulikpumpe verliert Öl", "Die Pumpe tropft seit Montag.")
        request("invoice", "Invoice question", "Invoice 4711 shows maintenance twice.")
        later = request("later", "Machine noise", "Loud noise on start-up.")
        messages.add_note(session, admin, ticket=later, body="Bearing probably worn: Kugellager")
        request("split", "Printer", "The paper tray")
        split = tickets.find_ticket(session, made["split"])
        messages.add_note(session, admin, ticket=split, body="jams daily")
    return made


def _search(world, text: str, login: str = "admin", **filters) -> list[int]:
    with session_scope(world.engine) as session:
        user = world.user(session, login)
        rows = list_tickets(session, user, TicketFilter(search=text, **filters))
        return [row.number for row in rows]


def test_finds_words_in_subjects_and_bodies(world, corpus) -> None:
    assert _search(world, "hydraulikpumpe") == [corpus["pump"]]
    assert _search(world, "tropft") == [corpus["pump"]]
    assert _search(world, "4711") == [corpus["invoice"]]
    assert _search(world, "kugellager") == [corpus["later"]]  # in a note added later
    assert _search(world, "nothing-like-this") == []


def test_german_words_with_umlauts(world, corpus) -> None:
    assert _search(world, "Öl") == [corpus["pump"]]
    assert _search(world, "öl") == [corpus["pump"]]


def test_prefixes_and_several_words(world, corpus) -> None:
    assert _search(world, "hydraulik*") == [corpus["pump"]]
    assert _search(world, "invoice twice") == [corpus["invoice"]]
    # words may come from different activities of one ticket
    assert _search(world, "paper jams") == [corpus["split"]]
    assert _search(world, "paper noise") == []


def test_results_are_newest_first_and_page_by_cursor(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        made = [
            opening.open_internal_ticket(
                session, admin, owner=admin, subject=f"Common {i}", body="shared word"
            ).number
            for i in range(5)
        ]
    with session_scope(world.engine) as session:
        admin = world.user(session, "admin")
        first = list_tickets(session, admin, TicketFilter(search="shared"), limit=2)
        rest = list_tickets(
            session,
            admin,
            TicketFilter(search="shared"),
            limit=10,
            after=cursor_of(first[-1], searching=True),
        )
    assert [row.number for row in first + rest] == sorted(made, reverse=True)


def test_search_respects_access(world, corpus) -> None:
    assert _search(world, "hydraulikpumpe", login="carl") == []
    assert _search(world, "hydraulikpumpe", login="bob") == [corpus["pump"]]


def test_search_combines_with_filters(world, corpus) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        changes.change_ticket(
            session, admin, ticket=tickets.find_ticket(session, corpus["pump"]), status="closed"
        )
    assert _search(world, "pumpe") == []  # closed tickets are hidden by default
    assert _search(world, "pumpe", all_statuses=True) == [corpus["pump"]]


def test_a_changed_subject_is_found_by_its_new_words_only(world, corpus) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        changes.change_ticket(
            session,
            admin,
            ticket=tickets.find_ticket(session, corpus["invoice"]),
            subject="Rechnungsfrage",
        )
    assert _search(world, "rechnungsfrage") == [corpus["invoice"]]
    assert _search(world, "question") == []


def test_a_search_without_words_is_refused(world) -> None:
    with pytest.raises(Invalid, match="no words"):
        _search(world, "*** ---")


def _many_tickets(world, count: int, subject_of) -> list[int]:
    """``count`` tickets written in bulk (as an import would), each with its subject
    indexed; returns their ids, oldest first."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from tix.core import search

    now = datetime.now(UTC)
    with session_scope(world.engine, write=True) as session:
        first = 1 + session.execute(text("SELECT coalesce(max(id), 0) FROM tickets")).scalar_one()
        ids = list(range(first, first + count))
        session.execute(
            text(
                "INSERT INTO tickets (id, number, kind, status, subject, priority, origin, "
                "channel_id, owner_id, customer_id, version, activity_seq, created_at, "
                "updated_at) VALUES (:id, :id + 100000, 'request', 'open', :subject, 5, "
                "'agent', :channel, :owner, :customer, 1, 0, :now, :now)"
            ),
            [
                {
                    "id": ticket_id,
                    "subject": subject_of(index),
                    "channel": world.support,
                    "owner": world.admin,
                    "customer": world.customer,
                    "now": now,
                }
                for index, ticket_id in enumerate(ids)
            ],
        )
        # Each with a mail's worth of text, so that the documents fill pages as real
        # ones do (on a few small pages any plan reads everything).
        search.index_many(
            session,
            subjects=[(ticket_id, subject_of(index)) for index, ticket_id in enumerate(ids)],
            bodies=[
                (ticket_id, 1, " ".join(f"w{(index * 7 + n) % 5000}" for n in range(150)))
                for index, ticket_id in enumerate(ids)
            ],
        )
    with world.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return ids


def _walks_documents_testing_each(connection, statement: str, params) -> bool:
    """Whether PostgreSQL's plan for a search statement reads ticket_search in key order
    and tests every document it passes (what reads a million for a rare word)."""
    import json

    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()
    nodes = [json.loads(plan) if isinstance(plan, str) else plan][0][0]["Plan"]
    stack = [nodes]
    while stack:
        node = stack.pop()
        stack.extend(node.get("Plans", []))
        if (
            node.get("Relation Name") == "ticket_search"
            and node["Node Type"] in ("Index Scan", "Index Only Scan")
            and "@@" in node.get("Filter", "")
        ):
            return True
    return False


def test_a_rare_word_is_found_without_reading_every_document(world, backend) -> None:
    """The one old ticket with a word is found through the index: no statement walks the
    documents newest first testing each (what the planner picks for a word it guesses
    many tickets have, and then reads every document of a million)."""
    from sqlalchemy import event

    from tix.core import search

    ids = _many_tickets(world, 5000, lambda i: "Zyxomatic jam" if i == 3 else "Printer jam")
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, params, context, executemany) -> None:
        if "ticket_search" in statement:
            sent.append((statement, params))

    event.listen(world.engine, "before_cursor_execute", record)
    try:
        with session_scope(world.engine) as session:
            for _ in range(8):  # psycopg prepares a statement on its 5th run
                found = list(search.matching_ticket_ids(session, "zyxomatic", batch=5))
                assert found == [ids[3]]
    finally:
        event.remove(world.engine, "before_cursor_execute", record)
    if backend == "postgresql":
        with world.engine.connect() as connection:
            walking = [s for s, p in sent if _walks_documents_testing_each(connection, s, p)]
        assert walking == []


def test_matches_come_newest_first_however_many_tickets_have_the_word(world) -> None:
    """Every match in order, for a word in every ticket, in some and in few, and from
    a cursor on: whichever way the search walks the documents."""
    from tix.core import search

    ids = _many_tickets(
        world,
        5000,
        lambda i: " ".join(
            ["jam"] + (["feeder"] if i % 3 == 0 else []) + (["roller"] if i % 150 == 0 else [])
        ),
    )
    newest_first = list(reversed(ids))
    with session_scope(world.engine) as session:

        def found(word: str, below: int | None = None) -> list[int]:
            return list(search.matching_ticket_ids(session, word, below=below, batch=7))

        assert found("jam") == newest_first
        assert found("feeder") == [i for i in newest_first if (i - ids[0]) % 3 == 0]
        assert found("roller") == [i for i in newest_first if (i - ids[0]) % 150 == 0]
        assert found("roller", below=ids[3000]) == [
            i for i in newest_first if (i - ids[0]) % 150 == 0 and i < ids[3000]
        ]
