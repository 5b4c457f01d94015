"""The agent's notifications: newest first; Enter opens the ticket, r / R mark read."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from tix.core.i18n import _
from tix.tui.widgets.footer import KeyBar
from tix.tui.widgets.ticket_table import format_changed, one_line

if TYPE_CHECKING:
    from tix.tui.app import TixApp


class NotificationsScreen(Screen[None]):
    """At most the newest 100 notifications (what the core lists), so a DataTable.
    Each text starts with its ticket's number."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", _("Show"), priority=True),
        Binding("r", "mark_read", _("Read")),
        Binding("R", "mark_all_read", _("All read"), key_display="R"),
        Binding("escape", "back", _("Back")),
        Binding("q", "back", _("Back"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#notifications", DataTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(_("Notifications"), id="notifications-title")
        yield DataTable(id="notifications", cursor_type="row", zebra_stripes=False)
        yield Static(id="notifications-empty")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.table
        table.add_column("", key="read", width=1)
        table.add_column(_("When"), key="when", width=10)
        table.add_column(_("Notification"), key="text")
        table.focus()

    def load(self) -> None:
        self.tix.background(self.tix.backend.notifications, then=self._show, group="notifications")

    def _show(self, items: list[dict[str, Any]]) -> None:
        if not (self.is_attached and self.query("#notifications")):
            return  # closed meanwhile
        self.items = items
        table = self.table
        selected = self._selected()
        zone = self.tix.backend.zone
        with self.app.batch_update():
            table.clear()
            for item in items:
                unread = not item["read"]
                style = "bold" if unread else "dim"
                when = format_changed(datetime.fromisoformat(item["created_at"]), zone)
                table.add_row(
                    Text("●" if unread else "", style="bold"),
                    Text(when, style=style),
                    Text(one_line(item["text"]), style=style),
                    key=str(item["id"]),
                )
            if selected is not None:
                for position, item in enumerate(items):
                    if item["id"] == selected["id"]:
                        table.move_cursor(row=position, animate=False)
            empty = self.query_one("#notifications-empty", Static)
            empty.update(_("No notifications.") if not items else "")
            empty.display = not items

    def _selected(self) -> dict[str, Any] | None:
        table = self.table
        if not self.items or not 0 <= table.cursor_row < len(self.items):
            return None
        return self.items[table.cursor_row]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        item = self._selected()
        if item is None:
            return
        if not item["read"]:
            self.tix.background(lambda: self.tix.backend.mark_read([item["id"]]))
        if item["ticket"] is None:
            return
        self.tix.open_ticket(int(item["ticket"]))

    def action_mark_read(self) -> None:
        item = self._selected()
        if item is None or item["read"]:
            return
        backend = self.tix.backend
        self.tix.background(lambda: backend.mark_read([item["id"]]), then=lambda _n: self._reload())

    def action_mark_all_read(self) -> None:
        backend = self.tix.backend
        self.tix.background(
            lambda: backend.mark_read(everything=True), then=lambda _n: self._reload()
        )

    def _reload(self) -> None:
        if self.is_attached:
            self.load()

    def action_back(self) -> None:
        self.dismiss()

    def on_screen_resume(self) -> None:
        # when first shown, and when back from a ticket opened here
        self.load()
