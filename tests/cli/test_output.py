"""List commands piped into other programs: TSV with a header, nothing cut, and the
same --format and --fields on every one of them."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from tests.cli.test_app import _commands
from tests.core.mail.test_ingest import mail
from tix.cli.app import build_app
from tix.cli.output import plain_text

LONG_SUBJECT = (
    "Refund request for order 7781-2026 because the pump arrived with a cracked housing "
    "and the replacement never came"
)
#: Every list command with the arguments it needs ({t}: the ticket's number).
LIST_COMMANDS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("account", "list"): (),
    ("alarm", "list"): (),
    ("apikey", "list"): (),
    ("calendar", "list"): (),
    ("channel", "list"): (),
    ("contact", "list"): (),
    ("document", "list"): (),
    ("file", "list"): ("{t}",),
    ("group", "list"): (),
    ("mail", "log"): (),
    ("notify", "list"): (),
    ("project", "list"): (),
    ("signature", "list"): (),
    ("sla", "list"): (),
    ("template", "list"): (),
    ("ticket", "list"): (),
    ("time", "list"): (),
    ("user", "list"): (),
    ("view", "list"): (),
    ("watch", "list"): ("{t}",),
}
#: Reports: --json prints the whole report, --format its rows as a list command does.
REPORT_COMMANDS = {
    ("report", name)
    for name in ("overview", "volume", "response", "sla", "agents", "categories", "mail")
}
BOX = set("│┃━─┼╇┡┩┏┓┗┛╭╮╰╯…")


def _tsv_cell(text: str) -> str:
    """A value as a TSV cell shows it: tabs and line breaks in it become spaces."""
    return text.replace("\r\n", " ").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _list_commands() -> set[tuple[str, ...]]:
    root = typer.main.get_command(build_app(everything=True))
    found = set()
    for path, command in _commands(root):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        if "--format" in options or path[-1] in ("list", "log"):
            assert {"--format", "--fields", "--json"} <= options, path
            found.add(path)
    return found


def test_every_list_command_takes_format_and_fields() -> None:
    assert _list_commands() == set(LIST_COMMANDS) | REPORT_COMMANDS


def test_piped_reports_are_their_rows_tab_separated(cli, busy) -> None:
    for path in sorted(REPORT_COMMANDS):
        rows = cli(*path, "--format", "json").json()
        assert isinstance(rows, list), path
        piped = cli(*path)
        assert piped.code == 0, (path, piped.stderr)
        assert not BOX & set(piped.stdout), (path, piped.stdout)
        lines = piped.stdout.splitlines()
        header = lines[0].split("\t")
        assert len(lines) == 1 + len(rows), path
        for line, row in zip(lines[1:], rows, strict=True):
            assert line.split("\t") == [_tsv_cell(plain_text(row.get(key))) for key in header]
        assert isinstance(cli(*path, "--json").json(), dict), path


@pytest.fixture
def busy(cli, ticket, tmp_path: Path) -> int:
    """Something in every list: a long subject, time, a file, an alarm, a document, a
    project, a notification for anna, a watching group, an API key, an imported mail, a
    business calendar, an SLA, a signature, a text module and a saved view."""
    steps = [
        ("ticket", "set", str(ticket), "--subject", LONG_SUBJECT),
        ("time", "book", str(ticket), "1h30m", "--note", "On site"),
        ("alarm", "add", str(ticket), "--at", "+2d", "--note", "Call back"),
        ("document", "new", str(ticket), "--type", "quote", "--line", "Seal;2;9,95"),
        ("project", "new", "Pumps", "--from-ticket", str(ticket)),
        ("watch", "add", str(ticket), "--user", "anna"),
        ("watch", "add", str(ticket), "--group", "Sales"),
        ("apikey", "add", "website"),
        ("calendar", "add", "Office", "--timezone", "Europe/Berlin", "--holidays", "DE-BY"),
        ("sla", "add", "Standard", "--calendar", "Office", "--first-response", "4h"),
        ("signature", "set", "Support", "--body", "Support\tteam\n{{ channel.name }}"),
        ("template", "add", "greeting", "--body", "Hello {{ customer.first_name }},"),
        ("view", "add", "urgent", "--priority", "7+"),
    ]
    attachment = tmp_path / "photo.txt"
    attachment.write_text("a crack", encoding="utf-8")
    steps.append(("file", "add", str(ticket), str(attachment)))
    message = tmp_path / "one.eml"
    message.write_bytes(mail(subject="From a file"))
    steps.append(("mail", "import", str(message), "--channel", "Support"))
    for step in steps:
        done = cli(*step, "--json")
        assert done.code == 0, (step, done.stderr)
    noted = cli("ticket", "note", str(ticket), "--body", "Ordered", "--json", user="bob")
    assert noted.code == 0, noted.stderr
    return ticket


def test_piped_lists_are_tab_separated_with_a_header_and_nothing_cut(cli, busy) -> None:
    for path, args in LIST_COMMANDS.items():
        argv = [*path, *(a.format(t=busy) for a in args)]
        rows = cli(*argv, "--json").json()
        assert rows, path
        piped = cli(*argv)
        assert piped.code == 0, (path, piped.stderr)
        assert not BOX & set(piped.stdout), (path, piped.stdout)
        lines = piped.stdout.splitlines()
        header = lines[0].split("\t")
        assert set(header) <= {key for row in rows for key in row}, path
        assert len(lines) == 1 + len(rows), path
        for line, row in zip(lines[1:], rows, strict=True):
            cells = line.split("\t")
            assert cells == [_tsv_cell(plain_text(row.get(key))) for key in header], path
    tickets = cli("ticket", "list").stdout.splitlines()
    assert tickets[0].split("\t") == [
        "number",
        "priority",
        "status",
        "subject",
        "customer",
        "owner",
        "channel",
        "updated_at",
    ]
    assert tickets[1].split("\t")[3] == LONG_SUBJECT
    assert tickets[1].split("\t")[4] == "Karla Kunde <kunde@example.com>"


def test_fields_are_the_json_keys_of_every_list(cli, busy) -> None:
    for path, args in LIST_COMMANDS.items():
        argv = [*path, *(a.format(t=busy) for a in args)]
        rows = cli(*argv, "--json").json()
        keys = list(dict.fromkeys(key for row in rows for key in row))
        refused = cli(*argv, "--fields", "nonsense")
        assert refused.code == 2, path
        assert refused.stdout == "" and len(refused.stderr.splitlines()) == 1, path
        named = refused.stderr.split("choose from ")[1].split(" ")[0].split(",")
        assert sorted(named) == sorted(keys), path
        picked = cli(*argv, "--fields", ",".join(reversed(keys)), "--format", "json")
        assert picked.code == 0, (path, picked.stderr)
        assert picked.json() == [{key: row.get(key) for key in reversed(keys)} for row in rows]


def test_every_format(cli, busy) -> None:
    rows = cli("ticket", "list", "--json").json()
    fields = ("--fields", "number,subject,categories,customer")
    as_csv = cli("ticket", "list", "--format", "csv", *fields).stdout
    parsed = list(csv.reader(io.StringIO(as_csv)))
    assert parsed[0] == ["number", "subject", "categories", "customer"]
    assert parsed[1] == [str(busy), LONG_SUBJECT, "", "Karla Kunde <kunde@example.com>"]
    lines = cli("ticket", "list", "--format", "jsonl", *fields).stdout.splitlines()
    assert [json.loads(line)["number"] for line in lines] == [row["number"] for row in rows]
    as_json = cli("ticket", "list", "--format", "json").json()
    assert as_json == rows
    drawn = cli("ticket", "list", "--format", "table", *fields)
    assert drawn.code == 0 and "┃" in drawn.stdout and "number" in drawn.stdout
    empty = cli("ticket", "list", "--channel", "Sales")
    assert empty.code == 0 and empty.stdout.startswith("number\tpriority\t")
    assert len(empty.stdout.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "unknown format 'xml': use table, tsv, csv, json, jsonl"),
        (("--format", "tsv", "--json"), "give --json or --format, not both"),
        (("--fields", ","), "give the fields as names separated by commas"),
    ],
)
def test_bad_format_options_are_usage_errors(cli, world, args, message) -> None:
    result = cli("user", "list", *args)
    assert result.code == 2 and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_terminal_gets_the_table(cli, world) -> None:
    """On a terminal the list is drawn as a table, as before."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tix", "user", "list"],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=dict(os.environ, COLUMNS="100"),
            check=False,
            timeout=60,
        )
        drawn = os.read(leader, 65536).decode()
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert "┃" in drawn and "Login" in drawn and "anna" in drawn
    assert "\t" not in drawn


def test_a_tab_or_line_break_inside_a_value_keeps_the_line_whole(capsys) -> None:
    from tix.cli.output import emit_rows, state

    rows = [{"id": 1, "note": "two\tcolumns\nand two lines", "tags": ["a", "b"], "ok": True}]
    state.reset()
    state.format = "tsv"
    try:
        emit_rows(rows, lambda: None, fields=("id", "note", "tags", "ok"), default=("id", "note"))
        state.fields = ["note", "tags", "ok"]
        emit_rows(rows, lambda: None, fields=("id", "note", "tags", "ok"), default=("id", "note"))
    finally:
        state.reset()
    assert capsys.readouterr().out == (
        "id\tnote\n"
        "1\ttwo columns and two lines\n"
        "note\ttags\tok\n"
        "two columns and two lines\ta,b\ttrue\n"
    )
