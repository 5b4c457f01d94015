"""Reading durations, days and alarm times as people type them, across daylight saving.

Every test passes ``now``/``today`` explicitly and uses the real Europe/Berlin zone, whose
2026 changes are: spring forward Sunday 2026-03-29 02:00 CET -> 03:00 CEST, fall back
Sunday 2026-10-25 03:00 CEST -> 02:00 CET.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz
from hypothesis import given
from hypothesis import strategies as st

from tix.core.errors import Invalid
from tix.core.i18n import use_language
from tix.core.timeparse import (
    DEFAULT_ALARM_HOUR,
    MAX_DURATION_MINUTES,
    parse_day,
    parse_duration,
    parse_when,
)

BERLIN = ZoneInfo("Europe/Berlin")
texts = st.text(max_size=40) | st.text("0123456789:.,+- hmdwTZaumortgnin", max_size=20)
"""Any text, and text made of the pieces the readers look for."""
SPRING_EVE = datetime(2026, 3, 28, 9, 0, tzinfo=BERLIN)
"""Saturday before spring forward, 09:00 CET (08:00 UTC)."""
AUTUMN_EVE = datetime(2026, 10, 24, 9, 0, tzinfo=BERLIN)
"""Saturday before fall back, 09:00 CEST (07:00 UTC)."""


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages are asserted in the source language, whatever the machine's locale."""
    with use_language("en"):
        yield


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def when(text: str, now: datetime = SPRING_EVE, zone: tzinfo = BERLIN) -> datetime:
    result = parse_when(text, now=now, zone=zone)
    assert result.tzinfo is UTC
    return result


def refused(call: object, *args: object, **kwargs: object) -> str:
    """The message of the Invalid that ``call`` raises; it is one line."""
    assert callable(call)
    with pytest.raises(Invalid) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("1h30m", 90),
        ("1h 30m", 90),
        ("1h30", 90),
        ("1h 30", 90),
        ("1 h 30 min", 90),
        ("90m", 90),
        ("90 m", 90),
        ("90min", 90),
        ("90 mins", 90),
        ("90 Min.", 90),
        ("1.5h", 90),
        ("1,5h", 90),
        ("1.25h", 75),
        ("0.5h", 30),
        ("0.33h", 20),  # fractions of an hour round to the nearest minute
        ("1:30", 90),
        ("0:45", 45),
        ("0:01", 1),
        ("24:00", 24 * 60),
        ("2h", 120),
        ("2H", 120),
        ("45m", 45),
        ("1m", 1),
        ("24h", 24 * 60),
        ("1440m", 24 * 60),
        ("1,5 Std", 90),
        ("1,5 Std.", 90),
        ("2 Stunden", 120),
        ("1 Stunde 15 Minuten", 75),
        ("1.5 hours", 90),
        ("1 hour", 60),
        ("1 hr 5 min", 65),
        ("1 hour and 30 minutes", 90),
        ("1 Stunde und 30 Minuten", 90),
        ("30 Minuten", 30),
        ("30 minutes", 30),
        ("1 minute", 1),
        ("  1h30m  ", 90),
        ("1.5h30m", 120),
    ],
)
def test_durations_in_every_accepted_form(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text", ["abc", "1h70", "1h60", "", "   ", "h", "1x", "1h30m15s", "30m1h", "1h2h", "1.5m"]
)
def test_junk_is_not_a_duration(text: str) -> None:
    message = refused(parse_duration, text)
    assert message == f"{text!r} is not a duration: write it like 1h30m, 90m, 1.5h or 1:30"


@pytest.mark.parametrize(
    "text", ["1:5", "1:60", ":30", ".5h", "1d", "2 days", "1h-30m", "1h+30m", "1..5h", "١h"]
)
def test_more_junk_is_not_a_duration(text: str) -> None:
    assert "is not a duration" in refused(parse_duration, text)


