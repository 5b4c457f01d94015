"""Column types and helpers shared by the models."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ConfigDict
from sqlalchemy import BigInteger, DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from tix.core import clock


def utcnow() -> datetime:
    """Now in UTC (the demo data and tests may set the clock: :mod:`tix.core.clock`)."""
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and always read back timezone-aware.

    SQLite has no time zones, so values are stored there as naive UTC; PostgreSQL
    stores ``timestamptz``. Either way Python sees aware UTC datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text from a textual query
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class TixModel(SQLModel):
    """Base of every table model.

    ``defer_build`` postpones pydantic's validator build to first use: table models
    are filled by SQLAlchemy, not validated, and the CLI starts ~40 ms faster.
    """

    model_config = ConfigDict(defer_build=True)  # type: ignore[assignment]


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact decimal with ``scale`` places, stored as an integer.

    SQLite has no exact decimal type (SQLAlchemy warns and rounds through float), so
    money and quantities are stored as integers of cents (or thousandths) on both
    databases and read back as :class:`~decimal.Decimal`.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        self.scale = scale
        self.factor = Decimal(10) ** scale

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * self.factor).to_integral_value(rounding=ROUND_HALF_UP))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self.factor).quantize(Decimal(1).scaleb(-self.scale))


E = TypeVar("E", bound=StrEnum)


class StrEnumText(TypeDecorator[E]):
    """A :class:`~enum.StrEnum` in a plain ``VARCHAR``: stored as its value (``"open"``),
    exactly as the strings were before, and read back as the enum member.

    Neither a database enum type nor SQLAlchemy's ``Enum`` (which stores member names):
    the schema and the stored values stay what they are. A value no member has (written
    by a newer tix, say) is read back as the plain string rather than failing the read.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(value)  # a member's str() is its value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:
            return value  # type: ignore[no-any-return]
