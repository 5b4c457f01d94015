"""``tix ticket set`` and ``tix ticket note`` on many tickets: numbers as arguments or on
standard input, one result per ticket, exit 0 only when all were done."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_complete import tab  # noqa: F401  (the fixture)


def _open(cli, count: int) -> list[int]:
    numbers = []
    for index in range(count):
        result = cli(
            "ticket",
            "new",
            "--kind",
            "request",
            "--channel",
            "Support",
            "--customer",
            "kunde@example.com",
            "--subject",
            f"Pump {index}",
            "--body",
            "Leaks",
            "--json",
        )
        assert result.code == 0, result.stderr
        numbers.append(int(result.json()["number"]))
    return numbers


def _show(cli, number: int) -> dict:
    result = cli("ticket", "show", str(number), "--json")
    assert result.code == 0, result.stderr
    return result.json()


def test_set_many_lists_each_result(cli, world) -> None:
    first, second, third = _open(cli, 3)
    result = cli(
        "ticket", "set", str(first), f"#{second}", str(third), "--status", "closed", "--json"
    )
    assert result.code == 0, result.stderr
    data = result.json()
    assert [row["number"] for row in data] == [first, second, third]
    assert data[0] == {
        "number": first,
        "ok": True,
        "error": None,
        "changes": [{"field": "status", "old": "open", "new": "closed"}],
        "activities": data[0]["activities"],
        "version": _show(cli, first)["version"],
    }
    assert all(_show(cli, n)["status"] == "closed" for n in (first, second, third))
    assert result.stderr == ""


def test_a_refused_ticket_is_named_and_sets_the_exit_code(cli, world) -> None:
    first, second = _open(cli, 2)
    result = cli("ticket", "set", str(first), "99999", str(second), "--priority", "8")
    assert result.code == 3  # not found
    assert "Changed 2 tickets." in result.stderr
    assert "Refused 1 of 3 tickets:" in result.stderr
    assert "#99999: no ticket #99999" in result.stderr
    assert _show(cli, first)["priority"] == _show(cli, second)["priority"] == 8

    as_json = cli("ticket", "set", str(first), "99999", "--priority", "9", "--json")
    assert as_json.code == 3
    rows = as_json.json()
    assert rows[1]["ok"] is False
    assert rows[1]["error"]["code"] == "not_found"
    assert "1 of 2 tickets refused: #99999" in as_json.stderr


def test_refusals_of_different_kinds_exit_1(cli, world) -> None:
    (number,) = _open(cli, 1)
    internal = cli(
        "ticket",
        "new",
        "--kind",
        "internal",
        "--owner",
        "bob",
        "--subject",
        "Cover",
        "--body",
        "x",
        "--json",
    ).json()["number"]
    result = cli("ticket", "set", str(number), str(internal), "99999", "--channel", "Sales")
    assert result.code == 1
    assert f"#{internal}: ticket #{internal} is internal" in result.stderr
    assert _show(cli, number)["channel"] == "Sales"


def test_numbers_from_standard_input_in_every_shape_list_prints(cli, world) -> None:
    numbers = _open(cli, 4)
    plain = cli(
        "ticket", "set", "-", "--priority", "2", stdin=f"{numbers[0]}\n#{numbers[1]} {numbers[2]}\n"
    )
    assert plain.code == 0, plain.stderr
    assert [_show(cli, n)["priority"] for n in numbers] == [2, 2, 2, 5]

    listed = cli("ticket", "list", "--json").stdout  # a JSON array of whole rows
    as_json = cli("ticket", "set", "-", "--priority", "3", "--json", stdin=listed)
    assert as_json.code == 0, as_json.stderr
    assert sorted(row["number"] for row in as_json.json()) == sorted(numbers)

    lines = cli("ticket", "list", "--format", "jsonl").stdout  # one object a line
    assert cli("ticket", "set", "-", "--priority", "4", stdin=lines).code == 0
    assert {_show(cli, n)["priority"] for n in numbers} == {4}

    table = cli("ticket", "list", "--format", "tsv").stdout  # what a pipe gets
    assert table.startswith("number\t")
    assert cli("ticket", "set", "-", "--status", "waiting", stdin=table).code == 0
    assert {_show(cli, n)["status"] for n in numbers} == {"waiting"}

    # what jq makes of it: numbers, or objects over several lines
    shaped = json.dumps(numbers[0]) + "\n" + json.dumps({"number": numbers[1]}, indent=2)
    mixed = cli("ticket", "set", "-", "1", str(numbers[3]), "--priority", "7", stdin=shaped)
    assert mixed.code == 3  # there is no ticket 1
    assert [_show(cli, n)["priority"] for n in numbers] == [7, 7, 4, 7]


def test_a_version_piped_in_skips_a_ticket_changed_since(cli, world) -> None:
    first, second = _open(cli, 2)
    listed = cli("ticket", "list", "--json").stdout
    assert cli("ticket", "set", str(second), "--priority", "9", user="bob").code == 0
    result = cli("ticket", "set", "-", "--owner", "carl", stdin=listed)
    assert result.code == 5
    assert f"#{second}: ticket #{second} was changed by someone else" in result.stderr
    assert _show(cli, first)["owner"] == "carl"
    assert _show(cli, second)["owner"] == "anna"


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("1001\nabc\n", 'line 2 of standard input: "abc" is not a ticket number'),
        ('{"subject": "x"}', 'line 1 of standard input: a JSON object without "number"'),
        ("[1001,", "line 1 of standard input is not valid JSON"),
    ],
)
def test_unreadable_input_changes_nothing(cli, world, stdin: str, message: str) -> None:
    (number,) = _open(cli, 1)
    before = _show(cli, number)["version"]
    result = cli("ticket", "set", str(number), "-", "--status", "closed", stdin=stdin)
    assert result.code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert _show(cli, number)["version"] == before


def test_nothing_piped_in_is_nothing_to_do(cli, world) -> None:
    result = cli("ticket", "set", "-", "--status", "closed", stdin="  \n")
    assert result.code == 0
    assert "No ticket numbers on standard input: nothing changed." in result.stderr
    as_json = cli("ticket", "set", "-", "--status", "closed", "--json", stdin="[]")
    assert as_json.code == 0 and as_json.json() == []


def test_input_wrong_for_every_ticket_changes_nothing(cli, world) -> None:
    first, second = _open(cli, 2)
    unknown = cli("ticket", "set", str(first), str(second), "--owner", "nobody")
    assert unknown.code == 3 and "no user 'nobody'" in unknown.stderr
    versioned = cli(
        "ticket", "set", str(first), str(second), "--if-version", "1", "--priority", "9"
    )
    assert versioned.code == 2 and "--if-version is one ticket's version" in versioned.stderr
    assert _show(cli, first)["owner"] == _show(cli, second)["owner"] == "anna"
    assert _show(cli, first)["priority"] == 5


def test_one_number_keeps_printing_the_ticket(cli, world) -> None:
    (number,) = _open(cli, 1)
    result = cli("ticket", "set", str(number), "--priority", "6", "--json")
    assert result.code == 0
    assert result.json()["number"] == number and result.json()["priority"] == 6
    missing = cli("ticket", "set", "99999", "--priority", "6", "--json")
    assert missing.code == 3 and missing.json()["error"]["code"] == "not_found"


def test_note_on_many_tickets(cli, world) -> None:
    first, second = _open(cli, 2)
    result = cli(
        "ticket", "note", "-", "--body", "Supplier confirmed Monday", stdin=f"{first} {second}"
    )
    assert result.code == 0, result.stderr
    assert "Added the note to 2 tickets." in result.stderr
    for number in (first, second):
        notes = [a for a in _show(cli, number)["activities"] if a["kind"] == "note"]
        assert [note["body"] for note in notes] == ["Supplier confirmed Monday"]
    both = cli("ticket", "note", "-", "--body-file", "-", stdin=f"{first}")
    assert both.code == 2 and "standard input gives either the numbers or the text" in both.stderr


def test_german_summary(cli, world, german) -> None:
    (number,) = _open(cli, 1)
    result = cli("ticket", "set", str(number), "99999", "--priority", "8")
    assert result.code == 3
    assert "1 Ticket geändert." in result.stderr
    assert "1 von 2 Tickets abgelehnt:" in result.stderr


def test_tab_completes_each_number(cli, world, tab) -> None:  # noqa: F811
    first, second = _open(cli, 2)
    assert tab("tix ticket set ") == [str(second), str(first)]
    assert tab(f"tix ticket set {second} ") == [str(second), str(first)]
    assert tab(f"tix ticket note {first} 1") == [str(second), str(first)]