@pytest.mark.parametrize("text", ["0", "0h", "0m", "0:00", "0h0m", "0.001h", "-1h", "-90m", "-0"])
def test_zero_and_negative_durations_are_refused(text: str) -> None:
    assert refused(parse_duration, text) == (
        f"{text!r} is not more than zero: a duration is at least 1m"
    )


def test_a_bare_number_is_ambiguous_and_the_message_shows_both_ways_to_write_it() -> None:
    assert refused(parse_duration, "90") == (
        "'90' has no unit: write 90m for minutes or 90h for hours"
    )
    assert "has no unit" in refused(parse_duration, "-90")
    # a bare decimal is hours-like; the general examples show how to write it
    assert "1.5h" in refused(parse_duration, "1.5")


@pytest.mark.parametrize("text", ["25h", "24h1m", "1441m", "24:01", "25:00", "99999999999999h"])
def test_more_than_a_day_in_one_entry_is_refused_with_the_limit(text: str) -> None:
    assert refused(parse_duration, text) == (
        f"{text!r} is more than 24 hours: book at most 24h in one entry "
        "and split longer work into several"
    )
    assert MAX_DURATION_MINUTES == 24 * 60


def test_absurdly_long_input_is_refused_without_arithmetic() -> None:
    assert "is not a duration" in refused(parse_duration, "1" * 5000 + "h")


@given(hours=st.integers(0, 24), minutes=st.integers(0, 59))
def test_hours_and_minutes_written_any_way_mean_the_same(hours: int, minutes: int) -> None:
    total = hours * 60 + minutes
    if not 1 <= total <= MAX_DURATION_MINUTES:
        return
    forms = [f"{total}m", f"{hours}:{minutes:02d}"]
    if hours:
        forms += [f"{hours}h{minutes}m", f"{hours}h {minutes}m", f"{hours}h{minutes}"]
    for form in forms:
        assert parse_duration(form) == total, form


@given(texts)
def test_any_text_is_minutes_or_a_clear_refusal(text: str) -> None:
    try:
        minutes = parse_duration(text)
    except Invalid as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert 1 <= minutes <= MAX_DURATION_MINUTES


# -- days ---------------------------------------------------------------------------------

WEDNESDAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("today", WEDNESDAY),
        ("Today", WEDNESDAY),
        ("heute", WEDNESDAY),
        ("yesterday", date(2026, 11, 24)),
        ("gestern", date(2026, 11, 24)),
        ("tomorrow", date(2026, 11, 26)),
        ("morgen", date(2026, 11, 26)),
        ("übermorgen", date(2026, 11, 27)),
        ("Vorgestern", date(2026, 11, 23)),
        ("2026-11-27", date(2026, 11, 27)),
        ("2025-01-02", date(2025, 1, 2)),
        ("27.11.2026", date(2026, 11, 27)),
        ("7.1.2026", date(2026, 1, 7)),
        ("27.11.26", date(2026, 11, 27)),
        ("27.11.", date(2026, 11, 27)),
        ("3.2.", date(2026, 2, 3)),
        ("+1d", date(2026, 11, 26)),
        ("+ 3 d", date(2026, 11, 28)),
        ("-1d", date(2026, 11, 24)),
        ("-2 d", date(2026, 11, 23)),
        ("-2 days", date(2026, 11, 23)),
        ("-2 Tage", date(2026, 11, 23)),
        ("+0d", WEDNESDAY),
        ("-1w", date(2026, 11, 18)),
        ("-30d", date(2026, 10, 26)),
    ],
)
def test_days_in_every_accepted_form(text: str, day: date) -> None:
    assert parse_day(text, today=WEDNESDAY) == day


