"""Times and the documents drafted from them: totals, filters, never billed twice."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

from tix.core.db import session_scope
from tix.core.errors import Invalid
from tix.core.services import documents, opening, projects, tickets, times, users
from tix.core.services.times import TimeFilter
from tix.core.timeutil import zone
from tix.core.views import ticket_detail


def _book(world, number: int, login: str, minutes: int, day: date, **extra) -> None:
    with session_scope(world.engine, write=True) as session:
        user = world.user(session, login)
        times.book_time(
            session,
            user,
            ticket=tickets.find_ticket(session, number),
            minutes=minutes,
            work_date=day,
            **extra,
        )


def test_booking_listing_and_totals(world, ticket: int) -> None:
    _book(world, ticket, "bob", 90, date(2026, 11, 2), note="Replaced seal")
    _book(world, ticket, "bob", 30, date(2026, 11, 3), billable=False)
    _book(world, ticket, "admin", 45, date(2026, 12, 1))
    with session_scope(world.engine) as session:
        admin = world.user(session, "admin")
        everything = times.list_times(session, admin)
        assert [(t.login, t.minutes) for t in everything] == [
            ("bob", 90),
            ("bob", 30),
            ("anna", 45),
        ]
        november = TimeFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        assert times.total_minutes(session, admin, november) == 120
        billable = TimeFilter(billable=True)
        assert times.total_minutes(session, admin, billable) == 135
        bob = users.get_user(session, "bob")
        assert times.total_minutes(session, admin, TimeFilter(user_id=bob.id)) == 120
        assert times.count_times(session, admin, TimeFilter(channel_id=world.sales)) == 0
        # carl cannot see the ticket, so he sees none of its times
        assert times.list_times(session, world.user(session, "carl")) == []
        detail = tickets.get_ticket(session, admin, ticket)
        assert len(times.ticket_times(session, detail)) == 3
    with pytest.raises(Invalid, match="swap"), session_scope(world.engine) as session:
        times.list_times(
            session,
            world.user(session, "admin"),
            TimeFilter(date_from=date(2026, 12, 1), date_to=date(2026, 11, 1)),
        )


def test_time_is_an_activity_and_bad_durations_change_nothing(world, ticket: int) -> None:
    _book(world, ticket, "bob", 15, date(2026, 11, 2), note="call")
    for minutes in (0, -30, 24 * 60 + 1):
        with pytest.raises(Invalid), session_scope(world.engine, write=True) as session:
            times.book_time(
                session,
                world.user(session, "bob"),
                ticket=tickets.find_ticket(session, ticket),
                minutes=minutes,
                work_date=date(2026, 11, 2),
            )
    with session_scope(world.engine) as session:
        admin = world.user(session, "admin")
        assert times.count_times(session, admin) == 1
        found = tickets.get_ticket(session, admin, ticket)
        detail = ticket_detail(session, admin, found, zone("UTC")).model_dump(mode="json")
    booked = [a for a in detail["activities"] if a["kind"] == "time"]
    assert len(booked) == 1
    assert booked[0]["details"]["minutes"] == 15 and booked[0]["body"] == "call"
    assert detail["times"][0]["minutes"] == 15


def test_project_hours_and_counts(world, ticket: int) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        projects.add_project(
            session, admin, name="Hall 3", from_ticket=tickets.find_ticket(session, ticket)
        )
    _book(world, ticket, "bob", 75, date(2026, 11, 2))
    with session_scope(world.engine) as session:
        info = next(p for p in projects.list_projects(session) if p.project.name == "Hall 3")
        assert (info.tickets, info.open_tickets, info.minutes) == (1, 1, 75)
        admin = world.user(session, "admin")
        found = tickets.get_ticket(session, admin, ticket)
        assert found.project_id == info.project.id


def _invoice(world, number: int, **extra) -> str:
    with session_scope(world.engine, write=True) as session:
        document = documents.create_document(
            session,
            world.user(session, "admin"),
            ticket=tickets.find_ticket(session, number),
            kind="invoice",
            from_times=True,
            issued=date(2026, 11, 30),
            default_rate=Decimal("90"),
            vat_rate=Decimal("19"),
            **extra,
        )
        return document.number


def test_times_are_billed_once_at_the_users_rate(world, ticket: int) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        users.update_user(
            session, world.user(session, "admin"), user=bob, hourly_rate=Decimal("100")
        )
    _book(world, ticket, "bob", 90, date(2026, 11, 2), note="Seal")
    _book(world, ticket, "admin", 20, date(2026, 11, 3))
    _book(world, ticket, "bob", 60, date(2026, 11, 4), billable=False)
    first = _invoice(world, ticket)
    assert first == "RE-2026-0001"
    with session_scope(world.engine) as session:
        document = documents.get_document(session, world.user(session, "admin"), first)
        lines = documents.document_lines(session, document)
        assert [(line.quantity, line.unit_price) for line in lines] == [
            (Decimal("1.500"), Decimal("100.00")),
            (Decimal("0.333"), Decimal("90.00")),
        ]
        net, vat, gross = documents.totals(session, document)
        assert (net, vat, gross) == (Decimal("179.97"), Decimal("34.19"), Decimal("214.16"))
        billed = {
            t.minutes: t.billed for t in times.list_times(session, world.user(session, "admin"))
        }
        assert billed == {90: "RE-2026-0001", 20: "RE-2026-0001", 60: None}
    with pytest.raises(Invalid, match="nothing to put on the document"):
        _invoice(world, ticket)
    _book(world, ticket, "admin", 30, date(2026, 11, 5))
    assert _invoice(world, ticket) == "RE-2026-0002"


def test_quotes_do_not_bill_and_lines_can_be_given(world, ticket: int) -> None:
    _book(world, ticket, "bob", 60, date(2026, 11, 2))
    with session_scope(world.engine, write=True) as session:
        quote = documents.create_document(
            session,
            world.user(session, "admin"),
            ticket=tickets.find_ticket(session, ticket),
            kind="quote",
            from_times=True,
            lines=[documents.parse_line("Seal kit;2;19,90;pc")],
            issued=date(2026, 11, 30),
            default_rate=Decimal("90"),
            vat_rate=Decimal("19"),
        )
        assert quote.number == "AN-2026-0001"
        net, _vat, _gross = documents.totals(session, quote)
        assert net == Decimal("129.80")
    assert _invoice(world, ticket) == "RE-2026-0001"  # the quote billed nothing


def test_bad_documents(world, ticket: int) -> None:
    for text in ("only a description", "Seal;two;3", "Seal;0;3", ";1;1"):
        with pytest.raises(Invalid):
            documents.parse_line(text)
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        internal = opening.open_internal_ticket(session, admin, owner=admin, subject="x")
        with pytest.raises(Invalid, match="no customer"):
            documents.create_document(
                session,
                admin,
                ticket=internal,
                kind="invoice",
                from_times=True,
                issued=date(2026, 11, 30),
                default_rate=Decimal(90),
                vat_rate=Decimal(19),
            )
        with pytest.raises(Invalid, match="quote, order or invoice"):
            documents.create_document(
                session,
                admin,
                ticket=tickets.find_ticket(session, ticket),
                kind="bill",
                from_times=True,
                issued=date(2026, 11, 30),
                default_rate=Decimal(90),
                vat_rate=Decimal(19),
            )


def test_concurrent_invoices_never_bill_a_time_twice(world, ticket: int) -> None:
    for day in range(1, 9):
        _book(world, ticket, "bob", 30, date(2026, 11, day))
    made: list[str] = []
    refused: list[str] = []

    def invoice() -> None:
        try:
            made.append(_invoice(world, ticket))
        except Invalid as error:
            refused.append(str(error))

    threads = [threading.Thread(target=invoice) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1 and len(refused) == 3
    with session_scope(world.engine) as session:
        billed = [t.billed for t in times.list_times(session, world.user(session, "admin"))]
    assert billed == [made[0]] * 8
