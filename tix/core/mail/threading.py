"""Which ticket a received mail belongs to.

In order: the Message-IDs it answers (In-Reply-To, then References, newest first)
matched against every mail tix has stored or sent; the ticket tag in its subject
(``[Ticket#1042]``, whatever ``Re:``, ``AW:``, ``Fwd:`` or ``WG:`` stand before it);
for a bounce, the Message-ID of the message it returns. A mail to a merged ticket goes
to the ticket it was merged into.

A Message-ID held by several mails (a different message that reused it) answers to
the ticket of the first of them, whatever order the database returns rows in: the
first is the one its sender meant, and a later message cannot draw its answers away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.mail.parse import ParsedMail
from tix.core.models import Activity, OutboxMessage, Ticket, TicketKind

TAG = re.compile(r"\[\s*ticket\s*#\s*(\d{1,12})\s*\]", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd|antw|sv|vs|tr|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.I)


def ticket_numbers(subject: str) -> list[int]:
    """Ticket numbers tagged in ``subject``, in order."""
    return [int(number) for number in TAG.findall(subject)]


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and ticket tags, for a new ticket."""
    without_tags = TAG.sub(" ", subject)
    return " ".join(_PREFIX.sub("", without_tags).split())


def _by_message_ids(session: Session, message_ids: Iterable[str]) -> Ticket | None:
    ids = [message_id for message_id in message_ids if message_id]
    if not ids:
        return None
    found: dict[str | None, int | None] = {}
    for held, on_ticket in session.execute(
        select(col(Activity.message_id), col(Activity.ticket_id))
        .where(col(Activity.message_id).in_(ids))
        .order_by(col(Activity.id))
    ).all():
        found.setdefault(held, on_ticket)
    # Acknowledgements and notifications are sent without an activity of their own.
    for message_id, ticket_id in session.execute(
        select(col(OutboxMessage.message_id), col(OutboxMessage.ticket_id))
        .where(col(OutboxMessage.message_id).in_(ids), col(OutboxMessage.ticket_id).is_not(None))
        .order_by(col(OutboxMessage.id))
    ).all():
        found.setdefault(message_id, ticket_id)
    for message_id in ids:
        if message_id in found:
            return session.get(Ticket, found[message_id])
    return None


def _merged_into(session: Session, ticket: Ticket | None) -> Ticket | None:
    """The ticket ``ticket`` was merged into (and that one's, and so on), else itself."""
    seen: set[int | None] = set()
    while ticket is not None and ticket.merged_into_id is not None and ticket.id not in seen:
        seen.add(ticket.id)
        ticket = session.get(Ticket, ticket.merged_into_id)
    return ticket


def find_ticket(session: Session, mail: ParsedMail) -> Ticket | None:
    """The ticket ``mail`` answers, if any; for a merged ticket, the one it was merged
    into."""
    return _merged_into(session, _answered_ticket(session, mail))


def _answered_ticket(session: Session, mail: ParsedMail) -> Ticket | None:
    answered = [*mail.in_reply_to, *reversed(mail.references)]
    ticket = _by_message_ids(session, answered)
    if ticket is not None:
        return ticket
    for number in ticket_numbers(mail.subject):
        # An internal ticket is between its creator and its owner: a number in a
        # subject, which anyone can type, never lets outside mail into it.
        ticket = session.execute(
            select(Ticket).where(
                col(Ticket.number) == number, col(Ticket.kind) != TicketKind.INTERNAL
            )
        ).scalar_one_or_none()
        if ticket is not None:
            return ticket
    if mail.bounce:
        return _by_message_ids(session, mail.bounced_message_ids)
    return None


def known_message(session: Session, message_id: str | None) -> Activity | None:
    """The activity that holds ``message_id`` already (received or sent by tix)."""
    if not message_id:
        return None
    return session.execute(
        select(Activity)
        .where(col(Activity.message_id) == message_id)
        .order_by(col(Activity.id))
        .limit(1)
    ).scalar_one_or_none()
