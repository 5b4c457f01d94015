"""What is done on a ticket besides writing: times, files, alarms, notifications."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.activity
import tix.core.models.document
import tix.core.models.ticket
import tix.core.models.user  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class TimeEntry(TixModel, table=True):
    """Time a user spent on a ticket."""

    __tablename__ = "time_entries"
    __table_args__ = (
        CheckConstraint("minutes > 0", name="ck_time_entries_minutes"),
        Index("ix_time_entries_ticket", "ticket_id", "work_date"),
        Index("ix_time_entries_user", "user_id", "work_date"),
        Index("ix_time_entries_date", "work_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id")
    work_date: date
    minutes: int
    note: str = Field(default="", max_length=1000)
    billable: bool = True
    document_id: int | None = Field(default=None, foreign_key="documents.id", index=True)
    """The invoice this time was billed on; a time is billed once."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Blob(TixModel, table=True):
    """File contents, stored once however many tickets carry them."""

    __tablename__ = "blobs"

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketFile(TixModel, table=True):
    """A file on a ticket: uploaded directly, or an attachment of an activity."""

    __tablename__ = "ticket_files"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    activity_id: int | None = Field(default=None, foreign_key="activities.id", index=True)
    sha256: str = Field(foreign_key="blobs.sha256", index=True, max_length=64)
    name: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int
    content_id: str | None = Field(default=None, max_length=255)
    """For inline images of a mail, referenced from its HTML as ``cid:``."""
    inline: bool = False
    uploaded_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlarmVia(StrEnum):
    APP = "app"
    MAIL = "mail"


class Alarm(TixModel, table=True):
    """A reminder about a ticket, for oneself or a colleague, fired once at ``due_at``."""

    __tablename__ = "alarms"
    __table_args__ = (Index("ix_alarms_due", "fired_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    created_by_id: int = Field(foreign_key="users.id")
    recipient_id: int = Field(foreign_key="users.id", index=True)
    via: str = Field(default=AlarmVia.APP, max_length=8)
    note: str = Field(max_length=1000)
    due_at: datetime = Field(sa_type=UTCDateTime)
    fired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NotificationKind(StrEnum):
    ACTIVITY = "activity"
    ALARM = "alarm"
    ACCOUNT = "account"
    """A mail account stopped signing in (an OAuth2 token that can no longer be refreshed)."""
    SLA = "sla"
    """A ticket's SLA deadline is near or was missed."""


class Notification(TixModel, table=True):
    """An in-app message for a user: a new activity on a watched ticket, an alarm, or (for
    admins) a mail account that cannot sign in any more."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id", ondelete="CASCADE")
    activity_id: int | None = Field(default=None, foreign_key="activities.id")
    alarm_id: int | None = Field(default=None, foreign_key="alarms.id")
    text: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
