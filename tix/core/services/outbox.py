"""Outgoing mail is queued here, in the same transaction as the activity it belongs to.

Delivery (``tix mail send``) reads the queue; nothing here talks to a server.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.models import Activity, MailAccount, OutboxMessage, Ticket

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


def queue_ticket_mail(
    session: Session,
    *,
    purpose: str,
    ticket: Ticket,
    activity: Activity,
    account: MailAccount,
    to: list[str],
    cc: list[str],
    bcc: list[str],
    subject: str,
    body: str,
    message_id: str,
    in_reply_to: str | None,
    references: list[str],
) -> OutboxMessage:
    message = OutboxMessage(
        purpose=purpose,
        ticket_id=ticket.id,
        activity_id=activity.id,
        account_id=account.id,
        mail_from=sender(account),
        mail_to=to,
        mail_cc=cc,
        mail_bcc=bcc,
        subject=subject,
        body=body,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    session.add(message)
    session.flush()
    return message
