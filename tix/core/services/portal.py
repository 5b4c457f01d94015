"""The customer portal: logins (argon2), sessions, one-time links, and what a customer
may see and do. A customer sees only their own tickets (and their organisation's when
allowed), never internal tickets, never notes, never anything of staff-only records.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock, validation
from tix.core.errors import Forbidden, Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import (
    Activity,
    ActivityKind,
    Attempt,
    Channel,
    Contact,
    ContactAddress,
    OutboxPurpose,
    PortalSession,
    PortalToken,
    Ticket,
    TicketFile,
    TicketKind,
    TicketOrigin,
    TokenPurpose,
    User,
)
from tix.core.permissions import require_admin
from tix.core.services import contacts, intake, messages, outbox
from tix.core.services.storage import NewFile
from tix.core.timeutil import iso

SESSION_LIFETIME = timedelta(days=14)
INVITE_LIFETIME = timedelta(days=7)
RESET_LIFETIME = timedelta(hours=2)
MIN_PASSWORD = 10
VISIBLE_KINDS = (ActivityKind.MESSAGE, ActivityKind.REPLY, ActivityKind.SOLUTION)
"""What a customer sees of a ticket: the messages between them and staff."""


def _shown_to_customer(activity: Activity) -> bool:
    """A message of a visible kind, unless a third party wrote it: a stranger's follow-up
    to the ticket is for staff, never for the ticket's customer."""
    return not (activity.details or {}).get("third_party")


def _hasher() -> Any:
    from argon2 import PasswordHasher  # imported by the commands that hash: ~10 ms

    return PasswordHasher()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(
            _("the password is too short: use at least {count} characters").format(
                count=MIN_PASSWORD
            )
        )
    if len(password) > 1000:
        raise Invalid(_("the password is too long: at most 1000 characters"))
    return password


# --- enabling customers ------------------------------------------------------------


def enable(
    session: Session,
    actor: User,
    *,
    contact: Contact,
    password: str | None = None,
    sees_organization: bool | None = None,
) -> Contact:
    """Let ``contact`` log in (with ``password`` when given; else by an invitation)."""
    require_admin(actor, _("give customers portal access"))
    contact.portal_enabled = True
    if password is not None:
        contact.password_hash = _hasher().hash(check_password(password))
    if sees_organization is not None:
        contact.sees_organization = sees_organization
    session.flush()
    return contact


def disable(session: Session, actor: User, *, contact: Contact) -> Contact:
    require_admin(actor, _("give customers portal access"))
    contact.portal_enabled = False
    session.execute(delete(PortalSession).where(col(PortalSession.contact_id) == contact.id))
    session.flush()
    return contact


def _token(session: Session, contact: Contact, purpose: TokenPurpose) -> str:
    token = secrets.token_urlsafe(32)
    assert contact.id is not None
    lifetime = INVITE_LIFETIME if purpose == TokenPurpose.INVITE else RESET_LIFETIME
    session.add(
        PortalToken(
            token_hash=_digest(token),
            contact_id=contact.id,
            purpose=purpose,
            expires_at=clock.now() + lifetime,
        )
    )
    session.flush()
    return token


def _mail_link(session: Session, contact: Contact, *, subject: str, body: str) -> None:
    from tix.core.services.notifications import _sending_account

    account = _sending_account(session, None)
    if account is None:
        raise Invalid(
            _(
                "no mail account can send the link: add one with an SMTP server "
                "(`tix account add`), or set a password with --password-stdin"
            )
        )
    outbox.queue_mail(
        session,
        purpose=OutboxPurpose.NOTIFICATION,
        account=account,
        to=[contacts.primary_address(session, contact)],
        subject=subject,
        body=body,
    )


