"""Read models of the reports (:mod:`tix.core.reporting`): what ``tix report --json``
prints, the TUI's dashboard shows and a workbook's sheets hold.

Dates are local dates in the report's time zone; durations are seconds, each figure
saying whether they are business seconds (the ticket's SLA calendar) or wall-clock
seconds (tickets without an SLA).
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from tix.core.read_models.base import ReadModel, Text


class ReportPeriodView(ReadModel):
    """What a report covers."""

    start: date = Field(description="The first day (local date, inclusive).")
    end: date = Field(description="The last day (local date, inclusive).")
    period: str = Field(description="day, week or month: the size of the buckets.")
    timezone: str = Field(description="The zone whose days the report counts.")


class VolumeBucket(ReadModel):
    """Tickets opened, solved and reopened in one day, week or month."""

    start: date = Field(description="The bucket's first day (clipped to the report's start).")
    end: date = Field(description="The bucket's last day (clipped to the report's end).")
    opened: int
    solved: int = Field(description="Tickets that became solved or closed (from not done).")
    reopened: int = Field(description="Tickets that went from solved or closed back to work.")
    backlog: int = Field(
        description="Tickets not solved or closed at the end of the bucket's last day."
    )


class VolumeReport(ReadModel):
    scope: ReportPeriodView
    buckets: list[VolumeBucket]
    opened: int
    solved: int
    reopened: int
    backlog_start: int = Field(description="Tickets not done when the report's first day began.")
    backlog_end: int = Field(description="Tickets not done when the report's last day ended.")


class DurationFigure(ReadModel):
    """The median and 90th percentile of one duration over a set of tickets."""

    channel: Text | None = Field(description="Null: every channel together.")
    measure: str = Field(description="first_response or solution.")
    basis: str = Field(
        description="business: business time of the ticket's SLA calendar; wall: clock time "
        "(tickets without an SLA)."
    )
    tickets: int = Field(description="How many tickets the figure is made of.")
    median_seconds: float | None
    p90_seconds: float | None


class ResponseReport(ReadModel):
    """First-response time and time to solution of the tickets opened in the period."""

    scope: ReportPeriodView
    figures: list[DurationFigure] = Field(
        description="The overall figures (channel null) first, then one set per channel."
    )


class SlaRow(ReadModel):
    """SLA targets of the tickets opened in the period, by channel, priority and target."""

    channel: Text | None
    priority: int
    target: str = Field(description="first_response or solution.")
    met: int
    breached: int = Field(description="Missed, or met late.")
    running: int = Field(description="Still running or paused while the ticket waits.")


class SlaReport(ReadModel):
    scope: ReportPeriodView
    rows: list[SlaRow]
    met: int
    breached: int
    running: int
    compliance: float | None = Field(
        description="met / (met + breached), 0 to 1; null when no target was decided yet."
    )


class AgentRow(ReadModel):
    """One agent's load."""

    login: str
    name: Text
    open_tickets: int = Field(description="Tickets the agent owns that are not done, now.")
    touched: int = Field(description="Tickets the agent wrote or changed in the period.")
    minutes: int = Field(description="Time booked in the period (minutes).")


class AgentsReport(ReadModel):
    scope: ReportPeriodView
    agents: list[AgentRow]


class CountRow(ReadModel):
    name: Text
    tickets: int


class CategoriesReport(ReadModel):
    """What the tickets opened in the period were about, and whose they were."""

    scope: ReportPeriodView
    categories: list[CountRow]
    customers: list[CountRow]
    organisations: list[CountRow]


class MailBucket(ReadModel):
    start: date
    end: date
    incoming: int = Field(description="Mails imported onto tickets.")
    outgoing: int = Field(description="Mails sent from tickets (replies, acknowledgements).")


class MailReport(ReadModel):
    scope: ReportPeriodView
    buckets: list[MailBucket]
    incoming: int
    outgoing: int


class Overview(ReadModel):
    """The headline figures of every report."""

    scope: ReportPeriodView
    opened: int
    solved: int
    reopened: int
    backlog_start: int
    backlog_end: int
    response: list[DurationFigure] = Field(description="The overall figures of the period.")
    sla_met: int
    sla_breached: int
    sla_running: int
    sla_compliance: float | None
    mail_in: int
    mail_out: int
    busiest: list[AgentRow] = Field(description="The agents who touched the most tickets.")
    top_categories: list[CountRow]
