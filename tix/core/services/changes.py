"""Changing a ticket's fields: status, channel, owner, priority, subject, color,
project and categories, each change recorded as an activity.

Front ends fill a :class:`TicketChanges` with what the user gave (names or models) and
:func:`change_ticket` resolves, checks and writes it, or writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, Invalid
from tix.core.i18n import _
from tix.core.labels import parse_priority, parse_status
from tix.core.models import (
    Activity,
    Category,
    Channel,
    Project,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketStatus,
    User,
    Watcher,
)
from tix.core.permissions import require_see
from tix.core.services.activities import Author, lock, record_change, set_subject


class Clear:
    """Passed for a field that is to be emptied (unlink the project, say)."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR = Clear()


def check_owner(owner: User) -> None:
    if not owner.active:
        raise Invalid(
            _("{login} is deactivated and cannot own tickets: choose another owner").format(
                login=owner.login
            )
        )


def change_status(session: Session, ticket: Ticket, author: Author, status: TicketStatus) -> None:
    old = ticket.status
    ticket.status = status
    record_change(session, ticket, author, "status", old, status)


def _status(value: str) -> TicketStatus:
    """A status from its keyword or its label in the user's language (``offen``)."""
    return TicketStatus(parse_status(value))


@dataclass(frozen=True)
class TicketChanges:
    """What to change on a ticket, as a front end has it: names as the user gave them
    (models do as well), resolved and checked by :func:`change_ticket`.

    ``None`` leaves a field alone, and so does an empty channel or owner. :data:`CLEAR`
    empties the color or the project; the words a user types for that (empty or
    ``none``) do the same. A priority is its number or its name (``high``, ``hoch``).
    """

    status: str | None = None
    channel: str | Channel | None = None
    owner: str | User | None = None
    priority: int | str | None = None
    subject: str | None = None
    color: str | Clear | None = None
    project: str | Project | Clear | None = None
    add_categories: Sequence[str] = ()
    remove_categories: Sequence[str] = ()


@dataclass(frozen=True)
class _Resolved:
    status: TicketStatus | None
    channel: Channel | None
    owner: User | None
    priority: int | None
    subject: str | None
    color: str | None
    clear_color: bool
    project: Project | Clear | None
    add_categories: list[str]
    remove_categories: list[str]


def _cleared(value: str | Clear) -> bool:
    return isinstance(value, Clear) or value.strip().lower() in ("", "none")


def _resolve(session: Session, changes: TicketChanges) -> _Resolved:
    """Names to models, the words for clearing to :data:`CLEAR`, every value checked;
    nothing is written."""
    # services.projects imports this module: imported here, where it is needed.
    from tix.core.services import channels, projects, users

    project = changes.project
    if isinstance(project, (str, Clear)):
        project = CLEAR if _cleared(project) else projects.get_project(session, str(project))
    channel = changes.channel
    if isinstance(channel, str):
        channel = channels.get_channel(session, channel) if channel else None
    owner = changes.owner
    if isinstance(owner, str):
        owner = users.get_user(session, owner) if owner else None
    priority = parse_priority(changes.priority) if changes.priority is not None else None
    color = changes.color
    return _Resolved(
        status=_status(changes.status) if changes.status is not None else None,
        channel=channel,
        owner=owner,
        priority=validation.priority(priority) if priority is not None else None,
        subject=validation.subject(changes.subject) if changes.subject is not None else None,
        color=None if color is None or isinstance(color, Clear) else validation.color(color),
        clear_color=color is not None and _cleared(color),
        project=project,
        add_categories=[
            validation.name(name, what=_("a category"), max_length=100)
            for name in changes.add_categories
        ],
        remove_categories=[
            validation.name(name, what=_("a category"), max_length=100)
            for name in changes.remove_categories
        ],
    )


def check_changes(session: Session, changes: TicketChanges) -> TicketChanges:
    """``changes`` with its names resolved to models and every value checked (raises as
    :func:`change_ticket` would); nothing is written. For the same changes on many
    tickets: check once, then pass the result to :func:`change_ticket` for each."""
    wanted = _resolve(session, changes)
    if wanted.owner is not None:
        check_owner(wanted.owner)
    return TicketChanges(
        status=wanted.status,
        channel=wanted.channel,
        owner=wanted.owner,
        priority=wanted.priority,
        subject=wanted.subject,
        color=CLEAR if wanted.clear_color else wanted.color,
        project=wanted.project,
        add_categories=tuple(wanted.add_categories),
        remove_categories=tuple(wanted.remove_categories),
    )


