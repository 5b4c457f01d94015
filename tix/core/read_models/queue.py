"""Read model of today's queue: the tickets that want an agent now, each figure with the
ticket list's filter that lists exactly its tickets."""

from __future__ import annotations

from pydantic import Field

from tix.core.read_models.base import ReadModel
from tix.core.views import TicketFilter


class QueueFigure(ReadModel):
    """One figure of the queue: how many tickets, and the filter that lists them."""

    count: int
    filter: TicketFilter = Field(
        description="The ticket list's filter (tix.core.views.TicketFilter) that lists "
        "exactly the tickets counted."
    )


class QueueToday(ReadModel):
    """Today's queue as the viewer sees it (only tickets the viewer may see count)."""

    at: str = Field(description="When the figures were counted (ISO 8601).")
    new: QueueFigure = Field(description="Tickets nobody has worked on yet (status new).")
    unassigned: QueueFigure = Field(
        description="Tickets still new, open or waiting with their channel's default owner: "
        "nobody has taken them."
    )
    overdue: QueueFigure = Field(description="Tickets whose next SLA deadline has passed.")
    breaching_soon: QueueFigure = Field(
        description="Tickets whose next SLA deadline is at most `due_within_minutes` business "
        "minutes away; the overdue ones are among them, as in `tix ticket list --due-within`."
    )
    due_within_minutes: int = Field(description="What 'soon' means: business minutes.")
