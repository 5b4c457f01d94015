"""Merging tickets and splitting them: everything moves, nothing leaks, mail follows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.core.mail.test_ingest import _ingest, mail
from tests.core.mail.test_sync import _sync, mailbox  # noqa: F401 (a fixture)
from tix.core import search
from tix.core.db import session_scope
from tix.core.errors import Conflict, Forbidden, Invalid, NotFound
from tix.core.models import (
    Activity,
    Alarm,
    ImportStatus,
    Ticket,
    TicketFile,
    TicketStatus,
    TimeEntry,
    Watcher,
)
from tix.core.services import contacts, files, links, messages, opening, tickets, times, watchers
from tix.core.services.merging import merge_tickets, split_ticket
from tix.core.services.storage import NewFile
from tix.core.timeutil import zone
from tix.core.views import ticket_detail

UTC_ZONE = zone("UTC")


def _request(session, world, subject: str, customer: str = "kunde@example.com") -> Ticket:
    return opening.open_request_ticket(
        session,
        world.user(session, "bob"),
        channel=world.channel(session, "support"),
        customer=contacts.find_contact(session, customer),
        subject=subject,
        body=f"{subject}: first message",
    )


def _seqs(session, ticket: Ticket) -> list[int]:
    return list(
        session.execute(
            select(Activity.seq).where(Activity.ticket_id == ticket.id).order_by(Activity.seq)
        ).scalars()
    )


def _count(session, model, ticket: Ticket) -> int:
    return session.execute(
        select(func.count()).select_from(model).where(model.ticket_id == ticket.id)
    ).scalar_one()


def test_a_merge_moves_activities_files_times_and_watchers_and_closes_the_source(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob, carl = world.user(session, "bob"), world.user(session, "carl")
        source = _request(session, world, "Pump leaks")
        target = _request(session, world, "Pump broken")
        messages.add_note(session, bob, ticket=source, body="ordered a gasket")
        files.add_files(session, bob, ticket=source, files=[NewFile("photo.jpg", b"jpeg")])
        times.book_time(session, bob, ticket=source, minutes=30, work_date=date(2026, 12, 1))
        watchers.add_watcher(session, bob, ticket=source, user=carl)
        messages.add_note(session, bob, ticket=target, body="on site tomorrow")
        source_bodies = [
            a.body
            for a in session.execute(
                select(Activity).where(Activity.ticket_id == source.id).order_by(Activity.seq)
            ).scalars()
        ]
        target_before = _seqs(session, target)
        source_number, target_number = source.number, target.number

    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        result = merge_tickets(
            session,
            bob,
            source=tickets.find_ticket(session, source_number),
            target=tickets.find_ticket(session, target_number),
        )
        assert (result.files, result.times, result.watchers) == (1, 1, 1)

    with session_scope(world.engine) as session:
        source = tickets.find_ticket(session, source_number)
        target = tickets.find_ticket(session, target_number)
        assert source.status == TicketStatus.CLOSED
        assert source.merged_into_id == target.id
        seqs = _seqs(session, target)
        assert seqs == list(range(1, len(seqs) + 1)) == list(range(1, target.activity_seq + 1))
        moved = list(
            session.execute(
                select(Activity)
                .where(Activity.ticket_id == target.id, Activity.seq > len(target_before))
                .order_by(Activity.seq)
            ).scalars()
        )
        # the source's activities, in their order, each marked; then the merge record
        assert [a.body for a in moved[: len(source_bodies)]] == source_bodies
        assert all(a.details["moved_from"] == source_number for a in moved[: len(source_bodies)])
        assert (moved[-1].field, moved[-1].new_value) == ("merged_from", str(source_number))
        assert _count(session, TicketFile, target) == 1
        assert _count(session, TimeEntry, target) == 1
        assert _count(session, TicketFile, source) == _count(session, TimeEntry, source) == 0
        assert world.carl in set(
            session.execute(select(Watcher.user_id).where(Watcher.ticket_id == target.id)).scalars()
        )
        kept = [
            (a.field, a.new_value)
            for a in session.execute(
                select(Activity).where(Activity.ticket_id == source.id).order_by(Activity.seq)
            ).scalars()
        ]
        assert kept == [("merged_into", str(target_number)), ("status", "closed")]
        found = search.matching_ticket_ids(session, "gasket")
        assert target.id in list(found) and source.id not in list(found)
        detail = ticket_detail(session, world.user(session, "bob"), source, UTC_ZONE)
        assert detail.merged_into == target_number
        assert ticket_detail(session, world.user(session, "bob"), target, UTC_ZONE).merged == [
            source_number
        ]


@pytest.mark.parametrize("case", ["itself", "merged", "into_merged", "internal", "customer"])
def test_a_merge_is_refused_where_it_would_leak_or_make_no_sense(world, case) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        anna = world.user(session, "admin")
        contacts.add_contact(session, anna, address="other@example.org", name="Otto Other")
        source = _request(session, world, "Pump")
        target = _request(session, world, "Valve")
        third = _request(session, world, "Motor")
        if case in ("merged", "into_merged"):
            merge_tickets(session, bob, source=source if case == "merged" else target, target=third)
        if case == "internal":
            source = opening.open_internal_ticket(session, bob, owner=bob, subject="Notes")
        if case == "customer":
            source = _request(session, world, "Other", customer="other@example.org")
        if case == "itself":
            target = source
        numbers = (source.number, target.number)
    expected = Conflict if case == "merged" else Invalid
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        source, target = (tickets.find_ticket(session, n) for n in numbers)
        before = (_seqs(session, source), _seqs(session, target), source.status)
        with pytest.raises(expected) as raised:
            merge_tickets(session, bob, source=source, target=target)
        assert "#" in raised.value.message
    with session_scope(world.engine) as session:
        source, target = (tickets.find_ticket(session, n) for n in numbers)
        assert (_seqs(session, source), _seqs(session, target), source.status) == before
    if case == "customer":
        with session_scope(world.engine, write=True) as session:
            source, target = (tickets.find_ticket(session, n) for n in numbers)
            merge_tickets(
                session,
                world.user(session, "bob"),
                source=source,
                target=target,
                other_customer=True,
            )
            assert source.merged_into_id == target.id


def test_a_merge_needs_both_tickets_visible_to_the_actor(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        source = _request(session, world, "Pump")
        sales = opening.open_request_ticket(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "sales"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            owner=world.user(session, "carl"),
            subject="Offer",
            body="Price?",
        )
        with pytest.raises(Forbidden):
            merge_tickets(session, bob, source=source, target=sales)
        with pytest.raises(Forbidden):
            merge_tickets(session, bob, source=sales, target=source)


def test_mail_to_a_merged_ticket_lands_on_its_target(world) -> None:
    _status, first, _id = _ingest(world, mail(subject="Pump broken", message_id="p1@kunde.example"))
    _status, second, _id = _ingest(world, mail(subject="Pump again", message_id="p2@kunde.example"))
    with session_scope(world.engine, write=True) as session:
        merge_tickets(
            session,
            world.user(session, "bob"),
            source=tickets.find_ticket(session, first),
            target=tickets.find_ticket(session, second),
        )
    answer = mail(subject="Re: Pump broken", in_reply_to="p1@kunde.example")
    assert _ingest(world, answer)[:2] == (ImportStatus.IMPORTED, second)
    tagged = mail(subject=f"AW: [Ticket#{first}] Pump broken")
    assert _ingest(world, tagged)[:2] == (ImportStatus.IMPORTED, second)


def test_a_split_makes_a_child_ticket_of_the_activity_and_later_ones(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        ticket = _request(session, world, "Pump")
        messages.add_note(session, bob, ticket=ticket, body="first note")
        second = messages.add_note(
            session,
            bob,
            ticket=ticket,
            body="about the valve",
            attachments=[NewFile("valve.pdf", b"%PDF-1.4")],
        )
        messages.add_note(session, bob, ticket=ticket, body="valve part two")
        number, seq = ticket.number, second.seq
    with session_scope(world.engine, write=True) as session:
        result = split_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            seq=seq,
            subject="Valve",
        )
        new_number = result.new_ticket.number
        assert (result.activities, result.files) == (2, 1)
    with session_scope(world.engine) as session:
        old = tickets.find_ticket(session, number)
        new = tickets.find_ticket(session, new_number)
        assert (new.kind, new.channel_id, new.customer_id) == (
            old.kind,
            old.channel_id,
            old.customer_id,
        )
        assert new.subject == "Valve"
        bodies = list(
            session.execute(
                select(Activity.body).where(Activity.ticket_id == new.id).order_by(Activity.seq)
            ).scalars()
        )
        assert bodies[:2] == ["about the valve", "valve part two"]
        assert _count(session, TicketFile, new) == 1 and _count(session, TicketFile, old) == 0
        bob = world.user(session, "bob")
        assert [(x.relation, x.number) for x in links.ticket_links(session, bob, old)] == [
            ("parent", new_number)
        ]
        assert [(x.relation, x.number) for x in links.ticket_links(session, bob, new)] == [
            ("child", number)
        ]
        assert "first note" in [
            a.body
            for a in session.execute(select(Activity).where(Activity.ticket_id == old.id)).scalars()
        ]


def test_split_only_one_activity_and_the_first_message_stays(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        ticket = _request(session, world, "Pump")
        note = messages.add_note(session, bob, ticket=ticket, body="split me")
        messages.add_note(session, bob, ticket=ticket, body="stay here")
        first_seq = session.get(Activity, ticket.first_activity_id).seq
        number, seq = ticket.number, note.seq
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, number)
        bob = world.user(session, "bob")
        with pytest.raises(Invalid):
            split_ticket(session, bob, ticket=ticket, seq=first_seq)
        with pytest.raises(NotFound):
            split_ticket(session, bob, ticket=ticket, seq=999)
        result = split_ticket(session, bob, ticket=ticket, seq=seq, only=True)
        assert result.activities == 1
        bodies = set(
            session.execute(select(Activity.body).where(Activity.ticket_id == ticket.id)).scalars()
        )
        assert "stay here" in bodies and "split me" not in bodies


def test_a_reply_to_a_split_off_mail_threads_to_the_new_ticket(world) -> None:
    _status, number, _id = _ingest(world, mail(subject="Pump", message_id="s1@kunde.example"))
    _ingest(world, mail(subject="Re: Pump", in_reply_to="s1@kunde.example", message_id="s2@k.ex"))
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, number)
        seq = session.execute(
            select(Activity.seq).where(Activity.message_id == "s2@k.ex")
        ).scalar_one()
        new_number = split_ticket(
            session, world.user(session, "bob"), ticket=ticket, seq=seq, only=True
        ).new_ticket.number
    answer = mail(subject="Re: Pump", in_reply_to="s2@k.ex")
    assert _ingest(world, answer)[:2] == (ImportStatus.IMPORTED, new_number)


def test_alarms_move_with_a_merge(world) -> None:
    from datetime import UTC, datetime

    from tix.core.services import alarms

    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        source, target = _request(session, world, "A"), _request(session, world, "B")
        alarms.set_alarm(
            session, bob, ticket=source, due_at=datetime(2030, 1, 1, tzinfo=UTC), note="call"
        )
        merge_tickets(session, bob, source=source, target=target)
        assert _count(session, Alarm, target) == 1


def test_merged_mail_tickets_keep_everything_and_follow_ups_through_dovecot_land_on_target(
    world,
    dovecot,
    mailbox,  # noqa: F811 (the fixture imported above)
) -> None:
    """Real mail: two tickets from Dovecot, merged; answers to the source's thread, by
    In-Reply-To and by the subject's tag, arrive on the target."""
    photo = ("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    dovecot.deliver(
        mailbox, mail(subject="Pump broken", message_id="d1@kunde.example", attachments=[photo])
    )
    dovecot.deliver(mailbox, mail(subject="Pump invoice", message_id="d2@kunde.example"))
    assert _sync(world).new_tickets == 2
    with session_scope(world.engine, write=True) as session:
        by_message = dict(
            session.execute(
                select(Activity.message_id, Activity.ticket_id).where(
                    Activity.message_id.in_(["d1@kunde.example", "d2@kunde.example"])
                )
            ).all()
        )
        source = session.get(Ticket, by_message["d1@kunde.example"])
        target = session.get(Ticket, by_message["d2@kunde.example"])
        bob, carl = world.user(session, "bob"), world.user(session, "carl")
        times.book_time(session, bob, ticket=source, minutes=45, work_date=date(2026, 12, 2))
        watchers.add_watcher(session, bob, ticket=source, user=carl)
        source_activities = set(
            session.execute(select(Activity.id).where(Activity.ticket_id == source.id)).scalars()
        )
        source_number, target_number = source.number, target.number
        merge_tickets(session, bob, source=source, target=target)

    dovecot.deliver(
        mailbox,
        mail(subject="Re: Pump broken", in_reply_to="d1@kunde.example", body="Still leaking."),
    )
    dovecot.deliver(mailbox, mail(subject=f"AW: [Ticket#{source_number}] Pump", body="Photo?"))
    report = _sync(world)
    assert (report.imported, report.new_tickets) == (2, 0)
    with session_scope(world.engine) as session:
        source = tickets.find_ticket(session, source_number)
        target = tickets.find_ticket(session, target_number)
        on_target = set(
            session.execute(select(Activity.id).where(Activity.ticket_id == target.id)).scalars()
        )
        assert source_activities <= on_target
        bodies = set(
            session.execute(select(Activity.body).where(Activity.ticket_id == target.id)).scalars()
        )
        assert {"Still leaking.", "Photo?"} <= {body.strip() for body in bodies}
        assert [f.name for f in files.ticket_files(session, target)] == ["photo.png"]
        assert _count(session, TimeEntry, target) == 1
        assert world.carl in set(
            session.execute(select(Watcher.user_id).where(Watcher.ticket_id == target.id)).scalars()
        )
        assert source.status == TicketStatus.CLOSED
        assert _seqs(session, target) == list(range(1, target.activity_seq + 1))
