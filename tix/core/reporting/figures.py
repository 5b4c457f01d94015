"""The reports: each takes ``(session, scope)`` and returns its read model.

Counts are aggregated by the database, grouped by local day (at most a few hundred
rows for a year), and the days summed into weeks or months here. Durations need a
ticket's business calendar, so those are computed here, on one narrow row per ticket
(its id, channel, policy, when it opened and when it was answered or solved).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, distinct, func, not_, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.models import (
    Activity,
    ActivityKind,
    BusinessCalendar,
    Category,
    Channel,
    Contact,
    MailImport,
    Organization,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    SlaPolicy,
    Ticket,
    TicketCategory,
    TicketKind,
    TicketOrigin,
    TicketStatus,
    TimeEntry,
    User,
    utcnow,
)
from tix.core.models.mail import ImportStatus
from tix.core.read_models.reports import (
    AgentRow,
    AgentsReport,
    CategoriesReport,
    CountRow,
    DurationFigure,
    MailBucket,
    MailReport,
    Overview,
    ResponseReport,
    SlaReport,
    SlaRow,
    VolumeBucket,
    VolumeReport,
)
from tix.core.reporting.scope import (
    DONE,
    ReportScope,
    as_date,
    bucket_of,
    buckets,
    local_day,
    percentile,
    ticket_conditions,
    within,
)
from tix.core.services import sla as sla_service

FIRST_RESPONSE = "first_response"
SOLUTION = "solution"
BUSINESS = "business"
WALL = "wall"

_CHUNK = 500
"""Tickets per query when their history is read in batches (the SLA report)."""


def _status_change() -> Any:
    return and_(col(Activity.kind) == ActivityKind.CHANGE, col(Activity.field) == "status")


def _to_done() -> Any:
    """A status change that finished a ticket (into solved or closed from not done)."""
    return and_(
        col(Activity.new_value).in_(DONE),
        or_(col(Activity.old_value).is_(None), not_(col(Activity.old_value).in_(DONE))),
    )


def _reopening() -> Any:
    return and_(col(Activity.old_value).in_(DONE), not_(col(Activity.new_value).in_(DONE)))


def _of_tickets(conditions: Sequence[Any]) -> Any:
    """The activity belongs to a ticket in scope. A semi-join, not a join: the
    activities are read in one pass and each looked up in the set of tickets (joined,
    SQLite walks the tickets and reads each one's activities apart, far slower)."""
    return col(Activity.ticket_id).in_(select(col(Ticket.id)).where(*conditions))


def _count_when(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- volume ---------------------------------------------------------------------------


def volume(session: Session, scope: ReportScope) -> VolumeReport:
    """Tickets opened, solved and reopened per bucket, and the backlog at each bucket's
    end.

    The backlog is counted back from now: the tickets not done now, less those opened
    since the day's end, plus those finished since, less those reopened since."""
    conditions = ticket_conditions(session, scope)
    ranges = buckets(scope)
    index = bucket_of(scope)
    opened = [0] * len(ranges)
    solved = [0] * len(ranges)
    reopened = [0] * len(ranges)
    day = local_day(session, col(Ticket.created_at), scope)
    for value, count in session.execute(
        select(day, func.count())
        .where(within(col(Ticket.created_at), scope), *conditions)
        .group_by(day)
    ):
        opened[index[as_date(value)]] += count
    # One pass over the status changes from the period's start on: per day within it,
    # and those after its end together (day NULL), for the backlog.
    day = local_day(session, col(Activity.created_at), scope)
    slot = case((col(Activity.created_at) >= scope.end_utc, None), else_=day)
    finished_since = reopened_since = 0
    for value, finished, back in session.execute(
        select(slot, _count_when(_to_done()), _count_when(_reopening()))
        .where(
            _status_change(),
            col(Activity.created_at) >= scope.start_utc,
            _of_tickets(conditions),
        )
        .group_by(slot)
    ):
        if value is None:
            finished_since, reopened_since = int(finished), int(back)
            continue
        solved[index[as_date(value)]] += int(finished)
        reopened[index[as_date(value)]] += int(back)

    open_now = session.execute(
        select(func.count()).where(not_(col(Ticket.status).in_(DONE)), *conditions)
    ).scalar_one()
    opened_since = session.execute(
        select(func.count()).where(col(Ticket.created_at) >= scope.end_utc, *conditions)
    ).scalar_one()
    backlog = open_now - opened_since + finished_since - reopened_since
    backlog_end = backlog
    rows: list[VolumeBucket] = []
    for number in reversed(range(len(ranges))):
        first, last = ranges[number]
        rows.append(
            VolumeBucket(
                start=first,
                end=last,
                opened=opened[number],
                solved=solved[number],
                reopened=reopened[number],
                backlog=backlog,
            )
        )
        backlog = backlog - opened[number] + solved[number] - reopened[number]
    rows.reverse()
    return VolumeReport(
        scope=scope.view(),
        buckets=rows,
        opened=sum(opened),
        solved=sum(solved),
        reopened=sum(reopened),
        backlog_start=backlog,
        backlog_end=backlog_end,
    )


# --- response -------------------------------------------------------------------------


def _replied_and_finished(conditions: Sequence[Any], scope: ReportScope) -> Any:
    """Per ticket in scope: when staff first wrote to its customer (as the SLA clock
    counts it) and when it was last finished; one pass over the activities since the
    period began, grouped by ticket (looked up ticket by ticket instead, each ticket's
    activities are read apart: three to eight times slower)."""
    reply = and_(
        col(Activity.author_user_id).is_not(None),
        or_(
            col(Activity.kind).in_((ActivityKind.REPLY, ActivityKind.SOLUTION)),
            and_(col(Activity.kind) == ActivityKind.MESSAGE, col(Activity.direction) == "out"),
        ),
    )
    finish = and_(_status_change(), _to_done())
    return (
        select(
            col(Activity.ticket_id).label("ticket_id"),
            func.min(case((reply, col(Activity.created_at)), else_=None)).label("replied"),
            func.max(case((finish, col(Activity.created_at)), else_=None)).label("finished"),
        )
        .where(
            col(Activity.created_at) >= scope.start_utc,
            or_(reply, finish),
            _of_tickets(conditions),
        )
        .group_by(col(Activity.ticket_id))
        .subquery()
    )


def _channel_names(session: Session) -> dict[int | None, str | None]:
    names: dict[int | None, str | None] = {None: None}
    for channel_id, name in session.execute(select(col(Channel.id), col(Channel.name))):
        names[channel_id] = name
    return names


def response(session: Session, scope: ReportScope) -> ResponseReport:
    """First-response time and time to solution (median, 90th percentile) of the
    customer tickets opened in the period, overall and per channel.

    A ticket with an SLA policy is measured in its calendar's business time, one
    without in wall time; the two are never mixed in one figure. A mail ticket an
    agent opened (tix's own mail to a customer) has no first response: nobody waited
    for one, and counting its opening mail as one would pull the median to zero."""
    conditions = [
        within(col(Ticket.created_at), scope),
        col(Ticket.kind) != TicketKind.INTERNAL,
        *ticket_conditions(session, scope),
    ]
    overall: dict[tuple[str, str], list[float]] = defaultdict(list)
    per_channel: dict[tuple[int | None, str, str], list[float]] = defaultdict(list)

    def add(channel_id: int | None, measure: str, basis: str, seconds: float | None) -> None:
        if seconds is None:
            return
        seconds = max(float(seconds), 0.0)
        per_channel[(channel_id, measure, basis)].append(seconds)
        overall[(measure, basis)].append(seconds)

    found = _replied_and_finished(conditions, scope)
    finished = case((col(Ticket.status).in_(DONE), found.c.finished), else_=None)
    clocked = col(Ticket.sla_policy_id).is_not(None)

    outbound = and_(col(Ticket.kind) == TicketKind.MAIL, col(Ticket.origin) == TicketOrigin.AGENT)
    replied = case((outbound, None), else_=found.c.replied)

    def only_clocked(value: Any) -> Any:
        return case((clocked, value), else_=None)

    def only_wall(value: Any) -> Any:
        return case((clocked, None), else_=value)

    # One row per ticket. Under an SLA: when it opened, was answered and solved, for
    # its calendar; without: the durations themselves, from the database. Neither
    # database can take a percentile of business time, so the percentiles are all
    # taken here, on one number per ticket.
    cache = sla_service.RulesCache(session)
    for channel_id, policy_id, opened, first, solved, first_wall, solved_wall in session.execute(
        select(
            col(Ticket.channel_id),
            col(Ticket.sla_policy_id),
            only_clocked(col(Ticket.created_at)),
            only_clocked(replied),
            only_clocked(finished),
            only_wall(_seconds(session, col(Ticket.created_at), replied)),
            only_wall(_seconds(session, col(Ticket.created_at), finished)),
        )
        .join(found, found.c.ticket_id == col(Ticket.id))
        .where(*conditions)
    ):
        if policy_id is None:
            add(channel_id, FIRST_RESPONSE, WALL, first_wall)
            add(channel_id, SOLUTION, WALL, solved_wall)
            continue
        rules = cache.for_policy(policy_id)
        for measure, end in ((FIRST_RESPONSE, first), (SOLUTION, solved)):
            if end is None:
                continue
            start, end = _aware(opened), _aware(end)
            if rules is not None:
                add(channel_id, measure, BUSINESS, rules.minutes_between(start, end) * 60)
            else:  # its policy is gone
                add(channel_id, measure, WALL, (end - start).total_seconds())
    names = _channel_names(session)

    def figure(channel: str | None, measure: str, basis: str, found: list[float]) -> DurationFigure:
        values = sorted(found)
        return DurationFigure(
            channel=channel,
            measure=measure,
            basis=basis,
            tickets=len(values),
            median_seconds=percentile(values, 0.5),
            p90_seconds=percentile(values, 0.9),
        )

    def order(measure: str, basis: str) -> tuple[bool, bool]:
        return (measure != FIRST_RESPONSE, basis != BUSINESS)

    figures = [
        figure(None, measure, basis, overall[(measure, basis)])
        for measure, basis in sorted(overall, key=lambda key: order(*key))
    ]
    figures += [
        figure(names.get(channel_id), measure, basis, per_channel[(channel_id, measure, basis)])
        for channel_id, measure, basis in sorted(
            per_channel, key=lambda key: (names.get(key[0]) or "", *order(key[1], key[2]))
        )
    ]
    return ResponseReport(scope=scope.view(), figures=figures)


def _seconds(session: Session, start: Any, end: Any) -> Any:
    """Seconds from ``start`` to ``end`` (timestamps) as SQL; NULL when ``end`` is."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _aware(value: datetime | str) -> datetime:
    """A timestamp from a scalar subquery (SQLite returns it as text, naive UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --- SLA ------------------------------------------------------------------------------


def sla(session: Session, scope: ReportScope) -> SlaReport:
    """Met, breached and running SLA targets of the tickets opened in the period, per
    channel, priority and target (computed from each ticket's history as its clocks
    are)."""
    conditions = ticket_conditions(session, scope)
    tickets = session.execute(
        select(
            col(Ticket.id),
            col(Ticket.channel_id),
            col(Ticket.priority),
            col(Ticket.sla_policy_id),
            col(Ticket.created_at),
            col(Ticket.status),
        )
        .where(
            within(col(Ticket.created_at), scope),
            col(Ticket.sla_policy_id).is_not(None),
            *conditions,
        )
        .order_by(col(Ticket.id))
    ).all()
    policies = {policy.id: policy for policy in session.execute(select(SlaPolicy)).scalars()}
    calendars = {
        calendar.id: calendar for calendar in session.execute(select(BusinessCalendar)).scalars()
    }
    cache = sla_service.RulesCache(session)
    counts: dict[tuple[int | None, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    now = utcnow()
    for offset in range(0, len(tickets), _CHUNK):
        chunk = tickets[offset : offset + _CHUNK]
        ids = [row[0] for row in chunk if row[0] is not None]
        changes = sla_service._status_changes(session, ids)
        replies = sla_service._first_responses(session, ids)
        for ticket_id, channel_id, priority, policy_id, created, status in chunk:
            assert ticket_id is not None
            policy = policies.get(policy_id)
            rules = cache.for_policy(policy_id)
            if policy is None or rules is None:
                continue
            clocks = sla_service._clocks(
                policy,
                calendars[policy.calendar_id],
                rules,
                created_at=created,
                status=TicketStatus(status),
                changes=changes[ticket_id],
                first_response_at=replies.get(ticket_id),
            )
            for clock in clocks.clocks:
                state = clock.state(now)
                slot = 0 if state == "met" else 1 if state == "breached" else 2
                counts[(channel_id, priority, clock.kind)][slot] += 1
    names = _channel_names(session)
    rows = [
        SlaRow(
            channel=names.get(channel_id),
            priority=priority,
            target=target,
            met=found[0],
            breached=found[1],
            running=found[2],
        )
        for (channel_id, priority, target), found in sorted(
            counts.items(),
            key=lambda item: (
                names.get(item[0][0]) or "",
                -item[0][1],
                item[0][2] != FIRST_RESPONSE,
            ),
        )
    ]
    met = sum(row.met for row in rows)
    breached = sum(row.breached for row in rows)
    return SlaReport(
        scope=scope.view(),
        rows=rows,
        met=met,
        breached=breached,
        running=sum(row.running for row in rows),
        compliance=met / (met + breached) if met + breached else None,
    )


# --- agents ---------------------------------------------------------------------------


def agents(session: Session, scope: ReportScope) -> AgentsReport:
    """Per agent: the tickets they own that are not done now, the tickets they wrote on
    or changed in the period, and the time they booked in it. Agents with none of
    these are left out."""
    conditions = ticket_conditions(session, scope)
    open_now: dict[int | None, int] = {
        key: value
        for key, value in session.execute(
            select(col(Ticket.owner_id), func.count())
            .where(not_(col(Ticket.status).in_(DONE)), *conditions)
            .group_by(col(Ticket.owner_id))
        ).all()
    }
    touched: dict[int | None, int] = {
        key: value
        for key, value in session.execute(
            select(col(Activity.author_user_id), func.count(distinct(col(Activity.ticket_id))))
            .where(
                col(Activity.author_user_id).is_not(None),
                within(col(Activity.created_at), scope),
                _of_tickets(conditions),
            )
            .group_by(col(Activity.author_user_id))
        ).all()
    }
    minutes: dict[int | None, int] = {
        key: value
        for key, value in session.execute(
            select(col(TimeEntry.user_id), func.sum(col(TimeEntry.minutes)))
            .join(Ticket, col(Ticket.id) == col(TimeEntry.ticket_id))
            .where(
                col(TimeEntry.work_date) >= scope.start,
                col(TimeEntry.work_date) <= scope.end,
                *conditions,
            )
            .group_by(col(TimeEntry.user_id))
        ).all()
    }
    ids = {key for key in (*open_now, *touched, *minutes) if key is not None}
    users = (
        session.execute(select(User).where(col(User.id).in_(ids))).scalars().all() if ids else []
    )
    rows = [
        AgentRow(
            login=user.login,
            name=user.name,
            open_tickets=int(open_now.get(user.id, 0)),
            touched=int(touched.get(user.id, 0)),
            minutes=int(minutes.get(user.id, 0) or 0),
        )
        for user in users
    ]
    rows.sort(key=lambda row: (-row.touched, -row.open_tickets, -row.minutes, row.login))
    return AgentsReport(scope=scope.view(), agents=rows)


# --- categories and customers ---------------------------------------------------------


def categories(session: Session, scope: ReportScope, *, limit: int = 10) -> CategoriesReport:
    """The categories, customers and organisations with the most tickets opened in the
    period (the first ``limit`` of each, most first, then by name)."""
    conditions = [within(col(Ticket.created_at), scope), *ticket_conditions(session, scope)]

    def top(name: Any, query: Any) -> list[CountRow]:
        count = func.count(distinct(col(Ticket.id)))
        rows = session.execute(
            query.add_columns(count)
            .where(*conditions)
            .group_by(name)
            .order_by(count.desc(), name)
            .limit(limit)
        ).all()
        return [CountRow(name=row[0], tickets=row[1]) for row in rows]

    return CategoriesReport(
        scope=scope.view(),
        categories=top(
            col(Category.name),
            select(col(Category.name))
            .select_from(Ticket)
            .join(TicketCategory, col(TicketCategory.ticket_id) == col(Ticket.id))
            .join(Category, col(Category.id) == col(TicketCategory.category_id)),
        ),
        customers=top(
            col(Contact.name),
            select(col(Contact.name))
            .select_from(Ticket)
            .join(Contact, col(Contact.id) == col(Ticket.customer_id)),
        ),
        organisations=top(
            col(Organization.name),
            select(col(Organization.name))
            .select_from(Ticket)
            .join(Contact, col(Contact.id) == col(Ticket.customer_id))
            .join(Organization, col(Organization.id) == col(Contact.organization_id)),
        ),
    )


# --- mail -----------------------------------------------------------------------------


def mail(session: Session, scope: ReportScope) -> MailReport:
    """Mails imported onto tickets and mails sent from tickets, per bucket
    (notifications to staff are not counted)."""
    conditions = ticket_conditions(session, scope)
    ranges = buckets(scope)
    index = bucket_of(scope)
    incoming = [0] * len(ranges)
    outgoing = [0] * len(ranges)
    day = local_day(session, col(MailImport.created_at), scope)
    for value, count in session.execute(
        select(day, func.count())
        .join(Ticket, col(Ticket.id) == col(MailImport.ticket_id))
        .where(
            col(MailImport.status) == ImportStatus.IMPORTED,
            within(col(MailImport.created_at), scope),
            *conditions,
        )
        .group_by(day)
    ):
        incoming[index[as_date(value)]] += count
    day = local_day(session, col(OutboxMessage.sent_at), scope)
    for value, count in session.execute(
        select(day, func.count())
        .join(Ticket, col(Ticket.id) == col(OutboxMessage.ticket_id))
        .where(
            col(OutboxMessage.status) == OutboxStatus.SENT,
            col(OutboxMessage.purpose) != OutboxPurpose.NOTIFICATION,
            within(col(OutboxMessage.sent_at), scope),
            *conditions,
        )
        .group_by(day)
    ):
        outgoing[index[as_date(value)]] += count
    return MailReport(
        scope=scope.view(),
        buckets=[
            MailBucket(start=first, end=last, incoming=incoming[n], outgoing=outgoing[n])
            for n, (first, last) in enumerate(ranges)
        ],
        incoming=sum(incoming),
        outgoing=sum(outgoing),
    )


# --- overview -------------------------------------------------------------------------


def overview(session: Session, scope: ReportScope) -> Overview:
    """The headline figures of every report."""
    return overview_of(
        scope,
        counts=volume(session, scope),
        times=response(session, scope),
        targets=sla(session, scope),
        mails=mail(session, scope),
        load=agents(session, scope),
        topics=categories(session, scope, limit=5),
    )


def overview_of(
    scope: ReportScope,
    *,
    counts: VolumeReport,
    times: ResponseReport,
    targets: SlaReport,
    mails: MailReport,
    load: AgentsReport,
    topics: CategoriesReport,
) -> Overview:
    """The headline figures of reports computed already (a workbook of every report
    computes each once)."""
    return Overview(
        scope=scope.view(),
        opened=counts.opened,
        solved=counts.solved,
        reopened=counts.reopened,
        backlog_start=counts.backlog_start,
        backlog_end=counts.backlog_end,
        response=[figure for figure in times.figures if figure.channel is None],
        sla_met=targets.met,
        sla_breached=targets.breached,
        sla_running=targets.running,
        sla_compliance=targets.compliance,
        mail_in=mails.incoming,
        mail_out=mails.outgoing,
        busiest=load.agents[:5],
        top_categories=topics.categories[:5],
    )
