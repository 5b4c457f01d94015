"""Exit code 2, and one clear line, for every usage error of every command: an unknown
option, a missing argument, a value that cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from tests.cli.test_app import _commands
from tix.cli.app import build_app

#: For each command, calls whose value cannot be read ({t}: a ticket, {tmp}: a folder).
MALFORMED: dict[tuple[str, ...], list[list[str]]] = {
    ("user", "add"): [
        ["zed", "--name", "Zed", "--email", "not-an-address"],
        ["Zed Zero", "--name", "Zed", "--email", "zed@tix.test"],
        ["zed", "--name", "Zed", "--email", "zed@tix.test", "--language", "klingon"],
    ],
    ("user", "set"): [
        ["bob", "--language", "klingon"],
        ["bob", "--hourly-rate", "lots"],
        ["bob", "--hourly-rate", "-5"],
        ["bob", "--timezone", "Mars/Olympus"],
    ],
    ("channel", "set"): [
        ["Support", "--allowed-origin", "notaurl"],
        ["Support", "--stranger-follow-ups", "sometimes"],
    ],
    ("contact", "add"): [
        ["not-an-address", "--name", "X"],
        ["new@example.com", "--name", "N", "--kind", "friend"],
    ],
    ("contact", "list"): [["--limit", "many"]],
    ("contact", "set"): [["kunde@example.com", "--language", "klingon"]],
    ("contact", "portal-enable"): [["not-an-address", "--invite"]],
    ("contact", "portal-disable"): [["not-an-address"]],
    ("account", "add"): [
        ["sales", "--address", "nope"],
        ["sales", "--address", "s@tix.test", "--imap-host", "h", "--imap-port", "imap"],
    ],
    ("account", "set"): [
        ["support", "--smtp-port", "smtp"],
        ["support", "--address", "x"],
        ["support", "--tls", "maybe"],
        ["support", "--imap-host", "h", "--imap-port", "70000"],
        ["support", "--auth", "kerberos"],
    ],
    ("ticket", "new"): [
        ["--kind", "internal", "--owner", "bob", "--subject", "S", "--priority", "urgent!"],
        ["--kind", "internal", "--owner", "bob", "--subject", "S", "--color", "pink"],
        ["--kind", "memo", "--owner", "bob", "--subject", "S"],
        ["--kind", "request", "--channel", "Support", "--customer", "x", "--subject", "S"],
    ],
    ("ticket", "list"): [
        ["--limit", "all"],
        ["--status", "pending"],
        ["--kind", "memo"],
        ["--priority", "9-1"],
        ["--color", "pink"],
        ["--sort", "size"],
        ["--cursor", "junk"],
        ["--all", "--limit", "5"],
    ],
    ("ticket", "show"): [["abc"]],
    ("ticket", "reply"): [["abc", "--body", "x"], ["{t}", "--body", "x", "--to", "nobody"]],
    ("ticket", "note"): [["abc", "--body", "x"]],
    ("ticket", "solve"): [["abc", "--body", "x"], ["{t}", "--body", "x", "--cc", "nobody"]],
    ("ticket", "set"): [
        ["{t}", "--color", "pink"],
        ["{t}", "--priority", "12"],
        ["{t}", "--if-version", "latest"],
        ["{t}", "--status", "pending"],
    ],
    ("ticket", "merge"): [["abc", "--into", "{t}"], ["{t}", "--into", "abc"]],
    ("ticket", "split"): [["abc", "--activity", "1"], ["{t}", "--activity", "first"]],
    ("ticket", "link"): [["abc", "{t}"], ["{t}", "abc"], ["{t}", "{t}", "--kind", "cousin"]],
    ("ticket", "unlink"): [["abc", "{t}"]],
    ("time", "book"): [["{t}", "90"], ["{t}", "1h", "--on", "someday"], ["abc", "1h"]],
    ("time", "list"): [["--from", "31.02.2026"], ["--ticket", "abc"]],
    ("time", "export"): [["{tmp}/t.xlsx", "--to", "someday"]],
    ("watch", "add"): [["abc", "--user", "bob"]],
    ("watch", "remove"): [["abc", "--user", "bob"]],
    ("watch", "list"): [["abc"]],
    ("file", "add"): [["abc", "{tmp}/a.txt"]],
    ("file", "list"): [["abc"]],
    ("file", "get"): [["{t}", "first"]],
    ("alarm", "add"): [
        ["{t}", "--at", "whenever", "--note", "x"],
        ["{t}", "--at", "+1d", "--note", "x", "--via", "pigeon"],
        ["abc", "--at", "+1d", "--note", "x"],
    ],
    ("notify", "list"): [["--limit", "ten"]],
    ("notify", "read"): [["first"]],
    ("document", "new"): [
        ["{t}", "--type", "bill", "--line", "a;1;1"],
        ["{t}", "--type", "quote", "--line", "broken"],
        ["{t}", "--type", "quote", "--line", "Seal;two;9,95"],
    ],
    ("document", "list"): [["--ticket", "abc"]],
    ("project", "new"): [["P", "--from-ticket", "abc"]],
    ("mail", "sync"): [["--since", "someday"]],
    ("mail", "log"): [["--status", "lost"], ["--limit", "x"]],
    ("mail", "raw"): [["latest"]],
    ("signature", "set"): [["--body", "x"], ["Support", "--account", "support", "--body", "x"]],
    ("signature", "show"): [[], ["--ticket", "abc"]],
    ("signature", "list"): [["--format", "xml"]],
    ("signature", "remove"): [[], ["Support", "--mine"]],
    ("template", "add"): [["x", "--body", "y", "--language", "klingon"]],
    ("template", "list"): [["--ticket", "abc"]],
    ("template", "show"): [["greeting", "--ticket", "abc"]],
    ("template", "set"): [["x"], ["x", "--language", "klingon", "--body", "y"]],
    ("template", "remove"): [["x", "--language", "klingon"]],
    ("calendar", "add"): [
        ["Office", "--timezone", "Mars/Base"],
        ["Office", "--timezone", "UTC", "--hours", "mon 9"],
        ["Office", "--timezone", "UTC", "--holidays", "DE-XX"],
        ["Office", "--timezone", "UTC", "--closed-day", "someday"],
    ],
    ("calendar", "set"): [
        ["Office", "--timezone", "Mars/Base"],
        ["Office", "--hours", "fri-mon 8-17"],
        ["Office", "--open-day", "someday"],
    ],
    ("calendar", "show"): [["Office", "--year", "next"]],
    ("sla", "add"): [
        ["Standard", "--calendar", "Office", "--solution", "4"],
        ["Standard", "--calendar", "Office", "--solution", "4h", "--priority", "9-1"],
        ["Standard", "--calendar", "Office", "--first-response", "soon"],
    ],
    ("sla", "set"): [
        ["Standard", "--warn-before", "soon"],
        ["Standard", "--priority", "ten"],
    ],
    ("view", "add"): [
        ["x", "--priority", "urgent!"],
        ["x", "--sort", "size"],
        ["x", "--color", "pink"],
        ["x", "--status", "pending"],
        ["x", "--due-within", "soon"],
    ],
    ("view", "list"): [["--format", "xml"]],
    ("demo",): [["--tickets", "many"]],
    ("worker",): [["--interval", "soon"]],
    ("serve",): [["--port", "http"]],
    **{
        ("report", name): [
            ["--period", "year"],
            ["--from", "someday"],
            ["--to", "26.10.2024", "--from", "03.11.2024"],
            ["--kind", "memo"],
            ["--format", "xml"],
            ["--channel", "Nowhere", "--period", "year"],
        ]
        for name in ("overview", "volume", "response", "sla", "agents", "categories", "mail")
    },
}
#: Commands whose every value is a name or free text: nothing there can be malformed
#: (a name that does not exist is "not found", exit 3).
NOTHING_TO_MISREAD = {
    ("calendar", "list"),
    ("calendar", "remove"),
    ("sla", "list"),
    ("sla", "remove"),
    ("db", "upgrade"),
    ("db", "backup"),
    ("user", "list"),
    ("group", "add"),
    ("group", "list"),
    ("group", "member", "add"),
    ("group", "member", "remove"),
    ("channel", "add"),
    ("channel", "list"),
    ("account", "list"),
    ("account", "test"),
    ("account", "oauth"),
    ("alarm", "list"),
    ("alarm", "run"),
    ("document", "export"),
    ("project", "list"),
    ("mail", "send"),
    ("mail", "import"),
    ("apikey", "add"),
    ("apikey", "list"),
    ("apikey", "revoke"),
    ("form", "set"),
    ("form", "show"),
    ("webform", "snippet"),
    ("view", "show"),
    ("view", "remove"),
    ("config", "show"),
    ("init",),
    ("tui",),
}


def _every_command() -> dict[tuple[str, ...], object]:
    root = typer.main.get_command(build_app(everything=True))
    return dict(_commands(root))


def _usage_error(result, argv) -> None:
    assert result.code == 2, (argv, result.code, result.stderr)
    assert result.stdout == "", argv
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tix: "), (argv, result.stderr)
    assert "Traceback" not in result.stderr


def test_the_sweep_covers_every_command() -> None:
    commands = set(_every_command())
    assert set(MALFORMED) | NOTHING_TO_MISREAD == commands
    assert not set(MALFORMED) & NOTHING_TO_MISREAD


def test_an_unknown_option_is_exit_2_everywhere(cli, world) -> None:
    for path in _every_command():
        argv = [*path, "--no-such-option"]
        result = cli(*argv)
        _usage_error(result, argv)
        assert "--no-such-option" in result.stderr, argv


def test_a_missing_argument_is_exit_2_everywhere(cli, world) -> None:
    checked = 0
    for path, command in _every_command().items():
        required = [param for param in command.params if param.required]  # type: ignore[attr-defined]
        if not required:
            continue
        result = cli(*path)
        _usage_error(result, list(path))
        assert "--help" in result.stderr, path
        checked += 1
    assert checked >= 35


def test_a_malformed_value_is_exit_2_everywhere(cli, ticket, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    before = cli("ticket", "show", str(ticket), "--json").json()["version"]
    for path, calls in MALFORMED.items():
        for call in calls:
            argv = [*path, *(a.format(t=ticket, tmp=tmp_path) for a in call)]
            _usage_error(cli(*argv), argv)
            as_json = cli(*argv, "--json")
            assert as_json.code == 2, argv
    assert cli("ticket", "show", str(ticket), "--json").json()["version"] == before
    assert [u["login"] for u in cli("user", "list", "--json").json()] == [
        "anna",
        "bob",
        "carl",
        "dora",
    ]
    assert not (tmp_path / "t.xlsx").exists()


@pytest.mark.parametrize(
    "argv",
    [["nosuchcommand"], ["ticket", "nosuchverb"], ["ticket"], ["--as"], []],
)
def test_root_and_group_usage_errors_are_exit_2(cli, world, argv) -> None:
    result = cli(*argv)
    assert result.code == 2, (argv, result.stderr)
