"""Long commands show a progress bar on a terminal, and nothing when piped or with --json."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from tests.core.mail.test_ingest import mail

TICKETS = 1500
"""Enough demo tickets to take longer than the bar's half-second grace (the demo makes
some 2,000 a second)."""


def _run(args: list[str], db: Path, *, stderr_tty: bool) -> tuple[int, str, str]:
    """Run ``tix ARGS`` with stdout piped and stderr on a pseudo-terminal or a pipe."""
    env = {**os.environ, "TIX_DATABASE_URL": f"sqlite:///{db}", "TIX_USER": "anna"}
    env.pop("TIX_LANG", None)
    command = [sys.executable, "-m", "tix", *args]
    if not stderr_tty:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is gone once the process has ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    return process.wait(timeout=120), out, seen.decode(errors="replace")


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
def test_demo_shows_a_bar_with_count_and_estimate_only_on_a_terminal(
    tmp_path: Path, tty: bool
) -> None:
    code, _out, err = _run(
        ["demo", "--tickets", str(TICKETS)], tmp_path / "demo.db", stderr_tty=tty
    )
    assert code == 0, err
    assert "Demo helpdesk ready" in err
    if tty:
        assert "Making tickets" in err
        assert f"/{TICKETS}" in err  # the count, e.g. 60/150
        assert "-:--:--" in err or "0:00:" in err  # the estimate of the time left
    else:
        assert "Making tickets" not in err and f"/{TICKETS}" not in err


def test_demo_with_json_or_quiet_shows_no_bar_on_a_terminal(tmp_path: Path) -> None:
    code, out, err = _run(
        ["demo", "--tickets", str(TICKETS), "--json"], tmp_path / "json.db", stderr_tty=True
    )
    assert code == 0 and f'"tickets": {TICKETS}' in out
    assert "Making tickets" not in err
    code, _out, err = _run(
        ["demo", "--tickets", str(TICKETS), "--quiet"], tmp_path / "quiet.db", stderr_tty=True
    )
    assert code == 0 and "Making tickets" not in err and "Demo helpdesk ready" in err


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "pipe"])
def test_mail_import_shows_a_bar_only_on_a_terminal(tmp_path: Path, tty: bool) -> None:
    db = tmp_path / "mail.db"
    code, _out, err = _run(
        ["init", "--admin", "anna", "--name", "Anna", "--email", "anna@example.org"],
        db,
        stderr_tty=False,
    )
    assert code == 0, err
    code, _out, err = _run(["channel", "add", "Support"], db, stderr_tty=False)
    assert code == 0, err
    files = []
    for number in range(150):
        path = tmp_path / f"m{number}.eml"
        path.write_bytes(mail(subject=f"Pumpe {number}", message_id=f"m{number}@example.org"))
        files.append(str(path))
    code, _out, err = _run(["mail", "import", *files], db, stderr_tty=tty)
    assert code == 0, err
    assert "150 messages: 150 imported" in err
    assert ("Importing" in err and "/150" in err) is tty
