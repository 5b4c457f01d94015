"""SLA clocks: business hours, holidays, waiting periods, DST; warnings exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tix.core import clock
from tix.core.business_time import parse_target
from tix.core.db import session_scope
from tix.core.errors import Conflict, Forbidden, Invalid
from tix.core.models import Notification, Ticket
from tix.core.services import changes, contacts, messages, opening, sla, tickets

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def at(when: datetime) -> Any:
    return clock.use_clock(lambda: when)


def make_policy(
    world,
    *,
    first_response: str | None = "4h",
    solution: str | None = "2d",
    warn_before: int = 60,
    warn_watchers: bool = False,
    holidays: str | None = "DE-BY",
) -> None:
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        calendar = sla.add_calendar(
            session,
            anna,
            name="Office",
            timezone="Europe/Berlin",
            hours=["mon-fri 08:00-17:00"],
            holidays=holidays,
        )
        sla.add_policy(
            session,
            anna,
            name="Standard",
            calendar=calendar,
            first_response_minutes=(parse_target(first_response) if first_response else None),
            solution_minutes=parse_target(solution) if solution else None,
            warn_before_minutes=warn_before,
            warn_watchers=warn_watchers,
        )


def open_request(world, when: datetime, *, priority: int = 5) -> int:
    with at(when), session_scope(world.engine, write=True) as session:
        made = opening.open_request_ticket(
            session,
            world.user(session, "bob"),
            channel=world.channel(session, "support"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            subject="Pump",
            body="Leaks",
            priority=priority,
        )
        return made.number


def act(world, when: datetime, number: int, do: Callable[[Any, Any, Ticket], object]) -> None:
    with at(when), session_scope(world.engine, write=True) as session:
        do(session, world.user(session, "bob"), tickets.find_ticket(session, number))


def stored(world, number: int) -> Ticket:
    with session_scope(world.engine) as session:
        ticket = tickets.find_ticket(session, number)
        assert ticket is not None
        session.expunge(ticket)
        return ticket


def clocks(world, number: int, now: datetime) -> dict[str, tuple[str, datetime | None]]:
    with session_scope(world.engine) as session:
        ticket = tickets.find_ticket(session, number)
        found = sla.ticket_clocks(session, ticket)
        assert found is not None
        return {c.kind: (c.state(now), c.due_at) for c in found.clocks}


def test_clocks_skip_the_weekend_and_a_bavarian_holiday(world) -> None:
    make_policy(world)
    # Thursday 31 October 2024, 15:00; Friday is All Saints' Day in Bavaria.
    number = open_request(world, berlin(2024, 10, 31, 15, 0))
    ticket = stored(world, number)
    assert ticket.sla_due_kind == "first_response"
    assert ticket.sla_due_at == berlin(2024, 11, 4, 10, 0)  # Monday, 2 h + 2 h
    state = clocks(world, number, berlin(2024, 10, 31, 15, 0))
    assert state["solution"] == ("running", berlin(2024, 11, 5, 13, 0))  # 16 business hours


def test_a_waiting_period_pauses_the_clocks(world) -> None:
    make_policy(world)
    number = open_request(world, berlin(2024, 10, 31, 15, 0))
    act(
        world,
        berlin(2024, 11, 4, 9, 0),
        number,
        lambda s, bob, t: messages.reply_to_ticket(s, bob, ticket=t, body="We are on it"),
    )
    ticket = stored(world, number)
    assert (ticket.sla_due_kind, ticket.sla_due_at) == ("solution", berlin(2024, 11, 5, 13, 0))
    # Waiting on the customer from Monday 09:00 (3 business hours used, 13 left) ...
    act(
        world,
        berlin(2024, 11, 4, 9, 0),
        number,
        lambda s, bob, t: changes.change_ticket(s, bob, ticket=t, status="waiting"),
    )
    ticket = stored(world, number)
    assert ticket.sla_due_at is None
    assert ticket.sla_paused_left == 13 * 60
    assert clocks(world, number, berlin(2024, 11, 4, 9, 0))["first_response"][0] == "met"
    # ... until the customer answers on Wednesday 09:00: 8 h that day, 5 h on Thursday.
    act(
        world,
        berlin(2024, 11, 6, 9, 0),
        number,
        lambda s, bob, t: messages.add_customer_message(
            s, contacts.find_contact(s, "kunde@example.com"), ticket=t, body="Here are the photos"
        ),
    )
    ticket = stored(world, number)
    assert ticket.status == "open"
    assert (ticket.sla_due_kind, ticket.sla_due_at) == ("solution", berlin(2024, 11, 7, 13, 0))
    assert ticket.sla_paused_left is None
    # Solved in time: nothing is due any more, the clock says met.
    act(
        world,
        berlin(2024, 11, 7, 12, 0),
        number,
        lambda s, bob, t: messages.add_solution(s, bob, ticket=t, body="New seal"),
    )
    assert stored(world, number).sla_due_at is None
    assert clocks(world, number, berlin(2024, 11, 7, 12, 0))["solution"] == (
        "met",
        berlin(2024, 11, 7, 13, 0),
    )


def test_clocks_across_the_dst_change(world) -> None:
    make_policy(world, holidays=None)
    # Friday 23 October 2026 16:00 CEST; the clocks go back on Sunday 25 October.
    number = open_request(world, berlin(2026, 10, 23, 16, 0))
    assert stored(world, number).sla_due_at == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    # Friday 27 March 2026 16:00 CET; the clocks go forward on Sunday 29 March.
    number = open_request(world, berlin(2026, 3, 27, 16, 0))
    assert stored(world, number).sla_due_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_a_late_reply_is_a_breach_and_the_next_target_takes_over(world) -> None:
    make_policy(world)
    number = open_request(world, berlin(2024, 11, 4, 8, 0))
    assert clocks(world, number, berlin(2024, 11, 4, 12, 1))["first_response"][0] == "breached"
    act(
        world,
        berlin(2024, 11, 4, 13, 0),
        number,
        lambda s, bob, t: messages.reply_to_ticket(s, bob, ticket=t, body="Sorry for the wait"),
    )
    state = clocks(world, number, berlin(2024, 11, 4, 13, 0))
    assert state["first_response"] == ("breached", berlin(2024, 11, 4, 12, 0))
    assert stored(world, number).sla_due_kind == "solution"


def test_priority_and_channel_choose_the_policy(world) -> None:
    make_policy(world)
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        sla.add_policy(
            session,
            anna,
            name="Urgent support",
            calendar=sla.get_calendar(session, "Office"),
            channel=world.channel(session, "support"),
            priorities=sla.parse_priorities("8-9"),
            first_response_minutes=30,
        )
    number = open_request(world, berlin(2024, 11, 4, 8, 0), priority=9)
    assert stored(world, number).sla_due_at == berlin(2024, 11, 4, 8, 30)
    # Lowered: the general policy applies, counted from the opening.
    act(
        world,
        berlin(2024, 11, 4, 8, 10),
        number,
        lambda s, bob, t: changes.change_ticket(s, bob, ticket=t, priority=5),
    )
    assert stored(world, number).sla_due_at == berlin(2024, 11, 4, 12, 0)


def test_internal_tickets_have_no_sla(world) -> None:
    make_policy(world)
    with at(berlin(2024, 11, 4, 8, 0)), session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        made = opening.open_internal_ticket(session, bob, owner=bob, subject="Printer")
        assert made.sla_policy_id is None and made.sla_due_at is None


def test_a_new_policy_applies_to_open_tickets(world) -> None:
    number = open_request(world, berlin(2024, 11, 4, 8, 0))
    assert stored(world, number).sla_policy_id is None
    make_policy(world)
    assert stored(world, number).sla_due_at == berlin(2024, 11, 4, 12, 0)
    with session_scope(world.engine, write=True) as session:
        sla.remove_policy(
            session, world.user(session, "admin"), policy=sla.get_policy(session, "Standard")
        )
    assert stored(world, number).sla_due_at is None


def test_bad_policies_and_calendars_change_nothing(world) -> None:
    make_policy(world)
    with session_scope(world.engine, write=True) as session:
        anna, bob = world.user(session, "admin"), world.user(session, "bob")
        calendar = sla.get_calendar(session, "Office")
        with pytest.raises(Conflict, match="Standard"):
            sla.add_policy(session, anna, name="Other", calendar=calendar, solution_minutes=60)
        with pytest.raises(Invalid, match="needs a target"):
            sla.add_policy(session, anna, name="Empty", calendar=calendar, priorities=(9, 9))
        with pytest.raises(Forbidden):
            sla.add_calendar(session, bob, name="Mine", timezone="Europe/Berlin")
        with pytest.raises(Conflict, match="used by SLA policy"):
            sla.remove_calendar(session, anna, calendar=calendar)
        with pytest.raises(Invalid, match="time zone"):
            sla.add_calendar(session, anna, name="Moon", timezone="Moon/Base")
    with session_scope(world.engine) as session:
        assert [p.name for p in sla.list_policies(session)] == ["Standard"]
        assert [c.name for c in sla.list_calendars(session)] == ["Office"]


def test_a_closed_day_added_later_moves_the_deadline(world) -> None:
    make_policy(world)
    number = open_request(world, berlin(2024, 11, 4, 15, 0))
    assert stored(world, number).sla_due_at == berlin(2024, 11, 5, 10, 0)
    version = stored(world, number).version
    with session_scope(world.engine, write=True) as session:
        sla.update_calendar(
            session,
            world.user(session, "admin"),
            calendar=sla.get_calendar(session, "Office"),
            add_closed_days=[datetime(2024, 11, 5).date()],
        )
    assert stored(world, number).sla_due_at == berlin(2024, 11, 6, 10, 0)
    assert stored(world, number).version == version  # nobody's open edit conflicts


def _warn(world, now: datetime) -> list[int]:
    with session_scope(world.engine, write=True) as session:
        return sla.warn_before_breaches(session, now=now)


def _sla_notifications(world) -> list[tuple[int, str]]:
    with session_scope(world.engine) as session:
        return [
            (n.user_id, n.text)
            for n in session.execute(
                select(Notification).where(Notification.kind == "sla").order_by(Notification.id)
            ).scalars()
        ]


def test_the_owner_is_warned_once_before_a_breach(world) -> None:
    make_policy(world, warn_before=30)
    number = open_request(world, berlin(2024, 11, 4, 8, 0))  # first response due 12:00
    assert _warn(world, berlin(2024, 11, 4, 11, 29)) == []
    assert _warn(world, berlin(2024, 11, 4, 11, 30)) == [number]
    assert _warn(world, berlin(2024, 11, 4, 11, 45)) == []
    assert _warn(world, berlin(2024, 11, 4, 12, 30)) == []  # breached: warned already
    assert _sla_notifications(world) == [
        (world.bob, f"#{number} Pump: SLA first response is due in 30m")
    ]


def test_watchers_are_warned_where_the_policy_says_so(world) -> None:
    make_policy(world, warn_watchers=True)
    number = open_request(world, berlin(2024, 11, 4, 8, 0))
    with session_scope(world.engine, write=True) as session:
        from tix.core.services import watchers

        watchers.add_watcher(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            user=world.user(session, "admin"),
        )
    # Nobody warned in time (the worker was down): told once that it is overdue.
    assert _warn(world, berlin(2024, 11, 4, 13, 0)) == [number]
    assert sorted(_sla_notifications(world)) == [
        (world.admin, f"#{number} Pump: SLA first response is overdue by 1h"),
        (world.bob, f"#{number} Pump: SLA first response is overdue by 1h"),
    ]


def test_a_moved_deadline_is_warned_of_again(world) -> None:
    make_policy(world)
    number = open_request(world, berlin(2024, 11, 4, 8, 0))
    assert _warn(world, berlin(2024, 11, 4, 11, 0)) == [number]
    act(
        world,
        berlin(2024, 11, 4, 11, 30),
        number,
        lambda s, bob, t: messages.reply_to_ticket(s, bob, ticket=t, body="On it"),
    )
    assert stored(world, number).sla_warned_at is None  # the solution is due now
    # The solution is due Tuesday 15:00 (9 business hours on Monday, 7 on Tuesday).
    assert stored(world, number).sla_due_at == berlin(2024, 11, 5, 15, 0)
    assert _warn(world, berlin(2024, 11, 5, 14, 0)) == [number]


def test_two_workers_at_once_warn_exactly_once(world) -> None:
    make_policy(world)
    numbers = {open_request(world, berlin(2024, 11, 4, 8, 0)) for _ in range(15)}
    now = berlin(2024, 11, 4, 11, 30)
    warned: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            got = _warn(world, now)
            with lock:
                warned.extend(got)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(warned) == sorted(numbers)  # each warned, none twice
    assert len(_sla_notifications(world)) == 15


def test_two_worker_rounds_at_once_warn_exactly_once(world) -> None:
    from tix.core.config import Settings
    from tix.core.worker import run_round

    make_policy(world)
    numbers = {open_request(world, berlin(2024, 11, 4, 8, 0)) for _ in range(5)}
    rounds: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            done = run_round(world.engine, Settings())
            rounds.append(done.sla_warnings)
            errors.extend(RuntimeError(e) for e in done.errors)
        except BaseException as error:
            errors.append(error)

    clock.fix_clock(lambda: berlin(2024, 11, 4, 11, 30))
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        clock.fix_clock(None)
    assert errors == []
    assert sum(rounds) == len(numbers)
    assert len(_sla_notifications(world)) == len(numbers)


def test_a_ticket_solved_without_an_answer_has_its_first_response_clock_stopped(
    world, german
) -> None:
    from tix.core.sla_views import clock_lines, ticket_sla_view

    make_policy(world)
    number = open_request(world, berlin(2024, 11, 4, 9, 0))
    act(
        world,
        berlin(2024, 11, 4, 10, 30),
        number,
        lambda s, bob, t: changes.change_ticket(s, bob, ticket=t, status="solved"),
    )
    now = berlin(2024, 11, 6, 12, 0)
    with session_scope(world.engine) as session:
        view = ticket_sla_view(session, tickets.find_ticket(session, number), BERLIN, now)
    assert view is not None
    states = {c.target: c.state for c in view.clocks}
    assert states == {"first_response": "stopped", "solution": "met"}
    lines = dict(clock_lines(view))
    assert lines["SLA erste Antwort"] == "angehalten: das Ticket wurde vorher gelöst"
    assert lines["SLA Lösung"] == "erfüllt am 04.11.2024 10:30"  # the reader's date format
