"""The filter options of ``tix ticket list``, shared with ``tix view add``: each is
one Annotated type, and :func:`spec_of` reads the given ones into the core's
:class:`~tix.core.services.saved_views.ViewSpec` (names, looked up when listed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tix.core.i18n import _

if TYPE_CHECKING:
    from tix.core.services.saved_views import ViewSpec

MineOption = Annotated[bool, typer.Option("--mine", help=_("Only tickets you own."))]
UnassignedOption = Annotated[
    bool,
    typer.Option(
        "--unassigned",
        help=_("Only tickets nobody has taken yet (still with the channel's default owner)."),
    ),
]
StatusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        help=_("new, open, waiting, solved, closed or all (repeatable; default: all but closed)."),
        metavar="S",
    ),
]
ChannelOption = Annotated[
    str | None, typer.Option("--channel", help=_("Only this channel."), metavar="CHANNEL")
]
OwnerOption = Annotated[
    str | None, typer.Option("--owner", help=_("Only tickets this user owns."), metavar="LOGIN")
]
CategoryOption = Annotated[
    str | None, typer.Option("--category", help=_("Only this category."), metavar="C")
]
ProjectOption = Annotated[
    str | None, typer.Option("--project", help=_("Only this project."), metavar="PROJECT")
]
CustomerOption = Annotated[
    str | None,
    typer.Option("--customer", help=_("Only this customer's tickets."), metavar="ADDR"),
]
KindOption = Annotated[
    str | None,
    typer.Option("--kind", help=_("Only internal, mail or request tickets."), metavar="KIND"),
]
PriorityOption = Annotated[
    str | None,
    typer.Option(
        "--priority",
        help=_("Only this priority: 7, 7+ (7 and higher) or 3-5."),
        metavar="P",
    ),
]
ColorOption = Annotated[
    str | None,
    typer.Option(
        "--color",
        help=_("Only tickets with this color mark (red, orange, ...), or none: without one."),
        metavar="COLOR",
    ),
]
SearchOption = Annotated[
    str | None,
    typer.Option(
        "--search",
        help=_("Words in the subject or any activity (word* for prefixes); newest tickets first."),
        metavar="TEXT",
    ),
]
SortOption = Annotated[
    str | None,
    typer.Option(
        "--sort",
        help=_(
            "updated, created, priority, number or sla (next SLA deadline); with - before "
            "it descending (--sort=-priority: highest first). Default: last changed first."
        ),
        metavar="KEY",
    ),
]
BreachedOption = Annotated[
    bool,
    typer.Option("--breached", help=_("Only tickets whose next SLA deadline has passed.")),
]
NotBreachedOption = Annotated[
    bool,
    typer.Option(
        "--not-breached",
        help=_(
            "Only tickets whose next SLA deadline has not passed yet (with --due-within: "
            "due soon, not overdue)."
        ),
    ),
]
DueWithinOption = Annotated[
    str | None,
    typer.Option(
        "--due-within",
        help=_(
            "Only tickets whose next SLA deadline is at most this much business time "
            "away, or past: 30m, 2h, 1d (8 business hours)."
        ),
        metavar="TIME",
    ),
]


def statuses_of(values: list[str] | None) -> tuple[tuple[str, ...], bool]:
    """The statuses asked for (keywords or labels, comma-separated or repeated), and
    whether ``all`` was among them."""
    from tix.core.labels import parse_status

    parts = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    every = {"all", _("all").casefold()}
    return (
        tuple(parse_status(part) for part in parts if part.casefold() not in every),
        any(part.casefold() in every for part in parts),
    )


def spec_of(
    *,
    mine: bool = False,
    unassigned: bool = False,
    status: list[str] | None = None,
    channel: str | None = None,
    owner: str | None = None,
    category: str | None = None,
    project: str | None = None,
    customer: str | None = None,
    kind: str | None = None,
    priority: str | None = None,
    color: str | None = None,
    search: str | None = None,
    sort: str | None = None,
    breached: bool = False,
    due_within: str | None = None,
    not_breached: bool = False,
) -> ViewSpec:
    """The filter the options give; values that cannot be read are refused here (a
    usage error), names are looked up when the filter is used."""
    from tix.core.business_time import parse_target
    from tix.core.labels import parse_ticket_kind
    from tix.core.services.saved_views import (
        ViewSpec,
        parse_filter_color,
        parse_priority_range,
    )
    from tix.core.views import parse_sort

    statuses, all_statuses = statuses_of(status)
    low, high = parse_priority_range(priority) if priority is not None else (None, None)
    parse_sort(sort)
    if due_within is not None:
        parse_target(due_within)
    if breached and not_breached:
        raise typer.BadParameter(_("give --breached or --not-breached, not both"))
    return ViewSpec(
        mine=mine,
        unassigned=unassigned,
        statuses=statuses,
        all_statuses=all_statuses,
        channel=channel,
        owner=owner,
        category=category,
        project=project,
        customer=customer,
        kind=parse_ticket_kind(kind) if kind is not None else None,
        min_priority=low,
        max_priority=high,
        color=parse_filter_color(color) if color is not None else None,
        search=search,
        sort=sort.strip().lower() if sort else None,
        breached=breached,
        due_within=due_within.strip() if due_within is not None else None,
        not_breached=not_breached,
    )
