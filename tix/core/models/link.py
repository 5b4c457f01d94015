"""Links between tickets: related, parent and child, duplicate."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.ticket
import tix.core.models.user  # noqa: F401
from tix.core.models.base import StrEnumText, TixModel, UTCDateTime, utcnow


class LinkKind(StrEnum):
    """How two tickets are linked, as stored: from ``from_ticket_id``'s side."""

    RELATED = "related"
    """About the same matter; the same both ways."""
    PARENT = "parent"
    """``from`` is the parent of ``to`` (``to`` is its child)."""
    DUPLICATE = "duplicate"
    """``from`` is a duplicate of ``to``."""


class TicketLink(TixModel, table=True):
    """One link between two tickets; a pair of tickets has at most one."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("from_ticket_id", "to_ticket_id", name="uq_ticket_links_pair"),
        CheckConstraint("from_ticket_id <> to_ticket_id", name="ck_ticket_links_not_itself"),
    )

    id: int | None = Field(default=None, primary_key=True)
    from_ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    to_ticket_id: int = Field(foreign_key="tickets.id", index=True, ondelete="CASCADE")
    kind: LinkKind = Field(sa_type=StrEnumText(LinkKind, 16))
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
