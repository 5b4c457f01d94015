"""SLAs: business calendars, policies with first-response and solution targets per
channel and priority, the clocks they run on tickets, and the warnings before a breach.

The clocks are computed from the ticket's history (its status changes and its first
reply to the customer), so a late change of policy, channel or priority is counted from
the ticket's opening as if it had always applied. They run in the calendar's business
hours and only while the ticket is new or open: waiting on the customer pauses them, so
does solved or closed (a reopened ticket's solution clock runs on).

* First response: met by the first reply or solution a staff user sends the customer
  (an agent who opens a mail ticket speaks first: met at once).
* Solution: met when the ticket is solved (or closed).

What lists need is kept on the ticket (:attr:`Ticket.sla_due_at` and friends) and
recomputed on every event that moves it: opening, status, channel or priority changes,
the first reply, and changes of a policy or calendar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    and_,
    bindparam,
    case,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.business_time import (
    BusinessCalendarRules,
    format_minutes,
    parse_hours,
    parse_region,
    parse_zone,
)
from tix.core.errors import Conflict, Invalid, Malformed, NotFound
from tix.core.i18n import _, language_code, use_language
from tix.core.labels import parse_priority
from tix.core.models import (
    Activity,
    ActivityKind,
    BusinessCalendar,
    Channel,
    NotificationKind,
    SlaPolicy,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
    UTCDateTime,
    utcnow,
)
from tix.core.permissions import require_admin

FIRST_RESPONSE = "first_response"
SOLUTION = "solution"

_RUNNING = frozenset((TicketStatus.NEW, TicketStatus.OPEN))
"""Statuses in which the clocks run; waiting, solved and closed pause them."""
_DONE = frozenset((TicketStatus.SOLVED, TicketStatus.CLOSED))
_CLOCKED_KINDS = frozenset((TicketKind.MAIL, TicketKind.REQUEST))
"""Tickets with a customer; internal tickets have no SLA."""
_RECOMPUTING_FIELDS = frozenset(("status", "channel", "priority"))


# --- calendars ------------------------------------------------------------------------


def find_calendar(session: Session, name: str) -> BusinessCalendar | None:
    return session.execute(
        select(BusinessCalendar).where(col(BusinessCalendar.name) == name.strip())
    ).scalar_one_or_none()


def get_calendar(session: Session, name: str) -> BusinessCalendar:
    calendar = find_calendar(session, name)
    if calendar is None:
        raise NotFound(
            _(
                "no calendar {name!r}: see `tix calendar list`, or add it with "
                "`tix calendar add {name}`"
            ).format(name=name)
        )
    return calendar


def list_calendars(session: Session) -> list[BusinessCalendar]:
    return list(
        session.execute(select(BusinessCalendar).order_by(col(BusinessCalendar.name)))
        .scalars()
        .all()
    )


def rules_of(calendar: BusinessCalendar) -> BusinessCalendarRules:
    return BusinessCalendarRules.from_stored(
        timezone=calendar.timezone,
        hours=calendar.hours,
        country=calendar.country,
        subdivision=calendar.subdivision,
        closed_days=calendar.closed_days,
    )


def _region(holidays: str | None) -> tuple[str | None, str | None]:
    if holidays is None or holidays.strip().casefold() in ("", "none", "keine"):
        return None, None
    return parse_region(holidays)


DEFAULT_HOURS = ("mon-fri 08:00-17:00",)


def add_calendar(
    session: Session,
    actor: User,
    *,
    name: str,
    timezone: str,
    hours: Sequence[str] = (),
    holidays: str | None = None,
    closed_days: Sequence[date] = (),
) -> BusinessCalendar:
    """A calendar; without ``hours`` it is open Monday to Friday 08:00-17:00.
    ``holidays`` is a region like ``DE-BY``."""
    require_admin(actor, _("add calendars"))
    name = validation.name(name, what=_("the calendar name"), max_length=100)
    parse_zone(timezone)
    week = parse_hours(hours or DEFAULT_HOURS)
    country, subdivision = _region(holidays)
    if find_calendar(session, name) is not None:
        raise Conflict(_("calendar {name!r} exists already").format(name=name))
    calendar = BusinessCalendar(
        name=name,
        timezone=timezone.strip(),
        hours=week,
        country=country,
        subdivision=subdivision,
        closed_days=sorted({day.isoformat() for day in closed_days}),
    )
    session.add(calendar)
    session.flush()
    return calendar


def update_calendar(
    session: Session,
    actor: User,
    *,
    calendar: BusinessCalendar,
    timezone: str | None = None,
    hours: Sequence[str] = (),
    holidays: str | None = None,
    add_closed_days: Sequence[date] = (),
    remove_closed_days: Sequence[date] = (),
) -> BusinessCalendar:
    """Change what is given (``hours`` replace the weekly hours; ``holidays`` ``none``
    drops the public holidays); the tickets whose clocks run on it are recomputed."""
    require_admin(actor, _("change calendars"))
    if timezone is not None:
        parse_zone(timezone)
    week = parse_hours(hours) if hours else None
    region = _region(holidays) if holidays is not None else None
    closed = set(calendar.closed_days)
    missing = [day for day in remove_closed_days if day.isoformat() not in closed]
    if missing:
        raise Invalid(
            _("{day} is no extra closed day of calendar {name!r}: see `tix calendar show`").format(
                day=missing[0].isoformat(), name=calendar.name
            )
        )
    if timezone is not None:
        calendar.timezone = timezone.strip()
    if week is not None:
        calendar.hours = week
    if region is not None:
        calendar.country, calendar.subdivision = region
    closed |= {day.isoformat() for day in add_closed_days}
    closed -= {day.isoformat() for day in remove_closed_days}
    calendar.closed_days = sorted(closed)
    session.flush()
    policies = session.execute(
        select(col(SlaPolicy.id)).where(col(SlaPolicy.calendar_id) == calendar.id)
    ).scalars()
    recompute_open_tickets(session, policy_ids=[i for i in policies if i is not None])
    return calendar


def remove_calendar(session: Session, actor: User, *, calendar: BusinessCalendar) -> None:
    require_admin(actor, _("remove calendars"))
    used = session.execute(
        select(col(SlaPolicy.name)).where(col(SlaPolicy.calendar_id) == calendar.id).limit(1)
    ).scalar_one_or_none()
    if used is not None:
        raise Conflict(
            _(
                "calendar {name!r} is used by SLA policy {policy!r}: give that policy "
                "another calendar or remove it first"
            ).format(name=calendar.name, policy=used)
        )
    session.delete(calendar)
    session.flush()


def holidays_between(calendar: BusinessCalendar, first: date, last: date) -> list[tuple[date, str]]:
    """Public holidays (named in the user's language where the ``holidays`` package
    knows it) and extra closed days from ``first`` to ``last``, by date."""
    rules = rules_of(calendar)
    days: dict[date, str] = {}
    if calendar.country:
        # holidays loads its country modules on first use: only where asked for.
        import holidays

        wanted = {"de": "de", "en": "en_US"}.get(language_code())
        country: Any = holidays.country_holidays(calendar.country, subdiv=calendar.subdivision)
        language = wanted if wanted in country.supported_languages else None
        for year in range(first.year, last.year + 1):
            days.update(
                holidays.country_holidays(
                    calendar.country, subdiv=calendar.subdivision, years=year, language=language
                ).items()
            )
    for day in rules.closed_days:
        days.setdefault(day, _("closed"))
    return sorted((day, name) for day, name in days.items() if first <= day <= last)


# --- policies -------------------------------------------------------------------------


def parse_priorities(text: str) -> tuple[int, int]:
    """``all``, ``7``, ``7-9`` (or a named priority) -> (lowest, highest)."""
    cleaned = text.strip().casefold()
    if cleaned in ("all", "alle", "*", ""):
        return 1, 9
    low, dash, high = cleaned.partition("-")
    try:
        first = parse_priority(low.strip())
        last = parse_priority(high.strip()) if dash else first
    except Malformed:
        raise Malformed(
            _("{text!r} names no priorities: give all, one like 7, or a range like 7-9").format(
                text=text
            )
        ) from None
    if not 1 <= first <= last <= 9:
        raise Malformed(
            _("{text!r} is no range of priorities: give 1 to 9, lowest first").format(text=text)
        )
    return first, last


def find_policy(session: Session, name: str) -> SlaPolicy | None:
    return session.execute(
        select(SlaPolicy).where(col(SlaPolicy.name) == name.strip())
    ).scalar_one_or_none()


def get_policy(session: Session, name: str) -> SlaPolicy:
    policy = find_policy(session, name)
    if policy is None:
        raise NotFound(
            _("no SLA policy {name!r}: see `tix sla list`, or add it with `tix sla add`").format(
                name=name
            )
        )
    return policy


def list_policies(session: Session) -> list[SlaPolicy]:
    return list(
        session.execute(
            select(SlaPolicy).order_by(
                col(SlaPolicy.channel_id).is_(None),
                col(SlaPolicy.channel_id),
                col(SlaPolicy.priority_min).desc(),
                col(SlaPolicy.name),
            )
        )
        .scalars()
        .all()
    )


def _check_policy(session: Session, policy: SlaPolicy) -> None:
    if policy.first_response_minutes is None and policy.solution_minutes is None:
        raise Invalid(_("an SLA policy needs a target: give --first-response, --solution or both"))
    if policy.warn_before_minutes < 0:
        raise Invalid(_("the warning lead time cannot be negative"))
    others = select(col(SlaPolicy.name))
    if policy.id is not None:
        others = others.where(col(SlaPolicy.id) != policy.id)
    clash = session.execute(
        others.where(
            col(SlaPolicy.channel_id).is_(None)
            if policy.channel_id is None
            else col(SlaPolicy.channel_id) == policy.channel_id,
            col(SlaPolicy.priority_min) <= policy.priority_max,
            col(SlaPolicy.priority_max) >= policy.priority_min,
            # One range inside the other is fine (the narrower applies); the same range
            # twice, or two that only overlap, would leave the choice to chance.
            or_(
                and_(
                    col(SlaPolicy.priority_min) == policy.priority_min,
                    col(SlaPolicy.priority_max) == policy.priority_max,
                ),
                not_(
                    or_(
                        and_(
                            col(SlaPolicy.priority_min) <= policy.priority_min,
                            col(SlaPolicy.priority_max) >= policy.priority_max,
                        ),
                        and_(
                            col(SlaPolicy.priority_min) >= policy.priority_min,
                            col(SlaPolicy.priority_max) <= policy.priority_max,
                        ),
                    )
                ),
            ),
        )
    ).first()
    if clash is not None:
        raise Conflict(
            _(
                "SLA policy {other!r} covers the same channel and overlapping priorities: "
                "give priorities that lie inside or outside its range, or change that policy"
            ).format(other=clash[0])
        )


def add_policy(
    session: Session,
    actor: User,
    *,
    name: str,
    calendar: BusinessCalendar,
    channel: Channel | None = None,
    priorities: tuple[int, int] = (1, 9),
    first_response_minutes: int | None = None,
    solution_minutes: int | None = None,
    warn_before_minutes: int = 60,
    warn_watchers: bool = False,
) -> SlaPolicy:
    """A policy for ``channel`` (``None``: every channel) and a priority range; the open
    tickets it now covers get its clocks."""
    require_admin(actor, _("add SLA policies"))
    name = validation.name(name, what=_("the policy name"), max_length=100)
    if find_policy(session, name) is not None:
        raise Conflict(_("SLA policy {name!r} exists already").format(name=name))
    assert calendar.id is not None
    policy = SlaPolicy(
        name=name,
        calendar_id=calendar.id,
        channel_id=channel.id if channel else None,
        priority_min=priorities[0],
        priority_max=priorities[1],
        first_response_minutes=first_response_minutes,
        solution_minutes=solution_minutes,
        warn_before_minutes=warn_before_minutes,
        warn_watchers=warn_watchers,
    )
    _check_policy(session, policy)
    session.add(policy)
    session.flush()
    recompute_open_tickets(session, channel_id=policy.channel_id, everywhere=channel is None)
    return policy


_KEEP = object()


def update_policy(
    session: Session,
    actor: User,
    *,
    policy: SlaPolicy,
    calendar: BusinessCalendar | None = None,
    channel: Channel | object | None = _KEEP,
    priorities: tuple[int, int] | None = None,
    first_response_minutes: int | object | None = _KEEP,
    solution_minutes: int | object | None = _KEEP,
    warn_before_minutes: int | None = None,
    warn_watchers: bool | None = None,
) -> SlaPolicy:
    """Change what is given (``None`` for a target or the channel removes it); the open
    tickets it covered or covers now are recomputed."""
    require_admin(actor, _("change SLA policies"))
    old_channel = policy.channel_id
    with session.no_autoflush:
        if calendar is not None:
            policy.calendar_id = calendar.id  # type: ignore[assignment]
        if channel is not _KEEP:
            policy.channel_id = channel.id if isinstance(channel, Channel) else None
        if priorities is not None:
            policy.priority_min, policy.priority_max = priorities
        if first_response_minutes is not _KEEP:
            policy.first_response_minutes = first_response_minutes  # type: ignore[assignment]
        if solution_minutes is not _KEEP:
            policy.solution_minutes = solution_minutes  # type: ignore[assignment]
        if warn_before_minutes is not None:
            policy.warn_before_minutes = warn_before_minutes
        if warn_watchers is not None:
            policy.warn_watchers = warn_watchers
        try:
            _check_policy(session, policy)
        except (Invalid, Conflict):
            session.expire(policy)
            raise
    session.flush()
    everywhere = old_channel is None or policy.channel_id is None
    recompute_open_tickets(session, channel_id=old_channel, everywhere=everywhere)
    if policy.channel_id != old_channel and not everywhere:
        recompute_open_tickets(session, channel_id=policy.channel_id)
    return policy


def remove_policy(session: Session, actor: User, *, policy: SlaPolicy) -> None:
    """Remove the policy; its open tickets fall to another policy or have none."""
    require_admin(actor, _("remove SLA policies"))
    assert policy.id is not None
    policy_id = policy.id
    session.delete(policy)
    session.flush()
    recompute_open_tickets(session, policy_ids=[policy_id])


def policy_for(session: Session, ticket: Ticket) -> SlaPolicy | None:
    """The most specific policy covering the ticket: its channel's before every
    channel's, a narrower priority range before a wider one."""
    if ticket.kind not in _CLOCKED_KINDS:
        return None
    return (
        session.execute(
            select(SlaPolicy)
            .where(
                or_(
                    col(SlaPolicy.channel_id).is_(None),
                    col(SlaPolicy.channel_id) == ticket.channel_id,
                ),
                col(SlaPolicy.priority_min) <= ticket.priority,
                col(SlaPolicy.priority_max) >= ticket.priority,
            )
            .order_by(
                col(SlaPolicy.channel_id).is_(None),
                col(SlaPolicy.priority_max) - col(SlaPolicy.priority_min),
                col(SlaPolicy.id),
            )
            .limit(1)
        )
        .scalars()
        .first()
    )


