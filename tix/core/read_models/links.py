"""Read models of tickets that belong together: links, merges, splits."""

from __future__ import annotations

from pydantic import Field

from tix.core.read_models.base import ReadModel


class LinkedTicketView(ReadModel):
    """A ticket linked to the one shown, seen from the shown one."""

    relation: str = Field(
        description="What the shown ticket is to this one: parent (of it), child (of it), "
        "duplicate (of it), original (it is a duplicate of the shown one) or related."
    )
    number: int
    subject: str
    status: str


class MergeView(ReadModel):
    """What ``tix ticket merge`` moved from ``source`` to ``target``."""

    source: int
    target: int
    activities: int
    files: int
    times: int
    watchers: int


class LinkChange(ReadModel):
    """A link made (``linked``) or removed: what ``ticket`` is (was) to ``other``."""

    ticket: int
    other: int
    relation: str | None
    linked: bool
