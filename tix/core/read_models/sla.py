"""Read models of SLAs: business calendars, policies, a ticket's clocks and the SLA cell
of the ticket list."""

from __future__ import annotations

from pydantic import Field

from tix.core.read_models.base import ReadModel


class ClosedDayView(ReadModel):
    date: str
    name: str = Field(description="The public holiday's name, or 'closed' for an extra day.")


class CalendarView(ReadModel):
    """A business calendar."""

    name: str
    timezone: str
    hours: dict[str, list[str]] = Field(description="Weekday (mon ... sun) -> open ranges.")
    hours_text: str = Field(description="The hours in one line: 'mon-fri 08:00-17:00'.")
    holidays: str | None = Field(description="Whose public holidays: 'DE-BY', or null.")
    closed_days: list[str] = Field(description="Extra closed days (ISO dates).")
    days_off: list[ClosedDayView] = Field(
        default_factory=list, description="Holidays and closed days of the year asked for."
    )


class SlaPolicyView(ReadModel):
    """An SLA policy: targets in business time for a channel and priorities."""

    name: str
    channel: str | None = Field(description="Null: every channel.")
    priorities: str = Field(description="'all', '7' or '7-9'.")
    priority_min: int
    priority_max: int
    first_response_minutes: int | None
    first_response: str | None
    solution_minutes: int | None
    solution: str | None
    calendar: str
    warn_before_minutes: int
    warn_before: str
    warn_watchers: bool


class SlaClockView(ReadModel):
    """One target's clock on a ticket."""

    target: str = Field(description="first_response or solution.")
    target_minutes: int
    due_at: str | None = Field(description="Null while paused (the ticket waits).")
    met_at: str | None
    state: str = Field(
        description="running, paused (the ticket waits), stopped (solved or closed before "
        "it was met), met or breached."
    )
    left_minutes: int | None = Field(
        description="Business minutes left (negative: overdue); null once met."
    )


class TicketSlaView(ReadModel):
    """A ticket's SLA: the policy that applies and its clocks."""

    policy: str
    calendar: str
    clocks: list[SlaClockView]


class SlaListCell(ReadModel):
    """The ticket list's SLA cell: the next deadline still to meet."""

    due_at: str | None = Field(description="Null while paused.")
    target: str | None = Field(description="first_response or solution.")
    left_minutes: int | None = Field(description="Business minutes left; negative: overdue.")
    breached: bool
    paused: bool
