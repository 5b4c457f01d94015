"""Named counters for gapless numbers (tickets, documents)."""

from sqlmodel import Field

from tix.core.models.base import TixModel


class Counter(TixModel, table=True):
    """Incremented with ``UPDATE ... RETURNING`` so concurrent writers never share a number."""

    __tablename__ = "counters"

    name: str = Field(primary_key=True, max_length=64)
    value: int = 0
