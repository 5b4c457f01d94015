"""``tix time``: book time on tickets, list it, and export an Excel report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import (
    FieldsOption,
    FormatOption,
    JsonOption,
    emit,
    emit_rows,
    say,
    table,
    writable,
)
from tix.core.i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

    from tix.core.models import User
    from tix.core.services.times import TimeFilter

app = typer.Typer(no_args_is_help=True)

TicketOption = Annotated[
    str | None, typer.Option("--ticket", help=_("Only this ticket."), metavar="N")
]
UserOption = Annotated[
    str | None, typer.Option("--user", help=_("Only this user's time."), metavar="LOGIN")
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help=_("From this day on (2026-11-01, 01.11.2026, yesterday ...)."),
        metavar="DATE",
    ),
]
ToOption = Annotated[
    str | None, typer.Option("--to", help=_("Up to and including this day."), metavar="DATE")
]
BillableOption = Annotated[
    bool | None,
    typer.Option(
        "--billable/--no-billable",
        help=_("Only billable, or only non-billable time."),
        show_default=False,
    ),
]
ChannelOption = Annotated[
    str | None,
    typer.Option("--channel", help=_("Only tickets of this channel."), metavar="CHANNEL"),
]
ProjectOption = Annotated[
    str | None,
    typer.Option("--project", help=_("Only tickets of this project."), metavar="PROJECT"),
]


def _filters(
    session: Session,
    actor: User,
    ticket: str | None,
    user: str | None,
    start: str | None,
    end: str | None,
    billable: bool | None,
    channel: str | None,
    project: str | None,
) -> TimeFilter:
    from tix.core.services import channels, projects, tickets, users
    from tix.core.services.times import TimeFilter
    from tix.core.timeparse import parse_day

    today = context.today(actor)
    return TimeFilter(
        ticket_id=tickets.get_ticket(session, actor, ticket).id if ticket else None,
        user_id=users.get_user(session, user).id if user else None,
        date_from=parse_day(start, today=today) if start else None,
        date_to=parse_day(end, today=today) if end else None,
        billable=billable,
        channel_id=channels.get_channel(session, channel).id if channel else None,
        project_id=projects.get_project(session, project).id if project else None,
    )


def _hours(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


@app.command(
    "book",
    help=_(
        "Book time on a ticket (billable unless --no-billable).\n"
        "\n"
        "DURATION is 1h30m, 90m, 1.5h, 1,5h or 1:30; the day defaults to today.\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  tix time book 1042 1h30m --note "Replaced the seal" --on yesterday'
    ),
)
def book(
    number: Annotated[str, typer.Argument(help=_("Ticket number."), metavar="N")],
    duration: Annotated[str, typer.Argument(help=_("How long, e.g. 1h30m."), metavar="DURATION")],
    on: Annotated[
        str | None, typer.Option("--on", help=_("The day worked (default: today)."), metavar="DATE")
    ] = None,
    note: Annotated[str, typer.Option("--note", help=_("What was done."), metavar="TEXT")] = "",
    billable: Annotated[
        bool, typer.Option("--billable/--no-billable", help=_("Whether the time is billed."))
    ] = True,
    for_user: Annotated[
        str | None,
        typer.Option("--for", help=_("Book for this colleague (admins)."), metavar="LOGIN"),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.permissions import require_admin
    from tix.core.services import tickets, times, users
    from tix.core.timeparse import parse_day, parse_duration

    minutes = parse_duration(duration)
    with context.session(write=True) as session:
        actor = context.acting(session)
        work_date = parse_day(on, today=context.today(actor)) if on else context.today(actor)
        worker = None
        if for_user is not None:
            worker = users.get_user(session, for_user)
            if worker.id != actor.id:
                require_admin(actor, _("book time for others"))
        ticket = tickets.get_ticket(session, actor, number)
        entry = times.book_time(
            session,
            actor,
            ticket=ticket,
            minutes=minutes,
            work_date=work_date,
            note=note,
            billable=billable,
            user=worker,
        )
        data: dict[str, Any] = {
            "id": entry.id,
            "ticket": ticket.number,
            "user": (worker or actor).login,
            "date": entry.work_date.isoformat(),
            "minutes": entry.minutes,
            "hours": round(entry.minutes / 60, 2),
            "note": entry.note,
            "billable": entry.billable,
        }
    emit(
        data,
        lambda: say(
            _("Booked {hours} h on #{number}.").format(
                hours=_hours(data["minutes"]), number=data["ticket"]
            )
        ),
    )


@app.command(
    "list",
    help=_(
        "List booked time on the tickets you may see, with the total.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix time list --user ben --from 01.11.2026 --to 30.11.2026 --billable"
    ),
)
def list_(
    ticket: TicketOption = None,
    user: UserOption = None,
    start: FromOption = None,
    end: ToOption = None,
    billable: BillableOption = None,
    channel: ChannelOption = None,
    project: ProjectOption = None,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import times

    with context.session() as session:
        actor = context.acting(session)
        filters = _filters(session, actor, ticket, user, start, end, billable, channel, project)
        rows = times.list_times(session, actor, filters)
    data = [row.to_json() for row in rows]
    total = sum(row.minutes for row in rows)

    def human() -> None:
        from tix.core.datefmt import day_text

        table(
            [_("Date"), "#", _("User"), _("Hours"), _("Billable"), _("Note")],
            [
                (
                    day_text(row.work_date),
                    row.ticket_number,
                    row.login,
                    _hours(row.minutes),
                    _("yes") if row.billable else _("no"),
                    row.note,
                )
                for row in rows
            ],
            empty=_("No time booked that matches."),
            wide=5,
        )
        if rows:
            say(
                _("Total: {hours} h in {count} entries").format(
                    hours=_hours(total), count=len(rows)
                )
            )

    emit_rows(
        data,
        human,
        fields=(
            "id",
            "ticket",
            "subject",
            "customer",
            "project",
            "user",
            "date",
            "minutes",
            "hours",
            "note",
            "billable",
            "billed",
        ),
        default=("date", "ticket", "user", "hours", "billable", "note"),
    )


@app.command(
    "export",
    help=_(
        "Write the booked time as an Excel report (same filters as list).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix time export november.xlsx --from 01.11.2026 --to 30.11.2026"
    ),
)
def export(
    target: Annotated[
        Path, typer.Argument(help=_("The .xlsx file to write."), metavar="FILE.xlsx")
    ],
    ticket: TicketOption = None,
    user: UserOption = None,
    start: FromOption = None,
    end: ToOption = None,
    billable: BillableOption = None,
    channel: ChannelOption = None,
    project: ProjectOption = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite FILE."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.reports import TimeRow, write_times_workbook
    from tix.core.services import times

    writable(target, force=force, suffix=".xlsx")
    with context.session() as session:
        actor = context.acting(session)
        filters = _filters(session, actor, ticket, user, start, end, billable, channel, project)
        count = times.count_times(session, actor, filters)
        rows = (
            TimeRow(
                work_date=info.work_date,
                ticket_number=info.ticket_number,
                subject=info.subject,
                customer=info.customer,
                project=info.project,
                user=info.user_name,
                minutes=info.minutes,
                billable=info.billable,
                billed=info.billed,
                note=info.note,
            )
            for info in times.iter_times(session, actor, filters)
        )
        title = _title(filters)
        written = _write_with_progress(target, rows, count, title, write_times_workbook)
    emit(
        {"file": str(target), "rows": written},
        lambda: say(_("Wrote {count} entries to {file}.").format(count=written, file=target)),
    )


def _title(filters: Any) -> str:
    if filters.date_from or filters.date_to:
        start = filters.date_from.strftime("%d.%m.%Y") if filters.date_from else "…"
        end = filters.date_to.strftime("%d.%m.%Y") if filters.date_to else "…"
        return _("Times {start} – {end}").format(start=start, end=end)
    return _("Times")


def _write_with_progress(target: Path, rows: Any, count: int, title: str, write: Any) -> int:
    """Write, with a progress bar on a terminal (none with --json or when piped)."""
    from tix.cli.progress import progress

    with progress(_("Exporting")) as report:
        if report is None:
            return int(write(target, rows, title=title))
        return int(
            write(target, rows, title=title, progress=lambda done: report(done, max(count, done)))
        )
