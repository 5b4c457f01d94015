"""The Times tab on its own: the filters narrow the rows and the total follows them."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Select, Static, TabbedContent

from tests.tui.models import booked, ticket_detail
from tix.tui.widgets.ticket_times import TicketTimes

TIMES = [
    booked(id=1, date="2026-11-25", user="bob", minutes=90, billable=True),
    booked(id=2, date="2026-11-26", user="carl", minutes=30, billable=False),
    booked(id=3, date="2026-11-27", user="carl", minutes=45, billable=True),
]


class _TimesApp(App[None]):
    def __init__(self) -> None:
        from datetime import UTC
        from types import SimpleNamespace

        super().__init__()
        self.backend = SimpleNamespace(zone=UTC)  # the tab asks only for the user's zone

    def compose(self) -> ComposeResult:
        with TabbedContent():
            yield TicketTimes(number=1001)


def _shown(app: App[Any]) -> tuple[list[str], str]:
    table = app.query_one("#times-table", DataTable)
    keys = [str(row.key.value) for row in table.ordered_rows]
    return keys, str(app.query_one("#times-total", Static).render())


async def test_the_filters_narrow_the_rows_and_the_total() -> None:
    app = _TimesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        times = app.query_one(TicketTimes)
        times.show(ticket_detail(times=TIMES))
        await pilot.pause()
        assert _shown(app) == (["1", "2", "3"], "Total: 2:45 h in 3 entries  ·  billable 2:15 h")
        times.toggle_billable_only()
        await pilot.pause()
        assert _shown(app) == (["1", "3"], "Total: 2:15 h in 2 entries")
        app.query_one("#times-user", Select).value = "carl"
        await pilot.pause()
        assert _shown(app) == (["3"], "Total: 0:45 h in 1 entries")
        times.show(ticket_detail(times=TIMES[:1]))  # carl's times are gone
        await pilot.pause()
        assert app.query_one("#times-user", Select).value is Select.NULL
        assert _shown(app) == (["1"], "Total: 1:30 h in 1 entries")


def test_periods_start_on_monday_and_span_whole_months() -> None:
    from datetime import date

    from tix.tui.widgets.ticket_times import period_days

    friday = date(2026, 11, 27)
    assert period_days("today", friday) == (friday, friday)
    assert period_days("this-week", friday) == (date(2026, 11, 23), date(2026, 11, 29))
    assert period_days("last-week", friday) == (date(2026, 11, 16), date(2026, 11, 22))
    assert period_days("this-month", friday) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period_days("last-month", date(2026, 3, 31)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period_days("last-month", date(2026, 1, 5)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert period_days("this-year", friday) == (date(2026, 1, 1), date(2026, 12, 31))
    assert period_days("last-year", friday) == (date(2025, 1, 1), date(2025, 12, 31))


async def test_the_period_filter_narrows_to_its_days(fixed_clock: Any) -> None:
    """The clock stands on Friday 2026-11-27: this week is 23 to 29 November."""
    early = booked(id=4, date="2026-10-30", user="bob", minutes=60, billable=True)
    app = _TimesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        times = app.query_one(TicketTimes)
        times.show(ticket_detail(times=[*TIMES, early]))
        await pilot.pause()
        assert _shown(app)[0] == ["1", "2", "3", "4"]
        period = app.query_one("#times-period", Select)
        period.value = "this-week"
        await pilot.pause()
        assert _shown(app) == (["1", "2", "3"], "Total: 2:45 h in 3 entries  ·  billable 2:15 h")
        period.value = "last-month"
        await pilot.pause()
        assert _shown(app) == (["4"], "Total: 1:00 h in 1 entries")
        period.clear()
        await pilot.pause()
        assert _shown(app)[0] == ["1", "2", "3", "4"]


async def test_billable_only_looks_different_on_and_off() -> None:
    app = _TimesApp()
    async with app.run_test(size=(100, 30)) as pilot:
        times = app.query_one(TicketTimes)
        times.show(ticket_detail(times=TIMES))
        await pilot.pause()
        box = app.query_one("#times-billable")
        off = box.render().plain  # type: ignore[attr-defined]
        times.toggle_billable_only()
        await pilot.pause()
        on = box.render().plain  # type: ignore[attr-defined]
        assert "✓" in on and "✓" not in off  # told apart by shape, not only by color
        assert on.replace("✓", " ") == off
