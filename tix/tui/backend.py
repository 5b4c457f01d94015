"""What the terminal UI asks of tix: one method per question or action.

Every method opens its own session, calls the core services (the one write path) and
returns the core's typed read models (:mod:`tix.core.read_models`, the shapes ``--json``
and the API give) or plain values, or raises a :class:`~tix.core.errors.TixError`. The
methods block: the UI calls them from worker threads, never on its event loop.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select
from sqlmodel import col

from tix.core.config import Settings
from tix.core.db import check_schema, engine_for, session_scope
from tix.core.i18n import _
from tix.core.models import Ticket, User
from tix.core.read_models import TicketDetail
from tix.core.views import Cursor, TicketFilter, TicketRow

if TYPE_CHECKING:
    from tix.core.read_models.bulk import BulkResult
    from tix.core.read_models.dashboard import DashboardView
    from tix.core.read_models.documents import DocumentView
    from tix.core.services.bulk_actions import Target
    from tix.core.services.saved_views import ViewSpec
    from tix.tui.dialogs.bulk import BulkRequest
    from tix.tui.widgets.text_modules import TextModuleChoice, TextModuleContext


@dataclass(frozen=True)
class Choices:
    """What the UI's select boxes offer."""

    channels: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)
    """(login, name) of active users."""
    groups: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)


def existing_file(given: str) -> Path:
    """The file a typed or dropped path names (quotes and ``file://`` taken off);
    raises Invalid when there is none."""
    from tix.core.errors import Invalid

    text = given.strip().strip("'\"")
    if text.startswith("file://"):
        from urllib.parse import unquote, urlparse

        text = unquote(urlparse(text).path)
    path = Path(text).expanduser()
    if not path.is_file():
        raise Invalid(_("no file {path}: check the path").format(path=path))
    return path


