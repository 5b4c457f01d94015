"""The demo: its bulk of tickets is written set-based and comes out exactly as the
ticket services make it (numbers, counters, versions, times, first messages, watchers,
notifications, mail, search, documents and who sees what), on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from tests.conftest import BACKENDS, Cli, _postgres_copy, _postgres_drop
from tix.core import clock, search
from tix.core.db import make_engine, session_scope
from tix.core.models import (
    Activity,
    Alarm,
    Category,
    Counter,
    Document,
    DocumentLine,
    Notification,
    OutboxMessage,
    Ticket,
    TicketCategory,
    TicketFile,
    TimeEntry,
    User,
    Watcher,
)
from tix.demo import build_demo

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TICKETS = 90
"""Enough stories for every kind of ticket, change, file, alarm and invoice."""
ALL = 10**9


def _build(url: str, *, told_by_services: int, tickets: int = TICKETS) -> None:
    engine = make_engine(url)
    clock.fix_clock(lambda: NOW)
    try:
        with session_scope(engine, write=True) as session:
            build_demo(
                session,
                operator_login=None,
                seed=11,
                ticket_count=tickets,
                told_by_services=told_by_services,
            )
    finally:
        clock.fix_clock(None)
        engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The same demo (seed and clock) twice: told wholly through the services, and
    wholly through the bulk loader. Yields their URLs."""
    urls: list[str] = []
    dropped: list[str] = []
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        folder = tmp_path_factory.mktemp("demo")
        for name in ("services.db", "bulk.db"):
            (folder / name).write_bytes(Path(template).read_bytes())
            urls.append(f"sqlite:///{folder / name}")
    else:
        server = request.getfixturevalue("postgres_server")
        template = request.getfixturevalue("postgres_template")
        for _copy in range(2):
            url, name = _postgres_copy(server, template)
            urls.append(url)
            dropped.append(name)
    _build(urls[0], told_by_services=ALL)
    _build(urls[1], told_by_services=0)
    yield urls[0], urls[1]
    for name in dropped:
        _postgres_drop(request.getfixturevalue("postgres_server"), name)


