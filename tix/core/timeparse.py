"""What people type for durations, days and alarm times, in English and German.

Three readers, each raising :class:`~tix.core.errors.Invalid` with one line that names
the problem and the fix:

:func:`parse_duration` -> minutes
    ``1h30m``, ``1h 30m``, ``1h30``, ``90m``, ``90min``, ``1.5h``, ``1,5h``, ``1:30``,
    ``1,5 Std``, ``1.5 hours``, ``30 Minuten``, ``1 hour and 30 minutes``. Fractions of an
    hour are rounded to the nearest minute (``0.33h`` is 20 minutes); minutes are whole.
    A bare number (``90``) is refused because it could mean minutes or hours; one entry
    is at most :data:`MAX_DURATION_MINUTES`.

:func:`parse_day` -> a date, for booking times, so it leans to the past
    ``today``/``heute``, ``yesterday``/``gestern``, ``tomorrow``/``morgen``,
    ``vorgestern``, ``übermorgen``, ``2026-11-27``, ``27.11.2026``, ``27.11.26``,
    ``27.11.`` (the year of ``today``, even when that day is still ahead), a weekday
    (``mon``/``monday``/``mo``/``montag`` ...: the most recent one on or before
    ``today``), ``+3d``/``-2d``/``-1w``.

:func:`parse_when` -> an aware UTC datetime, for alarms, so it leans to the future
    ISO (``2026-03-29 02:30``, ``2026-03-29T09:00``, ``2026-03-29T09:00+02:00``), German
    (``29.03.2026 09:00``, ``29.03. 9:00``), a date alone (at :data:`DEFAULT_ALARM_HOUR`),
    ``tomorrow 09:00``/``morgen 9``/``übermorgen 9``/``today 17:30``/``heute 17:30``, a
    weekday and time (``mon 8:00``, ``montag 8:00``), a bare time (``14:00``, ``9 uhr``,
    ``2pm``) and relative times (``+2h``, ``+90m``, ``+1h30m``, ``+3d``, ``+1w``, ``in 2 hours``,
    ``in 3 Tagen``).

Daylight saving time, for every wall-clock time read in the user's zone:

* A time in the spring-forward gap does not exist; it moves forward by the length of the
  gap (2026-03-29 02:30 Europe/Berlin -> 03:30 CEST = 01:30 UTC), the way a clock that
  was set before the change would ring.
* A time in the fall-back overlap happens twice; the first one is taken, summer time,
  ``fold=0`` (2026-10-25 02:30 Europe/Berlin -> 02:30 CEST = 00:30 UTC).
* Relative hours and minutes are elapsed time (``+24h`` is always 24 real hours);
  relative days and weeks are calendar steps that keep the local wall-clock time
  (``+1d`` across a change is 23 or 25 real hours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from dateutil import tz

from tix.core.errors import Invalid, Malformed
from tix.core.i18n import _

__all__ = [
    "DEFAULT_ALARM_HOUR",
    "MAX_DURATION_MINUTES",
    "parse_day",
    "parse_duration",
    "parse_when",
]

DEFAULT_ALARM_HOUR = 9
"""The local hour an alarm given only as a day (``2026-03-30``, ``tomorrow``, ``mon``) rings."""

MAX_DURATION_MINUTES = 24 * 60
"""The longest duration one time entry may have; longer work is booked as several entries."""

_MAX_INPUT_LENGTH = 100
"""Longer input is refused outright, so no reader does arithmetic on absurd numbers."""

_MINUTES, _HOURS, _DAYS, _WEEKS = "minutes", "hours", "days", "weeks"
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "minuten"), _MINUTES),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden"), _HOURS),
    **dict.fromkeys(("d", "day", "days", "tag", "tage", "tagen"), _DAYS),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks", "woche", "wochen"), _WEEKS),
}
"""Unit words (casefolded, without a trailing dot) and the unit they stand for."""

_FILLERS = frozenset(("and", "und"))
"""Words allowed between the parts of ``1 hour and 30 minutes``."""

_WEEKDAYS = {
    **dict.fromkeys(("mon", "monday", "mo", "montag"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday", "di", "dienstag"), 1),
    **dict.fromkeys(("wed", "wednesday", "mi", "mittwoch"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday", "do", "donnerstag"), 3),
    **dict.fromkeys(("fri", "friday", "fr", "freitag"), 4),
    **dict.fromkeys(("sat", "saturday", "sa", "samstag", "sonnabend"), 5),
    **dict.fromkeys(("sun", "sunday", "so", "sonntag"), 6),
}
"""Weekday names and abbreviations (casefolded) and their ``date.weekday()`` number."""

_TODAY_WORDS = frozenset(("today", "heute"))
_YESTERDAY_WORDS = frozenset(("yesterday", "gestern"))
_TOMORROW_WORDS = frozenset(("tomorrow", "morgen"))
_RELATIVE_DAYS = {
    **dict.fromkeys(_TODAY_WORDS, 0),
    **dict.fromkeys(_YESTERDAY_WORDS, -1),
    **dict.fromkeys(_TOMORROW_WORDS, 1),
    "übermorgen": 2,
    "vorgestern": -2,
}
"""Days named by their distance from today (casefolded)."""

_TOKEN = re.compile(r"\s*(?:(?P<number>[0-9]+(?:[.,][0-9]+)?)|(?P<word>[^\W\d_]+)\.?)")
_HOURS_AND_MINUTES = re.compile(r"([0-9]{1,2}):([0-5][0-9])")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?=$|t|\s)t?")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}|[0-9]{2})?(?=$|\s|,)")
_WORD = re.compile(r"([^\W\d_]+)\.?(?=$|\s|,)")
_CLOCK = re.compile(
    r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?"
    r"\s*(?P<suffix>am|pm|uhr)?"
)
_OFFSET = re.compile(r"\s*(?P<offset>z|[+-][0-9]{2}(?::?[0-9]{2})?)$")
_AT = re.compile(r"^[,\s]*(?:(?:at|um)\s+)?")
_RELATIVE = re.compile(r"(?:\+|in\s)\s*(?P<amount>.+)")
_SIGNED_DAYS = re.compile(r"(?P<sign>[+-])\s*(?P<amount>[0-9]+)\s*(?P<unit>[^\W\d_]+)\.?")


# -- durations ----------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """The minutes in ``text``, a positive duration of at most 24 hours.

    Accepts ``1h30m``, ``1h 30m``, ``1h30``, ``90m``, ``90min``, ``1.5h``, ``1,5h`` (German
    decimal comma), ``1:30``, ``0:45``, ``2h``, ``45m``, ``1,5 Std``, ``1.5 hours``,
    ``30 Minuten``, ``1 hour and 30 minutes``. Hours may have a fraction, rounded to the
    nearest minute; minutes are whole. Refuses zero, negative and empty durations, a bare
    number (``90``: minutes or hours?), more than :data:`MAX_DURATION_MINUTES`, and junk.
    """
    cleaned = text.strip().casefold()
    negative = cleaned.startswith("-")
    body = cleaned[1:] if negative else cleaned
    tokens = _tokens(body)
    if tokens is not None and len(tokens) == 1 and tokens[0].is_number:
        number = tokens[0].text
        if _decimal(number) == 0:
            raise _not_positive(text)
        if "." in number or "," in number:
            raise _not_a_duration(text)
        raise Malformed(
            _("{text!r} has no unit: write {number}m for minutes or {number}h for hours").format(
                text=text, number=number
            )
        )
    minutes = _duration_minutes(body, tokens)
    if minutes is None:
        raise _not_a_duration(text)
    if negative or minutes <= 0:
        raise _not_positive(text)
    if minutes > MAX_DURATION_MINUTES:
        raise Malformed(
            _(
                "{text!r} is more than {hours} hours: book at most {hours}h in one entry "
                "and split longer work into several"
            ).format(text=text, hours=MAX_DURATION_MINUTES // 60)
        )
    return minutes


def _duration_minutes(body: str, tokens: list[_Token] | None) -> int | None:
    """The minutes ``body`` stands for, rounded; ``None`` when it is not a duration."""
    clock = _HOURS_AND_MINUTES.fullmatch(body)
    if clock:
        return int(clock.group(1)) * 60 + int(clock.group(2))
    if not tokens:
        return None
    words = [token for token in tokens if token.text not in _FILLERS]
    hours: Decimal | None = None
    minutes: Decimal | None = None
    index = 0
    while index < len(words):
        number = words[index]
        unit = words[index + 1] if index + 1 < len(words) else None
        if not number.is_number or (unit is not None and unit.is_number):
            return None
        kind = _UNITS.get(unit.text) if unit is not None else None
        if unit is None:
            # "1h30": trailing whole minutes after the hours
            if hours is None or minutes is not None or not number.text.isdigit():
                return None
            kind = _MINUTES
        value = _decimal(number.text)
        if kind == _HOURS and hours is None and minutes is None:
            hours = value
        elif kind == _MINUTES and minutes is None and number.text.isdigit():
            if hours is not None and value >= 60:
                return None  # "1h70"
            minutes = value
        else:
            return None  # days, repeated or misordered parts, fractional minutes
        index += 2
    total = (hours or Decimal(0)) * 60 + (minutes or Decimal(0))
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _not_a_duration(text: str) -> Malformed:
    return Malformed(
        _("{text!r} is not a duration: write it like 1h30m, 90m, 1.5h or 1:30").format(text=text)
    )


def _not_positive(text: str) -> Malformed:
    return Malformed(
        _("{text!r} is not more than zero: a duration is at least 1m").format(text=text)
    )


# -- days ---------------------------------------------------------------------------------


def parse_day(text: str, *, today: date) -> date:
    """The day ``text`` names, seen from ``today``; meant for booking times.

    Accepts ``today``/``heute``, ``yesterday``/``gestern``, ``tomorrow``/``morgen``, ISO
    ``2026-11-27``, German ``27.11.2026``, ``27.11.26`` (20xx) and ``27.11.`` (the year of
    ``today``, even if that day is still ahead: in January ``27.11.`` is November of the
    same year), ``+N d``/``-N d`` and ``+N w``/``-N w`` (``d``, ``days``, ``Tage`` ...).

    A weekday (``mon``..``sun``, ``monday``, ``mo``..``so``, ``montag`` ...) is the most
    recent such day on or before ``today``: time is booked for work already done, so on
    a Wednesday ``mon`` is two days ago and ``wed`` is today.
    """
    cleaned = " ".join(text.casefold().split())
    if len(cleaned) > _MAX_INPUT_LENGTH:
        raise _not_a_day(text)
    try:
        return _day(cleaned, text, today=today)
    except OverflowError:
        raise _out_of_range(text) from None


def _day(cleaned: str, text: str, *, today: date) -> date:
    if cleaned in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[cleaned])
    weekday = _WEEKDAYS.get(cleaned.removesuffix("."))
    if weekday is not None:
        return today - timedelta(days=(today.weekday() - weekday) % 7)
    signed = _SIGNED_DAYS.fullmatch(cleaned)
    if signed:
        unit = _UNITS.get(signed.group("unit"))
        if unit not in (_DAYS, _WEEKS):
            raise _not_a_day(text)
        days = int(signed.group("amount")) * (7 if unit == _WEEKS else 1)
        return today + timedelta(days=days if signed.group("sign") == "+" else -days)
    day, rest = _calendar_date(cleaned, text, today=today)
    if day is None or rest:
        raise _not_a_day(text)
    return day


def _calendar_date(cleaned: str, text: str, *, today: date) -> tuple[date | None, str]:
    """An ISO or German date at the start of ``cleaned``, and the text after it."""
    iso = _ISO_DATE.match(cleaned)
    german = _GERMAN_DATE.match(cleaned)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
        rest = cleaned[iso.end() :]
    elif german:
        day, month = int(german.group(1)), int(german.group(2))
        written_year = german.group(3)
        if written_year is None:
            year = today.year
        else:
            year = int(written_year) + (2000 if len(written_year) == 2 else 0)
        rest = cleaned[german.end() :]
    else:
        return None, cleaned
    try:
        return date(year, month, day), rest.strip()
    except ValueError:
        raise Malformed(
            _("{text!r} is not a valid date: there is no such day, check day and month").format(
                text=text
            )
        ) from None


def _not_a_day(text: str) -> Malformed:
    return Malformed(
        _(
            "{text!r} is not a day: write it like today, yesterday, 2026-11-27, 27.11.2026, "
            "27.11., mon or -2d"
        ).format(text=text)
    )


def _out_of_range(text: str) -> Malformed:
    return Malformed(
        _("{text!r} is too far away: give a date between the years 1 and 9999").format(text=text)
    )


# -- alarm times --------------------------------------------------------------------------


def parse_when(text: str, *, now: datetime, zone: tzinfo) -> datetime:
    """The alarm time ``text`` means, typed by someone in ``zone``, as an aware UTC datetime.

    Forms (wall-clock times are read in ``zone``):

    * ISO, with or without offset: ``2026-03-29 02:30``, ``2026-03-29T09:00``,
      ``2026-03-29T09:00+02:00``, ``...Z``; German ``29.03.2026 09:00``, ``29.03. 9:00``
      (no year: the year of today in ``zone``; if that is past, the error says so).
    * A date alone (``2026-03-30``, ``30.03.2026``, ``tomorrow``, ``mon``) rings at
      :data:`DEFAULT_ALARM_HOUR`:00 local time.
    * ``tomorrow 09:00``, ``morgen 9``, ``today 17:30``, ``heute um 17:30``.
    * A weekday and time (``mon 8:00``, ``monday 8:00``, ``mo 8:00``, ``montag 8:00``): that
      weekday this week if it is today and the time is still ahead, else the next one.
    * A bare time (``14:00``, ``9 uhr``, ``2pm``; a bare ``9`` is refused as unclear):
      today if still ahead, else tomorrow.
    * Relative: ``+2h``, ``+90m``, ``+1h30m``, ``+3d``, ``+1w``, ``in 2 hours``,
      ``in 3 days``, ``in 2 Stunden``, ``in 3 Tagen``. Hours and minutes are elapsed time;
      days and weeks keep the local wall-clock time, so ``+1d`` across a daylight-saving
      change is 23 or 25 real hours.

    A wall-clock time in the spring-forward gap moves forward by the gap (2026-03-29 02:30
    Europe/Berlin -> 03:30 CEST); one in the fall-back overlap is the first of the two,
    summer time (``fold=0``).

    Raises :class:`Invalid` for anything else and for a time that is not after ``now``.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    cleaned = " ".join(text.casefold().split())
    if not cleaned or len(cleaned) > _MAX_INPUT_LENGTH:
        raise _not_a_time(text)
    try:
        relative = _RELATIVE.fullmatch(cleaned)
        if relative:
            result = _relative(relative.group("amount"), text, now=now, zone=zone)
        else:
            result = _absolute(cleaned, text, now=now, zone=zone)
    except OverflowError:
        raise _out_of_range(text) from None
    if result <= now:
        local = result.astimezone(zone)
        raise Invalid(
            _(
                "{text!r} is {when}, which is not in the future: give a later time, "
                "like tomorrow 9:00 or +2h"
            ).format(text=text, when=f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip())
        )
    return result


