"""``tix group``: user groups, which channels grant access to."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)
member_app = typer.Typer(help=_("Group members."), no_args_is_help=True)
app.add_typer(member_app, name="member")


@app.command(
    "add",
    help=_("Add a group (admins only).\n\n\b\nExample:\n  tix group add Support"),
)
def add(
    name: Annotated[str, typer.Argument(help=_("Group name, e.g. Support."))],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import users

    with context.session(write=True) as session:
        group = users.add_group(session, context.acting(session), name=name)
        data = {"name": group.name, "members": []}
    emit(data, lambda: say(_("Added group {name}.").format(name=data["name"])))


@member_app.command(
    "add",
    help=_(
        "Put a user into a group (admins only).\n\n\b\nExample:\n  tix group member add Support ben"
    ),
)
def member_add(
    group: Annotated[str, typer.Argument(help=_("The group."))],
    login: Annotated[str, typer.Argument(help=_("The user to add."))],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import users

    with context.session(write=True) as session:
        found = users.get_group(session, group)
        user = users.get_user(session, login)
        added = users.add_group_member(session, context.acting(session), group=found, user=user)
        data = {"group": found.name, "login": user.login, "added": added}
    emit(
        data,
        lambda: say(
            (
                _("Added {login} to {group}.") if added else _("{login} is in {group} already.")
            ).format(login=data["login"], group=data["group"])
        ),
    )


@member_app.command(
    "remove",
    help=_(
        "Take a user out of a group (admins only).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix group member remove Support ben"
    ),
)
def member_remove(
    group: Annotated[str, typer.Argument(help=_("The group."))],
    login: Annotated[str, typer.Argument(help=_("The user to remove."))],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import users

    with context.session(write=True) as session:
        found = users.get_group(session, group)
        user = users.get_user(session, login)
        removed = users.remove_group_member(
            session, context.acting(session), group=found, user=user
        )
        data = {"group": found.name, "login": user.login, "removed": removed}
    emit(
        data,
        lambda: say(
            (
                _("Removed {login} from {group}.") if removed else _("{login} was not in {group}.")
            ).format(login=data["login"], group=data["group"])
        ),
    )


@app.command(
    "list",
    help=_("List groups and their members.\n\n\b\nExample:\n  tix group list"),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import users

    with context.session() as session:
        data = [
            {"name": group.name, "members": members}
            for group, members in users.list_groups(session)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Group"), _("Members")],
            [(g["name"], ", ".join(g["members"])) for g in data],
            empty=_("No groups yet: add one with `tix group add NAME`."),
        ),
        fields=("name", "members"),
        default=("name", "members"),
    )
