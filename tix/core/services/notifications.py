"""Telling watchers what happened: in-app notifications and, where wanted, a mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import ColumnElement, Integer, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import NotFound
from tix.core.i18n import _, use_language
from tix.core.labels import change_value, field_phrase, ticket_change_text
from tix.core.models import (
    Activity,
    ActivityKind,
    Contact,
    GroupMember,
    MailAccount,
    Notification,
    NotificationKind,
    OutboxMessage,
    OutboxPurpose,
    Ticket,
    TicketKind,
    User,
    Watcher,
    utcnow,
)
from tix.core.services import outbox


def describe(activity: Activity, author: str) -> str:
    """One line saying what ``activity`` was, in the active language."""
    between = ticket_change_text(activity.field, activity.old_value, activity.new_value)
    if activity.kind == ActivityKind.CHANGE and between is not None:
        return _("{author}: {change}").format(author=author, change=between)
    if activity.kind == ActivityKind.CHANGE:
        return _("{author} changed {field}: {old} → {new}").format(
            author=author,
            field=field_phrase(activity.field or ""),
            old=change_value(activity.field, activity.old_value) or "–",
            new=change_value(activity.field, activity.new_value) or "–",
        )
    labels = {
        ActivityKind.MESSAGE: _("{author} wrote a new message"),
        ActivityKind.REPLY: _("{author} replied"),
        ActivityKind.NOTE: _("{author} added a note"),
        ActivityKind.SOLUTION: _("{author} recorded a solution"),
        ActivityKind.TIME: _("{author} booked time"),
        ActivityKind.FILE: _("{author} added files"),
        ActivityKind.WATCHER: _("{author} changed the watchers"),
        ActivityKind.ALARM: _("{author} set an alarm"),
        ActivityKind.DOCUMENT: _("{author} made a document"),
        ActivityKind.PROJECT: _("{author} made a project"),
    }
    return labels.get(ActivityKind(activity.kind), _("{author}: {kind}")).format(
        author=author, kind=activity.kind
    )


def _author_name(session: Session, activity: Activity) -> str:
    if activity.author_user_id is not None:
        user = session.get(User, activity.author_user_id)
        return user.name if user else "?"
    if activity.author_contact_id is not None:
        contact = session.get(Contact, activity.author_contact_id)
        return contact.name if contact else "?"
    return "tix"


def watching_users(session: Session, ticket: Ticket) -> list[User]:
    """Everyone watching ``ticket``, groups expanded to their active members."""
    if ticket.kind == TicketKind.INTERNAL:
        # Only creator and owner take part, whatever rows the watchers table holds.
        ids = {ticket.owner_id, ticket.creator_user_id} - {None}
        where: ColumnElement[bool] = col(User.id).in_(ids)
        return list(
            session.execute(
                select(User).where(where, col(User.active).is_(True)).order_by(col(User.id))
            )
            .scalars()
            .all()
        )
    return list(session.execute(_watchers_query(), {"ticket_id": ticket.id}).scalars().all())


@cache
def _watchers_query() -> Select[User]:
    """The users watching the ticket ``:ticket_id``, directly or through a group: built
    once (every activity asks, and building the statement cost more than running it)."""
    ticket_id = bindparam("ticket_id", type_=Integer)
    direct = select(col(Watcher.user_id)).where(
        col(Watcher.ticket_id) == ticket_id, col(Watcher.user_id).is_not(None)
    )
    through_groups = (
        select(col(GroupMember.user_id))
        .join(Watcher, col(Watcher.group_id) == GroupMember.group_id)
        .where(col(Watcher.ticket_id) == ticket_id)
    )
    return (
        select(User)
        .where(
            or_(col(User.id).in_(direct), col(User.id).in_(through_groups)),
            col(User.active).is_(True),
        )
        .order_by(col(User.id))
    )


def notify_watchers(session: Session, ticket: Ticket, activity: Activity) -> list[Notification]:
    """Tell every watcher of ``ticket`` but the author about ``activity``."""
    recipients = [
        user for user in watching_users(session, ticket) if user.id != activity.author_user_id
    ]
    if not recipients:
        return []
    author = _author_name(session, activity)
    made = []
    for user in recipients:
        assert user.id is not None
        with use_language(user.language or None):
            text = f"#{ticket.number} {ticket.subject}: {describe(activity, author)}"
        notification = Notification(
            user_id=user.id,
            kind=NotificationKind.ACTIVITY,
            ticket_id=ticket.id,
            activity_id=activity.id,
            text=text[:500],
        )
        session.add(notification)
        made.append(notification)
        if user.notify_by_mail:
            queue_notification_mail(session, user, ticket, text=text, body=_mail_body(activity))
    return made


def _mail_body(activity: Activity) -> str:
    if activity.kind == ActivityKind.CHANGE:
        return ""
    return activity.body


def _sending_account(session: Session, ticket: Ticket | None) -> MailAccount | None:
    """The account notifications about ``ticket`` go out from: the ticket's, else any
    account that can send."""
    if ticket is not None and ticket.account_id is not None:
        account = session.get(MailAccount, ticket.account_id)
        if account is not None and account.smtp_host:
            return account
    return (
        session.execute(
            select(MailAccount)
            .where(col(MailAccount.smtp_host) != "")
            .order_by(col(MailAccount.id))
        )
        .scalars()
        .first()
    )


def queue_notification_mail(
    session: Session, user: User, ticket: Ticket | None, *, text: str, body: str
) -> OutboxMessage | None:
    """A notification mail to ``user`` (marked auto-generated when sent); ``None`` when no
    account can send mail."""
    account = _sending_account(session, ticket)
    if account is None:
        return None
    return outbox.queue_mail(
        session,
        purpose=OutboxPurpose.NOTIFICATION,
        account=account,
        ticket=ticket,
        to=[user.email],
        subject=text[:900],
        body=(text + "\n\n" + body).strip(),
    )


def notify_user(
    session: Session,
    user: User,
    *,
    kind: NotificationKind,
    text: str,
    ticket: Ticket | None = None,
    alarm_id: int | None = None,
) -> Notification:
    assert user.id is not None
    notification = Notification(
        user_id=user.id,
        kind=kind,
        text=text[:500],
        ticket_id=ticket.id if ticket else None,
        alarm_id=alarm_id,
    )
    session.add(notification)
    session.flush()
    return notification


def list_notifications(
    session: Session, user: User, *, unread_only: bool = False, limit: int = 100
) -> list[Notification]:
    query = select(Notification).where(col(Notification.user_id) == user.id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    return list(
        session.execute(query.order_by(col(Notification.id).desc()).limit(limit)).scalars().all()
    )


def unread_count(session: Session, user: User) -> int:
    return session.execute(
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
    ).scalar_one()


def mark_read(
    session: Session,
    user: User,
    *,
    ids: Sequence[int] = (),
    everything: bool = False,
    when: datetime | None = None,
) -> int:
    """Mark the user's notifications read; returns how many changed."""
    when = when or utcnow()
    if not everything:
        owned = set(
            session.execute(
                select(col(Notification.id)).where(
                    col(Notification.id).in_(ids), col(Notification.user_id) == user.id
                )
            ).scalars()
        )
        missing = [i for i in ids if i not in owned]
        if missing:
            raise NotFound(
                _("no notification {id} of yours: see `tix notify list`").format(id=missing[0])
            )
    query = update(Notification).where(
        col(Notification.user_id) == user.id, col(Notification.read_at).is_(None)
    )
    if not everything:
        query = query.where(col(Notification.id).in_(ids))
    result = session.execute(query.values(read_at=when))
    return int(getattr(result, "rowcount", 0) or 0)
