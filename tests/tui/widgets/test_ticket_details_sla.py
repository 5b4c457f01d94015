"""The Details tab tells a ticket's SLA: its policy and each clock."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Static, TabbedContent

from tests.tui.models import ticket_detail
from tix.core.read_models.sla import SlaClockView, TicketSlaView
from tix.tui.backend import Choices
from tix.tui.widgets.ticket_details import TicketDetails

SLA = TicketSlaView(
    policy="Standard",
    calendar="Office",
    clocks=[
        SlaClockView(
            target="first_response",
            target_minutes=240,
            due_at="2026-11-27T12:00:00+01:00",
            met_at="2026-11-27T09:15:00+01:00",
            state="met",
            left_minutes=None,
        ),
        SlaClockView(
            target="solution",
            target_minutes=960,
            due_at="2026-11-26T17:00:00+01:00",
            met_at=None,
            state="breached",
            left_minutes=-150,
        ),
    ],
)


class _DetailsApp(App[None]):
    def __init__(self, detail: object) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        with TabbedContent():
            yield TicketDetails(number=1001)


async def _info(sla: TicketSlaView | None) -> str:
    detail = ticket_detail(number=1001, subject="Pump leaks", sla=sla)
    app = _DetailsApp(detail)
    async with app.run_test(size=(120, 40)) as pilot:
        details = app.query_one(TicketDetails)
        details.set_choices(Choices(users=[], channels=[], projects=[], groups=[]))
        await details.ensure_form(120)
        details.show(detail, first_load=True)
        await pilot.pause()
        info = app.query_one("#details-info", Static)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(info.visual._renderable)  # type: ignore[attr-defined]
        return " ".join(console.export_text().split())


async def test_the_details_tell_each_clock() -> None:
    text = await _info(SLA)
    assert "SLA policy: Standard (Office) SLA first response: met at 2026-11-27 09:15" in text
    assert "SLA solution: due 2026-11-26 17:00, overdue by 2h 30m" in text


async def test_no_sla_no_lines() -> None:
    assert "SLA" not in await _info(None)
