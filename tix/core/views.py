"""Read models: what the user interfaces show, as the typed models of
:mod:`tix.core.read_models` — here the ticket lists; one ticket's page and the records
around it are in :mod:`tix.core.details` (importable from here too, loaded on first use,
so listing tickets does not define the tables only a ticket's page reads).

The CLI's ``--json`` output, the web API and the TUI read the same models, so they are
filled here once. Times are ISO 8601 with offset in the zone the caller passes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from tix.core import search
from tix.core.addresses import primary_addresses
from tix.core.errors import Invalid, Malformed
from tix.core.i18n import _
from tix.core.models import (
    OPEN_STATUSES,
    Category,
    Channel,
    Contact,
    LinkKind,
    Project,
    Ticket,
    TicketCategory,
    TicketLink,
    TicketStatus,
    User,
    utcnow,
)
from tix.core.permissions import visible_tickets
from tix.core.read_models import (
    CustomerRef,
    TicketListItem,
)
from tix.core.read_models.sla import SlaListCell
from tix.core.timeutil import iso

if TYPE_CHECKING:
    from tix.core.details import (
        account_json,
        activity_marks,
        activity_result,
        activity_view,
        contact_json,
        contact_view,
        ticket_activities,
        ticket_detail,
        ticket_watchers,
        user_json,
    )

__all__ = [
    "MAX_PAGE",
    "SORT_KEYS",
    "Cursor",
    "TicketFilter",
    "TicketPage",
    "TicketRow",
    "account_json",
    "activity_marks",
    "activity_result",
    "activity_view",
    "contact_json",
    "contact_view",
    "cursor_of",
    "list_tickets",
    "parse_sort",
    "ticket_activities",
    "ticket_detail",
    "ticket_page",
    "ticket_watchers",
    "user_json",
]

MAX_PAGE = 1000


@dataclass(frozen=True)
class TicketFilter:
    """What to list; every field left at its default does not filter."""

    mine: bool = False
    statuses: tuple[str, ...] = ()
    """Empty: every status but closed."""
    all_statuses: bool = False
    channel_id: int | None = None
    owner_id: int | None = None
    category: str | None = None
    project_id: int | None = None
    customer_id: int | None = None
    kind: str | None = None
    min_priority: int | None = None
    max_priority: int | None = None
    color: str | None = None
    """A color mark, or ``none`` for tickets without one."""
    unassigned: bool = False
    """Only tickets still with their channel's default owner: nobody has taken them."""
    search: str | None = None
    sort: str | None = None
    """One of :data:`SORT_KEYS`, ``-`` before it for descending (``-priority``: highest
    first). None: last changed first; a search: newest first."""
    breached: bool = False
    """Only tickets whose next SLA deadline has passed."""
    due_within: int | None = None
    """Only tickets whose next SLA deadline is at most this many business minutes away
    (or has passed)."""
    not_breached: bool = False
    """Only tickets whose next SLA deadline has not passed yet (with :attr:`due_within`:
    those about to be breached, not those already overdue)."""


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: int
    kind: str
    status: str
    priority: int
    subject: str
    color: str | None
    channel: str | None
    owner: str
    customer: str | None
    """The customer's name, for display."""
    customer_address: str | None
    creator: str | None
    project: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    categories: tuple[str, ...] = field(default=())
    sla_due_at: datetime | None = None
    """The next SLA deadline still to meet (None: none runs, or the ticket waits)."""
    sla_due_kind: str | None = None
    sla_left_minutes: int | None = None
    """Business minutes left until ``sla_due_at`` (negative: overdue), or while the
    ticket waits, left when it resumes."""
    sla_paused: bool = False
    sla_breached: bool = False
    children: int = 0
    """How many tickets this one is the parent of (linked as children)."""
    open_children: int = 0
    """How many of those are still open (new, open or waiting)."""

    def view(self, zone: tzinfo) -> TicketListItem:
        """The row as ``--json`` and the API give it, times in ``zone``."""
        return TicketListItem(
            number=self.number,
            kind=self.kind,
            status=self.status,
            priority=self.priority,
            subject=self.subject,
            color=self.color,
            channel=self.channel,
            owner=self.owner,
            customer=(
                CustomerRef(name=self.customer, address=self.customer_address)
                if self.customer is not None
                else None
            ),
            creator=self.creator,
            project=self.project,
            categories=list(self.categories),
            sla=(
                SlaListCell(
                    due_at=iso(self.sla_due_at, zone),
                    target=self.sla_due_kind,
                    left_minutes=self.sla_left_minutes,
                    breached=self.sla_breached,
                    paused=self.sla_paused,
                )
                if self.sla_left_minutes is not None
                else None
            ),
            children=self.children,
            open_children=self.open_children,
            created_at=iso(self.created_at, zone) or "",
            updated_at=iso(self.updated_at, zone) or "",
            version=self.version,
        )

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return self.view(zone).model_dump(mode="json")


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the row with these values (and id) in the
    list's order; below id for searches. Made by :func:`cursor_of`."""

    updated_at: datetime | None
    id: int
    created_at: datetime | None = None
    priority: int | None = None
    number: int | None = None
    sla_due_at: datetime | None = None


