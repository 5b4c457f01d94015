"""Building the demo helpdesk: the people, channels and contacts through the services,
then the tickets' stories, the first few through the services and the bulk through
the bulk loader (:mod:`tix.core.services.bulk`), which writes them set-based."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock
from tix.core.errors import Conflict, Invalid
from tix.core.i18n import _
from tix.core.models import (
    Channel,
    Contact,
    Group,
    MailAccount,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    User,
)
from tix.core.services import (
    accounts,
    alarms,
    bulk,
    channels,
    contacts,
    documents,
    messages,
    opening,
    projects,
    signatures,
    text_modules,
    times,
    users,
)
from tix.core.services import files as file_service
from tix.core.services.changes import change_ticket
from tix.core.services.messages import MailFacts
from tix.core.services.storage import NewFile
from tix.demo.stories import (
    AGENTS,
    CUSTOMER_ORGS,
    DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    MACHINES,
    PROJECTS,
    SUPPLIER_ORGS,
    Cast,
    Clock,
    _ascii,
    ticket_stories,
)

TOLD_BY_SERVICES = 20
"""The first tickets are told through the ticket services themselves, the rest in bulk."""
WRITE_EVERY = 500
"""Tickets told in bulk between two writes (memory stays small, progress moves)."""

PORTAL_PASSWORD = "demo-portal-2026"
"""The demo customer's portal password (a demo, not a secret)."""


@dataclass
class DemoSummary:
    users: int
    groups: int
    channels: int
    contacts: int
    tickets: int
    activities: int
    operator: str
    portal_address: str = ""
    portal_password: str = ""


class _Lookups:
    """What stories look up again and again, read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._addresses: dict[int | None, str] = {}
        self._accounts: dict[int | None, MailAccount] = {}

    def primary_address(self, contact: Contact) -> str:
        if contact.id not in self._addresses:
            self._addresses[contact.id] = contacts.primary_address(self.session, contact)
        return self._addresses[contact.id]

    def channel_account(self, channel: Channel) -> MailAccount:
        if channel.id not in self._accounts:
            found = (
                self.session.execute(
                    select(MailAccount)
                    .where(col(MailAccount.channel_id) == channel.id)
                    .order_by(col(MailAccount.id))
                )
                .scalars()
                .first()
            )
            assert found is not None
            self._accounts[channel.id] = found
        return self._accounts[channel.id]

    def user(self, user_id: int) -> User:
        found = self.session.get(User, user_id)
        assert found is not None
        return found


class ServiceDesk(_Lookups):
    """Tells stories through the ticket services, one change at a time."""

    def open_customer_ticket(self, contact: Contact, *, mail: MailFacts, **fields: Any) -> Ticket:
        return opening.open_customer_ticket(self.session, contact, mail=mail, **fields)

    def open_request_ticket(self, actor: User, **fields: Any) -> Ticket:
        return opening.open_request_ticket(self.session, actor, **fields)

    def open_internal_ticket(self, actor: User, **fields: Any) -> Ticket:
        return opening.open_internal_ticket(self.session, actor, **fields)

    def open_mail_ticket(self, actor: User, **fields: Any) -> Ticket:
        return opening.open_mail_ticket(self.session, actor, **fields)

    def reply_to_ticket(self, actor: User, *, ticket: Any, body: str) -> None:
        messages.reply_to_ticket(self.session, actor, ticket=ticket, body=body)

    def add_note(self, actor: User, *, ticket: Any, body: str) -> None:
        messages.add_note(self.session, actor, ticket=ticket, body=body)

    def add_solution(self, actor: User, *, ticket: Any, body: str) -> None:
        messages.add_solution(self.session, actor, ticket=ticket, body=body)

    def add_customer_message(self, contact: Contact, *, ticket: Any, **fields: Any) -> None:
        messages.add_customer_message(self.session, contact, ticket=ticket, **fields)

    def change_ticket(self, actor: User, *, ticket: Any, **changes: Any) -> int:
        return len(change_ticket(self.session, actor, ticket=ticket, **changes))

    def book_time(self, actor: User, *, ticket: Any, **fields: Any) -> None:
        times.book_time(self.session, actor, ticket=ticket, **fields)

    def add_files(self, actor: User, *, ticket: Any, files: list[NewFile]) -> None:
        file_service.add_files(self.session, actor, ticket=ticket, files=files)

    def set_alarm(self, actor: User, *, ticket: Any, due_at: datetime, note: str) -> None:
        alarms.set_alarm(self.session, actor, ticket=ticket, due_at=due_at, note=note)

    def create_invoice(self, actor: User, *, ticket: Any, issued: date) -> bool:
        return _invoice(self.session, actor, ticket, issued)


class BulkDesk(_Lookups):
    """Tells stories into the bulk loader, which writes them when told to."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.loader = bulk.Loader(session)
        self._owners: dict[int | None, User] = {}

    def open_customer_ticket(
        self, contact: Contact, *, channel: Channel, **fields: Any
    ) -> bulk.DraftTicket:
        if channel.id not in self._owners:
            self._owners[channel.id] = opening.default_owner(self.session, channel)
        return self.loader.open_customer_ticket(
            contact, channel=channel, owner=self._owners[channel.id], **fields
        )

    def open_request_ticket(self, actor: User, **fields: Any) -> bulk.DraftTicket:
        return self.loader.open_request_ticket(actor, **fields)

    def open_internal_ticket(self, actor: User, **fields: Any) -> bulk.DraftTicket:
        return self.loader.open_internal_ticket(actor, **fields)

    def open_mail_ticket(self, actor: User, **fields: Any) -> bulk.DraftTicket:
        return self.loader.open_mail_ticket(actor, **fields)

    def reply_to_ticket(self, actor: User, *, ticket: Any, body: str) -> None:
        self.loader.reply_to_ticket(actor, ticket=ticket, body=body)

    def add_note(self, actor: User, *, ticket: Any, body: str) -> None:
        self.loader.add_note(actor, ticket=ticket, body=body)

    def add_solution(self, actor: User, *, ticket: Any, body: str) -> None:
        self.loader.add_solution(actor, ticket=ticket, body=body)

    def add_customer_message(self, contact: Contact, *, ticket: Any, **fields: Any) -> None:
        self.loader.add_customer_message(contact, ticket=ticket, **fields)

    def change_ticket(self, actor: User, *, ticket: Any, **changes: Any) -> int:
        return self.loader.change_ticket(actor, ticket=ticket, **changes)

    def book_time(self, actor: User, *, ticket: Any, **fields: Any) -> None:
        self.loader.book_time(actor, ticket=ticket, **fields)

    def add_files(self, actor: User, *, ticket: Any, files: list[NewFile]) -> None:
        self.loader.add_files(actor, ticket=ticket, files=files)

    def set_alarm(self, actor: User, *, ticket: Any, due_at: datetime, note: str) -> None:
        self.loader.set_alarm(actor, ticket=ticket, due_at=due_at, note=note)

    def create_invoice(self, actor: User, *, ticket: Any, issued: date) -> bool:
        return self.loader.create_invoice(
            actor,
            ticket=ticket,
            issued=issued,
            default_rate=Decimal("90"),
            vat_rate=Decimal("19"),
        )

    def write(self) -> None:
        self.loader.write()