def invite(session: Session, actor: User, *, contact: Contact, base_url: str) -> str:
    """Enable the contact and mail a one-time link to set a password; returns the link."""
    enable(session, actor, contact=contact)
    link = f"{base_url.rstrip('/')}/portal/password/{_token(session, contact, TokenPurpose.INVITE)}"
    with contacts.speaking(contact):
        subject = _("Your access to our support portal")
        body = _(
            "Hello {name},\n\nyou can now follow your requests in our support portal. Set "
            "your password here (the link works once, for 7 days):\n\n{link}\n"
        ).format(name=contact.name, link=link)
    _mail_link(session, contact, subject=subject, body=body)
    return link


def request_reset(session: Session, *, address: str, base_url: str) -> None:
    """Mail a reset link if ``address`` belongs to a portal customer; silent otherwise
    (the answer must not tell who has an account)."""
    try:
        contact = contacts.find_contact(session, validation.email_address(address))
    except Invalid:
        return
    if contact is None or not contact.portal_enabled:
        return
    link = f"{base_url.rstrip('/')}/portal/password/{_token(session, contact, TokenPurpose.RESET)}"
    with contacts.speaking(contact):
        subject = _("Reset your support portal password")
        body = _(
            "Hello {name},\n\nset a new password here (the link works once, for two "
            "hours):\n\n{link}\n\nIf you did not ask for this, ignore this mail.\n"
        ).format(name=contact.name, link=link)
    _mail_link(session, contact, subject=subject, body=body)


