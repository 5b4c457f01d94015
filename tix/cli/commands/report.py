"""``tix report``: how many tickets come in and get solved, how fast the first answer
comes, who carries the load, what is overdue; as tables with terminal charts, as rows
(TSV, CSV, JSON), as an Excel workbook with charts, or mailed to someone."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import (
    FieldsOption,
    FormatOption,
    JsonOption,
    _set_format,
    console,
    emit,
    emit_rows,
    say,
    state,
    table,
    writable,
)
from tix.cli.ticket_filters import KindOption
from tix.core.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tix.core.models import User
    from tix.core.reporting import ReportScope

app = typer.Typer(no_args_is_help=True)

REPORTS = ("overview", "volume", "response", "sla", "agents", "categories", "mail")

# --- options --------------------------------------------------------------------------

FromOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help=_(
            "The first day (2026-11-01, 01.11.2026, -4w ...); default: 30 days, 12 weeks "
            "or 12 months before --to, by --period."
        ),
        metavar="DATE",
        show_default=False,
    ),
]
ToOption = Annotated[
    str | None,
    typer.Option(
        "--to", help=_("The last day (default: today)."), metavar="DATE", show_default=False
    ),
]
PeriodOption = Annotated[
    str,
    typer.Option("--period", help=_("Count per day, week or month."), metavar="PERIOD"),
]
ChannelOption = Annotated[
    list[str] | None,
    typer.Option("--channel", help=_("Only this channel (repeatable)."), metavar="CHANNEL"),
]
OwnerOption = Annotated[
    list[str] | None,
    typer.Option("--owner", help=_("Only tickets this user owns (repeatable)."), metavar="LOGIN"),
]
CategoryOption = Annotated[
    list[str] | None,
    typer.Option("--category", help=_("Only this category (repeatable)."), metavar="C"),
]
OrganisationOption = Annotated[
    str | None,
    typer.Option(
        "--organisation",
        help=_("Only tickets of this customer organisation."),
        metavar="NAME",
    ),
]


def _set_csv(value: bool) -> bool:
    if value:
        _set_format("csv")
    return value


CsvOption = Annotated[
    bool,
    typer.Option("--csv", help=_("Comma-separated rows (as --format csv)."), callback=_set_csv),
]
XlsxOption = Annotated[
    Path | None,
    typer.Option(
        "--xlsx",
        help=_("Write an Excel workbook with charts (overview: every report) to FILE."),
        metavar="FILE.xlsx",
        show_default=False,
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help=_("Overwrite the --xlsx FILE."))]
MailToOption = Annotated[
    list[str] | None,
    typer.Option(
        "--mail-to",
        help=_(
            "Mail the workbook and a summary to this address (repeatable); the worker sends it."
        ),
        metavar="ADDR",
    ),
]
AccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help=_("Send --mail-to from this mail account (default: the first that can send)."),
        metavar="NAME",
    ),
]


@dataclass(frozen=True)
class _Given:
    start: str | None
    end: str | None
    period: str
    channels: list[str]
    owners: list[str]
    categories: list[str]
    kind: str | None
    organisation: str | None
    xlsx: Path | None
    force: bool
    mail_to: list[str]
    account: str | None


# --- the commands ---------------------------------------------------------------------


def _help(text: str, example: str) -> str:
    return text + "\n\n\b\n" + _("Examples:") + "\n" + example


def _helps() -> dict[str, str]:
    return {
        "overview": _help(
            _(
                "The headline figures of every report: tickets opened, solved and reopened, "
                "the backlog, response times, SLA targets, mail, the busiest agents."
            ),
            "  tix report overview --from 01.11.2026 --to 30.11.2026\n"
            "  tix report overview --period week --xlsx week.xlsx\n"
            "  tix report overview --period week --mail-to lead@example.com",
        ),
        "volume": _help(
            _(
                "Tickets opened, solved and reopened per day, week or month, and the backlog "
                "(tickets not solved or closed) at the end of each."
            ),
            "  tix report volume --period week --channel Support\n"
            "  tix report volume --from 2026-01-01 --to 2026-12-31 --period month --csv",
        ),
        "response": _help(
            _(
                "First-response time and time to solution (median, 90th percentile) of the "
                "tickets opened in the period, overall and per channel: in business hours "
                "where the ticket has an SLA, else in clock hours."
            ),
            "  tix report response --from -4w\n  tix report response --json",
        ),
        "sla": _help(
            _(
                "SLA targets of the tickets opened in the period: met, breached, running, per "
                "channel, priority and target."
            ),
            "  tix report sla --period month --from 01.01.2026",
        ),
        "agents": _help(
            _(
                "Per agent: open tickets now, tickets written on or changed in the period, "
                "time booked in it."
            ),
            "  tix report agents --from 01.11.2026 --to 30.11.2026",
        ),
        "categories": _help(
            _("The categories, customers and organisations with the most new tickets."),
            "  tix report categories --kind mail",
        ),
        "mail": _help(
            _("Mails imported onto tickets and mails sent from them, per day, week or month."),
            "  tix report mail --period week",
        ),
    }


def _register(name: str) -> None:
    def command(
        start: FromOption = None,
        end: ToOption = None,
        period: PeriodOption = "day",
        channel: ChannelOption = None,
        owner: OwnerOption = None,
        category: CategoryOption = None,
        kind: KindOption = None,
        organisation: OrganisationOption = None,
        json_output: JsonOption = False,
        output_format: FormatOption = None,
        only_fields: FieldsOption = None,
        csv_output: CsvOption = False,
        xlsx: XlsxOption = None,
        force: ForceOption = False,
        mail_to: MailToOption = None,
        account: AccountOption = None,
    ) -> None:
        _run(
            name,
            _Given(
                start=start,
                end=end,
                period=period,
                channels=channel or [],
                owners=owner or [],
                categories=category or [],
                kind=kind,
                organisation=organisation,
                xlsx=xlsx,
                force=force,
                mail_to=mail_to or [],
                account=account,
            ),
        )

    command.__name__ = f"report_{name}"
    app.command(name, help=_helps()[name])(command)


for _name in REPORTS:
    _register(_name)


# --- running a report -----------------------------------------------------------------


def _period(value: str) -> Any:
    from tix.core.reporting import Period

    try:
        return Period(value.strip().lower())
    except ValueError:
        raise typer.BadParameter(
            _("unknown period {value!r}: use day, week or month").format(value=value),
            param_hint="--period",
        ) from None


def _dates(given: _Given, period: Any, today: date) -> tuple[date, date]:
    from tix.core.reporting import Period
    from tix.core.timeparse import parse_day

    end = parse_day(given.end, today=today) if given.end else today
    if given.start:
        return parse_day(given.start, today=today), end
    if period == Period.WEEK:
        return end - timedelta(days=end.weekday()) - timedelta(weeks=11), end
    if period == Period.MONTH:
        month = end.month - 11
        year = end.year + (month - 1) // 12
        return date(year, (month - 1) % 12 + 1, 1), end
    return end - timedelta(days=29), end


def _scope(session: Session, actor: User, given: _Given) -> ReportScope:
    from tix.core.labels import parse_ticket_kind
    from tix.core.reporting import ReportScope
    from tix.core.reporting.summary import category_ids, organisation_id
    from tix.core.services import channels, users

    period = _period(given.period)
    kind = parse_ticket_kind(given.kind) if given.kind is not None else None
    start, end = _dates(given, period, context.today(actor))
    # PostgreSQL counts days by the zone's name; the system's own zone may have none.
    zone = (
        actor.timezone or context.settings().timezone or getattr(context.zone(actor), "key", "UTC")
    )
    ReportScope(start=start, end=end, viewer=actor, period=period, zone=zone)  # dates first
    return ReportScope(
        start=start,
        end=end,
        viewer=actor,
        period=period,
        zone=zone,
        channel_ids=tuple(
            channel_id
            for name in given.channels
            if (channel_id := channels.get_channel(session, name).id) is not None
        ),
        owner_ids=tuple(
            user_id for login in given.owners if (user_id := users.get_user(session, login).id)
        ),
        category_ids=category_ids(session, given.categories),
        kind=str(kind) if kind is not None else None,
        organisation=(organisation_id(session, given.organisation) if given.organisation else None),
    )


def _compute(session: Session, scope: ReportScope, name: str, *, everything: bool) -> list[Any]:
    """The report called ``name``; with ``everything``, for an overview, every report."""
    from tix.core import reporting

    if name == "overview" and everything:
        counts = reporting.volume(session, scope)
        times = reporting.response(session, scope)
        targets = reporting.sla(session, scope)
        load = reporting.agents(session, scope)
        topics = reporting.categories(session, scope)
        mails = reporting.mail(session, scope)
        headline = reporting.overview_of(
            scope,
            counts=counts,
            times=times,
            targets=targets,
            mails=mails,
            load=load,
            topics=topics,
        )
        return [headline, counts, times, targets, load, topics, mails]
    function: Callable[[Session, ReportScope], Any] = getattr(reporting, name)
    return [function(session, scope)]


def _run(name: str, given: _Given) -> None:
    if given.xlsx is not None:
        from tix.core.reporting.workbook import check_target

        writable(given.xlsx, force=given.force, suffix=".xlsx")
        check_target(given.xlsx)
    if given.mail_to:
        from tix.core import validation

        for address in given.mail_to:
            validation.email_address(address)
    files = given.xlsx is not None or bool(given.mail_to)
    with context.session(write=bool(given.mail_to)) as session:
        actor = context.acting(session)
        scope = _scope(session, actor, given)
        reports = _compute(session, scope, name, everything=files)
        queued: list[int] = []
        if given.mail_to:
            queued = _mail(session, actor, scope, name, reports, given)
    if given.xlsx is not None:
        from tix.core.reporting.workbook import write_report_workbook

        write_report_workbook(given.xlsx, reports)
    if files:
        _say_files(given, queued)
        return
    _show(name, reports[0])


def _mail(
    session: Session,
    actor: User,
    scope: ReportScope,
    name: str,
    reports: list[Any],
    given: _Given,
) -> list[int]:
    """Queue the workbook of ``reports`` with the overview's summary as the text."""
    import io

    from tix.core import reporting
    from tix.core.datefmt import day_text
    from tix.core.reporting.summary import summary_text
    from tix.core.reporting.workbook import write_report_workbook
    from tix.core.services.report_mail import queue_report_mail

    stream = io.BytesIO()
    write_report_workbook(stream, reports)
    first = reports[0]
    overview = first if name == "overview" else reporting.overview(session, scope)
    message = queue_report_mail(
        session,
        actor,
        to=given.mail_to,
        subject=_("tix report {name}: {start} – {end}").format(
            name=_names()[name], start=day_text(scope.start), end=day_text(scope.end)
        ),
        body=summary_text(overview),
        file_name=f"tix-{name}-{scope.start.isoformat()}-{scope.end.isoformat()}.xlsx",
        workbook=stream.getvalue(),
        account_name=given.account,
    )
    return [message.id] if message.id is not None else []