def _relative(amount: str, text: str, *, now: datetime, zone: tzinfo) -> datetime:
    """``now`` moved by ``amount`` (``2h``, ``1h30m``, ``3 days``): see :func:`parse_when`."""
    tokens = _tokens(amount)
    if not tokens:
        raise _not_a_time(text)
    steps: dict[str, int] = {}
    words = [token for token in tokens if token.text not in _FILLERS]
    if len(words) % 2:
        raise _not_a_time(text)
    for number, unit in zip(words[::2], words[1::2], strict=True):
        kind = _UNITS.get(unit.text)
        if not number.text.isdigit() or kind is None or kind in steps:
            raise _not_a_time(text)
        steps[kind] = int(number.text)
    days = steps.get(_DAYS, 0) + 7 * steps.get(_WEEKS, 0)
    result = now.astimezone(UTC)
    if days:
        wall = now.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
        result = _to_utc(wall, zone)
    return result + timedelta(hours=steps.get(_HOURS, 0), minutes=steps.get(_MINUTES, 0))


def _absolute(cleaned: str, text: str, *, now: datetime, zone: tzinfo) -> datetime:
    """A day (or none: today or tomorrow) and a time of day: see :func:`parse_when`."""
    local_now = now.astimezone(zone)
    today = local_now.date()
    day, rest = _calendar_date(cleaned, text, today=today)
    if day is not None:
        if _ISO_DATE.match(cleaned):
            offset = _OFFSET.search(rest)
            if offset and rest[: offset.start()].strip():
                clock = _clock(rest[: offset.start()], text, required=True)
                fixed = _fixed_zone(offset.group("offset"), text)
                written = datetime.combine(day, clock, tzinfo=fixed)
                return written.astimezone(UTC)
        return _to_utc(datetime.combine(day, _clock(rest, text)), zone)
    word = _WORD.match(cleaned)
    if word:
        name = word.group(1)
        rest = cleaned[word.end() :]
        if name in _RELATIVE_DAYS and _RELATIVE_DAYS[name] >= 0:
            day = today + timedelta(days=_RELATIVE_DAYS[name])
            return _to_utc(datetime.combine(day, _clock(rest, text)), zone)
        weekday = _WEEKDAYS.get(name)
        if weekday is None:
            raise _not_a_time(text)
        clock = _clock(rest, text)
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        result = _to_utc(datetime.combine(day, clock), zone)
        if result <= now:
            result = _to_utc(datetime.combine(day + timedelta(days=7), clock), zone)
        return result
    clock = _clock(cleaned, text, required=True, bare=True)
    result = _to_utc(datetime.combine(today, clock), zone)
    if result <= now:
        result = _to_utc(datetime.combine(today + timedelta(days=1), clock), zone)
    return result


