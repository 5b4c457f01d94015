"""Read model of the dashboard: today's queue, the last days' volume and backlog, the
first-response median and each agent's load, in one answer."""

from __future__ import annotations

from pydantic import Field

from tix.core.read_models.base import ReadModel
from tix.core.read_models.queue import QueueToday
from tix.core.read_models.reports import AgentRow, DurationFigure, VolumeReport


class DashboardView(ReadModel):
    """What the dashboard shows, as the viewer sees it (only tickets they may see)."""

    queue: QueueToday
    volume: VolumeReport = Field(description="Opened, solved and backlog per day.")
    first_response: list[DurationFigure] = Field(
        description="The first-response figures over all channels of the tickets opened in "
        "the period: business time (tickets with an SLA) first, then wall time."
    )
    agents: list[AgentRow] = Field(
        description="Agents who own tickets not done now, the most loaded first."
    )
