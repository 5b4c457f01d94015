"""Opening and working tickets: the ticket's one write path.

Every function takes the session, the acting user and keyword arguments, checks
access, validates, writes the change together with its activity, and raises a
:class:`~tix.core.errors.TixError` before anything is written when the input is bad.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import search, validation
from tix.core.errors import Conflict, Invalid, NotFound
from tix.core.i18n import _
from tix.core.labels import parse_priority, parse_status
from tix.core.models import (
    MESSAGE_KINDS,
    PRIORITY_DEFAULT,
    Activity,
    ActivityKind,
    Category,
    Channel,
    Contact,
    Counter,
    MailAccount,
    OutboxPurpose,
    Project,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketOrigin,
    TicketStatus,
    User,
    Watcher,
    utcnow,
)
from tix.core.permissions import require_see
from tix.core.services import contacts as contact_service
from tix.core.services import notifications, outbox
from tix.core.services.storage import DEFAULT_MAX_SIZE, NewFile, check_sizes, store_files

Author = User | Contact | None
"""Who wrote an activity: a user, a contact, or tix itself (``None``)."""


class Clear:
    """Passed for a field that is to be emptied (unlink the project, say)."""

    def __repr__(self) -> str:
        return "CLEAR"


CLEAR = Clear()

MAX_UNCHECKED = 1 << 62
"""Passed on once a caller has checked the sizes against the configured limit."""


@dataclass
class _Opening:
    """What every kind of new ticket has in common."""

    subject: str
    priority: int = PRIORITY_DEFAULT
    categories: Sequence[str] = ()
    project: Project | None = None
    color: str | None = None


# --- looking tickets up -----------------------------------------------------------


def find_ticket(session: Session, number: int | str) -> Ticket | None:
    return session.execute(
        select(Ticket).where(col(Ticket.number) == validation.ticket_number(number))
    ).scalar_one_or_none()


def get_ticket(session: Session, actor: User, number: int | str) -> Ticket:
    """The ticket numbered ``number``, if ``actor`` may see it."""
    ticket = find_ticket(session, number)
    if ticket is None:
        raise NotFound(
            _("no ticket #{number}: see `tix ticket list`").format(
                number=validation.ticket_number(number)
            )
        )
    require_see(session, actor, ticket)
    return ticket


# --- opening tickets -----------------------------------------------------------------


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
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Ticket:
    """An internal ticket between ``actor`` (creator) and ``owner``; nobody else takes part."""
    check_sizes(attachments, max_file_size)
    opening = _check_opening(subject, priority, categories, project, color)
    _check_owner(owner)
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
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Ticket:
    """A mail ticket opened by staff: the mail to ``to`` is sent and is its first activity."""
    check_sizes(attachments, max_file_size)
    opening = _check_opening(subject, priority, categories, project, color)
    body = validation.body(body, what=_("the mail"))
    recipients = _recipients(to, cc, bcc)
    if not recipients.to:
        raise Invalid(_("a mail ticket needs a recipient: give --to ADDR"))
    owner = owner or actor
    _check_owner(owner)
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
    _send(
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
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Ticket:
    """A ticket taken down for ``customer`` (a phone call): no mail now, replies go by mail."""
    check_sizes(attachments, max_file_size)
    opening = _check_opening(subject, priority, categories, project, color)
    body = validation.body(body, what=_("the request"))
    owner = owner or actor
    _check_owner(owner)
    account = account or _channel_account(session, channel)
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


@dataclass(frozen=True)
class MailFacts:
    """The envelope of a received mail, kept on its activity."""

    message_id: str | None = None
    in_reply_to: str | None = None
    mail_from: str | None = None
    to: Sequence[str] = ()
    cc: Sequence[str] = ()


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
    max_file_size: int = DEFAULT_MAX_SIZE,
    form_values: dict[str, Any] | None = None,
) -> Ticket:
    """A ticket the customer opened (mail, web form, portal); their message comes first."""
    check_sizes(attachments, max_file_size)
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
        account=account or _channel_account(session, channel),
    )
    if form_values:
        ticket.form_values = form_values
    _customer_activity(
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
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Activity:
    """A follow-up from the customer; it reopens a waiting or solved ticket."""
    check_sizes(attachments, max_file_size)
    activity = _customer_activity(
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
        _change_status(session, ticket, contact, TicketStatus.OPEN)
    return activity


def _customer_activity(
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
    facts: dict[str, object] = {"body_html": body_html, "details": details}
    if mail is not None:
        facts.update(
            direction="in",
            message_id=mail.message_id,
            in_reply_to=mail.in_reply_to,
            mail_from=mail.mail_from,
            mail_to=list(mail.to),
            mail_cc=list(mail.cc),
        )
    return append_activity(
        session,
        ticket,
        kind=ActivityKind.MESSAGE,
        author=contact,
        body=validation.without_controls(body),
        subject=subject,
        attachments=attachments,
        **facts,
    )


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


def _check_owner(owner: User) -> None:
    if not owner.active:
        raise Invalid(
            _("{login} is deactivated and cannot own tickets: choose another owner").format(
                login=owner.login
            )
        )


def _channel_account(session: Session, channel: Channel) -> MailAccount | None:
    return (
        session.execute(
            select(MailAccount)
            .where(col(MailAccount.channel_id) == channel.id)
            .order_by(col(MailAccount.id))
        )
        .scalars()
        .first()
    )


def next_number(session: Session, counter: str) -> int:
    """The next value of a named counter; concurrent callers never share one."""
    value = session.execute(
        update(Counter)
        .where(col(Counter.name) == counter)
        .values(value=col(Counter.value) + 1)
        .returning(col(Counter.value))
    ).scalar_one_or_none()
    if value is None:
        session.add(Counter(name=counter, value=1))
        session.flush()
        return 1
    return int(value)


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
        _link_category(session, ticket, name)
    for user in {user.id: user for user in (actor, owner) if isinstance(user, User)}.values():
        session.add(Watcher(ticket_id=ticket.id, user_id=user.id))  # a new ticket has none yet
    return ticket


# --- activities ----------------------------------------------------------------------


def lock(session: Session, ticket: Ticket) -> None:
    """Re-read ``ticket`` and hold it until the transaction ends (a row lock on
    PostgreSQL; SQLite's writers are serialised by ``BEGIN IMMEDIATE`` already).

    Call it before changing the ticket: the re-read drops unsaved changes. A ticket
    locked (or made) earlier in the transaction is not read again.
    """
    locked: set[int] = session.info.setdefault("tix_locked_tickets", set())
    if ticket.id in locked:
        return
    session.refresh(ticket, with_for_update=True)
    assert ticket.id is not None
    locked.add(ticket.id)


def append_activity(
    session: Session,
    ticket: Ticket,
    *,
    kind: ActivityKind,
    author: Author,
    body: str = "",
    subject: str | None = None,
    attachments: Sequence[NewFile] = (),
    **fields: Any,  # further Activity columns (mail headers, details ...), passed through
) -> Activity:
    """Add an activity to ``ticket``; the ticket counts as changed.

    The first message (a message, reply or solution) is pinned as the ticket's first
    message, and its subject replaces the subject the ticket was opened with.
    """
    lock(session, ticket)
    ticket.activity_seq += 1
    ticket.updated_at = utcnow()
    assert ticket.id is not None
    activity = Activity(
        ticket_id=ticket.id,
        seq=ticket.activity_seq,
        kind=kind,
        author_user_id=author.id if isinstance(author, User) else None,
        author_contact_id=author.id if isinstance(author, Contact) else None,
        created_at=ticket.updated_at,
        subject=subject,
        body=body,
        **fields,
    )
    session.add(activity)
    session.flush()
    if attachments:
        # Sizes were checked by the caller before anything was written.
        store_files(
            session,
            ticket,
            attachments,
            activity=activity,
            uploaded_by=author if isinstance(author, User) else None,
            max_size=MAX_UNCHECKED,
        )
    search.index_activity(session, ticket_id=ticket.id, seq=activity.seq, body=body)
    if kind in MESSAGE_KINDS and ticket.first_activity_id is None:
        ticket.first_activity_id = activity.id
        first_subject = " ".join((subject or "").split())
        if first_subject and first_subject != ticket.subject:
            _record_change(session, ticket, author, "subject", ticket.subject, first_subject)
            _set_subject(session, ticket, first_subject[:500])
    notifications.notify_watchers(session, ticket, activity)
    return activity


def _record_change(
    session: Session,
    ticket: Ticket,
    author: Author,
    name: str,
    old: object,
    new: object,
) -> Activity:
    return append_activity(
        session,
        ticket,
        kind=ActivityKind.CHANGE,
        author=author,
        field=name,
        old_value=None if old is None else str(old)[:500],
        new_value=None if new is None else str(new)[:500],
    )


def _set_subject(session: Session, ticket: Ticket, subject: str) -> None:
    old = ticket.subject
    ticket.subject = subject
    assert ticket.id is not None
    search.index_subject(session, ticket_id=ticket.id, subject=subject, old=old)


@dataclass(frozen=True)
class _Recipients:
    to: list[str]
    cc: list[str]
    bcc: list[str]


def _recipients(to: Iterable[str], cc: Iterable[str], bcc: Iterable[str]) -> _Recipients:
    def clean(values: Iterable[str]) -> list[str]:
        found: list[str] = []
        for value in values:
            for part in validation.split_addresses(value):
                address = validation.email_address(part)
                if address not in found:
                    found.append(address)
        return found

    return _Recipients(clean(to), clean(cc), clean(bcc))


def _send(
    session: Session,
    ticket: Ticket,
    actor: User,
    *,
    kind: ActivityKind,
    body: str,
    recipients: _Recipients,
    account: MailAccount,
    purpose: OutboxPurpose,
    reply: bool,
    attachments: Sequence[NewFile] = (),
) -> Activity:
    """Record a mail from staff as an activity and queue it for delivery."""
    in_reply_to, references = outbox.thread_ids(session, ticket)
    message_id = outbox.make_message_id(account.address, ticket.number)
    subject = outbox.tagged_subject(ticket.number, ticket.subject, reply=reply)
    activity = append_activity(
        session,
        ticket,
        kind=kind,
        author=actor,
        body=body,
        subject=ticket.subject,
        direction="out",
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
        body=body,
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
        account = _channel_account(session, channel) if channel else None
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
    recipients = _recipients(to or [_customer_address(session, ticket)], cc, bcc)
    return _send(
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
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Activity:
    """A reply: on mail and request tickets it is e-mailed to the customer (or ``to``)."""
    check_sizes(attachments, max_file_size)
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
        _change_status(session, ticket, actor, TicketStatus.OPEN)
    return activity


def add_note(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    body: str,
    attachments: Sequence[NewFile] = (),
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Activity:
    """An internal note: never mailed, never shown to customers."""
    check_sizes(attachments, max_file_size)
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
    max_file_size: int = DEFAULT_MAX_SIZE,
) -> Activity:
    """How the ticket was solved; the ticket becomes solved. On mail and request tickets
    the solution is mailed to the customer like a reply."""
    check_sizes(attachments, max_file_size)
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
        _change_status(session, ticket, actor, TicketStatus.SOLVED)
    return activity


# --- changing fields -----------------------------------------------------------------


def _change_status(session: Session, ticket: Ticket, author: Author, status: str) -> None:
    old = ticket.status
    ticket.status = status
    _record_change(session, ticket, author, "status", old, status)


def _status(value: str) -> str:
    """A status from its keyword or its label in the user's language (``offen``)."""
    return parse_status(value)


@dataclass(frozen=True)
class TicketChanges:
    """What to change on a ticket, as a front end has it: names as the user gave them
    (models do as well), resolved and checked by :func:`change_ticket`.

    ``None`` leaves a field alone, and so does an empty channel or owner. :data:`CLEAR`
    empties the color or the project; the words a user types for that (empty or
    ``none``) do the same. A priority is its number or its name (``high``, ``hoch``).
    """

    status: str | None = None
    channel: str | Channel | None = None
    owner: str | User | None = None
    priority: int | str | None = None
    subject: str | None = None
    color: str | Clear | None = None
    project: str | Project | Clear | None = None
    add_categories: Sequence[str] = ()
    remove_categories: Sequence[str] = ()


@dataclass(frozen=True)
class _Resolved:
    status: str | None
    channel: Channel | None
    owner: User | None
    priority: int | None
    subject: str | None
    color: str | None
    clear_color: bool
    project: Project | Clear | None
    add_categories: list[str]
    remove_categories: list[str]


def _cleared(value: str | Clear) -> bool:
    return isinstance(value, Clear) or value.strip().lower() in ("", "none")


def _resolve(session: Session, changes: TicketChanges) -> _Resolved:
    """Names to models, the words for clearing to :data:`CLEAR`, every value checked;
    nothing is written."""
    # services.projects imports this module: imported here, where it is needed.
    from tix.core.services import channels, projects, users

    project = changes.project
    if isinstance(project, (str, Clear)):
        project = CLEAR if _cleared(project) else projects.get_project(session, str(project))
    channel = changes.channel
    if isinstance(channel, str):
        channel = channels.get_channel(session, channel) if channel else None
    owner = changes.owner
    if isinstance(owner, str):
        owner = users.get_user(session, owner) if owner else None
    priority = parse_priority(changes.priority) if changes.priority is not None else None
    color = changes.color
    return _Resolved(
        status=_status(changes.status) if changes.status is not None else None,
        channel=channel,
        owner=owner,
        priority=validation.priority(priority) if priority is not None else None,
        subject=validation.subject(changes.subject) if changes.subject is not None else None,
        color=None if color is None or isinstance(color, Clear) else validation.color(color),
        clear_color=color is not None and _cleared(color),
        project=project,
        add_categories=[
            validation.name(name, what=_("a category"), max_length=100)
            for name in changes.add_categories
        ],
        remove_categories=[
            validation.name(name, what=_("a category"), max_length=100)
            for name in changes.remove_categories
        ],
    )


def change_ticket(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    changes: TicketChanges | None = None,
    expected_version: int | None = None,
    status: str | None = None,
    channel: str | Channel | None = None,
    owner: str | User | None = None,
    priority: int | str | None = None,
    subject: str | None = None,
    color: str | Clear | None = None,
    project: str | Project | Clear | None = None,
    add_categories: Sequence[str] = (),
    remove_categories: Sequence[str] = (),
) -> list[Activity]:
    """Make ``changes`` (see :class:`TicketChanges`) and record each change.

    The field keywords are a shorthand for ``changes=TicketChanges(...)`` (not both).
    ``expected_version`` is the version the caller showed its user; if someone else
    changed the ticket since, nothing is written and :class:`Conflict` is raised.
    """
    fields = TicketChanges(
        status=status,
        channel=channel,
        owner=owner,
        priority=priority,
        subject=subject,
        color=color,
        project=project,
        add_categories=tuple(add_categories),
        remove_categories=tuple(remove_categories),
    )
    if changes is None:
        changes = fields
    elif fields != TicketChanges():
        raise TypeError("change_ticket: give changes or field keywords, not both")
    require_see(session, actor, ticket)
    # Resolve and validate everything before the first write.
    wanted = _resolve(session, changes)
    new_status, channel, owner = wanted.status, wanted.channel, wanted.owner
    new_priority, new_subject, new_color = wanted.priority, wanted.subject, wanted.color
    project, adding, removing = wanted.project, wanted.add_categories, wanted.remove_categories
    if channel is not None and ticket.kind == TicketKind.INTERNAL:
        raise Invalid(
            _(
                "ticket #{number} is internal and has no channel: internal tickets stay between "
                "creator and owner"
            ).format(number=ticket.number)
        )
    if owner is not None:
        _check_owner(owner)
    current = _category_names(session, ticket)
    unknown = [name for name in removing if name.lower() not in {c.lower() for c in current}]
    if unknown:
        raise Invalid(
            _("ticket #{number} has no category {name!r}").format(
                number=ticket.number, name=unknown[0]
            )
        )
    lock(session, ticket)
    if expected_version is not None and ticket.version != expected_version:
        raise _conflict(ticket, expected_version)
    before = ticket.activity_seq
    if new_status is not None and new_status != ticket.status:
        _change_status(session, ticket, actor, new_status)
    if channel is not None and channel.id != ticket.channel_id:
        old_channel = session.get(Channel, ticket.channel_id) if ticket.channel_id else None
        ticket.channel_id = channel.id
        _record_change(
            session,
            ticket,
            actor,
            "channel",
            old_channel.name if old_channel else None,
            channel.name,
        )
    if owner is not None and owner.id != ticket.owner_id:
        old_owner = session.get(User, ticket.owner_id)
        assert owner.id is not None
        ticket.owner_id = owner.id
        _record_change(
            session, ticket, actor, "owner", old_owner.login if old_owner else None, owner.login
        )
        _add_user_watcher(session, ticket, owner)
    if new_priority is not None and new_priority != ticket.priority:
        old_priority = ticket.priority
        ticket.priority = new_priority
        _record_change(session, ticket, actor, "priority", old_priority, new_priority)
    if new_subject is not None and new_subject != ticket.subject:
        old_subject = ticket.subject
        _set_subject(session, ticket, new_subject)
        _record_change(session, ticket, actor, "subject", old_subject, new_subject)
    if (new_color is not None or wanted.clear_color) and new_color != ticket.color:
        old_color = ticket.color
        ticket.color = new_color
        _record_change(session, ticket, actor, "color", old_color, new_color)
    if project is not None:
        new_project_id = None if isinstance(project, Clear) else project.id
        if new_project_id != ticket.project_id:
            old_project = session.get(Project, ticket.project_id) if ticket.project_id else None
            ticket.project_id = new_project_id
            _record_change(
                session,
                ticket,
                actor,
                "project",
                old_project.name if old_project else None,
                None if isinstance(project, Clear) else project.name,
            )
    for name in adding:
        if name.lower() not in {c.lower() for c in _category_names(session, ticket)}:
            _link_category(session, ticket, name)
            _record_change(session, ticket, actor, "category", None, name)
    for name in removing:
        removed = _unlink_category(session, ticket, name)
        _record_change(session, ticket, actor, "category", removed, None)
    session.flush()
    return list(
        session.execute(
            select(Activity)
            .where(col(Activity.ticket_id) == ticket.id, col(Activity.seq) > before)
            .order_by(col(Activity.seq))
        )
        .scalars()
        .all()
    )


def _conflict(ticket: Ticket, expected: int) -> Conflict:
    return Conflict(
        _(
            "ticket #{number} was changed by someone else (version {current}, you had "
            "{expected}): reload it and try again"
        ).format(number=ticket.number, current=ticket.version, expected=expected)
    )


# --- categories and watchers ----------------------------------------------------------


def _category_names(session: Session, ticket: Ticket) -> list[str]:
    return list(
        session.execute(
            select(col(Category.name))
            .join(TicketCategory, col(TicketCategory.category_id) == Category.id)
            .where(col(TicketCategory.ticket_id) == ticket.id)
            .order_by(Category.name)
        )
        .scalars()
        .all()
    )


def _category(session: Session, name: str) -> Category:
    found = session.execute(
        select(Category).where(func.lower(Category.name) == name.lower())
    ).scalar_one_or_none()
    if found is not None:
        return found
    category = Category(name=name)
    session.add(category)
    session.flush()
    return category


def _link_category(session: Session, ticket: Ticket, name: str) -> None:
    category = _category(session, name)
    assert ticket.id is not None and category.id is not None
    if session.get(TicketCategory, (ticket.id, category.id)) is None:
        session.add(TicketCategory(ticket_id=ticket.id, category_id=category.id))
        session.flush()


def _unlink_category(session: Session, ticket: Ticket, name: str) -> str:
    """Remove the category; returns its name as stored."""
    category = _category(session, name)
    session.execute(
        delete(TicketCategory).where(
            col(TicketCategory.ticket_id) == ticket.id,
            col(TicketCategory.category_id) == category.id,
        )
    )
    return category.name


def _add_user_watcher(session: Session, ticket: Ticket, user: User) -> None:
    exists = session.execute(
        select(col(Watcher.id)).where(
            col(Watcher.ticket_id) == ticket.id, col(Watcher.user_id) == user.id
        )
    ).first()
    if exists is None:
        assert ticket.id is not None
        session.add(Watcher(ticket_id=ticket.id, user_id=user.id))
        session.flush()
