"""Bulk loading: many tickets told in memory, then written set-based.

:class:`Loader` offers the ticket services' operations (open, reply, note, customer
message, solution, change, time, file, alarm) with their rules: ticket numbers from the
counter, statuses, ``activity_seq`` and ``updated_at``, the first message and its
subject, watchers, notifications, queued staff mail and the search index. It keeps
everything as plain rows and :meth:`Loader.write` puts them into the database with one
``INSERT`` per table and many parameter sets (executemany), instead of some forty
statements and a dozen ORM flushes per ticket. It is for loading many tickets at once
(the demo, a bulk import); a single change goes through the services
(:mod:`~tix.core.services.opening`, :mod:`~tix.core.services.messages`,
:mod:`~tix.core.services.changes`).

The caller holds the write transaction (SQLite's ``BEGIN IMMEDIATE``; on PostgreSQL the
ticket counter row is locked for the loader's life), so numbers stay gapless and unique.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as _field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import search, validation
from tix.core.files import content_type_for, sanitize_filename
from tix.core.i18n import _, use_language
from tix.core.models import (
    DOCUMENT_PREFIXES,
    MESSAGE_KINDS,
    PRIORITY_DEFAULT,
    Activity,
    ActivityKind,
    Alarm,
    AlarmVia,
    Blob,
    Category,
    Channel,
    Contact,
    Counter,
    Direction,
    Document,
    DocumentKind,
    DocumentLine,
    MailAccount,
    Notification,
    NotificationKind,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    Project,
    Ticket,
    TicketCategory,
    TicketFile,
    TicketKind,
    TicketOrigin,
    TicketStatus,
    TimeEntry,
    User,
    Watcher,
    utcnow,
)
from tix.core.services import contacts as contact_service
from tix.core.services import notifications, outbox
from tix.core.services.messages import MailFacts
from tix.core.services.storage import NewFile

Author = User | Contact | None
CENT = Decimal("0.01")


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


@dataclass
class _Ref:
    """A row whose id is known once it is written (a time entry, an alarm, a file)."""

    id: int | None = None


@dataclass
class DraftActivity:
    seq: int
    kind: ActivityKind
    author_user_id: int | None
    author_contact_id: int | None
    created_at: datetime
    subject: str | None = None
    body: str = ""
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    direction: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    mail_from: str | None = None
    mail_to: list[str] | None = None
    mail_cc: list[str] | None = None
    mail_bcc: list[str] | None = None
    details: dict[str, Any] | None = None
    refs: list[_Ref] = _field(default_factory=list)
    """Rows whose ids ``details`` names, in the order it names them."""
    id: int | None = None


@dataclass
class DraftTicket:
    """A ticket being told; the same fields as :class:`~tix.core.models.Ticket`."""

    number: int
    kind: TicketKind
    status: str
    subject: str
    priority: int
    color: str | None
    origin: str
    channel_id: int | None
    owner_id: int
    creator_user_id: int | None
    creator_contact_id: int | None
    customer_id: int | None
    account_id: int | None
    project_id: int | None
    created_at: datetime
    updated_at: datetime
    version: int = 1
    activity_seq: int = 0
    first_activity: DraftActivity | None = None
    categories: list[str] = _field(default_factory=list)
    watchers: list[tuple[int, datetime]] = _field(default_factory=list)
    activities: list[DraftActivity] = _field(default_factory=list)
    times: list[tuple[_Ref, dict[str, Any]]] = _field(default_factory=list)
    alarms: list[tuple[_Ref, dict[str, Any]]] = _field(default_factory=list)
    files: list[tuple[_Ref, dict[str, Any]]] = _field(default_factory=list)
    documents: list[tuple[_Ref, dict[str, Any], list[tuple[_Ref, dict[str, Any]]]]] = _field(
        default_factory=list
    )
    """Each document with its lines, each line with the time entry it bills."""
    notifications: list[tuple[DraftActivity, dict[str, Any]]] = _field(default_factory=list)
    mails: list[tuple[DraftActivity | None, dict[str, Any]]] = _field(default_factory=list)
    id: int | None = None


class Loader:
    """Tells tickets in memory with the services' rules; :meth:`write` stores them.

    Every operation takes the acting user (or contact) as the services do; the data is
    trusted to be checked by the caller for access (it is meant for loading, not for
    requests from users), but texts are validated as the services validate them. A
    ticket is told wholly before the :meth:`write` that stores it; it is not changed
    afterwards through the loader.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._dialect = session.get_bind().dialect.name
        counter = session.execute(
            select(col(Counter.value)).where(col(Counter.name) == "ticket").with_for_update()
        ).scalar_one_or_none()
        self._counter_exists = counter is not None
        self._number = int(counter or 0)
        self._users = {user.id: user for user in session.execute(select(User)).scalars()}
        self._accounts: dict[int, MailAccount] = {
            account.id: account
            for account in session.execute(select(MailAccount)).scalars()
            if account.id is not None
        }
        self._categories: dict[str, int | None] = {
            category.name.lower(): category.id
            for category in session.execute(select(Category)).scalars()
        }
        self._category_names: dict[str, str] = {}
        self._addresses: dict[int, str] = {}
        self._contacts: dict[str, Contact] = {}
        self._senders: dict[int | None, str] = {}
        self._texts: dict[tuple[Any, ...], str] = {}
        self._blobs: set[str] = set(session.execute(select(col(Blob.sha256))).scalars())
        self._new_blobs: list[dict[str, Any]] = []
        self._counters: dict[str, tuple[int, bool]] = {}
        self._projects: dict[int, str] | None = None
        self.pending: list[DraftTicket] = []

    # --- opening -------------------------------------------------------------------

    def open_internal_ticket(
        self,
        actor: User,
        *,
        owner: User,
        subject: str,
        body: str | None = None,
        priority: int = PRIORITY_DEFAULT,
        categories: Sequence[str] = (),
        project: Project | None = None,
        color: str | None = None,
    ) -> DraftTicket:
        ticket = self._insert(
            actor,
            subject,
            priority,
            categories,
            project,
            color,
            kind=TicketKind.INTERNAL,
            owner=owner,
            channel=None,
            origin=TicketOrigin.AGENT,
        )
        if body is not None:
            body = validation.body(body, what=_("the message"))
            self._append(ticket, ActivityKind.MESSAGE, actor, body=body, subject=ticket.subject)
        return ticket

    def open_request_ticket(
        self,
        actor: User,
        *,
        channel: Channel,
        customer: Contact,
        subject: str,
        body: str,
        priority: int = PRIORITY_DEFAULT,
        categories: Sequence[str] = (),
        project: Project | None = None,
        color: str | None = None,
    ) -> DraftTicket:
        body = validation.body(body, what=_("the request"))
        ticket = self._insert(
            actor,
            subject,
            priority,
            categories,
            project,
            color,
            kind=TicketKind.REQUEST,
            owner=actor,
            channel=channel,
            origin=TicketOrigin.PHONE,
            customer=customer,
            account=self._channel_account(channel),
        )
        self._append(
            ticket,
            ActivityKind.MESSAGE,
            actor,
            body=body,
            subject=ticket.subject,
            details={"on_behalf_of": self._address(customer)},
        )
        return ticket

    def open_mail_ticket(
        self,
        actor: User,
        *,
        account: MailAccount,
        channel: Channel,
        to: Sequence[str],
        subject: str,
        body: str,
        priority: int = PRIORITY_DEFAULT,
        categories: Sequence[str] = (),
        project: Project | None = None,
        color: str | None = None,
    ) -> DraftTicket:
        body = validation.body(body, what=_("the mail"))
        recipients = [validation.email_address(address) for address in to]
        customer = self._contacts.get(recipients[0])
        if customer is None:
            customer = contact_service.contact_for_address(self.session, recipients[0])
            self._contacts[recipients[0]] = customer
        ticket = self._insert(
            actor,
            subject,
            priority,
            categories,
            project,
            color,
            kind=TicketKind.MAIL,
            owner=actor,
            channel=channel,
            origin=TicketOrigin.AGENT,
            customer=customer,
            account=account,
        )
        self._send(
            ticket, actor, ActivityKind.REPLY, body, recipients, account, OutboxPurpose.NEW_TICKET
        )
        return ticket

    def open_customer_ticket(
        self,
        contact: Contact,
        *,
        channel: Channel,
        owner: User,
        subject: str,
        body: str,
        mail: MailFacts | None = None,
        origin: TicketOrigin = TicketOrigin.MAIL,
        priority: int = PRIORITY_DEFAULT,
        categories: Sequence[str] = (),
    ) -> DraftTicket:
        """``owner``: the channel's default owner, as
        :func:`~tix.core.services.opening.default_owner` finds it."""
        ticket = self._insert(
            contact,
            " ".join(subject.split()) or _("(no subject)"),
            priority,
            categories,
            None,
            None,
            kind=TicketKind.MAIL,
            owner=owner,
            channel=channel,
            origin=origin,
            customer=contact,
            account=self._channel_account(channel),
        )
        self._customer_activity(ticket, contact, body, ticket.subject, mail)
        return ticket

    # --- activities ----------------------------------------------------------------

    def add_customer_message(
        self,
        contact: Contact,
        *,
        ticket: DraftTicket,
        body: str,
        subject: str | None = None,
        mail: MailFacts | None = None,
    ) -> None:
        self._customer_activity(ticket, contact, body, subject, mail)
        if ticket.status in (TicketStatus.WAITING, TicketStatus.SOLVED):
            self._change(ticket, contact, "status", ticket.status, TicketStatus.OPEN)
            ticket.status = TicketStatus.OPEN

    def reply_to_ticket(self, actor: User, *, ticket: DraftTicket, body: str) -> None:
        self._staff_message(
            ticket, actor, ActivityKind.REPLY, validation.body(body, what=_("the reply"))
        )
        if ticket.status == TicketStatus.NEW:
            self._change(ticket, actor, "status", ticket.status, TicketStatus.OPEN)
            ticket.status = TicketStatus.OPEN

    def add_note(self, actor: User, *, ticket: DraftTicket, body: str) -> None:
        self._append(
            ticket, ActivityKind.NOTE, actor, body=validation.body(body, what=_("the note"))
        )

    def add_solution(self, actor: User, *, ticket: DraftTicket, body: str) -> None:
        self._staff_message(
            ticket, actor, ActivityKind.SOLUTION, validation.body(body, what=_("the solution"))
        )
        if ticket.status != TicketStatus.SOLVED:
            self._change(ticket, actor, "status", ticket.status, TicketStatus.SOLVED)
            ticket.status = TicketStatus.SOLVED

    def change_ticket(
        self,
        actor: User,
        *,
        ticket: DraftTicket,
        status: str | None = None,
        owner: User | None = None,
        color: str | None = None,
        project: Project | None = None,
    ) -> int:
        """Status, owner, color and project, in the order the service changes them;
        returns how many changes were recorded."""
        made = 0
        if status is not None and status != ticket.status:
            self._change(ticket, actor, "status", ticket.status, status)
            ticket.status = status
            made += 1
        if owner is not None and owner.id != ticket.owner_id:
            assert owner.id is not None
            old = self._users[ticket.owner_id].login
            ticket.owner_id = owner.id
            self._change(ticket, actor, "owner", old, owner.login)
            made += 1
            if owner.id not in {user_id for user_id, _at in ticket.watchers}:
                ticket.watchers.append((owner.id, utcnow()))
        if color is not None and validation.color(color) != ticket.color:
            old_color, ticket.color = ticket.color, validation.color(color)
            self._change(ticket, actor, "color", old_color, ticket.color)
            made += 1
        if project is not None and project.id != ticket.project_id:
            old_project = self._project_names.get(ticket.project_id or 0)
            ticket.project_id = project.id
            self._change(ticket, actor, "project", old_project, project.name)
            made += 1
        return made

    def book_time(
        self,
        actor: User,
        *,
        ticket: DraftTicket,
        minutes: int,
        work_date: date,
        note: str = "",
        billable: bool = True,
    ) -> None:
        assert 0 < minutes <= 24 * 60
        note = " ".join(note.split())[:1000]
        ref = _Ref()
        ticket.times.append(
            (
                ref,
                {
                    "user_id": actor.id,
                    "work_date": work_date,
                    "minutes": minutes,
                    "note": note,
                    "billable": billable,
                    "document_id": None,
                    "created_at": utcnow(),
                },
            )
        )
        self._append(
            ticket,
            ActivityKind.TIME,
            actor,
            body=note,
            details={
                "time_entry": None,
                "minutes": minutes,
                "date": work_date.isoformat(),
                "billable": billable,
                "user": actor.login,
            },
            refs=[ref],
        )

    def set_alarm(self, actor: User, *, ticket: DraftTicket, due_at: datetime, note: str) -> None:
        note = " ".join(note.split())
        assert note and due_at.tzinfo is not None and due_at > utcnow()
        ref = _Ref()
        ticket.alarms.append(
            (
                ref,
                {
                    "created_by_id": actor.id,
                    "recipient_id": actor.id,
                    "via": AlarmVia.APP,
                    "note": note,
                    "due_at": due_at,
                    "fired_at": None,
                    "created_at": utcnow(),
                },
            )
        )
        self._append(
            ticket,
            ActivityKind.ALARM,
            actor,
            body=note,
            details={
                "alarm": None,
                "for": actor.login,
                "via": AlarmVia.APP.value,
                "due_at": due_at.isoformat(),
            },
            refs=[ref],
        )

    def add_files(self, actor: User, *, ticket: DraftTicket, files: Sequence[NewFile]) -> None:
        refs = []
        listed = []
        for new in files:
            digest = hashlib.sha256(new.data).hexdigest()
            if digest not in self._blobs:
                self._blobs.add(digest)
                self._new_blobs.append(
                    {
                        "sha256": digest,
                        "size": len(new.data),
                        "data": new.data,
                        "created_at": utcnow(),
                    }
                )
            name = sanitize_filename(new.name, new.content_type or "application/octet-stream")
            ref = _Ref()
            refs.append(ref)
            ticket.files.append(
                (
                    ref,
                    {
                        "activity_id": None,
                        "sha256": digest,
                        "name": name,
                        "content_type": (new.content_type or content_type_for(name)).lower(),
                        "size": len(new.data),
                        "content_id": new.content_id,
                        "inline": new.inline,
                        "uploaded_by_id": actor.id,
                        "created_at": utcnow(),
                    },
                )
            )
            listed.append({"id": None, "name": name, "size": len(new.data)})
        self._append(
            ticket,
            ActivityKind.FILE,
            actor,
            body=", ".join(item["name"] for item in listed),  # type: ignore[misc]
            details={"files": listed},
            refs=refs,
        )

    def create_invoice(
        self,
        actor: User,
        *,
        ticket: DraftTicket,
        issued: date,
        default_rate: Decimal,
        vat_rate: Decimal,
        currency: str = "EUR",
    ) -> bool:
        """An invoice of the ticket's unbilled billable times, as
        :func:`~tix.core.services.documents.create_document` makes it from times;
        False (and nothing made) when there are none."""
        billed = {id(ref) for _doc, _row, lines in ticket.documents for ref, _line in lines}
        entries = sorted(
            (
                (row["work_date"], index, ref, row)
                for index, (ref, row) in enumerate(ticket.times)
                if row["billable"] and id(ref) not in billed
            ),
            key=lambda item: (item[0], item[1]),
        )
        if ticket.customer_id is None or not entries:
            return False
        kind = DocumentKind.INVOICE
        number = f"{DOCUMENT_PREFIXES[kind]}-{issued.year}-"
        number += f"{self._next(f'document:{kind.value}:{issued.year}'):04d}"
        net = Decimal("0.00")
        lines = []
        for position, (work_date, _index, ref, row) in enumerate(entries, start=1):
            user = self._users[row["user_id"]]
            hours = (Decimal(row["minutes"]) / 60).quantize(Decimal("0.001"), ROUND_HALF_UP)
            price = (user.hourly_rate or default_rate).quantize(CENT, ROUND_HALF_UP)
            net += (hours * price).quantize(CENT, ROUND_HALF_UP)
            label = f"{work_date.strftime('%d.%m.%Y')} {user.name}"
            lines.append(
                (
                    ref,
                    {
                        "position": position,
                        "description": f"{label}: {row['note']}" if row["note"] else label,
                        "quantity": hours,
                        "unit": "h",
                        "unit_price": price,
                    },
                )
            )
        vat = (net * vat_rate.quantize(CENT, ROUND_HALF_UP) / 100).quantize(CENT, ROUND_HALF_UP)
        document = _Ref()
        ticket.documents.append(
            (
                document,
                {
                    "number": number,
                    "kind": kind.value,
                    "customer_id": ticket.customer_id,
                    "created_by_id": actor.id,
                    "issued": issued,
                    "currency": currency,
                    "vat_rate": vat_rate,
                    "created_at": utcnow(),
                },
                lines,
            )
        )
        self._append(
            ticket,
            ActivityKind.DOCUMENT,
            actor,
            body=f"{number}: {net} {currency}",
            details={
                "document": number,
                "type": kind.value,
                "net": str(net),
                "gross": str(net + vat),
                "times": len(lines),
            },
        )
        return True

    # --- rules ---------------------------------------------------------------------

    @property
    def _project_names(self) -> dict[int, str]:
        if self._projects is None:
            self._projects = {
                project.id: project.name
                for project in self.session.execute(select(Project)).scalars()
                if project.id is not None
            }
        return self._projects

    def _next(self, name: str) -> int:
        """The next value of counter ``name``, written by :meth:`write`."""
        if name not in self._counters:
            value = self.session.execute(
                select(col(Counter.value)).where(col(Counter.name) == name).with_for_update()
            ).scalar_one_or_none()
            self._counters[name] = (int(value or 0), value is not None)
        value, exists = self._counters[name]
        self._counters[name] = (value + 1, exists)
        return value + 1

    def _address(self, contact: Contact) -> str:
        assert contact.id is not None
        if contact.id not in self._addresses:
            self._addresses[contact.id] = contact_service.primary_address(self.session, contact)
        return self._addresses[contact.id]

    def _channel_account(self, channel: Channel) -> MailAccount | None:
        found = [a for a in self._accounts.values() if a.channel_id == channel.id]
        return min(found, key=lambda account: account.id or 0) if found else None

    def _insert(
        self,
        actor: User | Contact,
        subject: str,
        priority: int,
        categories: Sequence[str],
        project: Project | None,
        color: str | None,
        *,
        kind: TicketKind,
        owner: User,
        channel: Channel | None,
        origin: TicketOrigin,
        customer: Contact | None = None,
        account: MailAccount | None = None,
    ) -> DraftTicket:
        staff = isinstance(actor, User)
        assert owner.id is not None and owner.active
        now = utcnow()
        self._number += 1
        ticket = DraftTicket(
            number=self._number,
            kind=kind,
            status=TicketStatus.OPEN if staff else TicketStatus.NEW,
            subject=validation.subject(subject),
            priority=validation.priority(priority),
            color=validation.color(color) if color is not None else None,
            origin=origin,
            channel_id=channel.id if channel else None,
            owner_id=owner.id,
            creator_user_id=actor.id if staff else None,
            creator_contact_id=None if staff else actor.id,
            customer_id=customer.id if customer else None,
            account_id=account.id if account else None,
            project_id=project.id if project else None,
            created_at=now,
            updated_at=now,
        )
        for name in categories:
            name = validation.name(name, what=_("a category"), max_length=100)
            key = name.lower()
            if key not in self._categories:
                self._categories[key] = None
                self._category_names[key] = name
            if key not in {c.lower() for c in ticket.categories}:
                ticket.categories.append(name)
        for user in {u.id: u for u in (actor, owner) if isinstance(u, User)}.values():
            assert user.id is not None
            ticket.watchers.append((user.id, now))
        self.pending.append(ticket)
        return ticket

    def _customer_activity(
        self,
        ticket: DraftTicket,
        contact: Contact,
        body: str,
        subject: str | None,
        mail: MailFacts | None,
    ) -> None:
        facts: dict[str, Any] = {}
        if mail is not None:
            facts = {
                "direction": "in",
                "message_id": mail.message_id,
                "in_reply_to": mail.in_reply_to,
                "mail_from": mail.mail_from,
                "mail_to": list(mail.to),
                "mail_cc": list(mail.cc),
            }
        self._append(ticket, ActivityKind.MESSAGE, contact, body=body, subject=subject, **facts)

    def _staff_message(
        self, ticket: DraftTicket, actor: User, kind: ActivityKind, body: str
    ) -> None:
        if ticket.kind == TicketKind.INTERNAL:
            self._append(ticket, kind, actor, body=body)
            return
        last_in = next(
            (
                activity.mail_from
                for activity in reversed(ticket.activities)
                if activity.direction == "in" and activity.mail_from
            ),
            None,
        )
        if last_in:
            address = validation.email_address(last_in)
        else:
            customer = self.session.get(Contact, ticket.customer_id)
            assert customer is not None
            address = self._address(customer)
        assert ticket.account_id is not None
        account = self._accounts[ticket.account_id]
        self._send(ticket, actor, kind, body, [address], account, OutboxPurpose.REPLY)

    def _send(
        self,
        ticket: DraftTicket,
        actor: User,
        kind: ActivityKind,
        body: str,
        to: list[str],
        account: MailAccount,
        purpose: str,
    ) -> None:
        rows = [(a.message_id, a.direction) for a in ticket.activities if a.message_id]
        references = [message_id for message_id, _direction in rows if message_id]
        received = [message_id for message_id, direction in rows if direction == "in"]
        in_reply_to = received[-1] if received else (references[-1] if references else None)
        references = references[-outbox.MAX_REFERENCES :]
        message_id = outbox.make_message_id(account.address, ticket.number)
        reply = purpose == OutboxPurpose.REPLY
        activity = self._append(
            ticket,
            kind,
            actor,
            body=body,
            subject=ticket.subject,
            direction=Direction.OUT,
            message_id=message_id,
            in_reply_to=in_reply_to,
            mail_from=self._sender(account),
            mail_to=list(to),
            mail_cc=[],
            mail_bcc=[],
        )
        self._queue(
            ticket,
            activity,
            purpose=purpose,
            account=account,
            to=to,
            subject=outbox.tagged_subject(ticket.number, ticket.subject, reply=reply),
            body=body,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
        )

    def _queue(
        self,
        ticket: DraftTicket,
        activity: DraftActivity | None,
        *,
        purpose: str,
        account: MailAccount,
        to: list[str],
        subject: str,
        body: str,
        message_id: str | None = None,
        in_reply_to: str | None = None,
        references: Sequence[str] = (),
    ) -> None:
        now = utcnow()
        ticket.mails.append(
            (
                activity,
                {
                    "purpose": purpose,
                    "account_id": account.id,
                    "mail_from": self._sender(account),
                    "mail_to": list(to),
                    "mail_cc": [],
                    "mail_bcc": [],
                    "subject": subject,
                    "body": body,
                    "message_id": message_id or outbox.make_message_id(account.address),
                    "in_reply_to": in_reply_to,
                    "references": list(references),
                    "status": OutboxStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "last_error": None,
                    "claimed_until": None,
                    "envelope_to": None,
                    "sha256": None,
                    "created_at": now,
                    "sent_at": None,
                },
            )
        )

    def _change(
        self, ticket: DraftTicket, author: Author, name: str, old: object, new: object
    ) -> None:
        self._append(
            ticket,
            ActivityKind.CHANGE,
            author,
            field=name,
            old_value=None if old is None else str(old)[:500],
            new_value=None if new is None else str(new)[:500],
        )

    def _append(
        self,
        ticket: DraftTicket,
        kind: ActivityKind,
        author: Author,
        *,
        body: str = "",
        subject: str | None = None,
        refs: Sequence[_Ref] = (),
        **fields: Any,
    ) -> DraftActivity:
        """:func:`~tix.core.services.activities.append_activity`, in memory."""
        ticket.activity_seq += 1
        ticket.updated_at = utcnow()
        ticket.version += 1  # the service flushes the ticket once per activity
        activity = DraftActivity(
            seq=ticket.activity_seq,
            kind=kind,
            author_user_id=author.id if isinstance(author, User) else None,
            author_contact_id=author.id if isinstance(author, Contact) else None,
            created_at=ticket.updated_at,
            subject=subject,
            body=body,
            refs=list(refs),
            **fields,
        )
        ticket.activities.append(activity)
        if kind in MESSAGE_KINDS and ticket.first_activity is None:
            ticket.first_activity = activity
            ticket.version += 1  # and once more for the first message's id
            first_subject = " ".join((subject or "").split())
            if first_subject and first_subject != ticket.subject:
                self._change(ticket, author, "subject", ticket.subject, first_subject)
                ticket.subject = first_subject[:500]
        self._notify(ticket, activity, author)
        return activity

    def _notify(self, ticket: DraftTicket, activity: DraftActivity, author: Author) -> None:
        """:func:`~tix.core.services.notifications.notify_watchers`, in memory."""
        if ticket.kind == TicketKind.INTERNAL:
            ids = {ticket.owner_id, ticket.creator_user_id} - {None}
        else:
            ids = {user_id for user_id, _at in ticket.watchers}
        recipients = sorted(
            (self._users[i] for i in ids if i is not None and self._users[i].active),
            key=lambda user: user.id or 0,
        )
        recipients = [user for user in recipients if user.id != activity.author_user_id]
        if not recipients:
            return
        name = author.name if author is not None else "tix"
        for user in recipients:
            key = (
                user.language,
                activity.kind,
                activity.field,
                activity.old_value,
                activity.new_value,
                name,
            )
            said = self._texts.get(key)
            if said is None:
                with use_language(user.language or None):
                    said = notifications.describe(
                        Activity(
                            ticket_id=0,
                            seq=activity.seq,
                            kind=activity.kind,
                            field=activity.field,
                            old_value=activity.old_value,
                            new_value=activity.new_value,
                        ),
                        name,
                    )
                self._texts[key] = said
            text = f"#{ticket.number} {ticket.subject}: {said}"
            ticket.notifications.append(
                (
                    activity,
                    {
                        "user_id": user.id,
                        "kind": NotificationKind.ACTIVITY,
                        "alarm_id": None,
                        "text": text[:500],
                        "created_at": utcnow(),
                        "read_at": None,
                    },
                )
            )
            if user.notify_by_mail:
                account = self._sending_account(ticket)
                if account is not None:
                    body = "" if activity.kind == ActivityKind.CHANGE else activity.body
                    self._queue(
                        ticket,
                        None,
                        purpose=OutboxPurpose.NOTIFICATION,
                        account=account,
                        to=[user.email],
                        subject=text[:900],
                        body=(text + "\n\n" + body).strip(),
                    )

    def _sender(self, account: MailAccount) -> str:
        if account.id not in self._senders:
            self._senders[account.id] = outbox.sender(account)
        return self._senders[account.id]

    def _sending_account(self, ticket: DraftTicket) -> MailAccount | None:
        if ticket.account_id is not None and self._accounts[ticket.account_id].smtp_host:
            return self._accounts[ticket.account_id]
        able = [a for a in self._accounts.values() if a.smtp_host]
        return min(able, key=lambda account: account.id or 0) if able else None

    # --- writing -------------------------------------------------------------------

    def write(self) -> int:
        """Write every ticket told since the last call; returns how many."""
        drafts, self.pending = self.pending, []
        if not drafts:
            return 0
        session = self.session
        session.flush()
        self._write_counter()
        self._write_categories()
        if self._new_blobs:
            session.execute(insert(_table(Blob)), self._new_blobs)
            self._new_blobs = []
        ticket_ids = self._insert_with_ids(
            Ticket,
            [
                {
                    "number": t.number,
                    "kind": t.kind,
                    "status": t.status,
                    "subject": t.subject,
                    "priority": t.priority,
                    "color": t.color,
                    "origin": t.origin,
                    "channel_id": t.channel_id,
                    "owner_id": t.owner_id,
                    "creator_user_id": t.creator_user_id,
                    "creator_contact_id": t.creator_contact_id,
                    "customer_id": t.customer_id,
                    "account_id": t.account_id,
                    "project_id": t.project_id,
                    "form_values": None,
                    "first_activity_id": None,
                    "version": t.version,
                    "activity_seq": t.activity_seq,
                    "created_at": t.created_at,
                    "updated_at": t.updated_at,
                }
                for t in drafts
            ],
        )
        for draft, ticket_id in zip(drafts, ticket_ids, strict=True):
            draft.id = ticket_id
        self._insert_plain(
            TicketCategory,
            [
                {"ticket_id": t.id, "category_id": self._categories[name.lower()]}
                for t in drafts
                for name in t.categories
            ],
        )
        self._insert_plain(
            Watcher,
            [
                {"ticket_id": t.id, "user_id": user_id, "group_id": None, "created_at": at}
                for t in drafts
                for user_id, at in t.watchers
            ],
        )
        documents = [
            (ref, {**row, "ticket_id": t.id}) for t in drafts for ref, row, _l in t.documents
        ]
        for (ref, _row), row_id in zip(
            documents,
            self._insert_with_ids(Document, [row for _ref, row in documents]),
            strict=True,
        ):
            ref.id = row_id
        billed_by = {
            id(entry): document.id
            for t in drafts
            for document, _row, lines in t.documents
            for entry, _line in lines
        }
        for t in drafts:
            for ref, row in t.times:
                row["document_id"] = billed_by.get(id(ref))
        for model, attribute in ((TimeEntry, "times"), (Alarm, "alarms"), (TicketFile, "files")):
            pairs = [
                (ref, {**row, "ticket_id": t.id})
                for t in drafts
                for ref, row in getattr(t, attribute)
            ]
            ids = self._insert_with_ids(model, [row for _ref, row in pairs])
            for (ref, _row), row_id in zip(pairs, ids, strict=True):
                ref.id = row_id
        self._insert_plain(
            DocumentLine,
            [
                {**line, "document_id": document.id, "time_entry_id": entry.id}
                for t in drafts
                for document, _row, lines in t.documents
                for entry, line in lines
            ],
        )
        activities = [(t, a) for t in drafts for a in t.activities]
        activity_ids = self._insert_with_ids(
            Activity, [self._activity_row(t, a) for t, a in activities]
        )
        for (_t, activity), activity_id in zip(activities, activity_ids, strict=True):
            activity.id = activity_id
        self._insert_plain(
            Notification,
            [
                {**row, "ticket_id": t.id, "activity_id": activity.id}
                for t in drafts
                for activity, row in t.notifications
            ],
        )
        self._insert_plain(
            OutboxMessage,
            [
                {
                    **row,
                    "ticket_id": t.id,
                    "activity_id": activity.id if activity is not None else None,
                }
                for t in drafts
                for activity, row in t.mails
            ],
        )
        firsts = [
            {"ticket_id": t.id, "first": t.first_activity.id}
            for t in drafts
            if t.first_activity is not None
        ]
        if firsts:
            tickets = _table(Ticket)
            session.execute(
                update(tickets)
                .where(tickets.c.id == bindparam("ticket_id"))
                .values(first_activity_id=bindparam("first")),
                firsts,
            )
        search.index_many(
            session,
            subjects=[(t.id, t.subject) for t in drafts if t.id is not None],
            bodies=[(t.id, a.seq, a.body) for t, a in activities if t.id is not None and a.body],
        )
        return len(drafts)

    def _activity_row(self, ticket: DraftTicket, activity: DraftActivity) -> dict[str, Any]:
        details = activity.details
        if activity.refs and details is not None:
            ids = iter(ref.id for ref in activity.refs)
            if "files" in details:
                details = {"files": [{**item, "id": next(ids)} for item in details["files"]]}
            else:
                key = "time_entry" if activity.kind == ActivityKind.TIME else "alarm"
                details = {**details, key: next(ids)}
        return {
            "ticket_id": ticket.id,
            "seq": activity.seq,
            "kind": activity.kind,
            "author_user_id": activity.author_user_id,
            "author_contact_id": activity.author_contact_id,
            "created_at": activity.created_at,
            "subject": activity.subject,
            "body": activity.body,
            "body_html": None,
            "field": activity.field,
            "old_value": activity.old_value,
            "new_value": activity.new_value,
            "direction": activity.direction,
            "message_id": activity.message_id,
            "in_reply_to": activity.in_reply_to,
            "mail_from": activity.mail_from,
            "mail_to": activity.mail_to,
            "mail_cc": activity.mail_cc,
            "mail_bcc": activity.mail_bcc,
            "details": details,
        }

    def _write_counter(self) -> None:
        for name, (value, exists) in self._counters.items():
            counters = _table(Counter)
            if exists:
                self.session.execute(
                    update(counters).where(counters.c.name == name).values(value=value)
                )
            else:
                self.session.execute(insert(counters), [{"name": name, "value": value}])
                self._counters[name] = (value, True)
        if self._counter_exists:
            self.session.execute(
                update(_table(Counter))
                .where(_table(Counter).c.name == "ticket")
                .values(value=self._number)
            )
        else:
            self.session.execute(
                insert(_table(Counter)), [{"name": "ticket", "value": self._number}]
            )
            self._counter_exists = True

    def _write_categories(self) -> None:
        new = [key for key, category_id in self._categories.items() if category_id is None]
        ids = self._insert_with_ids(Category, [{"name": self._category_names[k]} for k in new])
        for key, category_id in zip(new, ids, strict=True):
            self._categories[key] = category_id

    def _insert_plain(self, model: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(_table(model)), rows)

    def _insert_with_ids(self, model: Any, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` (one executemany) with new ids, returned in the same order.

        The ids are taken first: on PostgreSQL from the table's sequence (safe beside
        other writers), on SQLite after the highest (its writers take turns).
        """
        if not rows:
            return []
        table = _table(model)
        if self._dialect == "postgresql":
            ids = sorted(
                self.session.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                        "FROM generate_series(1, :count)"
                    ),
                    {"table": table.name, "count": len(rows)},
                ).scalars()
            )
        else:
            highest = self.session.execute(select(func.max(table.c.id))).scalar_one_or_none()
            ids = list(range(int(highest or 0) + 1, int(highest or 0) + 1 + len(rows)))
        self.session.execute(
            insert(table), [{**row, "id": row_id} for row, row_id in zip(rows, ids, strict=True)]
        )
        return [int(row_id) for row_id in ids]