@pytest.mark.parametrize(
    ("names", "day"),
    [
        (("mon", "monday", "mo", "montag", "Mo.", "MONTAG"), date(2026, 11, 23)),
        (("tue", "tues", "tuesday", "di", "dienstag"), date(2026, 11, 24)),
        (("wed", "wednesday", "mi", "mittwoch"), WEDNESDAY),  # today itself
        (("thu", "thursday", "do", "donnerstag"), date(2026, 11, 19)),
        (("fri", "friday", "fr", "freitag"), date(2026, 11, 20)),
        (("sat", "saturday", "sa", "samstag", "sonnabend"), date(2026, 11, 21)),
        (("sun", "sunday", "so", "sonntag"), date(2026, 11, 22)),
    ],
)
def test_a_weekday_is_the_most_recent_one_on_or_before_today(
    names: tuple[str, ...], day: date
) -> None:
    for name in names:
        assert parse_day(name, today=WEDNESDAY) == day, name


def test_a_weekday_reaches_back_across_the_year_boundary() -> None:
    new_year = date(2027, 1, 1)  # a Friday
    assert parse_day("mon", today=new_year) == date(2026, 12, 28)
    assert parse_day("fr", today=new_year) == new_year
    assert parse_day("sa", today=new_year) == date(2026, 12, 26)


def test_relative_days_cross_the_year_boundary() -> None:
    assert parse_day("yesterday", today=date(2027, 1, 1)) == date(2026, 12, 31)
    assert parse_day("tomorrow", today=date(2026, 12, 31)) == date(2027, 1, 1)
    assert parse_day("-3d", today=date(2027, 1, 2)) == date(2026, 12, 30)


def test_a_day_without_year_is_in_the_current_year_even_in_january() -> None:
    # documented: "27.11." is always the year of today, also when that is still ahead
    assert parse_day("27.11.", today=date(2027, 1, 10)) == date(2027, 11, 27)
    assert parse_day("31.12.", today=date(2027, 1, 1)) == date(2027, 12, 31)
    assert parse_day("1.1.", today=date(2026, 12, 31)) == date(2026, 1, 1)


def test_leap_days() -> None:
    assert parse_day("29.02.2028", today=WEDNESDAY) == date(2028, 2, 29)
    assert parse_day("2024-02-29", today=WEDNESDAY) == date(2024, 2, 29)
    assert parse_day("29.02.", today=date(2028, 6, 1)) == date(2028, 2, 29)
    assert parse_day("+1d", today=date(2028, 2, 28)) == date(2028, 2, 29)
    assert parse_day("-1d", today=date(2028, 3, 1)) == date(2028, 2, 29)
    assert parse_day("-1d", today=date(2027, 3, 1)) == date(2027, 2, 28)
    for text, today in [
        ("29.02.2026", WEDNESDAY),
        ("2100-02-29", WEDNESDAY),
        ("29.02.", date(2027, 6, 1)),
    ]:
        assert refused(parse_day, text, today=today) == (
            f"{text!r} is not a valid date: there is no such day, check day and month"
        )


@pytest.mark.parametrize("text", ["32.01.2026", "2026-13-01", "2026-00-10", "0.1."])
def test_impossible_dates_are_refused(text: str) -> None:
    assert "is not a valid date" in refused(parse_day, text, today=WEDNESDAY)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "someday",
        "27.11",  # without the final dot it reads like a decimal number
        "27/11/2026",
        "11-27",
        "2026-11-27 09:00",
        "+3h",
        "+d",
        "3d",
        "next monday",
        "mon tue",
        "27.11.2026x",
    ],
)
def test_anything_else_is_not_a_day(text: str) -> None:
    assert refused(parse_day, text, today=WEDNESDAY) == (
        f"{text!r} is not a day: write it like today, yesterday, 2026-11-27, 27.11.2026, "
        "27.11., mon or -2d"
    )


def test_a_day_beyond_the_calendar_is_refused() -> None:
    assert refused(parse_day, "+99999999999d", today=WEDNESDAY) == (
        "'+99999999999d' is too far away: give a date between the years 1 and 9999"
    )
    assert "too far away" in refused(parse_day, "+1d", today=date(9999, 12, 31))


