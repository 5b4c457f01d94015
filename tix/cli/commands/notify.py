"""``tix notify``: your in-app notifications."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)


@app.command(
    "list",
    help=_("List your notifications, newest first.\n\n\b\nExample:\n  tix notify list --unread"),
)
def list_(
    unread: Annotated[bool, typer.Option("--unread", help=_("Only unread ones."))] = False,
    limit: Annotated[
        int, typer.Option("--limit", help=_("At most N."), metavar="N", min=1, max=1000)
    ] = 100,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.models import Ticket
    from tix.core.services import notifications
    from tix.core.timeutil import iso

    with context.session() as session:
        actor = context.acting(session)
        zone = context.zone(actor)
        data = []
        for note in notifications.list_notifications(
            session, actor, unread_only=unread, limit=limit
        ):
            ticket = session.get(Ticket, note.ticket_id) if note.ticket_id else None
            data.append(
                {
                    "id": note.id,
                    "kind": note.kind,
                    "ticket": ticket.number if ticket else None,
                    "text": note.text,
                    "created_at": iso(note.created_at, zone),
                    "read": note.read_at is not None,
                }
            )
    emit_rows(
        data,
        lambda: table(
            ["ID", _("When"), "", _("Notification")],
            [
                (
                    n["id"],
                    str(n["created_at"])[:16].replace("T", " "),
                    "" if n["read"] else "●",
                    n["text"],
                )
                for n in data
            ],
            empty=_("No notifications."),
            wide=3,
        ),
        fields=("id", "kind", "ticket", "text", "created_at", "read"),
        default=("id", "created_at", "read", "text"),
    )


@app.command(
    "read",
    help=_(
        "Mark notifications read.\n\n\b\nExamples:\n  tix notify read 17 18\n"
        "  tix notify read --all"
    ),
)
def read(
    ids: Annotated[
        list[int] | None, typer.Argument(help=_("Notification IDs."), metavar="ID...")
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help=_("Mark all read."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import notifications

    if bool(ids) == everything:
        raise typer.BadParameter(_("give notification IDs or --all"))
    with context.session(write=True) as session:
        actor = context.acting(session)
        count = notifications.mark_read(session, actor, ids=ids or [], everything=everything)
    emit({"marked": count}, lambda: say(_("Marked {count} read.").format(count=count)))
