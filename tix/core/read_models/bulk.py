"""Read models of a bulk action: what it did to each ticket (``tix ticket set 1001 1002
--json`` lists them; the TUI's summary reads them)."""

from __future__ import annotations

from tix.core.read_models.base import ReadModel, Text


class BulkError(ReadModel):
    """Why a ticket was refused: the error's code and its message for people."""

    code: str
    message: Text


class BulkFieldChange(ReadModel):
    """One field a bulk change changed on a ticket, old and new value as stored."""

    field: str
    old: Text | None
    new: Text | None


class BulkResult(ReadModel):
    """What a bulk action did to one ticket."""

    number: int
    ok: bool
    error: BulkError | None
    """Why the ticket was refused (``ok`` false); nothing of it was changed then."""
    changes: list[BulkFieldChange]
    """The fields changed (empty when there was nothing to change, or for a note)."""
    activities: list[int]
    """Ids of the activities added (the changes, the note, the merge's record)."""
    version: int | None
    """The ticket's version after the action (for ``--if-version``); ``None`` if refused."""
