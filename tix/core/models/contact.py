"""External parties: customers and suppliers, with their organisations."""

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field

from tix.core.models.base import TixModel, UTCDateTime, utcnow


class ContactKind(StrEnum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"


class Organization(TixModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Contact(TixModel, table=True):
    __tablename__ = "contacts"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    kind: str = Field(default=ContactKind.CUSTOMER, max_length=16)
    organization_id: int | None = Field(default=None, foreign_key="organizations.id", index=True)
    portal_enabled: bool = False
    """May log in to the customer portal."""
    password_hash: str | None = Field(default=None, max_length=255)
    """argon2 hash of the portal password; ``None`` until one is set."""
    sees_organization: bool = False
    """Sees the tickets of everyone in the organisation in the portal, not just their own."""
    language: str = Field(default="", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactAddress(TixModel, table=True):
    """One of a contact's e-mail addresses; an address belongs to one contact."""

    __tablename__ = "contact_addresses"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    address: str = Field(max_length=320, unique=True)
    """Stored lower-cased, so look-ups ignore case."""
    is_primary: bool = False
