"""``tix view``: saving, listing, showing and removing views, with the CLI contract."""

from __future__ import annotations

import pytest


def test_add_list_show_remove(cli, world) -> None:
    made = cli("view", "add", "Waiting on me", "--mine", "--status", "waiting", "--json")
    assert made.code == 0, made.stderr
    data = made.json()
    assert data["name"] == "Waiting on me"
    assert data["filters"] == {"mine": True, "statuses": ["waiting"]}
    assert data["description"] == "status: waiting · mine"
    assert {"created_at", "updated_at"} <= set(data)
    human = cli("view", "add", "Red", "--color", "red", "--channel", "Support")
    assert human.code == 0 and "Saved view Red" in human.stderr
    listed = cli("view", "list", "--json").json()
    assert [view["name"] for view in listed] == ["Red", "Waiting on me"]
    tsv = cli("view", "list").stdout.splitlines()
    assert tsv[0] == "name\tdescription" and tsv[1] == "Red\tchannel: Support · color: red"
    assert cli("view", "show", "red", "--json").json()["filters"] == {
        "channel": "Support",
        "color": "red",
    }
    removed = cli("view", "remove", "RED", "--json")
    assert removed.code == 0 and removed.json() == {"name": "Red", "removed": True}
    assert [view["name"] for view in cli("view", "list", "--json").json()] == ["Waiting on me"]


def test_sla_filters(cli, world) -> None:
    made = cli("view", "add", "Late", "--breached", "--due-within", "2h", "--json")
    assert made.code == 0, made.stderr
    assert made.json()["filters"] == {"breached": True, "due_within": "2h"}
    assert cli("ticket", "list", "--view", "Late", "--json").json() == []
    refused = cli("view", "add", "Soon", "--due-within", "soon")
    assert refused.code == 2 and "is no business time" in refused.stderr


def test_replace(cli, world) -> None:
    assert cli("view", "add", "mine", "--mine").code == 0
    taken = cli("view", "add", "Mine", "--unassigned")
    assert taken.code == 5 and "--replace" in taken.stderr
    assert cli("view", "add", "Mine", "--unassigned", "--replace").code == 0
    assert cli("view", "show", "mine", "--json").json()["filters"] == {"unassigned": True}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["view", "add", "x", "--channel", "Nowhere"], 3, "no channel 'Nowhere'"),
        (["view", "add", "x", "--owner", "ghost"], 3, "no user 'ghost'"),
        (["view", "add", "x", "--sort", "size"], 2, "unknown sort"),
        (["view", "add", "x", "--priority", "11"], 2, "out of range"),
        (["view", "add", "x", "--status", "done"], 2, "unknown status"),
        (["view", "add", " ", "--mine"], 1, "must not be empty"),
        (["view", "show", "nothing"], 3, "no view 'nothing'"),
        (["view", "remove", "nothing"], 3, "no view 'nothing'"),
    ],
)
def test_bad_input_gives_one_line_and_saves_nothing(cli, world, args, code, message) -> None:
    result = cli(*args)
    assert result.code == code, (result.stdout, result.stderr)
    (line,) = result.stderr.splitlines()
    assert message in line
    assert cli("view", "list", "--json").json() == []


def test_german(cli, world, german) -> None:
    made = cli("view", "add", "Offen", "--status", "offen", "--unassigned", "--json")
    assert made.code == 0, made.stderr
    assert made.json()["filters"] == {"statuses": ["open"], "unassigned": True}
    assert made.json()["description"] == "Status: offen · nicht übernommen"
