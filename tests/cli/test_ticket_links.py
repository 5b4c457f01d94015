"""``tix ticket merge|split|link|unlink``: JSON, human lines, exit codes, nothing changed
when refused."""

from __future__ import annotations

import pytest


def _new(cli, subject: str, customer: str = "kunde@example.com", channel: str = "Support") -> int:
    result = cli(
        "ticket",
        "new",
        "--kind",
        "request",
        "--channel",
        channel,
        "--customer",
        customer,
        "--subject",
        subject,
        "--body",
        f"{subject}: what the customer said",
        "--json",
    )
    assert result.code == 0, result.stderr
    return int(result.json()["number"])


def test_merge_prints_what_moved_and_both_tickets_show_it(cli, world) -> None:
    source, target = _new(cli, "Pump leaks"), _new(cli, "Pump broken")
    assert cli("ticket", "note", str(source), "--body", "gasket ordered").code == 0
    assert cli("time", "book", str(source), "30m").code == 0

    result = cli("ticket", "merge", str(source), "--into", f"#{target}", "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {
        "source": source,
        "target": target,
        "activities": 3,
        "files": 0,
        "times": 1,
        "watchers": 0,
    }
    shown = cli("ticket", "show", str(source), "--json").json()
    assert shown["status"] == "closed" and shown["merged_into"] == target
    assert shown["first_message"] is None
    assert [a["field"] for a in shown["activities"]] == ["merged_into", "status"]
    into = cli("ticket", "show", str(target), "--json").json()
    assert into["merged"] == [source]
    assert "gasket ordered" in [a["body"] for a in into["activities"]]
    moved = [a for a in into["activities"] if (a.get("details") or {}).get("moved_from")]
    assert len(moved) == 3
    human = cli("ticket", "show", str(source))
    assert f"merged into #{target}" in human.stdout
    human = cli("ticket", "show", str(target))
    assert f"merged #{source} into this ticket" in human.stdout
    assert f"[from #{source}]" in human.stdout


def test_merge_says_what_moved_in_german(cli, world, german) -> None:
    source, target = _new(cli, "A"), _new(cli, "B")
    result = cli("ticket", "merge", str(source), "--into", str(target))
    assert result.code == 0, result.stderr
    assert f"#{source} mit #{target} zusammengeführt" in result.stderr
    shown = cli("ticket", "show", str(source))
    assert f"zusammengeführt in #{target}" in shown.stdout


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("itself", 1, "itself"),
        ("unknown", 3, "no ticket #999999"),
        ("again", 5, "merged into"),
        ("customer", 1, "--other-customer"),
        ("internal", 1, "internal"),
        ("forbidden", 4, "no access"),
    ],
)
def test_merge_refused_is_one_line_and_changes_nothing(cli, world, case, code, words) -> None:
    source, target = _new(cli, "A"), _new(cli, "B")
    user = None
    if case == "itself":
        target = source
    if case == "unknown":
        target = 999999
    if case == "again":
        assert cli("ticket", "merge", str(source), "--into", str(target)).code == 0
        target = _new(cli, "C")
    if case == "customer":
        assert cli("contact", "add", "otto@example.org", "--name", "Otto").code == 0
        source = _new(cli, "Other", customer="otto@example.org")
    if case == "internal":
        made = cli(
            "ticket", "new", "--kind", "internal", "--owner", "anna", "--subject", "I", "--json"
        )
        source = made.json()["number"]
    if case == "forbidden":
        source = _new(cli, "Sales", channel="Sales")
        user = "bob"
    before = cli("ticket", "show", str(target), "--json").json() if case != "unknown" else None
    result = cli("ticket", "merge", str(source), "--into", str(target), user=user)
    assert result.code == code, result.stderr
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    if before is not None:
        after = cli("ticket", "show", str(target), "--json").json()
        assert after["activities"] == before["activities"]
    if case == "customer":
        forced = cli("ticket", "merge", str(source), "--into", str(target), "--other-customer")
        assert forced.code == 0, forced.stderr


def test_split_makes_a_child_ticket_and_prints_it(cli, world) -> None:
    number = _new(cli, "Pump")
    assert cli("ticket", "note", str(number), "--body", "keep").code == 0
    assert cli("ticket", "note", str(number), "--body", "about the valve").code == 0
    assert cli("ticket", "note", str(number), "--body", "valve again").code == 0
    activities = cli("ticket", "show", str(number), "--json").json()["activities"]
    seq = next(a["seq"] for a in activities if a["body"] == "about the valve")

    result = cli(
        "ticket", "split", str(number), "--activity", str(seq), "--subject", "Valve", "--json"
    )
    assert result.code == 0, result.stderr
    new = result.json()
    assert new["subject"] == "Valve" and new["customer"]["address"] == "kunde@example.com"
    assert [a["body"] for a in new["activities"]][:2] == ["about the valve", "valve again"]
    assert new["links"] == [
        {"relation": "child", "number": number, "subject": "Pump", "status": "open"}
    ]
    old = cli("ticket", "show", str(number), "--json").json()
    assert [link["relation"] for link in old["links"]] == ["parent"]
    assert "about the valve" not in [a["body"] for a in old["activities"]]

    human = cli("ticket", "split", str(number), "--activity", "999")
    assert human.code == 3 and "no activity 999" in human.stderr


def test_link_unlink_and_the_list_counts_open_children(cli, world) -> None:
    parent, first, second = _new(cli, "Rollout"), _new(cli, "Site A"), _new(cli, "Site B")
    result = cli("ticket", "link", str(parent), str(first), "--kind", "parent", "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"ticket": parent, "other": first, "relation": "parent", "linked": True}
    human = cli("ticket", "link", str(second), str(parent), "--kind", "child")
    assert human.code == 0 and f"#{second} is now child of #{parent}." in human.stderr
    again = cli("ticket", "link", str(first), str(parent), "--kind", "related")
    assert again.code == 5 and "unlink" in again.stderr
    wrong = cli("ticket", "link", str(first), str(second), "--kind", "cousin")
    assert wrong.code == 2 and "parent, child, duplicate" in wrong.stderr

    assert cli("ticket", "set", str(first), "--status", "closed").code == 0
    rows = {row["number"]: row for row in cli("ticket", "list", "--json").json()}
    assert (rows[parent]["children"], rows[parent]["open_children"]) == (2, 1)
    assert rows[second]["children"] == 0
    table = cli("ticket", "list", "--format", "table")
    assert "[1/2] Rollout" in table.stdout

    shown = cli("ticket", "show", str(parent))
    assert f"parent of #{second}" in shown.stdout
    unlinked = cli("ticket", "unlink", str(parent), str(second), "--json")
    assert unlinked.code == 0 and unlinked.json()["relation"] == "parent"
    assert unlinked.json()["linked"] is False
    gone = cli("ticket", "unlink", str(parent), str(second))
    assert gone.code == 3 and "not linked" in gone.stderr
    assert [x["number"] for x in cli("ticket", "show", str(parent), "--json").json()["links"]] == [
        first
    ]
