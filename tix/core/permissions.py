"""Who may see and work which ticket.

- Internal tickets: their creator and their owner, nobody else (not admins, not
  channel members, not watchers).
- Other tickets: admins; members of a group the ticket's channel grants access to;
  the owner; watchers (a user, or a member of a watching group).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import Forbidden
from tix.core.i18n import _
from tix.core.models import ChannelGroup, GroupMember, Ticket, TicketKind, User, Watcher


def group_ids(session: Session, user: User) -> list[int]:
    return list(
        session.execute(
            select(col(GroupMember.group_id)).where(col(GroupMember.user_id) == user.id)
        )
        .scalars()
        .all()
    )


def channel_ids(session: Session, user: User) -> list[int]:
    """Channels the user reaches through a group."""
    return list(
        session.execute(
            select(col(ChannelGroup.channel_id))
            .join(GroupMember, col(GroupMember.group_id) == ChannelGroup.group_id)
            .where(col(GroupMember.user_id) == user.id)
            .distinct()
        )
        .scalars()
        .all()
    )


def visible_tickets(session: Session, user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the tickets ``user`` may see."""
    internal = and_(
        col(Ticket.kind) == TicketKind.INTERNAL,
        or_(col(Ticket.owner_id) == user.id, col(Ticket.creator_user_id) == user.id),
    )
    if user.is_admin:
        shared: ColumnElement[bool] = col(Ticket.kind) != TicketKind.INTERNAL
        return or_(shared, internal)
    groups = group_ids(session, user)
    channels = channel_ids(session, user)
    watcher = col(Watcher.user_id) == user.id
    if groups:
        watcher = or_(watcher, col(Watcher.group_id).in_(groups))
    reach = or_(
        col(Ticket.channel_id).in_(channels) if channels else false(),
        col(Ticket.owner_id) == user.id,
        col(Ticket.id).in_(select(col(Watcher.ticket_id)).where(watcher)),
    )
    return or_(and_(col(Ticket.kind) != TicketKind.INTERNAL, reach), internal)


def can_see(session: Session, user: User, ticket: Ticket) -> bool:
    if ticket.kind == TicketKind.INTERNAL:
        return user.id in (ticket.owner_id, ticket.creator_user_id)
    if user.is_admin or ticket.owner_id == user.id:
        return True
    if ticket.channel_id is not None and ticket.channel_id in channel_ids(session, user):
        return True
    groups = group_ids(session, user)
    watcher = col(Watcher.user_id) == user.id
    if groups:
        watcher = or_(watcher, col(Watcher.group_id).in_(groups))
    found = session.execute(
        select(col(Watcher.id)).where(col(Watcher.ticket_id) == ticket.id, watcher).limit(1)
    ).first()
    return found is not None


def require_see(session: Session, user: User, ticket: Ticket) -> None:
    if not can_see(session, user, ticket):
        raise Forbidden(
            _("you ({login}) have no access to ticket #{number}: ask its owner or an admin").format(
                login=user.login, number=ticket.number
            )
        )


def require_admin(user: User, action: str) -> None:
    if not user.is_admin:
        raise Forbidden(
            _("only admins may {action}; {login} is not an admin").format(
                action=action, login=user.login
            )
        )
