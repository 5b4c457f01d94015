"""The ticket list's cursor as text, for scripts that page beyond one page.

``tix ticket list`` prints a next cursor; given back with ``--cursor`` it starts the
next page after the last ticket of the one before (keyset paging: a ticket changed
meanwhile is neither lost nor repeated because of the paging itself). The text is
opaque to its users: URL-safe base64 of a small JSON object that also records a digest
of the filters, so a cursor given with other filters is refused instead of quietly
starting a different list in the middle.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from tix.core.errors import Malformed
from tix.core.i18n import _
from tix.core.views import Cursor, TicketFilter, parse_sort

_VERSION = 1


def _digest(filters: TicketFilter) -> str:
    shown = json.dumps(asdict(filters), sort_keys=True, default=str)
    return hashlib.sha256(shown.encode()).hexdigest()[:12]


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def encode_cursor(cursor: Cursor, filters: TicketFilter) -> str:
    order = parse_sort(filters.sort)
    key = None if filters.search else order[0] if order is not None else "updated"
    data: dict[str, Any] = {
        "v": _VERSION,
        "f": _digest(filters),
        "i": cursor.id,
        "u": _moment(cursor.updated_at) if key == "updated" else None,
        "c": _moment(cursor.created_at) if key == "created" else None,
        "p": cursor.priority if key == "priority" else None,
        "n": cursor.number if key == "number" else None,
        "s": _moment(cursor.sla_due_at) if key == "sla" else None,
    }
    text = json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str, filters: TicketFilter) -> Cursor:
    """The cursor ``text`` stands for; refused when it is no cursor of tix's or was made
    for other filters."""
    bad = Malformed(
        _("{value!r} is not a cursor of tix ticket list: give the next_cursor it printed").format(
            value=text[:40]
        )
    )
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            raise bad
        cursor = Cursor(
            updated_at=_parse_moment(data.get("u")),
            id=int(data["i"]),
            created_at=_parse_moment(data.get("c")),
            priority=None if data.get("p") is None else int(data["p"]),
            number=None if data.get("n") is None else int(data["n"]),
            sla_due_at=_parse_moment(data.get("s")),
        )
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad from None
    if data.get("f") != _digest(filters):
        raise Malformed(
            _(
                "this cursor belongs to a list with other filters: give the same filters "
                "and sort as for the page it came from"
            )
        )
    return cursor


def _parse_moment(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment
