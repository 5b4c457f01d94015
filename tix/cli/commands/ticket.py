"""``tix ticket``: open, list, show and work tickets."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import (
    AttachOption,
    BodyFileOption,
    BodyOption,
    FieldsOption,
    FormatOption,
    JsonlOption,
    JsonOption,
    emit,
    emit_row_pages,
    emit_rows,
    read_body,
    read_files,
    say,
    state,
    table,
)
from tix.cli.ticket_filters import (
    BreachedOption,
    CategoryOption,
    ChannelOption,
    ColorOption,
    CustomerOption,
    DueWithinOption,
    KindOption,
    MineOption,
    NotBreachedOption,
    OwnerOption,
    PriorityOption,
    ProjectOption,
    SearchOption,
    SortOption,
    StatusOption,
    UnassignedOption,
    spec_of,
)
from tix.core.i18n import _
from tix.core.labels import (
    activity_kind_label,
    change_value,
    children_marker,
    color_label,
    field_label,
    parse_priority,
    relation_label,
    source_label,
    status_label,
    ticket_change_text,
    ticket_kind_label,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from tix.core.models import Ticket, User
    from tix.core.read_models import ActivityView, TicketDetail

app = typer.Typer(no_args_is_help=True)

NumberArgument = Annotated[
    str, typer.Argument(help=_("Ticket number, e.g. 1042 or #1042."), metavar="N")
]
NumbersArgument = Annotated[
    list[str],
    typer.Argument(
        help=_(
            "Ticket numbers, e.g. 1042 #1043; - reads them from standard input (numbers, "
            "or the JSON or table of tix ticket list)."
        ),
        metavar="N...",
    ),
]
CcOption = Annotated[
    list[str] | None,
    typer.Option("--cc", help=_("Copy to this address (repeatable)."), metavar="ADDR"),
]
BccOption = Annotated[
    list[str] | None,
    typer.Option("--bcc", help=_("Blind copy to this address (repeatable)."), metavar="ADDR"),
]
KINDS = ("internal", "mail", "request")
PRIORITY_HELP = _("1 (low) to 9 (very high); low, normal and very high name 1, 5 and 9.")


def _kind(value: str) -> str:
    """A ticket kind from its keyword or its label in the user's language."""
    from tix.core.errors import Invalid
    from tix.core.labels import parse_ticket_kind

    try:
        return parse_ticket_kind(value)
    except Invalid as error:
        raise typer.BadParameter(error.message) from None


def _detail(session: Session, user: User, ticket: Ticket) -> dict[str, Any]:
    """The ticket as ``--json`` prints it."""
    return _ticket_detail(session, user, ticket).model_dump(mode="json")


def _ticket_detail(session: Session, user: User, ticket: Ticket) -> TicketDetail:
    from tix.core.details import ticket_detail

    return ticket_detail(session, user, ticket, context.zone(user))


def _not_for(kind: str, **given: object) -> None:
    """Refuse options that make no sense for ``kind``."""
    for option, value in given.items():
        if value:
            raise typer.BadParameter(
                _("--{option} does not apply to {kind} tickets").format(
                    option=option.replace("_", "-"), kind=kind
                )
            )


@app.command(
    "new",
    help=_(
        "Open a ticket: internal, mail (sends the mail now) or request (taken "
        "for a customer).\n"
        "\n"
        "\b\n"
        "Examples:\n"
        '  tix ticket new --kind internal --owner ben --subject "Printer jammed" '
        '--body "Floor 2"\n'
        "  tix ticket new --kind mail --account support --channel Support --to "
        'kunde@example.com --subject "Your order" --body-file reply.md\n'
        "  tix ticket new --kind request --channel Support --customer "
        'kunde@example.com --subject "Call: invoice question" --body "Asked '
        'about invoice 4711"'
    ),
)
def new(
    kind: Annotated[
        str, typer.Option("--kind", help=_("internal, mail or request."), metavar="KIND")
    ],
    subject: Annotated[
        str, typer.Option("--subject", help=_("Short description."), metavar="TEXT")
    ],
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", help=_("Owner (internal: required; else: you)."), metavar="LOGIN"),
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help=_("Channel (mail and request)."), metavar="CHANNEL"),
    ] = None,
    account: Annotated[
        str | None,
        typer.Option("--account", help=_("Mail account to send from (mail)."), metavar="ACCOUNT"),
    ] = None,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help=_("Recipient (mail; repeatable)."), metavar="ADDR"),
    ] = None,
    cc: CcOption = None,
    bcc: BccOption = None,
    customer: Annotated[
        str | None,
        typer.Option("--customer", help=_("The customer's address (request)."), metavar="ADDR"),
    ] = None,
    customer_name: Annotated[
        str | None,
        typer.Option(
            "--customer-name",
            help=_("Name for a customer not yet known: adds the contact (request)."),
            metavar="NAME",
        ),
    ] = None,
    priority: Annotated[str, typer.Option("--priority", help=PRIORITY_HELP, metavar="1-9")] = "5",
    categories: Annotated[
        list[str] | None,
        typer.Option(
            "--category", help=_("A category (repeatable; made on first use)."), metavar="C"
        ),
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", help=_("Link to this project."), metavar="PROJECT")
    ] = None,
    color: Annotated[
        str | None,
        typer.Option(
            "--color",
            help=_("Color mark: red, orange, yellow, green, blue, purple or gray."),
            metavar="COLOR",
        ),
    ] = None,
    attach: AttachOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import accounts, channels, contacts, opening, projects, users

    kind = _kind(kind)
    text = read_body(body, body_file, required=kind != "internal")
    attachments = read_files(attach or [], max_size=context.settings().max_file_size)
    with context.session(write=True) as session:
        actor = context.acting(session)
        found_project = projects.get_project(session, project) if project else None
        common: dict[str, Any] = {
            "attachments": attachments,
            "subject": subject,
            "priority": parse_priority(priority),
            "categories": categories or [],
            "project": found_project,
            "color": color,
        }
        found_owner = users.get_user(session, owner) if owner else None
        if kind == "internal":
            _not_for(
                kind, channel=channel, account=account, to=to, cc=cc, bcc=bcc, customer=customer
            )
            if found_owner is None:
                raise typer.BadParameter(_("an internal ticket needs --owner LOGIN"))
            ticket = opening.open_internal_ticket(
                session, actor, owner=found_owner, body=text, **common
            )
        elif kind == "mail":
            _not_for(kind, customer=customer, customer_name=customer_name)
            if not (account and channel and to):
                raise typer.BadParameter(_("a mail ticket needs --account, --channel and --to"))
            assert text is not None
            ticket = opening.open_mail_ticket(
                session,
                actor,
                account=accounts.get_account(session, account),
                channel=channels.get_channel(session, channel),
                to=to,
                cc=cc or [],
                bcc=bcc or [],
                body=text,
                owner=found_owner,
                **common,
            )
        else:
            _not_for(kind, to=to, cc=cc, bcc=bcc)
            if not (channel and customer):
                raise typer.BadParameter(_("a request ticket needs --channel and --customer"))
            assert text is not None
            found_customer = contacts.find_contact(session, customer)
            if found_customer is None:
                if not customer_name:
                    contacts.get_contact(session, customer)  # raises with the fix
                found_customer = contacts.add_contact(
                    session, actor, address=customer, name=customer_name or ""
                )
            ticket = opening.open_request_ticket(
                session,
                actor,
                channel=channels.get_channel(session, channel),
                customer=found_customer,
                body=text,
                owner=found_owner,
                account=accounts.get_account(session, account) if account else None,
                **common,
            )
        data = _detail(session, actor, ticket)
    emit(
        data,
        lambda: say(
            _("Opened ticket #{number}: {subject}").format(
                number=data["number"], subject=data["subject"]
            )
        ),
    )


@app.command(
    "list",
    help=_(
        "List the tickets you may see, last changed first.\n"
        "\n"
        "A page holds --limit tickets (at most 1000). For more, --all streams every "
        'page, or page yourself: --paged prints {"tickets": [...], "next_cursor": ...} '
        "with --json (the cursor on stderr otherwise), and --cursor gives the next page. "
        "Options given with --view refine the view.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix ticket list --mine --status open --status waiting\n"
        '  tix ticket list --search "invoice 4711" --json\n'
        "  tix ticket list --unassigned --priority 7+ --sort=-priority\n"
        "  tix ticket list --all --jsonl --status all > tickets.jsonl\n"
        "  tix ticket list --view urgent --color red\n"
        "  tix ticket list --due-within 2h --sort sla"
    ),
)
def list_(
    mine: MineOption = False,
    unassigned: UnassignedOption = False,
    status: StatusOption = None,
    channel: ChannelOption = None,
    owner: OwnerOption = None,
    category: CategoryOption = None,
    project: ProjectOption = None,
    customer: CustomerOption = None,
    kind: KindOption = None,
    priority: PriorityOption = None,
    color: ColorOption = None,
    search: SearchOption = None,
    sort: SortOption = None,
    breached: BreachedOption = False,
    due_within: DueWithinOption = None,
    not_breached: NotBreachedOption = False,
    view: Annotated[
        str | None,
        typer.Option(
            "--view", help=_("Start from this saved view (tix view list)."), metavar="NAME"
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", help=_("At most N tickets (1-1000; default 50)."), metavar="N"),
    ] = None,
    cursor: Annotated[
        str | None,
        typer.Option(
            "--cursor",
            help=_("Start after the page that printed this next_cursor (same filters)."),
            metavar="CURSOR",
        ),
    ] = None,
    paged: Annotated[
        bool,
        typer.Option(
            "--paged",
            help=_('With --json: {"tickets": [...], "next_cursor": ...} (null on the last page).'),
        ),
    ] = False,
    every: Annotated[
        bool, typer.Option("--all", help=_("Every matching ticket, page after page."))
    ] = False,
    jsonl: JsonlOption = False,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.list_cursor import decode_cursor, encode_cursor
    from tix.core.services import saved_views
    from tix.core.views import MAX_PAGE, ticket_page

    if every and limit is not None:
        raise typer.BadParameter(_("give --limit or --all, not both"))
    asked = spec_of(
        mine=mine,
        unassigned=unassigned,
        status=status,
        channel=channel,
        owner=owner,
        category=category,
        project=project,
        customer=customer,
        kind=kind,
        priority=priority,
        color=color,
        search=search,
        sort=sort,
        breached=breached,
        due_within=due_within,
        not_breached=not_breached,
    )
    with context.session() as session:
        actor = context.acting(session)
        spec = asked
        if view is not None:
            spec = saved_views.view_spec(saved_views.get_view(session, actor, view)).refined(asked)
        filters = saved_views.resolve_spec(session, spec)
        after = decode_cursor(cursor, filters) if cursor is not None else None
        zone = context.zone(actor)
        if every:

            def pages() -> Iterator[list[dict[str, Any]]]:
                start = after
                while True:
                    page = ticket_page(session, actor, filters, limit=MAX_PAGE, after=start)
                    yield [row.to_json(zone) for row in page.rows]
                    start = page.next_cursor(filters)
                    if start is None:
                        return

            emit_row_pages(
                pages(),
                lambda rows: _print_list_rows(rows, zone),
                fields=LIST_FIELDS,
                default=LIST_DEFAULT,
            )
            return
        page = ticket_page(
            session, actor, filters, limit=50 if limit is None else limit, after=after
        )
    next_at = page.next_cursor(filters)
    next_cursor = encode_cursor(next_at, filters) if next_at is not None else None
    data = [row.to_json(zone) for row in page.rows]
    if (paged or cursor is not None) and state.json and state.format in (None, "json"):
        emit({"tickets": data, "next_cursor": next_cursor})
        return
    emit_rows(
        data,
        lambda: _print_list(page.rows, zone),
        fields=LIST_FIELDS,
        default=LIST_DEFAULT,
    )
    if next_cursor is not None:
        if state.json:
            if paged or cursor is not None:
                sys.stderr.write(f"next_cursor: {next_cursor}\n")
        else:
            # not through rich: a cursor wrapped at the terminal's width cannot be copied
            sys.stderr.write(
                _("More tickets follow: add --cursor {cursor}").format(cursor=next_cursor) + "\n"
            )


LIST_FIELDS = (
    "number",
    "kind",
    "status",
    "priority",
    "subject",
    "color",
    "channel",
    "owner",
    "customer",
    "creator",
    "project",
    "categories",
    "created_at",
    "updated_at",
    "version",
    "children",
    "open_children",
    "sla",
)
LIST_DEFAULT = (
    "number",
    "priority",
    "status",
    "subject",
    "customer",
    "owner",
    "channel",
    "updated_at",
)


def _sla_cell(cell: Any, shown: bool) -> tuple[str, ...]:
    """The SLA column's cell (none when the list has no SLA column): business time
    left, negative when overdue."""
    if not shown:
        return ()
    if cell is None:
        return ("",)
    from tix.core.business_time import sla_text

    if isinstance(cell, dict):
        return (sla_text(cell["left_minutes"], paused=cell["paused"]),)
    return (sla_text(cell.sla_left_minutes, paused=cell.sla_paused),)


def _print_list_rows(rows: list[Any], zone: Any) -> None:
    """The table of :func:`_print_list` for rows in their JSON form (``--all``)."""
    from datetime import datetime

    with_sla = any(row.get("sla") for row in rows)
    table(
        [
            "#",
            "P",
            _("Status"),
            _("Subject"),
            _("Customer"),
            _("Owner"),
            _("Channel"),
            _("Changed"),
            *([_("SLA")] if with_sla else []),
        ],
        [
            (
                row["number"],
                row["priority"],
                status_label(row["status"]),
                children_marker(row.get("open_children", 0), row.get("children", 0))
                + row["subject"],
                (row["customer"] or {}).get("name") or row["creator"],
                row["owner"],
                row["channel"] or _("internal"),
                _when(datetime.fromisoformat(row["updated_at"]), zone),
                *_sla_cell(row.get("sla"), with_sla),
            )
            for row in rows
        ],
        empty=_("No tickets match."),
        wide=3,
        droppable=(6, 4, 1),
    )


def _print_list(rows: list[Any], zone: Any) -> None:
    with_sla = any(row.sla_left_minutes is not None for row in rows)
    table(
        [
            "#",
            "P",
            _("Status"),
            _("Subject"),
            _("Customer"),
            _("Owner"),
            _("Channel"),
            _("Changed"),
            *([_("SLA")] if with_sla else []),
        ],
        [
            (
                row.number,
                row.priority,
                status_label(row.status),
                children_marker(row.open_children, row.children) + row.subject,
                row.customer or row.creator,
                row.owner,
                row.channel or _("internal"),
                _when(row.updated_at, zone),
                *_sla_cell(row, with_sla),
            )
            for row in rows
        ],
        empty=_("No tickets match."),
        wide=3,
        droppable=(6, 4, 1),
    )


def _when(moment: Any, zone: Any) -> str:
    """Today: the time; this year: day and month; else the date (the language's format)."""
    from tix.core import clock
    from tix.core.datefmt import short_moment_text

    return short_moment_text(moment, zone, clock.now())


@app.command(
    "show",
    help=_(
        "Show a ticket with its first message and every activity.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix ticket show 1042"
    ),
)
def show(number: NumberArgument, json_output: JsonOption = False) -> None:
    from tix.core.services import tickets

    with context.session() as session:
        actor = context.acting(session)
        detail = _ticket_detail(session, actor, tickets.get_ticket(session, actor, number))
    emit(detail.model_dump(mode="json"), lambda: _print_ticket(detail))


def _print_ticket(data: TicketDetail) -> None:
    from rich.markup import escape
    from rich.panel import Panel

    from tix.cli.output import console
    from tix.core.datefmt import moment_text
    from tix.core.details import activity_marks

    out = console()
    customer = data.customer
    facts = [
        (_("Status"), status_label(data.status)),
        (_("Priority"), data.priority),
        (_("Kind"), ticket_kind_label(data.kind)),
        (_("Source"), source_label(data.kind, data.origin)),
        (_("Channel"), data.channel),
        (_("Owner"), data.owner),
        (_("Creator"), data.creator),
        (_("Customer"), f"{customer.name} <{customer.address}>" if customer else None),
        (_("Project"), data.project),
        (_("Categories"), ", ".join(data.categories) or None),
        (_("Color"), color_label(data.color) if data.color else None),
        (_("Merged into"), f"#{data.merged_into}" if data.merged_into else None),
        (_("Merged"), ", ".join(f"#{number}" for number in data.merged) or None),
        (
            _("Links"),
            "; ".join(
                f"{relation_label(x.relation)} #{x.number} {x.subject} ({status_label(x.status)})"
                for x in data.links
            )
            or None,
        ),
        (_("Created"), moment_text(data.created_at) or None),
        (_("Changed"), moment_text(data.updated_at) or None),
    ]
    out.print(f"[bold]#{data.number}[/bold]  {escape(data.subject)}", highlight=False)
    for label, value in facts:
        if value is not None:
            out.print(f"  [dim]{label}:[/dim] {escape(str(value))}", highlight=False)
    if data.sla is not None:
        from tix.core.sla_views import clock_lines

        for label, text in clock_lines(data.sla):
            out.print(f"  [dim]{label}:[/dim] {escape(text)}", highlight=False)
    first = data.first_message
    if first is not None:
        title = " · ".join([_("First message"), *activity_marks(first)])
        out.print(Panel(escape(first.body), title=escape(title), title_align="left"))
    for activity in data.activities:
        if first is not None and activity.id == first.id:
            continue
        out.print(_activity_line(activity), highlight=False)


def _activity_line(activity: ActivityView) -> str:
    from rich.markup import escape

    from tix.core.datefmt import moment_text
    from tix.core.details import activity_marks

    when = moment_text(activity.created_at)
    who = escape(activity.author or "tix")
    if activity.kind == "change":
        field = activity.field or ""
        between = ticket_change_text(field, activity.old, activity.new)
        if between is not None:
            return f"[dim]{when} {who}: {escape(between)}[/dim]"
        return "[dim]{when} {who}: {field} {old} → {new}[/dim]".format(
            when=when,
            who=who,
            field=escape(field_label(field)),
            old=escape(change_value(field, activity.old) or "-"),
            new=escape(change_value(field, activity.new) or "-"),
        )
    label = activity_kind_label(activity.kind)
    style = "yellow" if activity.kind == "note" else "cyan"
    head = f"[{style}]{when} {who} — {escape(label)}[/{style}]"
    if activity.to:
        head += escape("  → " + ", ".join(activity.to))
    marks = activity_marks(activity)
    if marks:
        head += "  [bold magenta]" + escape("[" + "] [".join(marks) + "]") + "[/bold magenta]"
    return head + "\n" + escape(activity.body).rstrip() + "\n"


TemplateOption = Annotated[
    str | None,
    typer.Option(
        "--template",
        help=_("Start with this text module, filled in for the ticket (--body follows it)."),
        metavar="NAME",
        show_default=False,
    ),
]


def _work(
    number: str,
    action: str,
    body: str | None,
    body_file: str | None,
    attach: list[str] | None,
    template: str | None = None,
    **options: Any,
) -> None:
    from tix.core.details import activity_result
    from tix.core.services import tickets
    from tix.core.services.messages import add_note, add_solution, reply_to_ticket

    text = read_body(body, body_file, required=template is None)
    attachments = read_files(attach or [], max_size=context.settings().max_file_size)
    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        if template is not None:
            from tix.core.services.text_modules import use_text_module

            start = use_text_module(session, actor, template, ticket=ticket).rstrip("\n")
            parts = [start, text.strip("\n")] if text and text.strip() else [start]
            text = "\n\n".join(parts)
        assert text is not None
        do = {
            "reply": reply_to_ticket,
            "note": add_note,
            "solve": add_solution,
        }[action]
        activity = do(
            session,
            actor,
            ticket=ticket,
            body=text,
            attachments=attachments,
            **options,
        )
        result = activity_result(session, actor, ticket, activity, context.zone(actor))
        data = result.model_dump(mode="json")
    messages = {
        "reply": _("Replied on #{number}."),
        "note": _("Added a note to #{number}."),
        "solve": _("Solved #{number}."),
    }
    emit(data, lambda: say(messages[action].format(number=data["ticket"])))


@app.command(
    "reply",
    help=_(
        "Reply; on mail and request tickets the reply is e-mailed to the "
        "customer.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        '  tix ticket reply 1042 --body "Thanks, the part is on its way." --cc '
        "boss@kunde.de\n"
        '  tix ticket reply 1042 --template greeting --body "The part is on its way."'
    ),
)
def reply(
    number: NumberArgument,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    to: Annotated[
        list[str] | None,
        typer.Option(
            "--to", help=_("Send to this address instead of the customer."), metavar="ADDR"
        ),
    ] = None,
    cc: CcOption = None,
    bcc: BccOption = None,
    attach: AttachOption = None,
    template: TemplateOption = None,
    json_output: JsonOption = False,
) -> None:
    _work(
        number,
        "reply",
        body,
        body_file,
        attach,
        template,
        to=to or [],
        cc=cc or [],
        bcc=bcc or [],
    )


@app.command(
    "note",
    help=_(
        "Add an internal note (never mailed, never shown to customers); to many "
        "tickets at once when given many numbers.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        '  tix ticket note 1042 --body "Called back, waiting for the serial '
        'number"\n'
        '  tix ticket note 1042 1043 1044 --body "Supplier confirmed delivery for Monday"'
    ),
)
def note(
    numbers: NumbersArgument,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    attach: AttachOption = None,
    template: TemplateOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.cli import bulk

    if bulk.is_bulk(numbers):
        bulk.note(numbers, body, body_file, attach, template)
        return
    _work(numbers[0], "note", body, body_file, attach, template)


@app.command(
    "solve",
    help=_(
        "Record the solution and mark the ticket solved (mailed to the customer "
        "on mail and request tickets).\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  tix ticket solve 1042 --body "Replaced the fuser unit."'
    ),
)
def solve(
    number: NumberArgument,
    body: BodyOption = None,
    body_file: BodyFileOption = None,
    cc: CcOption = None,
    attach: AttachOption = None,
    template: TemplateOption = None,
    json_output: JsonOption = False,
) -> None:
    _work(number, "solve", body, body_file, attach, template, cc=cc or [])


@app.command(
    "set",
    help=_(
        "Change the fields of one ticket or many; each change is recorded as an "
        "activity. With many numbers (or - for standard input) every ticket is "
        "changed on its own: --json lists each result, and the exit code is 0 only "
        "when all were changed.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix ticket set 1042 --status waiting --owner ben --priority 7 "
        "--add-category Hardware\n"
        "  tix ticket set 1001 1002 1003 --status closed\n"
        "  tix ticket list --status solved --json | tix ticket set - --status closed\n"
        "  tix ticket list --json | jq '.[] | select(.priority > 6) | .number' "
        "| tix ticket set - --owner ben"
    ),
)
def set_(
    numbers: NumbersArgument,
    status: Annotated[
        str | None,
        typer.Option("--status", help=_("new, open, waiting, solved or closed."), metavar="STATUS"),
    ] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help=_("Move to this channel."), metavar="CHANNEL")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help=_("Give to this user."), metavar="LOGIN")
    ] = None,
    priority: Annotated[
        str | None, typer.Option("--priority", help=PRIORITY_HELP, metavar="1-9")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help=_("New subject."), metavar="TEXT")
    ] = None,
    color: Annotated[
        str | None,
        typer.Option("--color", help=_("Color mark, or none to remove it."), metavar="COLOR"),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project", help=_("Link to this project, or none to unlink."), metavar="PROJECT"
        ),
    ] = None,
    add_categories: Annotated[
        list[str] | None,
        typer.Option("--add-category", help=_("Add a category (repeatable)."), metavar="C"),
    ] = None,
    remove_categories: Annotated[
        list[str] | None,
        typer.Option("--remove-category", help=_("Remove a category (repeatable)."), metavar="C"),
    ] = None,
    if_version: Annotated[
        int | None,
        typer.Option(
            "--if-version",
            help=_(
                "Change only if the ticket is still at this version "
                "(from `show --json`); else exit 5."
            ),
            metavar="V",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.cli import bulk
    from tix.core.services import tickets
    from tix.core.services.changes import TicketChanges, change_ticket

    wanted = TicketChanges(
        status=status,
        channel=channel,
        owner=owner,
        priority=priority,
        subject=subject,
        color=color,
        project=project,
        add_categories=add_categories or (),
        remove_categories=remove_categories or (),
    )
    if bulk.is_bulk(numbers):
        bulk.change(numbers, wanted, if_version=if_version)
        return
    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, numbers[0])
        changes = change_ticket(
            session, actor, ticket=ticket, expected_version=if_version, changes=wanted
        )
        data = _detail(session, actor, ticket)
    count = len([change for change in changes if change.kind == "change"])
    emit(
        data,
        lambda: say(
            _("Changed #{number} ({count} changes).").format(number=data["number"], count=count)
            if count
            else _("Nothing to change on #{number}.").format(number=data["number"])
        ),
    )


# The commands between tickets (merge, split, link, unlink) live in their own module.
from tix.cli.commands import ticket_links  # noqa: E402, F401
