"""Merging one ticket into another, and splitting activities off into a new ticket.

A merge moves everything of the source to the target in one transaction: its
activities (after the target's own, in their order, each marked with the source's
number and keeping its time), files, times, alarms, documents, mail log entries and
outbox records, and its watchers join the target's. The Message-IDs of its mails move
with its activities, and mail threading follows a merged ticket to its target, so a
later answer to the source's thread (or a subject tagged with the source's number)
lands on the target. The source is closed, points to the target (``merged_into_id``)
and keeps only the record of the merge.

Like Zammad and Znuny, a merge is only refused where it would show something to
someone who must not see it:

- an internal ticket and a channel ticket never merge (either way): an internal ticket
  is between its creator and its owner, a channel ticket is seen by its channel and
  its customer; two internal tickets merge only between the same two people;
- tickets of different customers merge only when both belong to the same organisation,
  or when the agent says so (``other_customer``): the target's customer sees the
  source's messages in the portal, so it must be the same person or company.

A split moves one activity (or it and every later one) to a new ticket with the same
customer, channel, kind, owner, priority and categories; the new ticket becomes a
*child* of the old one (Znuny's default), and replies to the moved mails thread to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import search, validation
from tix.core.errors import Conflict, Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import (
    MESSAGE_KINDS,
    Activity,
    Alarm,
    Category,
    Channel,
    Contact,
    Document,
    LinkKind,
    MailAccount,
    MailImport,
    Notification,
    OutboxMessage,
    Project,
    Ticket,
    TicketCategory,
    TicketFile,
    TicketKind,
    TicketLink,
    TicketStatus,
    TimeEntry,
    User,
    Watcher,
)
from tix.core.permissions import require_see
from tix.core.services.activities import lock, record_change
from tix.core.services.changes import change_status

__all__ = ["MergeResult", "SplitResult", "merge_tickets", "split_ticket"]


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved from ``source`` to ``target``."""

    source: Ticket
    target: Ticket
    activities: int
    files: int
    times: int
    watchers: int


@dataclass(frozen=True)
class SplitResult:
    """The ticket a split made from ``ticket``, and the activities it took."""

    ticket: Ticket
    new_ticket: Ticket
    activities: int
    files: int


def _participants(ticket: Ticket) -> set[int | None]:
    return {ticket.creator_user_id, ticket.owner_id}


def _same_customer(session: Session, source: Ticket, target: Ticket) -> bool:
    if source.customer_id == target.customer_id:
        return True
    if source.customer_id is None or target.customer_id is None:
        return False
    first = session.get(Contact, source.customer_id)
    second = session.get(Contact, target.customer_id)
    return (
        first is not None
        and second is not None
        and first.organization_id is not None
        and first.organization_id == second.organization_id
    )


def _check_merge(
    session: Session, actor: User, source: Ticket, target: Ticket, *, other_customer: bool
) -> None:
    require_see(session, actor, source)
    require_see(session, actor, target)
    if source.id == target.id:
        raise Invalid(
            _("a ticket cannot be merged into itself (#{number})").format(number=source.number)
        )
    if source.merged_into_id is not None:
        into = session.get(Ticket, source.merged_into_id)
        raise Conflict(
            _("ticket #{number} was merged into #{target} already").format(
                number=source.number, target=into.number if into else "?"
            )
        )
    if target.merged_into_id is not None:
        into = session.get(Ticket, target.merged_into_id)
        raise Invalid(
            _("ticket #{target} was merged into #{into}: merge into #{into} instead").format(
                target=target.number, into=into.number if into else "?"
            )
        )
    internal = (source.kind == TicketKind.INTERNAL, target.kind == TicketKind.INTERNAL)
    if internal[0] != internal[1]:
        raise Invalid(
            _(
                "#{source} and #{target} cannot be merged: an internal ticket is only for its "
                "creator and owner, a channel ticket for its channel and customer"
            ).format(source=source.number, target=target.number)
        )
    if internal[0] and _participants(source) != _participants(target):
        raise Invalid(
            _(
                "internal tickets #{source} and #{target} are between different people: "
                "merging would show one to someone outside it"
            ).format(source=source.number, target=target.number)
        )
    if not other_customer and not _same_customer(session, source, target):
        raise Invalid(
            _(
                "#{source} and #{target} are of different customers, whose portal would show "
                "the other's messages: give --other-customer if they are the same person"
            ).format(source=source.number, target=target.number)
        )


