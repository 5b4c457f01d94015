"""The key bar: the keys that work now, the palette's key always in view, clicks press."""

from __future__ import annotations

from typing import Any

import pytest
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
        # Search, notifications, new ticket and quit stay; the filters after Mine give
        # way, whole, to "…" (they are in the palette).
        assert shown == (
            " ⏎ Show  m Mine  / Search  n Notifications  N New ticket  q Quit  …▏ ^p palette"
        )


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


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", [80, 120])
async def test_keys_that_do_not_fit_give_way_whole_and_say_so(
    app: TixApp, world: Any, request: pytest.FixtureRequest, width: int, language: str
) -> None:
    """New ticket, notifications and quit stay; keys that give way go whole (no key
    cut in the middle), and ``…`` before the palette's key says there are more."""
    if language == "de":
        request.getfixturevalue("german")
    open_tickets(world, 1)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        bar = _bar(pilot.app)
        shown = _shown(bar)
        assert len(shown) <= width
        words = {
            "en": ("N New ticket", "n Notifications", "q Quit", "/ Search", "^p palette"),
            "de": ("N Neues Ticket", "n Benachrichtigungen", "q Beenden", "/ Suche", "^p Befehle"),
        }[language]
        for word in words:
            assert word in shown, (word, shown)
        keys, palette = bar.keys()
        assert palette is not None and bar._spans[-1][2] == palette
        assert len(bar._spans) - 1 < len(keys)  # some keys gave way ...
        assert "…▏" in shown.replace(" ", "")  # ... and the bar says so
        for _start, _end, key in bar._spans[:-1]:
            description = f"{key.shown} {key.description}".strip()
            assert description in shown  # whole, never cut


@pytest.mark.parametrize("language", ["en", "de"])
async def test_the_ticket_view_shows_its_tab_keys_reload_and_back(
    app: TixApp, world: Any, request: pytest.FixtureRequest, language: str
) -> None:
    if language == "de":
        request.getfixturevalue("german")
    number = open_tickets(world, 1)[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pilot.app.open_ticket(number)
        await settle(pilot)
        shown = _shown(_bar(pilot.app))
        tabs, reload, back = {
            "en": ("1–6 Tabs", "F5 Reload", "Esc Back"),
            "de": ("1–6 Reiter", "F5 Neu laden", "Esc Zurück"),
        }[language]
        assert shown.startswith(f"{tabs} {reload} {back} "), shown
        assert len(shown) <= 80 and "…" in shown and "^p" in shown
