"""What the mail import remembers: where each account's sync stands, and every message
it has seen (imported, a duplicate, left alone, or unprocessable)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.account
import tix.core.models.activity
import tix.core.models.ticket
import tix.core.models.work  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class SyncState(TixModel, table=True):
    """How far an account's folder has been read (IMAP UIDs are per UIDVALIDITY)."""

    __tablename__ = "mail_sync_state"

    account_id: int = Field(foreign_key="mail_accounts.id", primary_key=True, ondelete="CASCADE")
    folder: str = Field(primary_key=True, max_length=255)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    last_uid: int = Field(sa_column=Column(BigInteger, nullable=False, default=0))
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    """Its Message-ID was imported before (another folder, a re-delivery)."""
    IGNORED = "ignored"
    """Kept but not put on a ticket: tix's own notification, an auto-reply to nothing."""
    UNPROCESSABLE = "unprocessable"
    """Could not be read or was too large; the raw bytes are kept."""


class MailImport(TixModel, table=True):
    """One message seen by the mail import, with its raw bytes (in ``blobs``)."""

    __tablename__ = "mail_imports"
    __table_args__ = (
        UniqueConstraint("account_id", "folder", "uidvalidity", "uid", name="uq_mail_imports_uid"),
        Index("ix_mail_imports_message_id", "message_id"),
        Index("ix_mail_imports_status", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="mail_accounts.id")
    folder: str = Field(default="", max_length=255)
    """Empty for files given to ``tix mail import``."""
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    uid: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    """IMAP UID (or the message's number in an imported file); ``None`` otherwise."""
    source: str = Field(default="", max_length=500)
    """Where it came from: ``imap`` or the file name."""
    message_id: str | None = Field(default=None, max_length=998)
    sha256: str | None = Field(default=None, foreign_key="blobs.sha256", max_length=64)
    size: int = 0
    status: str = Field(max_length=16)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activities.id")
    reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
