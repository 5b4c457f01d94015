"""Business time: weekly hours in a zone, public holidays, closed days, DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tix.core.business_time import (
    BusinessCalendarRules,
    describe_hours,
    format_minutes,
    parse_hours,
    parse_region,
    parse_target,
)
from tix.core.errors import Invalid, Malformed

BERLIN = ZoneInfo("Europe/Berlin")


def _berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def _office(**extra: object) -> BusinessCalendarRules:
    return BusinessCalendarRules.from_stored(
        timezone="Europe/Berlin",
        hours=parse_hours(["mon-fri 08:00-17:00"]),
        **extra,  # type: ignore[arg-type]
    )


def test_the_weekend_is_skipped() -> None:
    # Friday 2026-11-27 15:00: two hours left that day, two more on Monday.
    rules = _office()
    due = rules.add(_berlin(2026, 11, 27, 15, 0), 4 * 60)
    assert due == _berlin(2026, 11, 30, 10, 0)
    assert rules.minutes_between(_berlin(2026, 11, 27, 15, 0), due) == 240
    assert rules.minutes_between(due, _berlin(2026, 11, 27, 15, 0)) == -240


def test_a_bavarian_holiday_is_closed_but_not_elsewhere() -> None:
    # Thursday 31 October 2024, 15:00; Friday 1 November is All Saints' Day in Bavaria.
    start = _berlin(2024, 10, 31, 15, 0)
    assert _office(country="DE", subdivision="BY").add(start, 240) == _berlin(2024, 11, 4, 10, 0)
    assert _office(country="DE", subdivision="BE").add(start, 240) == _berlin(2024, 11, 1, 10, 0)


def test_extra_closed_days_are_closed() -> None:
    rules = _office(closed_days=["2026-12-24"])
    assert rules.add(_berlin(2026, 12, 23, 16, 0), 120) == _berlin(2026, 12, 25, 9, 0)


def test_a_work_day_across_the_spring_change_keeps_its_wall_clock_hours() -> None:
    # Friday 27 March 2026 16:00 CET; the clocks go forward on Sunday 29 March. Monday's
    # hours are 08:00-17:00 CEST, one hour earlier in UTC.
    due = _office().add(_berlin(2026, 3, 27, 16, 0), 4 * 60)
    assert due == _berlin(2026, 3, 30, 11, 0)
    assert due == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)


def test_a_work_day_across_the_autumn_change_keeps_its_wall_clock_hours() -> None:
    due = _office().add(_berlin(2026, 10, 23, 16, 0), 2 * 60)
    assert due == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # A 24-hour calendar counts real time: the spring day has 23 hours ...
        ((2026, 3, 28, 12, 0), (2026, 3, 29, 13, 0)),
        # ... and the autumn day 25.
        ((2026, 10, 24, 12, 0), (2026, 10, 25, 11, 0)),
    ],
)
def test_round_the_clock_hours_count_real_time_across_dst(start, due) -> None:
    rules = BusinessCalendarRules.from_stored(
        timezone="Europe/Berlin", hours=parse_hours(["mon-sun 00:00-24:00"])
    )
    assert rules.add(_berlin(*start), 24 * 60) == _berlin(*due)
    assert rules.minutes_between(_berlin(*start), _berlin(*due)) == 24 * 60


def test_weekly_hours_are_read_and_shown() -> None:
    hours = parse_hours(["mo-do 8-12,13-17", "fri 08:00-14:00"])
    assert hours["mon"] == ["08:00-12:00", "13:00-17:00"]
    assert "sat" not in hours
    assert describe_hours(hours) == "mon-thu 08:00-12:00,13:00-17:00; fri 08:00-14:00"
    rules = BusinessCalendarRules.from_stored(timezone="Europe/Berlin", hours=hours)
    # Monday 11:30 + 1h: half an hour before lunch, half an hour after.
    assert rules.add(_berlin(2026, 11, 30, 11, 30), 60) == _berlin(2026, 11, 30, 13, 30)


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ("mon-fri", Malformed, "weekly hours like"),
        ("xyz 8-17", Malformed, "names no weekdays"),
        ("mon 17-8", Malformed, "no range of a day"),
        ("mon 8-12,11-13", Invalid, "overlap"),
        ("fri-mon 8-17", Malformed, "backwards"),
    ],
)
def test_bad_weekly_hours_are_named(spec, error, message) -> None:
    with pytest.raises(error, match=message):
        parse_hours([spec])


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30m", 30), ("4h", 240), ("1h30m", 90), ("1,5h", 90), ("2d", 960), ("1d 4h", 720)],
)
def test_targets_in_business_time(text, minutes) -> None:
    assert parse_target(text) == minutes


@pytest.mark.parametrize("text", ["4", "soon", "4h later", "0h"])
def test_bad_targets_are_refused(text) -> None:
    with pytest.raises(Invalid):
        parse_target(text)


def test_regions_are_checked_against_the_holidays_package() -> None:
    assert parse_region("de-by") == ("DE", "BY")
    assert parse_region("AT") == ("AT", None)
    with pytest.raises(Malformed, match="DE-BY"):
        parse_region("DE-XX")


def test_minutes_are_shown_in_hours() -> None:
    assert [format_minutes(m) for m in (45, 60, 90, -125)] == ["45m", "1h", "1h 30m", "-2h 05m"]


def test_holidays_of_a_year() -> None:
    rules = _office(country="DE", subdivision="BY")
    assert date(2026, 11, 1) in rules.holidays_of(2026)
    assert date(2026, 1, 6) in rules.holidays_of(2026)  # Epiphany, Bavaria
    assert date(2026, 1, 6) not in _office(country="DE", subdivision="BE").holidays_of(2026)


def _walk_minutes(rules: BusinessCalendarRules, start: datetime, end: datetime) -> float:
    """Business minutes counted the slow way: day after day."""
    total = 0.0
    day = start.astimezone(BERLIN).date()
    while day <= end.astimezone(BERLIN).date():
        for opens, closes in rules.open_ranges(day):
            opens, closes = max(opens, start), min(closes, end)
            if closes > opens:
                total += (closes - opens).total_seconds() / 60
        day = date.fromordinal(day.toordinal() + 1)
    return total


@settings(max_examples=300, deadline=None)
@given(
    start=st.integers(min_value=0, max_value=2 * 365 * 24 * 60),
    length=st.integers(min_value=0, max_value=120 * 24 * 60),
    target=st.integers(min_value=1, max_value=60 * 8 * 60),
)
def test_the_running_sums_agree_with_a_walk_over_the_days(start, length, target) -> None:
    rules = BusinessCalendarRules.from_stored(
        timezone="Europe/Berlin",
        hours=parse_hours(["mon-thu 08:00-12:00,13:00-17:30", "fri 08:00-14:00", "sat 0-24"]),
        country="DE",
        subdivision="BY",
        closed_days=["2025-12-24", "2026-12-31"],
    )
    begin = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=start)
    end = begin + timedelta(minutes=length)
    assert rules.minutes_between(begin, end) == pytest.approx(_walk_minutes(rules, begin, end))
    due = rules.add(begin, target)
    assert _walk_minutes(rules, begin, due) == pytest.approx(target)
    assert rules.minutes_between(begin, due) == pytest.approx(target)
