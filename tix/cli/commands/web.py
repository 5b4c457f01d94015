"""``tix apikey``, ``tix form``, ``tix webform`` and ``tix serve``: tix on the web."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

apikey_app = typer.Typer(no_args_is_help=True)
form_app = typer.Typer(no_args_is_help=True)
webform_app = typer.Typer(no_args_is_help=True)
serve_app = typer.Typer()


@apikey_app.command(
    "add",
    help=_(
        "Make an API key (admins only); it is shown once. The key acts as --agent, within "
        "its access, and only in the --channel(s) given.\n\n\b\nExample:\n"
        "  tix apikey add website --agent ben --channel Support --json"
    ),
)
def apikey_add(
    name: Annotated[str, typer.Argument(help=_("A name for the key."), metavar="NAME")],
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent", help=_("The user the key acts as (default: you)."), metavar="LOGIN"
        ),
    ] = None,
    channels: Annotated[
        list[str] | None,
        typer.Option("--channel", help=_("Only this channel (repeatable)."), metavar="CHANNEL"),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import apikeys, users
    from tix.core.services import channels as channel_service

    with context.session(write=True) as session:
        actor = context.acting(session)
        user = users.get_user(session, agent) if agent else actor
        found = [channel_service.get_channel(session, c) for c in channels or []]
        key, token = apikeys.create_key(
            session, actor, name=name, agent=user, channels=found or None
        )
        data = {"name": key.name, "token": token, "agent": user.login, "channels": key.channels}

    def human() -> None:
        sys.stdout.write(token + "\n")
        say(_("Made API key {name}; this is the only time it is shown.").format(name=name))

    emit(data, human)


@apikey_app.command(
    "list", help=_("List API keys (admins only).\n\n\b\nExample:\n  tix apikey list")
)
def apikey_list(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import apikeys
    from tix.core.timeutil import iso

    with context.session() as session:
        actor = context.acting(session)
        zone = context.zone(actor)
        data: list[dict[str, Any]] = [
            {
                "name": key.name,
                "prefix": key.prefix,
                "agent": login,
                "channels": key.channels,
                "created_at": iso(key.created_at, zone),
                "last_used_at": iso(key.last_used_at, zone),
                "revoked": key.revoked_at is not None,
            }
            for key, login in apikeys.list_keys(session, actor)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Name"), _("Starts with"), _("Agent"), _("Channels"), _("Last used"), _("Revoked")],
            [
                (
                    k["name"],
                    k["prefix"],
                    k["agent"],
                    ", ".join(k["channels"] or []) or _("all"),
                    (k["last_used_at"] or "")[:16].replace("T", " "),
                    _("yes") if k["revoked"] else "",
                )
                for k in data
            ],
            empty=_("No API keys."),
        ),
        fields=("name", "prefix", "agent", "channels", "created_at", "last_used_at", "revoked"),
        default=("name", "prefix", "agent", "channels", "last_used_at", "revoked"),
    )


@apikey_app.command(
    "revoke",
    help=_("Revoke an API key (admins only).\n\n\b\nExample:\n  tix apikey revoke website"),
)
def apikey_revoke(
    name: Annotated[str, typer.Argument(help=_("The key's name."), metavar="NAME")],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import apikeys

    with context.session(write=True) as session:
        apikeys.revoke_key(session, context.acting(session), name=name)
    emit(
        {"name": name, "revoked": True}, lambda: say(_("Revoked API key {name}.").format(name=name))
    )


@form_app.command(
    "set",
    help=_(
        "Define the fields customers fill in when opening a ticket in CHANNEL (portal and "
        "web form), from a TOML or JSON file (admins only); --clear removes the form.\n\n\b\n"
        "Example:\n  tix form set Support support-form.toml"
    ),
)
def form_set(
    channel: Annotated[str, typer.Argument(help=_("The channel."), metavar="CHANNEL")],
    file: Annotated[
        Path | None, typer.Argument(help=_("TOML or JSON definition."), metavar="FILE")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help=_("Remove the form."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.cli.output import read_text
    from tix.core.services import channels, forms

    if (file is None) == (not clear):
        raise typer.BadParameter(_("give a FILE or --clear"))
    fields = None
    if file is not None:
        text = read_text(str(file), given_as="FILE")
        fields = forms.parse_definition(text, filename=file.name)
    with context.session(write=True) as session:
        found = channels.get_channel(session, channel)
        forms.set_form(session, context.acting(session), channel=found, fields=fields)
        data = {"channel": found.name, "fields": found.form or []}
    emit(
        data,
        lambda: say(
            _("Saved the form of {channel} ({count} fields).").format(
                channel=channel, count=len(data["fields"])
            )
        ),
    )


@form_app.command(
    "show", help=_("Show a channel's form.\n\n\b\nExample:\n  tix form show Support --json")
)
def form_show(
    channel: Annotated[str, typer.Argument(help=_("The channel."), metavar="CHANNEL")],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import channels

    with context.session() as session:
        found = channels.get_channel(session, channel)
        data: dict[str, Any] = {
            "channel": found.name,
            "web": found.web,
            "allowed_origins": found.allowed_origins or [],
            "fields": found.form or [],
        }
    emit(
        data,
        lambda: table(
            [_("Field"), _("Label"), _("Type"), _("Required"), _("Options")],
            [
                (
                    f["name"],
                    f["label"],
                    f["type"],
                    _("yes") if f["required"] else "",
                    ", ".join(f["options"]),
                )
                for f in data["fields"]
            ],
            empty=_("{channel} has no form: customers give a subject and a message.").format(
                channel=channel
            ),
        ),
    )


@webform_app.command(
    "snippet",
    help=_(
        "Print the HTML form to paste into your web site for CHANNEL.\n\n\b\nExample:\n"
        "  tix webform snippet Support > contact-form.html"
    ),
)
def webform_snippet(
    channel: Annotated[str, typer.Argument(help=_("The channel."), metavar="CHANNEL")],
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help=_(
                "The form's language, en or de (default: the channel's, that of its "
                "default owner); tix's answer pages speak it too."
            ),
            metavar="LANG",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.i18n import LANGUAGES, language_code, normal_language
    from tix.core.services import channels
    from tix.web.snippet import channel_language, snippet

    if language is not None and normal_language(language) is None:
        raise typer.BadParameter(
            _("unknown language {language!r}: use {languages}").format(
                language=language, languages=" or ".join(LANGUAGES)
            ),
            param_hint="--language",
        )
    with context.session() as session:
        found = channels.get_channel(session, channel)
        if not found.web:
            from tix.core.errors import Invalid

            raise Invalid(
                _(
                    "channel {channel} takes no tickets from the web: allow it with "
                    "`tix channel set {channel} --web`"
                ).format(channel=found.name)
            )
        chosen = (
            normal_language(language)
            if language is not None
            else channel_language(session, found) or language_code()
        ) or "en"
        html = snippet(
            base_url=context.settings().portal_url,
            channel=found.name,
            form=found.form,
            language=chosen,
        )
    emit({"channel": channel, "language": chosen, "html": html}, lambda: print(html, end=""))


@serve_app.command(
    "serve",
    help=_(
        "Serve the web API (/api/v1/, docs at /api/v1/docs), the web form (/form/) and the "
        "customer portal (/portal/). Put it behind a reverse proxy with TLS and set "
        "TIX_PORTAL_URL to its https address.\n\n\b\nExample:\n  tix serve --port 8080"
    ),
)
def serve(
    host: Annotated[
        str, typer.Option("--host", help=_("Address to listen on."), metavar="HOST")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help=_("Port."), metavar="PORT")] = 8080,
    workers: Annotated[
        int, typer.Option("--workers", help=_("Worker processes."), metavar="N", min=1)
    ] = 1,
    json_output: JsonOption = False,
) -> None:
    import os

    import uvicorn  # ~100 ms with FastAPI: only this command pays

    from tix.web.app import create_app

    options = {
        "host": host,
        "port": port,
        "proxy_headers": True,
        "forwarded_allow_ips": context.settings().trusted_proxies,
        "log_level": "info",
    }
    if workers == 1:
        uvicorn.run(create_app(context.settings()), **options)  # type: ignore[arg-type]
        return
    # Several processes import the app themselves, from the same settings.
    create_app(context.settings())  # fail here, once, if the database is not ready
    if context.options.database_url:
        os.environ["TIX_DATABASE_URL"] = context.options.database_url
    uvicorn.run("tix.web.app:app_from_environment", factory=True, workers=workers, **options)  # type: ignore[arg-type]