@given(texts, st.dates())
def test_any_text_is_a_day_or_a_clear_refusal(text: str, today: date) -> None:
    try:
        parse_day(text, today=today)
    except Invalid as error:
        assert str(error) and "\n" not in str(error)


# -- alarm times: the forms ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO, without offset: local time in the user's zone
        ("2026-03-28 17:30", utc(2026, 3, 28, 16, 30)),
        ("2026-03-29T09:00", utc(2026, 3, 29, 7, 0)),
        ("2026-03-29t09:00:30", utc(2026, 3, 29, 7, 0, 30)),
        # ISO with offset or Z: that instant, whatever the zone
        ("2026-03-29T09:00+02:00", utc(2026, 3, 29, 7, 0)),
        ("2026-03-29T09:00+01:00", utc(2026, 3, 29, 8, 0)),
        ("2026-03-29 09:00 -0500", utc(2026, 3, 29, 14, 0)),
        ("2026-03-29T09:00Z", utc(2026, 3, 29, 9, 0)),
        # German
        ("29.03.2026 09:00", utc(2026, 3, 29, 7, 0)),
        ("29.03.2026, 09:00", utc(2026, 3, 29, 7, 0)),
        ("29.03.26 9:00", utc(2026, 3, 29, 7, 0)),
        ("29.03. 9:00", utc(2026, 3, 29, 7, 0)),
        ("29.3. 9 Uhr", utc(2026, 3, 29, 7, 0)),
        ("28.03. 17:30", utc(2026, 3, 28, 16, 30)),
        # a date alone: DEFAULT_ALARM_HOUR local
        ("2026-03-30", utc(2026, 3, 30, 7, 0)),
        ("30.03.2026", utc(2026, 3, 30, 7, 0)),
        ("30.03.", utc(2026, 3, 30, 7, 0)),
        # day words
        ("tomorrow 09:00", utc(2026, 3, 29, 7, 0)),
        ("tomorrow at 9:00", utc(2026, 3, 29, 7, 0)),
        ("morgen 9", utc(2026, 3, 29, 7, 0)),
        ("Morgen um 9", utc(2026, 3, 29, 7, 0)),
        ("übermorgen 9:00", utc(2026, 3, 30, 7, 0)),
        ("Übermorgen", utc(2026, 3, 30, 7, 0)),
        ("tomorrow", utc(2026, 3, 29, 7, 0)),
        ("today 17:30", utc(2026, 3, 28, 16, 30)),
        ("heute 17:30", utc(2026, 3, 28, 16, 30)),
        ("today 5pm", utc(2026, 3, 28, 16, 0)),
        ("tomorrow 9:00 pm", utc(2026, 3, 29, 19, 0)),
        # bare times: today if still ahead, else tomorrow
        ("14:00", utc(2026, 3, 28, 13, 0)),
        ("9:01", utc(2026, 3, 28, 8, 1)),
        ("9:00", utc(2026, 3, 29, 7, 0)),  # exactly now: not ahead, so tomorrow (CEST)
        ("8:00", utc(2026, 3, 29, 6, 0)),
        ("14 Uhr", utc(2026, 3, 28, 13, 0)),
        ("2pm", utc(2026, 3, 28, 13, 0)),
        ("12am", utc(2026, 3, 28, 23, 0)),  # midnight: tomorrow 00:00 CET
        ("12pm", utc(2026, 3, 28, 11, 0)),
        # relative
        ("+2h", utc(2026, 3, 28, 10, 0)),
        ("+90m", utc(2026, 3, 28, 9, 30)),
        ("+1h30m", utc(2026, 3, 28, 9, 30)),
        ("+ 2 h", utc(2026, 3, 28, 10, 0)),
        ("+3d", utc(2026, 3, 31, 7, 0)),
        ("+1w", utc(2026, 4, 4, 7, 0)),
        ("in 2 hours", utc(2026, 3, 28, 10, 0)),
        ("in 30 minutes", utc(2026, 3, 28, 8, 30)),
        ("in 1 hour and 30 minutes", utc(2026, 3, 28, 9, 30)),
        ("in 3 days", utc(2026, 3, 31, 7, 0)),
        ("in 2 weeks", utc(2026, 4, 11, 7, 0)),
        ("in 2 Stunden", utc(2026, 3, 28, 10, 0)),
        ("in 3 Tagen", utc(2026, 3, 31, 7, 0)),
        ("in 1 Woche", utc(2026, 4, 4, 7, 0)),
        ("+1d2h", utc(2026, 3, 29, 9, 0)),  # the calendar day first, then elapsed hours
    ],
)
def test_alarm_times_in_every_accepted_form(text: str, expected: datetime) -> None:
    assert when(text) == expected


def test_the_default_hour_is_nine_local() -> None:
    assert DEFAULT_ALARM_HOUR == 9
    assert when("2026-03-30").astimezone(BERLIN).hour == DEFAULT_ALARM_HOUR
    assert when("mon").astimezone(BERLIN) == datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("mon 8:00", "monday 8:00", "mo 8:00", "montag 8:00", "Mo. 8:00"), (3, 30, 6, 0)),
        (("di 8:00", "tuesday 8:00"), (3, 31, 6, 0)),
        (("sat 10:00", "samstag 10:00"), (3, 28, 9, 0)),  # today, still ahead
        (("sat 8:00", "sa 8:00"), (4, 4, 6, 0)),  # today, passed: a week later
        (("sat 9:00",), (4, 4, 7, 0)),  # exactly now is not ahead
        (("sun 9:00", "so 9:00", "sonntag um 9"), (3, 29, 7, 0)),  # CEST already
    ],
)
def test_a_weekday_alarm_is_the_next_such_day_at_that_time(
    names: tuple[str, ...], expected: tuple[int, int, int, int]
) -> None:
    for name in names:
        assert when(name) == utc(2026, *expected), name


def test_a_weekday_alarm_is_today_while_that_time_is_ahead() -> None:
    monday_7 = datetime(2026, 3, 30, 7, 0, tzinfo=BERLIN)
    assert when("mon 8:00", now=monday_7).astimezone(BERLIN) == datetime(
        2026, 3, 30, 8, 0, tzinfo=BERLIN
    )
    monday_8 = datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN)
    assert when("mon 8:00", now=monday_8).astimezone(BERLIN) == datetime(
        2026, 4, 6, 8, 0, tzinfo=BERLIN
    )


def test_now_may_be_given_in_any_zone() -> None:
    same_instant = SPRING_EVE.astimezone(UTC)
    assert when("14:00", now=same_instant) == when("14:00")
    assert when("+1d", now=same_instant) == when("+1d")


# -- alarm times: daylight saving ---------------------------------------------------------


def test_spring_forward_a_time_in_the_gap_moves_forward_by_the_gap() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: the clock jumps 02:00 -> 03:00
    expected = utc(2026, 3, 29, 1, 30)
    assert when("2026-03-29 02:30") == expected
    assert when("29.03.2026 02:30") == expected
    assert when("tomorrow 2:30") == expected
    assert when("sun 2:30") == expected
    assert expected.astimezone(BERLIN).isoformat() == "2026-03-29T03:30:00+02:00"
    assert when("2026-03-29 02:00") == utc(2026, 3, 29, 1, 0)  # = 03:00 CEST
    assert when("2026-03-29 01:59") == utc(2026, 3, 29, 0, 59)  # CET, just before
    assert when("2026-03-29 03:00") == utc(2026, 3, 29, 1, 0)  # CEST


def test_spring_forward_a_bare_time_in_the_gap() -> None:
    just_before = datetime(2026, 3, 29, 1, 59, tzinfo=BERLIN)
    assert when("2:30", now=just_before) == utc(2026, 3, 29, 1, 30)
    # at 03:10 CEST today's 02:30 resolves to 03:30 CEST, which is still ahead
    after = datetime(2026, 3, 29, 3, 10, tzinfo=BERLIN)
    assert when("2:30", now=after) == utc(2026, 3, 29, 1, 30)
    assert when("2:30", now=datetime(2026, 3, 29, 3, 40, tzinfo=BERLIN)) == utc(2026, 3, 30, 0, 30)


def test_spring_forward_a_day_is_23_hours_and_24_hours_is_a_day_and_an_hour() -> None:
    one_day = when("+1d")
    assert one_day == utc(2026, 3, 29, 7, 0)
    assert one_day.astimezone(BERLIN).isoformat() == "2026-03-29T09:00:00+02:00"
    assert one_day - SPRING_EVE == timedelta(hours=23)

    twenty_four_hours = when("+24h")
    assert twenty_four_hours == utc(2026, 3, 29, 8, 0)
    assert twenty_four_hours.astimezone(BERLIN).isoformat() == "2026-03-29T10:00:00+02:00"
    assert twenty_four_hours - SPRING_EVE == timedelta(hours=24)
    assert when("in 1 day") == one_day
    assert when("+1440m") == twenty_four_hours


def test_spring_forward_a_relative_day_landing_in_the_gap_moves_forward() -> None:
    eve_0230 = datetime(2026, 3, 28, 2, 30, tzinfo=BERLIN)
    assert when("+1d", now=eve_0230) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST


def test_fall_back_an_ambiguous_time_is_the_first_one_summer_time() -> None:
    # 02:30 happens twice on 2026-10-25 in Berlin: 00:30 UTC (CEST) and 01:30 UTC (CET)
    expected = utc(2026, 10, 25, 0, 30)
    now = AUTUMN_EVE
    assert when("2026-10-25 02:30", now=now) == expected
    assert when("25.10.2026 02:30", now=now) == expected
    assert when("tomorrow 2:30", now=now) == expected
    assert when("sun 2:30", now=now) == expected
    assert expected.astimezone(BERLIN).isoformat() == "2026-10-25T02:30:00+02:00"
    # an explicit offset picks the second one
    assert when("2026-10-25T02:30+01:00", now=now) == utc(2026, 10, 25, 1, 30)


def test_fall_back_a_day_is_25_hours() -> None:
    one_day = when("+1d", now=AUTUMN_EVE)
    assert one_day == utc(2026, 10, 25, 8, 0)
    assert one_day.astimezone(BERLIN).isoformat() == "2026-10-25T09:00:00+01:00"
    assert one_day - AUTUMN_EVE == timedelta(hours=25)
    assert when("+24h", now=AUTUMN_EVE).astimezone(BERLIN).isoformat() == (
        "2026-10-25T08:00:00+01:00"
    )


def test_fall_back_during_the_second_pass_the_first_0230_is_already_past() -> None:
    second_pass = datetime(2026, 10, 25, 2, 45, fold=1, tzinfo=BERLIN)  # 01:45 UTC, CET
    assert second_pass.astimezone(UTC) == utc(2026, 10, 25, 1, 45)
    assert refused(parse_when, "today 2:30", now=second_pass, zone=BERLIN) == (
        "'today 2:30' is 2026-10-25 02:30 CEST, which is not in the future: "
        "give a later time, like tomorrow 9:00 or +2h"
    )
    assert when("2:30", now=second_pass) == utc(2026, 10, 26, 1, 30)  # tomorrow, CET
    assert when("+1h", now=second_pass) == utc(2026, 10, 25, 2, 45)


