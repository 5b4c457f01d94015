"""Business time: weekly opening hours in a time zone, public holidays and extra closed
days, and the arithmetic SLA clocks need (add business minutes to a moment, count the
business minutes between two moments).

Pure: no database. Every moment in and out is an aware UTC datetime; the hours are
wall-clock hours in the calendar's zone, so a working day across a daylight-saving
change is as long as it is on the wall (08:00-17:00 is nine real hours on the day the
clocks change too) and a 24-hour day (``00:00-24:00``) has 23 or 25 real hours then.

What people type:

* Weekly hours: ``mon-fri 08:00-17:00``, ``mon-thu 8-12,13-17``, ``sat 09:00-12:00``,
  ``mo-fr 08:00-17:00`` (German day names too). Several ranges per day, comma-separated;
  several specs together add up. ``00:00-24:00`` is the whole day.
* Targets (:func:`parse_target`): ``30m``, ``4h``, ``1h30m``, ``1.5h``, ``2d``, ``1d 4h``.
  A day (``d``, ``Tag``) is :data:`BUSINESS_DAY_MINUTES`, eight business hours, as in work
  logs (Jira's ``1d = 8h``), whatever hours the calendar has on a given day.
* Holidays: a country and an optional subdivision, ``DE`` or ``DE-BY``, as the
  ``holidays`` package knows them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tix.core.errors import Invalid, Malformed
from tix.core.i18n import _

BUSINESS_DAY_MINUTES = 8 * 60
"""What ``1d`` in a target means: eight business hours."""

MAX_TARGET_MINUTES = 365 * BUSINESS_DAY_MINUTES
"""The longest target a policy may have."""

MAX_SEARCH_DAYS = 3 * 366
"""How far :func:`BusinessCalendarRules.add` looks for open hours before giving up."""

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""How weekdays are stored (``date.weekday()`` order)."""

_DAY_WORDS = {
    **dict.fromkeys(("mon", "monday", "mo", "montag"), 0),
    **dict.fromkeys(("tue", "tuesday", "di", "dienstag"), 1),
    **dict.fromkeys(("wed", "wednesday", "mi", "mittwoch"), 2),
    **dict.fromkeys(("thu", "thursday", "do", "donnerstag"), 3),
    **dict.fromkeys(("fri", "friday", "fr", "freitag"), 4),
    **dict.fromkeys(("sat", "saturday", "sa", "samstag"), 5),
    **dict.fromkeys(("sun", "sunday", "so", "sonntag"), 6),
}
_SPEC = re.compile(r"^\s*(?P<days>[^\s\d]+)\s+(?P<ranges>.+?)\s*$")
_RANGE = re.compile(
    r"^\s*(?P<h1>\d{1,2})(?::(?P<m1>\d{2}))?\s*-\s*(?P<h2>\d{1,2})(?::(?P<m2>\d{2}))?\s*$"
)
_TARGET_PART = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)?)\s*"
    r"(?P<unit>d|tag|tage|days?|h|std|hours?|m|min|minutes?)(?![^\W\d_])"
)

Range = tuple[int, int]
"""Opening hours of one day: (first minute, end minute) after local midnight; end ≤ 1440."""


def _hours_help() -> str:
    return _("give weekly hours like 'mon-fri 08:00-17:00' or 'mon-thu 8-12,13-17'")


def _days(text: str, spec: str) -> list[int]:
    days: list[int] = []
    for part in text.casefold().split(","):
        first, _dash, last = part.partition("-")
        if first not in _DAY_WORDS or (last and last not in _DAY_WORDS):
            raise Malformed(
                _("{spec!r} names no weekdays: {hint}").format(spec=spec, hint=_hours_help())
            )
        start = _DAY_WORDS[first]
        end = _DAY_WORDS[last] if last else start
        if end < start:
            raise Malformed(
                _("{spec!r}: the days run backwards: {hint}").format(spec=spec, hint=_hours_help())
            )
        days.extend(range(start, end + 1))
    return days


def _range(text: str, spec: str) -> Range:
    found = _RANGE.match(text)
    if found is None:
        raise Malformed(
            _("{spec!r} has no hours like 08:00-17:00: {hint}").format(
                spec=spec, hint=_hours_help()
            )
        )
    start = int(found["h1"]) * 60 + int(found["m1"] or 0)
    end = int(found["h2"]) * 60 + int(found["m2"] or 0)
    if int(found["m1"] or 0) > 59 or int(found["m2"] or 0) > 59 or not 0 <= start < end <= 1440:
        raise Malformed(
            _("{spec!r}: {hours} is no range of a day (00:00 to 24:00, start before end)").format(
                spec=spec, hours=text.strip()
            )
        )
    return start, end


