"""Links between tickets: related, parent and child, duplicate.

A pair of tickets has at most one link. ``tix ticket link A B --kind K`` reads "A is
K of B": ``parent`` (A is the parent of B), ``child`` (A is a child of B), ``duplicate``
(A is a duplicate of B) or ``related``. A child is stored as its parent's link, so
each ticket sees the link from its own side (:func:`relation`). Linking and unlinking
is recorded as an activity on both tickets; only tickets the actor can see are linked,
and a ticket shows only the links to tickets its reader can see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import Conflict, Invalid, Malformed, NotFound
from tix.core.i18n import _
from tix.core.labels import relation_label
from tix.core.models import LinkKind, Ticket, TicketLink, User
from tix.core.permissions import can_see, require_see
from tix.core.services.activities import lock, record_change

RELATIONS = ("related", "parent", "child", "duplicate")
"""What ``--kind`` takes: how the first ticket stands to the second."""

"""A child in one of these is still open (its parent is not done)."""


def _mirror(relation: str) -> str:
    mirrored = {"parent": "child", "child": "parent", "duplicate": "original"}
    mirrored["original"] = "duplicate"
    return mirrored.get(relation, relation)


def relation(link: TicketLink, ticket_id: int) -> str:
    """How the ticket ``ticket_id`` stands to the other ticket of ``link``: ``related``,
    ``parent``, ``child``, ``duplicate`` (of the other) or ``original`` (the other is
    its duplicate)."""
    mine = link.from_ticket_id == ticket_id
    if link.kind == LinkKind.PARENT:
        return "parent" if mine else "child"
    if link.kind == LinkKind.DUPLICATE:
        return "duplicate" if mine else "original"
    return "related"


def parse_relation(value: str) -> str:
    wanted = value.strip().lower()
    if wanted not in RELATIONS:
        raise Malformed(
            _("unknown link kind {kind!r}: use one of {kinds}").format(
                kind=value, kinds=", ".join(RELATIONS)
            )
        )
    return wanted


def _find(session: Session, first: Ticket, second: Ticket) -> TicketLink | None:
    return session.execute(
        select(TicketLink).where(
            or_(
                and_(
                    col(TicketLink.from_ticket_id) == first.id,
                    col(TicketLink.to_ticket_id) == second.id,
                ),
                and_(
                    col(TicketLink.from_ticket_id) == second.id,
                    col(TicketLink.to_ticket_id) == first.id,
                ),
            )
        )
    ).scalar_one_or_none()


def _ancestors(session: Session, ticket: Ticket) -> set[int]:
    """The ids of every parent of ``ticket``, their parents, and so on."""
    found: set[int] = set()
    assert ticket.id is not None
    todo: list[int] = [ticket.id]
    while todo:
        parents = session.execute(
            select(col(TicketLink.from_ticket_id)).where(
                col(TicketLink.to_ticket_id).in_(todo), col(TicketLink.kind) == LinkKind.PARENT
            )
        ).scalars()
        todo = [parent for parent in parents if parent is not None and parent not in found]
        found.update(todo)
    return found


def _value(relation_name: str, other: Ticket) -> str:
    """A link as a change activity records it: ``parent:1005``."""
    return f"{relation_name}:{other.number}"


def link_tickets(
    session: Session, actor: User, *, ticket: Ticket, other: Ticket, kind: str
) -> TicketLink:
    """Link ``ticket`` to ``other`` as ``kind`` (``ticket`` is ``kind`` of ``other``)."""
    wanted = parse_relation(kind)
    require_see(session, actor, ticket)
    require_see(session, actor, other)
    if ticket.id == other.id:
        raise Invalid(
            _("a ticket cannot be linked to itself (#{number})").format(number=ticket.number)
        )
    existing = _find(session, ticket, other)
    if existing is not None:
        assert ticket.id is not None
        raise Conflict(
            _(
                "#{number} is linked to #{other} already ({relation} #{other}): "
                "run tix ticket unlink {number} {other} first"
            ).format(
                number=ticket.number,
                other=other.number,
                relation=relation_label(relation(existing, ticket.id)),
            )
        )
    parent, child = (ticket, other) if wanted == "parent" else (other, ticket)
    if wanted in ("parent", "child") and child.id in _ancestors(session, parent) | {parent.id}:
        raise Invalid(
            _(
                "#{child} is a parent of #{parent} already: a ticket cannot be its own parent"
            ).format(child=child.number, parent=parent.number)
        )
    for locked in sorted((ticket, other), key=lambda t: t.id or 0):
        lock(session, locked)
    assert ticket.id is not None and other.id is not None
    if wanted == "child":
        link = TicketLink(from_ticket_id=other.id, to_ticket_id=ticket.id, kind=LinkKind.PARENT)
    else:
        link = TicketLink(from_ticket_id=ticket.id, to_ticket_id=other.id, kind=LinkKind(wanted))
    link.created_by_id = actor.id
    session.add(link)
    session.flush()
    mine = relation(link, ticket.id)
    record_change(session, ticket, actor, "link", None, _value(mine, other))
    record_change(session, other, actor, "link", None, _value(_mirror(mine), ticket))
    return link


def unlink_tickets(session: Session, actor: User, *, ticket: Ticket, other: Ticket) -> str:
    """Remove the link between ``ticket`` and ``other``; returns what ``ticket`` was to
    ``other`` (see :func:`relation`)."""
    require_see(session, actor, ticket)
    require_see(session, actor, other)
    link = _find(session, ticket, other)
    if link is None:
        raise NotFound(
            _("#{number} and #{other} are not linked: see tix ticket show {number}").format(
                number=ticket.number, other=other.number
            )
        )
    for locked in sorted((ticket, other), key=lambda t: t.id or 0):
        lock(session, locked)
    assert ticket.id is not None
    mine = relation(link, ticket.id)
    session.delete(link)
    session.flush()
    record_change(session, ticket, actor, "link", _value(mine, other), None)
    record_change(session, other, actor, "link", _value(_mirror(mine), ticket), None)
    return mine


@dataclass(frozen=True)
class LinkedTicket:
    """A ticket linked to another, from the other's side."""

    relation: str
    number: int
    subject: str
    status: str


def ticket_links(session: Session, actor: User, ticket: Ticket) -> list[LinkedTicket]:
    """The tickets linked to ``ticket`` that ``actor`` can see: parents first, then
    children, duplicates and related ones, each by number."""
    assert ticket.id is not None
    links = session.execute(
        select(TicketLink).where(
            or_(
                col(TicketLink.from_ticket_id) == ticket.id,
                col(TicketLink.to_ticket_id) == ticket.id,
            )
        )
    ).scalars()
    found: list[LinkedTicket] = []
    for link in links:
        other_id = link.to_ticket_id if link.from_ticket_id == ticket.id else link.from_ticket_id
        other = session.get(Ticket, other_id)
        if other is None or not can_see(session, actor, other):
            continue
        found.append(
            LinkedTicket(
                relation=relation(link, ticket.id),
                number=other.number,
                subject=other.subject,
                status=str(other.status),
            )
        )
    order = {"child": 0, "parent": 1, "duplicate": 2, "original": 3, "related": 4}
    found.sort(key=lambda linked: (order.get(linked.relation, 9), linked.number))
    return found
