"""``tix watch``: who is told about a ticket's new activities."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)

NumberArgument = Annotated[str, typer.Argument(help=_("Ticket number."), metavar="N")]
UserOption = Annotated[str | None, typer.Option("--user", help=_("A user."), metavar="LOGIN")]
GroupOption = Annotated[
    str | None, typer.Option("--group", help=_("A whole group."), metavar="GROUP")
]


def _change(number: str, user: str | None, group: str | None, *, add: bool) -> None:
    from tix.core.services import tickets, users, watchers

    if (user is None) == (group is None):
        raise typer.BadParameter(_("give either --user LOGIN or --group GROUP"))
    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        found_user = users.get_user(session, user) if user else None
        found_group = users.get_group(session, group) if group else None
        change = watchers.add_watcher if add else watchers.remove_watcher
        change(session, actor, ticket=ticket, user=found_user, group=found_group)
        data = watchers.list_watchers(session, actor, ticket=ticket)
        ticket_number = ticket.number
    name = user or group
    message = (
        _("{name} now watches #{number}.") if add else _("{name} no longer watches #{number}.")
    )
    emit(data, lambda: say(message.format(name=name, number=ticket_number)))


@app.command(
    "add",
    help=_(
        "Make a user or a whole group watch a ticket.\n\n\b\nExample:\n"
        "  tix watch add 1042 --group Vertrieb"
    ),
)
def add(
    number: NumberArgument,
    user: UserOption = None,
    group: GroupOption = None,
    json_output: JsonOption = False,
) -> None:
    _change(number, user, group, add=True)


@app.command(
    "remove",
    help=_(
        "Stop a user or group watching a ticket.\n\n\b\nExample:\n"
        "  tix watch remove 1042 --user ben"
    ),
)
def remove(
    number: NumberArgument,
    user: UserOption = None,
    group: GroupOption = None,
    json_output: JsonOption = False,
) -> None:
    _change(number, user, group, add=False)


@app.command(
    "list",
    help=_("List a ticket's watchers.\n\n\b\nExample:\n  tix watch list 1042"),
)
def list_(
    number: NumberArgument,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import tickets, watchers

    with context.session() as session:
        actor = context.acting(session)
        data = watchers.list_watchers(
            session, actor, ticket=tickets.get_ticket(session, actor, number)
        )
    emit_rows(
        data,
        lambda: table(
            [_("Watcher"), _("Kind")],
            [
                (w.get("user") or w.get("group"), _("user") if "user" in w else _("group"))
                for w in data
            ],
            empty=_("Nobody watches this ticket."),
        ),
        fields=("user", "group", "name"),
        default=("user", "group", "name"),
    )
