"""A progress bar for long work, on standard error when it is a terminal.

The core reports progress through a callback ``(done, total)``; this module turns
it into a rich progress bar with a count and an estimate of the time left. Nothing
is drawn when standard error is not a terminal (piped, redirected, cron), with
``--json``, or when the command was asked to be quiet.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tix.cli.output import state

Progress = Callable[[int, int], None]
"""Called with the work done so far and the whole amount."""

SHOW_AFTER = 0.5
"""Seconds of work before a bar appears: quick runs stay silent."""


def wanted(*, quiet: bool = False) -> bool:
    """Whether a bar may be drawn: a terminal on stderr, no ``--json``, not quiet."""
    return not (quiet or state.json) and sys.stderr.isatty()


class _Bar:
    def __init__(self, label: str, show_after: float) -> None:
        self.label = label
        self.show_after = show_after
        self.started = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < self.show_after or done >= total:
                return
            # ~60 ms: rich's progress is imported only when a bar is shown
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import Progress as RichProgress

            from tix.cli.output import console

            self.bar = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
                console=console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@contextmanager
def progress(
    label: str, *, quiet: bool = False, show_after: float = SHOW_AFTER
) -> Iterator[Progress | None]:
    """A ``(done, total)`` callback that draws a bar, or ``None`` when no bar is wanted
    (pass it on to the core as it is)."""
    if not wanted(quiet=quiet):
        yield None
        return
    bar = _Bar(label, show_after)
    try:
        yield bar
    finally:
        bar.stop()
