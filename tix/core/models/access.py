"""Access from the web: API keys, customer portal sessions and one-time tokens, and
the record of recent attempts that rate limits count."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.contact
import tix.core.models.user  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class ApiKey(TixModel, table=True):
    """A key for the web API. Only its SHA-256 is stored; the key is shown once."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    prefix: str = Field(max_length=16, index=True)
    """The key's first characters, to tell keys apart in lists and logs."""
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id")
    """The agent the key acts as: its access rules apply."""
    channels: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """Channel names the key may use; ``None``: every channel the agent may."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PortalSession(TixModel, table=True):
    """A logged-in customer in the portal (the cookie holds the token, stored hashed)."""

    __tablename__ = "portal_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    contact_id: int = Field(foreign_key="contacts.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class TokenPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class PortalToken(TixModel, table=True):
    """A one-time link (invitation or password reset), stored hashed."""

    __tablename__ = "portal_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    contact_id: int = Field(foreign_key="contacts.id", ondelete="CASCADE")
    purpose: str = Field(max_length=16)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attempt(TixModel, table=True):
    """One counted attempt (a login, a web form post) for rate limits across processes."""

    __tablename__ = "attempts"
    __table_args__ = (Index("ix_attempts_key", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
