"""The app shell: what it does once at start-up."""

from __future__ import annotations

import gc
from typing import Any

from tix.tui.app import TixApp


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
