"""The ticket view's Times tab (Zeiten): the booked times, filtered by user, billable and
period, with their total; booking time and exporting them to Excel start here."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Select, Static

from tix.core import clock
from tix.core.i18n import _
from tix.core.read_models import TicketDetail
from tix.core.timeparse import parse_day, parse_duration
from tix.tui.dialogs import FormDialog, FormField
from tix.tui.widgets.activity import format_day, format_minutes
from tix.tui.widgets.tickbox import TickBox
from tix.tui.widgets.ticket_pane import TicketPane, refill, set_options


def check_workbook_path(text: str) -> None:
    """An Excel file's name ends in .xlsx (as the backend checks before it writes)."""
    from tix.core.errors import Invalid

    target = Path(text.strip()).expanduser()
    if target.suffix.lower() != ".xlsx":
        raise Invalid(_("{file} must end in {suffix}").format(file=target, suffix=".xlsx"))


PERIODS = ("today", "this-week", "last-week", "this-month", "last-month", "this-year", "last-year")
"""The Times tab's date filter, besides all dates."""


def period_label(period: str) -> str:
    return {
        "today": _("Today"),
        "this-week": _("This week"),
        "last-week": _("Last week"),
        "this-month": _("This month"),
        "last-month": _("Last month"),
        "this-year": _("This year"),
        "last-year": _("Last year"),
    }[period]


def period_days(period: str, today: date) -> tuple[date, date]:
    """The first and last day of ``period`` (one of :data:`PERIODS`) seen from ``today``;
    weeks start on Monday."""
    if period == "today":
        return today, today
    if period in ("this-week", "last-week"):
        start = today - timedelta(days=today.weekday())
        if period == "last-week":
            start -= timedelta(days=7)
        return start, start + timedelta(days=6)
    if period in ("this-month", "last-month"):
        start = today.replace(day=1)
        if period == "last-month":
            start = (start - timedelta(days=1)).replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    year = today.year - (period == "last-year")
    return date(year, 1, 1), date(year, 12, 31)


class TicketTimes(TicketPane):
    """The Times tab."""

    def __init__(self, *, number: int) -> None:
        super().__init__(_("Times"), number=number, id="times")
        self._options: dict[str, list[tuple[str, str]]] = {}
        """The user filter's options (the users who booked), by widget id."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="times-filter"):
            yield TickBox(_("Billable only"), id="times-billable", compact=True)
            yield Select[str]([], prompt=_("All users"), id="times-user", compact=True)
            yield Select[str](
                [(period_label(period), period) for period in PERIODS],
                prompt=_("All dates"),
                id="times-period",
                compact=True,
            )
        yield DataTable(id="times-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="times-total")

    def on_mount(self) -> None:
        self.query_one("#times-table", DataTable).add_columns(
            _("Date"), _("User"), _("Hours"), _("Billable"), _("Billed"), _("Note")
        )

    def show(self, detail: TicketDetail) -> None:
        super().show(detail)
        self._draw()

    def _draw(self) -> None:
        if self.detail is None:
            return
        times = self.detail.times
        users = sorted({entry.user for entry in times})
        select: Select[str] = self.query_one("#times-user", Select)
        chosen = None if select.value is Select.NULL else str(select.value)
        if self._options.get("times-user") != [(login, login) for login in users]:
            set_options(select, [(login, login) for login in users], self._options)
            if chosen not in users:
                chosen = None
        billable_only = self.query_one("#times-billable", TickBox).value
        period: Select[str] = self.query_one("#times-period", Select)
        first, last = "", "9999-12-31"
        if period.value is not Select.NULL:
            days = period_days(str(period.value), date.fromisoformat(self._today()))
            first, last = days[0].isoformat(), days[1].isoformat()
        shown = [
            entry
            for entry in times
            if (not billable_only or entry.billable)
            and (chosen is None or entry.user == chosen)
            and first <= entry.date <= last
        ]
        table = self.query_one("#times-table", DataTable)
        refill(
            table,
            (
                (
                    str(entry.id),
                    format_day(entry.date),
                    entry.user,
                    Text(format_minutes(entry.minutes), justify="right"),
                    "✓" if entry.billable else "",
                    entry.billed or "",
                    entry.note or "",
                )
                for entry in shown
            ),
        )
        total = sum(entry.minutes for entry in shown)
        billable = sum(entry.minutes for entry in shown if entry.billable)
        line = _("Total: {hours} h in {count} entries").format(
            hours=format_minutes(total), count=len(shown)
        )
        if billable != total:
            line += "  ·  " + _("billable {hours} h").format(hours=format_minutes(billable))
        self.query_one("#times-total", Static).update(line)

    @on(TickBox.Changed, "#times-billable")
    @on(Select.Changed, "#times-user")
    @on(Select.Changed, "#times-period")
    def _filtered(self) -> None:
        self._draw()

    def toggle_billable_only(self) -> None:
        box = self.query_one("#times-billable", TickBox)
        box.value = not box.value

    def _today(self) -> str:
        return clock.now().astimezone(self.backend.zone).date().isoformat()

    def _check_day(self, text: str) -> object:
        return parse_day(text, today=date.fromisoformat(self._today()))

    def book(self) -> None:
        """Ask for a duration, day and note and book them on the ticket."""
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Book time on #{number}").format(number=number),
            [
                FormField(
                    "duration",
                    _("Duration"),
                    placeholder=_("e.g. 1h30m, 90m, 1.5h"),
                    required=True,
                    check=parse_duration,
                ),
                FormField("day", _("Day"), value=self._today(), check=self._check_day),
                FormField("note", _("Note")),
                FormField("billable", _("Billable"), value=True, kind="check"),
            ],
            submit_label=_("Book"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if values:
                self.run_job(
                    lambda: backend.book_time(
                        number,
                        values["duration"],
                        day=values["day"],
                        note=values["note"],
                        billable=values["billable"],
                    ),
                    self.written,
                )

        self.app.push_screen(dialog, filled)

    def export(self) -> None:
        """Ask for a file name and write the ticket's times there as an Excel sheet."""
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Export the times of #{number}").format(number=number),
            [
                FormField(
                    "path",
                    _("Excel file"),
                    value=f"~/tix-{number}-times.xlsx",
                    required=True,
                    check=check_workbook_path,
                )
            ],
            submit_label=_("Export"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return
            path = values["path"]

            def done(rows: int) -> None:
                self.notify(
                    _("Wrote {count} entries to {file}.").format(
                        count=rows, file=Path(path).expanduser()
                    )
                )

            self.run_job(lambda: backend.export_times(path, number=number), done)

        self.app.push_screen(dialog, filled)