SORT_KEYS = ("updated", "created", "priority", "number", "sla")
"""What the ticket list sorts by (``--sort``); ``-`` before one sorts descending."""


def parse_sort(value: str | None) -> tuple[str, bool] | None:
    """``(key, descending)`` of a sort such as ``-priority`` or ``created``; None for
    the default order. Unknown keys are refused with the ones there are."""
    if value is None or not value.strip():
        return None
    text = value.strip().lower()
    sign = text[:1] if text[:1] in ("+", "-") else ""
    descending = sign == "-"
    key = text[len(sign) :].strip()
    if key not in SORT_KEYS:
        raise Malformed(
            _("unknown sort {value!r}: use {keys}, with - before it for descending").format(
                value=value, keys=", ".join(SORT_KEYS)
            )
        )
    return key, descending


def _sort_column(key: str) -> Any:
    return {
        "updated": col(Ticket.updated_at),
        "created": col(Ticket.created_at),
        "priority": col(Ticket.priority),
        "number": col(Ticket.number),
        "sla": col(Ticket.sla_due_at),
    }[key]


def _row_query() -> Select[*tuple[Any, ...]]:
    owner = aliased(User)
    creator = aliased(User)
    creator_contact = aliased(Contact)
    customer = aliased(Contact)
    return (
        select(
            col(Ticket.id),
            col(Ticket.number),
            col(Ticket.kind),
            col(Ticket.status),
            col(Ticket.priority),
            col(Ticket.subject),
            col(Ticket.color),
            col(Channel.name),
            col(owner.login),
            col(customer.name),
            col(Ticket.customer_id),
            func.coalesce(creator.login, creator_contact.name),
            col(Project.name),
            col(Ticket.created_at),
            col(Ticket.updated_at),
            col(Ticket.version),
            col(Ticket.sla_policy_id),
            col(Ticket.sla_due_at),
            col(Ticket.sla_due_kind),
            col(Ticket.sla_paused_left),
        )
        .join(owner, col(owner.id) == Ticket.owner_id)
        .outerjoin(Channel, col(Channel.id) == Ticket.channel_id)
        .outerjoin(customer, col(customer.id) == Ticket.customer_id)
        .outerjoin(creator, col(creator.id) == Ticket.creator_user_id)
        .outerjoin(creator_contact, col(creator_contact.id) == Ticket.creator_contact_id)
        .outerjoin(Project, col(Project.id) == Ticket.project_id)
    )


