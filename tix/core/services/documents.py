"""Documents (Belege) drafted from a ticket: quotes, order confirmations, invoices.

Lines come from the ticket's unbilled billable times (hours × the user's hourly rate,
else the default rate) and/or are given. Documents are numbered per kind and year
(``RE-2026-0001``); times put on an invoice are marked billed and never billed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.errors import Invalid, Malformed, NotFound
from tix.core.i18n import _
from tix.core.models import (
    DOCUMENT_PREFIXES,
    ActivityKind,
    Contact,
    Document,
    DocumentKind,
    DocumentLine,
    Ticket,
    TimeEntry,
    User,
)
from tix.core.permissions import require_see, visible_tickets
from tix.core.services.activities import append_activity, lock, next_number

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = ""


def parse_line(text: str) -> LineInput:
    """``"Description;quantity;unit price[;unit]"``, decimals with . or ,"""
    parts = [part.strip() for part in text.split(";")]
    if len(parts) not in (3, 4) or not parts[0]:
        raise Malformed(
            _(
                '{text!r} is not a document line: write it as "Description;quantity;unit price" '
                'or "Description;quantity;unit price;unit"'
            ).format(text=text)
        )
    try:
        quantity = Decimal(parts[1].replace(",", "."))
        price = Decimal(parts[2].replace(",", "."))
    except InvalidOperation:
        raise Malformed(
            _('{text!r}: quantity and unit price must be numbers, e.g. "Seal kit;2;19,90"').format(
                text=text
            )
        ) from None
    if quantity <= 0 or price < 0:
        raise Malformed(
            _("{text!r}: the quantity must be above zero and the price not negative").format(
                text=text
            )
        )
    return LineInput(parts[0], quantity, price, parts[3] if len(parts) == 4 else "")


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value.strip().lower())
    except ValueError:
        raise Malformed(
            _("unknown document type {value!r}: use quote, order or invoice").format(value=value)
        ) from None


def create_document(
    session: Session,
    actor: User,
    *,
    ticket: Ticket,
    kind: str,
    from_times: bool = False,
    lines: Sequence[LineInput] = (),
    issued: date,
    default_rate: Decimal,
    vat_rate: Decimal,
    currency: str = "EUR",
) -> Document:
    """Draft a document for the ticket's customer."""
    require_see(session, actor, ticket)
    document_kind = _kind(kind)
    if ticket.customer_id is None:
        raise Invalid(
            _(
                "ticket #{number} has no customer to address a document to: documents are made "
                "from mail and request tickets"
            ).format(number=ticket.number)
        )
    times: list[tuple[TimeEntry, User]] = []
    if from_times:
        times = [
            (entry, user)
            for entry, user in session.execute(
                select(TimeEntry, User)
                .join(User, col(User.id) == TimeEntry.user_id)
                .where(
                    col(TimeEntry.ticket_id) == ticket.id,
                    col(TimeEntry.billable).is_(True),
                    col(TimeEntry.document_id).is_(None),
                )
                .order_by(col(TimeEntry.work_date), col(TimeEntry.id))
                .with_for_update()
            ).all()
        ]
    if not times and not lines:
        raise Invalid(
            _(
                "nothing to put on the document: ticket #{number} has no unbilled billable times"
                "{hint}"
            ).format(
                number=ticket.number,
                hint="" if from_times else _(" (use --from-times) and no --line was given"),
            )
        )
    lock(session, ticket)
    number = _number(session, document_kind, issued.year)
    assert ticket.id is not None and actor.id is not None
    document = Document(
        number=number,
        kind=document_kind,
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        created_by_id=actor.id,
        issued=issued,
        currency=currency,
        vat_rate=vat_rate,
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    position = 0
    for entry, user in times:
        position += 1
        hours = (Decimal(entry.minutes) / 60).quantize(Decimal("0.001"), ROUND_HALF_UP)
        label = f"{entry.work_date.strftime('%d.%m.%Y')} {user.name}"
        session.add(
            DocumentLine(
                document_id=document.id,
                position=position,
                description=f"{label}: {entry.note}" if entry.note else label,
                quantity=hours,
                unit="h",
                unit_price=user.hourly_rate or default_rate,
                time_entry_id=entry.id,
            )
        )
        if document_kind == DocumentKind.INVOICE:
            entry.document_id = document.id
    for line in lines:
        position += 1
        session.add(
            DocumentLine(
                document_id=document.id,
                position=position,
                description=line.description[:1000],
                quantity=line.quantity,
                unit=line.unit or _("pc"),
                unit_price=line.unit_price,
            )
        )
    session.flush()
    net, _vat, gross = totals(session, document)
    append_activity(
        session,
        ticket,
        kind=ActivityKind.DOCUMENT,
        author=actor,
        body=f"{number}: {net} {currency}",
        details={
            "document": number,
            "type": document_kind.value,
            "net": str(net),
            "gross": str(gross),
            "times": len(times),
        },
    )
    return document


def _number(session: Session, kind: DocumentKind, year: int) -> str:
    value = next_number(session, f"document:{kind.value}:{year}")
    return f"{DOCUMENT_PREFIXES[kind]}-{year}-{value:04d}"


def document_lines(session: Session, document: Document) -> list[DocumentLine]:
    return list(
        session.execute(
            select(DocumentLine)
            .where(col(DocumentLine.document_id) == document.id)
            .order_by(col(DocumentLine.position))
        )
        .scalars()
        .all()
    )


def totals(session: Session, document: Document) -> tuple[Decimal, Decimal, Decimal]:
    """Net, VAT and gross, each rounded half up to cents."""
    net = sum(
        (
            (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP)
            for line in document_lines(session, document)
        ),
        Decimal("0.00"),
    )
    vat = (net * document.vat_rate / 100).quantize(CENT, ROUND_HALF_UP)
    return net, vat, net + vat


def get_document(session: Session, actor: User, reference: str) -> Document:
    """A document by its number (``RE-2026-0001``) or id, if the actor may see its ticket."""
    reference = reference.strip()
    document = session.execute(
        select(Document).where(col(Document.number) == reference.upper())
    ).scalar_one_or_none()
    if document is None and reference.isdigit():
        document = session.get(Document, int(reference))
    if document is None:
        raise NotFound(
            _("no document {reference}: see `tix document list`").format(reference=reference)
        )
    ticket = session.get(Ticket, document.ticket_id)
    assert ticket is not None
    require_see(session, actor, ticket)
    return document


def list_documents(
    session: Session, actor: User, *, ticket: Ticket | None = None
) -> list[tuple[Document, int, str | None]]:
    """Documents on tickets the actor may see: (document, ticket number, customer name)."""
    query = (
        select(Document, col(Ticket.number), col(Contact.name))
        .join(Ticket, col(Ticket.id) == Document.ticket_id)
        .outerjoin(Contact, col(Contact.id) == Document.customer_id)
        .where(visible_tickets(session, actor))
    )
    if ticket is not None:
        query = query.where(col(Document.ticket_id) == ticket.id)
    return [
        (document, number, customer)
        for document, number, customer in session.execute(
            query.order_by(col(Document.issued).desc(), col(Document.id).desc())
        ).all()
    ]


def document_json(
    session: Session, document: Document, ticket_number: int, customer: str | None
) -> dict[str, Any]:
    net, vat, gross = totals(session, document)
    return {
        "number": document.number,
        "type": document.kind,
        "ticket": ticket_number,
        "customer": customer,
        "issued": document.issued.isoformat(),
        "currency": document.currency,
        "vat_rate": str(document.vat_rate),
        "net": str(net),
        "vat": str(vat),
        "gross": str(gross),
        "lines": [
            {
                "position": line.position,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price": str(line.unit_price),
            }
            for line in document_lines(session, document)
        ],
    }


def document_sheet(session: Session, actor: User, reference: str, *, company: str) -> Any:
    """Document ``reference`` laid out for its Excel file (a
    :class:`~tix.core.reports.DocumentSheet`), under ``company``'s lines (``|`` or
    line breaks between them): what ``tix document export`` and the TUI write."""
    from tix.core.models import Organization
    from tix.core.reports import DocumentLine as SheetLine
    from tix.core.reports import DocumentSheet
    from tix.core.services import contacts

    document = get_document(session, actor, reference)
    ticket = session.get(Ticket, document.ticket_id)
    assert ticket is not None
    contact = session.get(Contact, document.customer_id) if document.customer_id else None
    customer_lines: list[str] = []
    if contact is not None:
        if contact.organization_id:
            organization = session.get(Organization, contact.organization_id)
            if organization is not None:
                customer_lines.append(organization.name)
        customer_lines.extend(contacts.addresses_of(session, contact)[:1])
    return DocumentSheet(
        kind=document.kind,
        number=document.number,
        issued=document.issued,
        ticket_number=ticket.number,
        subject=ticket.subject,
        customer_name=contact.name if contact else "",
        customer_lines=customer_lines,
        company_lines=[
            line.strip() for line in company.replace("|", "\n").splitlines() if line.strip()
        ],
        currency=document.currency,
        vat_rate=document.vat_rate,
        lines=[
            SheetLine(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
            )
            for line in document_lines(session, document)
        ],
    )
