"""``tix template``: text modules, named texts with variables for replies and notes."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import (
    BodyFileOption,
    BodyOption,
    FieldsOption,
    FormatOption,
    JsonOption,
    emit,
    emit_rows,
    read_body,
    say,
    table,
)
from tix.core.i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

    from tix.core.models import Channel
    from tix.core.services.text_modules import TextModuleInfo

app = typer.Typer(
    no_args_is_help=True,
    help=_(
        "Text modules: named texts with variables. Variables: {{ customer.name }}, "
        "{{ customer.first_name }}, {{ customer.last_name }}, {{ customer.email }}, "
        "{{ customer.organization }}, {{ ticket.number }}, {{ ticket.subject }}, "
        "{{ ticket.status }}, {{ ticket.priority }}, {{ agent.name }}, {{ agent.first_name }}, "
        "{{ agent.email }}, {{ agent.signature }}, {{ channel.name }}, {{ account.address }}."
    ),
)

NameArgument = Annotated[str, typer.Argument(help=_("The text module's name."), metavar="NAME")]
ChannelOption = Annotated[
    str | None,
    typer.Option(
        "--channel",
        help=_("The channel the text module belongs to (default: global)."),
        metavar="CHANNEL",
        show_default=False,
    ),
]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--language",
        help=_("de or en (default: for any language)."),
        metavar="LANG",
        show_default=False,
    ),
]


def _channel(session: Session, name: str | None) -> Channel | None:
    from tix.core.services import channels

    return channels.get_channel(session, name) if name else None


def _json(info: TextModuleInfo, *, bodies: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": info.name,
        "channel": info.channel.name if info.channel else None,
        "languages": [code or "any" for code in info.languages],
    }
    if bodies:
        data["texts"] = {code or "any": row.body for code, row in sorted(info.variants.items())}
    return data


@app.command(
    "add",
    help=_(
        "Add a text module, or its text in one more language. Global ones are for admins to "
        "add, a channel's for the agents of that channel.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        '  tix template add greeting --body "Hello {{ customer.first_name }},"\n'
        '  tix template add greeting --language de --body "Hallo {{ customer.first_name }},"\n'
        "  tix template add rma --channel Support --body-file rma.md"
    ),
)
def add(
    name: NameArgument,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    channel: ChannelOption = None,
    language: LanguageOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import text_modules

    text = read_body(body, body_file)
    assert text is not None
    with context.session(write=True) as session:
        actor = context.acting(session)
        info = text_modules.add_text_module(
            session,
            actor,
            name=name,
            body=text,
            channel=_channel(session, channel),
            language=language,
        )
        data = _json(info)
        described = info.describe()
    emit(data, lambda: say(_("Saved {module}.").format(module=described)))


@app.command(
    "list",
    help=_(
        "List the text modules you may use: the global ones and those of your channels.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix template list\n"
        "  tix template list --ticket 1042 --json"
    ),
)
def list_(
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel",
            help=_("Only the global ones and this channel's."),
            metavar="CHANNEL",
            show_default=False,
        ),
    ] = None,
    ticket: Annotated[
        str | None,
        typer.Option(
            "--ticket",
            help=_("Only those you may use on this ticket."),
            metavar="N",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import text_modules, tickets

    with context.session() as session:
        actor = context.acting(session)
        found_ticket = tickets.get_ticket(session, actor, ticket) if ticket else None
        infos = text_modules.list_text_modules(
            session, actor, channel=_channel(session, channel), ticket=found_ticket
        )
        data = [_json(info) for info in infos]
        previews = [
            " ".join(info.variant(None).body.split()) if info.variants else "" for info in infos
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Name"), _("Channel"), _("Languages"), _("Text")],
            [
                (
                    row["name"],
                    row["channel"] or _("(global)"),
                    ", ".join(row["languages"]),
                    preview,
                )
                for row, preview in zip(data, previews, strict=True)
            ],
            empty=_("No text modules yet: add one with `tix template add NAME --body TEXT`."),
            wide=3,
        ),
        fields=("name", "channel", "languages", "texts"),
        default=("name", "channel", "languages"),
    )


@app.command(
    "show",
    help=_(
        "Show a text module as written; with --ticket, filled in for that ticket, in its "
        "customer's language.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix template show greeting\n"
        "  tix template show greeting --ticket 1042"
    ),
)
def show(
    name: NameArgument,
    channel: ChannelOption = None,
    language: LanguageOption = None,
    ticket: Annotated[
        str | None,
        typer.Option(
            "--ticket",
            help=_("Fill the variables in for this ticket."),
            metavar="N",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import text_modules, tickets

    with context.session() as session:
        actor = context.acting(session)
        found_channel = _channel(session, channel)
        found_ticket = tickets.get_ticket(session, actor, ticket) if ticket else None
        info = text_modules.get_text_module(
            session, actor, name, channel=found_channel, ticket=found_ticket
        )
        data = _json(info)
        if found_ticket is not None:
            text = text_modules.render_text_module(
                session, actor, info, ticket=found_ticket, language=language
            )
            data["ticket"] = found_ticket.number
            data["rendered"] = text
        else:
            text = info.variant(text_modules.parse_language(language)).body

    def human() -> None:
        sys.stdout.write(text.rstrip("\n") + "\n")

    emit(data, human)


@app.command(
    "set",
    help=_(
        "Change the text of a text module (in one language) or its name.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix template set greeting --language de --body-file gruss.md\n"
        "  tix template set rma --channel Support --rename return"
    ),
)
def set_(
    name: NameArgument,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    channel: ChannelOption = None,
    language: LanguageOption = None,
    rename: Annotated[
        str | None,
        typer.Option("--rename", help=_("A new name."), metavar="NAME", show_default=False),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import text_modules

    text = read_body(body, body_file, required=rename is None)
    with context.session(write=True) as session:
        actor = context.acting(session)
        info = text_modules.set_text_module(
            session,
            actor,
            name=name,
            channel=_channel(session, channel),
            language=language,
            body=text,
            new_name=rename,
        )
        data = _json(info)
        described = info.describe()
    emit(data, lambda: say(_("Saved {module}.").format(module=described)))


@app.command(
    "remove",
    help=_(
        "Remove a text module, or with --language only its text in that language.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix template remove greeting --language de"
    ),
)
def remove(
    name: NameArgument,
    channel: ChannelOption = None,
    language: LanguageOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import text_modules

    with context.session(write=True) as session:
        actor = context.acting(session)
        info = text_modules.remove_text_module(
            session, actor, name=name, channel=_channel(session, channel), language=language
        )
        data = _json(info)
        described = info.describe()
    emit(data, lambda: say(_("Removed {module}.").format(module=described)))
