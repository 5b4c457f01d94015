"""A customer opens a ticket: by mail, in the portal, by the web form or through the API.

Every one of these goes through here: the customer's contact (found, or made when new),
the channel's form values checked, the ticket opened with the customer's message first,
and the channel's acknowledgement queued to the address the customer wrote from. The
caller owns the transaction; nothing here talks to a server.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Text, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock, validation
from tix.core.i18n import _
from tix.core.models import (
    PRIORITY_DEFAULT,
    Activity,
    Channel,
    Contact,
    MailAccount,
    OutboxMessage,
    OutboxPurpose,
    Ticket,
    TicketOrigin,
)
from tix.core.services import contacts, forms, opening, outbox, signatures
from tix.core.services.messages import MailFacts
from tix.core.services.storage import NewFile

log = logging.getLogger("tix.mail")

ACK_LIMIT_PER_DAY = 3
"""Acknowledgements one address gets within 24 hours at most (a loop brake)."""


def customer(session: Session, *, address: str, name: str = "") -> Contact:
    """The customer writing from ``address``: their contact, made when there is none.
    A malformed address is :class:`~tix.core.errors.Invalid` and writes nothing."""
    return contacts.contact_for_address(session, validation.email_address(address), name=name)


def check_form(
    channel: Channel, values: Mapping[str, Any], *, files: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The channel's form values, typed and checked; :class:`forms.FormErrors` names each
    field that is wrong. Call it before anything is written."""
    return forms.check_values(channel.form, values, files=files)


def open_ticket(
    session: Session,
    contact: Contact,
    *,
    channel: Channel,
    subject: str,
    body: str,
    origin: TicketOrigin,
    address: str | None = None,
    acknowledge: bool = True,
    form_values: dict[str, Any] | None = None,
    body_html: str | None = None,
    mail: MailFacts | None = None,
    account: MailAccount | None = None,
    priority: int = PRIORITY_DEFAULT,
    categories: Sequence[str] = (),
    details: dict[str, object] | None = None,
    attachments: Sequence[NewFile] = (),
) -> Ticket:
    """The ticket ``contact`` opens in ``channel`` (form values already checked), and the
    channel's acknowledgement to ``address`` (default: the contact's primary address)
    unless ``acknowledge`` is false."""
    ticket = opening.open_customer_ticket(
        session,
        contact,
        channel=channel,
        subject=subject,
        body=body,
        origin=origin,
        body_html=body_html,
        mail=mail,
        account=account,
        priority=priority,
        categories=categories,
        details=details,
        attachments=attachments,
        form_values=form_values or None,
    )
    if acknowledge:
        queue_acknowledgement(
            session,
            ticket,
            channel=channel,
            address=address or contacts.primary_address(session, contact),
        )
    return ticket


def default_ack_subject() -> str:
    return _("We have received your request: {subject}")


def default_ack_body() -> str:
    return _(
        "Hello {name},\n\nthank you for your message. We have opened ticket #{number} for it "
        "and will answer as soon as we can. Please keep the ticket number in the subject "
        "when you write to us about it.\n"
    )


def queue_acknowledgement(
    session: Session, ticket: Ticket, *, channel: Channel, address: str
) -> OutboxMessage | None:
    """The channel's automatic reply to a new ticket, unless it is off, the address got
    too many lately, or no account can send it."""
    if not channel.acknowledge:
        return None
    since = clock.now() - timedelta(days=1)
    recent = session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.purpose) == OutboxPurpose.ACKNOWLEDGEMENT,
            col(OutboxMessage.created_at) >= since,
            func.lower(func.cast(col(OutboxMessage.mail_to), Text)).contains(address.lower()),
        )
    ).scalar_one()
    if recent >= ACK_LIMIT_PER_DAY:
        log.info("no acknowledgement to %s: %s sent in the last 24 hours", address, recent)
        return None
    account = session.get(MailAccount, ticket.account_id) if ticket.account_id else None
    if account is None:
        return None
    customer = session.get(Contact, ticket.customer_id) if ticket.customer_id else None
    values = {
        "number": ticket.number,
        "subject": ticket.subject,
        "name": customer.name if customer else "",
        "channel": channel.name,
    }
    with contacts.speaking(customer):  # the default texts in the customer's language
        subject = _fill(channel.ack_subject or default_ack_subject(), values)
        body = _fill(channel.ack_body or default_ack_body(), values)
        signature = signatures.signature_for(
            session,
            account=account,
            channel=channel,
            agent=None,
            ticket=ticket,
            acknowledgement=True,
            language=customer.language if customer else None,
        )
    return outbox.queue_mail(
        session,
        purpose=OutboxPurpose.ACKNOWLEDGEMENT,
        account=account,
        ticket=ticket,
        to=[address],
        subject=outbox.tagged_subject(ticket.number, subject),
        body=signatures.signed(body, signature),
        message_id=outbox.make_message_id(account.address, ticket.number),
        in_reply_to=_first_message_id(session, ticket),
    )


def _fill(template: str, values: dict[str, Any]) -> str:
    """A template with {number}, {subject}, {name}, {channel}; unknown braces stay."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        return str(values[key]) if key in values else match.group(0)

    return re.sub(r"\{(\w+)\}", replace, template)


def _first_message_id(session: Session, ticket: Ticket) -> str | None:
    first = session.get(Activity, ticket.first_activity_id) if ticket.first_activity_id else None
    return first.message_id if first else None
