"""Saved views: named filters of the ticket list, one set per agent.

A view keeps what the agent filtered by as names (channel, owner login, project,
customer address ...) in a :class:`ViewSpec`; :func:`resolve_spec` turns a spec into
the core's :class:`~tix.core.views.TicketFilter` whenever the list is shown, so a view
always lists what its names mean now. The same spec is what ``tix ticket list``'s
options and the TUI's quick filters make.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import Conflict, Malformed, NotFound
from tix.core.i18n import _
from tix.core.labels import color_label, parse_priority, parse_status, parse_ticket_kind
from tix.core.models import SavedView, User, utcnow
from tix.core.read_models.saved_views import SavedViewDetail
from tix.core.views import TicketFilter, parse_sort

MAX_NAME = 80
MAX_VIEWS = 200
"""Views one agent may keep (a list to pick from, not a store)."""


@dataclass(frozen=True)
class ViewSpec:
    """A filter of the ticket list by names, as an agent gives it; every field left at
    its default does not filter."""

    mine: bool = False
    unassigned: bool = False
    statuses: tuple[str, ...] = ()
    """Empty: every status but closed (unless ``all_statuses``)."""
    all_statuses: bool = False
    channel: str | None = None
    owner: str | None = None
    """A login."""
    category: str | None = None
    project: str | None = None
    customer: str | None = None
    """An address of the customer."""
    kind: str | None = None
    min_priority: int | None = None
    max_priority: int | None = None
    color: str | None = None
    """A color mark, or ``none`` for tickets without one."""
    search: str | None = None
    sort: str | None = None
    """See :attr:`TicketFilter.sort`."""
    breached: bool = False
    """Only tickets whose next SLA deadline has passed."""
    due_within: str | None = None
    """Only tickets whose next SLA deadline is at most this much business time away, as
    written (``2h``): read when the view is used."""
    not_breached: bool = False
    """Only tickets whose next SLA deadline has not passed yet."""

    @property
    def empty(self) -> bool:
        return self == ViewSpec()

    def to_json(self) -> dict[str, Any]:
        """The fields that filter (defaults left out), as stored and as ``--json`` shows."""
        default = ViewSpec()
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
            if value != getattr(default, key)
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ViewSpec:
        """The spec stored as ``data``; keys it does not know are ignored (a view saved
        by a newer tix still opens)."""
        known = {f.name for f in fields(cls)}
        given = {key: value for key, value in data.items() if key in known}
        if "statuses" in given:
            given["statuses"] = tuple(given["statuses"] or ())
        return cls(**given)

    def refined(self, other: ViewSpec) -> ViewSpec:
        """This spec with every field ``other`` sets (a view, then the command line's
        options on top)."""
        default = ViewSpec()
        changes = {
            f.name: getattr(other, f.name)
            for f in fields(self)
            if getattr(other, f.name) != getattr(default, f.name)
        }
        if changes.get("all_statuses"):
            changes.setdefault("statuses", ())
        elif changes.get("statuses"):
            changes["all_statuses"] = False
        return replace(self, **changes)

    def describe(self) -> str:
        """The spec in a few words in the user's language, for lists of views."""
        from tix.core.labels import status_label

        parts: list[str] = []
        if self.all_statuses:
            parts.append(_("status: all"))
        elif self.statuses:
            parts.append(
                _("status: {statuses}").format(
                    statuses=", ".join(status_label(s) for s in self.statuses)
                )
            )
        if self.mine:
            parts.append(_("mine"))
        if self.unassigned:
            parts.append(_("unassigned"))
        named = (
            (self.channel, _("channel: {value}")),
            (self.owner, _("owner: {value}")),
            (self.category, _("category: {value}")),
            (self.project, _("project: {value}")),
            (self.customer, _("customer: {value}")),
            (self.kind, _("kind: {value}")),
        )
        parts += [text.format(value=value) for value, text in named if value]
        if self.min_priority is not None or self.max_priority is not None:
            parts.append(
                _("priority: {range}").format(
                    range=priority_range_text(self.min_priority, self.max_priority)
                )
            )
        if self.color:
            shown = _("none") if self.color == "none" else color_label(self.color)
            parts.append(_("color: {value}").format(value=shown))
        if self.search:
            parts.append(_("search: “{text}”").format(text=self.search))
        if self.breached:
            parts.append(_("SLA breached"))
        if self.due_within:
            parts.append(_("SLA due within {time}").format(time=self.due_within))
        if self.not_breached:
            parts.append(_("SLA not breached yet"))
        if self.sort:
            parts.append(_("sort: {sort}").format(sort=sort_label(self.sort)))
        return " · ".join(parts) if parts else _("all but closed tickets")