# --- clocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One target's clock on one ticket."""

    kind: str
    """:data:`FIRST_RESPONSE` or :data:`SOLUTION`."""
    target_minutes: int
    due_at: datetime | None
    """When the target is (or was) due; ``None`` while paused before it fell due, or
    when it was met during a pause."""
    stopped_at: datetime | None
    """When it was met (the first reply, the solving); ``None`` while it runs."""
    paused_left: float | None
    """While paused: the business minutes left."""

    @property
    def met(self) -> bool:
        return self.stopped_at is not None and (
            self.due_at is None or self.stopped_at <= self.due_at
        )

    def breached(self, now: datetime) -> bool:
        if self.due_at is None:
            return False
        if self.stopped_at is not None:
            return self.stopped_at > self.due_at
        return self.due_at <= now

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.due_at is not None

    def state(self, now: datetime) -> str:
        """``met``, ``breached`` (also met late), ``paused`` or ``running``."""
        if self.breached(now):
            return "breached"
        if self.stopped_at is not None:
            return "met"
        if self.due_at is None:
            return "paused"
        return "running"


@dataclass(frozen=True)
class TicketClocks:
    policy: SlaPolicy
    calendar: BusinessCalendar
    rules: BusinessCalendarRules
    clocks: tuple[Clock, ...]

    def next_due(self) -> Clock | None:
        """The running clock that falls due first."""
        running = [clock for clock in self.clocks if clock.running]
        return min(running, key=lambda clock: clock.due_at or utcnow(), default=None)

    def left_minutes(self, clock: Clock, now: datetime) -> int | None:
        """Business minutes until ``clock`` is due (negative: overdue by that much)."""
        if clock.stopped_at is not None:
            return None
        if clock.due_at is None:
            return None if clock.paused_left is None else math.floor(clock.paused_left)
        return math.floor(self.rules.minutes_between(now, clock.due_at))


