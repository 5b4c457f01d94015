"""Demo data: a small machine-building company's helpdesk, made through the services.

Six agents in two groups, three channels, about fifty contacts in a dozen
organisations, and two hundred tickets of every kind with replies, notes and
solutions spread over the last eight weeks. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock
from tix.core.errors import Conflict, Invalid
from tix.core.i18n import _
from tix.core.models import (
    Channel,
    Contact,
    MailAccount,
    OutboxMessage,
    OutboxStatus,
    Project,
    Ticket,
    TicketOrigin,
    TicketStatus,
    User,
)
from tix.core.services import (
    accounts,
    alarms,
    channels,
    contacts,
    documents,
    files,
    projects,
    tickets,
    times,
    users,
)
from tix.core.services.outbox import make_message_id
from tix.core.services.storage import NewFile

DOMAIN = "muster-maschinenbau.de"
BERLIN = ZoneInfo("Europe/Berlin")

AGENTS = [
    # login, name, groups, admin
    ("anna", "Anna Berger", ("Support",), True),
    ("ben", "Ben Krüger", ("Support",), False),
    ("clara", "Clara Sommer", ("Support",), False),
    ("david", "David Yılmaz", ("Vertrieb",), False),
    ("eva", "Eva Hoffmann", ("Vertrieb",), False),
    ("felix", "Felix Wagner", ("Support", "Vertrieb"), False),
]

CUSTOMER_ORGS = [
    ("Bäckerei Schulz GmbH", "baeckerei-schulz.de"),
    ("Müller Metallbau AG", "mueller-metallbau.de"),
    ("Stadtwerke Neustadt", "stadtwerke-neustadt.de"),
    ("Kraft & Söhne KG", "kraft-soehne.de"),
    ("Nordlicht Logistik GmbH", "nordlicht-logistik.de"),
    ("Alpen Kunststoff GmbH", "alpen-kunststoff.at"),
    ("Weber Verpackungen", "weber-verpackungen.de"),
    ("Brightline Foods Ltd", "brightline-foods.co.uk"),
    ("Fischer Medizintechnik", "fischer-medtech.de"),
    ("Holzwerk Lange", "holzwerk-lange.de"),
]
SUPPLIER_ORGS = [
    ("Hydraulik Hansen GmbH", "hydraulik-hansen.de"),
    ("Elektro Zimmermann", "elektro-zimmermann.de"),
    ("Stahlhandel Ost", "stahlhandel-ost.de"),
]
FIRST_NAMES = [
    "Maria",
    "Thomas",
    "Sabine",
    "Jürgen",
    "Petra",
    "Michael",
    "Sandra",
    "Stefan",
    "Monika",
    "Andreas",
    "Claudia",
    "Frank",
    "Julia",
    "Markus",
    "Katrin",
    "Oliver",
    "Nicole",
    "Tobias",
    "Laura",
    "Sven",
    "Emma",
    "James",
    "Olivia",
    "Hannah",
    "Lukas",
    "Sophie",
    "Jonas",
    "Lea",
]
LAST_NAMES = [
    "Schmidt",
    "Schneider",
    "Fischer",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Smith",
    "Taylor",
    "Brown",
    "Özdemir",
    "Nowak",
]
CATEGORIES = [
    "Reklamation",
    "Angebot",
    "Rechnung",
    "Ersatzteil",
    "Wartung",
    "Lieferung",
    "Software",
    "Schulung",
    "Garantie",
]
PROJECTS = ["Neubau Halle 3", "ERP-Umstellung 2027", "Wartungsvertrag Müller AG"]
MACHINES = [
    "Presse P-400",
    "Fräse F-220",
    "Förderband FB-12",
    "Abfüllanlage AF-6",
    "Schweißroboter SR-3",
    "Verpackungsmaschine VM-80",
]

CUSTOMER_ISSUES = [
    (
        "{machine} steht still – Fehlercode E{code}",
        "Guten Tag,\n\nunsere {machine} zeigt seit heute Morgen den Fehlercode E{code} und "
        "lässt sich nicht mehr starten. Die Produktion steht. Können Sie bitte kurzfristig "
        "einen Techniker schicken?\n\nMit freundlichen Grüßen\n{name}",
        ["Reklamation"],
        8,
    ),
    (
        "Angebot für Ersatzteile {machine}",
        "Hallo,\n\nbitte senden Sie uns ein Angebot über einen Satz Verschleißteile für die "
        "{machine} (Seriennummer {serial}).\n\nDanke und viele Grüße\n{name}",
        ["Angebot", "Ersatzteil"],
        4,
    ),
    (
        "Rechnung {invoice} – Rückfrage",
        "Sehr geehrte Damen und Herren,\n\nin der Rechnung {invoice} ist die Wartung doppelt "
        "berechnet. Bitte prüfen Sie das und schicken Sie uns eine Korrektur.\n\nFreundliche "
        "Grüße\n{name}",
        ["Rechnung"],
        5,
    ),
    (
        "Termin für die Jahreswartung",
        "Hallo zusammen,\n\nwir möchten die Jahreswartung unserer {machine} planen. Passt "
        "Ihnen die KW {week}?\n\nGruß\n{name}",
        ["Wartung"],
        3,
    ),
    (
        "Lieferung unvollständig",
        "Guten Tag,\n\nin der heutigen Lieferung zum Auftrag {order} fehlen zwei Positionen "
        "(Dichtungssatz und Keilriemen). Wann können wir mit dem Rest rechnen?\n\n{name}",
        ["Lieferung", "Reklamation"],
        6,
    ),
    (
        "Software-Update für die Steuerung",
        "Hello,\n\nis there a firmware update for the control unit of our {machine}? The "
        "display freezes about once a week.\n\nBest regards\n{name}",
        ["Software"],
        5,
    ),
    (
        "Schulung für neue Mitarbeiter",
        "Hallo,\n\nwir haben drei neue Bediener und würden gern eine Schulung an der {machine} "
        "buchen. Was kostet das und wann wäre es möglich?\n\nViele Grüße\n{name}",
        ["Schulung", "Angebot"],
        3,
    ),
    (
        "Garantiefall: Motor defekt",
        "Sehr geehrte Damen und Herren,\n\nder Antriebsmotor unserer {machine} (gekauft vor "
        "14 Monaten) ist ausgefallen. Wir gehen von einem Garantiefall aus.\n\n{name}",
        ["Garantie", "Reklamation"],
        7,
    ),
    (
        "Ölverlust an der Hydraulik",
        "Hallo,\n\nan der {machine} tritt seit gestern Hydrauliköl aus. Ist das gefährlich, "
        "können wir weiter produzieren?\n\n{name}",
        ["Reklamation", "Wartung"],
        9,
    ),
]
AGENT_REPLIES = [
    "Guten Tag {customer},\n\nvielen Dank für Ihre Nachricht. Wir kümmern uns darum und melden "
    "uns bis morgen Mittag bei Ihnen.\n\nViele Grüße\n{agent}",
    "Hallo {customer},\n\nkönnen Sie uns bitte ein Foto vom Typenschild und die "
    "Seriennummer schicken? Dann können wir das passende Teil heraussuchen.\n\nDanke und "
    "Grüße\n{agent}",
    "Hallo {customer},\n\nunser Techniker ist am Donnerstag zwischen 8 und 10 Uhr bei Ihnen. "
    "Bitte sorgen Sie dafür, dass die Anlage zugänglich ist.\n\nBeste Grüße\n{agent}",
    "Dear {customer},\n\nthanks for getting in touch. We have forwarded this to our "
    "engineering team and will come back to you shortly.\n\nKind regards\n{agent}",
]
CUSTOMER_FOLLOWUPS = [
    "Danke für die schnelle Antwort! Anbei die Seriennummer: {serial}.\n\n{name}",
    "Donnerstag passt uns gut. Bis dann!\n\n{name}",
    "Gibt es schon etwas Neues? Wir brauchen die Anlage dringend wieder.\n\n{name}",
    "Thanks, looking forward to hearing from you.\n\n{name}",
]
NOTES = [
    "Rücksprache mit der Technik: Teil ist auf Lager, Versand heute noch möglich.",
    "Kunde hat Wartungsvertrag – Anfahrt nicht berechnen.",
    "Laut Seriennummer Baujahr 2019, Garantie abgelaufen. Kulanz mit Vertrieb klären.",
    "Hab beim Kunden angerufen, niemand erreicht. Morgen noch mal versuchen.",
    "Ersatzteil bei Hydraulik Hansen bestellt, Liefertermin KW {week}.",
]
SOLUTIONS = [
    "Der Sensor am Einlauf war verschmutzt; gereinigt und neu kalibriert. Die Anlage läuft "
    "wieder.\n\nViele Grüße\n{agent}",
    "Wir haben Ihnen die Gutschrift über den doppelt berechneten Betrag geschickt.\n\n"
    "Viele Grüße\n{agent}",
    "Die fehlenden Teile sind heute rausgegangen, Sendungsnummer 00340434{serial}.\n\n"
    "Grüße\n{agent}",
    "The firmware update 4.2.1 fixes the display freeze; our engineer installed it "
    "remotely.\n\nKind regards\n{agent}",
]
PHONE_REQUESTS = [
    (
        "Anruf: Rückruf wegen Wartungsvertrag",
        "{name} hat angerufen und bittet um Rückruf wegen der Verlängerung des "
        "Wartungsvertrags. Erreichbar ab 14 Uhr.",
    ),
    (
        "Anruf: Störung {machine}",
        "{name} meldet telefonisch eine Störung an der {machine}: laute Geräusche beim Anlauf. "
        "Maschine läuft noch.",
    ),
    (
        "Telefonat: Preisanfrage Förderband",
        "{name} fragt nach dem Preis für ein zusätzliches Förderband (6 m). Angebot per Mail "
        "gewünscht.",
    ),
]
INTERNAL_TOPICS = [
    (
        "Messestand Hannover vorbereiten",
        "Wer übernimmt die Standplanung? Deadline Ende des Monats.",
    ),
    ("Urlaubsvertretung KW {week}", "Kannst du in KW {week} meine Tickets übernehmen?"),
    (
        "Ersatzteillager aufräumen",
        "Im Lager liegen noch Teile für Maschinen, die wir nicht mehr bauen. Liste bitte prüfen.",
    ),
    (
        "Neue Preisliste einpflegen",
        "Die Preisliste 2027 ist da – bitte bis Freitag ins System übernehmen.",
    ),
    ("Kundenschulung Folien", "Die Schulungsfolien für die F-220 sind veraltet."),
]
SUPPLIER_MAILS = [
    (
        "Bestellung Dichtungssätze",
        "Guten Tag,\n\nbitte liefern Sie uns 20 Dichtungssätze "
        "DS-40 bis KW {week}.\n\nMit freundlichen Grüßen\n{agent}",
    ),
    (
        "Lieferverzug Auftrag {order}",
        "Hallo,\n\nunser Auftrag {order} ist seit einer Woche "
        "überfällig. Bitte nennen Sie uns einen verbindlichen Termin.\n\nGrüße\n{agent}",
    ),
]


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


class _Clock:
    """A clock that moves forward as the story is told."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.current = start
        self.end = end

    def __call__(self) -> datetime:
        return self.current

    def advance(self, rng: random.Random, low_minutes: int, high_minutes: int) -> None:
        """Move on a while, but never past the real now."""
        step = timedelta(minutes=rng.randint(low_minutes, high_minutes))
        self.current = min(self.current + step, self.end)


