"""A checkbox whose mark says on or off by its shape, not only by its color: ``✓``
when ticked, empty when not (Textual's shows an ``X`` either way, told apart only by
a color that some terminals and themes barely change)."""

from __future__ import annotations

from textual.widgets import Checkbox


class TickBox(Checkbox):
    """:class:`~textual.widgets.Checkbox` showing ``✓`` when ticked, a blank when not."""

    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # Textual reads it per render
        return "✓" if self.value else " "
