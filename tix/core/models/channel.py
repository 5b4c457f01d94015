"""Channels: where tickets are handled and who may see them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.user  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class Channel(TixModel, table=True):
    __tablename__ = "channels"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    default_owner_id: int | None = Field(default=None, foreign_key="users.id")
    """Owner of tickets that arrive without one (mail, web form, portal)."""
    acknowledge: bool = False
    """Answer a customer's new ticket at once with ``ack_subject`` / ``ack_body``."""
    ack_subject: str = Field(default="", max_length=500)
    ack_body: str = Field(default="", max_length=10000)
    form: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """The fields a customer fills in when opening a ticket here (portal, web form)."""
    web: bool = False
    """Customers may open tickets here through the portal and the web form."""
    allowed_origins: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """Web sites (``https://www.example.com``) whose pages may post the web form."""
    stranger_follow_ups: str = Field(default="attach", max_length=16)
    """A mail with a ticket's tag from an address unknown to the ticket: ``attach`` it as
    a third party's message (no reopening), or open a ``new`` ticket for it."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChannelGroup(TixModel, table=True):
    """Members of ``group_id`` may see and work the channel's tickets."""

    __tablename__ = "channel_groups"

    channel_id: int = Field(foreign_key="channels.id", primary_key=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="groups.id", primary_key=True, ondelete="CASCADE")
