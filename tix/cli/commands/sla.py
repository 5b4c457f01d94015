"""``tix sla`` and ``tix calendar``: SLA targets in business hours, and the business
calendars they count in."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import FieldsOption, FormatOption, JsonOption, emit, emit_rows, say, table
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)
calendar_app = typer.Typer(no_args_is_help=True)

NameArgument = Annotated[str, typer.Argument(help=_("The calendar's name."), metavar="NAME")]
PolicyArgument = Annotated[str, typer.Argument(help=_("The policy's name."), metavar="NAME")]
HoursOption = Annotated[
    list[str] | None,
    typer.Option(
        "--hours",
        help=_(
            "Weekly open hours, like 'mon-fri 08:00-17:00' or 'mon-thu 8-12,13-17' "
            "(repeatable; several ranges per day)."
        ),
        metavar="DAYS HH:MM-HH:MM",
    ),
]
HolidaysOption = Annotated[
    str | None,
    typer.Option(
        "--holidays",
        help=_(
            "Public holidays of a country and optionally a state: DE, DE-BY, AT; none: no holidays."
        ),
        metavar="REGION",
    ),
]
ClosedDayOption = Annotated[
    list[str] | None,
    typer.Option(
        "--closed-day",
        help=_("An extra closed day, e.g. 2026-12-24 (repeatable)."),
        metavar="DATE",
    ),
]


def _days(values: list[str] | None) -> list[date]:
    from tix.core.timeparse import parse_day

    return [parse_day(value, today=context.today()) for value in values or []]


def _check_calendar_values(
    timezone: str | None, hours: list[str] | None, holidays: str | None
) -> None:
    """Values that cannot be read are usage errors, told before any name is looked up."""
    from tix.core.business_time import parse_hours, parse_region, parse_zone

    if timezone is not None:
        parse_zone(timezone)
    if hours:
        parse_hours(hours)
    if holidays is not None and holidays.strip().casefold() not in ("", "none", "keine"):
        parse_region(holidays)


def _calendar_json(calendar: Any, year: int | None = None) -> dict[str, Any]:
    from tix.core.sla_views import calendar_view

    return calendar_view(calendar, year=year).model_dump(mode="json")


def _said_calendar(message: str, data: dict[str, Any]) -> None:
    say(message.format(name=data["name"], hours=data["hours_text"]))


@calendar_app.command(
    "add",
    help=_(
        "Add a business calendar (admins only): weekly hours in a time zone, less public "
        "holidays and extra closed days. SLA clocks run only in its open hours. Without "
        "--hours: Monday to Friday 08:00-17:00.\n\n\b\nExample:\n"
        "  tix calendar add Office --timezone Europe/Berlin --hours 'mon-fri 08:00-17:00' "
        "--holidays DE-BY --closed-day 2026-12-24"
    ),
)
def calendar_add(
    name: NameArgument,
    timezone: Annotated[
        str,
        typer.Option(
            "--timezone", help=_("The zone of the hours, e.g. Europe/Berlin."), metavar="ZONE"
        ),
    ],
    hours: HoursOption = None,
    holidays: HolidaysOption = None,
    closed_days: ClosedDayOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import sla

    _check_calendar_values(timezone, hours, holidays)
    days = _days(closed_days)
    with context.session(write=True) as session:
        calendar = sla.add_calendar(
            session,
            context.acting(session),
            name=name,
            timezone=timezone,
            hours=hours or (),
            holidays=holidays,
            closed_days=days,
        )
        data = _calendar_json(calendar)
    emit(data, lambda: _said_calendar(_("Added calendar {name}: {hours}."), data))


@calendar_app.command(
    "list",
    help=_("List the business calendars.\n\n\b\nExample:\n  tix calendar list --json"),
)
def calendar_list(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.services import sla

    with context.session() as session:
        data = [_calendar_json(calendar) for calendar in sla.list_calendars(session)]
    emit_rows(
        data,
        lambda: table(
            [_("Calendar"), _("Time zone"), _("Hours"), _("Holidays"), _("Closed days")],
            [
                (
                    c["name"],
                    c["timezone"],
                    c["hours_text"],
                    c["holidays"] or "–",
                    len(c["closed_days"]),
                )
                for c in data
            ],
            empty=_("No calendars yet: add one with `tix calendar add NAME --timezone ZONE`."),
        ),
        fields=("name", "timezone", "hours", "hours_text", "holidays", "closed_days"),
        default=("name", "timezone", "hours_text", "holidays"),
    )


@calendar_app.command(
    "show",
    help=_(
        "Show a calendar with the public holidays and closed days of a year.\n\n\b\n"
        "Example:\n  tix calendar show Office --year 2027"
    ),
)
def calendar_show(
    name: NameArgument,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help=_("Whose days off to list (default: this year)."), min=1900, max=2200
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import sla

    with context.session() as session:
        calendar = sla.get_calendar(session, name)
        data = _calendar_json(calendar, year or context.today().year)

    def human() -> None:
        say(_("Calendar {name}").format(name=data["name"]))
        say(_("Time zone: {zone}").format(zone=data["timezone"]))
        say(_("Hours: {hours}").format(hours=data["hours_text"]))
        say(_("Public holidays: {region}").format(region=data["holidays"] or "–"))
        table(
            [_("Date"), _("Day off")],
            [(day["date"], day["name"]) for day in data["days_off"]],
            empty=_("No days off that year."),
        )

    emit(data, human)


@calendar_app.command(
    "set",
    help=_(
        "Change a calendar (admins only): --hours replace the weekly hours; the SLA "
        "deadlines of open tickets on it are recomputed.\n\n\b\nExamples:\n"
        "  tix calendar set Office --closed-day 2026-12-31\n"
        "  tix calendar set Office --open-day 2026-12-24 --holidays DE-BW"
    ),
)
def calendar_set(
    name: NameArgument,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help=_("Another time zone."), metavar="ZONE")
    ] = None,
    hours: HoursOption = None,
    holidays: HolidaysOption = None,
    closed_days: ClosedDayOption = None,
    open_days: Annotated[
        list[str] | None,
        typer.Option(
            "--open-day",
            help=_("An extra closed day that is open after all (repeatable)."),
            metavar="DATE",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import sla

    _check_calendar_values(timezone, hours, holidays)
    closing, opening = _days(closed_days), _days(open_days)
    with context.session(write=True) as session:
        calendar = sla.update_calendar(
            session,
            context.acting(session),
            calendar=sla.get_calendar(session, name),
            timezone=timezone,
            hours=hours or (),
            holidays=holidays,
            add_closed_days=closing,
            remove_closed_days=opening,
        )
        data = _calendar_json(calendar)
    emit(data, lambda: _said_calendar(_("Changed calendar {name}: {hours}."), data))


@calendar_app.command(
    "remove",
    help=_(
        "Remove a calendar no SLA policy uses (admins only).\n\n\b\nExample:\n"
        "  tix calendar remove Office"
    ),
)
def calendar_remove(name: NameArgument, json_output: JsonOption = False) -> None:
    from tix.core.services import sla

    with context.session(write=True) as session:
        calendar = sla.get_calendar(session, name)
        sla.remove_calendar(session, context.acting(session), calendar=calendar)
    emit(
        {"name": name, "removed": True},
        lambda: say(_("Removed calendar {name}.").format(name=name)),
    )


# --- policies -------------------------------------------------------------------------

_TARGET_HELP = _("Business time like 30m, 4h, 1h30m or 2d (a day is 8 business hours).")


def _target(value: str | None) -> int | None:
    from tix.core.business_time import parse_target

    if value is None or value.strip().casefold() in ("none", "keine", "-"):
        return None
    return parse_target(value)


def _policy_json(session: Any, name: str) -> dict[str, Any]:
    from tix.core.sla_views import policy_views

    return next(p for p in policy_views(session) if p.name == name).model_dump(mode="json")


def _said_policy(message: str, data: dict[str, Any]) -> None:
    say(
        message.format(
            name=data["name"],
            channel=data["channel"] or _("every channel"),
            priorities=data["priorities"],
        )
    )


ChannelOption = Annotated[
    str | None,
    typer.Option(
        "--channel", help=_("The channel it covers (default: every channel)."), metavar="CHANNEL"
    ),
]
PrioritiesOption = Annotated[
    str | None,
    typer.Option(
        "--priority",
        help=_("The priorities it covers: all (default), 7 or a range like 7-9."),
        metavar="P|P-P|all",
    ),
]
WarnBeforeOption = Annotated[
    str | None,
    typer.Option(
        "--warn-before",
        help=_("Warn the owner this much business time before a breach (default 1h)."),
        metavar="TIME",
    ),
]
WarnWatchersOption = Annotated[
    bool | None,
    typer.Option(
        "--warn-watchers/--no-warn-watchers",
        help=_("Warn the ticket's watchers too, not only its owner."),
    ),
]


@app.command(
    "add",
    help=_(
        "Add an SLA policy (admins only): first-response and solution targets in business "
        "time for a channel (or every channel) and a range of priorities, counted in a "
        "calendar's hours. The most specific policy applies: a channel's before every "
        "channel's, a narrower priority range before a wider one. The clocks pause while "
        "a ticket waits on the customer.\n\n\b\nExamples:\n"
        "  tix sla add Standard --calendar Office --first-response 4h --solution 2d\n"
        "  tix sla add Urgent --calendar Office --channel Support --priority 8-9 "
        "--first-response 30m --solution 4h --warn-before 15m"
    ),
)
def add(
    name: PolicyArgument,
    calendar: Annotated[
        str, typer.Option("--calendar", help=_("The business calendar."), metavar="CALENDAR")
    ],
    channel: ChannelOption = None,
    priorities: PrioritiesOption = None,
    first_response: Annotated[
        str | None,
        typer.Option("--first-response", help=_TARGET_HELP, metavar="TIME"),
    ] = None,
    solution: Annotated[
        str | None, typer.Option("--solution", help=_TARGET_HELP, metavar="TIME")
    ] = None,
    warn_before: WarnBeforeOption = None,
    warn_watchers: WarnWatchersOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import channels, sla

    # values first (a usage error), then the names they refer to
    covered = sla.parse_priorities(priorities or "all")
    first_minutes, solution_minutes = _target(first_response), _target(solution)
    lead = 60 if warn_before is None else (_target(warn_before) or 0)
    with context.session(write=True) as session:
        policy = sla.add_policy(
            session,
            context.acting(session),
            name=name,
            calendar=sla.get_calendar(session, calendar),
            channel=channels.get_channel(session, channel) if channel else None,
            priorities=covered,
            first_response_minutes=first_minutes,
            solution_minutes=solution_minutes,
            warn_before_minutes=lead,
            warn_watchers=bool(warn_watchers),
        )
        data = _policy_json(session, policy.name)
    emit(
        data,
        lambda: _said_policy(
            _("Added SLA policy {name} for {channel}, priorities {priorities}."), data
        ),
    )


@app.command(
    "list",
    help=_("List the SLA policies, most specific first.\n\n\b\nExample:\n  tix sla list --json"),
)
def list_(
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.sla_views import policy_views

    with context.session() as session:
        data = [view.model_dump(mode="json") for view in policy_views(session)]
    emit_rows(
        data,
        lambda: table(
            [
                _("Policy"),
                _("Channel"),
                _("Priorities"),
                _("First response"),
                _("Solution"),
                _("Calendar"),
                _("Warn before"),
            ],
            [
                (
                    p["name"],
                    p["channel"] or _("every channel"),
                    p["priorities"],
                    p["first_response"] or "–",
                    p["solution"] or "–",
                    p["calendar"],
                    p["warn_before"] + (" +" + _("watchers") if p["warn_watchers"] else ""),
                )
                for p in data
            ],
            empty=_("No SLA policies yet: add one with `tix sla add NAME --calendar CALENDAR`."),
        ),
        fields=(
            "name",
            "channel",
            "priorities",
            "priority_min",
            "priority_max",
            "first_response_minutes",
            "first_response",
            "solution_minutes",
            "solution",
            "calendar",
            "warn_before_minutes",
            "warn_before",
            "warn_watchers",
        ),
        default=("name", "channel", "priorities", "first_response", "solution", "calendar"),
    )


@app.command(
    "set",
    help=_(
        "Change an SLA policy (admins only); 'none' removes a target or the channel. The "
        "open tickets it covers are recomputed.\n\n\b\nExamples:\n"
        "  tix sla set Standard --solution 3d\n"
        "  tix sla set Urgent --priority 9 --warn-before 30m --warn-watchers"
    ),
)
def set_(
    name: PolicyArgument,
    calendar: Annotated[
        str | None, typer.Option("--calendar", help=_("Another calendar."), metavar="CALENDAR")
    ] = None,
    channel: ChannelOption = None,
    priorities: PrioritiesOption = None,
    first_response: Annotated[
        str | None,
        typer.Option("--first-response", help=_TARGET_HELP, metavar="TIME|none"),
    ] = None,
    solution: Annotated[
        str | None, typer.Option("--solution", help=_TARGET_HELP, metavar="TIME|none")
    ] = None,
    warn_before: WarnBeforeOption = None,
    warn_watchers: WarnWatchersOption = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import channels, sla

    changes: dict[str, Any] = {}
    # values first (a usage error), then the names they refer to
    if priorities is not None:
        changes["priorities"] = sla.parse_priorities(priorities)
    if first_response is not None:
        changes["first_response_minutes"] = _target(first_response)
    if solution is not None:
        changes["solution_minutes"] = _target(solution)
    if warn_before is not None:
        changes["warn_before_minutes"] = _target(warn_before) or 0
    if warn_watchers is not None:
        changes["warn_watchers"] = warn_watchers
    with context.session(write=True) as session:
        if calendar is not None:
            changes["calendar"] = sla.get_calendar(session, calendar)
        if channel is not None:
            none = channel.strip().casefold() in ("", "none", "keiner")
            changes["channel"] = None if none else channels.get_channel(session, channel)
        policy = sla.update_policy(
            session, context.acting(session), policy=sla.get_policy(session, name), **changes
        )
        data = _policy_json(session, policy.name)
    emit(
        data,
        lambda: _said_policy(
            _("Changed SLA policy {name} for {channel}, priorities {priorities}."), data
        ),
    )


@app.command(
    "remove",
    help=_(
        "Remove an SLA policy (admins only); its open tickets fall to another policy or "
        "have none.\n\n\b\nExample:\n  tix sla remove Urgent"
    ),
)
def remove(name: PolicyArgument, json_output: JsonOption = False) -> None:
    from tix.core.services import sla

    with context.session(write=True) as session:
        policy = sla.get_policy(session, name)
        sla.remove_policy(session, context.acting(session), policy=policy)
    emit(
        {"name": name, "removed": True},
        lambda: say(_("Removed SLA policy {name}.").format(name=name)),
    )
