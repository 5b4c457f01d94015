"""The dashboard's figures in one call: today's queue and load, and the last days.

Today's figures (the queue, the tickets not done per agent) cost a few counts and
change with every ticket; the last days' (volume, backlog, first response: the
reports of :mod:`tix.core.reporting.figures`) read the period's history and change
slowly, so a front end that refreshes live asks for them less often
(``history=False`` leaves them out).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.models import Ticket, User
from tix.core.permissions import visible_tickets
from tix.core.read_models.dashboard import AgentLoadView, DashboardView
from tix.core.read_models.reports import DurationFigure, VolumeReport
from tix.core.reporting.figures import FIRST_RESPONSE, response, volume
from tix.core.reporting.queue import queue_today
from tix.core.reporting.scope import DONE, Period, ReportScope
from tix.core.timeutil import zone as make_zone

DAYS = 30
"""How many days the charts cover, today included."""


def dashboard(
    session: Session,
    viewer: User,
    now: datetime,
    *,
    zone: str,
    days: int = DAYS,
    history: bool = True,
) -> DashboardView:
    """The queue and the load at ``now``, and (``history``) the ``days`` up to today
    (local days in ``zone``)."""
    report: VolumeReport | None = None
    first_response: list[DurationFigure] | None = None
    if history:
        today = now.astimezone(make_zone(zone)).date()
        scope = ReportScope(
            start=today - timedelta(days=days - 1),
            end=today,
            viewer=viewer,
            period=Period.DAY,
            zone=zone,
        )
        report = volume(session, scope)
        first_response = [
            figure
            for figure in response(session, scope).figures
            if figure.channel is None and figure.measure == FIRST_RESPONSE
        ]
    loads = agent_loads(session, viewer)
    return DashboardView(
        queue=queue_today(session, viewer, now),
        not_done=sum(load.open_tickets for load in loads),
        agents=loads,
        volume=report,
        first_response=first_response,
    )


def agent_loads(session: Session, viewer: User) -> list[AgentLoadView]:
    """Per owner, the tickets not done that ``viewer`` may see; the most loaded first."""
    rows = session.execute(
        select(col(User.login), col(User.name), func.count())
        .select_from(Ticket)
        .join(User, col(User.id) == col(Ticket.owner_id))
        .where(not_(col(Ticket.status).in_(DONE)), visible_tickets(session, viewer))
        .group_by(col(User.id), col(User.login), col(User.name))
    ).all()
    loads = [
        AgentLoadView(login=login, name=name, open_tickets=count) for login, name, count in rows
    ]
    loads.sort(key=lambda load: (-load.open_tickets, load.login))
    return loads
