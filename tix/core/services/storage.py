"""Storing file contents: once per sha256, size-limited, with safe names.

Used by the file service and by every activity that carries attachments (mail in and
out, replies with --attach); it knows nothing of tickets' rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tix.core.errors import Invalid
from tix.core.files import content_type_for, sanitize_filename
from tix.core.i18n import _
from tix.core.models import Activity, Blob, Ticket, TicketFile, User


@dataclass(frozen=True)
class NewFile:
    """A file to store: its name as given, and its bytes."""

    name: str
    data: bytes
    content_type: str | None = None
    content_id: str | None = None
    inline: bool = False


DEFAULT_MAX_SIZE = 25 * 1024 * 1024


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def check_size(name: str, size: int, max_size: int) -> None:
    """The one size check of files, made where their bytes enter tix (the CLI's and the
    TUI's paths before they are read, the web's uploads, received mail); the services
    store what they are given."""
    if size > max_size:
        raise Invalid(
            _("{name} is too large ({size}): files may be at most {limit}").format(
                name=name, size=human_size(size), limit=human_size(max_size)
            )
        )


def check_sizes(files: Sequence[NewFile], max_size: int) -> None:
    """Refuse the whole set if any file is too large."""
    for new in files:
        check_size(new.name, len(new.data), max_size)


def store_files(
    session: Session,
    ticket: Ticket,
    files: Sequence[NewFile],
    *,
    activity: Activity | None,
    uploaded_by: User | None,
) -> list[TicketFile]:
    """Put ``files`` on ``ticket`` (as attachments of ``activity`` when given); their
    sizes were checked where they entered (:func:`check_size`)."""
    stored = []
    for new in files:
        digest = hashlib.sha256(new.data).hexdigest()
        if session.get(Blob, digest) is None:
            session.add(Blob(sha256=digest, size=len(new.data), data=new.data))
            session.flush()  # before the row that refers to it: no relationship orders them
        name = sanitize_filename(new.name, new.content_type or "application/octet-stream")
        assert ticket.id is not None
        ticket_file = TicketFile(
            ticket_id=ticket.id,
            activity_id=activity.id if activity else None,
            sha256=digest,
            name=name,
            content_type=(new.content_type or content_type_for(name)).lower(),
            size=len(new.data),
            content_id=new.content_id,
            inline=new.inline,
            uploaded_by_id=uploaded_by.id if uploaded_by else None,
        )
        session.add(ticket_file)
        stored.append(ticket_file)
    session.flush()
    return stored