def token_contact(session: Session, token: str) -> Contact:
    """The contact a valid, unused one-time ``token`` belongs to."""
    found = session.execute(
        select(PortalToken).where(col(PortalToken.token_hash) == _digest(token))
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= clock.now():
        raise Invalid(_("this link is no longer valid: ask for a new one"))
    contact = session.get(Contact, found.contact_id)
    if contact is None or not contact.portal_enabled:
        raise Invalid(_("this link is no longer valid: ask for a new one"))
    return contact


def set_password_with_token(session: Session, *, token: str, password: str) -> Contact:
    contact = token_contact(session, token)
    contact.password_hash = _hasher().hash(check_password(password))
    session.execute(
        update(PortalToken)
        .where(col(PortalToken.token_hash) == _digest(token))
        .values(used_at=clock.now())
    )
    session.execute(delete(PortalSession).where(col(PortalSession.contact_id) == contact.id))
    session.flush()
    return contact


_DUMMY_HASH: str | None = None


def authenticate(session: Session, *, address: str, password: str) -> Contact | None:
    """The portal customer with this address and password, else ``None`` (the same work
    either way, so timing tells nothing)."""
    global _DUMMY_HASH
    from argon2.exceptions import VerificationError

    hasher = _hasher()
    try:
        contact = contacts.find_contact(session, validation.email_address(address))
    except Invalid:
        contact = None
    stored = contact.password_hash if contact is not None and contact.portal_enabled else None
    if stored is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hasher.hash(secrets.token_hex(16))
        with suppress(VerificationError):
            hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        hasher.verify(stored, password)
    except VerificationError:
        return None
    if hasher.check_needs_rehash(stored) and contact is not None:
        contact.password_hash = hasher.hash(password)
    return contact


# --- sessions and rate limits ------------------------------------------------------------


def start_session(session: Session, contact: Contact) -> tuple[str, str]:
    """A new login: (cookie token, CSRF token)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    assert contact.id is not None
    session.add(
        PortalSession(
            token_hash=_digest(token),
            contact_id=contact.id,
            csrf_token=csrf,
            expires_at=clock.now() + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token, csrf


def current_session(session: Session, token: str) -> tuple[PortalSession, Contact] | None:
    found = session.execute(
        select(PortalSession, Contact)
        .join(Contact, col(Contact.id) == PortalSession.contact_id)
        .where(col(PortalSession.token_hash) == _digest(token))
    ).first()
    if found is None:
        return None
    portal_session, contact = found
    if portal_session.expires_at <= clock.now() or not contact.portal_enabled:
        return None
    return portal_session, contact


def end_session(session: Session, token: str) -> None:
    session.execute(delete(PortalSession).where(col(PortalSession.token_hash) == _digest(token)))


def address_limit_key(scope: str, address: str) -> str:
    """The rate limit key of ``address`` in ``scope``: every spelling of one address
    (``x1 <a@b.org>``, ``A@B.org``) counts as the same."""
    return f"{scope}:{validation.address_key(address)}"


def too_many(session: Session, key: str, *, limit: int, window: timedelta) -> bool:
    """Whether ``key`` has been counted ``limit`` times within ``window`` (not counting)."""
    since = clock.now() - window
    count = session.execute(
        select(func.count())
        .select_from(Attempt)
        .where(col(Attempt.key) == key, col(Attempt.at) >= since)
    ).scalar_one()
    return int(count) >= limit


def count(session: Session, key: str) -> None:
    session.add(Attempt(key=key[:400]))
    session.flush()


# --- what a customer sees and does -------------------------------------------------------


def _contact_ids(session: Session, contact: Contact) -> list[int]:
    if contact.sees_organization and contact.organization_id is not None:
        return [
            i
            for i in session.execute(
                select(col(Contact.id)).where(
                    col(Contact.organization_id) == contact.organization_id
                )
            ).scalars()
            if i is not None
        ]
    assert contact.id is not None
    return [contact.id]


def _visible(session: Session, contact: Contact) -> Any:
    ids = _contact_ids(session, contact)
    return (col(Ticket.kind) != TicketKind.INTERNAL) & or_(
        col(Ticket.customer_id).in_(ids), col(Ticket.creator_contact_id).in_(ids)
    )


@dataclass(frozen=True)
class PortalTicket:
    number: int
    subject: str
    status: str
    created_at: str | None
    updated_at: str | None
    mine: bool


def my_tickets(session: Session, contact: Contact, zone: tzinfo) -> list[PortalTicket]:
    rows = (
        session.execute(
            select(Ticket)
            .where(_visible(session, contact))
            .order_by(col(Ticket.updated_at).desc())
            .limit(500)
        )
        .scalars()
        .all()
    )
    return [
        PortalTicket(
            t.number,
            t.subject,
            t.status,
            iso(t.created_at, zone),
            iso(t.updated_at, zone),
            t.customer_id == contact.id or t.creator_contact_id == contact.id,
        )
        for t in rows
    ]


def my_ticket(session: Session, contact: Contact, number: int | str) -> Ticket:
    """The ticket if the customer may see it; NotFound otherwise (whether it exists or
    not: ticket numbers are no access tokens)."""
    try:
        wanted = validation.ticket_number(number)
    except Invalid:
        wanted = -1
    ticket = session.execute(
        select(Ticket).where(col(Ticket.number) == wanted, _visible(session, contact))
    ).scalar_one_or_none()
    if ticket is None:
        raise NotFound(_("no ticket #{number} of yours").format(number=number))
    return ticket


def ticket_view(session: Session, contact: Contact, ticket: Ticket, zone: tzinfo) -> dict[str, Any]:
    """The customer's view of a ticket: its messages and their files, nothing else."""
    activities = (
        session.execute(
            select(Activity)
            .where(col(Activity.ticket_id) == ticket.id, col(Activity.kind).in_(VISIBLE_KINDS))
            .order_by(col(Activity.seq))
        )
        .scalars()
        .all()
    )
    activities = [activity for activity in activities if _shown_to_customer(activity)]
    files: dict[int, list[dict[str, Any]]] = {}
    for ticket_file in session.execute(
        select(TicketFile)
        .where(col(TicketFile.activity_id).in_([a.id for a in activities]))
        .order_by(col(TicketFile.id))
    ).scalars():
        files.setdefault(ticket_file.activity_id or 0, []).append(
            {
                "id": ticket_file.id,
                "name": ticket_file.name,
                "size": ticket_file.size,
                "content_type": ticket_file.content_type,
            }
        )
    users = dict(session.execute(select(col(User.id), col(User.name))).all())
    contacts_by_id = dict(
        session.execute(
            select(col(Contact.id), col(Contact.name)).where(
                col(Contact.id).in_(
                    {a.author_contact_id for a in activities if a.author_contact_id}
                )
            )
        ).all()
    )
    return {
        "number": ticket.number,
        "subject": ticket.subject,
        "status": ticket.status,
        "created_at": iso(ticket.created_at, zone),
        "updated_at": iso(ticket.updated_at, zone),
        "form_values": ticket.form_values or {},
        "messages": [
            {
                "id": activity.id,
                "kind": activity.kind,
                "from_staff": activity.author_user_id is not None,
                "author": users.get(activity.author_user_id)
                if activity.author_user_id
                else contacts_by_id.get(activity.author_contact_id, ""),
                "created_at": iso(activity.created_at, zone),
                "body": activity.body,
                "html": activity.body_html,
                "files": files.get(activity.id or 0, []),
            }
            for activity in activities
        ],
    }


def my_file(
    session: Session, contact: Contact, number: int | str, file_id: int
) -> tuple[TicketFile, bytes]:
    """A file attached to a message the customer may see."""
    from tix.core.models import Blob

    ticket = my_ticket(session, contact, number)
    row = session.execute(
        select(TicketFile, Activity)
        .join(Activity, col(Activity.id) == TicketFile.activity_id)
        .where(
            col(TicketFile.id) == file_id,
            col(TicketFile.ticket_id) == ticket.id,
            col(Activity.kind).in_(VISIBLE_KINDS),
        )
    ).one_or_none()
    found = row[0] if row is not None and _shown_to_customer(row[1]) else None
    if found is None:
        raise NotFound(_("no such file"))
    blob = session.get(Blob, found.sha256)
    assert blob is not None
    return found, blob.data


def portal_channels(session: Session) -> list[Channel]:
    return list(
        session.execute(
            select(Channel).where(col(Channel.web).is_(True)).order_by(col(Channel.name))
        )
        .scalars()
        .all()
    )


def web_channel(session: Session, name: str) -> Channel:
    channel = session.execute(
        select(Channel).where(col(Channel.name) == name, col(Channel.web).is_(True))
    ).scalar_one_or_none()
    if channel is None:
        raise NotFound(_("no channel {name!r} takes tickets from the web").format(name=name))
    return channel


def open_ticket(
    session: Session,
    contact: Contact,
    *,
    channel: Channel,
    subject: str,
    body: str,
    values: dict[str, Any],
    origin: TicketOrigin,
    attachments: Sequence[NewFile] = (),
) -> Ticket:
    """A new ticket from the portal or the web form (values already checked)."""
    if not channel.web:
        raise Forbidden(_("channel {name} takes no tickets from the web").format(name=channel.name))
    subject = " ".join(subject.split())
    if not subject:
        raise Invalid(_("the subject must not be empty"))
    if not body.strip():
        raise Invalid(_("the message must not be empty"))
    return intake.open_ticket(
        session,
        contact,
        channel=channel,
        subject=subject[:500],
        body=body,
        origin=origin,
        attachments=attachments,
        form_values=values or None,
    )


def reply(
    session: Session,
    contact: Contact,
    *,
    number: int | str,
    body: str,
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """A follow-up from the portal; it reopens a solved or waiting ticket."""
    ticket = my_ticket(session, contact, number)
    if not body.strip():
        raise Invalid(_("the message must not be empty"))
    return messages.add_customer_message(
        session,
        contact,
        ticket=ticket,
        body=body,
        attachments=attachments,
        details={"origin": "portal"},
    )


def contact_for_web(session: Session, *, address: str, name: str) -> Contact:
    """The sender of a web form: an existing contact, or a new one."""
    return intake.customer(session, address=address, name=name)


def address_of(session: Session, contact: Contact) -> str:
    return (
        session.execute(
            select(col(ContactAddress.address))
            .where(col(ContactAddress.contact_id) == contact.id)
            .order_by(col(ContactAddress.is_primary).desc())
        )
        .scalars()
        .first()
        or ""
    )