def _invoice(session: Session, actor: User, ticket: Ticket, issued: date) -> bool:
    try:
        documents.create_document(
            session,
            actor,
            ticket=ticket,
            kind="invoice",
            from_times=True,
            issued=issued,
            default_rate=Decimal("90"),
            vat_rate=Decimal("19"),
        )
    except Invalid:
        return False  # nothing billable on this ticket
    return True


def build_demo(
    session: Session,
    *,
    operator_login: str | None,
    seed: int = 7,
    ticket_count: int = 200,
    progress: Callable[[int, int], None] | None = None,
    told_by_services: int = TOLD_BY_SERVICES,
) -> DemoSummary:
    """Fill an empty database with the demo company. ``operator_login`` (the person
    running the demo) becomes an admin agent in both groups. ``progress`` is told the
    tickets made so far and how many there will be. The first ``told_by_services``
    tickets go through the ticket services, the rest through the bulk loader."""
    if session.execute(select(col(Ticket.id)).limit(1)).first() is not None:
        raise Conflict(
            _(
                "this database holds tickets already; the demo needs an empty one: "
                "run `tix --db sqlite:///PATH/demo.db demo`"
            )
        )
    rng = random.Random(seed)
    now = clock.now().replace(microsecond=0)
    story = Clock(now - timedelta(days=56), now - timedelta(minutes=5))
    with clock.use_clock(story):
        agents, groups = _people(session, operator_login)
        admin = agents[0]
        channel_list = _channels(session, admin, agents, groups)
        customers, suppliers = _contacts(session, admin, rng)
        project_list = [projects.add_project(session, admin, name=name) for name in PROJECTS]
        cast = Cast(agents, channel_list, customers, suppliers, project_list)
        activity_count = 0
        stories = list(ticket_stories(rng, ticket_count))
        step = (now - story.current - timedelta(hours=2)) / max(len(stories), 1)
        start = story.current
        desk: ServiceDesk | BulkDesk = ServiceDesk(session)
        for index, tell in enumerate(stories):
            if index == told_by_services:
                session.flush()
                desk = BulkDesk(session)
            story.current = start + step * index
            activity_count += tell(desk, rng, story, cast)
            if isinstance(desk, BulkDesk) and (index + 1) % WRITE_EVERY == 0:
                desk.write()
            if progress is not None:
                progress(index + 1, len(stories))
        if isinstance(desk, BulkDesk):
            desk.write()
        # The story's mails went out when they were written.
        session.execute(
            update(OutboxMessage).values(
                status=OutboxStatus.SENT, sent_at=col(OutboxMessage.created_at)
            )
        )
        portal_address = _web(session, admin, channel_list["Support"], customers[0])
        _texts(session, admin, agents, channel_list)
        _slas(session, admin, channel_list)
        _views(session, agents)
    session.flush()
    operator = operator_login or admin.login
    return DemoSummary(
        users=len(agents),
        groups=len(groups),
        channels=len(channel_list),
        contacts=len(customers) + len(suppliers),
        tickets=len(stories),
        activities=activity_count,
        operator=operator,
        portal_address=portal_address,
        portal_password=PORTAL_PASSWORD,
    )


