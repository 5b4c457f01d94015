"""``tix ticket``: the scripted operations, with exit codes and JSON as the contract says."""

from __future__ import annotations

import pytest


@pytest.fixture
def ticket(cli, world) -> int:
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
        "Call: pump",
        "--body",
        "Pump leaks",
        "--category",
        "Hardware",
        "--priority",
        "6",
        "--json",
    )
    assert result.code == 0, result.stderr
    return int(result.json()["number"])


def test_new_ticket_of_each_kind_prints_it_as_json(cli, world) -> None:
    internal = cli(
        "ticket",
        "new",
        "--kind",
        "internal",
        "--owner",
        "bob",
        "--subject",
        "Cover for me",
        "--body",
        "Next week",
        "--json",
    )
    assert internal.code == 0, internal.stderr
    data = internal.json()
    assert data["kind"] == "internal" and data["owner"] == "bob" and data["creator"] == "anna"
    assert data["first_message"]["body"] == "Next week"
    assert internal.stderr == ""

    mail = cli(
        "ticket",
        "new",
        "--kind",
        "mail",
        "--account",
        "support",
        "--channel",
        "Support",
        "--to",
        "neu@kunde.example",
        "--cc",
        "chef@kunde.example",
        "--subject",
        "Offer",
        "--body-file",
        "-",
        "--json",
        stdin="Dear customer,\n\nhere is our offer.\n",
    )
    assert mail.code == 0, mail.stderr
    data = mail.json()
    assert data["kind"] == "mail" and data["customer"]["address"] == "neu@kunde.example"
    assert data["activities"][0]["cc"] == ["chef@kunde.example"]
    assert data["activities"][0]["body"] == "Dear customer,\n\nhere is our offer.\n"
    assert data["number"] == internal.json()["number"] + 1

    request = cli(
        "ticket",
        "new",
        "--kind",
        "request",
        "--channel",
        "Support",
        "--customer",
        "anrufer@example.org",
        "--customer-name",
        "Anna Anrufer",
        "--subject",
        "Call",
        "--body",
        "Called about X",
        "--json",
    )
    assert request.code == 0, request.stderr
    assert request.json()["customer"] == {
        "name": "Anna Anrufer",
        "address": "anrufer@example.org",
        "kind": "customer",
        "organization": None,
    }


def test_show_gives_the_whole_ticket(cli, ticket: int) -> None:
    result = cli("ticket", "show", f"#{ticket}", "--json")
    assert result.code == 0
    data = result.json()
    for key in (
        "number",
        "kind",
        "status",
        "subject",
        "priority",
        "channel",
        "owner",
        "creator",
        "customer",
        "project",
        "categories",
        "color",
        "created_at",
        "updated_at",
        "first_message",
        "activities",
        "watchers",
        "times",
        "files",
        "alarms",
    ):
        assert key in data
    assert data["created_at"][-6] in "+-"  # ISO 8601 with offset
    activity = data["activities"][0]
    assert {"id", "kind", "author", "created_at", "body"} <= set(activity)
    human = cli("ticket", "show", str(ticket))
    assert human.code == 0 and "Call: pump" in human.stdout and "Pump leaks" in human.stdout


def test_show_names_kind_status_and_source_in_the_users_language(cli, ticket: int, request) -> None:
    assert cli("ticket", "note", str(ticket), "--body", "bring seals").code == 0
    assert cli("ticket", "set", str(ticket), "--status", "waiting", "--color", "red").code == 0
    english = cli("ticket", "show", str(ticket))
    assert "Kind: request" in english.stdout and "Source: taken on the phone" in english.stdout
    assert "Internal note" in english.stdout and "Status open → waiting" in english.stdout
    request.getfixturevalue("german")
    german = cli("ticket", "show", str(ticket))
    assert "Status: wartend" in german.stdout
    assert "Interne Notiz" in german.stdout and "Status offen → wartend" in german.stdout
    assert "Farbmarkierung: rot" in german.stdout and "Farbmarkierung - → rot" in german.stdout
    assert "Art: Anfrage" in german.stdout
    assert "Quelle: telefonisch aufgenommen" in german.stdout
    assert cli("ticket", "show", str(ticket), "--json").json()["origin"] == "phone"


