"""Outgoing mail waits here until a server accepts it."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.account
import tix.core.models.activity
import tix.core.models.ticket
import tix.core.models.work  # noqa: F401
from tix.core.models.base import StrEnumText, TixModel, UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    """Claimed by a sender until ``claimed_until``; pending again if that passes."""
    SENT = "sent"
    FAILED = "failed"
    """Permanently refused; shown on the ticket."""


class OutboxPurpose(StrEnum):
    NEW_TICKET = "new"
    REPLY = "reply"
    NOTIFICATION = "notification"
    ACKNOWLEDGEMENT = "acknowledgement"


class OutboxMessage(TixModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: OutboxPurpose = Field(sa_type=StrEnumText(OutboxPurpose, 16))
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activities.id")
    account_id: int | None = Field(default=None, foreign_key="mail_accounts.id")
    mail_from: str = Field(max_length=998)
    mail_to: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mail_cc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    mail_bcc: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    subject: str = Field(max_length=998)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """The text as written (Markdown); the HTML part is rendered from it when sending."""
    message_id: str = Field(max_length=998)
    in_reply_to: str | None = Field(default=None, max_length=998)
    references: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_type=StrEnumText(OutboxStatus, 16)
    )
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    envelope_to: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """Send only to these (a retry for recipients the server deferred); ``None``: all."""
    sha256: str | None = Field(default=None, foreign_key="blobs.sha256", max_length=64)
    """The message as sent (in ``blobs``)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
