"""The dashboard's figures in one call: today's queue and the reports of the last days."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tix.core.models import User
from tix.core.read_models.dashboard import DashboardView
from tix.core.reporting.figures import FIRST_RESPONSE, agents, response, volume
from tix.core.reporting.queue import queue_today
from tix.core.reporting.scope import Period, ReportScope
from tix.core.timeutil import zone as make_zone

DAYS = 30
"""How many days the charts cover, today included."""


def dashboard(
    session: Session, viewer: User, now: datetime, *, zone: str, days: int = DAYS
) -> DashboardView:
    """The queue at ``now`` and the ``days`` up to today (local days in ``zone``)."""
    today = now.astimezone(make_zone(zone)).date()
    scope = ReportScope(
        start=today - timedelta(days=days - 1),
        end=today,
        viewer=viewer,
        period=Period.DAY,
        zone=zone,
    )
    load = [row for row in agents(session, scope).agents if row.open_tickets]
    load.sort(key=lambda row: (-row.open_tickets, row.login))
    return DashboardView(
        queue=queue_today(session, viewer, now),
        volume=volume(session, scope),
        first_response=[
            figure
            for figure in response(session, scope).figures
            if figure.channel is None and figure.measure == FIRST_RESPONSE
        ],
        agents=load,
    )
