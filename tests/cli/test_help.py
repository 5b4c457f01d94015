"""Help that reads well: plain argument names, and Click's own words in German too."""

from __future__ import annotations

import re

import pytest
import typer

from tests.cli.test_app import _commands
from tix.cli.app import build_app, run

PYTHON_TYPE = re.compile(r"<(str|int|float|bool|Path|list\[[^\]]*\])>")
ENGLISH_CLICK = ("Usage:", "Options:", "Arguments:", "Commands:", "Show this message", "[required]")


def _paths() -> list[tuple[str, ...]]:
    root = typer.main.get_command(build_app(everything=True))
    return [path for path, _command in _commands(root)]


#: Every command, its module imported now, in English: the German test below must not
#: be the first to import one (its help texts would stay German for later tests).
PATHS = _paths()


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    capsys.readouterr()
    assert run([*argv, "--help"]) == 0, argv
    return capsys.readouterr().out


def test_mail_import_help_shows_plain_metavars(capsys) -> None:
    text = _help(capsys, "mail", "import")
    assert text.startswith("Usage: tix mail import [OPTIONS] FILE...\n")
    assert re.search(r"^  FILE\.\.\.  The files\.  \[required\]$", text, re.M), text


def test_no_help_shows_braces_or_python_types(capsys) -> None:
    for path in PATHS:
        text = _help(capsys, *path)
        usage = text.splitlines()[0]
        assert "{" not in usage and "}" not in usage, (path, usage)
        assert not PYTHON_TYPE.search(text), (path, PYTHON_TYPE.search(text))


def test_help_in_german_has_no_english_click_words(capsys, german) -> None:
    text = _help(capsys, "ticket", "show")
    assert text.startswith("Aufruf: tix ticket show [OPTIONEN] N\n")
    for heading in ("Argumente:", "Optionen:", "Diese Hilfe zeigen und beenden.", "[erforderlich]"):
        assert heading in text, heading
    assert "Befehle:" in _help(capsys, "ticket")
    assert "tix ticket [OPTIONEN] BEFEHL [ARGUMENTE]..." in _help(capsys, "ticket")
    assert "Befehle:" in _help(capsys)
    for path in PATHS:
        text = _help(capsys, *path)
        for word in ENGLISH_CLICK:
            assert word not in text, (path, word)


@pytest.mark.parametrize(
    ("argv", "english", "german_text"),
    [
        (["ticket", "list", "--mien"], "no such option --mien", "unbekannte Option --mien"),
        (["ticket", "show"], "missing argument N", "Argument N fehlt"),
        (["user", "add", "zed"], "missing option --name", "Option --name fehlt"),
        (["ticket", "lsit"], "no such command 'lsit'", "unbekannter Befehl 'lsit'"),
        (
            ["tickt"],
            "no such command 'tickt' (did you mean 'ticket'?)",
            "unbekannter Befehl 'tickt' (gemeint: 'ticket'?)",
        ),
        (["ticket", "show", "1", "2"], "unexpected extra argument 2", "überzähliges Argument 2"),
        (["contact", "list", "--limit"], "--limit needs a value", "--limit braucht einen Wert"),
        (["alarm", "list", "--due=yes"], "--due takes no value", "--due nimmt keinen Wert"),
        (
            ["contact", "list", "--limit", "many"],
            "invalid value for --limit: give a whole number",
            "ungültiger Wert für --limit: eine ganze Zahl angeben",
        ),
        (
            ["worker", "--interval", "soon"],
            "invalid value for --interval: give a number",
            "ungültiger Wert für --interval: eine Zahl angeben",
        ),
    ],
)
def test_usage_errors_in_english_and_german(
    capsys, monkeypatch, argv, english, german_text
) -> None:
    from tix.core import i18n

    for language, expected, see in (("en", english, "see"), ("de", german_text, "siehe")):
        monkeypatch.setenv("TIX_LANG", language)
        i18n.translation.cache_clear()
        capsys.readouterr()
        assert run(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1, err
        assert err.startswith("tix: ") and expected in err and f"({see} `tix " in err, err
    i18n.translation.cache_clear()


def test_a_group_without_its_command_shows_its_help(capsys) -> None:
    assert run(["ticket"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("Usage: tix ticket [OPTIONS] COMMAND [ARGS]...\n")
    assert "Commands:" in err and "tix:" not in err