def _clock(rest: str, text: str, *, required: bool = False, bare: bool = False) -> time:
    """The time of day in ``rest`` (after a day, ``at``/``um`` allowed before it).

    Empty ``rest`` is :data:`DEFAULT_ALARM_HOUR` unless ``required``. A ``bare`` time (no
    day before it) needs minutes or a suffix: ``9`` alone could be anything.
    """
    rest = _AT.sub("", rest, count=1).strip()
    if not rest:
        if required:
            raise _not_a_time(text)
        return time(DEFAULT_ALARM_HOUR)
    match = _CLOCK.fullmatch(rest)
    if not match or (bare and match.group("minute") is None and match.group("suffix") is None):
        raise _not_a_time(text)
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    second = int(match.group("second") or 0)
    suffix = match.group("suffix")
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            raise _no_such_time(text)
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _no_such_time(text)
    return time(hour, minute, second)


def _fixed_zone(offset: str, text: str) -> tzinfo:
    """The zone of an ISO offset: ``z``, ``+02``, ``+0200``, ``-02:30``."""
    if offset == "z":
        return UTC
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise _not_a_time(text)
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def _to_utc(wall: datetime, zone: tzinfo) -> datetime:
    """The instant the naive local ``wall`` time names in ``zone``.

    In a fall-back overlap the first occurrence (``fold=0``, summer time); in a
    spring-forward gap the time moved forward by the gap (02:30 -> 03:30).
    """
    local = wall.replace(tzinfo=zone, fold=0)
    if not tz.datetime_exists(local):
        local = tz.resolve_imaginary(local)
    return local.astimezone(UTC)


def _not_a_time(text: str) -> Malformed:
    return Malformed(
        _(
            "{text!r} is not an alarm time: write it like 2026-03-30 09:00, 30.03. 9:00, "
            "tomorrow 9:00, mon 8:00, 14:00 or +2h"
        ).format(text=text)
    )


def _no_such_time(text: str) -> Malformed:
    return Malformed(
        _(
            "{text!r} has no such time of day: hours go from 0 to 23 and minutes from 0 to 59, "
            "like 9:00 or 17:30"
        ).format(text=text)
    )


# -- shared -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    is_number: bool


def _tokens(text: str) -> list[_Token] | None:
    """``text`` split into numbers and words (a word's trailing dot dropped); ``None`` if
    anything else is in it."""
    if len(text) > _MAX_INPUT_LENGTH:
        return None
    tokens: list[_Token] = []
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _TOKEN.match(text, position)
        if not match:
            return None
        number = match.group("number")
        tokens.append(_Token(number, True) if number else _Token(match.group("word"), False))
        position = match.end()
    return tokens


def _decimal(number: str) -> Decimal:
    """A number as written, with a decimal point or a German decimal comma."""
    return Decimal(number.replace(",", "."))