def _snapshot(url: str) -> dict[str, Any]:
    """Every row the demo writes, with surrogate ids replaced by what they stand for
    (ticket numbers, activity positions), and Message-IDs (random) by the activity
    they name."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return _rows(session)
    finally:
        engine.dispose()


def _rows(session: Session) -> dict[str, Any]:
    numbers = dict(session.execute(select(Ticket.id, Ticket.number)).all())
    seqs = {
        row.id: (numbers[row.ticket_id], row.seq)
        for row in session.execute(select(Activity.id, Activity.ticket_id, Activity.seq))
    }
    message_seq = {
        row.message_id: (numbers[row.ticket_id], row.seq)
        for row in session.execute(select(Activity.message_id, Activity.ticket_id, Activity.seq))
        if row.message_id
    }
    times = {
        entry.id: (numbers[entry.ticket_id], entry.work_date, entry.minutes, entry.note)
        for entry in session.execute(select(TimeEntry)).scalars()
    }
    alarms = {
        a.id: (numbers[a.ticket_id], a.note) for a in session.execute(select(Alarm)).scalars()
    }
    files = {
        f.id: (numbers[f.ticket_id], f.name) for f in session.execute(select(TicketFile)).scalars()
    }
    documents = {d.id: d.number for d in session.execute(select(Document)).scalars()}

    def details(activity: Activity) -> Any:
        found = dict(activity.details or {})
        if "time_entry" in found:
            found["time_entry"] = times[found["time_entry"]]
        if "alarm" in found:
            found["alarm"] = alarms[found["alarm"]]
        if "files" in found:
            found["files"] = [{**item, "id": files[item["id"]]} for item in found["files"]]
        return found

    snapshot: dict[str, Any] = {}
    snapshot["tickets"] = sorted(
        (
            t.number, t.kind, t.status, t.subject, t.priority, t.color, t.origin, t.channel_id,
            t.owner_id, t.creator_user_id, t.creator_contact_id, t.customer_id, t.account_id,
            t.project_id, t.version, t.activity_seq, t.created_at, t.updated_at,
            seqs.get(t.first_activity_id or 0),
        )
        for t in session.execute(select(Ticket)).scalars()
    )  # fmt: skip
    snapshot["activities"] = sorted(
        (
            seqs[a.id], a.kind, a.author_user_id, a.author_contact_id, a.created_at, a.subject,
            a.body, a.field, a.old_value, a.new_value, a.direction,
            message_seq.get(a.message_id or ""), message_seq.get(a.in_reply_to or ""),
            a.mail_from, a.mail_to, a.mail_cc, a.mail_bcc, repr(details(a)),
        )
        for a in session.execute(select(Activity)).scalars()
    )  # fmt: skip
    snapshot["watchers"] = sorted(
        (numbers[w.ticket_id], w.user_id, w.group_id, w.created_at)
        for w in session.execute(select(Watcher)).scalars()
    )
    snapshot["categories"] = [
        (c.id, c.name) for c in session.execute(select(Category).order_by(Category.id)).scalars()
    ]
    snapshot["ticket categories"] = sorted(
        (numbers[tc.ticket_id], tc.category_id)
        for tc in session.execute(select(TicketCategory)).scalars()
    )
    snapshot["notifications"] = sorted(
        (
            numbers.get(n.ticket_id or 0), n.user_id, n.kind, seqs.get(n.activity_id or 0),
            n.text, n.created_at, n.read_at,
        )
        for n in session.execute(select(Notification)).scalars()
    )  # fmt: skip
    snapshot["outbox"] = sorted(
        (
            numbers.get(o.ticket_id or 0), seqs.get(o.activity_id or 0), o.purpose, o.account_id,
            o.mail_from, o.mail_to, o.mail_cc, o.mail_bcc, o.subject, o.body,
            message_seq.get(o.message_id), message_seq.get(o.in_reply_to or ""),
            [message_seq.get(reference) for reference in o.references], o.status, o.attempts,
            o.created_at, o.next_attempt_at, o.sent_at,
        )
        for o in session.execute(select(OutboxMessage)).scalars()
    )  # fmt: skip
    snapshot["times"] = sorted(
        (*times[e.id], e.user_id, e.billable, documents.get(e.document_id or 0), e.created_at)
        for e in session.execute(select(TimeEntry)).scalars()
    )
    snapshot["alarms"] = sorted(
        (*alarms[a.id], a.created_by_id, a.recipient_id, a.via, a.due_at, a.fired_at, a.created_at)
        for a in session.execute(select(Alarm)).scalars()
    )
    snapshot["files"] = sorted(
        (
            *files[f.id],
            f.sha256,
            f.content_type,
            f.size,
            f.activity_id,
            f.uploaded_by_id,
            f.created_at,
        )
        for f in session.execute(select(TicketFile)).scalars()
    )
    snapshot["documents"] = sorted(
        (
            d.number, numbers[d.ticket_id], d.kind, d.customer_id, d.created_by_id, d.issued,
            d.currency, d.vat_rate, d.created_at,
        )
        for d in session.execute(select(Document)).scalars()
    )  # fmt: skip
    snapshot["document lines"] = sorted(
        (
            documents[line.document_id], line.position, line.description, line.quantity,
            line.unit, line.unit_price, times.get(line.time_entry_id or 0),
        )
        for line in session.execute(select(DocumentLine)).scalars()
    )  # fmt: skip
    snapshot["counters"] = sorted(
        (c.name, c.value) for c in session.execute(select(Counter)).scalars()
    )
    return snapshot


def test_the_bulk_writes_exactly_what_the_services_write(built: tuple[str, str]) -> None:
    services, bulk = (_snapshot(url) for url in built)
    assert services["tickets"] and services["times"] and services["alarms"]
    assert services["files"] and services["document lines"] and services["notifications"]
    for table in services:
        assert bulk[table] == services[table], table


def test_ticket_numbers_documents_and_billed_times_are_unique_and_gapless(
    built: tuple[str, str],
) -> None:
    snapshot = _snapshot(built[1])
    numbers = [row[0] for row in snapshot["tickets"]]
    assert numbers == list(range(1001, 1001 + TICKETS))
    assert ("ticket", 1000 + TICKETS) in snapshot["counters"]
    invoices = sorted(row[0] for row in snapshot["documents"])
    assert invoices == [f"RE-2026-{n:04d}" for n in range(1, len(invoices) + 1)]
    billed = [line[6] for line in snapshot["document lines"]]
    assert len(billed) == len(set(billed))


def test_watchers_are_creator_owner_and_every_later_owner(built: tuple[str, str]) -> None:
    engine = make_engine(built[1])
    try:
        with Session(engine) as session:
            watching: dict[int, set[int]] = {}
            for watcher in session.execute(select(Watcher)).scalars():
                assert watcher.user_id is not None
                watching.setdefault(watcher.ticket_id, set()).add(watcher.user_id)
            logins = dict(session.execute(select(User.login, User.id)).all())
            for ticket in session.execute(select(Ticket)).scalars():
                owners = {
                    logins[login]
                    for login in session.execute(
                        select(Activity.old_value).where(
                            Activity.ticket_id == ticket.id, Activity.field == "owner"
                        )
                    ).scalars()
                    if login
                }
                people = {ticket.owner_id, ticket.creator_user_id} - {None}
                assert watching[ticket.id] == people | owners, ticket.number
    finally:
        engine.dispose()


def test_search_finds_the_words_of_bulk_written_activities(built: tuple[str, str]) -> None:
    found = []
    for url in built:
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                # A word of a reply, of a customer's follow-up, of a note, of a subject.
                found.append(
                    [
                        list(search.matching_ticket_ids(session, words))
                        for words in (
                            "Techniker Donnerstag",
                            "Seriennummer",
                            "Kulanz",
                            "Hydraulik",
                            "Erledigt",
                            "firmware",
                        )
                    ]
                )
                last = session.execute(select(func.max(Ticket.id))).scalar_one()
                body = session.execute(
                    select(Activity.body)
                    .where(Activity.ticket_id == last, Activity.body != "")
                    .order_by(Activity.seq.desc())
                    .limit(1)
                ).scalar_one()
                word = max(body.split(), key=len).strip(".,:;!?()")
                assert last in list(search.matching_ticket_ids(session, word)), word
        finally:
            engine.dispose()
    assert all(found[1]), found[1]
    assert found[0] == found[1]


@pytest.fixture
def demo_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    made = Cli("sqlite://", capsys, monkeypatch)
    clock.fix_clock(lambda: NOW)
    yield made
    clock.fix_clock(None)


def test_the_cli_shows_the_same_tickets_to_every_agent(
    built: tuple[str, str], demo_cli: Cli
) -> None:
    for agent in ("anna", "ben", "clara", "david", "eva", "felix"):
        seen = []
        for url in built:
            listed = demo_cli("--db", url, "ticket", "list", "--mine", "--limit", "500", user=agent)
            assert listed.code == 0, listed.stderr
            everything = demo_cli("--db", url, "ticket", "list", "--limit", "500", user=agent)
            shown = demo_cli("--db", url, "ticket", "show", "1042", user=agent)
            notes = demo_cli("--db", url, "notify", "list", user=agent)
            seen.append((listed.stdout, everything.stdout, shown.code, shown.stdout, notes.stdout))
        assert seen[1] == seen[0], agent
        assert seen[1][0].strip()  # every agent owns tickets


def test_the_bulk_takes_a_few_statements_per_write_not_per_ticket(
    tmp_path: Path, sqlite_template: Path
) -> None:
    counts = []
    for tickets in (100, 600):
        path = tmp_path / f"{tickets}.db"
        path.write_bytes(sqlite_template.read_bytes())
        engine = make_engine(f"sqlite:///{path}")
        statements: list[str] = []

        def count(*args: Any, seen: list[str] = statements) -> None:
            seen.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        clock.fix_clock(lambda: NOW)
        try:
            with session_scope(engine, write=True) as session:
                build_demo(session, operator_login=None, ticket_count=tickets)
        finally:
            clock.fix_clock(None)
            engine.dispose()
        counts.append(len(statements))
    # Told one by one, 500 more tickets were some 20,000 more statements.
    assert counts[1] - counts[0] < 100, counts


def test_the_demo_mails_were_sent_when_they_were_written(built: tuple[str, str]) -> None:
    for url in built:
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                sent = [
                    (o.created_at, o.sent_at)
                    for o in session.execute(select(OutboxMessage)).scalars()
                ]
        finally:
            engine.dispose()
        assert sent and all(sent_at == created for created, sent_at in sent), url
        assert min(created for created, _sent in sent) < NOW - timedelta(days=30), url
