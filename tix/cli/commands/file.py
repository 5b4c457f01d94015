"""``tix file``: files on a ticket."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import (
    FieldsOption,
    FormatOption,
    JsonOption,
    emit,
    emit_rows,
    read_files,
    say,
    table,
    writable,
)
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)

NumberArgument = Annotated[str, typer.Argument(help=_("Ticket number."), metavar="N")]


@app.command(
    "add",
    help=_(
        "Upload files to a ticket.\n\n\b\nExample:\n  tix file add 1042 photo.jpg Lieferschein.pdf"
    ),
)
def add(
    number: NumberArgument,
    paths: Annotated[list[str], typer.Argument(help=_("The files."), metavar="PATH...")],
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import files, tickets

    new_files = read_files(paths, max_size=context.settings().max_file_size)
    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        stored = files.add_files(session, actor, ticket=ticket, files=new_files)
        zone = context.zone(actor)
        logins = files.uploader_logins(session, stored)
        data = [_json(f, zone, logins) for f in stored]
        ticket_number = ticket.number
    emit(
        data,
        lambda: say(
            _("Added {count} files to #{number}.").format(count=len(data), number=ticket_number)
        ),
    )


def _json(ticket_file: object, zone: object, logins: dict[int, str]) -> dict[str, Any]:
    from tix.core.services.files import file_json
    from tix.core.timeutil import iso

    data = file_json(ticket_file, logins)  # type: ignore[arg-type]
    data["created_at"] = iso(data["created_at"], zone)  # type: ignore[arg-type]
    return data


@app.command(
    "list",
    help=_("List a ticket's files, attachments included.\n\n\b\nExample:\n  tix file list 1042"),
)
def list_(
    number: NumberArgument,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import files, tickets

    with context.session() as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        zone = context.zone(actor)
        found = files.ticket_files(session, ticket)
        logins = files.uploader_logins(session, found)
        data = [_json(f, zone, logins) for f in found]
    emit_rows(
        data,
        lambda: table(
            ["ID", _("Name"), _("Size"), _("Type"), _("Added"), _("By")],
            [
                (
                    f["id"],
                    f["name"],
                    files.human_size(int(f["size"])),
                    f["content_type"],
                    str(f["created_at"])[:16].replace("T", " "),
                    f["uploaded_by"] or "",
                )
                for f in data
            ],
            empty=_("No files on this ticket."),
            wide=1,
        ),
        fields=(
            "id",
            "name",
            "size",
            "content_type",
            "sha256",
            "activity",
            "inline",
            "uploaded_by",
            "created_at",
        ),
        default=("id", "name", "size", "content_type", "created_at", "uploaded_by"),
    )


@app.command(
    "get",
    help=_(
        "Save a file of a ticket (default: under its name here; -o - writes to stdout).\n\n"
        "\b\nExample:\n  tix file get 1042 7 -o ~/Downloads/"
    ),
)
def get(
    number: NumberArgument,
    file_id: Annotated[
        int, typer.Argument(help=_("The file's ID (see file list)."), metavar="FILE_ID")
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "-o", "--output", help=_("Where to write: a file, a folder or -."), metavar="PATH"
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite an existing file."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import files, tickets

    with context.session() as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        found = files.get_file(session, actor, ticket=ticket, file_id=file_id)
        data = files.file_data(session, found)
        name = found.name
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    target = Path(output).expanduser() if output else Path(name)
    if target.is_dir():
        target = target / name
    writable(target, force=force)
    target.write_bytes(data)
    emit(
        {"file": str(target), "bytes": len(data)},
        lambda: say(_("Saved {file} ({size}).").format(file=target, size=len(data))),
    )
