"""Activities: a ticket's history and the one way to add to it.

Locking a ticket for a change, numbering (tickets, documents ...), appending an
activity (which stores its attachments, indexes it for search and tells the watchers),
and recording a changed field. Every other service writes a ticket's history here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import search
from tix.core.db import database_error, numbering_engine
from tix.core.models import (
    MESSAGE_KINDS,
    Activity,
    ActivityKind,
    Contact,
    Counter,
    Direction,
    Ticket,
    User,
    utcnow,
)
from tix.core.services import notifications, sla
from tix.core.services.storage import NewFile, store_files

Author = User | Contact | None
"""Who wrote an activity: a user, a contact, or tix itself (``None``)."""


NUMBERED_APART = frozenset({"ticket"})
"""Counters whose next value is taken, on PostgreSQL, in a short transaction of its own.

A counter's row stays locked until the transaction that raised it ends: taken in the
session's transaction, every ticket being opened would wait for the one before to be
wholly written (its activity, search index, SLA, mail), in every process. Taken apart,
the wait is one statement; a ticket whose opening fails afterwards leaves its number
unused. Document numbers (invoices) stay in the transaction: they must have no gaps.
"""


def next_number(session: Session, counter: str) -> int:
    """The next value of a named counter; concurrent callers never share one."""
    apart = numbering_engine(session.get_bind()) if counter in NUMBERED_APART else None
    if apart is not None:
        from sqlalchemy.dialects.postgresql import insert as pg_insert  # PostgreSQL only

        raised = (
            pg_insert(Counter)
            .values(name=counter, value=1)
            .on_conflict_do_update(
                index_elements=[col(Counter.name)], set_={"value": col(Counter.value) + 1}
            )
            .returning(col(Counter.value))
        )
        try:
            with apart.begin() as connection:
                return int(connection.execute(raised).scalar_one())
        except Exception as error:
            translated = database_error(error)
            if translated is not None:
                raise translated from error
            raise
    value = session.execute(
        update(Counter)
        .where(col(Counter.name) == counter)
        .values(value=col(Counter.value) + 1)
        .returning(col(Counter.value))
    ).scalar_one_or_none()
    if value is None:
        session.add(Counter(name=counter, value=1))
        session.flush()
        return 1
    return int(value)


def lock(session: Session, ticket: Ticket) -> None:
    """Re-read ``ticket`` and hold it until the transaction ends (a row lock on
    PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE`` already).

    Call it before changing the ticket: the re-read drops unsaved changes. A ticket
    locked (or made) earlier in the transaction is not read again.
    """
    locked: set[int] = session.info.setdefault("tix_locked_tickets", set())
    if ticket.id in locked:
        return
    session.refresh(ticket, with_for_update=True)
    assert ticket.id is not None
    locked.add(ticket.id)


def lock_many(session: Session, ticket_ids: Sequence[int]) -> list[Ticket]:
    """The tickets with these ids, read and held as :func:`lock` does, in one query (in
    id order, so that two callers never wait for each other); for work on many tickets
    in one transaction."""
    found = list(
        session.execute(
            select(Ticket)
            .where(col(Ticket.id).in_(ticket_ids))
            .order_by(col(Ticket.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalars()
    )
    locked: set[int] = session.info.setdefault("tix_locked_tickets", set())
    locked.update(ticket.id for ticket in found if ticket.id is not None)
    return found


def append_activity(
    session: Session,
    ticket: Ticket,
    *,
    kind: ActivityKind,
    author: Author,
    body: str = "",
    subject: str | None = None,
    attachments: Sequence[NewFile] = (),
    body_html: str | None = None,
    details: dict[str, Any] | None = None,
    field: str | None = None,
    old_value: str | None = None,
    new_value: str | None = None,
    direction: Direction | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    mail_from: str | None = None,
    mail_to: list[str] | None = None,
    mail_cc: list[str] | None = None,
    mail_bcc: list[str] | None = None,
) -> Activity:
    """Add an activity to ``ticket``; the ticket counts as changed.

    ``field``, ``old_value`` and ``new_value`` describe a change (see
    :func:`record_change`); ``direction`` and the ``mail_*`` headers a mail received or
    sent; ``details`` the facts of a record activity (time booked, file names ...).

    The first message (a message, reply or solution) is pinned as the ticket's first
    message, and its subject replaces the subject the ticket was opened with.
    """
    lock(session, ticket)
    ticket.activity_seq += 1
    ticket.updated_at = utcnow()
    assert ticket.id is not None
    activity = Activity(
        ticket_id=ticket.id,
        seq=ticket.activity_seq,
        kind=kind,
        author_user_id=author.id if isinstance(author, User) else None,
        author_contact_id=author.id if isinstance(author, Contact) else None,
        created_at=ticket.updated_at,
        subject=subject,
        body=body,
        body_html=body_html,
        details=details,
        field=field,
        old_value=old_value,
        new_value=new_value,
        direction=direction,
        message_id=message_id,
        in_reply_to=in_reply_to,
        mail_from=mail_from,
        mail_to=mail_to,
        mail_cc=mail_cc,
        mail_bcc=mail_bcc,
    )
    session.add(activity)
    session.flush()
    if attachments:
        store_files(
            session,
            ticket,
            attachments,
            activity=activity,
            uploaded_by=author if isinstance(author, User) else None,
        )
    search.index_activity(session, ticket_id=ticket.id, seq=activity.seq, body=body)
    if kind in MESSAGE_KINDS and ticket.first_activity_id is None:
        ticket.first_activity_id = activity.id
        first_subject = " ".join((subject or "").split())
        if first_subject and first_subject != ticket.subject:
            record_change(session, ticket, author, "subject", ticket.subject, first_subject)
            set_subject(session, ticket, first_subject[:500])
    notifications.notify_watchers(session, ticket, activity)
    sla.after_activity(session, ticket, activity)
    return activity


def record_change(
    session: Session,
    ticket: Ticket,
    author: Author,
    name: str,
    old: object,
    new: object,
) -> Activity:
    return append_activity(
        session,
        ticket,
        kind=ActivityKind.CHANGE,
        author=author,
        field=name,
        old_value=None if old is None else str(old)[:500],
        new_value=None if new is None else str(new)[:500],
    )


def set_subject(session: Session, ticket: Ticket, subject: str) -> None:
    old = ticket.subject
    ticket.subject = subject
    assert ticket.id is not None
    search.index_subject(session, ticket_id=ticket.id, subject=subject, old=old)
