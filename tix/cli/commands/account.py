"""``tix account``: the mail accounts tix receives and sends with."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import JsonOption, emit, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)


@app.command(
    "add",
    help=_(
        "Add a mail account (admins only). The password is never stored.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix account add support --address support@example.com --imap-host "
        "imap.example.com --smtp-host smtp.example.com --password-env "
        "SUPPORT_PASSWORD --channel Support"
    ),
)
def add(
    name: Annotated[str, typer.Argument(help=_("Account name, e.g. support."))],
    address: Annotated[
        str, typer.Option("--address", help=_("The account's e-mail address."), metavar="ADDR")
    ],
    display_name: Annotated[
        str,
        typer.Option("--display-name", help=_("Sender name, e.g. 'ACME Support'."), metavar="NAME"),
    ] = "",
    imap_host: Annotated[
        str, typer.Option("--imap-host", help=_("IMAP server."), metavar="HOST")
    ] = "",
    imap_port: Annotated[
        int | None,
        typer.Option("--imap-port", help=_("IMAP port (default by --tls)."), metavar="PORT"),
    ] = None,
    imap_user: Annotated[
        str,
        typer.Option("--imap-user", help=_("IMAP login (default: the address)."), metavar="USER"),
    ] = "",
    imap_folder: Annotated[
        str, typer.Option("--imap-folder", help=_("Folder to read."), metavar="FOLDER")
    ] = "INBOX",
    smtp_host: Annotated[
        str, typer.Option("--smtp-host", help=_("SMTP server."), metavar="HOST")
    ] = "",
    smtp_port: Annotated[
        int | None,
        typer.Option("--smtp-port", help=_("SMTP port (default by --tls)."), metavar="PORT"),
    ] = None,
    smtp_user: Annotated[
        str,
        typer.Option(
            "--smtp-user", help=_("SMTP login (empty: no authentication)."), metavar="USER"
        ),
    ] = "",
    password_env: Annotated[
        str, typer.Option("--password-env", help=_("Variable holding the password."), metavar="VAR")
    ] = "",
    password_cmd: Annotated[
        str, typer.Option("--password-cmd", help=_("Command printing the password."), metavar="CMD")
    ] = "",
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel", help=_("Channel for new tickets from this account."), metavar="CHANNEL"
        ),
    ] = None,
    tls: Annotated[
        str, typer.Option("--tls", help=_("ssl, starttls or none."), metavar="MODE")
    ] = "ssl",
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import accounts, channels
    from tix.core.views import account_json

    with context.session(write=True) as session:
        actor = context.acting(session)
        found = channels.get_channel(session, channel) if channel else None
        account = accounts.add_account(
            session,
            actor,
            name=name,
            address=address,
            display_name=display_name,
            imap_host=imap_host,
            imap_port=imap_port,
            imap_user=imap_user,
            imap_folder=imap_folder,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            smtp_user=smtp_user,
            tls=tls,
            password_env=password_env,
            password_cmd=password_cmd,
            channel=found,
        )
        data = account_json(account, found.name if found else None)
    emit(data, lambda: say(_("Added mail account {name}.").format(name=data["name"])))


@app.command(
    "list",
    help=_("List mail accounts.\n\n\b\nExample:\n  tix account list"),
)
def list_(json_output: JsonOption = False) -> None:
    from tix.core.models import Channel
    from tix.core.services import accounts
    from tix.core.views import account_json

    with context.session() as session:
        data = []
        for account in accounts.list_accounts(session):
            channel = session.get(Channel, account.channel_id) if account.channel_id else None
            data.append(account_json(account, channel.name if channel else None))
    emit(
        data,
        lambda: table(
            [_("Account"), _("Address"), _("IMAP"), _("SMTP"), _("Channel")],
            [
                (
                    a["name"],
                    a["address"],
                    f"{a['imap']['host']}:{a['imap']['port']}" if a["imap"] else "",
                    f"{a['smtp']['host']}:{a['smtp']['port']}" if a["smtp"] else "",
                    a["channel"],
                )
                for a in data
            ],
            empty=_("No mail accounts yet: add one with `tix account add`."),
        ),
    )
