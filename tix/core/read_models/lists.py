"""The ticket list's rows: apart from one ticket's models (:mod:`.tickets`), so listing
tickets defines only these."""

from __future__ import annotations

from pydantic import Field

from tix.core.read_models.base import ReadModel, Text
from tix.core.read_models.sla import SlaListCell


class CustomerRef(ReadModel):
    """A ticket's customer in the ticket list."""

    name: Text
    address: str | None


class TicketListItem(ReadModel):
    """One row of the ticket list."""

    number: int
    kind: str
    status: str
    priority: int
    subject: Text
    color: str | None
    channel: str | None
    owner: str
    customer: CustomerRef | None
    creator: str | None
    project: str | None
    categories: list[Text]
    created_at: str
    updated_at: str
    version: int
    sla: SlaListCell | None = Field(
        default=None, description="The next SLA deadline; null: no clock runs."
    )
    children: int = Field(default=0, description="Tickets linked as its children.")
    open_children: int = Field(default=0, description="Of those, the new, open or waiting.")


class TicketPage(ReadModel):
    """A page of the ticket list; ``next_cursor`` gives the next (``None``: the last)."""

    tickets: list[TicketListItem]
    next_cursor: str | None
