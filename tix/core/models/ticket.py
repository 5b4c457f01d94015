"""Tickets, their categories and their watchers."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.account
import tix.core.models.channel
import tix.core.models.contact
import tix.core.models.project
import tix.core.models.user  # noqa: F401
from tix.core.models.base import StrEnumText, TixModel, UTCDateTime, utcnow


class TicketKind(StrEnum):
    INTERNAL = "internal"
    """Between its creator and its owner only."""
    MAIL = "mail"
    """With an external contact by e-mail."""
    REQUEST = "request"
    """Opened by an agent for a contact (a phone call); replies go out by mail."""


class TicketStatus(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING = "waiting"
    SOLVED = "solved"
    CLOSED = "closed"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.WAITING)
"""The statuses of a ticket that is not done yet."""


class TicketOrigin(StrEnum):
    """How the ticket came in; web form and portal tickets are mail-like tickets."""

    AGENT = "agent"
    MAIL = "mail"
    PHONE = "phone"
    WEBFORM = "webform"
    PORTAL = "portal"
    API = "api"


PRIORITY_MIN = 1
PRIORITY_MAX = 9
PRIORITY_DEFAULT = 5


_VERSION = Column("version", Integer, nullable=False)
"""SQLAlchemy checks it on every UPDATE (``version_id_col``): no write on a stale read."""


class Ticket(TixModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 9", name="ck_tickets_priority"),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_owner", "owner_id", "updated_at"),
        Index("ix_tickets_channel", "channel_id", "updated_at"),
        Index("ix_tickets_customer", "customer_id"),
        Index("ix_tickets_status", "status", "updated_at"),
        Index("ix_tickets_sla_due", "sla_due_at", "id"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_priority", "priority", "id"),
        Index("ix_tickets_owner_status", "owner_id", "status", "updated_at", "id"),
        Index("ix_tickets_channel_status", "channel_id", "status", "updated_at", "id"),
        # Partial in the database (WHERE the column IS NOT NULL, migration 0012): most
        # tickets have neither, and statistics that count the empty values as one make
        # SQLite read the whole table instead. Not said here: sqlite_where= and
        # postgresql_where= would import both dialects into every command (~30 ms).
        Index("ix_tickets_merged_into", "merged_into_id"),
        Index("ix_tickets_project", "project_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(unique=True)
    """What people call the ticket: ``#1042``."""
    kind: TicketKind = Field(sa_type=StrEnumText(TicketKind, 16))
    status: TicketStatus = Field(default=TicketStatus.NEW, sa_type=StrEnumText(TicketStatus, 16))
    subject: str = Field(max_length=500)
    """The short description (Betreff)."""
    priority: int = PRIORITY_DEFAULT
    color: str | None = Field(default=None, max_length=32)
    """One color mark, e.g. ``red``."""
    origin: TicketOrigin = Field(default=TicketOrigin.AGENT, sa_type=StrEnumText(TicketOrigin, 16))
    channel_id: int | None = Field(default=None, foreign_key="channels.id")
    """``None`` only for internal tickets."""
    owner_id: int = Field(foreign_key="users.id")
    creator_user_id: int | None = Field(default=None, foreign_key="users.id")
    creator_contact_id: int | None = Field(default=None, foreign_key="contacts.id")
    """Set instead of ``creator_user_id`` for tickets the customer opened."""
    customer_id: int | None = Field(default=None, foreign_key="contacts.id")
    """The external party of mail and request tickets."""
    account_id: int | None = Field(default=None, foreign_key="mail_accounts.id")
    """The mail account replies go out from."""
    project_id: int | None = Field(default=None, foreign_key="projects.id")
    form_values: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """What the customer filled in on the channel's form."""
    first_activity_id: int | None = None
    """The first message, shown above the activities. No FK: activities point here too."""
    version: int = Field(default=1, sa_column=_VERSION)
    """Bumped on every change; a write with an older version is a conflict."""
    activity_seq: int = 0
    """The last activity's ``seq``; activities number themselves from it."""
    merged_into_id: int | None = Field(default=None)
    """The ticket this one was merged into (it is closed then). No FK, as
    ``first_activity_id``: adding one would rebuild the table on SQLite."""
    sla_policy_id: int | None = None
    """The SLA policy whose clocks run on the ticket (no FK, as ``first_activity_id``:
    adding one would rebuild the table on SQLite). Set by :mod:`tix.core.services.sla`."""
    sla_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The next SLA deadline still to meet; ``None`` when none runs (met, no policy, or
    paused while the ticket waits). Kept so lists filter and sort by it."""
    sla_due_kind: str | None = Field(default=None, max_length=16)
    """Which target ``sla_due_at`` is: ``first_response`` or ``solution``."""
    sla_paused_left: int | None = None
    """While the ticket waits: the business minutes left of its next target."""
    sla_warned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the owner was warned of ``sla_due_at``; cleared when the deadline moves. A
    worker claims the warning by setting it where it is still empty: one wins."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    __mapper_args__ = {"version_id_col": _VERSION}  # noqa: RUF012


class Category(TixModel, table=True):
    __tablename__ = "categories"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)


class TicketCategory(TixModel, table=True):
    __tablename__ = "ticket_categories"

    ticket_id: int = Field(foreign_key="tickets.id", primary_key=True, ondelete="CASCADE")
    category_id: int = Field(
        foreign_key="categories.id", primary_key=True, ondelete="CASCADE", index=True
    )


class Watcher(TixModel, table=True):
    """A user or a whole group told about every new activity of a ticket."""

    __tablename__ = "watchers"
    __table_args__ = (
        UniqueConstraint("ticket_id", "user_id", name="uq_watchers_user"),
        UniqueConstraint("ticket_id", "group_id", name="uq_watchers_group"),
        CheckConstraint(
            "(user_id IS NULL) <> (group_id IS NULL)", name="ck_watchers_user_or_group"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="groups.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
