"""What a report covers (:class:`ReportScope`), and the SQL every report shares: the
tickets in scope, the period's bounds in UTC and a timestamp's local day.

Days are counted in the report's time zone, in the database: PostgreSQL converts with
``timezone(zone, ts)``; SQLite, which knows no zones, adds the zone's UTC offset, which
changes only at the zone's transitions (two a year in Europe), so the offset is a
``CASE`` over those few instants rather than a table of days.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Date, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import Malformed
from tix.core.i18n import _
from tix.core.models import Contact, Ticket, TicketCategory, TicketStatus, User
from tix.core.models.base import UTCDateTime
from tix.core.permissions import visible_tickets
from tix.core.read_models.reports import ReportPeriodView
from tix.core.timeutil import zone as make_zone

DONE = (TicketStatus.SOLVED.value, TicketStatus.CLOSED.value)
"""Statuses of tickets that need no more work; every other status is backlog."""

MAX_DAYS = 3 * 366
"""The longest report: three years."""


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class ReportScope:
    """A report's period and filters. Filters left empty do not filter; ticket filters
    apply to the tickets' fields as they are now (a ticket moved to another channel counts
    there)."""

    start: date
    """The first day, inclusive (a local date in :attr:`zone`)."""
    end: date
    """The last day, inclusive."""
    viewer: User
    """Only tickets this user may see are counted."""
    period: Period = Period.DAY
    channel_ids: tuple[int, ...] = ()
    owner_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    kind: str | None = None
    """A ticket kind (``mail``, ``request``, ``internal``)."""
    organisation: int | None = None
    """The id of the customers' organisation."""
    zone: str = "UTC"
    """The IANA time zone whose days are counted (the settings' zone)."""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise Malformed(
                _("unknown time zone {zone!r}: give an IANA name such as Europe/Berlin").format(
                    zone=self.zone
                )
            ) from None
        if self.end < self.start:
            raise Malformed(
                _(
                    "the report ends ({end}) before it starts ({start}): swap --from and --to"
                ).format(start=self.start.isoformat(), end=self.end.isoformat())
            )
        if (self.end - self.start).days >= MAX_DAYS:
            raise Malformed(
                _("a report covers at most three years: choose a later --from or earlier --to")
            )

    @property
    def tz(self) -> tzinfo:
        return make_zone(self.zone)

    @property
    def start_utc(self) -> datetime:
        """When the first day begins."""
        return local_midnight(self.start, self.tz)

    @property
    def end_utc(self) -> datetime:
        """When the last day ends (the next day's midnight)."""
        return local_midnight(self.end + timedelta(days=1), self.tz)

    def view(self) -> ReportPeriodView:
        return ReportPeriodView(
            start=self.start, end=self.end, period=self.period.value, timezone=self.zone
        )


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The instant (UTC) the local ``day`` begins in ``zone``."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def ticket_conditions(session: Session, scope: ReportScope) -> list[ColumnElement[bool]]:
    """WHERE clauses on :class:`Ticket`: visible to the viewer and within the filters."""
    found: list[ColumnElement[bool]] = [visible_tickets(session, scope.viewer)]
    if scope.channel_ids:
        found.append(col(Ticket.channel_id).in_(scope.channel_ids))
    if scope.owner_ids:
        found.append(col(Ticket.owner_id).in_(scope.owner_ids))
    if scope.category_ids:
        found.append(
            col(Ticket.id).in_(
                select(col(TicketCategory.ticket_id)).where(
                    col(TicketCategory.category_id).in_(scope.category_ids)
                )
            )
        )
    if scope.kind is not None:
        found.append(col(Ticket.kind) == scope.kind)
    if scope.organisation is not None:
        found.append(
            col(Ticket.customer_id).in_(
                select(col(Contact.id)).where(col(Contact.organization_id) == scope.organisation)
            )
        )
    return found


def within(column: Any, scope: ReportScope) -> ColumnElement[bool]:
    """``column`` (a UTC timestamp) falls on one of the report's days."""
    return and_(column >= scope.start_utc, column < scope.end_utc)


def _transitions(zone: tzinfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """``(from, offset seconds)`` pairs covering ``start`` to ``end``: the zone's UTC
    offset from each instant on (found hour by hour, then to the minute)."""

    def offset(moment: datetime) -> int:
        value = moment.astimezone(zone).utcoffset()
        return int(value.total_seconds()) if value is not None else 0

    found = [(start, offset(start))]
    moment = start
    while moment < end:
        following = moment + timedelta(hours=1)
        if offset(following) != found[-1][1]:
            low, high = moment, following  # the change is in (low, high]
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if offset(middle) == found[-1][1]:
                    low = middle
                else:
                    high = middle
            changed = high.replace(second=0, microsecond=0)
            if offset(changed) == found[-1][1]:
                changed += timedelta(minutes=1)
            found.append((changed, offset(changed)))
        moment = following
    return found


def local_day(session: Session, column: Any, scope: ReportScope) -> ColumnElement[Any]:
    """The local date (in the report's zone) of ``column``, a UTC timestamp, as SQL.

    Valid for timestamps within the report's period; read the result with
    :func:`as_date`."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(scope.zone, column), Date)
    ranges = _transitions(scope.tz, scope.start_utc, scope.end_utc)
    modifiers = [f"{seconds:+d} seconds" for _start, seconds in ranges]
    if len(ranges) == 1:
        return func.date(column, modifiers[0])
    whens = [
        (column < literal(ranges[index + 1][0], UTCDateTime()), modifiers[index])
        for index in range(len(ranges) - 1)
    ]
    return func.date(column, case(*whens, else_=modifiers[-1]))


def as_date(value: Any) -> date:
    """A day read back from :func:`local_day` (a date on PostgreSQL, text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def days(scope: ReportScope) -> Iterator[date]:
    day = scope.start
    while day <= scope.end:
        yield day
        day += timedelta(days=1)


def bucket_start(day: date, period: Period) -> date:
    if period == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if period == Period.MONTH:
        return day.replace(day=1)
    return day


def buckets(scope: ReportScope) -> list[tuple[date, date]]:
    """The report's buckets as ``(first day, last day)``, clipped to its period."""
    found: list[tuple[date, date]] = []
    for day in days(scope):
        if found and bucket_start(day, scope.period) == bucket_start(found[-1][0], scope.period):
            found[-1] = (found[-1][0], day)
        else:
            found.append((day, day))
    return found


def bucket_of(scope: ReportScope) -> dict[date, int]:
    """Each day of the report -> the index of its bucket in :func:`buckets`."""
    index: dict[date, int] = {}
    for number, (first, last) in enumerate(buckets(scope)):
        day = first
        while day <= last:
            index[day] = number
            day += timedelta(days=1)
    return index


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of sorted ``values``, interpolated linearly between
    the two nearest (as PostgreSQL's ``percentile_cont``); ``None`` of nothing."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)
