"""Staff users and the groups that give them access to channels."""

from datetime import datetime
from decimal import Decimal

from sqlmodel import Field

from tix.core.models.base import ScaledDecimal, TixModel, UTCDateTime, utcnow


class User(TixModel, table=True):
    """A member of staff (agent or admin). Owners are always users."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    is_admin: bool = False
    active: bool = True
    language: str = Field(default="", max_length=16)
    """Preferred language for notifications; empty follows the installation."""
    timezone: str = Field(default="", max_length=64)
    """IANA zone for dates this user enters and sees; empty: the installation's."""
    notify_by_mail: bool = False
    """Also mail this user about new activities on tickets they watch (besides in-app)."""
    hourly_rate: Decimal | None = Field(default=None, sa_type=ScaledDecimal(2))
    """What an hour of this user's time costs on documents; empty: the default rate."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Group(TixModel, table=True):
    """A user group; channels grant access to groups."""

    __tablename__ = "groups"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GroupMember(TixModel, table=True):
    __tablename__ = "group_members"

    group_id: int = Field(foreign_key="groups.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
