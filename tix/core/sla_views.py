"""Read models of SLAs filled from the database: calendars, policies, a ticket's clocks
and the SLA cells of the ticket list. Times are ISO 8601 in the zone the caller passes."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.business_time import describe_hours, format_minutes
from tix.core.datefmt import moment_text
from tix.core.i18n import _
from tix.core.models import BusinessCalendar, Channel, SlaPolicy, Ticket, TicketStatus
from tix.core.read_models.sla import (
    CalendarView,
    ClosedDayView,
    SlaClockView,
    SlaListCell,
    SlaPolicyView,
    TicketSlaView,
)
from tix.core.services import sla
from tix.core.services.sla import FIRST_RESPONSE
from tix.core.timeutil import iso


def calendar_view(
    calendar: BusinessCalendar, *, year: int | None = None, today: date | None = None
) -> CalendarView:
    """The calendar; with ``year`` also that year's public holidays and closed days."""
    days: list[ClosedDayView] = []
    if year is not None:
        days = [
            ClosedDayView(date=day.isoformat(), name=name)
            for day, name in sla.holidays_between(calendar, date(year, 1, 1), date(year, 12, 31))
        ]
    region = calendar.country
    if region and calendar.subdivision:
        region = f"{region}-{calendar.subdivision}"
    return CalendarView(
        name=calendar.name,
        timezone=calendar.timezone,
        hours=calendar.hours,
        hours_text=describe_hours(calendar.hours),
        holidays=region,
        closed_days=list(calendar.closed_days),
        days_off=days,
    )


def _duration(minutes: int | None) -> str | None:
    return format_minutes(minutes) if minutes is not None else None


def policy_views(session: Session) -> list[SlaPolicyView]:
    policies = sla.list_policies(session)
    channels: dict[int | None, str] = {
        channel_id: name
        for channel_id, name in session.execute(select(col(Channel.id), col(Channel.name)))
    }
    calendars: dict[int | None, str] = {
        calendar_id: name
        for calendar_id, name in session.execute(
            select(col(BusinessCalendar.id), col(BusinessCalendar.name))
        )
    }
    return [policy_view(policy, channels, calendars) for policy in policies]


def policy_view(
    policy: SlaPolicy, channels: dict[int | None, str], calendars: dict[int | None, str]
) -> SlaPolicyView:
    return SlaPolicyView(
        name=policy.name,
        channel=channels.get(policy.channel_id) if policy.channel_id is not None else None,
        priorities=(
            "all"
            if (policy.priority_min, policy.priority_max) == (1, 9)
            else str(policy.priority_min)
            if policy.priority_min == policy.priority_max
            else f"{policy.priority_min}-{policy.priority_max}"
        ),
        priority_min=policy.priority_min,
        priority_max=policy.priority_max,
        first_response_minutes=policy.first_response_minutes,
        first_response=_duration(policy.first_response_minutes),
        solution_minutes=policy.solution_minutes,
        solution=_duration(policy.solution_minutes),
        calendar=calendars.get(policy.calendar_id, "?"),
        warn_before_minutes=policy.warn_before_minutes,
        warn_before=format_minutes(policy.warn_before_minutes),
        warn_watchers=policy.warn_watchers,
    )


def ticket_sla_view(
    session: Session, ticket: Ticket, zone: tzinfo, now: datetime
) -> TicketSlaView | None:
    """The ticket's SLA: its policy and each target's clock, ``None`` without one."""
    found = sla.ticket_clocks(session, ticket)
    if found is None:
        return None
    return TicketSlaView(
        policy=found.policy.name,
        calendar=found.calendar.name,
        clocks=[
            SlaClockView(
                target=clock.kind,
                target_minutes=clock.target_minutes,
                due_at=iso(clock.due_at, zone),
                met_at=iso(clock.stopped_at, zone),
                state=_state(clock.state(now), ticket),
                left_minutes=found.left_minutes(clock, now),
            )
            for clock in found.clocks
        ],
    )


def _state(state: str, ticket: Ticket) -> str:
    """A clock that does not run only because the ticket is solved or closed has
    stopped: it is not waiting for the customer."""
    if state == "paused" and ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED):
        return "stopped"
    return state


def list_cell(
    cache: sla.RulesCache,
    *,
    policy_id: int | None,
    due_at: datetime | None,
    due_kind: str | None,
    paused_left: int | None,
    zone: tzinfo,
    now: datetime,
) -> SlaListCell | None:
    """What the ticket list shows of a ticket's SLA, from the columns kept on it."""
    if policy_id is None or (due_at is None and paused_left is None):
        return None
    left = sla.left_minutes(cache, policy_id=policy_id, due_at=due_at, now=now)
    return SlaListCell(
        due_at=iso(due_at, zone),
        target=due_kind,
        left_minutes=left if due_at is not None else paused_left,
        breached=due_at is not None and due_at <= now,
        paused=due_at is None,
    )


def _moment(value: str | None) -> str:
    """An ISO time (already in the reader's zone) as the reader's language writes it."""
    return moment_text(value)


def clock_lines(view: TicketSlaView) -> list[tuple[str, str]]:
    """The ticket's SLA as (label, text) lines in the user's language, for ``tix ticket
    show`` and the TUI."""
    lines = [(_("SLA policy"), f"{view.policy} ({view.calendar})")]
    for clock in view.clocks:
        label = _("SLA first response") if clock.target == FIRST_RESPONSE else _("SLA solution")
        left = format_minutes(abs(clock.left_minutes or 0))
        if clock.state == "paused":
            text = _("paused while the ticket waits, {left} left").format(left=left)
        elif clock.state == "stopped":
            text = _("stopped: the ticket was solved before it was met")
        elif clock.met_at is not None and clock.state == "breached":
            text = _("met late at {met}, was due {due}").format(
                met=_moment(clock.met_at), due=_moment(clock.due_at)
            )
        elif clock.met_at is not None:
            text = _("met at {met}").format(met=_moment(clock.met_at))
        elif clock.state == "breached":
            text = _("due {due}, overdue by {late}").format(due=_moment(clock.due_at), late=left)
        else:
            text = _("due {due}, {left} left").format(due=_moment(clock.due_at), left=left)
        lines.append((label, text))
    return lines
