"""``tix view``: saved filters of the ticket list ("views"), each agent their own."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
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

app = typer.Typer(no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help=_("The view's name."), metavar="NAME")]


@app.command(
    "add",
    help=_(
        "Save a filter of the ticket list as a view, with the options of "
        "`tix ticket list`; the TUI offers it too (v).\n"
        "\n"
        "\b\n"
        "Examples:\n"
        '  tix view add "Urgent, nobody on it" --unassigned --priority 7+ --sort=-priority\n'
        "  tix view add waiting --mine --status waiting --replace\n"
        '  tix ticket list --view "Urgent, nobody on it"'
    ),
)
def add(
    name: NameArgument,
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
    replace: Annotated[
        bool, typer.Option("--replace", help=_("Replace your view of that name, if there is one."))
    ] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import saved_views

    spec = spec_of(
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
    with context.session(write=True) as session:
        actor = context.acting(session)
        view = saved_views.save_view(session, actor, name=name, spec=spec, replace=replace)
        detail = saved_views.view_detail(view, context.zone(actor))
    emit(
        detail.model_dump(mode="json"),
        lambda: say(
            _("Saved view {name}: {filters}").format(name=detail.name, filters=detail.description)
        ),
    )


@app.command(
    "list",
    help=_("List your views.\n\n\b\nExample:\n  tix view list --json"),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import saved_views

    with context.session() as session:
        actor = context.acting(session)
        zone = context.zone(actor)
        details = [
            saved_views.view_detail(view, zone) for view in saved_views.list_views(session, actor)
        ]
    emit_rows(
        [detail.model_dump(mode="json") for detail in details],
        lambda: table(
            [_("View"), _("Filter")],
            [(detail.name, detail.description) for detail in details],
            empty=_("No views yet: save one with `tix view add NAME --mine --status open`."),
        ),
        fields=("name", "filters", "description", "created_at", "updated_at"),
        default=("name", "description"),
    )


@app.command(
    "show",
    help=_("Show one of your views.\n\n\b\nExample:\n  tix view show waiting --json"),
)
def show(name: NameArgument, json_output: JsonOption = False) -> None:
    from tix.core.services import saved_views

    with context.session() as session:
        actor = context.acting(session)
        detail = saved_views.view_detail(
            saved_views.get_view(session, actor, name), context.zone(actor)
        )
    emit(
        detail.model_dump(mode="json"),
        lambda: table(
            [_("View"), _("Filter")],
            [(detail.name, detail.description)],
        ),
    )


@app.command(
    "remove",
    help=_("Remove one of your views.\n\n\b\nExample:\n  tix view remove waiting"),
)
def remove(name: NameArgument, json_output: JsonOption = False) -> None:
    from tix.core.services import saved_views

    with context.session(write=True) as session:
        actor = context.acting(session)
        removed = saved_views.remove_view(session, actor, name)
    emit(
        {"name": removed, "removed": True},
        lambda: say(_("Removed view {name}.").format(name=removed)),
    )
