"""Messages on tickets: the customer's (mail, web form, portal) and staff's replies,
notes and solutions; a message to the customer is mailed through the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.models import (
    Activity,
    ActivityKind,
    Channel,
    Contact,
    Direction,
    MailAccount,
    OutboxPurpose,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from tix.core.permissions import require_see
from tix.core.services import contacts as contact_service
from tix.core.services import outbox, signatures
from tix.core.services.activities import append_activity
from tix.core.services.changes import change_status
from tix.core.services.storage import NewFile


@dataclass(frozen=True)
class MailFacts:
    """The envelope of a received mail, kept on its activity."""

    message_id: str | None = None
    in_reply_to: str | None = None
    mail_from: str | None = None
    to: Sequence[str] = ()
    cc: Sequence[str] = ()


def add_customer_message(
    session: Session,
    contact: Contact,
    *,
    ticket: Ticket,
    body: str,
    body_html: str | None = None,
    subject: str | None = None,
    mail: MailFacts | None = None,
    details: dict[str, object] | None = None,
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """A follow-up from the customer; it reopens a waiting or solved ticket."""
    activity = customer_activity(
        session,
        contact,
        ticket,
        body=body,
        body_html=body_html,
        subject=subject,
        mail=mail,
        details=details,
        attachments=attachments,
    )
    if ticket.status in (TicketStatus.WAITING, TicketStatus.SOLVED):
        change_status(session, ticket, contact, TicketStatus.OPEN)
    return activity


def customer_activity(
    session: Session,
    contact: Contact,
    ticket: Ticket,
    *,
    body: str,
    body_html: str | None,
    subject: str | None,
    mail: MailFacts | None,
    details: dict[str, object] | None,
    attachments: Sequence[NewFile] = (),
) -> Activity:
    return append_activity(
        session,
        ticket,
        kind=ActivityKind.MESSAGE,
        author=contact,
        body=validation.without_controls(body),
        subject=subject,
        attachments=attachments,
        body_html=body_html,
        details=details,
        direction=Direction.IN if mail is not None else None,
        message_id=mail.message_id if mail is not None else None,
        in_reply_to=mail.in_reply_to if mail is not None else None,
        mail_from=mail.mail_from if mail is not None else None,
        mail_to=list(mail.to) if mail is not None else None,
        mail_cc=list(mail.cc) if mail is not None else None,
    )


def channel_account(session: Session, channel: Channel) -> MailAccount | None:
    return (
        session.execute(
            select(MailAccount)
            .where(col(MailAccount.channel_id) == channel.id)
            .order_by(col(MailAccount.id))
        )
        .scalars()
        .first()
    )


@dataclass(frozen=True)
class Recipients:
    to: list[str]
    cc: list[str]
    bcc: list[str]


def check_recipients(to: Iterable[str], cc: Iterable[str], bcc: Iterable[str]) -> Recipients:
    def clean(values: Iterable[str]) -> list[str]:
        found: list[str] = []
        for value in values:
            for part in validation.split_addresses(value):
                address = validation.email_address(part)
                if address not in found:
                    found.append(address)
        return found

    return Recipients(clean(to), clean(cc), clean(bcc))


def send_mail(
    session: Session,
    ticket: Ticket,
    actor: User,
    *,
    kind: ActivityKind,
    body: str,
    recipients: Recipients,
    account: MailAccount,
    purpose: OutboxPurpose,
    reply: bool,
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """Record a mail from staff as an activity and queue it for delivery, signed
    (:mod:`~tix.core.services.signatures`; the activity keeps the text as written)."""
    in_reply_to, references = outbox.thread_ids(session, ticket)
    signature = signatures.ticket_signature(session, actor, ticket, account=account)
    message_id = outbox.make_message_id(account.address, ticket.number)
    subject = outbox.tagged_subject(ticket.number, ticket.subject, reply=reply)
    activity = append_activity(
        session,
        ticket,
        kind=kind,
        author=actor,
        body=body,
        subject=ticket.subject,
        direction=Direction.OUT,
        message_id=message_id,
        in_reply_to=in_reply_to,
        mail_from=outbox.sender(account),
        mail_to=recipients.to,
        mail_cc=recipients.cc,
        mail_bcc=recipients.bcc,
        attachments=attachments,
    )
    outbox.queue_mail(
        session,
        purpose=purpose,
        ticket=ticket,
        activity=activity,
        account=account,
        to=recipients.to,
        cc=recipients.cc,
        bcc=recipients.bcc,
        subject=subject,
        body=signatures.signed(body, signature),
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
    )
    return activity


def _is_external(ticket: Ticket) -> bool:
    return ticket.kind != TicketKind.INTERNAL


def _reply_account(session: Session, ticket: Ticket) -> MailAccount:
    account = session.get(MailAccount, ticket.account_id) if ticket.account_id else None
    if account is None and ticket.channel_id is not None:
        channel = session.get(Channel, ticket.channel_id)
        account = channel_account(session, channel) if channel else None
    if account is None:
        raise Invalid(
            _(
                "ticket #{number} has no mail account to reply from: add one to its channel with "
                "`tix account add NAME --address ADDR --channel CHANNEL`"
            ).format(number=ticket.number)
        )
    return account


def _customer_address(session: Session, ticket: Ticket) -> str:
    """Where replies go: the sender of the last received mail, else the customer."""
    last_from = session.execute(
        select(col(Activity.mail_from))
        .where(
            col(Activity.ticket_id) == ticket.id,
            col(Activity.direction) == "in",
            col(Activity.mail_from).is_not(None),
        )
        .order_by(col(Activity.seq).desc())
        .limit(1)
    ).scalar_one_or_none()
    if last_from:
        return validation.email_address(last_from)
    customer = session.get(Contact, ticket.customer_id) if ticket.customer_id else None
    if customer is None:
        raise Invalid(
            _("ticket #{number} has no customer to reply to: give --to ADDR").format(
                number=ticket.number
            )
        )
    return contact_service.primary_address(session, customer)


def _staff_message(
    session: Session,
    actor: User,
    ticket: Ticket,
    *,
    kind: ActivityKind,
    body: str,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    attachments: Sequence[NewFile] = (),
) -> Activity:
    require_see(session, actor, ticket)
    if not _is_external(ticket):
        if to or cc or bcc:
            raise Invalid(
                _(
                    "ticket #{number} is internal: its messages are never mailed, so --to, --cc "
                    "and --bcc do not apply"
                ).format(number=ticket.number)
            )
        return append_activity(
            session, ticket, kind=kind, author=actor, body=body, attachments=attachments
        )
    recipients = check_recipients(to or [_customer_address(session, ticket)], cc, bcc)
    return send_mail(
        session,
        ticket,
        actor,
        kind=kind,
        body=body,
        recipients=recipients,
        account=_reply_account(session, ticket),
        purpose=OutboxPurpose.REPLY,
        reply=True,
        attachments=attachments,
    )


def reply_to_ticket(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    body: str,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """A reply: on mail and request tickets it is e-mailed to the customer (or ``to``)."""
    body = validation.body(body, what=_("the reply"))
    activity = _staff_message(
        session,
        actor,
        ticket,
        kind=ActivityKind.REPLY,
        body=body,
        to=to,
        cc=cc,
        bcc=bcc,
        attachments=attachments,
    )
    if ticket.status == TicketStatus.NEW:
        change_status(session, ticket, actor, TicketStatus.OPEN)
    return activity


def add_note(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    body: str,
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """An internal note: never mailed, never shown to customers."""
    body = validation.body(body, what=_("the note"))
    require_see(session, actor, ticket)
    return append_activity(
        session, ticket, kind=ActivityKind.NOTE, author=actor, body=body, attachments=attachments
    )


def add_solution(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    body: str,
    cc: Sequence[str] = (),
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """How the ticket was solved; the ticket becomes solved. On mail and request tickets
    the solution is mailed to the customer like a reply."""
    body = validation.body(body, what=_("the solution"))
    activity = _staff_message(
        session,
        actor,
        ticket,
        kind=ActivityKind.SOLUTION,
        body=body,
        cc=cc,
        attachments=attachments,
    )
    if ticket.status != TicketStatus.SOLVED:
        change_status(session, ticket, actor, TicketStatus.SOLVED)
    return activity
