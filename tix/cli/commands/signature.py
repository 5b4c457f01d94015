"""``tix signature``: the text under the mails agents send from tickets."""

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

    from tix.core.models import Signature, User
    from tix.core.services.signatures import SignatureOwner

app = typer.Typer(no_args_is_help=True)

ChannelArgument = Annotated[
    str | None,
    typer.Argument(
        help=_("The channel whose signature it is."), metavar="CHANNEL", show_default=False
    ),
]
AccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help=_("The mail account whose signature it is (wins over its channel's)."),
        metavar="NAME",
        show_default=False,
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        help=_("The agent whose own signature it is (placed above the channel's)."),
        metavar="LOGIN",
        show_default=False,
    ),
]
MineOption = Annotated[
    bool, typer.Option("--mine", help=_("Your own signature (as --user with your login)."))
]


def _owner(
    session: Session,
    actor: User,
    channel: str | None,
    account: str | None,
    user: str | None,
    mine: bool,
) -> SignatureOwner:
    from tix.core.services import accounts, channels, users
    from tix.core.services.signatures import SignatureOwner

    given = [x for x in (channel, account, user) if x is not None] + (["mine"] if mine else [])
    if len(given) != 1:
        raise typer.BadParameter(
            _("name one signature: a CHANNEL, --account NAME, --user LOGIN or --mine")
        )
    if channel is not None:
        return SignatureOwner(channel=channels.get_channel(session, channel))
    if account is not None:
        return SignatureOwner(account=accounts.get_account(session, account))
    return SignatureOwner(user=actor if mine else users.get_user(session, user or ""))


def _json(owner: SignatureOwner, signature: Signature, zone: Any) -> dict[str, Any]:
    return {
        "kind": owner.kind,
        "name": owner.name,
        "body": signature.body,
        "acknowledgements": signature.acknowledgements,
        "updated_at": signature.updated_at.astimezone(zone).isoformat(),
    }


def _kind_label(kind: str) -> str:
    return {"channel": _("channel"), "account": _("account"), "user": _("user")}.get(kind, kind)


@app.command(
    "set",
    help=_(
        "Set the signature of a channel or mail account (admins) or an agent (admins, or "
        "you for your own). A mail gets its account's signature, else its channel's; the "
        "agent's own one goes above it, or where it says {{ agent.signature }}. Variables: "
        "{{ agent.name }}, {{ agent.first_name }}, {{ agent.email }}, {{ channel.name }}, "
        "{{ account.address }} ... (see `tix template --help`).\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix signature set Support --body-file footer.md\n"
        "  tix signature set --account support --body-file - < footer.md\n"
        '  tix signature set --mine --body "Kind regards, {{ agent.first_name }}"'
    ),
)
def set_(
    channel: ChannelArgument = None,
    account: AccountOption = None,
    user: UserOption = None,
    mine: MineOption = False,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    acknowledgements: Annotated[
        bool | None,
        typer.Option(
            "--acknowledgements/--no-acknowledgements",
            help=_("Also sign the channel's automatic acknowledgements (default: no)."),
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import signatures

    text = read_body(body, body_file)
    assert text is not None
    with context.session(write=True) as session:
        actor = context.acting(session)
        owner = _owner(session, actor, channel, account, user, mine)
        saved = signatures.set_signature(
            session, actor, owner, body=text, acknowledgements=acknowledgements
        )
        data = _json(owner, saved, context.zone(actor))
        described = owner.describe()
    emit(data, lambda: say(_("Saved the signature of {owner}.").format(owner=described)))


@app.command(
    "show",
    help=_(
        "Show a signature as written; with --ticket, the signature your mail on that ticket "
        "gets, its variables filled in.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix signature show Support\n"
        "  tix signature show --ticket 1042"
    ),
)
def show(
    channel: ChannelArgument = None,
    account: AccountOption = None,
    user: UserOption = None,
    mine: MineOption = False,
    ticket: Annotated[
        str | None,
        typer.Option(
            "--ticket",
            help=_("Show what a mail from you on this ticket is signed with."),
            metavar="N",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import signatures, tickets

    with context.session() as session:
        actor = context.acting(session)
        if ticket is not None:
            if channel or account or user or mine:
                raise typer.BadParameter(_("give --ticket alone, or a signature to show"))
            found = tickets.get_ticket(session, actor, ticket)
            rendered = signatures.ticket_signature(session, actor, found)
            data: dict[str, Any] = {"ticket": found.number, "signature": rendered}
            empty = _("Mail on #{number} goes out without a signature.").format(number=found.number)
        else:
            owner = _owner(session, actor, channel, account, user, mine)
            data = _json(owner, signatures.get_signature(session, owner), context.zone(actor))
            rendered = str(data["body"])
            empty = ""

    def human() -> None:
        sys.stdout.write((rendered or empty).rstrip("\n") + "\n")

    emit(data, human)


@app.command(
    "list",
    help=_(
        "List the signatures of channels, accounts and agents.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix signature list --fields kind,name"
    ),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import signatures

    with context.session() as session:
        actor = context.acting(session)
        zone = context.zone(actor)
        data = [
            _json(owner, signature, zone)
            for owner, signature in signatures.list_signatures(session)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("For"), _("Name"), _("Acknowledgements"), _("Signature")],
            [
                (
                    _kind_label(str(row["kind"])),
                    row["name"],
                    _("yes") if row["acknowledgements"] else "",
                    " ".join(str(row["body"]).split()),
                )
                for row in data
            ],
            empty=_("No signatures yet: set one with `tix signature set CHANNEL --body-file F`."),
            wide=3,
        ),
        fields=("kind", "name", "body", "acknowledgements", "updated_at"),
        default=("kind", "name", "acknowledgements", "body"),
    )


@app.command(
    "remove",
    help=_(
        "Remove a signature; mail then goes out with the next one that applies, or none.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix signature remove --account support"
    ),
)
def remove(
    channel: ChannelArgument = None,
    account: AccountOption = None,
    user: UserOption = None,
    mine: MineOption = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import signatures

    with context.session(write=True) as session:
        actor = context.acting(session)
        owner = _owner(session, actor, channel, account, user, mine)
        data = _json(owner, signatures.get_signature(session, owner), context.zone(actor))
        signatures.remove_signature(session, actor, owner)
        described = owner.describe()
    emit(data, lambda: say(_("Removed the signature of {owner}.").format(owner=described)))
