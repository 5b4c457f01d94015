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
