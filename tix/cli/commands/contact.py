"""``tix contact``: customers and suppliers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _
from tix.core.labels import contact_kind_label

app = typer.Typer(no_args_is_help=True)


@app.command(
    "add",
    help=_(
        "Add a contact, or another address of a contact (--same-as).\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  tix contact add maria@kunde.de --name "Maria Roth" --org "Kunde GmbH"'
    ),
)
def add(
    address: Annotated[str, typer.Argument(help=_("E-mail address."), metavar="ADDR")],
    name: Annotated[
        str | None, typer.Option("--name", help=_("Full name."), metavar="NAME")
    ] = None,
    kind: Annotated[
        str, typer.Option("--kind", help=_("customer or supplier."), metavar="KIND")
    ] = "customer",
    org: Annotated[
        str | None,
        typer.Option("--org", help=_("Organisation (made on first use)."), metavar="ORG"),
    ] = None,
    same_as: Annotated[
        str | None,
        typer.Option(
            "--same-as", help=_("Add ADDR as another address of this contact."), metavar="ADDR"
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.details import contact_json
    from tix.core.services import contacts

    with context.session(write=True) as session:
        actor = context.acting(session)
        if same_as is not None:
            contact = contacts.get_contact(session, same_as)
            contacts.add_contact_address(session, actor, contact=contact, address=address)
        else:
            if not name:
                raise typer.BadParameter(_("give the contact's name with --name"))
            contact = contacts.add_contact(
                session, actor, address=address, name=name, kind=kind, organization=org
            )
        data = contact_json(session, contact) or {}
        data["addresses"] = contacts.addresses_of(session, contact)
    emit(
        data,
        lambda: say(
            _("Saved contact {name} <{address}>.").format(
                name=data["name"], address=data["address"]
            )
        ),
    )


@app.command(
    "list",
    help=_("List contacts.\n\n\b\nExample:\n  tix contact list --search kunde.de"),
)
def list_(
    search: Annotated[
        str | None,
        typer.Option(
            "--search", help=_("Part of a name, address or organisation."), metavar="TEXT"
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help=_("At most this many."), min=1, metavar="N")
    ] = 200,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import contacts

    with context.session() as session:
        data: list[dict[str, Any]] = [
            {
                "name": info.contact.name,
                "address": info.addresses[0] if info.addresses else None,
                "addresses": info.addresses,
                "kind": info.contact.kind,
                "organization": info.organization,
                "language": info.contact.language or None,
            }
            for info in contacts.list_contacts(session, search=search, limit=limit)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Name"), _("Addresses"), _("Kind"), _("Organisation")],
            [
                (
                    c["name"],
                    ", ".join(c["addresses"]),
                    contact_kind_label(c["kind"]),
                    c["organization"],
                )
                for c in data
            ],
            empty=_("No contacts found."),
        ),
        fields=("name", "address", "addresses", "kind", "organization", "language"),
        default=("name", "addresses", "kind", "organization"),
    )


@app.command(
    "set",
    help=_(
        "Change a contact: name, kind, organisation, language (for the mails tix sends "
        "it and its portal pages). An empty --org or --language removes it.\n\n\b\n"
        "Example:\n"
        '  tix contact set maria@kunde.de --org "Kunde GmbH" --language de'
    ),
)
def set_(
    address: Annotated[str, typer.Argument(help=_("Any of its addresses."), metavar="ADDR")],
    name: Annotated[
        str | None, typer.Option("--name", help=_("Full name."), metavar="NAME")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help=_("customer or supplier."), metavar="KIND")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option("--org", help=_("Organisation (made on first use)."), metavar="ORG"),
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", help=_("en or de."), metavar="LANG")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.details import contact_json
    from tix.core.services import contacts

    if name is None and kind is None and org is None and language is None:
        raise typer.BadParameter(_("say what to change: --name, --kind, --org or --language"))
    with context.session(write=True) as session:
        actor = context.acting(session)
        contact = contacts.get_contact(session, address)
        contacts.update_contact(
            session, actor, contact, name=name, kind=kind, organization=org, language=language
        )
        data = contact_json(session, contact) or {}
        data["addresses"] = contacts.addresses_of(session, contact)
        data["language"] = contact.language or None
    emit(
        data,
        lambda: say(
            _("Saved contact {name} <{address}>.").format(
                name=data["name"], address=data["address"]
            )
        ),
    )


@app.command(
    "portal-enable",
    help=_(
        "Let a customer log in to the portal (admins only): --invite mails a one-time link "
        "to set a password; --password-stdin reads the password from stdin. "
        "--organization lets them see their organisation's tickets.\n\n\b\nExamples:\n"
        "  tix contact portal-enable maria@kunde.de --invite\n"
        "  printf '%s' \"$PW\" | tix contact portal-enable maria@kunde.de --password-stdin"
    ),
)
def portal_enable(
    address: Annotated[str, typer.Argument(help=_("The contact's address."), metavar="ADDR")],
    invite: Annotated[bool, typer.Option("--invite", help=_("Mail an invitation link."))] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help=_("Read the password from stdin."))
    ] = False,
    organization: Annotated[
        bool | None,
        typer.Option(
            "--organization/--own-only",
            help=_("See the organisation's tickets too."),
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    import sys

    from tix.core.services import contacts, portal

    if invite == password_stdin:
        raise typer.BadParameter(_("give --invite or --password-stdin"))
    password = sys.stdin.read().rstrip("\r\n") if password_stdin else None
    with context.session(write=True) as session:
        actor = context.acting(session)
        contact = contacts.get_contact(session, address)
        link = None
        if invite:
            if organization is not None:
                contact.sees_organization = organization
            link = portal.invite(
                session, actor, contact=contact, base_url=context.settings().portal_url
            )
        else:
            portal.enable(
                session, actor, contact=contact, password=password, sees_organization=organization
            )
        data = {
            "address": address,
            "portal": True,
            "invited": bool(link),
            "organization": contact.sees_organization,
        }
    emit(
        data,
        lambda: say(
            (
                _("Mailed an invitation to {address}.")
                if link
                else _("{address} can log in to the portal now.")
            ).format(address=address)
        ),
    )


@app.command(
    "portal-disable",
    help=_(
        "Take a customer's portal access away (admins only).\n\n\b\nExample:\n"
        "  tix contact portal-disable maria@kunde.de"
    ),
)
def portal_disable(
    address: Annotated[str, typer.Argument(help=_("The contact's address."), metavar="ADDR")],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import contacts, portal

    with context.session(write=True) as session:
        portal.disable(
            session, context.acting(session), contact=contacts.get_contact(session, address)
        )
    emit(
        {"address": address, "portal": False},
        lambda: say(_("{address} can no longer log in.").format(address=address)),
    )