Segment = tuple[datetime, datetime | None, TicketStatus]
"""From, until (``None``: still) and the status the ticket had."""


StatusChange = tuple[datetime, str | None, str | None]
"""When, from which status, to which."""


def _status_changes(session: Session, ticket_ids: Sequence[int]) -> dict[int, list[StatusChange]]:
    found: dict[int, list[StatusChange]] = {ticket_id: [] for ticket_id in ticket_ids}
    for ticket_id, when, old, new in session.execute(
        select(
            col(Activity.ticket_id),
            col(Activity.created_at),
            col(Activity.old_value),
            col(Activity.new_value),
        )
        .where(
            col(Activity.ticket_id).in_(ticket_ids),
            col(Activity.kind) == ActivityKind.CHANGE,
            col(Activity.field) == "status",
        )
        .order_by(col(Activity.ticket_id), col(Activity.seq))
    ):
        found[ticket_id].append((when, old, new))
    return found


def _segments(
    created_at: datetime, status_now: TicketStatus, changes: Sequence[StatusChange]
) -> list[Segment]:
    status = _status(changes[0][1]) if changes else status_now
    start = created_at
    segments: list[Segment] = []
    for when, _old, new in changes:
        segments.append((start, when, status))
        start, status = when, _status(new)
    segments.append((start, None, status))
    return segments