def parse_hours(specs: Sequence[str]) -> dict[str, list[str]]:
    """Weekly hours from specs like ``mon-fri 08:00-17:00``, as stored: weekday key ->
    sorted ``HH:MM-HH:MM`` ranges. Overlapping ranges and a week without hours are
    refused."""
    week: dict[int, list[Range]] = {day: [] for day in range(7)}
    for spec in specs:
        found = _SPEC.match(spec)
        if found is None:
            raise Malformed(_("{spec!r}: {hint}").format(spec=spec, hint=_hours_help()))
        ranges = [_range(part, spec) for part in found["ranges"].split(",")]
        for day in _days(found["days"], spec):
            week[day].extend(ranges)
    stored: dict[str, list[str]] = {}
    for day, ranges in week.items():
        ranges.sort()
        for (_s1, end), (start, _e2) in pairwise(ranges):
            if start < end:
                raise Invalid(
                    _("the hours of {day} overlap: give each time once").format(
                        day=WEEKDAY_KEYS[day]
                    )
                )
        if ranges:
            stored[WEEKDAY_KEYS[day]] = [f"{_clock(s)}-{_clock(e)}" for s, e in ranges]
    if not stored:
        raise Invalid(_("a calendar needs open hours: {hint}").format(hint=_hours_help()))
    return stored


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_hours(hours: Mapping[str, Sequence[str]]) -> str:
    """Stored weekly hours as one compact line: ``mon-fri 08:00-17:00; sat 09:00-12:00``."""
    parts: list[str] = []
    day = 0
    while day < 7:
        ranges = list(hours.get(WEEKDAY_KEYS[day], ()))
        last = day
        while last + 1 < 7 and list(hours.get(WEEKDAY_KEYS[last + 1], ())) == ranges:
            last += 1
        if ranges:
            days = WEEKDAY_KEYS[day] if last == day else f"{WEEKDAY_KEYS[day]}-{WEEKDAY_KEYS[last]}"
            parts.append(f"{days} {','.join(ranges)}")
        day = last + 1
    return "; ".join(parts)


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Malformed(
            _("unknown time zone {name!r}: give an IANA name like Europe/Berlin").format(name=name)
        ) from None


def parse_region(text: str) -> tuple[str, str | None]:
    """``DE`` or ``DE-BY`` -> (country, subdivision), checked against the ``holidays``
    package."""
    # holidays loads its country modules on first use (~30 ms): only where asked for.
    import holidays

    country, _dash, subdivision = text.strip().upper().partition("-")
    try:
        holidays.country_holidays(country, subdiv=subdivision or None, years=2000)
    except NotImplementedError:
        raise Malformed(
            _(
                "no public holidays known for {region!r}: give a country code and optionally "
                "a state, like DE or DE-BY"
            ).format(region=text)
        ) from None
    return country, subdivision or None


def parse_target(text: str) -> int:
    """Business minutes from ``30m``, ``4h``, ``1h30m``, ``1.5h``, ``2d``, ``1d 4h``; a day
    is :data:`BUSINESS_DAY_MINUTES`."""
    cleaned = text.strip().casefold()
    total = 0.0
    position = 0
    for found in _TARGET_PART.finditer(cleaned):
        if cleaned[position : found.start()].strip():
            break
        number = float(found["number"].replace(",", "."))
        unit = found["unit"]
        if unit in ("d", "tag", "tage", "day", "days"):
            total += number * BUSINESS_DAY_MINUTES
        elif unit in ("h", "std", "hour", "hours"):
            total += number * 60
        else:
            total += number
        position = found.end()
    if position == 0 or cleaned[position:].strip():
        raise Malformed(
            _(
                "{text!r} is no business time: give it like 30m, 4h, 1h30m or 2d "
                "(a day is 8 business hours)"
            ).format(text=text)
        )
    minutes = round(total)
    if not 0 < minutes <= MAX_TARGET_MINUTES:
        raise Invalid(
            _("{text!r} is out of range: give more than 0 and at most 365d").format(text=text)
        )
    return minutes


