"""Read model of the dashboard: today's queue, the tickets not done and who holds them,
and the last days' volume, backlog and first-response median."""

from __future__ import annotations

from pydantic import Field

from tix.core.read_models.base import ReadModel, Text
from tix.core.read_models.queue import QueueToday
from tix.core.read_models.reports import DurationFigure, VolumeReport


class AgentLoadView(ReadModel):
    """One agent's load: the tickets they own that are not done."""

    login: str
    name: Text
    open_tickets: int


class DashboardView(ReadModel):
    """What the dashboard shows, as the viewer sees it (only tickets they may see)."""

    queue: QueueToday
    not_done: int = Field(description="Tickets new, open or waiting now (the backlog now).")
    agents: list[AgentLoadView] = Field(
        description="Agents who own tickets not done now, the most loaded first."
    )
    volume: VolumeReport | None = Field(
        description="Opened, solved and backlog per day; null when only today's figures "
        "were asked for."
    )
    first_response: list[DurationFigure] | None = Field(
        description="The first-response figures over all channels of the tickets opened in "
        "the period: business time (tickets with an SLA) first, then wall time; null when "
        "only today's figures were asked for."
    )
