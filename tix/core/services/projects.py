"""Projects that tickets link to; a project can be made from a ticket."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, NotFound
from tix.core.i18n import _
from tix.core.models import ActivityKind, Project, Ticket, TimeEntry, User
from tix.core.permissions import require_see
from tix.core.services.activities import append_activity
from tix.core.services.changes import change_ticket


def find_project(session: Session, name: str) -> Project | None:
    return session.execute(
        select(Project).where(func.lower(Project.name) == name.strip().lower())
    ).scalar_one_or_none()


def get_project(session: Session, name: str) -> Project:
    project = find_project(session, name)
    if project is None:
        raise NotFound(
            _(
                "no project {name!r}: see `tix project list`, or make it with "
                "`tix project new {name}`"
            ).format(name=name)
        )
    return project


def add_project(
    session: Session, actor: User, *, name: str, from_ticket: Ticket | None = None
) -> Project:
    """A new project; made from a ticket, that ticket is linked to it."""
    name = validation.name(name, what=_("the project name"))
    if from_ticket is not None:
        require_see(session, actor, from_ticket)
    if find_project(session, name) is not None:
        raise Conflict(_("project {name!r} exists already").format(name=name))
    project = Project(name=name, created_by_id=actor.id)
    session.add(project)
    session.flush()
    if from_ticket is not None:
        append_activity(
            session,
            from_ticket,
            kind=ActivityKind.PROJECT,
            author=actor,
            body=name,
            details={"project": name},
        )
        change_ticket(session, actor, ticket=from_ticket, project=project)
    return project


@dataclass(frozen=True)
class ProjectInfo:
    project: Project
    tickets: int
    open_tickets: int
    minutes: int


def list_projects(session: Session) -> list[ProjectInfo]:
    """Every project with its ticket counts and booked time."""
    counts: dict[int | None, tuple[int, int | None]] = {
        project_id: (total, open_count)
        for project_id, total, open_count in session.execute(
            select(
                col(Ticket.project_id),
                func.count(),
                func.sum(case((col(Ticket.status).not_in(("solved", "closed")), 1), else_=0)),
            )
            .where(col(Ticket.project_id).is_not(None))
            .group_by(col(Ticket.project_id))
        ).all()
    }
    minutes: dict[int | None, int | None] = dict(
        session.execute(
            select(col(Ticket.project_id), func.sum(col(TimeEntry.minutes)))
            .join(Ticket, col(Ticket.id) == TimeEntry.ticket_id)
            .where(col(Ticket.project_id).is_not(None))
            .group_by(col(Ticket.project_id))
        ).all()
    )
    projects = session.execute(select(Project).order_by(col(Project.name))).scalars().all()
    return [
        ProjectInfo(
            project=project,
            tickets=counts.get(project.id, (0, 0))[0],
            open_tickets=int(counts.get(project.id, (0, 0))[1] or 0),
            minutes=int(minutes.get(project.id) or 0),
        )
        for project in projects
    ]