def _say_files(given: _Given, queued: list[int]) -> None:
    data = {
        "file": str(given.xlsx) if given.xlsx is not None else None,
        "mail_to": given.mail_to,
        "queued": queued,
    }

    def human() -> None:
        if given.xlsx is not None:
            say(_("Wrote {file}.").format(file=given.xlsx))
        if given.mail_to:
            say(
                _("Queued the report to {addresses}; the worker sends it.").format(
                    addresses=", ".join(given.mail_to)
                )
            )

    emit(data, human)


def _names() -> dict[str, str]:
    return {
        "overview": _("overview"),
        "volume": _("volume"),
        "response": _("response times"),
        "sla": _("SLA"),
        "agents": _("agents"),
        "categories": _("categories"),
        "mail": _("mail"),
    }


# --- output ---------------------------------------------------------------------------


def _charts() -> bool:
    """Charts only for people at a terminal: never when piped or as data."""
    return sys.stdout.isatty() and state.format in (None, "table") and not state.json


def _show(name: str, report: Any) -> None:
    # --json: the whole report (its read model); --format json, jsonl, csv, tsv: its rows
    if state.json and state.format is None and state.fields is None:
        emit(report.model_dump(mode="json"))
        return
    rows, fields, default, human = _SHOWN[name](report)
    emit_rows(rows, human, fields=fields, default=default)


