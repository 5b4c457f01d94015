"""``tix user``: staff users."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(help=_("Staff users (agents and admins)."), no_args_is_help=True)


@app.command(
    "add",
    help=_(
        "Add a staff user (admins only).\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  tix user add ben --name "Ben Kurz" --email ben@example.com'
    ),
)
def add(
    login: Annotated[str, typer.Argument(help=_("Login name, e.g. anna."))],
    name: Annotated[str, typer.Option("--name", help=_("Full name."), metavar="NAME")],
    email: Annotated[str, typer.Option("--email", help=_("E-mail address."), metavar="ADDR")],
    admin: Annotated[bool, typer.Option("--admin", help=_("Make the user an admin."))] = False,
    language: Annotated[
        str, typer.Option("--language", help=_("en or de for notifications."), metavar="LANG")
    ] = "",
    timezone: Annotated[
        str,
        typer.Option("--timezone", help=_("IANA time zone, e.g. Europe/Berlin."), metavar="ZONE"),
    ] = "",
    json_output: JsonOption = False,
) -> None:
    from tix.core.details import user_json
    from tix.core.services import users

    with context.session(write=True) as session:
        actor = context.acting(session)
        user = users.add_user(
            session,
            actor,
            login=login,
            name=name,
            email=email,
            is_admin=admin,
            language=language,
            timezone=timezone,
        )
        data = user_json(user)
    emit(data, lambda: say(_("Added user {login}.").format(login=data["login"])))


@app.command(
    "list",
    help=_("List every user with their groups.\n\n\b\nExample:\n  tix user list --json"),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.details import user_json
    from tix.core.services import users

    with context.session() as session:
        memberships: dict[str, list[str]] = {}
        for group, logins in users.list_groups(session):
            for login in logins:
                memberships.setdefault(login, []).append(group.name)
        data = [
            user_json(user, memberships.get(user.login, [])) for user in users.list_users(session)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Login"), _("Name"), _("E-mail"), _("Admin"), _("Groups")],
            [
                (
                    u["login"],
                    u["name"],
                    u["email"],
                    _("yes") if u["admin"] else "",
                    ", ".join(u["groups"]),
                )
                for u in data
            ],
            empty=_("No users yet: add one with `tix user add`."),
        ),
        fields=(
            "login",
            "name",
            "email",
            "admin",
            "active",
            "language",
            "timezone",
            "notify_by_mail",
            "hourly_rate",
            "groups",
        ),
        default=("login", "name", "email", "admin", "groups"),
    )


@app.command(
    "set",
    help=_(
        "Change a user: your own preferences, or (admins) anyone's details, rate and "
        "rights.\n\n\b\nExamples:\n  tix user set ben --notify-by-mail --timezone "
        "Europe/Berlin\n  tix user set ben --hourly-rate 95 --admin"
    ),
)
def set_(
    login: Annotated[str, typer.Argument(help=_("The user."), metavar="LOGIN")],
    name: Annotated[
        str | None, typer.Option("--name", help=_("Full name."), metavar="NAME")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help=_("E-mail address."), metavar="ADDR")
    ] = None,
    notify_by_mail: Annotated[
        bool | None,
        typer.Option(
            "--notify-by-mail/--no-notify-by-mail",
            help=_("Also mail notifications about watched tickets."),
            show_default=False,
        ),
    ] = None,
    hourly_rate: Annotated[
        str | None,
        typer.Option(
            "--hourly-rate", help=_("Rate per hour on documents (admins)."), metavar="AMOUNT"
        ),
    ] = None,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help=_("IANA time zone."), metavar="ZONE")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help=_("en or de."), metavar="LANG")
    ] = None,
    admin: Annotated[
        bool | None,
        typer.Option("--admin/--no-admin", help=_("Admin rights (admins)."), show_default=False),
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive", help=_("Whether the user may act."), show_default=False
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from decimal import Decimal, InvalidOperation

    from tix.core.details import user_json
    from tix.core.errors import Malformed
    from tix.core.services import users

    rate = None
    if hourly_rate is not None:
        try:
            rate = Decimal(hourly_rate.replace(",", "."))
        except InvalidOperation:
            raise Malformed(
                _("{value!r} is not an amount: write it like 95 or 92,50").format(value=hourly_rate)
            ) from None
    with context.session(write=True) as session:
        actor = context.acting(session)
        user = users.update_user(
            session,
            actor,
            user=users.get_user(session, login),
            name=name,
            email=email,
            notify_by_mail=notify_by_mail,
            hourly_rate=rate,
            timezone=timezone,
            language=language,
            is_admin=admin,
            active=active,
        )
        data = user_json(user)
    emit(data, lambda: say(_("Saved user {login}.").format(login=data["login"])))
