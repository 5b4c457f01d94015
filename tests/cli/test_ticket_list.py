"""``tix ticket list``: paging beyond one page (cursor, --all, JSON lines), the
filters of the TUI (priority, color, unassigned, sort) and saved views."""

from __future__ import annotations

import json

import pytest

from tix.core.db import session_scope


@pytest.fixture
def many(world) -> list[int]:
    """25 request tickets in Support (priorities 1-5 in turn, every fifth red), owned by
    bob, the channel's default owner (nobody has taken them), but every sixth: carl's."""
    from tix.core.services import contacts, opening

    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        bob = world.user(session, "bob")
        carl = world.user(session, "carl")
        customer = contacts.find_contact(session, "kunde@example.com")
        return [
            opening.open_request_ticket(
                session,
                anna,
                channel=world.channel(session, "support"),
                customer=customer,
                subject=f"Pump {index}",
                body="Leaks",
                priority=1 + index % 5,
                color="red" if index % 5 == 0 else None,
                owner=carl if index % 6 == 0 else bob,
            ).number
            for index in range(25)
        ]


def test_pages_follow_each_other_by_cursor(cli, many) -> None:
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        args = ["ticket", "list", "--limit", "10", "--sort", "number", "--json", "--paged"]
        result = cli(*args, *(["--cursor", cursor] if cursor else []))
        assert result.code == 0, result.stderr
        page = result.json()
        assert set(page) == {"tickets", "next_cursor"}
        seen += [row["number"] for row in page["tickets"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(many)


def test_a_cursor_with_other_filters_is_refused(cli, many) -> None:
    first = cli("ticket", "list", "--limit", "5", "--paged", "--json").json()
    result = cli("ticket", "list", "--sort", "number", "--cursor", first["next_cursor"])
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0 and "other filters" in result.stderr
    assert cli("ticket", "list", "--cursor", "nonsense").code == 2


def test_a_table_or_tsv_page_tells_the_next_cursor_on_stderr(cli, many) -> None:
    result = cli("ticket", "list", "--limit", "20", "--fields", "number")
    assert result.code == 0
    assert result.stdout.splitlines()[0] == "number" and len(result.stdout.splitlines()) == 21
    (hint,) = result.stderr.splitlines()
    cursor = hint.split("--cursor ")[1]
    rest = cli("ticket", "list", "--limit", "20", "--fields", "number", "--cursor", cursor)
    assert [int(n) for n in rest.stdout.splitlines()[1:]] == sorted(many)[:5][::-1]
    assert rest.stderr == ""
    # a plain --json stays the array the contract promises
    assert isinstance(cli("ticket", "list", "--limit", "2", "--json").json(), list)


def test_all_streams_every_page(cli, many, monkeypatch) -> None:
    from tix.core import views

    monkeypatch.setattr(views, "MAX_PAGE", 7)  # so that 25 tickets make four pages
    lines = cli("ticket", "list", "--all", "--jsonl", "--sort", "-number").stdout.splitlines()
    assert [json.loads(line)["number"] for line in lines] == sorted(many, reverse=True)
    array = cli("ticket", "list", "--all", "--json", "--fields", "number,priority").json()
    assert array == [
        {"number": n, "priority": 1 + i % 5} for i, n in reversed(list(enumerate(many)))
    ]
    tsv = cli("ticket", "list", "--all", "--format", "csv", "--fields", "number").stdout
    assert tsv.splitlines()[0] == "number" and len(tsv.splitlines()) == 26
    assert cli("ticket", "list", "--all", "--json", "--channel", "Sales").json() == []
    refused = cli("ticket", "list", "--all", "--limit", "5")
    assert refused.code == 2 and "--limit or --all" in refused.stderr


def test_the_filters_of_the_tui(cli, many) -> None:
    def numbers(*args: str) -> list[int]:
        result = cli("ticket", "list", "--limit", "100", "--json", *args)
        assert result.code == 0, result.stderr
        return [row["number"] for row in result.json()]

    assert sorted(numbers("--priority", "5")) == [n for i, n in enumerate(many) if i % 5 == 4]
    assert sorted(numbers("--priority", "4+")) == [n for i, n in enumerate(many) if i % 5 >= 3]
    assert sorted(numbers("--priority", "2-3")) == [
        n for i, n in enumerate(many) if i % 5 in (1, 2)
    ]
    assert sorted(numbers("--color", "red")) == [n for i, n in enumerate(many) if i % 5 == 0]
    assert len(numbers("--color", "none")) == 20
    assert sorted(numbers("--unassigned")) == [n for i, n in enumerate(many) if i % 6]
    by_priority = cli("ticket", "list", "--limit", "100", "--sort=-priority", "--json").json()
    assert [row["priority"] for row in by_priority] == sorted(
        (row["priority"] for row in by_priority), reverse=True
    )
    assert numbers("--sort", "number") == sorted(many)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--priority", "high-ish"], "is no priority"),
        (["--priority", "9-1"], "runs backwards"),
        (["--color", "pink"], "unknown color"),
        (["--sort", "size"], "unknown sort"),
        (["--search", "pump", "--sort", "priority"], "newest tickets first"),
        (["--view", "nothing"], "no view 'nothing'"),
    ],
)
def test_bad_filters_give_one_line(cli, many, args, message) -> None:
    result = cli("ticket", "list", *args)
    assert result.code in (2, 3), result.stderr
    (line,) = result.stderr.splitlines()
    assert message in line and "Traceback" not in result.stdout


def test_a_view_lists_its_tickets_and_options_refine_it(cli, many) -> None:
    made = cli("view", "add", "Urgent", "--unassigned", "--priority", "4+", "--sort=-priority")
    assert made.code == 0, made.stderr
    rows = cli("ticket", "list", "--view", "urgent", "--json").json()
    expected = [n for i, n in enumerate(many) if i % 5 >= 3 and i % 6]
    assert sorted(row["number"] for row in rows) == expected
    assert [row["priority"] for row in rows] == sorted((r["priority"] for r in rows), reverse=True)
    red = cli("ticket", "list", "--view", "Urgent", "--priority", "1", "--json").json()
    assert sorted(row["number"] for row in red) == [
        n for i, n in enumerate(many) if i % 5 == 0 and i % 6
    ]
    # another agent has views of their own
    other = cli("ticket", "list", "--view", "Urgent", user="bob")
    assert other.code == 3 and "no view 'Urgent'" in other.stderr