def _show_overview(report: Any) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import duration_text, period_text
    from tix.core.reporting.workbook import figure_label

    figures: list[tuple[str, str, Any]] = [
        ("opened", _("Opened"), report.opened),
        ("solved", _("Solved"), report.solved),
        ("reopened", _("Reopened"), report.reopened),
        ("backlog_start", _("Backlog at the start"), report.backlog_start),
        ("backlog_end", _("Backlog at the end"), report.backlog_end),
    ]
    for figure in report.response:
        key = f"{figure.measure}_{figure.basis}"
        label = figure_label(figure)
        figures.append(
            (
                f"{key}_median_seconds",
                _("{figure}: median").format(figure=label),
                figure.median_seconds,
            )
        )
        figures.append(
            (
                f"{key}_p90_seconds",
                _("{figure}: 90th percentile").format(figure=label),
                figure.p90_seconds,
            )
        )
    figures += [
        ("sla_met", _("SLA targets met"), report.sla_met),
        ("sla_breached", _("SLA targets breached"), report.sla_breached),
        ("sla_running", _("SLA targets running"), report.sla_running),
        ("sla_compliance", _("SLA compliance"), report.sla_compliance),
        ("mail_in", _("Mails in"), report.mail_in),
        ("mail_out", _("Mails out"), report.mail_out),
    ]
    rows = [{"figure": key, "value": value} for key, _label, value in figures]

    def shown(key: str, value: Any) -> str:
        if value is None:
            return "–"
        if key.endswith("_seconds"):
            return duration_text(value)
        if key == "sla_compliance":
            return f"{value:.0%}"
        return str(value)

    def human() -> None:
        table(
            [_("Figure"), _("Value")],
            [(label, shown(key, value)) for key, label, value in figures],
            title=_("Overview {period}").format(period=period_text(report.scope)),
        )
        if _charts() and report.busiest:
            _bars(
                _("Tickets touched"),
                [(agent.name, agent.touched) for agent in report.busiest],
            )

    return rows, ("figure", "value"), ("figure", "value"), human


