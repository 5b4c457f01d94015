"""Report figures on a helpdesk built with known tickets and times, checked against
figures computed by hand.

The period is Saturday 26 October to Sunday 3 November 2024 in Europe/Berlin: summer
time ends on Sunday 27 October (02:00 UTC), and Friday 1 November is All Saints' Day,
a public holiday in Bavaria. The Support channel's SLA (priorities 1-6) runs on a
calendar of Mon-Fri 08:00-17:00 with Bavaria's holidays: first response 4 h, solution
2 business days (16 h).

The tickets (all for Karla Kunde of Kunde GmbH, in Support; times are Berlin's):

- T5  opened Fri 25 Oct 10:00 (before the period), solved Tue 29 Oct 11:00.
- T1  opened Sun 27 Oct 01:30 summer time (Sat 23:30 UTC: a local Sunday), bob replies
      Mon 28 Oct 09:00, solves 10:00. Business time: 1 h to reply, 2 h to solve.
- T2  opened Mon 28 Oct 00:30 winter time (Sun 23:30 UTC: a local Monday), bob replies
      Thu 31 Oct 16:00: 9 + 9 + 9 + 8 = 35 business hours; never solved.
- T4  priority 7 (no SLA: wall time) opened Tue 29 Oct 10:00, bob replies 10:30 (30 min),
      solves Wed 30 Oct 10:00; the customer writes again Thu 31 Oct 09:00 (reopened),
      bob solves it Fri 1 Nov 12:00: 3 days 2 h after it opened.
- T3  opened Thu 31 Oct 15:00, replied Mon 4 Nov 09:00 (after the period; Friday is the
      holiday): 2 + 1 = 3 business hours; solved Mon 4 Nov 10:00: 4 h.
- T7  opened Sun 3 Nov 20:00, not answered.

The reports are read on Mon 4 Nov 10:30.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from tix.core import clock, reporting
from tix.core.business_time import parse_target
from tix.core.db import session_scope
from tix.core.errors import Malformed
from tix.core.models import Category, MailImport, OutboxMessage, OutboxStatus, Ticket
from tix.core.models.mail import ImportStatus
from tix.core.reporting import Period, ReportScope
from tix.core.services import changes, contacts, messages, opening, sla, tickets, times

BERLIN = ZoneInfo("Europe/Berlin")
START, END = date(2024, 10, 26), date(2024, 11, 3)
HOUR = 3600


def berlin(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=BERLIN, fold=fold).astimezone(UTC)  # type: ignore[misc]


NOW = berlin(2024, 11, 4, 10, 30)


def at(when: datetime) -> Any:
    return clock.use_clock(lambda: when)


class Desk:
    def __init__(self, world: Any) -> None:
        self.world = world
        self.numbers: dict[str, int] = {}

    def open(self, name: str, when: datetime, *, priority: int = 5, category: str = "") -> None:
        with at(when), session_scope(self.world.engine, write=True) as session:
            made = opening.open_request_ticket(
                session,
                self.world.user(session, "bob"),
                channel=self.world.channel(session, "support"),
                customer=contacts.find_contact(session, "kunde@example.com"),
                subject=f"Pump {name}",
                body="Leaks",
                priority=priority,
                categories=[category] if category else [],
            )
            self.numbers[name] = made.number

    def act(self, name: str, when: datetime, do: Callable[[Any, Any, Ticket], object]) -> None:
        with at(when), session_scope(self.world.engine, write=True) as session:
            ticket = tickets.find_ticket(session, self.numbers[name])
            assert ticket is not None
            do(session, self.world.user(session, "bob"), ticket)

    def reply(self, name: str, when: datetime) -> None:
        self.act(
            name,
            when,
            lambda s, bob, t: messages.reply_to_ticket(s, bob, ticket=t, body="On it"),
        )

    def solve(self, name: str, when: datetime) -> None:
        self.act(
            name, when, lambda s, bob, t: changes.change_ticket(s, bob, ticket=t, status="solved")
        )

    def customer_writes(self, name: str, when: datetime) -> None:
        self.act(
            name,
            when,
            lambda s, _bob, t: messages.add_customer_message(
                s, contacts.find_contact(s, "kunde@example.com"), ticket=t, body="Again"
            ),
        )

    def book(self, name: str, when: datetime, minutes: int, login: str = "bob") -> None:
        def do(session: Any, _bob: Any, ticket: Ticket) -> None:
            times.book_time(
                session,
                self.world.user(session, login),
                ticket=ticket,
                minutes=minutes,
                work_date=when.astimezone(BERLIN).date(),
            )

        self.act(name, when, do)


@pytest.fixture
def desk(world: Any) -> Desk:
    return build_desk(world)


def build_desk(world: Any) -> Desk:
    """The helpdesk of this module's docstring."""
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        calendar = sla.add_calendar(
            session,
            anna,
            name="Office",
            timezone="Europe/Berlin",
            hours=["mon-fri 08:00-17:00"],
            holidays="DE-BY",
        )
        sla.add_policy(
            session,
            anna,
            name="Support",
            calendar=calendar,
            channel=world.channel(session, "support"),
            priorities=(1, 6),
            first_response_minutes=parse_target("4h"),
            solution_minutes=parse_target("2d"),
        )
    made = Desk(world)
    made.open("T5", berlin(2024, 10, 25, 10, 0))
    made.open("T1", berlin(2024, 10, 27, 1, 30), category="Pumpe")
    made.open("T2", berlin(2024, 10, 28, 0, 30), category="Pumpe")
    made.book("T1", berlin(2024, 10, 28, 8, 30), 90)
    made.reply("T1", berlin(2024, 10, 28, 9, 0))
    made.solve("T1", berlin(2024, 10, 28, 10, 0))
    made.open("T4", berlin(2024, 10, 29, 10, 0), priority=7, category="Motor")
    made.reply("T4", berlin(2024, 10, 29, 10, 30))
    made.book("T4", berlin(2024, 10, 29, 11, 0), 45, login="admin")
    made.solve("T5", berlin(2024, 10, 29, 11, 0))
    made.solve("T4", berlin(2024, 10, 30, 10, 0))
    made.customer_writes("T4", berlin(2024, 10, 31, 9, 0))
    made.open("T3", berlin(2024, 10, 31, 15, 0))
    made.reply("T2", berlin(2024, 10, 31, 16, 0))
    made.solve("T4", berlin(2024, 11, 1, 12, 0))
    made.open("T7", berlin(2024, 11, 3, 20, 0))
    made.reply("T3", berlin(2024, 11, 4, 9, 0))
    made.solve("T3", berlin(2024, 11, 4, 10, 0))
    made.book("T2", berlin(2024, 11, 4, 10, 0), 30)
    with session_scope(world.engine, write=True) as session:
        # Every reply was sent when it was written.
        session.execute(
            update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=OutboxMessage.created_at)
        )
        ids = {
            name: tickets.find_ticket(session, number).id  # type: ignore[union-attr]
            for name, number in made.numbers.items()
        }
        for ticket, when, status in (
            ("T1", berlin(2024, 10, 27, 1, 0), ImportStatus.IMPORTED),  # Sat 23:00 UTC
            ("T2", berlin(2024, 11, 3, 23, 30), ImportStatus.IMPORTED),  # Sun 22:30 UTC
            ("T2", berlin(2024, 11, 2, 12, 0), ImportStatus.DUPLICATE),
            ("T3", berlin(2024, 11, 4, 9, 30), ImportStatus.IMPORTED),
        ):
            session.add(
                MailImport(status=status, ticket_id=ids[ticket], created_at=when, source="x")
            )
    return made


