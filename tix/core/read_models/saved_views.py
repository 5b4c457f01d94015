"""Read model of a saved view (a named filter of the ticket list)."""

from __future__ import annotations

from typing import Any

from tix.core.read_models.base import ReadModel


class SavedViewDetail(ReadModel):
    """One saved view, as ``tix view show --json`` gives it."""

    name: str
    filters: dict[str, Any]
    """The fields of :class:`ViewSpec` that filter (defaults left out)."""
    description: str
    """The filter in a few words, in the user's language."""
    created_at: str
    updated_at: str