def sort_choices() -> list[tuple[str, str]]:
    """(sort, label) of every order the ticket list has, in the user's language."""
    return [
        ("-updated", _("Last changed first")),
        ("updated", _("Last changed last")),
        ("-created", _("Newest first")),
        ("created", _("Oldest first")),
        ("-priority", _("Highest priority first")),
        ("priority", _("Lowest priority first")),
        ("-number", _("Highest number first")),
        ("number", _("Lowest number first")),
        ("sla", _("SLA due soonest first")),
        ("-sla", _("SLA due latest first")),
    ]


def sort_label(sort: str) -> str:
    """A sort (``-priority``) as people read it; one not known stays as it is."""
    wanted = sort.strip().lower()
    wanted = wanted[1:] if wanted.startswith("+") else wanted
    return dict(sort_choices()).get(wanted, sort)


def priority_range_text(low: int | None, high: int | None) -> str:
    """``7``, ``7+`` or ``3-5``: as :func:`parse_priority_range` reads it."""
    if low is not None and high is not None:
        return str(low) if low == high else f"{low}-{high}"
    if low is not None:
        return f"{low}+"
    return f"1-{high}"


def parse_priority_range(value: str) -> tuple[int, int | None]:
    """``7`` (just 7), ``7+`` (7 and higher) or ``3-5`` (3 to 5); each number may also
    be a priority's name (``very high``)."""

    def level(text: str) -> int:
        try:
            found = parse_priority(text)
        except Malformed:
            raise Malformed(
                _("{value!r} is no priority: write 7, 7+ (7 and higher) or 3-5").format(value=value)
            ) from None
        return validation.priority(found)

    text = value.strip()
    if text.endswith("+"):
        return level(text[:-1]), None
    if "-" in text.strip("-"):
        low_text, high_text = text.split("-", 1)
        low, high = level(low_text), level(high_text)
        if low > high:
            raise Malformed(
                _("priority range {value!r} runs backwards: write the lower first").format(
                    value=value
                )
            )
        return low, high
    single = level(text)
    return single, single


def parse_filter_color(value: str) -> str:
    """A color to filter by, or ``none`` for tickets without one."""
    if value.strip().casefold() in ("none", _("none").casefold()):
        return "none"
    found = validation.color(value)
    if found is None:
        raise Malformed(
            _("give a color to filter by: {colors}, or none").format(
                colors=", ".join(validation.COLORS)
            )
        )
    return found


def resolve_spec(session: Session, spec: ViewSpec) -> TicketFilter:
    """The core's filter for ``spec``: names looked up (NotFound when one is gone),
    values checked (Malformed when one cannot be read)."""
    parse_sort(spec.sort)
    for status in spec.statuses:
        parse_status(status)
    if spec.color is not None and spec.color != "none":
        parse_filter_color(spec.color)
    for level in (spec.min_priority, spec.max_priority):
        if level is not None:
            validation.priority(level)
    return TicketFilter(
        mine=spec.mine,
        statuses=tuple(parse_status(status) for status in spec.statuses),
        all_statuses=spec.all_statuses,
        channel_id=_channel_id(session, spec.channel) if spec.channel else None,
        owner_id=_user_id(session, spec.owner) if spec.owner else None,
        category=spec.category,
        project_id=_project_id(session, spec.project) if spec.project else None,
        customer_id=_contact_id(session, spec.customer) if spec.customer else None,
        kind=parse_ticket_kind(spec.kind) if spec.kind else None,
        min_priority=spec.min_priority,
        max_priority=spec.max_priority,
        color=spec.color,
        unassigned=spec.unassigned,
        search=spec.search or None,
        sort=spec.sort or None,
        breached=spec.breached,
        due_within=_target(spec.due_within) if spec.due_within else None,
        not_breached=spec.not_breached,
    )