def _bucket_label(start: date, end: date) -> str:
    from tix.core.datefmt import day_text

    return day_text(start) if start == end else f"{day_text(start)} – {day_text(end)}"


def _show_volume(report: Any) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import period_text

    rows = [bucket.model_dump(mode="json") for bucket in report.buckets]
    fields = ("start", "end", "opened", "solved", "reopened", "backlog")

    def human() -> None:
        table(
            [_("Period"), _("Opened"), _("Solved"), _("Reopened"), _("Backlog")],
            [
                (
                    _bucket_label(b.start, b.end),
                    b.opened,
                    b.solved,
                    b.reopened,
                    b.backlog,
                )
                for b in report.buckets
            ],
            title=_("Tickets {period}").format(period=period_text(report.scope)),
        )
        say(
            _(
                "Total: {opened} opened, {solved} solved, {reopened} reopened; "
                "backlog {start} → {end}"
            ).format(
                opened=report.opened,
                solved=report.solved,
                reopened=report.reopened,
                start=report.backlog_start,
                end=report.backlog_end,
            )
        )
        if _charts():
            _sparklines(
                [
                    (_("Opened"), [b.opened for b in report.buckets]),
                    (_("Solved"), [b.solved for b in report.buckets]),
                    (_("Backlog"), [b.backlog for b in report.buckets]),
                ]
            )

    return rows, fields, fields, human


def _show_response(report: Any) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import duration_text, period_text
    from tix.core.reporting.workbook import basis_text, figure_label, measure_text

    rows = [figure.model_dump(mode="json") for figure in report.figures]
    fields = ("channel", "measure", "basis", "tickets", "median_seconds", "p90_seconds")

    def channel(figure: Any) -> str:
        return figure.channel if figure.channel is not None else _("All channels")

    def human() -> None:
        table(
            [_("Channel"), _("Measure"), _("Basis"), _("Tickets"), _("Median"), _("90%")],
            [
                (
                    channel(figure),
                    measure_text(figure.measure),
                    basis_text(figure.basis),
                    figure.tickets,
                    duration_text(figure.median_seconds),
                    duration_text(figure.p90_seconds),
                )
                for figure in report.figures
            ],
            title=_("Response times of the tickets opened {period}").format(
                period=period_text(report.scope)
            ),
            empty=_("No ticket opened in the period was answered or solved yet."),
        )
        if _charts() and report.figures:
            _bars(
                _("Median (minutes)"),
                [
                    (
                        f"{channel(f)} · {figure_label(f)}",
                        round((f.median_seconds or 0) / 60),
                    )
                    for f in report.figures
                    if f.channel is not None
                ],
            )

    return rows, fields, fields, human


def _show_sla(report: Any) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import period_text
    from tix.core.reporting.workbook import measure_text

    rows = [row.model_dump(mode="json") for row in report.rows]
    fields = ("channel", "priority", "target", "met", "breached", "running")

    def human() -> None:
        table(
            [_("Channel"), _("Priority"), _("Target"), _("Met"), _("Breached"), _("Running")],
            [
                (
                    row.channel or "",
                    row.priority,
                    measure_text(row.target),
                    row.met,
                    row.breached,
                    row.running,
                )
                for row in report.rows
            ],
            title=_("SLA targets of the tickets opened {period}").format(
                period=period_text(report.scope)
            ),
            empty=_("No ticket opened in the period has an SLA."),
        )
        if report.compliance is not None:
            say(
                _("Compliance: {percent} of the decided targets met ({met} of {decided}).").format(
                    percent=f"{report.compliance:.0%}",
                    met=report.met,
                    decided=report.met + report.breached,
                )
            )
            if _charts():
                _bars(
                    _("SLA targets"),
                    [
                        (_("Met"), report.met),
                        (_("Breached"), report.breached),
                        (_("Running"), report.running),
                    ],
                )

    return rows, fields, fields, human


