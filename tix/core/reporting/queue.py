"""Today's queue: new, unassigned, overdue and soon-due tickets, counted in one query.

Each figure comes with the :class:`~tix.core.views.TicketFilter` of the ticket list
that lists exactly the tickets it counts, so a front end can open the list on them;
the conditions here are the list's own (tests hold the two together).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.models import OPEN_STATUSES, Channel, Ticket, TicketStatus, User
from tix.core.permissions import visible_tickets
from tix.core.read_models.queue import QueueFigure, QueueToday
from tix.core.services.sla import due_within_condition
from tix.core.views import TicketFilter

DUE_SOON_MINUTES = 120
"""'Breaching soon': the next SLA deadline at most this many business minutes away (and
not passed yet: those are overdue)."""

NEW = TicketFilter(statuses=(TicketStatus.NEW.value,))
UNASSIGNED = TicketFilter(statuses=tuple(s.value for s in OPEN_STATUSES), unassigned=True)
OVERDUE = TicketFilter(breached=True)
BREACHING_SOON = TicketFilter(due_within=DUE_SOON_MINUTES, not_breached=True)


def queue_today(session: Session, viewer: User, now: datetime) -> QueueToday:
    """The queue as ``viewer`` sees it at ``now`` (only tickets the viewer may see)."""
    not_closed = col(Ticket.status) != TicketStatus.CLOSED
    with_default_owner = (
        col(Ticket.owner_id)
        == select(col(Channel.default_owner_id))
        .where(col(Channel.id) == col(Ticket.channel_id))
        .scalar_subquery()
    )
    conditions: list[ColumnElement[bool]] = [
        col(Ticket.status) == TicketStatus.NEW,
        col(Ticket.status).in_(OPEN_STATUSES) & with_default_owner,
        not_closed & (col(Ticket.sla_due_at) <= now),
        not_closed
        & (col(Ticket.sla_due_at) > now)
        & due_within_condition(session, DUE_SOON_MINUTES, now),
    ]
    counts = session.execute(
        select(*(func.count().filter(condition) for condition in conditions)).where(
            visible_tickets(session, viewer)
        )
    ).one()
    new, unassigned, overdue, soon = (int(count or 0) for count in counts)
    return QueueToday(
        at=now.astimezone(UTC).isoformat(timespec="seconds"),
        new=QueueFigure(count=new, filter=NEW),
        unassigned=QueueFigure(count=unassigned, filter=UNASSIGNED),
        overdue=QueueFigure(count=overdue, filter=OVERDUE),
        breaching_soon=QueueFigure(count=soon, filter=BREACHING_SOON),
        due_within_minutes=DUE_SOON_MINUTES,
    )