# A plain list names nothing: each service (and the tables it touches) is imported only
# when its filter is given, so listing tickets starts faster.


def _target(text: str) -> int:
    from tix.core.business_time import parse_target

    return parse_target(text)


def _channel_id(session: Session, name: str) -> int | None:
    from tix.core.services.channels import get_channel

    return get_channel(session, name).id


def _user_id(session: Session, login: str) -> int | None:
    from tix.core.services.users import get_user

    return get_user(session, login).id


def _project_id(session: Session, name: str) -> int | None:
    from tix.core.services.projects import get_project

    return get_project(session, name).id


def _contact_id(session: Session, name: str) -> int | None:
    from tix.core.services.contacts import get_contact

    return get_contact(session, name).id


# --- the views ------------------------------------------------------------------------


def view_name(value: str) -> str:
    return validation.name(value, what=_("the view's name"), max_length=MAX_NAME)


def list_views(session: Session, actor: User) -> list[SavedView]:
    """``actor``'s views, by name."""
    found = session.execute(select(SavedView).where(col(SavedView.user_id) == actor.id)).scalars()
    return sorted(found, key=lambda view: (view.name.casefold(), view.name))


def find_view(session: Session, actor: User, name: str) -> SavedView | None:
    """``actor``'s view called ``name`` (case does not matter)."""
    wanted = " ".join(name.split()).casefold()
    return next((v for v in list_views(session, actor) if v.name.casefold() == wanted), None)


def get_view(session: Session, actor: User, name: str) -> SavedView:
    view = find_view(session, actor, name)
    if view is None:
        raise NotFound(
            _("no view {name!r}: see `tix view list`, or save one with `tix view add`").format(
                name=name.strip()
            )
        )
    return view


def view_spec(view: SavedView) -> ViewSpec:
    return ViewSpec.from_json(dict(view.filters or {}))


def view_detail(view: SavedView, zone: tzinfo) -> SavedViewDetail:
    """The view as ``--json`` and the TUI show it."""
    from tix.core.timeutil import iso

    spec = view_spec(view)
    return SavedViewDetail(
        name=view.name,
        filters=spec.to_json(),
        description=spec.describe(),
        created_at=iso(view.created_at, zone) or "",
        updated_at=iso(view.updated_at, zone) or "",
    )


def save_view(
    session: Session, actor: User, *, name: str, spec: ViewSpec, replace: bool = False
) -> SavedView:
    """Save ``spec`` as ``actor``'s view ``name``; an existing view of that name is a
    Conflict unless ``replace``. The spec is resolved first: a view that names an unknown
    channel, user, project or customer is refused, not saved."""
    cleaned = view_name(name)
    resolve_spec(session, spec)
    existing = find_view(session, actor, cleaned)
    if existing is not None:
        if not replace:
            raise Conflict(
                _(
                    "you have a view {name!r} already: choose another name, or replace it "
                    "(--replace)"
                ).format(name=existing.name)
            )
        existing.name = cleaned
        existing.filters = spec.to_json()
        existing.updated_at = utcnow()
        session.flush()
        return existing
    if len(list_views(session, actor)) >= MAX_VIEWS:
        raise Conflict(
            _("you have {count} views, the most there may be: remove one first").format(
                count=MAX_VIEWS
            )
        )
    view = SavedView(user_id=actor.id or 0, name=cleaned, filters=spec.to_json())
    session.add(view)
    session.flush()
    return view


def remove_view(session: Session, actor: User, name: str) -> str:
    """Remove ``actor``'s view ``name``; returns the name it had."""
    view = get_view(session, actor, name)
    shown = view.name
    session.delete(view)
    session.flush()
    return shown
