"""The demo company and the stories of its tickets.

Each story tells one ticket through a :class:`Desk`: the ticket services themselves
(:class:`tix.demo.build.ServiceDesk`) or the bulk loader
(:class:`tix.demo.build.BulkDesk`), which keep the same rules. A story draws from the
random generator the same way whichever desk tells it, so a seed gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from tix.core.models import Channel, Contact, MailAccount, Project, TicketStatus, User
from tix.core.services.messages import MailFacts
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


class Clock:
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


class Desk(Protocol):
    """What a story does to a ticket; ``ticket`` is what the desk's open_* returned
    (with ``number``, ``status``, ``subject``, ``owner_id`` and ``customer_id``)."""

    def primary_address(self, contact: Contact) -> str: ...
    def channel_account(self, channel: Channel) -> MailAccount: ...
    def user(self, user_id: int) -> User: ...
    def open_customer_ticket(
        self,
        contact: Contact,
        *,
        channel: Channel,
        subject: str,
        body: str,
        mail: MailFacts,
        priority: int,
        categories: list[str],
    ) -> Any: ...
    def open_request_ticket(
        self,
        actor: User,
        *,
        channel: Channel,
        customer: Contact,
        subject: str,
        body: str,
        priority: int,
        categories: list[str],
        project: Project | None,
        color: str | None,
    ) -> Any: ...
    def open_internal_ticket(
        self,
        actor: User,
        *,
        owner: User,
        subject: str,
        body: str,
        priority: int,
        project: Project | None,
        color: str | None,
    ) -> Any: ...
    def open_mail_ticket(
        self,
        actor: User,
        *,
        account: MailAccount,
        channel: Channel,
        to: list[str],
        subject: str,
        body: str,
        priority: int,
        categories: list[str],
        project: Project | None,
        color: str | None,
    ) -> Any: ...
    def reply_to_ticket(self, actor: User, *, ticket: Any, body: str) -> None: ...
    def add_note(self, actor: User, *, ticket: Any, body: str) -> None: ...
    def add_solution(self, actor: User, *, ticket: Any, body: str) -> None: ...
    def add_customer_message(
        self, contact: Contact, *, ticket: Any, body: str, subject: str, mail: MailFacts
    ) -> None: ...
    def change_ticket(
        self,
        actor: User,
        *,
        ticket: Any,
        status: str | None = None,
        owner: User | None = None,
        color: str | None = None,
        project: Project | None = None,
    ) -> int: ...
    def book_time(
        self,
        actor: User,
        *,
        ticket: Any,
        minutes: int,
        work_date: date,
        note: str,
        billable: bool,
    ) -> None: ...
    def add_files(self, actor: User, *, ticket: Any, files: list[NewFile]) -> None: ...
    def set_alarm(self, actor: User, *, ticket: Any, due_at: datetime, note: str) -> None: ...
    def create_invoice(self, actor: User, *, ticket: Any, issued: date) -> bool:
        """An invoice of the ticket's billable times; False if it has none."""
        ...


@dataclass
class Cast:
    """Who and what the stories are about."""

    agents: list[User]
    channels: dict[str, Channel]
    customers: list[Contact]
    suppliers: list[Contact]
    projects: list[Project]


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


Story = Callable[[Desk, random.Random, Clock, Cast], int]
"""Tells one ticket's story; returns how many activities it made."""


def ticket_stories(rng: random.Random, count: int) -> Iterator[Story]:
    kinds = ["customer"] * 55 + ["request"] * 15 + ["internal"] * 15 + ["supplier"] * 15
    for _number in range(count):
        yield {
            "customer": customer_ticket,
            "request": request_ticket,
            "internal": internal_ticket,
            "supplier": supplier_ticket,
        }[rng.choice(kinds)]


def _agent_for(rng: random.Random, agents: list[User], channel: str) -> User:
    """An agent of the group that works ``channel``."""
    group = "Support" if channel == "Support" else "Vertrieb"
    pool = [agent for agent, spec in zip(agents, AGENTS, strict=True) if group in spec[2]]
    return rng.choice(pool)