def _lock_both(session: Session, first: Ticket, second: Ticket) -> None:
    """Lock in id order, so two merges of the same pair never wait for each other."""
    for ticket in sorted((first, second), key=lambda t: t.id or 0):
        lock(session, ticket)


def _move_activities(
    session: Session, activities: list[Activity], source: Ticket, target: Ticket
) -> None:
    """Append ``activities`` (of ``source``, in order) to ``target``, renumbered after its
    own, each marked with where it came from; search follows."""
    assert source.id is not None and target.id is not None
    moved: list[tuple[int, int, int, int, str]] = []
    for activity in activities:
        target.activity_seq += 1
        moved.append((source.id, activity.seq, target.id, target.activity_seq, activity.body))
        activity.ticket_id = target.id
        activity.seq = target.activity_seq
        activity.details = {**(activity.details or {}), "moved_from": source.number}
        if activity.kind in MESSAGE_KINDS and target.first_activity_id is None:
            target.first_activity_id = activity.id
    session.flush()
    ids = [activity.id for activity in activities]
    if ids:
        session.execute(
            update(Notification)
            .where(col(Notification.activity_id).in_(ids))
            .values(ticket_id=target.id)
        )
    search.move_activities(
        session,
        moved=moved,
        subjects=[(source.id, source.subject), (target.id, target.subject)],
    )


def merge_tickets(
    session: Session,
    actor: User,
    *,
    source: Ticket,
    target: Ticket,
    other_customer: bool = False,
) -> MergeResult:
    """Merge ``source`` into ``target`` (see the module's description), as one
    transaction: checked first, nothing written when refused."""
    _check_merge(session, actor, source, target, other_customer=other_customer)
    _lock_both(session, source, target)
    assert source.id is not None and target.id is not None
    activities = list(
        session.execute(
            select(Activity).where(col(Activity.ticket_id) == source.id).order_by(col(Activity.seq))
        ).scalars()
    )
    _move_activities(session, activities, source, target)
    moved_files = 0
    moved_times = 0
    for model in (TicketFile, TimeEntry, Alarm, Document, MailImport, OutboxMessage):
        result = session.execute(
            update(model).where(col(model.ticket_id) == source.id).values(ticket_id=target.id)
        )
        if model is TicketFile:
            moved_files = result.rowcount  # type: ignore[attr-defined]
        elif model is TimeEntry:
            moved_times = result.rowcount  # type: ignore[attr-defined]
    joined = 0
    if target.kind != TicketKind.INTERNAL:
        watching = session.execute(
            select(col(Watcher.user_id), col(Watcher.group_id)).where(
                col(Watcher.ticket_id) == target.id
            )
        ).all()
        have = {(user_id, group_id) for user_id, group_id in watching}
        for watcher in session.execute(
            select(Watcher).where(col(Watcher.ticket_id) == source.id).order_by(col(Watcher.id))
        ).scalars():
            if (watcher.user_id, watcher.group_id) in have:
                continue
            session.add(
                Watcher(ticket_id=target.id, user_id=watcher.user_id, group_id=watcher.group_id)
            )
            joined += 1
    source.merged_into_id = target.id
    source.first_activity_id = None
    details = {
        "activities": len(activities),
        "files": moved_files,
        "times": moved_times,
        "watchers": joined,
    }
    record_change(session, target, actor, "merged_from", None, str(source.number)).details = details
    record_change(session, source, actor, "merged_into", None, str(target.number)).details = details
    if source.status != TicketStatus.CLOSED:
        change_status(session, source, actor, TicketStatus.CLOSED)
    session.flush()
    return MergeResult(
        source=source,
        target=target,
        activities=len(activities),
        files=moved_files,
        times=moved_times,
        watchers=joined,
    )


