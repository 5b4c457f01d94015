"""The CLI as a whole: help on every command, version, start-up, error handling."""

from __future__ import annotations

import subprocess
import sys

import typer

from tix.cli.app import build_app, requested_command


def _commands(group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield path, command


def test_every_command_has_help_and_an_example_and_json() -> None:
    root = typer.main.get_command(build_app(everything=True))
    assert hasattr(root, "commands")
    commands = list(_commands(root))
    assert len(commands) >= 20
    for path, command in commands:
        assert command.help, path
        assert "Example" in command.help, path
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert "--json" in options, path
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option":
                assert param.help, (path, param.opts)


def test_version_and_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tix", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("tix ")


def test_usage_errors_exit_2_without_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tix", "ticket", "list", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "no such option" in result.stderr and "Traceback" not in result.stderr


def test_a_global_option_after_the_command_says_where_it_goes(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tix", "demo", "--db", f"sqlite:///{tmp_path}/demo.db"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "tix: --db is an option of tix itself: put it before the command, as in `tix --db … demo`\n"
    )
    assert not (tmp_path / "demo.db").exists()


def test_an_unreachable_database_is_one_line(tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TIX_USER": "x",
        "TIX_DATABASE_URL": "postgresql+psycopg://tix@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "-m", "tix", "ticket", "list"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot open the database" in result.stderr and "Traceback" not in result.stderr


def test_a_mistyped_database_path_leaves_nothing_behind(tmp_path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TIX_USER": "ann"}
    typo = tmp_path / "hlepdesk" / "tix.db"

    def tix(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "tix", "--db", f"sqlite:///{typo}", *args]
        return subprocess.run(command, capture_output=True, text=True, check=False, env=env)

    for args in (["ticket", "list"], ["user", "list"], ["tui"]):
        refused = tix(*args)
        assert refused.returncode == 1, args
        assert (
            refused.stderr
            == f"tix: the database sqlite:///{typo} is not initialised: run `tix init`\n"
        )
        assert not typo.parent.exists()
    made = tix("init", "--admin", "ann", "--name", "Ann", "--email", "ann@example.com")
    assert made.returncode == 0, made.stderr
    assert typo.is_file() and tix("ticket", "list", "--json").stdout.strip() == "[]"


def test_only_the_requested_command_is_loaded() -> None:
    assert requested_command(["--as", "ticket", "--db", "x", "ticket", "list"]) == "ticket"
    assert requested_command(["--debug", "init", "--admin", "a"]) == "init"
    assert requested_command(["--help"]) is None
    code = (
        "import sys\n"
        "from tix.cli.app import run\n"
        "run(['ticket', '--help'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('tix.cli.commands.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # The ticket group keeps its commands between tickets in a module of their own.
    assert result.stdout.strip().splitlines()[-1] == (
        "['tix.cli.commands.ticket', 'tix.cli.commands.ticket_links']"
    )
