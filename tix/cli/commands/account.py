"""``tix account``: the mail accounts tix receives and sends with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

if TYPE_CHECKING:
    from tix.core.mail.oauth2 import Endpoints, Tokens
    from tix.core.models import MailAccount

app = typer.Typer(no_args_is_help=True)

AUTH_HELP = _("Sign-in: password (default) or oauth2.")
TOKEN_CMD_HELP = _("With --auth oauth2: a command printing a current access token (oama ...).")


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
    auth: Annotated[str, typer.Option("--auth", help=AUTH_HELP, metavar="MODE")] = "password",
    oauth2_token_cmd: Annotated[
        str, typer.Option("--oauth2-token-cmd", help=TOKEN_CMD_HELP, metavar="CMD")
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
    smtp_tls: Annotated[
        str,
        typer.Option(
            "--smtp-tls", help=_("TLS for SMTP if it differs from --tls."), metavar="MODE"
        ),
    ] = "",
    sent_folder: Annotated[
        str,
        typer.Option(
            "--sent-folder", help=_("IMAP folder for copies of sent mail."), metavar="FOLDER"
        ),
    ] = "",
    move_to: Annotated[
        str,
        typer.Option(
            "--move-to", help=_("Move imported mail to this IMAP folder."), metavar="FOLDER"
        ),
    ] = "",
    json_output: JsonOption = False,
) -> None:
    from tix.core.details import account_json
    from tix.core.services import accounts, channels

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
            smtp_tls=smtp_tls,
            sent_folder=sent_folder,
            move_to=move_to,
            auth=auth,
            oauth2_token_cmd=oauth2_token_cmd,
        )
        data = account_json(account, found.name if found else None)
    emit(data, lambda: say(_("Added mail account {name}.").format(name=data["name"])))
    if data["auth"] == "oauth2" and not oauth2_token_cmd:
        say(
            _("Sign in next: tix account oauth {name} --provider microsoft|google|custom").format(
                name=data["name"]
            )
        )


@app.command(
    "list",
    help=_("List mail accounts.\n\n\b\nExample:\n  tix account list"),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.details import account_json
    from tix.core.models import Channel
    from tix.core.services import accounts

    with context.session() as session:
        data = []
        for account in accounts.list_accounts(session):
            channel = session.get(Channel, account.channel_id) if account.channel_id else None
            data.append(account_json(account, channel.name if channel else None))
    emit_rows(
        data,
        lambda: table(
            [_("Account"), _("Address"), _("IMAP"), _("SMTP"), _("Channel"), _("Sign-in")],
            [
                (
                    a["name"],
                    a["address"],
                    f"{a['imap']['host']}:{a['imap']['port']}" if a["imap"] else "",
                    f"{a['smtp']['host']}:{a['smtp']['port']}" if a["smtp"] else "",
                    a["channel"],
                    _sign_in_cell(a),
                )
                for a in data
            ],
            empty=_("No mail accounts yet: add one with `tix account add`."),
        ),
        fields=(
            "name",
            "address",
            "display_name",
            "imap",
            "smtp",
            "tls",
            "password_from",
            "auth",
            "oauth2",
            "auth_problem",
            "auth_problem_at",
            "channel",
        ),
        default=("name", "address", "imap", "smtp", "channel", "auth", "auth_problem"),
    )


def _sign_in_cell(account: dict[str, object]) -> str:
    problem = account.get("auth_problem")
    mode = str(account["auth"])
    if problem:
        return _("{mode} – PROBLEM: {problem}").format(mode=mode, problem=problem)
    return mode


@app.command(
    "set",
    help=_(
        "Change a mail account (admins only); give only what changes.\n\n\b\nExample:\n"
        "  tix account set support --smtp-host smtp.example.com --smtp-tls starttls "
        "--sent-folder Sent"
    ),
)
def set_(
    name: Annotated[str, typer.Argument(help=_("The account."), metavar="NAME")],
    address: Annotated[
        str | None, typer.Option("--address", help=_("E-mail address."), metavar="ADDR")
    ] = None,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help=_("Sender name."), metavar="NAME")
    ] = None,
    imap_host: Annotated[
        str | None, typer.Option("--imap-host", help=_("IMAP server."), metavar="HOST")
    ] = None,
    imap_port: Annotated[
        int | None, typer.Option("--imap-port", help=_("IMAP port."), metavar="PORT")
    ] = None,
    imap_user: Annotated[
        str | None, typer.Option("--imap-user", help=_("IMAP login."), metavar="USER")
    ] = None,
    imap_folder: Annotated[
        str | None, typer.Option("--imap-folder", help=_("Folder to read."), metavar="FOLDER")
    ] = None,
    smtp_host: Annotated[
        str | None, typer.Option("--smtp-host", help=_("SMTP server."), metavar="HOST")
    ] = None,
    smtp_port: Annotated[
        int | None, typer.Option("--smtp-port", help=_("SMTP port."), metavar="PORT")
    ] = None,
    smtp_user: Annotated[
        str | None, typer.Option("--smtp-user", help=_("SMTP login."), metavar="USER")
    ] = None,
    tls: Annotated[
        str | None, typer.Option("--tls", help=_("ssl, starttls or none."), metavar="MODE")
    ] = None,
    smtp_tls: Annotated[
        str | None, typer.Option("--smtp-tls", help=_("TLS for SMTP."), metavar="MODE")
    ] = None,
    password_env: Annotated[
        str | None,
        typer.Option("--password-env", help=_("Variable holding the password."), metavar="VAR"),
    ] = None,
    password_cmd: Annotated[
        str | None,
        typer.Option("--password-cmd", help=_("Command printing the password."), metavar="CMD"),
    ] = None,
    auth: Annotated[str | None, typer.Option("--auth", help=AUTH_HELP, metavar="MODE")] = None,
    oauth2_token_cmd: Annotated[
        str | None, typer.Option("--oauth2-token-cmd", help=TOKEN_CMD_HELP, metavar="CMD")
    ] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help=_("Channel for new tickets."), metavar="CHANNEL")
    ] = None,
    sent_folder: Annotated[
        str | None,
        typer.Option(
            "--sent-folder",
            help=_("Folder for copies of sent mail (empty: none)."),
            metavar="FOLDER",
        ),
    ] = None,
    move_to: Annotated[
        str | None,
        typer.Option(
            "--move-to", help=_("Folder imported mail is moved to (empty: none)."), metavar="FOLDER"
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.details import account_json
    from tix.core.models import Channel
    from tix.core.services import accounts, channels

    given = {
        "address": address,
        "display_name": display_name,
        "imap_host": imap_host,
        "imap_port": imap_port,
        "imap_user": imap_user,
        "imap_folder": imap_folder,
        "smtp_host": smtp_host,
        "smtp_port": smtp_port,
        "smtp_user": smtp_user,
        "tls": tls,
        "smtp_tls": smtp_tls,
        "password_env": password_env,
        "password_cmd": password_cmd,
        "sent_folder": sent_folder,
        "move_to": move_to,
        "auth": auth,
        "oauth2_token_cmd": oauth2_token_cmd,
    }
    changes: dict[str, object] = {key: value for key, value in given.items() if value is not None}
    with context.session(write=True) as session:
        actor = context.acting(session)
        account = accounts.get_account(session, name)
        if channel is not None:
            changes["channel"] = channels.get_channel(session, channel)
        accounts.update_account(session, actor, account=account, changes=changes)
        found = session.get(Channel, account.channel_id) if account.channel_id else None
        data = account_json(account, found.name if found else None)
    emit(data, lambda: say(_("Saved mail account {name}.").format(name=data["name"])))


@app.command(
    "oauth",
    help=_(
        "Sign a mail account in with OAuth2 (admins only), then keep the refresh token in a "
        "file only you can read (never in the database). The device flow (default for "
        "microsoft) prints a code and an address to enter it at. The browser flow (google's, "
        "and --flow browser) prints an address to sign in at and waits for the browser to "
        "come back to this machine; over SSH, paste the address the browser ends on. Run it "
        "again when the sign-in stops working. Options not given keep the account's earlier "
        "values.\n\n\b\nExamples:\n"
        "  tix account oauth support --provider microsoft --client-id APP-ID "
        "--tenant example.com\n"
        "  tix account oauth support --provider google --client-id ID "
        "--client-secret-env GOOGLE_CLIENT_SECRET\n"
        "  tix account oauth support --provider custom --client-id ID --device-url URL "
        "--token-url URL --scopes 'mail offline_access'\n"
        "  tix account oauth support --provider custom --flow browser --client-id ID "
        "--authorize-url URL --token-url URL --scopes 'mail offline_access'"
    ),
)
def oauth(
    name: Annotated[str, typer.Argument(help=_("The account."), metavar="NAME")],
    provider: Annotated[
        str | None,
        typer.Option("--provider", help=_("microsoft, google or custom."), metavar="PROVIDER"),
    ] = None,
    flow: Annotated[
        str | None,
        typer.Option(
            "--flow",
            help=_(
                "device or browser (default: browser for google, else device unless only "
                "--authorize-url is known)."
            ),
            metavar="FLOW",
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", help=_("The app's (client) id."), metavar="ID"),
    ] = None,
    client_secret_env: Annotated[
        str | None,
        typer.Option(
            "--client-secret-env",
            help=_("Variable holding the client secret (Google needs one)."),
            metavar="VAR",
        ),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(
            "--tenant",
            help=_("Microsoft: your tenant's domain or id (default: common)."),
            metavar="TENANT",
        ),
    ] = None,
    authorize_url: Annotated[
        str | None,
        typer.Option(
            "--authorize-url",
            help=_("custom: the authorization URL (for the browser flow)."),
            metavar="URL",
        ),
    ] = None,
    token_url: Annotated[
        str | None, typer.Option("--token-url", help=_("custom: the token URL."), metavar="URL")
    ] = None,
    device_url: Annotated[
        str | None,
        typer.Option(
            "--device-url", help=_("custom: the device authorization URL."), metavar="URL"
        ),
    ] = None,
    scopes: Annotated[
        str | None,
        typer.Option(
            "--scopes", help=_("Scopes, space-separated (default: the provider's)."), metavar="S"
        ),
    ] = None,
    refresh_token_file: Annotated[
        str | None,
        typer.Option(
            "--refresh-token-file",
            help=_("Keep the refresh token in this file (default: in tix's config folder)."),
            metavar="PATH",
        ),
    ] = None,
    refresh_token_cmd: Annotated[
        str | None,
        typer.Option(
            "--refresh-token-cmd",
            help=_("Read the refresh token from this command's output instead (no sign-in)."),
            metavar="CMD",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from pathlib import Path

    from tix.core.details import account_json
    from tix.core.errors import Invalid
    from tix.core.mail import oauth2
    from tix.core.permissions import require_admin
    from tix.core.services import accounts

    with context.session() as session:
        require_admin(context.acting(session), _("change mail accounts"))
        account = accounts.get_account(session, name)
        session.expunge(account)
    given = {
        "oauth2_provider": provider,
        "oauth2_client_id": client_id,
        "oauth2_client_secret_env": client_secret_env,
        "oauth2_tenant": tenant,
        "oauth2_authorize_url": authorize_url,
        "oauth2_token_url": token_url,
        "oauth2_device_url": device_url,
        "oauth2_scopes": scopes,
        "oauth2_refresh_token_file": refresh_token_file,
        "oauth2_refresh_token_cmd": refresh_token_cmd,
    }
    chosen = {
        key: " ".join((value if value is not None else getattr(account, key)).split())
        for key, value in given.items()
    }
    if provider is not None and provider.strip().lower() != account.oauth2_provider:
        # Another provider: the old one's URLs, tenant and scopes do not carry over.
        for key in (
            "oauth2_tenant",
            "oauth2_token_url",
            "oauth2_device_url",
            "oauth2_scopes",
            "oauth2_authorize_url",
        ):
            if given[key] is None:
                chosen[key] = ""
    chosen["oauth2_provider"] = chosen["oauth2_provider"].lower()
    if refresh_token_cmd and refresh_token_file:
        raise Invalid(_("give --refresh-token-file or --refresh-token-cmd, not both"))
    if refresh_token_file is not None and refresh_token_file.strip():
        chosen["oauth2_refresh_token_cmd"] = ""
        chosen["oauth2_refresh_token_file"] = str(Path(refresh_token_file).expanduser().absolute())
    elif refresh_token_cmd is not None and refresh_token_cmd.strip():
        chosen["oauth2_refresh_token_file"] = ""
    candidate = _with(account, chosen)
    how = _sign_in_flow(flow, candidate)
    # Refuses an unknown provider, missing ids or URLs.
    point = oauth2.endpoints(candidate, flow=None if chosen["oauth2_refresh_token_cmd"] else how)
    if chosen["oauth2_refresh_token_cmd"]:
        # The admin keeps the refresh token elsewhere: prove it works, no sign-in.
        oauth2.access_token(candidate, force_refresh=True)
        where = _("the refresh token command")
    else:
        path = oauth2.token_path(candidate)
        what = _("mail account {name}").format(name=name)
        oauth2.check_writable(path, what=what)
        if how == "browser":
            tokens = _sign_in_in_browser(point, candidate)
        else:
            tokens = _sign_in_with_device_code(point, name)
        oauth2.store_signed_in(candidate, tokens, path=path)
        where = str(path)
    from tix.core.models import Channel

    with context.session(write=True) as session:
        actor = context.acting(session)
        stored = accounts.get_account(session, name)
        accounts.set_oauth2_sign_in(session, actor, account=stored, settings=chosen)
        found = session.get(Channel, stored.channel_id) if stored.channel_id else None
        data = account_json(stored, found.name if found else None)
    emit(
        data,
        lambda: say(
            _("Signed in: mail account {name} uses OAuth2 now (refresh token: {where}).").format(
                name=name, where=where
            )
        ),
    )


def _sign_in_flow(flow: str | None, account: MailAccount) -> str:
    """The sign-in to run: the one asked for, else the provider's (see --flow's help)."""
    from tix.core.errors import Invalid, Malformed
    from tix.core.mail import oauth2

    provider = account.oauth2_provider
    if flow is not None:
        how = flow.strip().lower()
        if how not in oauth2.FLOWS:
            raise Malformed(
                _("--flow: {flow!r} is not a sign-in flow: use device or browser").format(flow=flow)
            )
        if provider == "google" and how == "device":
            raise Invalid(
                _(
                    "Google's device flow does not grant the mail scope: use --flow browser "
                    "(google's default)"
                )
            )
        return how
    if provider == "google":
        return "browser"
    if provider == "custom" and account.oauth2_authorize_url and not account.oauth2_device_url:
        return "browser"
    return "device"


def _sign_in_with_device_code(point: Endpoints, name: str) -> Tokens:
    import sys

    from tix.core.mail import oauth2

    device = oauth2.start_device_flow(point)
    sys.stderr.write(
        _(
            "To sign in mail account {name}, open {url} and enter the code {code}\n"
            "(as the mailbox's user; the code is valid for {minutes} minutes). Waiting...\n"
        ).format(
            name=name,
            url=device.verification_uri,
            code=device.user_code,
            minutes=max(int(device.expires_in // 60), 1),
        )
    )
    sys.stderr.flush()
    return oauth2.poll_device_flow(point, device)


def _sign_in_in_browser(point: Endpoints, account: MailAccount) -> Tokens:
    import sys

    from tix.core.mail import oauth2

    with oauth2.start_browser_flow(point, login_hint=account.address) as flow:
        # The address goes on a line of its own, so that it copies whole.
        sys.stderr.write(
            _(
                "To sign in mail account {name}, open this address in a browser and sign in "
                "as {address}:\n\n{url}\n\n"
                "Waiting up to {minutes} minutes for the browser to come back here. Over SSH "
                "it cannot: then paste the address your browser shows after signing in, and "
                "press Enter.\n"
            ).format(
                name=account.name,
                address=account.address,
                url=flow.url,
                minutes=max(int(oauth2.BROWSER_TIMEOUT // 60), 1),
            )
        )
        sys.stderr.flush()
        return oauth2.wait_for_browser(point, flow, paste=sys.stdin)


def _with(account: MailAccount, changes: dict[str, str]) -> MailAccount:
    """A detached copy of ``account`` with ``changes`` and OAuth2 sign-in (no token command)."""
    from tix.core.models import MailAccount

    values = {**account.model_dump(), **changes, "auth": "oauth2", "oauth2_token_cmd": ""}
    return MailAccount.model_validate(values)


@app.command(
    "test",
    help=_(
        "Connect to the account's IMAP and SMTP servers and say what works.\n\n\b\n"
        "Example:\n  tix account test support"
    ),
)
def test(
    name: Annotated[str, typer.Argument(help=_("The account."), metavar="NAME")],
    json_output: JsonOption = False,
) -> None:
    from tix.core.errors import TixError, Unavailable
    from tix.core.mail import imap, smtp
    from tix.core.mail.delivery import smtp_settings
    from tix.core.mail.sync import imap_settings
    from tix.core.services import accounts

    with context.session() as session:
        account = accounts.get_account(session, name)
        session.expunge(account)
    results: dict[str, dict[str, object]] = {}

    def check_imap() -> str:
        return imap.check(imap_settings(account))

    def check_smtp() -> str:
        return smtp.check(smtp_settings(account))

    for part, configured, check in (
        ("imap", bool(account.imap_host), check_imap),
        ("smtp", bool(account.smtp_host), check_smtp),
    ):
        if not configured:
            results[part] = {"ok": None, "message": _("not configured")}
            continue
        try:
            results[part] = {"ok": True, "message": check()}
        except (TixError, imap.ImapError, smtp.SmtpError) as error:
            results[part] = {"ok": False, "message": str(error)}

    def human() -> None:
        for part, r in results.items():
            state = "ok – " if r["ok"] else "– " if r["ok"] is None else _("FAILED") + " – "
            say(f"{part.upper()}: {state}{r['message']}")

    emit({"account": name, **results}, human)
    if any(r["ok"] is False for r in results.values()):
        failed = [part.upper() for part, r in results.items() if r["ok"] is False]
        raise Unavailable(
            _("mail account {name}: {parts} failed").format(name=name, parts=", ".join(failed))
        )