def test_show_gives_times_in_local_time_in_the_languages_one_format(
    cli, ticket: int, request
) -> None:
    """Not the raw ISO time of --json: ``2026-11-27 10:30`` / ``27.11.2026 10:30``, in the
    user's zone, for the ticket's times and every activity's."""
    import re
    from datetime import datetime

    assert cli("ticket", "note", str(ticket), "--body", "bring seals").code == 0
    data = cli("ticket", "show", str(ticket), "--json").json()
    created = datetime.fromisoformat(data["created_at"])  # already in the user's zone
    noted = datetime.fromisoformat(data["activities"][-1]["created_at"])
    english = cli("ticket", "show", str(ticket)).stdout
    assert f"Created: {created:%Y-%m-%d %H:%M}" in english
    assert f"{noted:%Y-%m-%d %H:%M} " in english.split("Changed:")[1]  # the activity lines
    assert not re.search(r"\d{2}T\d{2}:\d{2}|[+-]\d{2}:\d{2}\b", english)  # no ISO, no offset
    request.getfixturevalue("german")
    german = cli("ticket", "show", str(ticket)).stdout
    assert f"Erstellt: {created:%d.%m.%Y %H:%M}" in german
    assert f"{noted:%d.%m.%Y %H:%M} " in german.split("Geändert:")[1]
    assert not re.search(r"\d{4}-\d{2}-\d{2}", german)


def test_status_kind_and_priority_are_taken_in_the_users_language(
    cli, world, ticket: int, german
) -> None:
    changed = cli("ticket", "set", str(ticket), "--status", "Wartend", "--priority", "sehr hoch")
    assert changed.code == 0, changed.stderr
    data = cli("ticket", "show", str(ticket), "--json").json()
    assert (data["status"], data["priority"]) == ("waiting", 9)
    listed = cli("ticket", "list", "--status", "wartend,offen", "--kind", "Anfrage", "--json")
    assert listed.code == 0, listed.stderr
    assert [t["number"] for t in listed.json()] == [ticket]
    assert cli("ticket", "list", "--status", "alle", "--json").json() != []
    made = cli(
        "ticket",
        "new",
        "--kind",
        "intern",
        "--owner",
        "anna",
        "--subject",
        "Lager",
        "--priority",
        "niedrig",
        "--json",
    )
    assert made.code == 0, made.stderr
    assert (made.json()["kind"], made.json()["priority"]) == ("internal", 1)
    refused = cli("ticket", "set", str(ticket), "--status", "erledigt")
    assert refused.code == 2
    assert refused.stderr.strip().endswith(
        "unbekannter Status 'erledigt': einen von neu, offen, wartend, gelöst, geschlossen "
        "verwenden"
    )
    assert cli("ticket", "show", str(ticket), "--json").json()["status"] == "waiting"
    wrong_kind = cli("ticket", "list", "--kind", "Telefon")
    assert wrong_kind.code == 2 and "Anfrage" in wrong_kind.stderr


def test_reply_note_solve_and_set(cli, ticket: int) -> None:
    reply = cli("ticket", "reply", str(ticket), "--body", "We come tomorrow", "--json")
    assert reply.code == 0, reply.stderr
    assert reply.json()["to"] == ["kunde@example.com"] and reply.json()["kind"] == "reply"
    note = cli("ticket", "note", str(ticket), "--body", "bring seals", "--json")
    assert note.json()["internal"] is True
    changed = cli(
        "ticket",
        "set",
        str(ticket),
        "--status",
        "waiting",
        "--owner",
        "bob",
        "--priority",
        "8",
        "--add-category",
        "Urgent",
        "--remove-category",
        "hardware",
        "--color",
        "red",
        "--json",
    )
    assert changed.code == 0, changed.stderr
    data = changed.json()
    assert (data["status"], data["owner"], data["priority"], data["color"]) == (
        "waiting",
        "bob",
        8,
        "red",
    )
    assert data["categories"] == ["Urgent"]
    solved = cli("ticket", "solve", str(ticket), "--body", "Seal replaced", "--json")
    assert solved.json()["status"] == "solved"
    listed = cli("ticket", "list", "--status", "solved", "--json").json()
    assert [row["number"] for row in listed] == [ticket]


def test_a_note_keeps_no_control_characters_that_could_reach_a_terminal(cli, ticket) -> None:
    note = cli("ticket", "note", str(ticket), "--body", "seals\x1b[2J\x9b31m\x07 in\tbox 4")
    assert note.code == 0, note.stderr
    shown = cli("ticket", "show", str(ticket), "--json").json()
    assert shown["activities"][-1]["body"] == "seals[2J31m in\tbox 4"


