"""The current time, replaceable for the demo data (and for tests of time rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_clock: ContextVar[Callable[[], datetime] | None] = ContextVar("tix_clock", default=None)


def now() -> datetime:
    """Now, timezone-aware UTC."""
    override = _clock.get()
    return override() if override is not None else datetime.now(UTC)


@contextmanager
def use_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Make :func:`now` return ``clock()`` inside the block."""
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)
