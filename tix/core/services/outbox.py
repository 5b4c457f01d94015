"""Outgoing mail is queued here, in the same transaction as the activity it belongs to.

Delivery (``tix mail send``) reads the queue; nothing here talks to a server.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.models import Activity, MailAccount, OutboxMessage, OutboxPurpose, Ticket

TICKET_TAG = "Ticket#"
"""Subjects carry ``[Ticket#1042]`` so that answers find their ticket."""
MAX_REFERENCES = 20


def ticket_tag(number: int) -> str:
    return f"[{TICKET_TAG}{number}]"


def tagged_subject(number: int, subject: str, *, reply: bool = False) -> str:
    tag = ticket_tag(number)
    text = subject if tag in subject else f"{tag} {subject}"
    return f"Re: {text}" if reply and not text.lower().startswith("re:") else text


def make_message_id(address: str, ticket_number: int | None = None) -> str:
    """A new Message-ID (without angle brackets) on the domain of ``address``."""
    domain = address.rpartition("@")[2] or "tix.invalid"
    tag = f".tix{ticket_number}" if ticket_number is not None else ""
    return f"{uuid.uuid4().hex}{tag}@{domain}"


def thread_ids(session: Session, ticket: Ticket) -> tuple[str | None, list[str]]:
    """``In-Reply-To`` (the last received message) and ``References`` for a new mail."""
    rows = session.execute(
        select(col(Activity.message_id), col(Activity.direction))
        .where(col(Activity.ticket_id) == ticket.id, col(Activity.message_id).is_not(None))
        .order_by(col(Activity.seq))
    ).all()
    references = [message_id for message_id, _direction in rows if message_id]
    received = [message_id for message_id, direction in rows if direction == "in" and message_id]
    in_reply_to = received[-1] if received else (references[-1] if references else None)
    return in_reply_to, references[-MAX_REFERENCES:]


def sender(account: MailAccount) -> str:
    from email.headerregistry import Address

    if account.display_name:
        return str(Address(display_name=account.display_name, addr_spec=account.address))
    return account.address


def queue_mail(
    session: Session,
    *,
    purpose: OutboxPurpose,
    account: MailAccount,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    ticket: Ticket | None = None,
    activity: Activity | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> OutboxMessage:
    """Queue one outgoing mail from ``account`` (every mail tix sends is queued here).

    ``message_id`` defaults to a new one on the account's domain; the sender is the
    account's address with its display name."""
    message = OutboxMessage(
        purpose=purpose,
        ticket_id=ticket.id if ticket is not None else None,
        activity_id=activity.id if activity is not None else None,
        account_id=account.id,
        mail_from=sender(account),
        mail_to=list(to),
        mail_cc=list(cc),
        mail_bcc=list(bcc),
        subject=subject,
        body=body,
        message_id=message_id or make_message_id(account.address),
        in_reply_to=in_reply_to,
        references=list(references),
    )
    session.add(message)
    session.flush()
    return message


def queue_again(
    session: Session,
    message: OutboxMessage,
    *,
    envelope_to: Sequence[str],
    next_attempt_at: datetime,
    error: str,
) -> OutboxMessage:
    """The same ``message`` (same Message-ID and headers) once more, to just
    ``envelope_to``, not before ``next_attempt_at``: for recipients a server deferred."""
    again = OutboxMessage(
        purpose=message.purpose,
        ticket_id=message.ticket_id,
        activity_id=message.activity_id,
        account_id=message.account_id,
        mail_from=message.mail_from,
        mail_to=list(message.mail_to),
        mail_cc=list(message.mail_cc),
        mail_bcc=list(message.mail_bcc),
        subject=message.subject,
        body=message.body,
        message_id=message.message_id,
        in_reply_to=message.in_reply_to,
        references=list(message.references),
        envelope_to=list(envelope_to),
        attempts=1,
        next_attempt_at=next_attempt_at,
        last_error=error[:2000],
    )
    session.add(again)
    return again