def test_list_filters_and_search(cli, ticket: int) -> None:
    cli("ticket", "new", "--kind", "internal", "--owner", "anna", "--subject", "Mine", "--json")
    everything = cli("ticket", "list", "--json").json()
    assert len(everything) == 2
    mine = cli("ticket", "list", "--mine", "--kind", "internal", "--json").json()
    assert [row["subject"] for row in mine] == ["Mine"]
    assert [r["number"] for r in cli("ticket", "list", "--search", "leaks", "--json").json()] == [
        ticket
    ]
    assert cli("ticket", "list", "--category", "hardware", "--json").json()[0]["number"] == ticket
    assert cli("ticket", "list", "--channel", "Sales", "--json").json() == []
    human = cli("ticket", "list")
    assert "Call: pump" in human.stdout and "Mine" in human.stdout
    assert cli("ticket", "list", "--limit", "1", "--json").json()[0]["subject"] == "Mine"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ticket", "show", "9999"], 3, "no ticket #9999"),
        (["ticket", "show", "abc"], 2, "not a ticket number"),
        (["ticket", "set", "{t}", "--priority", "0"], 2, "priority 0 is out of range"),
        (["ticket", "set", "{t}", "--priority", "10"], 2, "priority 10 is out of range"),
        (["ticket", "set", "{t}", "--owner", "ghost"], 3, "no user 'ghost'"),
        (["ticket", "set", "{t}", "--channel", "Nowhere"], 3, "no channel 'Nowhere'"),
        (["ticket", "set", "{t}", "--subject", " "], 1, "subject must not be empty"),
        (
            ["ticket", "set", "{t}", "--subject", "Pump\x1b[2J\x9b31m"],
            1,
            "the subject contains the control character U+001B",
        ),
        (
            [
                "ticket",
                "new",
                "--kind",
                "request",
                "--channel",
                "Support",
                "--customer",
                "kunde@example.com, evil@example.org",
                "--subject",
                "S",
                "--body",
                "B",
            ],
            1,
            "is not one e-mail address",
        ),
        (
            [
                "ticket",
                "new",
                "--kind",
                "request",
                "--channel",
                "Support",
                "--customer",
                "kunde@example.com\r\nBcc: evil@example.org",
                "--subject",
                "S",
                "--body",
                "B",
            ],
            1,
            "is not one e-mail address",
        ),
        (["ticket", "set", "{t}", "--status", "done"], 2, "unknown status"),
        (
            ["ticket", "set", "{t}", "--priority", "3", "--if-version", "1"],
            5,
            "changed by someone else",
        ),
        (["ticket", "reply", "{t}"], 2, "--body"),
        (
            ["ticket", "reply", "{t}", "--body", "x", "--cc", "not-an-address"],
            2,
            "not an e-mail address",
        ),
        (
            [
                "ticket",
                "new",
                "--kind",
                "request",
                "--channel",
                "Support",
                "--customer",
                "stranger@example.org",
                "--subject",
                "S",
                "--body",
                "B",
            ],
            3,
            "tix contact add",
        ),
        (["ticket", "new", "--kind", "internal", "--subject", "S"], 2, "--owner"),
        (["ticket", "new", "--kind", "weird", "--subject", "S"], 2, "unknown kind"),
        (
            [
                "ticket",
                "new",
                "--kind",
                "internal",
                "--owner",
                "bob",
                "--subject",
                "S",
                "--to",
                "a@b.example",
            ],
            2,
            "--to does not apply",
        ),
        (["ticket", "show", "{t}"], 4, "no access"),
    ],
)
def test_bad_input_gives_one_line_and_changes_nothing(cli, ticket, args, code, message) -> None:
    before = cli("ticket", "show", str(ticket), "--json").json()
    user = "carl" if code == 4 else None
    result = cli(*[a.format(t=ticket) for a in args], user=user)
    assert result.code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    after = cli("ticket", "show", str(ticket), "--json").json()
    assert after == before
    assert len(cli("ticket", "list", "--status", "all", "--json").json()) == 1


def test_errors_in_json_mode_are_json(cli, world) -> None:
    result = cli("ticket", "show", "4242", "--json")
    assert result.code == 3
    assert result.json() == {
        "error": {"code": "not_found", "message": "no ticket #4242: see `tix ticket list`"}
    }


def test_acting_as_nobody_is_refused(cli, world) -> None:
    result = cli("ticket", "list", user="ghost")
    assert result.code == 3
    assert "no active tix user 'ghost'" in result.stderr and "--as LOGIN" in result.stderr
