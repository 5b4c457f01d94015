"""Alarms: reminders about a ticket, for oneself or a colleague, fired exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock
from tix.core.errors import Invalid, Malformed
from tix.core.i18n import _, use_language
from tix.core.models import (
    ActivityKind,
    Alarm,
    AlarmVia,
    NotificationKind,
    Ticket,
    User,
)
from tix.core.permissions import can_see, require_see
from tix.core.services import notifications
from tix.core.services.activities import append_activity, lock


def set_alarm(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    due_at: datetime,
    note: str,
    recipient: User | None = None,
    via: str = AlarmVia.APP,
) -> Alarm:
    """An alarm on ``ticket`` for ``recipient`` (default: the actor) at ``due_at`` (aware)."""
    require_see(session, actor, ticket)
    recipient = recipient or actor
    note = " ".join(note.split())
    if not note:
        raise Invalid(_("an alarm needs a description: give --note TEXT"))
    if len(note) > 1000:
        raise Invalid(
            _("the note is too long ({length} characters): at most 1000").format(length=len(note))
        )
    try:
        method = AlarmVia(via.strip().lower())
    except ValueError:
        raise Malformed(_("unknown delivery {via!r}: use app or mail").format(via=via)) from None
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    if due_at <= clock.now():
        raise Invalid(_("the alarm time has passed: give a time in the future"))
    if not recipient.active:
        raise Invalid(
            _("{login} is deactivated: choose another recipient").format(login=recipient.login)
        )
    if not can_see(session, recipient, ticket):
        raise Invalid(
            _(
                "{login} cannot see ticket #{number}, so the alarm would tell them nothing: "
                "choose someone who can, or add them as a watcher"
            ).format(login=recipient.login, number=ticket.number)
        )
    lock(session, ticket)
    assert ticket.id is not None and actor.id is not None and recipient.id is not None
    alarm = Alarm(
        ticket_id=ticket.id,
        created_by_id=actor.id,
        recipient_id=recipient.id,
        via=method,
        note=note,
        due_at=due_at,
    )
    session.add(alarm)
    session.flush()
    append_activity(
        session,
        ticket,
        kind=ActivityKind.ALARM,
        author=actor,
        body=note,
        details={
            "alarm": alarm.id,
            "for": recipient.login,
            "via": method.value,
            "due_at": due_at.isoformat(),
        },
    )
    return alarm


def fire_due_alarms(session: Session, *, now: datetime | None = None) -> list[Alarm]:
    """Fire every due alarm not fired yet: a notification and/or a mail each.

    Safe to run from cron every minute and twice at once: the alarms are claimed under
    row locks (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's single writer), marked
    fired in the same transaction, and skipped by any concurrent run.
    """
    now = now or clock.now()
    due = list(
        session.execute(
            select(Alarm)
            .where(col(Alarm.fired_at).is_(None), col(Alarm.due_at) <= now)
            .order_by(col(Alarm.due_at), col(Alarm.id))
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for alarm in due:
        alarm.fired_at = now
        ticket = session.get(Ticket, alarm.ticket_id)
        recipient = session.get(User, alarm.recipient_id)
        creator = session.get(User, alarm.created_by_id)
        assert ticket is not None and recipient is not None
        with use_language(recipient.language or None):
            text = _("Alarm on #{number} {subject}: {note}").format(
                number=ticket.number, subject=ticket.subject, note=alarm.note
            )
            if creator is not None and creator.id != recipient.id:
                text += " " + _("(set by {name})").format(name=creator.name)
        notifications.notify_user(
            session,
            recipient,
            kind=NotificationKind.ALARM,
            text=text,
            ticket=ticket,
            alarm_id=alarm.id,
        )
        if alarm.via == AlarmVia.MAIL:
            notifications.queue_notification_mail(
                session, recipient, ticket, text=text, body=alarm.note
            )
    session.flush()
    return due


@dataclass(frozen=True)
class AlarmInfo:
    alarm: Alarm
    ticket_number: int
    subject: str
    recipient: str
    creator: str

    def to_json(self, iso: Any) -> dict[str, Any]:
        return {
            "id": self.alarm.id,
            "ticket": self.ticket_number,
            "subject": self.subject,
            "for": self.recipient,
            "by": self.creator,
            "via": self.alarm.via,
            "note": self.alarm.note,
            "due_at": iso(self.alarm.due_at),
            "fired_at": iso(self.alarm.fired_at),
        }


def list_alarms(
    session: Session,
    actor: User,
    *,
    due_only: bool = False,
    ticket: Ticket | None = None,
    include_fired: bool = False,
) -> list[AlarmInfo]:
    """Alarms for the actor or set by them (on ``ticket``: every alarm of it)."""
    from sqlalchemy.orm import aliased

    recipient = aliased(User)
    creator = aliased(User)
    query = (
        select(
            Alarm, col(Ticket.number), col(Ticket.subject), col(recipient.login), col(creator.login)
        )
        .join(Ticket, col(Ticket.id) == Alarm.ticket_id)
        .join(recipient, col(recipient.id) == Alarm.recipient_id)
        .join(creator, col(creator.id) == Alarm.created_by_id)
    )
    if ticket is not None:
        require_see(session, actor, ticket)
        query = query.where(col(Alarm.ticket_id) == ticket.id)
    else:
        query = query.where(
            (col(Alarm.recipient_id) == actor.id) | (col(Alarm.created_by_id) == actor.id)
        )
    if due_only:
        query = query.where(col(Alarm.fired_at).is_(None), col(Alarm.due_at) <= clock.now())
    elif not include_fired and ticket is None:
        query = query.where(col(Alarm.fired_at).is_(None))
    rows = session.execute(query.order_by(col(Alarm.due_at), col(Alarm.id))).all()
    return [AlarmInfo(alarm, number, subject, to, by) for alarm, number, subject, to, by in rows]
