"""Time zones: stored in UTC, entered and shown in the user's zone."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> tzinfo:
    """The zone called ``name``; empty or unknown: the system's local zone."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = datetime.now().astimezone().tzinfo
    return local if local is not None else UTC


def iso(value: datetime | None, where: tzinfo) -> str | None:
    """ISO 8601 with offset, in ``where``."""
    if value is None:
        return None
    return value.astimezone(where).isoformat(timespec="seconds")
