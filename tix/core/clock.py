"""The current time, replaceable for the demo data and for tests of time rules.

:func:`use_clock` replaces it within a block (this thread and task); :func:`fix_clock`
replaces it for the whole process, worker threads included (UI snapshot tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("tix_clock", default=None)
_fixed: Callable[[], datetime] | None = None


def now() -> datetime:
    """Now, timezone-aware UTC."""
    override = _clock.get() or _fixed
    return override() if override is not None else datetime.now(UTC)


@contextmanager
def use_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Make :func:`now` return ``clock()`` inside the block."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def fix_clock(clock: Callable[[], datetime] | None) -> None:
    """Make :func:`now` return ``clock()`` everywhere in the process; ``None`` undoes it."""
    global _fixed
    _fixed = clock