def format_minutes(minutes: int) -> str:
    """``1h 30m``, ``45m``, ``-2h``; days are not used, business days vary."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours}h {rest:02d}m"
    if hours:
        return f"{sign}{hours}h"
    return f"{sign}{rest}m"


def sla_text(left_minutes: int | None, *, paused: bool) -> str:
    """Time left as lists show it: ``2h 30m``, ``-45m`` (overdue), ``⏸ 3h`` (paused)."""
    if left_minutes is None:
        return ""
    text = format_minutes(left_minutes)
    return f"⏸ {text}" if paused else text


@dataclass
class BusinessCalendarRules:
    """A calendar as the clocks use it: read from a stored calendar by
    :meth:`from_stored`, or made directly in tests."""

    zone: ZoneInfo
    week: tuple[tuple[Range, ...], ...]
    """Per weekday (Monday first), the open ranges."""
    country: str | None = None
    subdivision: str | None = None
    closed_days: frozenset[date] = frozenset()
    _holidays: dict[int, dict[date, str]] = field(default_factory=dict, repr=False)
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, repr=False
    )
    _first: int | None = field(default=None, repr=False)
    _sums: list[float] = field(default_factory=list, repr=False)

    @classmethod
    def from_stored(
        cls,
        *,
        timezone: str,
        hours: Mapping[str, Sequence[str]],
        country: str | None = None,
        subdivision: str | None = None,
        closed_days: Sequence[str] = (),
    ) -> BusinessCalendarRules:
        week = tuple(
            tuple(_range(text, text) for text in hours.get(key, ())) for key in WEEKDAY_KEYS
        )
        return cls(
            zone=parse_zone(timezone),
            week=week,
            country=country or None,
            subdivision=subdivision or None,
            closed_days=frozenset(date.fromisoformat(day) for day in closed_days),
        )

    def holidays_of(self, year: int) -> dict[date, str]:
        """The public holidays of ``year`` (names in English), empty without a country."""
        if self.country is None:
            return {}
        if year not in self._holidays:
            # holidays loads its country modules on first use: only when a clock runs.
            import holidays

            found: Any = holidays.country_holidays(
                self.country, subdiv=self.subdivision, years=year
            )
            self._holidays[year] = dict(found.items())
        return self._holidays[year]

    def is_closed(self, day: date) -> bool:
        return day in self.closed_days or day in self.holidays_of(day.year)

    def open_ranges(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The UTC moments the calendar is open on the local ``day`` (kept per day)."""
        found = self._days.get(day)
        if found is None:
            found = ()
            if not self.is_closed(day):
                found = tuple(
                    (self._moment(day, start), self._moment(day, end))
                    for start, end in self.week[day.weekday()]
                )
            self._days[day] = found
        return found

    def _moment(self, day: date, minute: int) -> datetime:
        if minute >= 1440:
            day, minute = day + timedelta(days=1), minute - 1440
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return local.astimezone(UTC)

    def _open_seconds(self, day: date) -> float:
        return sum((closes - opens).total_seconds() for opens, closes in self.open_ranges(day))

    def _before(self, day: date) -> float:
        """Open seconds of the days from a fixed first day up to (not including) ``day``:
        a running sum, so long spans cost two look-ups instead of a walk over each day.
        A day before the first starts the sums again there: subtract only values read
        in ascending order of their days."""
        ordinal = day.toordinal()
        if self._first is None or ordinal < self._first:
            first = ordinal - 31
            self._sums = [0.0]
            self._first = first
        assert self._first is not None
        while len(self._sums) <= ordinal - self._first:
            past = date.fromordinal(self._first + len(self._sums) - 1)
            self._sums.append(self._sums[-1] + self._open_seconds(past))
        return self._sums[ordinal - self._first]

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` business minutes after ``start``."""
        remaining = timedelta(minutes=minutes)
        if remaining <= timedelta(0):
            return start
        day = self._local_day(start)
        for opens, closes in self.open_ranges(day):
            opens = max(opens, start)
            if closes <= opens:
                continue
            if closes - opens >= remaining:
                return opens + remaining
            remaining -= closes - opens
        # Whole days from the next one on: find the day the sum reaches the rest.
        wanted = remaining.total_seconds()
        first = day + timedelta(days=1)
        base = self._before(first)
        low, high = first.toordinal(), first.toordinal() + MAX_SEARCH_DAYS
        if self._before(date.fromordinal(high)) - base < wanted:
            raise Invalid(
                _("the calendar has no open hours within {days} days: check its hours").format(
                    days=MAX_SEARCH_DAYS
                )
            )
        while low < high:  # the first day whose end reaches the rest
            middle = (low + high) // 2
            if self._before(date.fromordinal(middle + 1)) - base >= wanted:
                high = middle
            else:
                low = middle + 1
        target = date.fromordinal(low)
        remaining = timedelta(seconds=wanted - (self._before(target) - base))
        for opens, closes in self.open_ranges(target):
            if closes - opens >= remaining:
                return opens + remaining
            remaining -= closes - opens
        return self.open_ranges(target)[-1][1]  # pragma: no cover - rounding

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.minutes_between(end, start)
        first, last = self._local_day(start), self._local_day(end)
        if first == last:
            return self._within(first, start, end) / 60
        total = self._within(first, start, end) + self._within(last, start, end)
        if last.toordinal() - first.toordinal() > 1:
            # the earlier day first: a look-up before the running sums' first day
            # starts them again from there
            after_first = self._before(first + timedelta(days=1))
            total += self._before(last) - after_first
        return total / 60

    def _within(self, day: date, start: datetime, end: datetime) -> float:
        """Open seconds of ``day`` between ``start`` and ``end``."""
        total = 0.0
        for opens, closes in self.open_ranges(day):
            opens, closes = max(opens, start), min(closes, end)
            if closes > opens:
                total += (closes - opens).total_seconds()
        return total
