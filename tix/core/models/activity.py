"""Activities: everything that happened in a ticket, in order. Append-only."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.contact
import tix.core.models.ticket
import tix.core.models.user  # noqa: F401
from tix.core.models.base import StrEnumText, TixModel, UTCDateTime, utcnow


class ActivityKind(StrEnum):
    MESSAGE = "message"
    """From the external party (mail, web form, portal) or taken down for them (phone)."""
    REPLY = "reply"
    """From staff; on mail and request tickets it is e-mailed."""
    NOTE = "note"
    """Internal; never sent, never shown to customers."""
    SOLUTION = "solution"
    """How the ticket was solved; sets the status to solved."""
    CHANGE = "change"
    """A field changed: ``field`` from ``old_value`` to ``new_value``."""
    TIME = "time"
    FILE = "file"
    WATCHER = "watcher"
    ALARM = "alarm"
    DOCUMENT = "document"
    PROJECT = "project"
    DELIVERY = "delivery"
    """A mail tix sent could not be delivered (the server refused it for good)."""


class Direction(StrEnum):
    """Which way a mail went: received by tix, or sent by it."""

    IN = "in"
    OUT = "out"


MESSAGE_KINDS = (ActivityKind.MESSAGE, ActivityKind.REPLY, ActivityKind.SOLUTION)
"""Kinds that carry a message to or from the other side; the first is the first message."""


class Activity(TixModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("ticket_id", "seq", name="uq_activities_ticket_seq"),
        Index("ix_activities_message_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", ondelete="CASCADE")
    seq: int
    """Position within the ticket, from 1."""
    kind: ActivityKind = Field(sa_type=StrEnumText(ActivityKind, 16))
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    author_contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """Plain text (Markdown for staff-written text)."""
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """Sanitised HTML of received mail, for display."""
    field: str | None = Field(default=None, max_length=32)
    old_value: str | None = Field(default=None, max_length=500)
    new_value: str | None = Field(default=None, max_length=500)
    # mail
    direction: Direction | None = Field(default=None, sa_type=StrEnumText(Direction, 8))
    """``in`` for received mail, ``out`` for mail tix sends; ``None`` otherwise."""
    message_id: str | None = Field(default=None, max_length=998)
    in_reply_to: str | None = Field(default=None, max_length=998)
    mail_from: str | None = Field(default=None, max_length=998)
    mail_to: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    mail_cc: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    mail_bcc: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """Extra facts of record activities (time booked, file names ...)."""