def test_a_weekly_alarm_keeps_its_local_hour_across_both_changes() -> None:
    friday = datetime(2026, 3, 27, 8, 0, tzinfo=BERLIN)  # CET
    assert when("mon 8:00", now=friday) == utc(2026, 3, 30, 6, 0)  # CEST
    assert when("+1w", now=friday).astimezone(BERLIN) == datetime(2026, 4, 3, 8, 0, tzinfo=BERLIN)
    assert when("+1w", now=friday) - friday == timedelta(days=7, hours=-1)
    october = datetime(2026, 10, 23, 8, 0, tzinfo=BERLIN)  # CEST
    assert when("montag 8:00", now=october) == utc(2026, 10, 26, 7, 0)  # CET
    assert when("+1w", now=october) - october == timedelta(days=7, hours=1)


def test_in_utc_there_is_no_daylight_saving() -> None:
    now = utc(2026, 3, 28, 9, 0)
    assert when("2026-03-29 02:30", now=now, zone=UTC) == utc(2026, 3, 29, 2, 30)
    assert when("+1d", now=now, zone=UTC) == utc(2026, 3, 29, 9, 0)
    assert when("+24h", now=now, zone=UTC) == utc(2026, 3, 29, 9, 0)
    assert when("14:00", now=now, zone=UTC) == utc(2026, 3, 28, 14, 0)
    assert when("29.03. 9:00", now=now, zone=UTC) == utc(2026, 3, 29, 9, 0)
    assert when("2026-03-29T09:00+02:00", now=now, zone=UTC) == utc(2026, 3, 29, 7, 0)
    assert refused(parse_when, "today 8:00", now=now, zone=UTC) == (
        "'today 8:00' is 2026-03-28 08:00 UTC, which is not in the future: "
        "give a later time, like tomorrow 9:00 or +2h"
    )


# -- alarm times: refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("today 8:00", "2026-03-28 08:00 CET"),
        ("heute 9:00", "2026-03-28 09:00 CET"),  # exactly now is not in the future
        ("2026-03-27 12:00", "2026-03-27 12:00 CET"),
        ("28.03. 8:30", "2026-03-28 08:30 CET"),
        ("1.1.", "2026-01-01 09:00 CET"),  # no year: this year, even when that is past
        ("2025-07-01", "2025-07-01 09:00 CEST"),
        ("2026-03-28T07:00Z", "2026-03-28 08:00 CET"),
        ("+0h", "2026-03-28 09:00 CET"),
        ("in 0 days", "2026-03-28 09:00 CET"),
    ],
)
def test_a_time_that_is_not_ahead_is_refused_naming_it_in_local_time(
    text: str, resolved: str
) -> None:
    assert refused(parse_when, text, now=SPRING_EVE, zone=BERLIN) == (
        f"{text!r} is {resolved}, which is not in the future: "
        "give a later time, like tomorrow 9:00 or +2h"
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "junk",
        "9",  # a bare hour could be anything
        "9.30",
        "-2h",
        "+2",
        "+2x",
        "+2h2h",
        "+1.5h",
        "in",
        "in abc",
        "in 2",
        "next monday",
        "tomorrow 9:00 foo",
        "2026-03-30 09:00+24:00",
        "someday 9:00",
        "mon 8:00 tue",
        "2026-03-30 nine",
        "2026-03-30+02:00",
        "29.03 9:00",
        "montag8:00",
        "tomorrow 9:0",
    ],
)
def test_junk_is_not_an_alarm_time(text: str) -> None:
    assert refused(parse_when, text, now=SPRING_EVE, zone=BERLIN) == (
        f"{text!r} is not an alarm time: write it like 2026-03-30 09:00, 30.03. 9:00, "
        "tomorrow 9:00, mon 8:00, 14:00 or +2h"
    )


@pytest.mark.parametrize(
    "text", ["25:00", "tomorrow 24:00", "mon 8:60", "13pm", "0am", "2026-03-30 9:00:61"]
)
def test_impossible_clock_times_are_refused(text: str) -> None:
    assert refused(parse_when, text, now=SPRING_EVE, zone=BERLIN) == (
        f"{text!r} has no such time of day: hours go from 0 to 23 and minutes from 0 to 59, "
        "like 9:00 or 17:30"
    )


