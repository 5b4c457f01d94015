"""Opening tickets: internal, mail and request tickets by staff, and customer tickets
(mail, web form, portal, API); each gets its number, watchers and first message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import search, validation
from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.models import (
    PRIORITY_DEFAULT,
    ActivityKind,
    Channel,
    Contact,
    MailAccount,
    OutboxPurpose,
    Project,
    Ticket,
    TicketKind,
    TicketOrigin,
    TicketStatus,
    User,
    Watcher,
    utcnow,
)
from tix.core.services import contacts as contact_service
from tix.core.services.activities import append_activity, next_number
from tix.core.services.changes import check_owner, link_category
from tix.core.services.messages import (
    MailFacts,
    channel_account,
    check_recipients,
    customer_activity,
    send_mail,
)
from tix.core.services.storage import NewFile


@dataclass
class _Opening:
    """What every kind of new ticket has in common."""

    subject: str
    priority: int = PRIORITY_DEFAULT
    categories: Sequence[str] = ()
    project: Project | None = None
    color: str | None = None


def open_internal_ticket(
    session: Session,
    actor: User,
    *,
    owner: User,
    subject: str,
    body: str | None = None,
    priority: int = PRIORITY_DEFAULT,
    categories: Sequence[str] = (),
    project: Project | None = None,
    color: str | None = None,
    attachments: Sequence[NewFile] = (),
) -> Ticket:
    """An internal ticket between ``actor`` (creator) and ``owner``; nobody else takes part."""
    opening = _check_opening(subject, priority, categories, project, color)
    check_owner(owner)
    if body is not None:
        body = validation.body(body, what=_("the message"))
    ticket = _insert_ticket(
        session,
        actor,
        opening,
        kind=TicketKind.INTERNAL,
        owner=owner,
        channel=None,
        origin=TicketOrigin.AGENT,
    )
    if body is not None:
        append_activity(
            session,
            ticket,
            kind=ActivityKind.MESSAGE,
            author=actor,
            body=body,
            subject=ticket.subject,
            attachments=attachments,
        )
    return ticket


def open_mail_ticket(
    session: Session,
    actor: User,
    *,
    account: MailAccount,
    channel: Channel,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    owner: User | None = None,
    priority: int = PRIORITY_DEFAULT,
    categories: Sequence[str] = (),
    project: Project | None = None,
    color: str | None = None,
    attachments: Sequence[NewFile] = (),
) -> Ticket:
    """A mail ticket opened by staff: the mail to ``to`` is sent and is its first activity."""
    opening = _check_opening(subject, priority, categories, project, color)
    body = validation.body(body, what=_("the mail"))
    recipients = check_recipients(to, cc, bcc)
    if not recipients.to:
        raise Invalid(_("a mail ticket needs a recipient: give --to ADDR"))
    owner = owner or actor
    check_owner(owner)
    first = next((part for value in to for part in validation.split_addresses(value)), "")
    display_name = parseaddr(first)[0]
    customer = contact_service.contact_for_address(session, recipients.to[0], name=display_name)
    ticket = _insert_ticket(
        session,
        actor,
        opening,
        kind=TicketKind.MAIL,
        owner=owner,
        channel=channel,
        origin=TicketOrigin.AGENT,
        customer=customer,
        account=account,
    )
    send_mail(
        session,
        ticket,
        actor,
        kind=ActivityKind.REPLY,
        body=body,
        recipients=recipients,
        account=account,
        purpose=OutboxPurpose.NEW_TICKET,
        reply=False,
        attachments=attachments,
    )
    return ticket


def open_request_ticket(
    session: Session,
    actor: User,
    *,
    channel: Channel,
    customer: Contact,
    subject: str,
    body: str,
    owner: User | None = None,
    account: MailAccount | None = None,
    priority: int = PRIORITY_DEFAULT,
    categories: Sequence[str] = (),
    project: Project | None = None,
    color: str | None = None,
    attachments: Sequence[NewFile] = (),
) -> Ticket:
    """A ticket taken down for ``customer`` (a phone call): no mail now, replies go by mail."""
    opening = _check_opening(subject, priority, categories, project, color)
    body = validation.body(body, what=_("the request"))
    owner = owner or actor
    check_owner(owner)
    account = account or channel_account(session, channel)
    ticket = _insert_ticket(
        session,
        actor,
        opening,
        kind=TicketKind.REQUEST,
        owner=owner,
        channel=channel,
        origin=TicketOrigin.PHONE,
        customer=customer,
        account=account,
    )
    append_activity(
        session,
        ticket,
        kind=ActivityKind.MESSAGE,
        author=actor,
        body=body,
        subject=ticket.subject,
        details={"on_behalf_of": contact_service.primary_address(session, customer)},
        attachments=attachments,
    )
    return ticket


def default_owner(session: Session, channel: Channel) -> User:
    """Who owns a ticket that arrives in ``channel`` without an owner: the channel's
    default owner, else the first admin (a ticket must never be lost for want of one)."""
    if channel.default_owner_id is not None:
        owner = session.get(User, channel.default_owner_id)
        if owner is not None and owner.active:
            return owner
    fallback = (
        session.execute(
            select(User)
            .where(col(User.active).is_(True))
            .order_by(col(User.is_admin).desc(), col(User.id))
        )
        .scalars()
        .first()
    )
    if fallback is None:
        raise Invalid(
            _(
                "there is no user to own tickets of channel {channel}: add a user and set it as "
                "the channel's default owner"
            ).format(channel=channel.name)
        )
    return fallback


def open_customer_ticket(
    session: Session,
    contact: Contact,
    *,
    channel: Channel,
    subject: str,
    body: str,
    origin: TicketOrigin = TicketOrigin.MAIL,
    body_html: str | None = None,
    mail: MailFacts | None = None,
    account: MailAccount | None = None,
    priority: int = PRIORITY_DEFAULT,
    categories: Sequence[str] = (),
    details: dict[str, object] | None = None,
    attachments: Sequence[NewFile] = (),
    form_values: dict[str, Any] | None = None,
) -> Ticket:
    """A ticket the customer opened (mail, web form, portal); their message comes first."""
    opening = _check_opening(
        " ".join(subject.split()) or _("(no subject)"), priority, categories, None, None
    )
    owner = default_owner(session, channel)
    ticket = _insert_ticket(
        session,
        contact,
        opening,
        kind=TicketKind.MAIL,
        owner=owner,
        channel=channel,
        origin=origin,
        customer=contact,
        account=account or channel_account(session, channel),
    )
    if form_values:
        ticket.form_values = form_values
    customer_activity(
        session,
        contact,
        ticket,
        body=body,
        body_html=body_html,
        subject=ticket.subject,
        mail=mail,
        details=details,
        attachments=attachments,
    )
    return ticket


def _check_opening(
    subject: str,
    priority: int,
    categories: Sequence[str],
    project: Project | None,
    color: str | None,
) -> _Opening:
    return _Opening(
        subject=validation.subject(subject),
        priority=validation.priority(priority),
        categories=[
            validation.name(name, what=_("a category"), max_length=100) for name in categories
        ],
        project=project,
        color=validation.color(color) if color is not None else None,
    )


def _insert_ticket(
    session: Session,
    actor: User | Contact,
    opening: _Opening,
    *,
    kind: TicketKind,
    owner: User,
    channel: Channel | None,
    origin: TicketOrigin,
    customer: Contact | None = None,
    account: MailAccount | None = None,
) -> Ticket:
    staff = isinstance(actor, User)
    now = utcnow()
    assert owner.id is not None
    ticket = Ticket(
        number=next_number(session, "ticket"),
        kind=kind,
        status=TicketStatus.OPEN if staff else TicketStatus.NEW,
        subject=opening.subject,
        priority=opening.priority,
        color=opening.color,
        origin=origin,
        channel_id=channel.id if channel else None,
        owner_id=owner.id,
        creator_user_id=actor.id if staff else None,
        creator_contact_id=None if staff else actor.id,
        customer_id=customer.id if customer else None,
        account_id=account.id if account else None,
        project_id=opening.project.id if opening.project else None,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    assert ticket.id is not None
    session.info.setdefault("tix_locked_tickets", set()).add(ticket.id)
    search.index_subject(session, ticket_id=ticket.id, subject=ticket.subject, old=None)
    for name in opening.categories:
        link_category(session, ticket, name)
    for user in {user.id: user for user in (actor, owner) if isinstance(user, User)}.values():
        session.add(Watcher(ticket_id=ticket.id, user_id=user.id))  # a new ticket has none yet
    return ticket