def _status(value: str | None) -> TicketStatus:
    try:
        return TicketStatus(value or TicketStatus.OPEN)
    except ValueError:
        return TicketStatus.OPEN


def _first_responses(session: Session, ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """When a staff user first wrote to each ticket's customer: a reply or solution, or
    the mail that opened the ticket."""
    return {
        ticket_id: when
        for ticket_id, when in session.execute(
            select(col(Activity.ticket_id), func.min(col(Activity.created_at)))
            .where(
                col(Activity.ticket_id).in_(ticket_ids),
                col(Activity.author_user_id).is_not(None),
                or_(
                    col(Activity.kind).in_((ActivityKind.REPLY, ActivityKind.SOLUTION)),
                    (col(Activity.kind) == ActivityKind.MESSAGE)
                    & (col(Activity.direction) == "out"),
                ),
            )
            .group_by(col(Activity.ticket_id))
        )
        if when is not None
    }


def _solved_at(segments: list[Segment]) -> datetime | None:
    """When the ticket became solved or closed, if it still is."""
    solved: datetime | None = None
    for start, _end, status in reversed(segments):
        if status not in _DONE:
            break
        solved = start
    return solved


def _run(
    rules: BusinessCalendarRules,
    segments: list[Segment],
    *,
    kind: str,
    target: int,
    stopped_at: datetime | None,
) -> Clock:
    remaining = float(target)
    due: datetime | None = None
    for start, end, status in segments:
        if stopped_at is not None and stopped_at <= start:
            break
        if status not in _RUNNING:
            continue
        limit = end
        if stopped_at is not None:
            limit = stopped_at if end is None else min(end, stopped_at)
        if limit is None:
            due = rules.add(start, remaining)
            break
        used = rules.minutes_between(start, limit)
        if used >= remaining:
            due = rules.add(start, remaining)
            break
        remaining -= used
        if limit == stopped_at:
            # Met while running: the deadline as it stood then.
            due = rules.add(stopped_at, remaining)
            break
    paused = due is None and stopped_at is None
    return Clock(
        kind=kind,
        target_minutes=target,
        due_at=due,
        stopped_at=stopped_at,
        paused_left=remaining if paused else None,
    )


def ticket_clocks(
    session: Session,
    ticket: Ticket,
    *,
    policy: SlaPolicy | None = None,
    rules: BusinessCalendarRules | None = None,
) -> TicketClocks | None:
    """The ticket's SLA clocks, computed from its history; ``None`` without a policy."""
    if policy is None:
        if ticket.sla_policy_id is None:
            return None
        policy = session.get(SlaPolicy, ticket.sla_policy_id)
        if policy is None:
            return None
    calendar = session.get(BusinessCalendar, policy.calendar_id)
    assert calendar is not None
    assert ticket.id is not None
    return _clocks(
        policy,
        calendar,
        rules or rules_of(calendar),
        created_at=ticket.created_at,
        status=ticket.status,
        changes=_status_changes(session, [ticket.id])[ticket.id],
        first_response_at=_first_responses(session, [ticket.id]).get(ticket.id),
    )


def _clocks(
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    rules: BusinessCalendarRules,
    *,
    created_at: datetime,
    status: TicketStatus,
    changes: Sequence[StatusChange],
    first_response_at: datetime | None,
) -> TicketClocks:
    segments = _segments(created_at, status, changes)
    clocks: list[Clock] = []
    if policy.first_response_minutes is not None:
        clocks.append(
            _run(
                rules,
                segments,
                kind=FIRST_RESPONSE,
                target=policy.first_response_minutes,
                stopped_at=first_response_at,
            )
        )
    if policy.solution_minutes is not None:
        clocks.append(
            _run(
                rules,
                segments,
                kind=SOLUTION,
                target=policy.solution_minutes,
                stopped_at=_solved_at(segments),
            )
        )
    return TicketClocks(policy=policy, calendar=calendar, rules=rules, clocks=tuple(clocks))


@dataclass(frozen=True)
class Stored:
    """What the ticket keeps of its clocks (see :class:`Ticket`)."""

    policy_id: int | None
    due_at: datetime | None
    due_kind: str | None
    paused_left: int | None


def _stored(policy: SlaPolicy | None, clocks: TicketClocks | None) -> Stored:
    due = clocks.next_due() if clocks is not None else None
    paused = [
        clock.paused_left
        for clock in (clocks.clocks if clocks is not None else ())
        if clock.paused_left is not None
    ]
    return Stored(
        policy_id=policy.id if policy is not None else None,
        due_at=due.due_at if due is not None else None,
        due_kind=due.kind if due is not None else None,
        paused_left=math.floor(min(paused)) if due is None and paused else None,
    )


def recompute(session: Session, ticket: Ticket) -> None:
    """Choose the ticket's policy and store its next deadline (see :class:`Ticket`)."""
    policy = policy_for(session, ticket)
    clocks = ticket_clocks(session, ticket, policy=policy) if policy is not None else None
    stored = _stored(policy, clocks)
    if stored.due_at != ticket.sla_due_at:
        ticket.sla_warned_at = None
    ticket.sla_policy_id = stored.policy_id
    ticket.sla_due_at = stored.due_at
    ticket.sla_due_kind = stored.due_kind
    ticket.sla_paused_left = stored.paused_left


def after_activity(session: Session, ticket: Ticket, activity: Activity) -> None:
    """Recompute the clocks when ``activity`` may move them (called for every new
    activity)."""
    if ticket.kind not in _CLOCKED_KINDS:
        return
    moves = (
        activity.seq == 1
        or (activity.kind == ActivityKind.CHANGE and activity.field in _RECOMPUTING_FIELDS)
        or (
            ticket.sla_policy_id is not None
            and activity.author_user_id is not None
            and activity.kind in (ActivityKind.REPLY, ActivityKind.SOLUTION)
        )
    )
    if moves:
        recompute(session, ticket)


_BATCH = 500
"""Tickets recomputed per round trip when a policy or calendar changes."""


def _choose(
    policies: Sequence[SlaPolicy], channel_id: int | None, priority: int
) -> SlaPolicy | None:
    """:func:`policy_for` over policies already read."""
    fitting = [
        policy
        for policy in policies
        if (policy.channel_id is None or policy.channel_id == channel_id)
        and policy.priority_min <= priority <= policy.priority_max
    ]
    fitting.sort(key=lambda p: (p.channel_id is None, p.priority_max - p.priority_min, p.id or 0))
    return fitting[0] if fitting else None


def recompute_open_tickets(
    session: Session,
    *,
    channel_id: int | None = None,
    everywhere: bool = False,
    policy_ids: Sequence[int] = (),
) -> int:
    """Recompute the unsolved customer tickets of a channel (or of every channel, or
    those on the given policies) after a policy or calendar changed; returns how many
    changed. Read and written in batches, by plain UPDATEs: an SLA recomputed is no
    change of the ticket by anyone, so its version stays (nobody's open edit conflicts)."""
    session.flush()
    query = select(
        col(Ticket.id),
        col(Ticket.channel_id),
        col(Ticket.priority),
        col(Ticket.status),
        col(Ticket.created_at),
        col(Ticket.sla_policy_id),
        col(Ticket.sla_due_at),
        col(Ticket.sla_due_kind),
        col(Ticket.sla_paused_left),
    ).where(col(Ticket.kind).in_(_CLOCKED_KINDS), col(Ticket.status).notin_(_DONE))
    if policy_ids:
        query = query.where(col(Ticket.sla_policy_id).in_(policy_ids))
    elif not everywhere:
        if channel_id is None:
            return 0
        query = query.where(col(Ticket.channel_id) == channel_id)
    policies = list(session.execute(select(SlaPolicy)).scalars())
    calendars = {c.id: c for c in session.execute(select(BusinessCalendar)).scalars()}
    rules = {calendar_id: rules_of(c) for calendar_id, c in calendars.items()}
    rows = session.execute(query.order_by(col(Ticket.id))).all()
    changed = 0
    table = Ticket.__table__  # type: ignore[attr-defined]
    for offset in range(0, len(rows), _BATCH):
        batch = rows[offset : offset + _BATCH]
        ids = [row[0] for row in batch if row[0] is not None]
        changes = _status_changes(session, ids)
        responses = _first_responses(session, ids)
        updates = []
        for ticket_id, channel, priority, status, created, *old in batch:
            assert ticket_id is not None
            policy = _choose(policies, channel, priority)
            clocks = None
            if policy is not None:
                clocks = _clocks(
                    policy,
                    calendars[policy.calendar_id],
                    rules[policy.calendar_id],
                    created_at=created,
                    status=_status(status),
                    changes=changes[ticket_id],
                    first_response_at=responses.get(ticket_id),
                )
            stored = _stored(policy, clocks)
            new = [stored.policy_id, stored.due_at, stored.due_kind, stored.paused_left]
            if new != old:
                updates.append(
                    {
                        "ticket_id": ticket_id,
                        "policy_id": stored.policy_id,
                        "due_at": stored.due_at,
                        "due_kind": stored.due_kind,
                        "paused_left": stored.paused_left,
                        "moved": stored.due_at != old[1],
                    }
                )
        if updates:
            session.connection().execute(
                table.update()
                .where(table.c.id == bindparam("ticket_id"))
                .values(
                    sla_policy_id=bindparam("policy_id"),
                    sla_due_at=bindparam("due_at", type_=UTCDateTime()),
                    sla_due_kind=bindparam("due_kind"),
                    sla_paused_left=bindparam("paused_left"),
                    sla_warned_at=case(
                        (bindparam("moved", type_=Boolean()), None),
                        else_=table.c.sla_warned_at,
                    ),
                ),
                updates,
            )
            changed += len(updates)
    session.expire_all()
    return changed


# --- what lists and warnings need -----------------------------------------------------


class RulesCache:
    """Calendar rules per policy, read once per list or round."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rules: dict[int, BusinessCalendarRules | None] = {}

    def for_policy(self, policy_id: int | None) -> BusinessCalendarRules | None:
        if policy_id is None:
            return None
        if policy_id not in self._rules:
            calendar = self.session.execute(
                select(BusinessCalendar)
                .join(SlaPolicy, col(SlaPolicy.calendar_id) == BusinessCalendar.id)
                .where(col(SlaPolicy.id) == policy_id)
            ).scalar_one_or_none()
            self._rules[policy_id] = rules_of(calendar) if calendar is not None else None
        return self._rules[policy_id]


def left_minutes(
    cache: RulesCache, *, policy_id: int | None, due_at: datetime | None, now: datetime
) -> int | None:
    """Business minutes until ``due_at`` under the policy's calendar (negative: late)."""
    rules = cache.for_policy(policy_id)
    if rules is None or due_at is None:
        return None
    return math.floor(rules.minutes_between(now, due_at))


def due_within_condition(session: Session, minutes: int, now: datetime) -> ColumnElement[bool]:
    """A WHERE clause: the next deadline is at most ``minutes`` business minutes away
    (or past), in each policy's own calendar."""
    cache = RulesCache(session)
    parts = []
    for policy_id in session.execute(select(col(SlaPolicy.id))).scalars():
        rules = cache.for_policy(policy_id)
        if rules is None:
            continue
        parts.append(
            (col(Ticket.sla_policy_id) == policy_id)
            & (col(Ticket.sla_due_at) <= rules.add(now, minutes))
        )
    if not parts:
        return col(Ticket.id).is_(None)
    return or_(*parts)


# --- warnings -------------------------------------------------------------------------


def _warning_text(ticket: Ticket, kind: str, due_at: datetime, left: int) -> str:
    target = _("first response") if kind == FIRST_RESPONSE else _("solution")
    if left <= 0:
        return _("#{number} {subject}: SLA {target} is overdue by {time}").format(
            number=ticket.number, subject=ticket.subject, target=target, time=format_minutes(-left)
        )
    return _("#{number} {subject}: SLA {target} is due in {time}").format(
        number=ticket.number, subject=ticket.subject, target=target, time=format_minutes(left)
    )


def warn_before_breaches(session: Session, *, now: datetime | None = None) -> list[int]:
    """Warn the owner (and the watchers, where the policy says so) of each ticket whose
    next deadline is within its policy's lead time or already past, once per deadline.

    Each warning is claimed first by a conditional UPDATE of ``sla_warned_at``: of two
    workers at the same time only one changes the row, and only that one warns.
    Returns the warned tickets' numbers.
    """
    from tix.core.services.notifications import (
        notify_user,
        queue_notification_mail,
        watching_users,
    )

    now = now or utcnow()
    cache = RulesCache(session)
    warned: list[int] = []
    for policy in session.execute(select(SlaPolicy).order_by(col(SlaPolicy.id))).scalars():
        rules = cache.for_policy(policy.id)
        if rules is None:
            continue
        horizon = rules.add(now, policy.warn_before_minutes)
        candidates = session.execute(
            select(col(Ticket.id), col(Ticket.sla_due_at))
            .where(
                col(Ticket.sla_policy_id) == policy.id,
                col(Ticket.sla_warned_at).is_(None),
                col(Ticket.sla_due_at).is_not(None),
                col(Ticket.sla_due_at) <= horizon,
            )
            .order_by(col(Ticket.sla_due_at), col(Ticket.id))
        ).all()
        for ticket_id, due_at in candidates:
            assert due_at is not None
            claimed = session.execute(
                update(Ticket)
                .where(
                    col(Ticket.id) == ticket_id,
                    col(Ticket.sla_warned_at).is_(None),
                    col(Ticket.sla_due_at) == due_at,
                )
                .values(sla_warned_at=now)
                .execution_options(synchronize_session=False)
            )
            if int(getattr(claimed, "rowcount", 0) or 0) != 1:
                continue
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None and ticket.sla_due_kind is not None
            left = math.floor(rules.minutes_between(now, due_at))
            recipients: dict[int | None, User | None] = {
                ticket.owner_id: session.get(User, ticket.owner_id)
            }
            if policy.warn_watchers:
                recipients.update((user.id, user) for user in watching_users(session, ticket))
            for user in recipients.values():
                if user is None or not user.active:
                    continue
                with use_language(user.language or None):
                    text = _warning_text(ticket, ticket.sla_due_kind, due_at, left)
                notify_user(session, user, kind=NotificationKind.SLA, text=text, ticket=ticket)
                if user.notify_by_mail:
                    queue_notification_mail(session, user, ticket, text=text, body="")
            warned.append(ticket.number)
    return warned


def count_breached(session: Session, now: datetime | None = None) -> int:
    return session.execute(
        select(func.count()).select_from(Ticket).where(col(Ticket.sla_due_at) <= (now or utcnow()))
    ).scalar_one()