def _maybe(rng: random.Random, share: float) -> bool:
    return rng.random() < share


def _extras(rng: random.Random, project_list: list[Project]) -> dict[str, Any]:
    return {
        "color": rng.choice(["red", "orange", "green", "blue"]) if _maybe(rng, 0.15) else None,
        "project": rng.choice(project_list) if _maybe(rng, 0.12) else None,
    }


def _finish(
    desk: Desk,
    rng: random.Random,
    story: Clock,
    ticket: Any,
    agent: User,
    extras: dict[str, Any],
) -> int:
    """Set the final status, color and project, as agents would over time."""
    made = 0
    changes: dict[str, Any] = {}
    if extras.get("color"):
        changes["color"] = extras["color"]
    if extras.get("project") is not None:
        changes["project"] = extras["project"]
    roll = rng.random()
    if ticket.status not in (TicketStatus.SOLVED,) and roll < 0.25:
        changes["status"] = rng.choice([TicketStatus.WAITING, TicketStatus.CLOSED])
    if changes:
        story.advance(rng, 10, 600)
        made += desk.change_ticket(agent, ticket=ticket, **changes)
    return made + _work(desk, rng, story, ticket, agent)


def _work(desk: Desk, rng: random.Random, story: Clock, ticket: Any, agent: User) -> int:
    """Time booked, files, an alarm and an invoice, as the ticket's work went."""
    made = 0
    if _maybe(rng, 0.55):
        for _round in range(rng.randint(1, 3)):
            desk.book_time(
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
        desk.add_files(
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
        desk.set_alarm(
            agent,
            ticket=ticket,
            due_at=due,
            note=rng.choice(["Beim Kunden nachfragen", "Liefertermin prüfen", "Rückruf"]),
        )
        made += 1
    if ticket.status == TicketStatus.SOLVED and ticket.customer_id is not None and _maybe(rng, 0.3):
        issued = story.current.astimezone(BERLIN).date()
        if desk.create_invoice(agent, ticket=ticket, issued=issued):
            made += 1
    return made


def customer_ticket(desk: Desk, rng: random.Random, story: Clock, cast: Cast) -> int:
    customer = rng.choice(cast.customers)
    address = desk.primary_address(customer)
    subject, body, categories, priority = rng.choice(CUSTOMER_ISSUES)
    channel_name = "Vertrieb" if "Angebot" in categories or "Schulung" in categories else "Support"
    channel = cast.channels[channel_name]
    account = desk.channel_account(channel)
    ticket = desk.open_customer_ticket(
        customer,
        channel=channel,
        subject=_fill(rng, subject),
        body=_fill(rng, body, name=customer.name),
        mail=MailFacts(
            message_id=make_message_id(address), mail_from=address, to=[account.address]
        ),
        priority=max(1, min(9, priority + rng.randint(-1, 1))),
        categories=categories,
    )
    made = 1
    agent = desk.user(ticket.owner_id)
    if _maybe(rng, 0.3):
        other = _agent_for(rng, cast.agents, channel_name)
        story.advance(rng, 5, 90)
        made += desk.change_ticket(agent, ticket=ticket, owner=other)
        agent = other
    for _round in range(rng.choice([0, 1, 1, 2, 2, 3])):
        story.advance(rng, 20, 900)
        desk.reply_to_ticket(
            agent,
            ticket=ticket,
            body=_fill(
                rng, rng.choice(AGENT_REPLIES), customer=customer.name.split()[0], agent=agent.name
            ),
        )
        made += 1
        if _maybe(rng, 0.4):
            story.advance(rng, 30, 600)
            desk.add_note(agent, ticket=ticket, body=_fill(rng, rng.choice(NOTES)))
            made += 1
        if _maybe(rng, 0.6):
            story.advance(rng, 60, 1440)
            desk.add_customer_message(
                customer,
                ticket=ticket,
                body=_fill(rng, rng.choice(CUSTOMER_FOLLOWUPS), name=customer.name),
                subject="Re: " + ticket.subject,
                mail=MailFacts(
                    message_id=make_message_id(address), mail_from=address, to=[account.address]
                ),
            )
            made += 1
    if _maybe(rng, 0.45):
        story.advance(rng, 60, 2880)
        desk.add_solution(
            agent, ticket=ticket, body=_fill(rng, rng.choice(SOLUTIONS), agent=agent.name)
        )
        made += 2
    return made + _finish(desk, rng, story, ticket, agent, _extras(rng, cast.projects))


def request_ticket(desk: Desk, rng: random.Random, story: Clock, cast: Cast) -> int:
    customer = rng.choice(cast.customers)
    subject, body = rng.choice(PHONE_REQUESTS)
    channel_name = rng.choice(["Support", "Vertrieb"])
    agent = _agent_for(rng, cast.agents, channel_name)
    ticket = desk.open_request_ticket(
        agent,
        channel=cast.channels[channel_name],
        customer=customer,
        subject=_fill(rng, subject),
        body=_fill(rng, body, name=customer.name),
        priority=rng.randint(3, 7),
        categories=[rng.choice(CATEGORIES)] if _maybe(rng, 0.6) else [],
        **_extras(rng, cast.projects),
    )
    made = 1
    if _maybe(rng, 0.7):
        story.advance(rng, 30, 600)
        desk.reply_to_ticket(
            agent,
            ticket=ticket,
            body=_fill(
                rng, rng.choice(AGENT_REPLIES), customer=customer.name.split()[0], agent=agent.name
            ),
        )
        made += 1
    if _maybe(rng, 0.4):
        story.advance(rng, 60, 2000)
        desk.add_solution(
            agent, ticket=ticket, body=_fill(rng, rng.choice(SOLUTIONS), agent=agent.name)
        )
        made += 2
    return made


def internal_ticket(desk: Desk, rng: random.Random, story: Clock, cast: Cast) -> int:
    creator, owner = rng.sample(cast.agents, 2)
    subject, body = rng.choice(INTERNAL_TOPICS)
    ticket = desk.open_internal_ticket(
        creator,
        owner=owner,
        subject=_fill(rng, subject),
        body=_fill(rng, body),
        priority=rng.randint(2, 6),
        **_extras(rng, cast.projects),
    )
    made = 1
    if _maybe(rng, 0.6):
        story.advance(rng, 30, 1200)
        desk.reply_to_ticket(
            owner,
            ticket=ticket,
            body=rng.choice(
                ["Mach ich.", "Erledige ich bis Freitag.", "Können wir morgen kurz sprechen?"]
            ),
        )
        made += 1
    if _maybe(rng, 0.35):
        story.advance(rng, 60, 3000)
        desk.add_solution(owner, ticket=ticket, body="Erledigt.")
        made += 2
    return made


def supplier_ticket(desk: Desk, rng: random.Random, story: Clock, cast: Cast) -> int:
    supplier = rng.choice(cast.suppliers)
    address = desk.primary_address(supplier)
    channel = cast.channels["Einkauf"]
    account = desk.channel_account(channel)
    agent = _agent_for(rng, cast.agents, "Vertrieb")
    subject, body = rng.choice(SUPPLIER_MAILS)
    ticket = desk.open_mail_ticket(
        agent,
        account=account,
        channel=channel,
        to=[address],
        subject=_fill(rng, subject),
        body=_fill(rng, body, agent=agent.name),
        priority=rng.randint(3, 6),
        categories=["Lieferung"],
        **_extras(rng, cast.projects),
    )
    made = 1
    if _maybe(rng, 0.7):
        story.advance(rng, 120, 2880)
        desk.add_customer_message(
            supplier,
            ticket=ticket,
            body=f"Guten Tag,\n\ndie Ware geht in KW {rng.randint(1, 52)} raus.\n\n"
            f"Mit freundlichen Grüßen\n{supplier.name}",
            subject="AW: " + ticket.subject,
            mail=MailFacts(
                message_id=make_message_id(address), mail_from=address, to=[account.address]
            ),
        )
        made += 1
    return made
