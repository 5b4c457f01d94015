"""``tix project``: projects that tickets belong to."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)


@app.command(
    "new",
    help=_(
        "Make a project; --from-ticket links that ticket to it.\n\n\b\nExample:\n"
        '  tix project new "Neubau Halle 3" --from-ticket 1042'
    ),
)
def new(
    name: Annotated[str, typer.Argument(help=_("The project's name."), metavar="NAME")],
    from_ticket: Annotated[
        str | None, typer.Option("--from-ticket", help=_("Make it from this ticket."), metavar="N")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import projects, tickets

    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, from_ticket) if from_ticket else None
        project = projects.add_project(session, actor, name=name, from_ticket=ticket)
        data = {"name": project.name, "tickets": [ticket.number] if ticket else []}
    emit(data, lambda: say(_("Made project {name}.").format(name=data["name"])))


@app.command(
    "list",
    help=_(
        "List projects with their tickets and booked hours.\n\n\b\nExample:\n"
        "  tix project list --json"
    ),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import projects

    with context.session() as session:
        data = [
            {
                "name": info.project.name,
                "tickets": info.tickets,
                "open": info.open_tickets,
                "minutes": info.minutes,
                "hours": round(info.minutes / 60, 2),
            }
            for info in projects.list_projects(session)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Project"), _("Tickets"), _("Open"), _("Hours")],
            [(p["name"], p["tickets"], p["open"], f"{p['hours']:.2f}") for p in data],
            empty=_("No projects yet: make one with `tix project new NAME`."),
        ),
        fields=("name", "tickets", "open", "minutes", "hours"),
        default=("name", "tickets", "open", "hours"),
    )