def _filtered(query: Select[int | None], actor: User, filters: TicketFilter) -> Select[int | None]:
    if filters.mine:
        query = query.where(col(Ticket.owner_id) == actor.id)
    if filters.unassigned:
        query = query.where(
            col(Ticket.owner_id)
            == select(col(Channel.default_owner_id))
            .where(col(Channel.id) == col(Ticket.channel_id))
            .scalar_subquery()
        )
    if filters.statuses:
        unknown = [s for s in filters.statuses if s not in {t.value for t in TicketStatus}]
        if unknown:
            raise Invalid(
                _("unknown status {value!r}: use one of {statuses}, or all").format(
                    value=unknown[0], statuses=", ".join(t.value for t in TicketStatus)
                )
            )
        query = query.where(col(Ticket.status).in_(filters.statuses))
    elif not filters.all_statuses:
        query = query.where(col(Ticket.status) != TicketStatus.CLOSED)
    if filters.channel_id is not None:
        query = query.where(col(Ticket.channel_id) == filters.channel_id)
    if filters.owner_id is not None:
        query = query.where(col(Ticket.owner_id) == filters.owner_id)
    if filters.project_id is not None:
        query = query.where(col(Ticket.project_id) == filters.project_id)
    if filters.customer_id is not None:
        query = query.where(col(Ticket.customer_id) == filters.customer_id)
    if filters.kind is not None:
        query = query.where(col(Ticket.kind) == filters.kind)
    if filters.min_priority is not None:
        query = query.where(col(Ticket.priority) >= filters.min_priority)
    if filters.max_priority is not None:
        query = query.where(col(Ticket.priority) <= filters.max_priority)
    if filters.color == "none":
        query = query.where(col(Ticket.color).is_(None))
    elif filters.color:
        query = query.where(col(Ticket.color) == filters.color)
    if filters.breached:
        query = query.where(col(Ticket.sla_due_at) <= utcnow())
    if filters.not_breached:
        query = query.where(col(Ticket.sla_due_at) > utcnow())
    if filters.category:
        query = query.where(
            col(Ticket.id).in_(
                select(col(TicketCategory.ticket_id))
                .join(Category, col(Category.id) == TicketCategory.category_id)
                .where(func.lower(Category.name) == filters.category.strip().lower())
            )
        )
    return query


def list_tickets(
    session: Session,
    actor: User,
    filters: TicketFilter = TicketFilter(),
    *,
    limit: int = 50,
    after: Cursor | None = None,
) -> list[TicketRow]:
    """One page of the tickets ``actor`` may see, last changed first (searches: newest
    first), or in the order of ``filters.sort``. Pages are keyset-paged: pass the last
    row's :func:`cursor_of` as ``after``."""
    if not 0 < limit <= MAX_PAGE:
        raise Invalid(
            _("limit {limit} is out of range: use 1 to {max}").format(limit=limit, max=MAX_PAGE)
        )
    return _page(session, actor, filters, limit=limit, after=after)


@dataclass(frozen=True)
class TicketPage:
    """One page of the list, and whether more tickets follow it."""

    rows: list[TicketRow]
    more: bool

    def next_cursor(self, filters: TicketFilter) -> Cursor | None:
        if not self.more or not self.rows:
            return None
        return cursor_of(self.rows[-1], searching=bool(filters.search))


def ticket_page(
    session: Session,
    actor: User,
    filters: TicketFilter = TicketFilter(),
    *,
    limit: int = 50,
    after: Cursor | None = None,
) -> TicketPage:
    """:func:`list_tickets`, telling whether another page follows (one row more is read)."""
    if not 0 < limit <= MAX_PAGE:
        raise Invalid(
            _("limit {limit} is out of range: use 1 to {max}").format(limit=limit, max=MAX_PAGE)
        )
    rows = _page(session, actor, filters, limit=limit + 1, after=after)
    return TicketPage(rows=rows[:limit], more=len(rows) > limit)


def _page(
    session: Session, actor: User, filters: TicketFilter, *, limit: int, after: Cursor | None
) -> list[TicketRow]:
    order = parse_sort(filters.sort)
    if filters.search and order is not None and order not in (("created", True), ("number", True)):
        raise Malformed(
            _("a search lists the newest tickets first: leave out the sort, or use -created")
        )
    # Two steps: the page's ids from the tickets table alone (its indexes decide the
    # plan), then the joined rows for those ids. One joined query lets SQLite's planner
    # start from a small joined table and sort all 100,000 tickets.
    query = _filtered(select(col(Ticket.id)).where(visible_tickets(session, actor)), actor, filters)
    if filters.due_within is not None:
        from tix.core.services.sla import due_within_condition  # lists with SLAs only

        query = query.where(due_within_condition(session, filters.due_within, utcnow()))
    if filters.search:
        ids = _search_page(session, query, filters.search, limit, after)
    elif order is not None:
        ids = _sorted_page(session, query, order, limit, after)
    else:
        if after is not None and after.updated_at is not None:
            query = query.where(
                or_(
                    col(Ticket.updated_at) < after.updated_at,
                    and_(col(Ticket.updated_at) == after.updated_at, col(Ticket.id) < after.id),
                )
            )
        query = query.order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc()).limit(limit)
        ids = [i for i in session.execute(query).scalars().all() if i is not None]
    if not ids:
        return []
    position = {ticket_id: index for index, ticket_id in enumerate(ids)}
    rows = session.execute(_row_query().where(col(Ticket.id).in_(ids))).all()
    return _with_details(session, sorted(rows, key=lambda row: position[row[0]]))


