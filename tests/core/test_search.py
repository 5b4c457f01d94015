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