def _views(session: Session, agents: list[User]) -> None:
    """Two saved views for every agent (the TUI's v, tix ticket list --view)."""
    from tix.core.services.saved_views import ViewSpec, save_view

    for agent in agents:
        save_view(
            session,
            agent,
            name="Dringend, niemand dran",
            spec=ViewSpec(unassigned=True, min_priority=7, sort="-priority"),
        )
        save_view(
            session,
            agent,
            name="Wartet auf Kunden",
            spec=ViewSpec(mine=True, statuses=("waiting",)),
        )


def _slas(session: Session, admin: User, channel_list: dict[str, Channel]) -> None:
    """Office hours in Munich (Bavarian holidays) and two SLA policies: every ticket
    answered within 4 business hours and solved within 3 business days, urgent
    support tickets within 1 and 8 hours. The open tickets get their clocks at once."""
    from tix.core.services import sla

    office = sla.add_calendar(
        session,
        admin,
        name="Büro München",
        timezone="Europe/Berlin",
        hours=["mo-do 08:00-12:00,13:00-17:00", "fr 08:00-14:00"],
        holidays="DE-BY",
        closed_days=[date(2026, 12, 24), date(2026, 12, 31)],
    )
    sla.add_policy(
        session,
        admin,
        name="Standard",
        calendar=office,
        first_response_minutes=4 * 60,
        solution_minutes=3 * 8 * 60,
    )
    sla.add_policy(
        session,
        admin,
        name="Dringend",
        calendar=office,
        channel=channel_list["Support"],
        priorities=(8, 9),
        first_response_minutes=60,
        solution_minutes=8 * 60,
        warn_before_minutes=30,
        warn_watchers=True,
    )


#: Text modules of the demo: (name, channel or None, {language: text}).
TEXT_MODULES: list[tuple[str, str | None, dict[str, str]]] = [
    (
        "Begrüßung",
        None,
        {
            "de": "Guten Tag {{ customer.name }},\n\nvielen Dank für Ihre Nachricht.",
            "en": "Hello {{ customer.first_name }},\n\nthank you for your message.",
        },
    ),
    (
        "Rückfrage Seriennummer",
        None,
        {
            "de": "Damit wir Ihnen schnell helfen können: Wie lautet die Seriennummer der "
            "Maschine? Sie steht auf dem Typenschild.",
            "en": "To help you quickly: what is the machine's serial number? It is on the "
            "rating plate.",
        },
    ),
    (
        "Rücksendung",
        "Support",
        {
            "de": "Bitte senden Sie das Teil mit der Angabe **Ticket#{{ ticket.number }}** an "
            "unser Servicelager. Den Paketschein schicken wir Ihnen per Mail.",
        },
    ),
    (
        "Angebot folgt",
        "Vertrieb",
        {"de": "Ihr Angebot zu „{{ ticket.subject }}“ erhalten Sie bis morgen von mir."},
    ),
]


def _texts(
    session: Session, admin: User, agents: list[User], channel_list: dict[str, Channel]
) -> None:
    """Signatures (each channel's footer, each agent's own greeting) and text modules."""
    for channel in channel_list.values():
        signatures.set_signature(
            session,
            admin,
            signatures.SignatureOwner(channel=channel),
            body="Muster Maschinenbau GmbH · {{ channel.name }}\n"
            "Telefon +49 89 123456-0 · {{ account.address }}",
        )
    for agent in agents:
        signatures.set_signature(
            session,
            agent,
            signatures.SignatureOwner(user=agent),
            body="Viele Grüße\n{{ agent.name }}",
        )
    for name, channel_name, texts in TEXT_MODULES:
        for language, body in texts.items():
            text_modules.add_text_module(
                session,
                admin,
                name=name,
                body=body,
                channel=channel_list[channel_name] if channel_name else None,
                language=language,
            )