def _sorted_page(
    session: Session,
    query: Select[int | None],
    order: tuple[str, bool],
    limit: int,
    after: Cursor | None,
) -> list[int]:
    """Ids of one page in ``order`` (key, descending), ties broken by id the same way."""
    key, descending = order
    if key == "sla":
        return _sla_page(query, descending, limit, after, session)
    column = _sort_column(key)
    if after is not None:
        value = {
            "updated": after.updated_at,
            "created": after.created_at,
            "priority": after.priority,
            "number": after.number,
        }[key]
        if value is not None:
            if descending:
                query = query.where(
                    or_(column < value, and_(column == value, col(Ticket.id) < after.id))
                )
            else:
                query = query.where(
                    or_(column > value, and_(column == value, col(Ticket.id) > after.id))
                )
    if descending:
        query = query.order_by(column.desc(), col(Ticket.id).desc())
    else:
        query = query.order_by(column.asc(), col(Ticket.id).asc())
    return [i for i in session.execute(query.limit(limit)).scalars().all() if i is not None]


def _sla_page(
    query: Select[int | None],
    descending: bool,
    limit: int,
    after: Cursor | None,
    session: Session,
) -> list[int]:
    """Ids by next SLA deadline, soonest (most overdue) first; the tickets without a
    running deadline after them, by id (``descending``: all of it reversed). Each part
    is keyset-paged on its own index, so the order holds on both databases, whose
    NULLs sort differently."""
    due = col(Ticket.sla_due_at)
    dated = query.where(due.is_not(None))
    undated = query.where(due.is_(None))
    if after is not None and after.sla_due_at is not None:
        if descending:
            dated = dated.where(
                or_(
                    due < after.sla_due_at, and_(due == after.sla_due_at, col(Ticket.id) < after.id)
                )
            )
        else:
            dated = dated.where(
                or_(
                    due > after.sla_due_at, and_(due == after.sla_due_at, col(Ticket.id) > after.id)
                )
            )
    elif after is not None:
        undated = undated.where(
            col(Ticket.id) < after.id if descending else col(Ticket.id) > after.id
        )
    if descending:
        parts = [
            undated.order_by(col(Ticket.id).desc()),
            dated.order_by(due.desc(), col(Ticket.id).desc()),
        ]
        if after is not None and after.sla_due_at is not None:
            parts = parts[1:]
    else:
        parts = [
            dated.order_by(due.asc(), col(Ticket.id).asc()),
            undated.order_by(col(Ticket.id).asc()),
        ]
        if after is not None and after.sla_due_at is None:
            parts = parts[1:]
    ids: list[int] = []
    for part in parts:
        if len(ids) >= limit:
            break
        ids.extend(
            i
            for i in session.execute(part.limit(limit - len(ids))).scalars().all()
            if i is not None
        )
    return ids


def _search_page(
    session: Session, query: Select[int | None], text: str, limit: int, after: Cursor | None
) -> list[int]:
    """Walk the search matches in batches, keeping those the filters and access allow."""
    found: list[int] = []
    batch: list[int] = []

    def flush() -> None:
        if batch:
            rows = session.execute(
                query.where(col(Ticket.id).in_(batch)).order_by(col(Ticket.id).desc())
            ).scalars()
            found.extend(ticket_id for ticket_id in rows if ticket_id is not None)
            batch.clear()

    matches: Iterator[int] = search.matching_ticket_ids(
        session, text, below=after.id if after is not None else None
    )
    for ticket_id in matches:
        batch.append(ticket_id)
        if len(batch) >= max(limit - len(found), 1) * 2:
            flush()
            if len(found) >= limit:
                break
    flush()
    return found[:limit]


