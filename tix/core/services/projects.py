"""Projects that tickets link to."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tix.core import validation
from tix.core.errors import Conflict, NotFound
from tix.core.i18n import _
from tix.core.models import Project, User


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


def add_project(session: Session, actor: User, *, name: str) -> Project:
    name = validation.name(name, what=_("the project name"))
    if find_project(session, name) is not None:
        raise Conflict(_("project {name!r} exists already").format(name=name))
    project = Project(name=name, created_by_id=actor.id)
    session.add(project)
    session.flush()
    return project
