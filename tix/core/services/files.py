"""Files on tickets. Contents live in the database, once per sha256, so that every agent
of a shared PostgreSQL sees them; names are made safe but stay readable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import ActivityKind, Blob, Ticket, TicketFile, User
from tix.core.permissions import require_see
from tix.core.services.activities import append_activity, lock
from tix.core.services.storage import (
    DEFAULT_MAX_SIZE,
    NewFile,
    human_size,
    store_files,
)

__all__ = ["DEFAULT_MAX_SIZE", "NewFile", "human_size"]


def add_files(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    files: Sequence[NewFile],
) -> list[TicketFile]:
    """Upload files to a ticket directly; recorded as one activity."""
    require_see(session, actor, ticket)
    if not files:
        raise Invalid(_("no files given: name at least one PATH"))
    lock(session, ticket)
    stored = store_files(session, ticket, files, activity=None, uploaded_by=actor)
    append_activity(
        session,
        ticket,
        kind=ActivityKind.FILE,
        author=actor,
        body=", ".join(f.name for f in stored),
        details={"files": [{"id": f.id, "name": f.name, "size": f.size} for f in stored]},
    )
    return stored


def get_file(session: Session, actor: User, *, ticket: Ticket, file_id: int) -> TicketFile:
    require_see(session, actor, ticket)
    found = session.get(TicketFile, file_id)
    if found is None or found.ticket_id != ticket.id:
        raise NotFound(
            _("ticket #{number} has no file {id}: see `tix file list {number}`").format(
                number=ticket.number, id=file_id
            )
        )
    return found


def file_data(session: Session, ticket_file: TicketFile) -> bytes:
    blob = session.get(Blob, ticket_file.sha256)
    assert blob is not None
    return blob.data


def ticket_files(session: Session, ticket: Ticket) -> list[TicketFile]:
    return list(
        session.execute(
            select(TicketFile)
            .where(col(TicketFile.ticket_id) == ticket.id)
            .order_by(col(TicketFile.id))
        )
        .scalars()
        .all()
    )


def activity_files(session: Session, activity_ids: Sequence[int]) -> dict[int, list[TicketFile]]:
    found: dict[int, list[TicketFile]] = {}
    if not activity_ids:
        return found
    for ticket_file in session.execute(
        select(TicketFile)
        .where(col(TicketFile.activity_id).in_(activity_ids))
        .order_by(col(TicketFile.id))
    ).scalars():
        assert ticket_file.activity_id is not None
        found.setdefault(ticket_file.activity_id, []).append(ticket_file)
    return found


def uploader_logins(session: Session, ticket_files: Sequence[TicketFile]) -> dict[int, str]:
    """The logins of the users who uploaded ``ticket_files``, by user id (for
    :func:`file_json`); files that came with a customer's message have none."""
    ids = {f.uploaded_by_id for f in ticket_files if f.uploaded_by_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(col(User.id), col(User.login)).where(col(User.id).in_(ids)))
    return {user_id: login for user_id, login in rows.all() if user_id is not None}


def file_json(ticket_file: TicketFile, logins: dict[int, str] | None = None) -> dict[str, Any]:
    return {
        "id": ticket_file.id,
        "name": ticket_file.name,
        "size": ticket_file.size,
        "content_type": ticket_file.content_type,
        "sha256": ticket_file.sha256,
        "activity": ticket_file.activity_id,
        "inline": ticket_file.inline,
        "uploaded_by": (logins or {}).get(ticket_file.uploaded_by_id or 0),
        "created_at": ticket_file.created_at,
    }
