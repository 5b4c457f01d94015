"""``tix calendar`` and ``tix sla``: business calendars and SLA policies from scripts."""

from __future__ import annotations

import pytest


@pytest.fixture
def office(cli, world) -> None:
    result = cli(
        "calendar",
        "add",
        "Office",
        "--timezone",
        "Europe/Berlin",
        "--hours",
        "mon-thu 08:00-12:00,13:00-17:00",
        "--hours",
        "fri 08:00-14:00",
        "--holidays",
        "de-by",
        "--closed-day",
        "2026-12-24",
        "--json",
    )
    assert result.code == 0, result.stderr
    assert result.json() == {
        "name": "Office",
        "timezone": "Europe/Berlin",
        "hours": {
            "mon": ["08:00-12:00", "13:00-17:00"],
            "tue": ["08:00-12:00", "13:00-17:00"],
            "wed": ["08:00-12:00", "13:00-17:00"],
            "thu": ["08:00-12:00", "13:00-17:00"],
            "fri": ["08:00-14:00"],
        },
        "hours_text": "mon-thu 08:00-12:00,13:00-17:00; fri 08:00-14:00",
        "holidays": "DE-BY",
        "closed_days": ["2026-12-24"],
        "days_off": [],
    }


def test_a_calendar_shows_the_days_off_of_a_year(cli, office) -> None:
    shown = cli("calendar", "show", "Office", "--year", "2026", "--json").json()
    days = {day["date"]: day["name"] for day in shown["days_off"]}
    assert days["2026-11-01"] == "All Saints' Day"
    assert days["2026-12-24"] == "closed"
    assert "2026-08-08" not in days  # Augsburg's peace festival is not Bavaria's
    assert cli("calendar", "list", "--format", "tsv").stdout.splitlines() == [
        "name\ttimezone\thours_text\tholidays",
        "Office\tEurope/Berlin\tmon-thu 08:00-12:00,13:00-17:00; fri 08:00-14:00\tDE-BY",
    ]


def test_a_calendar_is_changed(cli, office) -> None:
    changed = cli(
        "calendar", "set", "Office", "--open-day", "2026-12-24", "--holidays", "none", "--json"
    )
    assert changed.code == 0, changed.stderr
    assert (changed.json()["closed_days"], changed.json()["holidays"]) == ([], None)
    assert cli("calendar", "set", "Office", "--open-day", "2026-12-25").code == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--timezone", "Mars/Base"], 2, "unknown time zone 'Mars/Base'"),
        (["--timezone", "UTC", "--hours", "mon 9"], 2, "hours like 08:00-17:00"),
        (["--timezone", "UTC", "--holidays", "DE-XX"], 2, "like DE or DE-BY"),
        (["--timezone", "UTC", "--closed-day", "soon"], 2, "soon"),
    ],
)
def test_bad_calendars_are_one_line_and_change_nothing(cli, world, args, code, message) -> None:
    result = cli("calendar", "add", "Bad", *args)
    assert result.code == code
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert cli("calendar", "list", "--json").json() == []