def change_ticket(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    changes: TicketChanges | None = None,
    expected_version: int | None = None,
    status: str | None = None,
    channel: str | Channel | None = None,
    owner: str | User | None = None,
    priority: int | str | None = None,
    subject: str | None = None,
    color: str | Clear | None = None,
    project: str | Project | Clear | None = None,
    add_categories: Sequence[str] = (),
    remove_categories: Sequence[str] = (),
) -> list[Activity]:
    """Make ``changes`` (see :class:`TicketChanges`) and record each change.

    The field keywords are a shorthand for ``changes=TicketChanges(...)`` (not both).
    ``expected_version`` is the version the caller showed its user; if someone else
    changed the ticket since, nothing is written and :class:`Conflict` is raised.
    """
    fields = TicketChanges(
        status=status,
        channel=channel,
        owner=owner,
        priority=priority,
        subject=subject,
        color=color,
        project=project,
        add_categories=tuple(add_categories),
        remove_categories=tuple(remove_categories),
    )
    if changes is None:
        changes = fields
    elif fields != TicketChanges():
        raise TypeError("change_ticket: give changes or field keywords, not both")
    require_see(session, actor, ticket)
    # Resolve and validate everything before the first write.
    wanted = _resolve(session, changes)
    new_status, channel, owner = wanted.status, wanted.channel, wanted.owner
    new_priority, new_subject, new_color = wanted.priority, wanted.subject, wanted.color
    project, adding, removing = wanted.project, wanted.add_categories, wanted.remove_categories
    if channel is not None and ticket.kind == TicketKind.INTERNAL:
        raise Invalid(
            _(
                "ticket #{number} is internal and has no channel: internal tickets stay between "
                "creator and owner"
            ).format(number=ticket.number)
        )
    if owner is not None:
        check_owner(owner)
    current = _category_names(session, ticket) if removing else []
    unknown = [name for name in removing if name.lower() not in {c.lower() for c in current}]
    if unknown:
        raise Invalid(
            _("ticket #{number} has no category {name!r}").format(
                number=ticket.number, name=unknown[0]
            )
        )
    lock(session, ticket)
    if expected_version is not None and ticket.version != expected_version:
        raise _conflict(ticket, expected_version)
    before = ticket.activity_seq
    if new_status is not None and new_status != ticket.status:
        change_status(session, ticket, actor, new_status)
    if channel is not None and channel.id != ticket.channel_id:
        old_channel = session.get(Channel, ticket.channel_id) if ticket.channel_id else None
        ticket.channel_id = channel.id
        record_change(
            session,
            ticket,
            actor,
            "channel",
            old_channel.name if old_channel else None,
            channel.name,
        )
    if owner is not None and owner.id != ticket.owner_id:
        old_owner = session.get(User, ticket.owner_id)
        assert owner.id is not None
        ticket.owner_id = owner.id
        record_change(
            session, ticket, actor, "owner", old_owner.login if old_owner else None, owner.login
        )
        _add_user_watcher(session, ticket, owner)
    if new_priority is not None and new_priority != ticket.priority:
        old_priority = ticket.priority
        ticket.priority = new_priority
        record_change(session, ticket, actor, "priority", old_priority, new_priority)
    if new_subject is not None and new_subject != ticket.subject:
        old_subject = ticket.subject
        set_subject(session, ticket, new_subject)
        record_change(session, ticket, actor, "subject", old_subject, new_subject)
    if (new_color is not None or wanted.clear_color) and new_color != ticket.color:
        old_color = ticket.color
        ticket.color = new_color
        record_change(session, ticket, actor, "color", old_color, new_color)
    if project is not None:
        new_project_id = None if isinstance(project, Clear) else project.id
        if new_project_id != ticket.project_id:
            old_project = session.get(Project, ticket.project_id) if ticket.project_id else None
            ticket.project_id = new_project_id
            record_change(
                session,
                ticket,
                actor,
                "project",
                old_project.name if old_project else None,
                None if isinstance(project, Clear) else project.name,
            )
    for name in adding:
        if name.lower() not in {c.lower() for c in _category_names(session, ticket)}:
            link_category(session, ticket, name)
            record_change(session, ticket, actor, "category", None, name)
    for name in removing:
        removed = _unlink_category(session, ticket, name)
        record_change(session, ticket, actor, "category", removed, None)
    session.flush()
    return list(
        session.execute(
            select(Activity)
            .where(col(Activity.ticket_id) == ticket.id, col(Activity.seq) > before)
            .order_by(col(Activity.seq))
        )
        .scalars()
        .all()
    )


def _conflict(ticket: Ticket, expected: int) -> Conflict:
    return Conflict(
        _(
            "ticket #{number} was changed by someone else (version {current}, you had "
            "{expected}): reload it and try again"
        ).format(number=ticket.number, current=ticket.version, expected=expected)
    )


# --- categories and watchers ----------------------------------------------------------


def _category_names(session: Session, ticket: Ticket) -> list[str]:
    return list(
        session.execute(
            select(col(Category.name))
            .join(TicketCategory, col(TicketCategory.category_id) == Category.id)
            .where(col(TicketCategory.ticket_id) == ticket.id)
            .order_by(Category.name)
        )
        .scalars()
        .all()
    )


def _category(session: Session, name: str) -> Category:
    found = session.execute(
        select(Category).where(func.lower(Category.name) == name.lower())
    ).scalar_one_or_none()
    if found is not None:
        return found
    category = Category(name=name)
    session.add(category)
    session.flush()
    return category


def link_category(session: Session, ticket: Ticket, name: str) -> None:
    category = _category(session, name)
    assert ticket.id is not None and category.id is not None
    if session.get(TicketCategory, (ticket.id, category.id)) is None:
        session.add(TicketCategory(ticket_id=ticket.id, category_id=category.id))
        session.flush()


def _unlink_category(session: Session, ticket: Ticket, name: str) -> str:
    """Remove the category; returns its name as stored."""
    category = _category(session, name)
    session.execute(
        delete(TicketCategory).where(
            col(TicketCategory.ticket_id) == ticket.id,
            col(TicketCategory.category_id) == category.id,
        )
    )
    return category.name


def _add_user_watcher(session: Session, ticket: Ticket, user: User) -> None:
    exists = session.execute(
        select(col(Watcher.id)).where(
            col(Watcher.ticket_id) == ticket.id, col(Watcher.user_id) == user.id
        )
    ).first()
    if exists is None:
        assert ticket.id is not None
        session.add(Watcher(ticket_id=ticket.id, user_id=user.id))
        session.flush()
