"""The key bar at the foot of every screen: the keys that work now, one click each.

It shows what Textual's ``Footer`` shows (the bindings of the focused widget, its
screen and the app that have ``show=True``, disabled ones dimmed, the command
palette's key on the right) but as one widget drawing one line. ``Footer`` mounts a
widget per key, and mounts them all again whenever the bindings change, which is
every move of the focus: leaving the search box for the list rebuilt some thirty
widgets and took longer than the search itself. Here a change repaints one line.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget

from tix.core.i18n import _


class _Key(NamedTuple):
    key: str
    shown: str
    description: str
    enabled: bool


FIRST = ("tab", "reload", "back", "leave", "quit", "new_ticket", "notifications", "search")
"""Actions whose keys stay when the bar is too narrow for all (in this order); the
others give way from the last one on, and a marker says there are more (in the
command palette). ``tab`` is the ticket view's 1–6."""

MORE = "…"


def _rank(action: str) -> int:
    name = action.split("(")[0].removeprefix("app.")
    return FIRST.index(name) if name in FIRST else len(FIRST)


class KeyBar(Widget):
    """The keys of the active bindings; clicking one presses it.

    When they do not all fit, the keys of :data:`FIRST` stay, the others give way from
    the end, and ``…`` before the palette's key says where the rest are."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--disabled",
        "key-bar--hover",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        text-wrap: nowrap;
        .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .key-bar--disabled {
            text-style: dim;
        }
        .key-bar--hover {
            background: $block-hover-background;
        }
        &:hover {
            pointer: pointer;
        }
    }
    """

    compact = reactive(False)
    """Keys without padding, one space between them (for screens with many keys)."""

    def __init__(
        self,
        *,
        compact: bool = False,
        show_command_palette: bool = True,
        hidden: tuple[str, ...] = (),
        id: str | None = None,
    ) -> None:
        """``hidden``: keys of bindings that are not shown elsewhere (``show=False``)
        but belong in this bar, such as ``f5`` and ``escape``; ``1-6`` stands for the
        bindings of the keys 1 to 6, shown as one."""
        super().__init__(id=id)
        self.set_reactive(KeyBar.compact, compact)
        self.show_command_palette = show_command_palette
        self.hidden = hidden
        self._spans: list[tuple[int, int, _Key]] = []
        self._hover: str | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[Any]) -> None:
        self.refresh()

    def keys(self) -> tuple[list[_Key], _Key | None]:
        """The keys to show, in order, and the command palette's key (or None)."""
        return [key for key, _rank in self._ranked()], self._palette()

    def _ranked(self) -> list[tuple[_Key, int]]:
        active = self.screen.active_bindings
        found: list[tuple[_Key, int]] = []
        actions: set[str] = set()
        digits = [str(n) for n in range(1, 7)]
        if "1-6" in self.hidden and all(d in active for d in digits):
            first = active["1"]
            found.append((_Key("1", "1–6", _("Tabs"), first.enabled), _rank("tab")))
            actions.update(active[d].binding.action for d in digits)
        for key in self.hidden:
            hidden = active.get(key)
            if hidden is not None and hidden.binding.action not in actions:
                actions.add(hidden.binding.action)
                found.append(
                    (self._key(hidden.binding, hidden.enabled), _rank(hidden.binding.action))
                )
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue  # one key per action, as the footer does
            actions.add(binding.action)
            found.append((self._key(binding, enabled), _rank(binding.action)))
        return found

    def _palette(self) -> _Key | None:
        if not (self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE):
            return None
        found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
        if found is None:
            return None
        return _Key(
            found.binding.key, self.app.get_key_display(found.binding), _("palette"), found.enabled
        )

    def _key(self, binding: Binding, enabled: bool) -> _Key:
        shown = binding.key_display or self.app.get_key_display(binding)
        if binding.key_display is None and binding.key in ("escape", "f5"):
            shown = {"escape": _("Esc"), "f5": "F5"}[binding.key]
        # Descriptions are English msgids when the screen was imported before the
        # language was chosen (tests, a language switch): translated here, they follow
        # the active language either way (a translated text has no msgid: it stays).
        description = _(binding.description) if binding.description else ""
        return _Key(binding.key, shown, description, enabled)

    def _width(self, key: _Key, *, compact: bool) -> int:
        if compact:
            width = cell_len(key.shown) + (1 + cell_len(key.description) if key.description else 0)
            return width + 1  # the space before the next key
        return cell_len(key.shown) + 2 + (cell_len(key.description) + 1 if key.description else 0)

    def _fitting(self, ranked: list[tuple[_Key, int]], room: int) -> tuple[list[_Key], bool]:
        """The keys that fit in ``room`` cells, in order, and whether some gave way."""
        compact = self.compact
        widths = [self._width(key, compact=compact) for key, _rank in ranked]
        if sum(widths) <= room:
            return [key for key, _rank in ranked], False
        budget = room - cell_len(MORE) - 1
        order = sorted(range(len(ranked)), key=lambda i: (ranked[i][1], i))
        kept: set[int] = set()
        used = 0
        for index in order:
            if used + widths[index] <= budget:
                kept.add(index)
                used += widths[index]
        return [key for index, (key, _rank) in enumerate(ranked) if index in kept], True

    def render(self) -> Text:
        ranked = self._ranked()
        palette = self._palette()
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        description_style = self.get_component_rich_style("key-bar--description", partial=True)
        dim = self.get_component_rich_style("key-bar--disabled", partial=True)
        hover = self.get_component_rich_style("key-bar--hover", partial=True)
        line = Text(no_wrap=True, overflow="crop")
        spans: list[tuple[int, int, _Key]] = []

        def add(key: _Key, *, compact: bool) -> None:
            start = cell_len(line.plain)
            extra = Style() if key.enabled else dim
            shown = key.shown if compact else f" {key.shown} "
            line.append(shown, key_style + extra)
            if key.description:
                text = f" {key.description}" if compact else f"{key.description} "
                line.append(text, description_style + extra)
            if key.key == self._hover:
                line.stylize(hover, start, cell_len(line.plain))
            spans.append((start, cell_len(line.plain), key))

        width = self.size.width
        right = 0
        if palette is not None:
            right = 1 + self._width(palette, compact=False)
        keys, more = self._fitting(ranked, max(width - right, 0))
        for index, key in enumerate(keys):
            if index and self.compact:
                line.append(" ")
            add(key, compact=self.compact)
        if more:
            line.append(" " + MORE, description_style)
        if palette is not None:
            # The palette's key stays in view on the right: it has the keys left out.
            room = max(width - right, 0)
            if cell_len(line.plain) > room:
                line.truncate(room)
                spans = [(start, min(end, room), key) for start, end, key in spans if start < room]
            line.append(" " * (room - cell_len(line.plain)) + "▏")
            add(palette, compact=False)
        self._spans = spans
        return line

    def _key_at(self, x: int) -> _Key | None:
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        key = self._key_at(event.x)
        self._set_hover(key.key if key is not None else None)

    def on_leave(self, _event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, key: str | None) -> None:
        if key != self._hover:
            self._hover = key
            self.refresh()
