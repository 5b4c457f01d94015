"""``tix document``: quotes, order confirmations and invoices made from a ticket."""

from __future__ import annotations

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
    say,
    table,
    writable,
)
from tix.core.i18n import _
from tix.core.labels import document_label

app = typer.Typer(no_args_is_help=True)


@app.command(
    "new",
    help=_(
        "Draft a document for the ticket's customer: from its unbilled billable times "
        "(--from-times) and/or given lines. Invoiced times are marked billed.\n\n\b\n"
        "Examples:\n  tix document new 1042 --type invoice --from-times\n"
        '  tix document new 1042 --type quote --line "Seal kit DS-40;2;19,90;pc"'
    ),
)
def new(
    number: Annotated[str, typer.Argument(help=_("Ticket number."), metavar="N")],
    kind: Annotated[
        str, typer.Option("--type", help=_("quote, order or invoice."), metavar="TYPE")
    ],
    from_times: Annotated[
        bool, typer.Option("--from-times", help=_("Lines from the unbilled billable times."))
    ] = False,
    lines: Annotated[
        list[str] | None,
        typer.Option(
            "--line",
            help=_('A line "Description;quantity;unit price[;unit]" (repeatable).'),
            metavar="LINE",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import documents, tickets

    settings = context.settings()
    given = [documents.parse_line(line) for line in lines or []]
    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        document = documents.create_document(
            session,
            actor,
            ticket=ticket,
            kind=kind,
            from_times=from_times,
            lines=given,
            issued=context.today(actor),
            default_rate=settings.hourly_rate,
            vat_rate=settings.vat_rate,
            currency=settings.currency,
        )
        customer = ticket.customer_id
        from tix.core.models import Contact

        contact = session.get(Contact, customer) if customer else None
        data = documents.document_json(
            session, document, ticket.number, contact.name if contact else None
        )
    emit(
        data,
        lambda: say(
            _("Made {number}: {gross} {currency} gross.").format(
                number=data["number"], gross=data["gross"], currency=data["currency"]
            )
        ),
    )


@app.command(
    "list",
    help=_(
        "List documents on the tickets you may see.\n\n\b\nExample:\n"
        "  tix document list --ticket 1042"
    ),
)
def list_(
    ticket: Annotated[
        str | None, typer.Option("--ticket", help=_("Only this ticket's."), metavar="N")
    ] = None,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import documents, tickets

    with context.session() as session:
        actor = context.acting(session)
        found = tickets.get_ticket(session, actor, ticket) if ticket else None
        data = [
            documents.document_json(session, document, number, customer)
            for document, number, customer in documents.list_documents(session, actor, ticket=found)
        ]
    emit_rows(
        data,
        lambda: table(
            [_("Number"), _("Type"), _("Date"), "#", _("Customer"), _("Net"), _("Gross")],
            [
                (
                    d["number"],
                    document_label(d["type"]),
                    d["issued"],
                    d["ticket"],
                    d["customer"],
                    d["net"],
                    d["gross"],
                )
                for d in data
            ],
            empty=_("No documents."),
        ),
        fields=(
            "number",
            "type",
            "ticket",
            "customer",
            "issued",
            "currency",
            "vat_rate",
            "net",
            "vat",
            "gross",
            "lines",
        ),
        default=("number", "type", "issued", "ticket", "customer", "net", "gross"),
    )


@app.command(
    "export",
    help=_(
        "Write a document as an Excel file laid out for printing.\n\n\b\nExample:\n"
        "  tix document export RE-2026-0001 RE-2026-0001.xlsx"
    ),
)
def export(
    reference: Annotated[str, typer.Argument(help=_("Document number (or ID)."), metavar="ID")],
    target: Annotated[
        Path, typer.Argument(help=_("The .xlsx file to write."), metavar="FILE.xlsx")
    ],
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite FILE."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.reports import write_document_workbook

    writable(target, force=force, suffix=".xlsx")
    with context.session() as session:
        actor = context.acting(session)
        sheet = _sheet(session, actor, reference)
    write_document_workbook(target, sheet)
    emit(
        {"file": str(target), "number": sheet.number},
        lambda: say(_("Wrote {number} to {file}.").format(number=sheet.number, file=target)),
    )


def _sheet(session: Any, actor: Any, reference: str) -> Any:
    from tix.core.services import documents

    return documents.document_sheet(session, actor, reference, company=context.settings().company)