def build_demo(
    session: Session,
    *,
    operator_login: str | None,
    seed: int = 7,
    ticket_count: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Fill an empty database with the demo company. ``operator_login`` (the person
    running the demo) becomes an admin agent in both groups. ``progress`` is told the
    tickets made so far and how many there will be."""
    if session.execute(select(col(Ticket.id)).limit(1)).first() is not None:
        raise Conflict(
            _(
                "this database holds tickets already; the demo needs an empty one: "
                "run `tix --db sqlite:///PATH/demo.db demo`"
            )
        )
    rng = random.Random(seed)
    now = clock.now().replace(microsecond=0)
    story = _Clock(now - timedelta(days=56), now - timedelta(minutes=5))
    with clock.use_clock(story):
        agents, groups = _people(session, operator_login)
        admin = agents[0]
        channel_list = _channels(session, admin, agents, groups)
        customers, suppliers = _contacts(session, admin, rng)
        project_list = [projects.add_project(session, admin, name=name) for name in PROJECTS]
        activity_count = 0
        plans = list(_ticket_plans(rng, ticket_count))
        step = (now - story.current - timedelta(hours=2)) / max(len(plans), 1)
        start = story.current
        for index, plan in enumerate(plans):
            story.current = start + step * index
            activity_count += plan(
                session, rng, story, agents, channel_list, customers, suppliers, project_list
            )
            if progress is not None:
                progress(index + 1, len(plans))
        session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=now))
        portal_address = _web(session, admin, channel_list["Support"], customers[0])
    session.flush()
    operator = operator_login or admin.login
    return DemoSummary(
        users=len(agents),
        groups=len(groups),
        channels=len(channel_list),
        contacts=len(customers) + len(suppliers),
        tickets=len(plans),
        activities=activity_count,
        operator=operator,
        portal_address=portal_address,
        portal_password=PORTAL_PASSWORD,
    )


PORTAL_PASSWORD = "demo-portal-2026"
"""The demo customer's portal password (a demo, not a secret)."""


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
    from tix.core.models import Group

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
    from tix.core.models import Group

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


def _ascii(text: str) -> str:
    table = str.maketrans(
        {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ı": "i"}
    )
    return text.translate(table)


def _fill(rng: random.Random, template: str, **known: str) -> str:
    values = {
        "machine": rng.choice(MACHINES),
        "code": str(rng.randint(100, 999)),
        "serial": f"SN-{rng.randint(10000, 99999)}",
        "invoice": f"RE-2026-{rng.randint(1000, 4999)}",
        "order": f"AU-{rng.randint(20000, 29999)}",
        "week": str(rng.randint(1, 52)),
        **known,
    }
    return template.format(**values)


Plan = Callable[
    [
        Session,
        random.Random,
        _Clock,
        list[User],
        dict[str, Channel],
        list[Contact],
        list[Contact],
        list[Project],
    ],
    int,
]
"""Tells one ticket's story; returns how many activities it made."""


def _ticket_plans(rng: random.Random, count: int) -> Iterator[Plan]:
    kinds = ["customer"] * 55 + ["request"] * 15 + ["internal"] * 15 + ["supplier"] * 15
    for _number in range(count):
        yield {
            "customer": _customer_ticket,
            "request": _request_ticket,
            "internal": _internal_ticket,
            "supplier": _supplier_ticket,
        }[rng.choice(kinds)]


def _agent_for(rng: random.Random, agents: list[User], channel: str) -> User:
    """An agent of the group that works ``channel``."""
    group = "Support" if channel == "Support" else "Vertrieb"
    pool = [agent for agent, spec in zip(agents, AGENTS, strict=True) if group in spec[2]]
    return rng.choice(pool)


def _maybe(rng: random.Random, share: float) -> bool:
    return rng.random() < share


def _extras(rng: random.Random, project_list: list[Project]) -> dict[str, object]:
    return {
        "color": rng.choice(["red", "orange", "green", "blue"]) if _maybe(rng, 0.15) else None,
        "project": rng.choice(project_list) if _maybe(rng, 0.12) else None,
    }


def _finish(
    session: Session,
    rng: random.Random,
    story: _Clock,
    ticket: Ticket,
    agent: User,
    extras: dict[str, object],
) -> int:
    """Set the final status, color and project, as agents would over time."""
    made = 0
    changes: dict[str, object] = {}
    if extras.get("color"):
        changes["color"] = extras["color"]
    if extras.get("project") is not None:
        changes["project"] = extras["project"]
    roll = rng.random()
    if ticket.status not in (TicketStatus.SOLVED,) and roll < 0.25:
        changes["status"] = rng.choice([TicketStatus.WAITING, TicketStatus.CLOSED])
    if changes:
        story.advance(rng, 10, 600)
        made += len(tickets.change_ticket(session, agent, ticket=ticket, **changes))  # type: ignore[arg-type]
    return made + _work(session, rng, story, ticket, agent)


def _work(session: Session, rng: random.Random, story: _Clock, ticket: Ticket, agent: User) -> int:
    """Time booked, files, an alarm and an invoice, as the ticket's work went."""
    made = 0
    if _maybe(rng, 0.55):
        for _round in range(rng.randint(1, 3)):
            times.book_time(
                session,
                agent,
                ticket=ticket,
                minutes=rng.choice([15, 20, 30, 45, 60, 90, 120]),
                work_date=story.current.astimezone(BERLIN).date(),
                note=rng.choice(
                    [
                        "Telefonat",
                        "Fehleranalyse",
                        "Vor-Ort-Einsatz",
                        "Angebot erstellt",
                        "Ersatzteil bestellt",
                        "",
                    ]
                ),
                billable=_maybe(rng, 0.8),
            )
            made += 1
    if _maybe(rng, 0.1):
        files.add_files(
            session,
            agent,
            ticket=ticket,
            files=[
                NewFile(
                    "Fehlerprotokoll.txt",
                    f"Fehlerprotokoll #{ticket.number}\nCode E{rng.randint(100, 999)}\n".encode(),
                )
            ],
        )
        made += 1
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED) and _maybe(rng, 0.08):
        due = story.end + timedelta(days=rng.randint(1, 10), hours=rng.randint(0, 8))
        alarms.set_alarm(
            session,
            agent,
            ticket=ticket,
            due_at=due,
            note=rng.choice(["Beim Kunden nachfragen", "Liefertermin prüfen", "Rückruf"]),
        )
        made += 1
    if ticket.status == TicketStatus.SOLVED and ticket.customer_id is not None and _maybe(rng, 0.3):
        try:
            documents.create_document(
                session,
                agent,
                ticket=ticket,
                kind="invoice",
                from_times=True,
                issued=story.current.astimezone(BERLIN).date(),
                default_rate=Decimal("90"),
                vat_rate=Decimal("19"),
            )
            made += 1
        except Invalid:
            pass  # nothing billable on this ticket
    return made


def _customer_ticket(
    session: Session,
    rng: random.Random,
    story: _Clock,
    agents: list[User],
    channel_list: dict[str, Channel],
    customers: list[Contact],
    suppliers: list[Contact],
    project_list: list[Project],
) -> int:
    customer = rng.choice(customers)
    address = contacts.primary_address(session, customer)
    subject, body, categories, priority = rng.choice(CUSTOMER_ISSUES)
    channel_name = "Vertrieb" if "Angebot" in categories or "Schulung" in categories else "Support"
    channel = channel_list[channel_name]
    account = (
        session.execute(select(MailAccount).where(col(MailAccount.channel_id) == channel.id))
        .scalars()
        .first()
    )
    assert account is not None
    ticket = tickets.open_customer_ticket(
        session,
        customer,
        channel=channel,
        subject=_fill(rng, subject),
        body=_fill(rng, body, name=customer.name),
        origin=TicketOrigin.MAIL,
        mail=tickets.MailFacts(
            message_id=make_message_id(address), mail_from=address, to=[account.address]
        ),
        priority=max(1, min(9, priority + rng.randint(-1, 1))),
        categories=categories,
    )
    made = 1
    agent = session.get(User, ticket.owner_id) or agents[0]
    if _maybe(rng, 0.3):
        other = _agent_for(rng, agents, channel_name)
        story.advance(rng, 5, 90)
        made += len(tickets.change_ticket(session, agent, ticket=ticket, owner=other))
        agent = other
    for _round in range(rng.choice([0, 1, 1, 2, 2, 3])):
        story.advance(rng, 20, 900)
        tickets.reply_to_ticket(
            session,
            agent,
            ticket=ticket,
            body=_fill(
                rng, rng.choice(AGENT_REPLIES), customer=customer.name.split()[0], agent=agent.name
            ),
        )
        made += 1
        if _maybe(rng, 0.4):
            story.advance(rng, 30, 600)
            tickets.add_note(session, agent, ticket=ticket, body=_fill(rng, rng.choice(NOTES)))
            made += 1
        if _maybe(rng, 0.6):
            story.advance(rng, 60, 1440)
            tickets.add_customer_message(
                session,
                customer,
                ticket=ticket,
                body=_fill(rng, rng.choice(CUSTOMER_FOLLOWUPS), name=customer.name),
                subject="Re: " + ticket.subject,
                mail=tickets.MailFacts(
                    message_id=make_message_id(address), mail_from=address, to=[account.address]
                ),
            )
            made += 1
    if _maybe(rng, 0.45):
        story.advance(rng, 60, 2880)
        tickets.add_solution(
            session, agent, ticket=ticket, body=_fill(rng, rng.choice(SOLUTIONS), agent=agent.name)
        )
        made += 2
    return made + _finish(session, rng, story, ticket, agent, _extras(rng, project_list))


def _request_ticket(
    session: Session,
    rng: random.Random,
    story: _Clock,
    agents: list[User],
    channel_list: dict[str, Channel],
    customers: list[Contact],
    suppliers: list[Contact],
    project_list: list[Project],
) -> int:
    customer = rng.choice(customers)
    subject, body = rng.choice(PHONE_REQUESTS)
    channel_name = rng.choice(["Support", "Vertrieb"])
    agent = _agent_for(rng, agents, channel_name)
    ticket = tickets.open_request_ticket(
        session,
        agent,
        channel=channel_list[channel_name],
        customer=customer,
        subject=_fill(rng, subject),
        body=_fill(rng, body, name=customer.name),
        priority=rng.randint(3, 7),
        categories=[rng.choice(CATEGORIES)] if _maybe(rng, 0.6) else [],
        **_extras(rng, project_list),  # type: ignore[arg-type]
    )
    made = 1
    if _maybe(rng, 0.7):
        story.advance(rng, 30, 600)
        tickets.reply_to_ticket(
            session,
            agent,
            ticket=ticket,
            body=_fill(
                rng, rng.choice(AGENT_REPLIES), customer=customer.name.split()[0], agent=agent.name
            ),
        )
        made += 1
    if _maybe(rng, 0.4):
        story.advance(rng, 60, 2000)
        tickets.add_solution(
            session, agent, ticket=ticket, body=_fill(rng, rng.choice(SOLUTIONS), agent=agent.name)
        )
        made += 2
    return made


def _internal_ticket(
    session: Session,
    rng: random.Random,
    story: _Clock,
    agents: list[User],
    channel_list: dict[str, Channel],
    customers: list[Contact],
    suppliers: list[Contact],
    project_list: list[Project],
) -> int:
    creator, owner = rng.sample(agents, 2)
    subject, body = rng.choice(INTERNAL_TOPICS)
    ticket = tickets.open_internal_ticket(
        session,
        creator,
        owner=owner,
        subject=_fill(rng, subject),
        body=_fill(rng, body),
        priority=rng.randint(2, 6),
        **_extras(rng, project_list),  # type: ignore[arg-type]
    )
    made = 1
    if _maybe(rng, 0.6):
        story.advance(rng, 30, 1200)
        tickets.reply_to_ticket(
            session,
            owner,
            ticket=ticket,
            body=rng.choice(
                ["Mach ich.", "Erledige ich bis Freitag.", "Können wir morgen kurz sprechen?"]
            ),
        )
        made += 1
    if _maybe(rng, 0.35):
        story.advance(rng, 60, 3000)
        tickets.add_solution(session, owner, ticket=ticket, body="Erledigt.")
        made += 2
    return made


def _supplier_ticket(
    session: Session,
    rng: random.Random,
    story: _Clock,
    agents: list[User],
    channel_list: dict[str, Channel],
    customers: list[Contact],
    suppliers: list[Contact],
    project_list: list[Project],
) -> int:
    supplier = rng.choice(suppliers)
    address = contacts.primary_address(session, supplier)
    channel = channel_list["Einkauf"]
    account = accounts.get_account(session, "einkauf")
    agent = _agent_for(rng, agents, "Vertrieb")
    subject, body = rng.choice(SUPPLIER_MAILS)
    ticket = tickets.open_mail_ticket(
        session,
        agent,
        account=account,
        channel=channel,
        to=[address],
        subject=_fill(rng, subject),
        body=_fill(rng, body, agent=agent.name),
        priority=rng.randint(3, 6),
        categories=["Lieferung"],
        **_extras(rng, project_list),  # type: ignore[arg-type]
    )
    made = 1
    if _maybe(rng, 0.7):
        story.advance(rng, 120, 2880)
        tickets.add_customer_message(
            session,
            supplier,
            ticket=ticket,
            body=f"Guten Tag,\n\ndie Ware geht in KW {rng.randint(1, 52)} raus.\n\n"
            f"Mit freundlichen Grüßen\n{supplier.name}",
            subject="AW: " + ticket.subject,
            mail=tickets.MailFacts(
                message_id=make_message_id(address), mail_from=address, to=[account.address]
            ),
        )
        made += 1
    return made