def cursor_of(row: TicketRow, *, searching: bool) -> Cursor:
    """Where the page after ``row`` starts, whatever the list is sorted by."""
    if searching:
        return Cursor(updated_at=None, id=row.id)
    return Cursor(
        updated_at=row.updated_at,
        id=row.id,
        created_at=row.created_at,
        priority=row.priority,
        number=row.number,
        sla_due_at=row.sla_due_at,
    )


def _with_details(session: Session, rows: list[Any]) -> list[TicketRow]:
    ids = [row[0] for row in rows]
    categories: dict[int, list[str]] = {}
    if ids:
        for ticket_id, name in session.execute(
            select(col(TicketCategory.ticket_id), col(Category.name))
            .join(Category, col(Category.id) == TicketCategory.category_id)
            .where(col(TicketCategory.ticket_id).in_(ids))
            .order_by(Category.name)
        ):
            categories.setdefault(ticket_id, []).append(name)
    customers = {row[10] for row in rows if row[10] is not None}
    now = utcnow()
    sla_left = _sla_left(session, rows, now)
    addresses = primary_addresses(session, customers)
    kids = children_counts(session, ids)
    return [
        TicketRow(
            id=row[0],
            number=row[1],
            kind=row[2],
            status=row[3],
            priority=row[4],
            subject=row[5],
            color=row[6],
            channel=row[7],
            owner=row[8],
            customer=row[9],
            customer_address=addresses.get(row[10]) if row[10] is not None else None,
            creator=row[11],
            project=row[12],
            created_at=row[13],
            updated_at=row[14],
            version=row[15],
            categories=tuple(categories.get(row[0], ())),
            sla_due_at=row[17],
            sla_due_kind=row[18] if row[17] is not None else None,
            sla_left_minutes=sla_left.get(row[0]),
            sla_paused=row[17] is None and row[19] is not None,
            sla_breached=row[17] is not None and row[17] <= now,
            children=kids.get(row[0], (0, 0))[1],
            open_children=kids.get(row[0], (0, 0))[0],
        )
        for row in rows
    ]


def _sla_left(session: Session, rows: list[Any], now: datetime) -> dict[int, int]:
    """Business minutes left of each row's next SLA deadline (while paused: when it
    resumes), in its policy's calendar."""
    if not any(row[16] is not None for row in rows):
        return {}
    from tix.core.services.sla import RulesCache, left_minutes  # lists with SLAs only

    cache = RulesCache(session)
    left: dict[int, int] = {}
    for row in rows:
        if row[17] is not None:
            found = left_minutes(cache, policy_id=row[16], due_at=row[17], now=now)
            if found is not None:
                left[row[0]] = found
        elif row[16] is not None and row[19] is not None:
            left[row[0]] = row[19]
    return left


def children_counts(session: Session, ticket_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """For each of ``ticket_ids`` that is a parent: how many children are still open, and
    how many it has."""
    if not ticket_ids:
        return {}
    child = aliased(Ticket)
    rows = session.execute(
        select(
            col(TicketLink.from_ticket_id),
            func.count(),
            func.count().filter(col(child.status).in_(OPEN_STATUSES)),
        )
        .join(child, col(child.id) == TicketLink.to_ticket_id)
        .where(
            col(TicketLink.from_ticket_id).in_(ticket_ids),
            col(TicketLink.kind) == LinkKind.PARENT,
        )
        .group_by(col(TicketLink.from_ticket_id))
    ).all()
    return {parent: (int(open_count), int(total)) for parent, total, open_count in rows}


_DETAILS = (
    "activity_view",
    "activity_result",
    "ticket_activities",
    "activity_marks",
    "ticket_watchers",
    "contact_view",
    "contact_json",
    "ticket_detail",
    "user_json",
    "account_json",
)
"""Names of :mod:`tix.core.details`, still importable from here (loaded on first use)."""


def __getattr__(name: str) -> Any:
    if name in _DETAILS:
        from tix.core import details

        return getattr(details, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