def scope_for(world: Any, session: Any, login: str = "admin", **kwargs: Any) -> ReportScope:
    values: dict[str, Any] = {"start": START, "end": END, "zone": "Europe/Berlin"} | kwargs
    return ReportScope(viewer=world.user(session, login), **values)


def test_volume_per_local_day_across_the_dst_change(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.volume(session, scope_for(world, session))
    rows = [(b.start.day, b.opened, b.solved, b.reopened, b.backlog) for b in report.buckets]
    assert rows == [
        (26, 0, 0, 0, 1),  # T5 from before
        (27, 1, 0, 0, 2),  # T1: Saturday 23:30 UTC is Sunday in Berlin
        (28, 1, 1, 0, 2),  # T2 (Sunday 23:30 UTC), T1 solved
        (29, 1, 1, 0, 2),  # T4, T5 solved
        (30, 0, 1, 0, 1),  # T4 solved
        (31, 1, 0, 1, 3),  # T3, T4 reopened
        (1, 0, 1, 0, 2),  # T4 solved again, on the holiday
        (2, 0, 0, 0, 2),
        (3, 1, 0, 0, 3),  # T7; T3 is solved only on the 4th
    ]
    assert (report.opened, report.solved, report.reopened) == (5, 4, 1)
    assert (report.backlog_start, report.backlog_end) == (1, 3)


def test_volume_per_week_clips_the_first_week_to_the_period(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.volume(session, scope_for(world, session, period=Period.WEEK))
    rows = [(b.start, b.end, b.opened, b.solved, b.reopened, b.backlog) for b in report.buckets]
    assert rows == [
        (date(2024, 10, 26), date(2024, 10, 27), 1, 0, 0, 2),
        (date(2024, 10, 28), date(2024, 11, 3), 4, 4, 1, 3),
    ]


def test_the_days_are_the_zones_days(world: Any, desk: Desk) -> None:
    """In UTC, T1 opened on Saturday and T2 on Sunday."""
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.volume(session, scope_for(world, session, zone="UTC"))
    opened = {b.start.day: b.opened for b in report.buckets if b.opened}
    assert opened == {26: 1, 27: 1, 29: 1, 31: 1, 3: 1}


def test_response_times_in_business_time_under_an_sla_and_wall_time_without(
    world: Any, desk: Desk
) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.response(session, scope_for(world, session))
    figures = {
        (f.channel, f.measure, f.basis): (f.tickets, f.median_seconds, f.p90_seconds)
        for f in report.figures
    }
    # First responses under the SLA: T1 1 h, T3 3 h, T2 35 h; the 90th percentile lies
    # 0.8 of the way from 3 h to 35 h.
    business_first = (3, 3 * HOUR, 3 * HOUR + 0.8 * 32 * HOUR)
    business_solution = (2, 3 * HOUR, 2 * HOUR + 0.9 * 2 * HOUR)  # T1 2 h, T3 4 h
    wall_first = (1, 1800, 1800)  # T4
    wall_solution = (1, (3 * 24 + 2) * HOUR, (3 * 24 + 2) * HOUR)
    expected = {
        ("first_response", "business"): business_first,
        ("first_response", "wall"): wall_first,
        ("solution", "business"): business_solution,
        ("solution", "wall"): wall_solution,
    }
    for channel in (None, "Support"):
        for (measure, basis), figure in expected.items():
            found = figures[(channel, measure, basis)]
            assert found[0] == figure[0]
            assert found[1] == pytest.approx(figure[1])
            assert found[2] == pytest.approx(figure[2])
    assert len(figures) == 8
    assert [f.channel for f in report.figures[:4]] == [None] * 4


def test_a_ticket_opened_by_our_own_mail_waits_for_no_first_response(
    world: Any, desk: Desk
) -> None:
    """Its opening mail is staff writing to the customer, but nobody waited for it: it is
    not a first response of 0 s, and the ticket still counts when it is solved."""
    from tix.core.models import MailAccount

    with at(berlin(2024, 10, 30, 9, 0)), session_scope(world.engine, write=True) as session:
        made = opening.open_mail_ticket(
            session,
            world.user(session, "bob"),
            account=session.get(MailAccount, world.account),
            channel=world.channel(session, "support"),
            to=["kunde@example.com"],
            subject="Your new pump",
            body="It ships today.",
        )
        desk.numbers["T8"] = made.number
    desk.solve("T8", berlin(2024, 10, 30, 11, 0))
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.response(session, scope_for(world, session))
    figures = {(f.channel, f.measure, f.basis): f for f in report.figures}
    first = figures[(None, "first_response", "business")]
    assert (first.tickets, first.median_seconds) == (3, 3 * HOUR)  # T1, T3, T2 as before
    solved = figures[(None, "solution", "business")]
    assert (solved.tickets, solved.median_seconds) == (3, 2 * HOUR)  # T1 2 h, T8 2 h, T3 4 h


def test_sla_targets_met_breached_and_running(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.sla(session, scope_for(world, session))
    rows = [(r.channel, r.priority, r.target, r.met, r.breached, r.running) for r in report.rows]
    # T1 and T3 met both; T2 missed both; T7 (opened Sunday evening) runs until Monday.
    assert rows == [
        ("Support", 5, "first_response", 2, 1, 1),
        ("Support", 5, "solution", 2, 1, 1),
    ]
    assert (report.met, report.breached, report.running) == (4, 2, 2)
    assert report.compliance == pytest.approx(4 / 6)


def test_agents_load(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.agents(session, scope_for(world, session))
    rows = [(a.login, a.open_tickets, a.touched, a.minutes) for a in report.agents]
    # bob owns T2 and T7 (open now) and worked on T1, T2, T3, T4, T5, T7 in the period;
    # his 30 min on T2 were on 4 November. anna booked 45 min on T4.
    assert rows == [("bob", 2, 6, 90), ("anna", 0, 1, 45)]


def test_top_categories_customers_and_organisations(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.categories(session, scope_for(world, session))
    assert [(r.name, r.tickets) for r in report.categories] == [("Pumpe", 2), ("Motor", 1)]
    assert [(r.name, r.tickets) for r in report.customers] == [("Karla Kunde", 5)]
    assert [(r.name, r.tickets) for r in report.organisations] == [("Kunde GmbH", 5)]


def test_mail_in_and_out_per_local_day(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.mail(session, scope_for(world, session))
    days = {
        b.start.day: (b.incoming, b.outgoing) for b in report.buckets if b.incoming or b.outgoing
    }
    # In: T1's on Sunday (Saturday in UTC), T2's late on Sunday 3 Nov (the duplicate is
    # not counted, T3's came after the period). Out: the replies to T1, T4 and T2.
    assert days == {27: (1, 0), 28: (0, 1), 29: (0, 1), 31: (0, 1), 3: (1, 0)}
    assert (report.incoming, report.outgoing) == (2, 3)


def test_overview_has_the_headline_figures(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        report = reporting.overview(session, scope_for(world, session))
    assert (report.opened, report.solved, report.reopened) == (5, 4, 1)
    assert (report.backlog_start, report.backlog_end) == (1, 3)
    assert (report.sla_met, report.sla_breached, report.sla_running) == (4, 2, 2)
    assert (report.mail_in, report.mail_out) == (2, 3)
    assert [f.channel for f in report.response] == [None] * 4
    assert [a.login for a in report.busiest] == ["bob", "anna"]
    assert [c.name for c in report.top_categories] == ["Pumpe", "Motor"]


def test_filters_and_what_the_viewer_may_see(world: Any, desk: Desk) -> None:
    with at(NOW), session_scope(world.engine) as session:
        sales = world.channel(session, "sales").id
        support = world.channel(session, "support").id
        anna = world.user(session, "admin").id

        def opened(**kwargs: Any) -> int:
            return reporting.volume(session, scope_for(world, session, **kwargs)).opened

        assert opened(login="bob") == 5  # Support is his channel
        assert opened(login="carl") == 0  # Sales only
        assert opened(channel_ids=(sales,)) == 0
        assert opened(channel_ids=(support,)) == 5
        assert opened(owner_ids=(anna,)) == 0
        assert opened(kind="internal") == 0
        customer = contacts.find_contact(session, "kunde@example.com")
        assert customer is not None
        assert opened(organisation=customer.organization_id) == 5
        assert opened(organisation=customer.organization_id + 1) == 0  # type: ignore[operator]
        categories = reporting.categories(session, scope_for(world, session))
        assert categories.categories
        pumpe = session.execute(select(Category.id).where(Category.name == "Pumpe")).scalar_one()
        assert opened(category_ids=(pumpe,)) == 2
        carl = reporting.agents(session, scope_for(world, session, login="carl"))
        assert carl.agents == []


def test_a_scope_ending_before_it_starts_or_in_no_zone_is_refused(world: Any) -> None:
    with session_scope(world.engine) as session:
        viewer = world.user(session, "admin")
        with pytest.raises(Malformed, match="swap --from and --to"):
            ReportScope(start=END, end=START, viewer=viewer)
        with pytest.raises(Malformed, match="IANA"):
            ReportScope(start=START, end=END, viewer=viewer, zone="Mars/Olympus")
