"""A ticket that arrives while its screen is still being put together is drawn as the
screen mounts, not into tabs that are not there yet (a slow database hits this)."""

from __future__ import annotations

import importlib.util

import pytest

from tests.tui.test_ticket_view import screen_text, settle
from tix.tui.app import TixApp
from tix.tui.backend import Backend
from tix.tui.screens.ticket_view import TicketViewScreen


@pytest.fixture(autouse=True)
def _without_ticket_list(monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("tix.tui.screens.ticket_list") is None:
        monkeypatch.setattr(TixApp, "on_mount", lambda self: None)


async def test_a_ticket_handed_over_before_the_screen_is_up_is_drawn_once_it_is(
    app: TixApp, backend: Backend, ticket: int
) -> None:
    loaded = (backend.ticket(ticket), backend.choices())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = TicketViewScreen(ticket, pending=True)
        mounted = pilot.app.push_screen(screen)
        assert screen.is_attached and not screen.is_mounted
        screen.take(loaded)  # what open_ticket_view's worker does when the ticket comes
        await mounted
        await settle(pilot)
        assert screen.detail is not None and screen.detail.number == ticket
        assert f"#{ticket} Pump" in screen_text(pilot.app)
