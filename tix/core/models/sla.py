"""Business calendars and SLA policies (targets per channel and priority)."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column
from sqlmodel import Field

# The tables this module's foreign keys point to, mapped with it so a flush can order them.
import tix.core.models.channel  # noqa: F401
from tix.core.models.base import TixModel, UTCDateTime, utcnow


class BusinessCalendar(TixModel, table=True):
    """When the helpdesk works: weekly hours in a time zone, less public holidays and
    extra closed days. SLA clocks run only in its open hours."""

    __tablename__ = "business_calendars"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    timezone: str = Field(max_length=64)
    """An IANA zone name, e.g. ``Europe/Berlin``; the hours are wall-clock hours there."""
    hours: dict[str, list[str]] = Field(sa_column=Column(JSON, nullable=False))
    """Weekday key (``mon`` ... ``sun``) -> ranges like ``08:00-17:00``."""
    country: str | None = Field(default=None, max_length=8)
    """Public holidays of this country (``holidays`` package code, e.g. ``DE``)."""
    subdivision: str | None = Field(default=None, max_length=16)
    """... and of this state or region (``BY``)."""
    closed_days: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """Extra closed days, ISO dates, sorted."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SlaPolicy(TixModel, table=True):
    """Targets for the tickets of a channel (or every channel) within a priority range.

    The most specific policy applies: one for the ticket's channel before one for every
    channel, a narrower priority range before a wider one.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (
        CheckConstraint(
            "priority_min BETWEEN 1 AND 9 AND priority_max BETWEEN priority_min AND 9",
            name="ck_sla_policies_priorities",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    channel_id: int | None = Field(default=None, foreign_key="channels.id", index=True)
    """``None``: every channel."""
    priority_min: int = 1
    priority_max: int = 9
    first_response_minutes: int | None = None
    """Business minutes until the first reply to the customer; ``None``: no target."""
    solution_minutes: int | None = None
    """Business minutes until the ticket is solved; ``None``: no target."""
    calendar_id: int = Field(foreign_key="business_calendars.id", index=True)
    warn_before_minutes: int = 60
    """Business minutes before a breach when the owner is warned."""
    warn_watchers: bool = False
    """Warn the ticket's watchers too, not only its owner."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
