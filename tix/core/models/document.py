"""Documents (Belege): quotes, order confirmations and invoices drafted from a ticket."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.contact
import tix.core.models.ticket
import tix.core.models.user
import tix.core.models.work  # noqa: F401
from tix.core.models.base import ScaledDecimal, TixModel, UTCDateTime, utcnow


class DocumentKind(StrEnum):
    QUOTE = "quote"
    ORDER = "order"
    INVOICE = "invoice"


DOCUMENT_PREFIXES = {DocumentKind.QUOTE: "AN", DocumentKind.ORDER: "AB", DocumentKind.INVOICE: "RE"}
"""Number prefixes (Angebot, Auftragsbestätigung, Rechnung): ``RE-2026-0001``."""


class Document(TixModel, table=True):
    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=16)
    ticket_id: int = Field(foreign_key="tickets.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="contacts.id")
    created_by_id: int = Field(foreign_key="users.id")
    issued: date
    currency: str = Field(default="EUR", max_length=3)
    vat_rate: Decimal = Field(sa_type=ScaledDecimal(2))
    """Percent."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentLine(TixModel, table=True):
    __tablename__ = "document_lines"
    __table_args__ = (UniqueConstraint("document_id", "position", name="uq_document_lines"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="documents.id", ondelete="CASCADE")
    position: int
    description: str = Field(max_length=1000)
    quantity: Decimal = Field(sa_type=ScaledDecimal(3))
    unit: str = Field(default="h", max_length=16)
    unit_price: Decimal = Field(sa_type=ScaledDecimal(2))
    time_entry_id: int | None = Field(default=None, foreign_key="time_entries.id")