def _show_agents(report: Any) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import period_text

    rows = [row.model_dump(mode="json") for row in report.agents]
    fields = ("login", "name", "open_tickets", "touched", "minutes")

    def human() -> None:
        from tix.core.business_time import format_minutes

        table(
            [_("Agent"), _("Name"), _("Open tickets"), _("Touched"), _("Booked")],
            [
                (row.login, row.name, row.open_tickets, row.touched, format_minutes(row.minutes))
                for row in report.agents
            ],
            title=_("Agents {period}").format(period=period_text(report.scope)),
            empty=_("No agent owns, touched or booked time on a ticket in the period."),
        )
        if _charts() and report.agents:
            _bars(_("Tickets touched"), [(row.name, row.touched) for row in report.agents])

    return rows, fields, fields, human


def _show_categories(
    report: Any,
) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import period_text

    groups = (
        ("category", _("Categories"), report.categories),
        ("customer", _("Customers"), report.customers),
        ("organisation", _("Organisations"), report.organisations),
    )
    rows = [
        {"group": key, "name": row.name, "tickets": row.tickets}
        for key, _title, found in groups
        for row in found
    ]
    fields = ("group", "name", "tickets")

    def human() -> None:
        say(_("New tickets {period}").format(period=period_text(report.scope)))
        for _key, title, found in groups:
            if not found:
                continue
            if _charts():
                _bars(title, [(row.name, row.tickets) for row in found])
            else:
                table([title, _("Tickets")], [(row.name, row.tickets) for row in found])
        if not rows:
            say(_("No ticket was opened in the period."))

    return rows, fields, fields, human


def _show_mail(report: Any) -> tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]:
    from tix.core.reporting.summary import period_text

    rows = [bucket.model_dump(mode="json") for bucket in report.buckets]
    fields = ("start", "end", "incoming", "outgoing")

    def human() -> None:
        table(
            [_("Period"), _("Mails in"), _("Mails out")],
            [(_bucket_label(b.start, b.end), b.incoming, b.outgoing) for b in report.buckets],
            title=_("Mail {period}").format(period=period_text(report.scope)),
        )
        if _charts():
            _sparklines(
                [
                    (_("Mails in"), [b.incoming for b in report.buckets]),
                    (_("Mails out"), [b.outgoing for b in report.buckets]),
                ]
            )

    return rows, fields, fields, human


_SHOWN: dict[str, Callable[[Any], tuple[list[dict[str, Any]], Sequence[str], Sequence[str], Any]]]
_SHOWN = {
    "overview": _show_overview,
    "volume": _show_volume,
    "response": _show_response,
    "sla": _show_sla,
    "agents": _show_agents,
    "categories": _show_categories,
    "mail": _show_mail,
}


# --- terminal charts ------------------------------------------------------------------

_SPARKS = "▁▂▃▄▅▆▇█"
_EIGHTHS = " ▏▎▍▌▋▊▉"


def sparkline(values: Sequence[int]) -> str:
    """One character per value, from ▁ (the least) to █ (the most)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return _SPARKS[0 if high == 0 else 3] * len(values)
    steps = len(_SPARKS) - 1
    return "".join(_SPARKS[round((value - low) / (high - low) * steps)] for value in values)


def bar(value: int, most: int, width: int) -> str:
    """A horizontal bar of ``value`` against ``most`` in ``width`` cells (in eighths)."""
    if most <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / most * width * 8))
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def _sparklines(series: Sequence[tuple[str, Sequence[int]]]) -> None:
    from rich.text import Text

    out = console()
    width = max(len(label) for label, _values in series)
    for label, values in series:
        line = Text(f"{label:<{width}}  ", style="bold")
        line.append(sparkline(values), style="cyan")
        if values:
            line.append(f"  {min(values)}–{max(values)}", style="dim")
        out.print(line)


def _bars(title: str, items: Sequence[tuple[str, int]]) -> None:
    from rich.table import Table

    out = console()
    most = max((value for _label, value in items), default=0)
    label_width = min(24, max((len(label) for label, _value in items), default=0))
    width = max(10, min(50, out.width - label_width - 12))
    grid = Table(title=title, show_header=False, show_edge=False, box=None, pad_edge=False)
    grid.add_column(no_wrap=True, overflow="ellipsis", max_width=label_width)
    grid.add_column(justify="right")
    grid.add_column(style="cyan", no_wrap=True)
    for label, value in items:
        grid.add_row(label, str(value), bar(value, most, width))
    out.print(grid)
