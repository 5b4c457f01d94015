"""An admin sees in the TUI that a mail account's OAuth2 sign-in stopped working: one
notification, however many worker rounds find the problem."""

from __future__ import annotations

from typing import Any

from tests.tui.test_ticket_list import settle, text_of
from tix.core.config import Settings
from tix.core.worker import note_sign_in
from tix.tui.app import make_app
from tix.tui.backend import Backend

PROBLEM = (
    "mail account support: the provider no longer accepts the refresh token (invalid_grant): "
    "run `tix account oauth support` again"
)


async def test_an_admin_is_told_once_when_a_sign_in_stops_working(
    backend: Backend, world: Any
) -> None:
    for _round in range(3):
        note_sign_in(world.engine, world.account, PROBLEM)
    anna = Backend(world.engine, "anna", Settings(timezone="Europe/Berlin"))
    try:
        async with make_app(backend=anna, poll_interval=0.2).run_test(size=(160, 30)) as pilot:
            await settle(pilot)
            assert text_of(pilot.app, "#bell") == "🔔 1"
            await pilot.press("n")
            await settle(pilot)
            from tix.tui.screens.notifications import NotificationsScreen

            screen = pilot.app.screen
            assert isinstance(screen, NotificationsScreen)
            assert [item["text"] for item in screen.items] == [
                f"Sign-in stopped working: {PROBLEM}"
            ]
    finally:
        anna.close()
    assert backend.notifications() == []  # bob, an agent, is not told: admins are
