"""The key bar: the keys that work now, the palette's key always in view, clicks press."""

from __future__ import annotations

from typing import Any

from textual.command import CommandPalette

from tests.tui.test_ticket_list import list_screen, open_tickets, settle
from tix.tui.app import TixApp
from tix.tui.widgets.footer import KeyBar


def _bar(app: TixApp) -> KeyBar:
    return app.screen.query_one(KeyBar)


def _shown(bar: KeyBar) -> str:
    return "".join(segment.text for segment in bar.render_line(0)).rstrip()


def _x_of(bar: KeyBar, key: str) -> int:
    return next(start for start, _end, shown in bar._spans if shown.key == key)


async def test_the_list_keys_and_the_palette_key_fit_at_80_columns(app: TixApp, world: Any) -> None:
    open_tickets(world, 1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = _shown(_bar(pilot.app))
        assert shown.startswith(" ⏎ Show  m Mine  u Unassigned  s Status")
        assert shown.endswith("▏ ^p palette")  # the last column is the key's padding
        assert len(shown) == 79


async def test_clicking_a_key_presses_it(app: TixApp, world: Any) -> None:
    open_tickets(world, 1)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        bar = _bar(pilot.app)
        assert list_screen(pilot.app).filters.mine is False
        await pilot.click(KeyBar, offset=(_x_of(bar, "m") + 2, 0))
        await settle(pilot)
        assert list_screen(pilot.app).filters.mine is True
        await pilot.click(KeyBar, offset=(_x_of(bar, "ctrl+p") + 2, 0))
        await pilot.pause()
        assert isinstance(pilot.app.screen, CommandPalette)


async def test_the_keys_follow_the_focus_without_new_widgets(app: TixApp, world: Any) -> None:
    open_tickets(world, 1)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        bar = _bar(pilot.app)
        assert "⏎ Show" in _shown(bar) and "m Mine" in _shown(bar)
        await pilot.press("slash")
        await pilot.pause()
        assert "m Mine" not in _shown(bar) and "/ Search" in _shown(bar)
        await pilot.press("enter")
        await settle(pilot)
        assert _bar(pilot.app) is bar and not bar.children
        assert "⏎ Show" in _shown(bar) and "m Mine" in _shown(bar)


async def test_the_key_under_the_mouse_is_highlighted(app: TixApp, world: Any) -> None:
    open_tickets(world, 1)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        bar = _bar(pilot.app)
        hover = bar.get_component_rich_style("key-bar--hover", partial=True).bgcolor
        assert hover is not None

        def highlighted() -> str:
            line = bar.render_line(0)
            return "".join(s.text for s in line if s.style and s.style.bgcolor == hover)

        assert highlighted() == ""
        await pilot.hover(KeyBar, offset=(_x_of(bar, "u") + 1, 0))
        await pilot.pause()
        assert highlighted() == " u Unassigned "
        await pilot.hover("#preview")
        await pilot.pause()
        assert highlighted() == ""
