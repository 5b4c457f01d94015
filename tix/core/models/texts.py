"""Texts agents reuse: signatures under outgoing mail, and text modules (saved replies)."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, Text
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.account
import tix.core.models.channel
import tix.core.models.user  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class Signature(TixModel, table=True):
    """The signature of one channel, one mail account or one agent (exactly one is set).

    A mail from a ticket is signed with its account's signature, else its channel's;
    the agent's own signature goes above it (or where it says ``{{ agent.signature }}``).
    """

    __tablename__ = "signatures"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN channel_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN account_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_signatures_one_owner",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int | None = Field(
        default=None, foreign_key="channels.id", unique=True, ondelete="CASCADE"
    )
    account_id: int | None = Field(
        default=None, foreign_key="mail_accounts.id", unique=True, ondelete="CASCADE"
    )
    user_id: int | None = Field(
        default=None, foreign_key="users.id", unique=True, ondelete="CASCADE"
    )
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """Markdown with variables (``{{ agent.name }}`` ...), rendered when a mail is queued."""
    acknowledgements: bool = False
    """Also sign the channel's automatic acknowledgements (channel and account only)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TextModule(TixModel, table=True):
    """One language variant of a named text (Zammad's text modules, FreeScout's saved
    replies): global (no channel) or for one channel's tickets."""

    __tablename__ = "text_modules"
    __table_args__ = (Index("ix_text_modules_name", "name", "channel_id", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    channel_id: int | None = Field(default=None, foreign_key="channels.id", ondelete="CASCADE")
    """``None``: every agent may use it on every ticket."""
    language: str = Field(default="", max_length=16)
    """``en``, ``de``, or empty: for any language without its own variant."""
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    """Markdown with variables (``{{ customer.first_name }}`` ...)."""
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
