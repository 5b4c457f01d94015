"""``tix init`` and ``tix db``: create, upgrade and back up the database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import JsonOption, emit, say
from tix.core.i18n import _

app = typer.Typer()
db_app = typer.Typer(no_args_is_help=True)


@app.command(
    "init",
    help=_(
        "Create or upgrade the database, and make the first admin; safe to run "
        "again.\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  tix init --admin anna --name "Anna Berg" --email anna@example.com'
    ),
)
def init(
    admin: Annotated[
        str | None,
        typer.Option("--admin", help=_("Login of the first admin to create."), metavar="LOGIN"),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help=_("The admin's full name."), metavar="NAME")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help=_("The admin's e-mail address."), metavar="ADDR")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.db import session_scope
    from tix.core.migrate import upgrade
    from tix.core.services import users

    if admin is not None and (not name or not email):
        raise typer.BadParameter(_("--admin needs --name and --email too"))
    engine = context.engine(check=False)
    before, after = upgrade(engine)
    created = False
    with session_scope(engine, write=True) as session:
        if admin is not None and users.find_user(session, admin) is None:
            assert name is not None and email is not None
            # The first admin may be made by anyone holding the database; later
            # admins are made by an admin.
            maker = None if users.count_users(session) == 0 else context.acting(session)
            users.add_user(session, maker, login=admin, name=name, email=email, is_admin=True)
            created = True
        user_count = users.count_users(session)
    url = engine.url.render_as_string(hide_password=True)
    result = {
        "database": url,
        "schema_before": before,
        "schema": after,
        "admin_created": admin if created else None,
        "users": user_count,
    }

    def human() -> None:
        if before is None:
            say(
                _("Created the tix database at {url} (schema {schema}).").format(
                    url=url, schema=after
                )
            )
        elif before != after:
            say(
                _("Upgraded {url} from schema {old} to {new}.").format(
                    url=url, old=before, new=after
                )
            )
        else:
            say(_("{url} is up to date (schema {schema}).").format(url=url, schema=after))
        if created:
            say(_("Created admin {login}.").format(login=admin))
        if user_count == 0:
            say(_("No users yet: run `tix init --admin LOGIN --name NAME --email ADDR`."))

    emit(result, human)


@db_app.command(
    "upgrade",
    help=_("Apply pending schema migrations.\n\n\b\nExample:\n  tix db upgrade"),
)
def db_upgrade(json_output: JsonOption = False) -> None:
    from tix.core.migrate import upgrade

    engine = context.engine(check=False)
    before, after = upgrade(engine)
    emit(
        {"schema_before": before, "schema": after},
        lambda: say(
            _("Schema {old} → {new}.").format(old=before or "-", new=after)
            if before != after
            else _("Already up to date (schema {schema}).").format(schema=after)
        ),
    )


@db_app.command(
    "backup",
    help=_(
        "Copy the database to FILE while tix keeps running.\n"
        "\n"
        "SQLite: an online backup into a new SQLite file. PostgreSQL: pg_dump in "
        "its custom format (restore with pg_restore).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix db backup /var/backups/tix-$(date +%F).db"
    ),
)
def db_backup(
    target: Annotated[Path, typer.Argument(help=_("The file to write."), metavar="FILE")],
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite FILE."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.backup import backup

    engine = context.engine()
    size = backup(engine, target, overwrite=force)
    emit(
        {"file": str(target), "bytes": size},
        lambda: say(_("Backed up to {file} ({size} bytes).").format(file=target, size=size)),
    )