@pytest.mark.parametrize("text", ["30.02.2026 9:00", "2026-02-30", "29.02. 9:00", "31.04."])
def test_impossible_dates_are_refused_as_alarms(text: str) -> None:
    assert "is not a valid date" in refused(parse_when, text, now=SPRING_EVE, zone=BERLIN)


def test_an_alarm_beyond_the_calendar_is_refused() -> None:
    for text in ("+99999999999d", "+99999999999h", "in 9999999 weeks"):
        assert "is too far away" in refused(parse_when, text, now=SPRING_EVE, zone=BERLIN)


def test_now_without_a_zone_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("+1h", now=datetime(2026, 3, 28, 9, 0), zone=BERLIN)


# -- alarm times: properties --------------------------------------------------------------

ZONES = [
    BERLIN,
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Lord_Howe"),  # a 30-minute change
    ZoneInfo("Pacific/Apia"),  # skipped a whole day in 2011
    UTC,
]
moments = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2060, 1, 1),
    timezones=st.sampled_from(ZONES),
    allow_imaginary=False,
)
"""Aware times in one of ZONES that exist there (in an overlap either of the two)."""


@given(now=moments, hours=st.integers(1, 100_000))
def test_relative_hours_are_exactly_that_much_elapsed_time(now: datetime, hours: int) -> None:
    zone = now.tzinfo
    assert zone is not None
    assert parse_when(f"+{hours}h", now=now, zone=zone) - now == timedelta(hours=hours)
    assert parse_when(f"in {hours} hours", now=now, zone=zone) - now == timedelta(hours=hours)


@given(now=moments, minutes=st.integers(1, 1_000_000))
def test_relative_minutes_are_exactly_that_much_elapsed_time(now: datetime, minutes: int) -> None:
    zone = now.tzinfo
    assert zone is not None
    assert parse_when(f"+{minutes}m", now=now, zone=zone) - now == timedelta(minutes=minutes)


@given(now=moments, days=st.integers(1, 3650))
def test_relative_days_keep_the_local_wall_clock_time(now: datetime, days: int) -> None:
    zone = now.tzinfo
    assert zone is not None
    wall = now.replace(tzinfo=None) + timedelta(days=days)
    result = parse_when(f"+{days}d", now=now, zone=zone)
    assert result > now
    if tz.datetime_exists(wall, tz=zone):
        assert result.astimezone(zone).replace(tzinfo=None) == wall
    else:  # in a gap: moved forward, never back
        assert result.astimezone(zone).replace(tzinfo=None) > wall


@given(now=moments, hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_a_bare_time_is_the_next_time_the_clock_shows_it(
    now: datetime, hour: int, minute: int
) -> None:
    zone = now.tzinfo
    assert zone is not None
    result = parse_when(f"{hour}:{minute:02d}", now=now, zone=zone)
    assert now < result <= now + timedelta(hours=48)  # Apia skipped a whole day in 2011
    shown = result.astimezone(zone)
    if (shown.hour, shown.minute) != (hour, minute):  # only where that wall time is missing
        today = now.replace(tzinfo=None).date()
        asked = [datetime.combine(today + timedelta(days=n), time(hour, minute)) for n in (0, 1)]
        assert not all(tz.datetime_exists(wall, tz=zone) for wall in asked)


@given(texts, moments)
def test_any_text_is_a_future_utc_time_or_a_clear_refusal(text: str, now: datetime) -> None:
    zone = now.tzinfo
    assert zone is not None
    try:
        result = parse_when(text, now=now, zone=zone)
    except Invalid as error:
        assert str(error) and "\n" not in str(error)
    else:
        assert result.tzinfo is UTC and result > now
