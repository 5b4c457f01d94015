"""The command palette (Ctrl+P): every action of the list, and "#1042" opens a ticket."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tix.core.i18n import _
from tix.core.services.tickets import ticket_reference

if TYPE_CHECKING:
    from tix.tui.screens.ticket_list import TicketListScreen


class TixCommands(Provider):
    """tix's own commands, next to Textual's system commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.views: list[tuple[str, Any, str]] = []
        """The agent's saved views (name, spec, description), read when the palette opens."""

    async def startup(self) -> None:
        import asyncio

        from tix.core.errors import TixError

        if self._list_screen() is None:
            return
        backend = self.app.backend  # type: ignore[attr-defined]
        try:
            self.views = await asyncio.to_thread(backend.views)
        except TixError:
            self.views = []

    def _list_screen(self) -> TicketListScreen | None:
        from tix.tui.screens.ticket_list import TicketListScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, TicketListScreen):
                return screen
        return None

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        """(name, action, help) of what can be done where the palette was opened."""
        found: list[tuple[str, Callable[[], object], str]] = []
        screen = self._list_screen()
        if screen is not None:
            found.append((_("New ticket"), screen.action_new_ticket, _("Open a new ticket (N)")))
        if screen is not None and self.screen is screen:
            found += [
                (_("Filter: mine"), screen.action_toggle_mine, _("Only my tickets, or all (m)")),
                (
                    _("Filter: unassigned"),
                    screen.action_toggle_unassigned,
                    _("Only tickets nobody has taken yet, or all (u)"),
                ),
                (
                    _("Filter: next status"),
                    screen.action_cycle_status,
                    _("Step through statuses (s)"),
                ),
                (_("Filter: channel…"), screen.action_pick_channel, _("Only one channel (c)")),
                (_("Filter: owner…"), screen.action_pick_owner, _("Only one owner's tickets (o)")),
                (_("Filter: category…"), screen.action_pick_category, _("Only one category (g)")),
                (
                    _("Filter: minimum priority…"),
                    screen.action_pick_priority,
                    _("Only tickets of this priority or higher (p)"),
                ),
                (_("Search…"), screen.action_search, _("Find tickets by words (/)")),
                (
                    _("Filter: color…"),
                    screen.action_pick_color,
                    _("Only tickets with one color mark, or without (C)"),
                ),
                (_("Sort…"), screen.action_pick_sort, _("Order the list (S)")),
                (_("Views…"), screen.action_pick_view, _("Show one of your saved views (v)")),
                *(
                    (
                        _("View: {name}").format(name=name),
                        partial(screen.show_view, name, spec),
                        description,
                    )
                    for name, spec, description in self.views
                ),
                (
                    _("Save filter as view…"),
                    screen.action_save_view,
                    _("Keep the current filters and sort under a name (V)"),
                ),
                (_("Clear filters"), screen.action_clear_filters, _("Show all open tickets (x)")),
                (
                    _("Mark all that match"),
                    screen.action_mark_matching,
                    _("Mark every ticket of the filtered list, on all pages (*; Space marks one)"),
                ),
                (_("Clear marks"), screen.action_clear_marks, _("Unmark every ticket (-)")),
                (
                    _("Bulk action…"),
                    screen.action_bulk,
                    _("Owner, status, channel, priority, category, color, note or merge (b)"),
                ),
            ]
        if screen is not None:
            found.append(
                (
                    _("Notifications"),
                    screen.action_notifications,
                    _("What happened on tickets you watch (n)"),
                )
            )
        if screen is not None and type(self.screen).__name__ != "DashboardScreen":
            found.append(
                (
                    _("Dashboard"),
                    screen.action_dashboard,
                    _("Today's queue, the last 30 days, each agent's open tickets (d)"),
                )
            )
        app = self.app
        from tix.tui.app import TixApp

        if isinstance(app, TixApp):
            number = getattr(self.screen, "number", None)
            if isinstance(number, int) and type(self.screen).__name__ == "TicketViewScreen":
                found.append(
                    (
                        _("Documents of #{number}").format(number=number),
                        partial(app.open_documents, number),
                        _("The ticket's quotes and invoices: open, export to Excel"),
                    )
                )
            found.append(
                (
                    _("Documents"),
                    app.open_documents,
                    _("Quotes, order confirmations and invoices: open, export to Excel"),
                )
            )
        found += [
            (
                _("Go to ticket…"),
                partial(app.run_action, "go_to_ticket"),
                _("Open a ticket by its number (#)"),
            ),
            (
                _("Toggle dark/light theme"),
                partial(app.run_action, "toggle_theme"),
                _("Switch between the dark and the light theme (Ctrl+T)"),
            ),
            (_("Quit tix"), app.exit, _("Leave the terminal UI (q, Ctrl+Q)")),
        ]
        return found

    def _open(self, number: int) -> None:
        self.app.go_to_number(number)  # type: ignore[attr-defined]

    async def discover(self) -> Hits:
        for name, action, help_text in self._commands():
            yield DiscoveryHit(name, action, help=help_text)

    async def search(self, query: str) -> Hits:
        value = ticket_reference(query)
        if value is not None and self._list_screen() is not None:
            yield Hit(
                1.0,
                _("Open ticket #{number}").format(number=value),
                partial(self._open, value),
                help=_("Show the ticket with this number"),
            )
        matcher = self.matcher(query)
        for name, action, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), action, text=name, help=help_text)
