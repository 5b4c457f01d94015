"""The app shell: what it does once at start-up."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tix.tui.app import TixApp
from tix.tui.backend import Backend


async def test_start_up_objects_are_kept_out_of_the_garbage_collectors_way(
    app: TixApp, world: Any
) -> None:
    gc.unfreeze()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.pause()
            assert gc.get_freeze_count() > 10_000  # modules, classes, styles
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("kind", ["file", "postgresql"])
async def test_a_failing_database_is_the_one_line_the_cli_prints(
    app: TixApp, backend: Backend, kind: str, tmp_path: Path
) -> None:
    from tests.core.test_db import _broken_database
    from tix.core.db import make_engine

    url = _broken_database(kind, tmp_path)
    cli = subprocess.run(
        [sys.executable, "-m", "tix", "--db", url, "ticket", "list"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TIX_USER": "bob"},
    )
    reason = cli.stderr.strip().partition(f"{url}: ")[2]
    assert cli.returncode == 1 and reason
    failed: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        backend.engine = make_engine(url)  # the database fails while the TUI runs
        app.background(backend.choices, failed=lambda error: failed.append(error.message))
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = [n.message for n in app._notifications]
    assert failed == [f"the database failed: {reason}"]
    assert shown[-1] == failed[0]
