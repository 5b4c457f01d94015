"""Time booked on tickets: booking, listing with filters and totals, rows for reports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.models import (
    ActivityKind,
    Contact,
    Document,
    Project,
    Ticket,
    TimeEntry,
    User,
)
from tix.core.permissions import require_see, visible_tickets
from tix.core.services.activities import append_activity, lock

MAX_MINUTES = 24 * 60


def book_time(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    minutes: int,
    work_date: date,
    note: str = "",
    billable: bool = True,
    user: User | None = None,
) -> TimeEntry:
    """Book ``minutes`` on ``ticket`` for ``user`` (default: the actor) on ``work_date``."""
    require_see(session, actor, ticket)
    if not 0 < minutes <= MAX_MINUTES:
        raise Invalid(
            _(
                "{minutes} minutes cannot be booked: give a duration above zero and at most 24h"
            ).format(minutes=minutes)
        )
    note = " ".join(note.split())
    if len(note) > 1000:
        raise Invalid(
            _("the note is too long ({length} characters): at most 1000").format(length=len(note))
        )
    worker = user or actor
    if worker.id != actor.id:
        require_see(session, worker, ticket)
    lock(session, ticket)
    assert ticket.id is not None and worker.id is not None
    entry = TimeEntry(
        ticket_id=ticket.id,
        user_id=worker.id,
        work_date=work_date,
        minutes=minutes,
        note=note,
        billable=billable,
    )
    session.add(entry)
    session.flush()
    append_activity(
        session,
        ticket,
        kind=ActivityKind.TIME,
        author=actor,
        body=note,
        details={
            "time_entry": entry.id,
            "minutes": minutes,
            "date": work_date.isoformat(),
            "billable": billable,
            "user": worker.login,
        },
    )
    return entry


@dataclass(frozen=True)
class TimeFilter:
    ticket_id: int | None = None
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    billable: bool | None = None
    channel_id: int | None = None
    project_id: int | None = None

    def check(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise Invalid(
                _("--from {start} is after --to {end}: swap them").format(
                    start=self.date_from.isoformat(), end=self.date_to.isoformat()
                )
            )


@dataclass(frozen=True)
class TimeInfo:
    id: int
    ticket_number: int
    subject: str
    customer: str | None
    project: str | None
    login: str
    user_name: str
    work_date: date
    minutes: int
    note: str
    billable: bool
    billed: str | None

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ticket": self.ticket_number,
            "subject": self.subject,
            "customer": self.customer,
            "project": self.project,
            "user": self.login,
            "date": self.work_date.isoformat(),
            "minutes": self.minutes,
            "hours": float(self.hours),
            "note": self.note,
            "billable": self.billable,
            "billed": self.billed,
        }


def _query(session: Session, actor: User, filters: TimeFilter) -> Select[*tuple[Any, ...]]:
    filters.check()
    customer = aliased(Contact)
    query = (
        select(
            col(TimeEntry.id),
            col(Ticket.number),
            col(Ticket.subject),
            col(customer.name),
            col(Project.name),
            col(User.login),
            col(User.name),
            col(TimeEntry.work_date),
            col(TimeEntry.minutes),
            col(TimeEntry.note),
            col(TimeEntry.billable),
            col(Document.number),
        )
        .join(Ticket, col(Ticket.id) == TimeEntry.ticket_id)
        .join(User, col(User.id) == TimeEntry.user_id)
        .outerjoin(customer, col(customer.id) == Ticket.customer_id)
        .outerjoin(Project, col(Project.id) == Ticket.project_id)
        .outerjoin(Document, col(Document.id) == TimeEntry.document_id)
        .where(visible_tickets(session, actor))
    )
    if filters.ticket_id is not None:
        query = query.where(col(TimeEntry.ticket_id) == filters.ticket_id)
    if filters.user_id is not None:
        query = query.where(col(TimeEntry.user_id) == filters.user_id)
    if filters.date_from is not None:
        query = query.where(col(TimeEntry.work_date) >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(col(TimeEntry.work_date) <= filters.date_to)
    if filters.billable is not None:
        query = query.where(col(TimeEntry.billable) == filters.billable)
    if filters.channel_id is not None:
        query = query.where(col(Ticket.channel_id) == filters.channel_id)
    if filters.project_id is not None:
        query = query.where(col(Ticket.project_id) == filters.project_id)
    return query.order_by(col(TimeEntry.work_date), col(TimeEntry.id))


def iter_times(
    session: Session, actor: User, filters: TimeFilter = TimeFilter()
) -> Iterator[TimeInfo]:
    """The time entries on tickets ``actor`` may see, oldest first, read in batches."""
    result = session.execute(_query(session, actor, filters).execution_options(yield_per=2000))
    for row in result:
        yield TimeInfo(*row)


def list_times(session: Session, actor: User, filters: TimeFilter = TimeFilter()) -> list[TimeInfo]:
    return list(iter_times(session, actor, filters))


def total_minutes(session: Session, actor: User, filters: TimeFilter = TimeFilter()) -> int:
    query = _query(session, actor, filters).order_by(None)
    total = session.execute(
        select(func.coalesce(func.sum(query.subquery().c.minutes), 0))
    ).scalar_one()
    return int(total)


def count_times(session: Session, actor: User, filters: TimeFilter = TimeFilter()) -> int:
    query = _query(session, actor, filters).order_by(None)
    return int(session.execute(select(func.count()).select_from(query.subquery())).scalar_one())


def ticket_times(session: Session, ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's times for its detail view (access checked by the caller)."""
    rows = session.execute(
        select(TimeEntry, col(User.login), col(Document.number))
        .join(User, col(User.id) == TimeEntry.user_id)
        .outerjoin(Document, col(Document.id) == TimeEntry.document_id)
        .where(col(TimeEntry.ticket_id) == ticket.id)
        .order_by(col(TimeEntry.work_date), col(TimeEntry.id))
    ).all()
    return [
        {
            "id": entry.id,
            "user": login,
            "date": entry.work_date.isoformat(),
            "minutes": entry.minutes,
            "note": entry.note,
            "billable": entry.billable,
            "billed": number,
        }
        for entry, login, number in rows
    ]