class Backend:
    """tix for one acting user, as the UI needs it."""

    def __init__(self, engine: Engine, login: str, settings: Settings) -> None:
        self.engine = engine
        self.login = login
        self.settings = settings
        self._marker_lock = threading.Lock()
        self._marker_connection: sqlite3.Connection | None = None
        with session_scope(engine) as session:
            from tix.core.services.users import acting_user

            user = acting_user(session, login)
            self.user_name = user.name
            self.is_admin = user.is_admin
            self.language = user.language
            self._timezone = user.timezone

    @classmethod
    def open(cls, settings: Settings, login: str) -> Backend:
        """Connect, check the schema and the user; raises a one-line TixError if not."""
        engine = engine_for(settings)
        check_schema(engine)
        return cls(engine, login, settings)

    @property
    def zone(self) -> tzinfo:
        from tix.core.timeutil import zone

        return zone(self._timezone or self.settings.timezone)

    def _user(self, session: Any) -> User:
        from tix.core.services.users import acting_user

        return acting_user(session, self.login)

    # --- reading ------------------------------------------------------------------

    def page(
        self, filters: TicketFilter, *, after: Cursor | None = None, limit: int = 100
    ) -> list[TicketRow]:
        """One page of the ticket list (keyset paging: pass the last row's cursor)."""
        from tix.core.views import list_tickets

        with session_scope(self.engine) as session:
            return list_tickets(session, self._user(session), filters, limit=limit, after=after)

    def ticket(self, number: int) -> TicketDetail:
        """The whole ticket, as ``tix ticket show --json`` gives it (as its model)."""
        from tix.core.details import ticket_detail
        from tix.core.services.tickets import get_ticket

        with session_scope(self.engine) as session:
            user = self._user(session)
            return ticket_detail(session, user, get_ticket(session, user, number), self.zone)

    def dashboard(self, *, history: bool = True) -> DashboardView:
        """Today's queue and each agent's load; with ``history`` also the last 30 days'
        volume and backlog and the first-response median
        (:func:`tix.core.reporting.dashboard.dashboard`)."""
        from tix.core.models import utcnow
        from tix.core.reporting.dashboard import dashboard

        with session_scope(self.engine) as session:
            zone = str(getattr(self.zone, "key", "UTC"))  # the zone the UI shows times in
            return dashboard(session, self._user(session), utcnow(), zone=zone, history=history)

    def choices(self) -> Choices:
        from tix.core.models import Category, Group, MailAccount, Project
        from tix.core.services.channels import list_channels

        with session_scope(self.engine) as session:
            return Choices(
                channels=[info.channel.name for info in list_channels(session)],
                users=[
                    (user.login, user.name)
                    for user in session.execute(
                        select(User).where(col(User.active)).order_by(col(User.login))
                    ).scalars()
                ],
                groups=list(
                    session.execute(select(col(Group.name)).order_by(col(Group.name))).scalars()
                ),
                projects=list(
                    session.execute(select(col(Project.name)).order_by(col(Project.name))).scalars()
                ),
                categories=list(
                    session.execute(
                        select(col(Category.name)).order_by(col(Category.name))
                    ).scalars()
                ),
                accounts=list(
                    session.execute(
                        select(col(MailAccount.name)).order_by(col(MailAccount.name))
                    ).scalars()
                ),
            )

    def contacts_matching(self, text: str, limit: int = 8) -> list[str]:
        """``Name <address>`` of contacts whose name or address contains ``text``."""
        from tix.core.services.contacts import list_contacts

        if len(text.strip()) < 2:
            return []
        with session_scope(self.engine) as session:
            return [
                f"{info.contact.name} <{address}>"
                for info in list_contacts(session, search=text, limit=limit)
                for address in info.addresses[:1]
            ]

    def unread_count(self) -> int:
        from tix.core.services.notifications import unread_count

        with session_scope(self.engine) as session:
            return unread_count(session, self._user(session))

    def notifications(self, *, unread_only: bool = False) -> list[dict[str, Any]]:
        from tix.core.services.notifications import list_notifications
        from tix.core.timeutil import iso

        with session_scope(self.engine) as session:
            found = list_notifications(session, self._user(session), unread_only=unread_only)
            numbers = dict(
                session.execute(
                    select(col(Ticket.id), col(Ticket.number)).where(
                        col(Ticket.id).in_({n.ticket_id for n in found if n.ticket_id})
                    )
                ).all()
            )
            return [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "text": n.text,
                    "read": n.read_at is not None,
                    "ticket": numbers.get(n.ticket_id),
                    "created_at": iso(n.created_at, self.zone),
                }
                for n in found
            ]

    def mark_read(self, ids: Sequence[int] = (), *, everything: bool = False) -> int:
        from tix.core.services.notifications import mark_read

        with session_scope(self.engine, write=True) as session:
            return mark_read(session, self._user(session), ids=ids, everything=everything)

    def change_marker(self) -> tuple[int, ...]:
        """Changes whenever anyone changes anything: cheap enough to poll every second.

        SQLite: ``PRAGMA data_version`` on a connection kept for the purpose (it counts
        commits by other connections). PostgreSQL: the newest ticket, ticket change,
        activity and notification, and the mails still on their way (a mail sent, retried
        or failed changes no ticket, but leaves or changes that set, so its state shows
        live) — each an index lookup or a few rows, not a count of every ticket.
        """
        if self.engine.dialect.name == "sqlite":
            with self._marker_lock:
                if self._marker_connection is None:
                    database = self.engine.url.database or ""
                    self._marker_connection = sqlite3.connect(database, check_same_thread=False)
                row = self._marker_connection.execute("PRAGMA data_version").fetchone()
                return (int(row[0]),)
        from tix.core.models import Activity, Notification, OutboxMessage, OutboxStatus

        with session_scope(self.engine) as session:
            tickets = session.execute(
                select(func.max(Ticket.id), func.max(Ticket.updated_at))
            ).one()
            activities = session.execute(select(func.max(Activity.id))).scalar() or 0
            notes = session.execute(select(func.max(Notification.id))).scalar() or 0
            stamp = tickets[1].timestamp() if tickets[1] else 0
            waiting = session.execute(
                select(
                    func.count(),
                    func.sum(OutboxMessage.attempts),
                    func.max(OutboxMessage.next_attempt_at),
                ).where(col(OutboxMessage.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            ).one()
            retry_stamp = waiting[2].timestamp() if waiting[2] else 0
            return (
                int(tickets[0] or 0),
                int(stamp * 1000),
                int(activities),
                int(notes),
                int(waiting[0]),
                int(waiting[1] or 0),
                int(retry_stamp * 1000),
            )

    # --- bulk actions (tix.core.services.bulk_actions) -----------------------------

    def matching(self, query: TicketFilter) -> list[tuple[int, Target]]:
        """Every ticket of the list for ``query``, all pages: (id, number and version)."""
        from tix.core.services.bulk_actions import matching

        with session_scope(self.engine) as session:
            return matching(session, self._user(session), query)

    def bulk(
        self,
        request: BulkRequest,
        targets: Sequence[Target],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[BulkResult]:
        """Do ``request`` to each ticket (each on its own; see bulk_actions)."""
        from tix.core.services import bulk_actions
        from tix.core.services.changes import TicketChanges

        if request.action == "note":
            return bulk_actions.note_tickets(
                self.engine,
                self.login,
                targets,
                body=request.value,
                attachments=self._read_files(request.attachments),
                progress=progress,
            )
        if request.action == "merge":
            return bulk_actions.merge_tickets_into(
                self.engine,
                self.login,
                targets,
                into=request.value,
                other_customer=request.other_customer,
                progress=progress,
            )
        field = {"category": "add_categories"}.get(request.action, request.action)
        value: Any = (request.value,) if field == "add_categories" else request.value
        return bulk_actions.change_tickets(
            self.engine,
            self.login,
            targets,
            TicketChanges(**{field: value}),
            progress=progress,
        )

    def close(self) -> None:
        with self._marker_lock:
            if self._marker_connection is not None:
                self._marker_connection.close()
                self._marker_connection = None
        self.engine.dispose()

    # --- working a ticket -----------------------------------------------------------

    def _read_files(self, paths: Sequence[str]) -> list[Any]:
        from tix.core.services.storage import NewFile, check_size

        found = []
        for given in paths:
            path = existing_file(given)
            check_size(path.name, path.stat().st_size, self.settings.max_file_size)
            found.append(NewFile(name=path.name, data=path.read_bytes()))
        return found

    def write(
        self,
        number: int,
        action: str,
        body: str,
        *,
        cc: Sequence[str] = (),
        attachments: Sequence[str] = (),
        to: Sequence[str] = (),
        bcc: Sequence[str] = (),
    ) -> TicketDetail:
        """``action`` is reply, note or solve; returns the ticket afterwards. ``to`` and
        ``bcc`` only for a reply (``to``: instead of the customer)."""
        from tix.core.services import messages, tickets

        files = self._read_files(attachments)
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, number)
            size: dict[str, Any] = {"attachments": files}
            if action == "reply":
                messages.reply_to_ticket(
                    session, user, ticket=ticket, body=body, to=to, cc=cc, bcc=bcc, **size
                )
            elif action == "note":
                messages.add_note(session, user, ticket=ticket, body=body, **size)
            elif action == "solve":
                messages.add_solution(session, user, ticket=ticket, body=body, cc=cc, **size)
            else:
                raise ValueError(action)
        return self.ticket(number)

    def change(self, number: int, *, version: int | None, **fields: Any) -> TicketDetail:
        """Change fields (status, channel, owner, priority, subject, color, project,
        add_categories, remove_categories); a stale ``version`` is a Conflict."""
        from tix.core.services import tickets
        from tix.core.services.changes import TicketChanges, change_ticket

        changes = TicketChanges(**{k: v for k, v in fields.items() if v is not None})
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            change_ticket(
                session,
                user,
                ticket=tickets.get_ticket(session, user, number),
                changes=changes,
                expected_version=version,
            )
        return self.ticket(number)

    def book_time(
        self, number: int, duration: str, *, day: str = "", note: str = "", billable: bool = True
    ) -> TicketDetail:
        from datetime import datetime

        from tix.core.services import tickets, times
        from tix.core.timeparse import parse_day, parse_duration

        minutes = parse_duration(duration)
        today = datetime.now(self.zone).date()
        work_date = parse_day(day, today=today) if day.strip() else today
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            times.book_time(
                session,
                user,
                ticket=tickets.get_ticket(session, user, number),
                minutes=minutes,
                work_date=work_date,
                note=note,
                billable=billable,
            )
        return self.ticket(number)

    def export_times(self, path: str, *, number: int | None = None) -> int:
        """Write the Excel time report (of one ticket, or of all visible); returns rows."""
        from tix.core.errors import Invalid
        from tix.core.reports import TimeRow, write_times_workbook
        from tix.core.services import tickets, times

        target = Path(path.strip()).expanduser()
        if target.suffix.lower() != ".xlsx":
            raise Invalid(_("{file} must end in {suffix}").format(file=target, suffix=".xlsx"))
        with session_scope(self.engine) as session:
            user = self._user(session)
            ticket_id = tickets.get_ticket(session, user, number).id if number else None
            rows = (
                TimeRow(
                    work_date=i.work_date,
                    ticket_number=i.ticket_number,
                    subject=i.subject,
                    customer=i.customer,
                    project=i.project,
                    user=i.user_name,
                    minutes=i.minutes,
                    billable=i.billable,
                    billed=i.billed,
                    note=i.note,
                )
                for i in times.iter_times(session, user, times.TimeFilter(ticket_id=ticket_id))
            )
            return write_times_workbook(
                target, rows, title=f"Ticket #{number}" if number else "Times"
            )

    def watch(
        self, number: int, *, user: str = "", group: str = "", remove: bool = False
    ) -> TicketDetail:
        from tix.core.services import tickets, users, watchers

        with session_scope(self.engine, write=True) as session:
            actor = self._user(session)
            ticket = tickets.get_ticket(session, actor, number)
            found_user = users.get_user(session, user) if user else None
            found_group = users.get_group(session, group) if group else None
            change = watchers.remove_watcher if remove else watchers.add_watcher
            change(session, actor, ticket=ticket, user=found_user, group=found_group)
        return self.ticket(number)

    def add_files(self, number: int, paths: Sequence[str]) -> TicketDetail:
        from tix.core.services import files, tickets

        new = self._read_files(paths)
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            files.add_files(
                session,
                user,
                ticket=tickets.get_ticket(session, user, number),
                files=new,
            )
        return self.ticket(number)

    def save_file(self, number: int, file_id: int, target: str) -> Path:
        """Write a file of the ticket to ``target`` (a folder: under its own name)."""
        from tix.core.errors import Conflict
        from tix.core.services import files, tickets

        with session_scope(self.engine) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, number)
            found = files.get_file(session, user, ticket=ticket, file_id=file_id)
            data, name = files.file_data(session, found), found.name
        path = Path(target.strip() or ".").expanduser()
        if path.is_dir():
            path = path / name
        if path.exists():
            raise Conflict(
                _("{file} exists already: choose another file or pass --force").format(file=path)
            )
        path.write_bytes(data)
        return path

    def add_alarm(
        self, number: int, when: str, note: str, *, recipient: str = "", via: str = "app"
    ) -> TicketDetail:
        from tix.core import clock
        from tix.core.services import alarms, tickets, users
        from tix.core.timeparse import parse_when

        due = parse_when(when, now=clock.now(), zone=self.zone)
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            alarms.set_alarm(
                session,
                user,
                ticket=tickets.get_ticket(session, user, number),
                due_at=due,
                note=note,
                recipient=users.get_user(session, recipient) if recipient else None,
                via=via,
            )
        return self.ticket(number)

    def new_document(
        self, number: int, kind: str, *, from_times: bool = True, lines: Sequence[str] = ()
    ) -> str:
        from datetime import datetime

        from tix.core.services import documents, tickets

        given = [documents.parse_line(line) for line in lines if line.strip()]
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            document = documents.create_document(
                session,
                user,
                ticket=tickets.get_ticket(session, user, number),
                kind=kind,
                from_times=from_times,
                lines=given,
                issued=datetime.now(self.zone).date(),
                default_rate=self.settings.hourly_rate,
                vat_rate=self.settings.vat_rate,
                currency=self.settings.currency,
            )
            return document.number

    def merge(self, number: int, *, into: int, other_customer: bool = False) -> int:
        """Merge ticket ``number`` into ``into``; returns the target's number."""
        from tix.core.services import tickets
        from tix.core.services.merging import merge_tickets

        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            source = tickets.get_ticket(session, user, number)
            target = tickets.get_ticket(session, user, into)
            merge_tickets(
                session, user, source=source, target=target, other_customer=other_customer
            )
            return target.number

    def split(
        self, number: int, *, seq: int, only: bool = False, subject: str | None = None
    ) -> int:
        """Split activity ``seq`` (and the later ones, unless ``only``) off ticket
        ``number``; returns the new ticket's number."""
        from tix.core.services import tickets
        from tix.core.services.merging import split_ticket

        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, number)
            made = split_ticket(session, user, ticket=ticket, seq=seq, only=only, subject=subject)
            return made.new_ticket.number

    def link(self, number: int, other: int, *, kind: str) -> TicketDetail:
        """Link ticket ``number`` to ``other`` as ``kind``; returns the ticket afterwards."""
        from tix.core.services import links, tickets

        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, number)
            second = tickets.get_ticket(session, user, other)
            links.link_tickets(session, user, ticket=ticket, other=second, kind=kind)
        return self.ticket(number)

    def unlink(self, number: int, other: int) -> TicketDetail:
        """Remove the link between ``number`` and ``other``; returns the ticket afterwards."""
        from tix.core.services import links, tickets

        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, number)
            second = tickets.get_ticket(session, user, other)
            links.unlink_tickets(session, user, ticket=ticket, other=second)
        return self.ticket(number)

    def documents(self, ticket: int | None = None) -> list[DocumentView]:
        """The documents on tickets this user may see (of one ticket, when given)."""
        from tix.core.read_models.documents import DocumentView
        from tix.core.services import documents, tickets

        with session_scope(self.engine) as session:
            user = self._user(session)
            found = tickets.get_ticket(session, user, ticket) if ticket else None
            return [
                DocumentView.model_validate(
                    documents.document_json(session, document, number, customer)
                )
                for document, number, customer in documents.list_documents(
                    session, user, ticket=found
                )
            ]

    def export_document(self, reference: str, path: str) -> Path:
        """Write document ``reference`` as an Excel file to ``path`` (a new .xlsx file)."""
        from tix.core.errors import Conflict, Invalid
        from tix.core.reports import write_document_workbook
        from tix.core.services import documents

        target = Path(path.strip()).expanduser()
        if target.suffix.lower() != ".xlsx":
            raise Invalid(_("{file} must end in {suffix}").format(file=target, suffix=".xlsx"))
        if target.exists():
            raise Conflict(
                _("{file} exists already: choose another file or pass --force").format(file=target)
            )
        with session_scope(self.engine) as session:
            sheet = documents.document_sheet(
                session, self._user(session), reference, company=self.settings.company
            )
        write_document_workbook(target, sheet)
        return target

    def new_project(self, name: str, *, from_ticket: int | None = None) -> str:
        from tix.core.services import projects, tickets

        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, from_ticket) if from_ticket else None
            return projects.add_project(session, user, name=name, from_ticket=ticket).name

    def new_ticket(
        self,
        kind: str,
        *,
        subject: str,
        body: str = "",
        owner: str = "",
        channel: str = "",
        account: str = "",
        to: Sequence[str] = (),
        cc: Sequence[str] = (),
        bcc: Sequence[str] = (),
        customer: str = "",
        customer_name: str = "",
        priority: int = 5,
        categories: Sequence[str] = (),
        attachments: Sequence[str] = (),
        project: str = "",
        color: str = "",
    ) -> int:
        """Open a ticket of ``kind`` internal, mail or request; returns its number."""
        from tix.core.errors import Invalid
        from tix.core.services import accounts, channels, contacts, opening, projects, users

        files = self._read_files(attachments)
        common: dict[str, Any] = {
            "subject": subject,
            "priority": priority,
            "categories": list(categories),
            "attachments": files,
            "color": color or None,
        }
        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            common["project"] = projects.get_project(session, project) if project else None
            if kind == "internal":
                if not owner:
                    raise Invalid(_("an internal ticket needs --owner LOGIN"))
                made = opening.open_internal_ticket(
                    session, user, owner=users.get_user(session, owner), body=body or None, **common
                )
            elif kind == "mail":
                if not (account and channel):
                    raise Invalid(_("a mail ticket needs --account, --channel and --to"))
                made = opening.open_mail_ticket(
                    session,
                    user,
                    account=accounts.get_account(session, account),
                    channel=channels.get_channel(session, channel),
                    to=to,
                    cc=cc,
                    bcc=bcc,
                    body=body,
                    owner=users.get_user(session, owner) if owner else None,
                    **common,
                )
            elif kind == "request":
                if not (channel and customer):
                    raise Invalid(_("a request ticket needs --channel and --customer"))
                from email.utils import parseaddr

                name, address = parseaddr(customer)
                found = contacts.find_contact(session, address or customer)
                if found is None:
                    found = contacts.add_contact(
                        session,
                        user,
                        address=address or customer,
                        name=customer_name or name or address,
                    )
                made = opening.open_request_ticket(
                    session,
                    user,
                    channel=channels.get_channel(session, channel),
                    customer=found,
                    body=body,
                    owner=users.get_user(session, owner) if owner else None,
                    **common,
                )
            else:
                raise Invalid(
                    _("unknown kind {kind!r}: use internal, mail or request").format(kind=kind)
                )
            return made.number

    # --- finding tickets and saved views ----------------------------------------------

    def check_ticket(self, number: int) -> int:
        """``number`` if the user may see that ticket; NotFound or Forbidden if not."""
        from tix.core.services.tickets import get_ticket

        with session_scope(self.engine) as session:
            return get_ticket(session, self._user(session), number).number

    def filter_of(self, spec: ViewSpec) -> TicketFilter:
        """The core's filter for a :class:`~tix.core.services.saved_views.ViewSpec`
        (names looked up: NotFound when one is gone)."""
        from tix.core.services.saved_views import resolve_spec

        with session_scope(self.engine) as session:
            return resolve_spec(session, spec)

    def views(self) -> list[tuple[str, ViewSpec, str]]:
        """The user's saved views as (name, spec, description), by name."""
        from tix.core.services import saved_views

        with session_scope(self.engine) as session:
            return [
                (view.name, saved_views.view_spec(view), saved_views.view_spec(view).describe())
                for view in saved_views.list_views(session, self._user(session))
            ]

    def save_view(self, name: str, spec: ViewSpec, *, replace: bool = False) -> str:
        """Save ``spec`` as the user's view ``name``; returns the name as saved. A name
        taken is a Conflict unless ``replace``."""
        from tix.core.services import saved_views

        with session_scope(self.engine, write=True) as session:
            user = self._user(session)
            return saved_views.save_view(session, user, name=name, spec=spec, replace=replace).name

    def remove_view(self, name: str) -> str:
        from tix.core.services import saved_views

        with session_scope(self.engine, write=True) as session:
            return saved_views.remove_view(session, self._user(session), name)

    # --- signatures and text modules --------------------------------------------------

    def text_modules(self, context: TextModuleContext) -> list[TextModuleChoice]:
        """The text modules the user may use for ``context`` (a ticket, else a channel),
        each with the start of its text as it would be inserted."""
        from tix.core.errors import TixError
        from tix.core.services import channels, contacts, text_modules, tickets
        from tix.tui.widgets.text_modules import TextModuleChoice

        with session_scope(self.engine) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, context.number) if context.number else None
            channel = channels.get_channel(session, context.channel) if context.channel else None
            customer = (
                contacts.find_contact(session, context.customer) if context.customer else None
            )
            found = []
            for info in text_modules.list_text_modules(
                session, user, channel=channel, ticket=ticket
            ):
                try:
                    text = text_modules.render_text_module(
                        session, user, info, ticket=ticket, channel=channel, customer=customer
                    )
                except TixError:  # said when it is chosen; here its text as written
                    text = info.variant(None).body
                found.append(
                    TextModuleChoice(
                        name=info.name,
                        channel=info.channel.name if info.channel else None,
                        preview=_shorten(" ".join(text.split()), 140),
                    )
                )
            return found

    def text_module(
        self, name: str, channel_of_module: str | None, context: TextModuleContext
    ) -> str:
        """The module ``name`` (global, or of ``channel_of_module``) filled in for
        ``context``, in the customer's language, else the user's."""
        from tix.core.errors import NotFound
        from tix.core.services import channels, contacts, text_modules, tickets

        with session_scope(self.engine) as session:
            user = self._user(session)
            ticket = tickets.get_ticket(session, user, context.number) if context.number else None
            channel = channels.get_channel(session, context.channel) if context.channel else None
            customer = (
                contacts.find_contact(session, context.customer) if context.customer else None
            )
            for info in text_modules.list_text_modules(
                session, user, channel=channel, ticket=ticket
            ):
                module_channel = info.channel.name if info.channel else None
                if info.name == name and module_channel == channel_of_module:
                    return text_modules.render_text_module(
                        session, user, info, ticket=ticket, channel=channel, customer=customer
                    )
            raise NotFound(
                _("no text module {name!r} you may use here: see `tix template list`").format(
                    name=name
                )
            )

    def signature(
        self, number: int | None = None, *, channel: str = "", account: str = ""
    ) -> str | None:
        """The signature a mail from the user gets: on ticket ``number``, or on a new mail
        ticket from ``account`` in ``channel``."""
        from tix.core.services import accounts, channels, signatures, tickets

        with session_scope(self.engine) as session:
            user = self._user(session)
            if number is not None:
                return signatures.ticket_signature(
                    session, user, tickets.get_ticket(session, user, number)
                )
            return signatures.signature_for(
                session,
                account=accounts.get_account(session, account) if account else None,
                channel=channels.get_channel(session, channel) if channel else None,
                agent=user,
            )


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
