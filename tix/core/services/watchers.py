"""Watchers: users and whole groups told about every new activity of a ticket."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import Conflict, Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import ActivityKind, Group, Ticket, TicketKind, User, Watcher
from tix.core.permissions import require_see
from tix.core.services.activities import append_activity, lock


def _target(user: User | None, group: Group | None) -> tuple[str, str]:
    if (user is None) == (group is None):
        raise Invalid(_("name either a user (--user LOGIN) or a group (--group NAME)"))
    return ("user", user.login) if user is not None else ("group", group.name)  # type: ignore[union-attr]


def add_watcher(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    user: User | None = None,
    group: Group | None = None,
) -> Watcher:
    """Make ``user`` or ``group`` watch ``ticket``. Internal tickets take no watchers
    besides their creator and owner, who watch them already."""
    require_see(session, actor, ticket)
    kind, name = _target(user, group)
    if ticket.kind == TicketKind.INTERNAL:
        raise Invalid(
            _(
                "ticket #{number} is internal: only its creator and owner take part, so it takes "
                "no other watchers"
            ).format(number=ticket.number)
        )
    found = _find(session, ticket, user, group)
    if found is not None:
        raise Conflict(
            _("{name} watches ticket #{number} already").format(name=name, number=ticket.number)
        )
    lock(session, ticket)
    assert ticket.id is not None
    watcher = Watcher(
        ticket_id=ticket.id, user_id=user.id if user else None, group_id=group.id if group else None
    )
    session.add(watcher)
    session.flush()
    append_activity(
        session,
        ticket,
        kind=ActivityKind.WATCHER,
        author=actor,
        field="watcher",
        old_value=None,
        new_value=f"{kind}:{name}",
    )
    return watcher


def remove_watcher(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    user: User | None = None,
    group: Group | None = None,
) -> None:
    require_see(session, actor, ticket)
    kind, name = _target(user, group)
    found = _find(session, ticket, user, group)
    if found is None:
        raise NotFound(
            _("{name} does not watch ticket #{number}: see `tix watch list {number}`").format(
                name=name, number=ticket.number
            )
        )
    lock(session, ticket)
    session.delete(found)
    session.flush()
    append_activity(
        session,
        ticket,
        kind=ActivityKind.WATCHER,
        author=actor,
        field="watcher",
        old_value=f"{kind}:{name}",
        new_value=None,
    )


def _find(
    session: Session, ticket: Ticket, user: User | None, group: Group | None
) -> Watcher | None:
    query = select(Watcher).where(col(Watcher.ticket_id) == ticket.id)
    if user is not None:
        query = query.where(col(Watcher.user_id) == user.id)
    else:
        assert group is not None
        query = query.where(col(Watcher.group_id) == group.id)
    return session.execute(query).scalar_one_or_none()


def list_watchers(session: Session, actor: User, *, ticket: Ticket) -> list[dict[str, str]]:
    """``{"user": login, "name": ...}`` or ``{"group": name}`` for each watcher."""
    require_see(session, actor, ticket)
    rows = session.execute(
        select(Watcher, User, Group)
        .outerjoin(User, col(User.id) == Watcher.user_id)
        .outerjoin(Group, col(Group.id) == Watcher.group_id)
        .where(col(Watcher.ticket_id) == ticket.id)
        .order_by(col(Watcher.id))
    ).all()
    return [
        {"user": user.login, "name": user.name} if user is not None else {"group": group.name}
        for _watcher, user, group in rows
    ]
