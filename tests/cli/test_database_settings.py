"""A deployment's database settings as the CLI meets them: a statement held up longer
than ``TIX_STATEMENT_TIMEOUT`` ends the command with one line and exit 1."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.conftest import Cli


def test_a_command_held_up_past_the_statement_timeout_says_so_in_one_line(
    cli: Cli, backend: str, ticket: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "sqlite":
        pytest.skip("PostgreSQL only: SQLite has no statement timeout")
    monkeypatch.setenv("TIX_STATEMENT_TIMEOUT", "1")
    plain = cli.db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as blocker:
        blocker.execute("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")  # held until rollback
        release = threading.Timer(8, blocker.rollback)  # without a timeout: waits 8 s, not ever
        release.start()
        began = time.monotonic()
        result = cli("ticket", "note", str(ticket), "--body", "waits for the lock")
        waited = time.monotonic() - began
        release.cancel()
        blocker.rollback()
    assert result.code == 1
    assert result.stderr == (
        "tix: the database cancelled a statement: it ran longer than the statement timeout "
        "(TIX_STATEMENT_TIMEOUT) or an administrator cancelled it; try again later\n"
    )
    assert waited < 5
    after = cli("ticket", "show", str(ticket), "--json")
    assert "waits for the lock" not in after.stdout
