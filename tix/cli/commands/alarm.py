"""``tix alarm``: reminders about a ticket, for yourself or a colleague."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)


def _local(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


@app.command(
    "add",
    help=_(
        "Set an alarm on a ticket. WHEN is in your time zone: 2026-12-01 09:00, "
        "01.12.2026 9:00, tomorrow 09:00, mon 8:00, 14:00, +2h, +3d.\n\n\b\nExample:\n"
        '  tix alarm add 1042 --at "tomorrow 09:00" --for ben --via mail --note "Call back"'
    ),
)
def add(
    number: Annotated[str, typer.Argument(help=_("Ticket number."), metavar="N")],
    at: Annotated[str, typer.Option("--at", help=_("When the alarm fires."), metavar="WHEN")],
    note: Annotated[str, typer.Option("--note", help=_("What to do then."), metavar="TEXT")],
    for_user: Annotated[
        str | None, typer.Option("--for", help=_("Who is alarmed (default: you)."), metavar="LOGIN")
    ] = None,
    via: Annotated[str, typer.Option("--via", help=_("app or mail."), metavar="HOW")] = "app",
    json_output: JsonOption = False,
) -> None:
    from tix.core import clock
    from tix.core.services import alarms, tickets, users
    from tix.core.timeparse import parse_when
    from tix.core.timeutil import iso

    with context.session(write=True) as session:
        actor = context.acting(session)
        zone = context.zone(actor)
        due = parse_when(at, now=clock.now(), zone=zone)
        ticket = tickets.get_ticket(session, actor, number)
        recipient = users.get_user(session, for_user) if for_user else None
        alarm = alarms.set_alarm(
            session, actor, ticket=ticket, due_at=due, note=note, recipient=recipient, via=via
        )
        data: dict[str, Any] = {
            "id": alarm.id,
            "ticket": ticket.number,
            "for": (recipient or actor).login,
            "via": alarm.via,
            "note": alarm.note,
            "due_at": iso(alarm.due_at, zone),
        }
    emit(
        data,
        lambda: say(
            _("Alarm {id} on #{number} for {login} at {when}.").format(
                id=data["id"], number=data["ticket"], login=data["for"], when=_local(data["due_at"])
            )
        ),
    )


@app.command(
    "list",
    help=_(
        "List the alarms you set or receive that have not fired (--due: only those due now).\n\n"
        "\b\nExample:\n  tix alarm list --due"
    ),
)
def list_(
    due: Annotated[bool, typer.Option("--due", help=_("Only alarms that are due."))] = False,
    fired: Annotated[bool, typer.Option("--fired", help=_("Include fired alarms."))] = False,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import alarms
    from tix.core.timeutil import iso

    with context.session() as session:
        actor = context.acting(session)
        zone = context.zone(actor)
        data = [
            info.to_json(lambda moment: iso(moment, zone))
            for info in alarms.list_alarms(session, actor, due_only=due, include_fired=fired)
        ]
    emit_rows(
        data,
        lambda: table(
            ["ID", _("When"), "#", _("For"), _("Via"), _("Note")],
            [
                (a["id"], _local(a["due_at"]), a["ticket"], a["for"], a["via"], a["note"])
                for a in data
            ],
            empty=_("No alarms."),
            wide=5,
        ),
        fields=("id", "ticket", "subject", "for", "by", "via", "note", "due_at", "fired_at"),
        default=("id", "due_at", "ticket", "for", "via", "note"),
    )


@app.command(
    "run",
    help=_(
        "Fire every due alarm once (safe from cron every minute, and twice at once).\n\n"
        "\b\nExample:\n  * * * * *  tix alarm run --json"
    ),
)
def run(json_output: JsonOption = False) -> None:
    from tix.core.db import session_scope
    from tix.core.services import alarms

    with session_scope(context.engine(), write=True) as session:
        fired = alarms.fire_due_alarms(session)
        data: list[dict[str, Any]] = [
            {"id": alarm.id, "ticket_id": alarm.ticket_id, "via": alarm.via} for alarm in fired
        ]
    emit(data, lambda: say(_("Fired {count} alarms.").format(count=len(data))))
