"""``tix channel``: where tickets are handled and who may see them."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)


def _json(info: object) -> dict[str, object]:
    from tix.core.services.channels import ChannelInfo

    assert isinstance(info, ChannelInfo)
    return {
        "name": info.channel.name,
        "groups": info.groups,
        "default_owner": info.default_owner,
        "stranger_follow_ups": info.channel.stranger_follow_ups,
    }


def _stranger_label(value: str) -> str:
    return {"attach": _("attach"), "new": _("new ticket")}.get(value, value)


@app.command(
    "add",
    help=_(
        "Add a channel (admins only).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix channel add Support --group Support --default-owner ben"
    ),
)
def add(
    name: Annotated[str, typer.Argument(help=_("Channel name, e.g. Support."))],
    groups: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help=_("A group whose members work this channel (repeatable)."),
            metavar="GROUP",
        ),
    ] = None,
    default_owner: Annotated[
        str | None,
        typer.Option(
            "--default-owner", help=_("Owner of tickets that arrive without one."), metavar="LOGIN"
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import channels, users
    from tix.core.services.channels import ChannelInfo

    with context.session(write=True) as session:
        actor = context.acting(session)
        found_groups = [users.get_group(session, group) for group in groups or []]
        owner = users.get_user(session, default_owner) if default_owner else None
        channel = channels.add_channel(
            session, actor, name=name, groups=found_groups, default_owner=owner
        )
        data = _json(
            ChannelInfo(channel, [g.name for g in found_groups], owner.login if owner else None)
        )
    emit(data, lambda: say(_("Added channel {name}.").format(name=data["name"])))


@app.command(
    "list",
    help=_(
        "List channels with their groups and default owners.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix channel list --json"
    ),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import channels

    with context.session() as session:
        data = [_json(info) for info in channels.list_channels(session)]
    emit_rows(
        data,
        lambda: table(
            [_("Channel"), _("Groups"), _("Default owner"), _("Strangers' follow-ups")],
            [
                (
                    c["name"],
                    ", ".join(c["groups"]),  # type: ignore[arg-type]
                    c["default_owner"],
                    _stranger_label(str(c["stranger_follow_ups"])),
                )
                for c in data
            ],
            empty=_("No channels yet: add one with `tix channel add NAME --group GROUP`."),
        ),
        fields=("name", "groups", "default_owner", "stranger_follow_ups"),
        default=("name", "groups", "default_owner", "stranger_follow_ups"),
    )


@app.command(
    "set",
    help=_(
        "Change a channel (admins only): its groups (--group replaces them), default owner, "
        "the automatic acknowledgement of new tickets ({number}, {subject}, {name} and "
        "{channel} are filled in), and what a follow-up from a stranger does (someone "
        "who is not the ticket's customer, of the customer's organisation, or in its mail "
        "history): attach it as a third party's message that reopens nothing, or open a new "
        "ticket.\n\n\b\nExamples:\n"
        '  tix channel set Support --ack --ack-subject "Ihre Anfrage: {subject}" '
        "--ack-body-file ack.md\n"
        "  tix channel set Support --stranger-follow-ups new"
    ),
)
def set_(
    name: Annotated[str, typer.Argument(help=_("The channel."), metavar="NAME")],
    groups: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help=_("Groups that work the channel (repeatable; replaces them)."),
            metavar="GROUP",
        ),
    ] = None,
    default_owner: Annotated[
        str | None,
        typer.Option(
            "--default-owner", help=_("Owner of tickets that arrive without one."), metavar="LOGIN"
        ),
    ] = None,
    ack: Annotated[
        bool | None,
        typer.Option(
            "--ack/--no-ack",
            help=_("Answer new tickets from customers at once."),
            show_default=False,
        ),
    ] = None,
    ack_subject: Annotated[
        str | None,
        typer.Option("--ack-subject", help=_("Subject of the acknowledgement."), metavar="TEXT"),
    ] = None,
    ack_body_file: Annotated[
        str | None,
        typer.Option(
            "--ack-body-file",
            help=_("Text of the acknowledgement (Markdown), from FILE or -."),
            metavar="FILE",
        ),
    ] = None,
    web: Annotated[
        bool | None,
        typer.Option(
            "--web/--no-web",
            help=_("Take tickets from the portal and the web form."),
            show_default=False,
        ),
    ] = None,
    allowed_origins: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-origin",
            help=_("A web site whose pages may post the web form (repeatable; replaces the list)."),
            metavar="URL",
        ),
    ] = None,
    stranger_follow_ups: Annotated[
        str | None,
        typer.Option(
            "--stranger-follow-ups",
            help=_(
                "A follow-up from a stranger: attach (a third party's message, reopens "
                "nothing; the default) or new (a new ticket that points to the old one)."
            ),
            metavar="attach|new",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.cli.output import read_text
    from tix.core.services import channels, users
    from tix.core.services.channels import ChannelInfo

    body = read_text(ack_body_file, given_as="--ack-body-file") if ack_body_file else None
    with context.session(write=True) as session:
        actor = context.acting(session)
        channel = channels.get_channel(session, name)
        found_groups = [users.get_group(session, g) for g in groups] if groups else None
        owner = users.get_user(session, default_owner) if default_owner else None
        channels.update_channel(
            session,
            actor,
            channel=channel,
            groups=found_groups,
            default_owner=owner,
            acknowledge=ack,
            ack_subject=ack_subject,
            ack_body=body,
            web=web,
            allowed_origins=allowed_origins,
            stranger_follow_ups=stranger_follow_ups,
        )
        info = next(i for i in channels.list_channels(session) if i.channel.id == channel.id)
        data = _json(ChannelInfo(info.channel, info.groups, info.default_owner))
        data["acknowledge"] = channel.acknowledge
        data["web"] = channel.web
        data["allowed_origins"] = channel.allowed_origins or []
    emit(data, lambda: say(_("Saved channel {name}.").format(name=data["name"])))
