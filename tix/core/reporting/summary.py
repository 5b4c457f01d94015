"""Reports in words: the plain-text summary a mailed report carries, and the names the
filters of a report are given by."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.business_time import format_minutes
from tix.core.datefmt import day_text
from tix.core.errors import NotFound
from tix.core.i18n import _
from tix.core.models import Category, Organization
from tix.core.read_models.reports import DurationFigure, Overview, ReportPeriodView
from tix.core.reporting.workbook import figure_label


def duration_text(seconds: float | None) -> str:
    """``2h 05m``; an empty text for no figure."""
    if seconds is None:
        return ""
    return format_minutes(round(seconds / 60))


def period_text(scope: ReportPeriodView) -> str:
    return f"{day_text(scope.start)} – {day_text(scope.end)}"


def figure_lines(figures: Sequence[DurationFigure]) -> list[str]:
    return [
        _("{figure}: median {median}, 90% within {p90} ({count} tickets)").format(
            figure=figure_label(figure),
            median=duration_text(figure.median_seconds),
            p90=duration_text(figure.p90_seconds),
            count=figure.tickets,
        )
        for figure in figures
    ]


def summary_text(report: Overview) -> str:
    """The headline figures as lines of text, for a mail."""
    lines = [
        _("Tickets {period} ({zone})").format(
            period=period_text(report.scope), zone=report.scope.timezone
        ),
        "",
        _("Opened: {count}").format(count=report.opened),
        _("Solved: {count}").format(count=report.solved),
        _("Reopened: {count}").format(count=report.reopened),
        _("Backlog: {start} at the start, {end} at the end").format(
            start=report.backlog_start, end=report.backlog_end
        ),
        *figure_lines(report.response),
    ]
    if report.sla_met or report.sla_breached or report.sla_running:
        lines.append(
            _("SLA targets: {met} met, {breached} breached, {running} running").format(
                met=report.sla_met, breached=report.sla_breached, running=report.sla_running
            )
        )
    lines.append(
        _("Mails: {incoming} in, {outgoing} out").format(
            incoming=report.mail_in, outgoing=report.mail_out
        )
    )
    if report.busiest:
        lines += ["", _("Busiest agents:")]
        lines += [
            "- "
            + _("{name}: {touched} tickets touched, {open} open").format(
                name=agent.name, touched=agent.touched, open=agent.open_tickets
            )
            for agent in report.busiest
        ]
    if report.top_categories:
        lines += ["", _("Top categories:")]
        lines += [f"- {row.name}: {row.tickets}" for row in report.top_categories]
    lines += ["", _("The workbook attached holds every report with its charts.")]
    return "\n".join(lines) + "\n"


def category_ids(session: Session, names: Sequence[str]) -> tuple[int, ...]:
    found: list[int] = []
    for name in names:
        category_id = session.execute(
            select(col(Category.id)).where(func.lower(col(Category.name)) == name.lower())
        ).scalar_one_or_none()
        if category_id is None:
            raise NotFound(_("no category {name}: check the spelling").format(name=name))
        found.append(category_id)
    return tuple(found)


def organisation_id(session: Session, name: str) -> int:
    found = session.execute(
        select(col(Organization.id)).where(func.lower(col(Organization.name)) == name.lower())
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(
            _("no organisation {name}: see `tix contact list` for the organisations").format(
                name=name
            )
        )
    return found