def test_sla_policies_are_added_listed_changed_and_removed(cli, office) -> None:
    added = cli(
        "sla",
        "add",
        "Standard",
        "--calendar",
        "Office",
        "--first-response",
        "4h",
        "--solution",
        "2d",
        "--json",
    )
    assert added.code == 0, added.stderr
    assert added.json()["solution_minutes"] == 16 * 60
    urgent = cli(
        "sla",
        "add",
        "Urgent",
        "--calendar",
        "Office",
        "--channel",
        "Support",
        "--priority",
        "8-9",
        "--first-response",
        "30m",
        "--warn-before",
        "15m",
        "--warn-watchers",
        "--json",
    )
    assert urgent.code == 0, urgent.stderr
    assert cli("sla", "list", "--format", "tsv").stdout.splitlines() == [
        "name\tchannel\tpriorities\tfirst_response\tsolution\tcalendar",
        "Urgent\tSupport\t8-9\t30m\t\tOffice",
        "Standard\t\tall\t4h\t16h\tOffice",
    ]
    changed = cli("sla", "set", "Urgent", "--priority", "9", "--solution", "4h", "--json")
    assert (changed.json()["priorities"], changed.json()["solution"]) == ("9", "4h")
    clash = cli("sla", "add", "Again", "--calendar", "Office", "--solution", "1h")
    assert (clash.code, clash.stderr.strip()) == (
        5,
        "tix: SLA policy 'Standard' covers the same channel and overlapping priorities: give "
        "priorities that lie inside or outside its range, or change that policy",
    )
    assert cli("calendar", "remove", "Office").code == 5
    assert cli("sla", "remove", "Urgent").code == 0
    assert [p["name"] for p in cli("sla", "list", "--json").json()] == ["Standard"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--calendar", "Nowhere", "--solution", "4h"], 3, "no calendar 'Nowhere'"),
        (["--calendar", "Office"], 1, "needs a target"),
        (["--calendar", "Office", "--solution", "4"], 2, "is no business time"),
        (["--calendar", "Office", "--solution", "4h", "--priority", "9-1"], 2, "lowest first"),
        (["--calendar", "Office", "--solution", "4h", "--channel", "Nope"], 3, "no channel"),
    ],
)
def test_bad_policies_are_one_line_and_change_nothing(cli, office, args, code, message) -> None:
    result = cli("sla", "add", "Bad", *args)
    assert result.code == code, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert cli("sla", "list", "--json").json() == []


def test_only_admins_manage_slas(cli, office) -> None:
    result = cli("sla", "add", "Mine", "--calendar", "Office", "--solution", "4h", user="bob")
    assert result.code == 4
    assert cli("calendar", "remove", "Office", user="bob").code == 4


def test_the_ticket_list_filters_and_sorts_by_sla(cli, world) -> None:
    from tests.core.services.test_sla import at, berlin, make_policy, open_request

    make_policy(world)
    assert cli("user", "set", "anna", "--timezone", "Europe/Berlin").code == 0
    late = open_request(world, berlin(2024, 11, 4, 8, 0))  # first response due 12:00
    soon = open_request(world, berlin(2024, 11, 4, 10, 0))  # due 14:00
    with at(berlin(2024, 11, 4, 12, 30)):
        rows = cli("ticket", "list", "--sort", "sla", "--json").json()
        breached = cli("ticket", "list", "--breached", "--json").json()
        within = cli("ticket", "list", "--due-within", "2h", "--json").json()
        coming = cli("ticket", "list", "--due-within", "2h", "--not-breached", "--json").json()
        both = cli("ticket", "list", "--breached", "--not-breached")
        bad = cli("ticket", "list", "--due-within", "soon")
        shown = cli("ticket", "show", str(soon), "--json").json()
        human = cli("ticket", "show", str(late))
    assert [row["number"] for row in rows] == [late, soon]
    assert rows[0]["sla"] == {
        "due_at": "2024-11-04T12:00:00+01:00",
        "target": "first_response",
        "left_minutes": -30,
        "breached": True,
        "paused": False,
    }
    assert rows[1]["sla"]["left_minutes"] == 90
    assert [row["number"] for row in breached] == [late]
    assert sorted(row["number"] for row in within) == sorted([late, soon])
    assert [row["number"] for row in coming] == [soon]
    assert both.code == 2 and "not both" in both.stderr
    assert bad.code == 2 and "is no business time" in bad.stderr
    assert shown["sla"]["policy"] == "Standard"
    assert [(c["target"], c["state"], c["left_minutes"]) for c in shown["sla"]["clocks"]] == [
        ("first_response", "running", 90),
        ("solution", "running", 13 * 60 + 30),
    ]
    assert "SLA first response" in human.stdout and "overdue" in human.stdout