def _web(session: Session, admin: User, support: Channel, customer: Contact) -> str:
    """The Support channel takes tickets from the web, with a form; one customer may log
    in to the portal."""
    from tix.core.services import forms, portal

    channels.update_channel(session, admin, channel=support, web=True)
    forms.set_form(
        session,
        admin,
        channel=support,
        fields=[
            {
                "name": "machine",
                "label": "Maschine",
                "type": "select",
                "required": True,
                "options": MACHINES,
            },
            {
                "name": "serial",
                "label": "Seriennummer",
                "type": "text",
                "help": "Steht auf dem Typenschild.",
            },
            {"name": "down", "label": "Die Anlage steht still", "type": "checkbox"},
        ],
    )
    portal.enable(session, admin, contact=customer, password=PORTAL_PASSWORD)
    return contacts.primary_address(session, customer)


def _people(session: Session, operator_login: str | None) -> tuple[list[User], dict[str, object]]:

    first = AGENTS[0]
    admin = users.add_user(
        session,
        None,
        login=first[0],
        name=first[1],
        email=f"{first[0]}@{DOMAIN}",
        is_admin=True,
        language="de",
        timezone="Europe/Berlin",
    )
    groups: dict[str, Group] = {
        name: users.add_group(session, admin, name=name) for name in ("Support", "Vertrieb")
    }
    agents = [admin]
    for login, name, _groups, is_admin in AGENTS[1:]:
        agents.append(
            users.add_user(
                session,
                admin,
                login=login,
                name=name,
                email=f"{login}@{DOMAIN}",
                is_admin=is_admin,
                language="de",
                timezone="Europe/Berlin",
            )
        )
    for agent, (_login, _name, member_of, _admin) in zip(agents, AGENTS, strict=True):
        for group_name in member_of:
            users.add_group_member(session, admin, group=groups[group_name], user=agent)
    if operator_login and users.find_user(session, operator_login) is None:
        from tix.core import validation

        operator_name: str | None
        try:
            operator_name = validation.login(operator_login.lower())
        except Exception:
            operator_name = None
        if operator_name:
            operator = users.add_user(
                session,
                admin,
                login=operator_name,
                name=operator_name.title(),
                email=f"{operator_name}@{DOMAIN}",
                is_admin=True,
            )
            for group in groups.values():
                users.add_group_member(session, admin, group=group, user=operator)
    return agents, groups  # type: ignore[return-value]


def _channels(
    session: Session, admin: User, agents: list[User], groups: dict[str, object]
) -> dict[str, Channel]:

    def group(name: str) -> Group:
        found = groups[name]
        assert isinstance(found, Group)
        return found

    made = {
        "Support": channels.add_channel(
            session, admin, name="Support", groups=[group("Support")], default_owner=agents[1]
        ),
        "Vertrieb": channels.add_channel(
            session, admin, name="Vertrieb", groups=[group("Vertrieb")], default_owner=agents[3]
        ),
        "Einkauf": channels.add_channel(
            session, admin, name="Einkauf", groups=[group("Vertrieb")], default_owner=agents[4]
        ),
    }
    for name, channel in made.items():
        accounts.add_account(
            session,
            admin,
            name=name.lower(),
            address=f"{name.lower()}@{DOMAIN}",
            display_name=f"Muster Maschinenbau {name}",
            channel=channel,
        )
    return made


def _contacts(
    session: Session, admin: User, rng: random.Random
) -> tuple[list[Contact], list[Contact]]:
    used: set[str] = set()

    def person(org: str, domain: str, kind: str) -> Contact:
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = _ascii(f"{first}.{last}").lower()
            address = f"{local}@{domain}"
            if address not in used:
                used.add(address)
                return contacts.add_contact(
                    session,
                    admin,
                    address=address,
                    name=f"{first} {last}",
                    kind=kind,
                    organization=org,
                )

    customers = [
        person(org, domain, "customer") for org, domain in CUSTOMER_ORGS for _number in range(4)
    ]
    customers += [person(org, domain, "customer") for org, domain in rng.sample(CUSTOMER_ORGS, 5)]
    suppliers = [
        person(org, domain, "supplier") for org, domain in SUPPLIER_ORGS for _number in range(2)
    ]
    return customers, suppliers