def split_ticket(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    seq: int,
    only: bool = False,
    subject: str | None = None,
) -> SplitResult:
    """Move the activity numbered ``seq`` of ``ticket`` (and every later one, unless
    ``only``) with its files to a new ticket, a child of ``ticket``."""
    # opening's helpers make the ticket as every other way of opening one does.
    from tix.core.services.opening import _check_opening, _insert_ticket

    require_see(session, actor, ticket)
    if ticket.merged_into_id is not None:
        raise Invalid(
            _("ticket #{number} was merged into another: split that one").format(
                number=ticket.number
            )
        )
    assert ticket.id is not None
    chosen = session.execute(
        select(Activity).where(col(Activity.ticket_id) == ticket.id, col(Activity.seq) == seq)
    ).scalar_one_or_none()
    if chosen is None:
        raise NotFound(
            _("ticket #{number} has no activity {seq}: see tix ticket show {number}").format(
                number=ticket.number, seq=seq
            )
        )
    if chosen.id == ticket.first_activity_id or (
        not only
        and ticket.first_activity_id is not None
        and session.execute(
            select(col(Activity.id)).where(
                col(Activity.id) == ticket.first_activity_id, col(Activity.seq) >= seq
            )
        ).first()
        is not None
    ):
        raise Invalid(
            _(
                "activity {seq} is (or comes before) the first message of #{number}, which "
                "stays: split from a later activity"
            ).format(seq=seq, number=ticket.number)
        )
    query = select(Activity).where(col(Activity.ticket_id) == ticket.id)
    query = query.where(col(Activity.seq) == seq if only else col(Activity.seq) >= seq)
    activities = list(session.execute(query.order_by(col(Activity.seq))).scalars())
    lock(session, ticket)
    categories = list(
        session.execute(
            select(col(Category.name))
            .join(TicketCategory, col(TicketCategory.category_id) == Category.id)
            .where(col(TicketCategory.ticket_id) == ticket.id)
            .order_by(col(Category.name))
        ).scalars()
    )
    owner = session.get(User, ticket.owner_id)
    assert owner is not None
    new_subject = validation.subject(subject or chosen.subject or ticket.subject)
    opening = _check_opening(
        new_subject,
        ticket.priority,
        categories,
        session.get(Project, ticket.project_id) if ticket.project_id else None,
        ticket.color,
    )
    new_ticket = _insert_ticket(
        session,
        actor,
        opening,
        kind=ticket.kind,
        owner=owner,
        channel=session.get(Channel, ticket.channel_id) if ticket.channel_id else None,
        origin=ticket.origin,
        customer=session.get(Contact, ticket.customer_id) if ticket.customer_id else None,
        account=session.get(MailAccount, ticket.account_id) if ticket.account_id else None,
    )
    assert new_ticket.id is not None
    new_ticket.creator_user_id = ticket.creator_user_id
    new_ticket.creator_contact_id = ticket.creator_contact_id
    _move_activities(session, activities, ticket, new_ticket)
    ids = [activity.id for activity in activities]
    moved_files = 0
    if ids:
        moved_files = session.execute(
            update(TicketFile)
            .where(col(TicketFile.activity_id).in_(ids))
            .values(ticket_id=new_ticket.id)
        ).rowcount  # type: ignore[attr-defined]
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.activity_id).in_(ids))
            .values(ticket_id=new_ticket.id)
        )
        session.execute(
            update(MailImport)
            .where(col(MailImport.activity_id).in_(ids))
            .values(ticket_id=new_ticket.id)
        )
    session.add(
        TicketLink(
            from_ticket_id=ticket.id,
            to_ticket_id=new_ticket.id,
            kind=LinkKind.PARENT,
            created_by_id=actor.id,
        )
    )
    session.flush()
    seqs = [activity.seq for activity in activities]
    record_change(session, ticket, actor, "split_to", None, str(new_ticket.number)).details = {
        "activities": len(activities)
    }
    record_change(session, new_ticket, actor, "split_from", None, str(ticket.number)).details = {
        "activities": len(activities),
        "seqs": seqs,
    }
    session.flush()
    return SplitResult(
        ticket=ticket, new_ticket=new_ticket, activities=len(activities), files=moved_files
    )
