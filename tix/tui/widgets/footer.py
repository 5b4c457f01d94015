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


class _Key(NamedTuple):
    key: str
    shown: str
    description: str
    enabled: bool


class KeyBar(Widget):
    """The keys of the active bindings; clicking one presses it."""

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
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.set_reactive(KeyBar.compact, compact)
        self.show_command_palette = show_command_palette
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
        active = self.screen.active_bindings
        keys: list[_Key] = []
        actions: set[str] = set()
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in actions:
                continue  # one key per action, as the footer does
            actions.add(binding.action)
            keys.append(self._key(binding, enabled))
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                palette = self._key(found.binding, found.enabled)
        return keys, palette

    def _key(self, binding: Binding, enabled: bool) -> _Key:
        return _Key(binding.key, self.app.get_key_display(binding), binding.description, enabled)

    def render(self) -> Text:
        keys, palette = self.keys()
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

        for index, key in enumerate(keys):
            if index and self.compact:
                line.append(" ")
            add(key, compact=self.compact)
        if palette is not None:
            # The palette's key stays in view on the right; the keys before it give way.
            width = 1 + cell_len(palette.shown) + 2 + cell_len(palette.description) + 1
            room = max(self.size.width - width, 0)
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
