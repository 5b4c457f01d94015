"""The ticket view's Watchers tab (Beobachter): the users and groups told of the ticket's
changes; adding and removing one starts here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tix.core.i18n import _
from tix.core.read_models import TicketDetail, WatcherView
from tix.tui.dialogs import PickDialog
from tix.tui.widgets.ticket_pane import ListPane


def watcher_key(watcher: WatcherView) -> str:
    """``user:<login>`` or ``group:<name>``: a watcher's row key."""
    return f"user:{watcher.user}" if watcher.user is not None else f"group:{watcher.group}"


class TicketWatchers(ListPane):
    """The Watchers tab."""

    def __init__(self, *, number: int) -> None:
        super().__init__(_("Watchers"), number=number, id="watchers")

    def columns(self) -> tuple[str, ...]:
        return (_("Kind"), _("Name"))

    def compose(self) -> ComposeResult:
        yield DataTable(id="watchers-table", cursor_type="row")
        yield Static(_("Nobody watches this ticket."), id="watchers-empty", classes="empty")

    def show(self, detail: TicketDetail) -> None:
        super().show(detail)
        names = dict(self.choices.users) if self.choices is not None else {}
        rows = []
        for watcher in detail.watchers:
            if watcher.user is not None:
                login = watcher.user
                label = f"{login} ({names[login]})" if login in names else login
                rows.append((watcher_key(watcher), _("User"), label))
            else:
                rows.append((watcher_key(watcher), _("Group"), watcher.group or ""))
        self.fill(rows)

    def add(self) -> None:
        """Pick a user or group that does not watch yet, and add them."""
        detail, choices = self.detail, self.choices
        if detail is None or choices is None:
            return
        watching = {watcher_key(w) for w in detail.watchers}
        options = [(_("Group") + f": {group}", f"group:{group}") for group in choices.groups] + [
            (_("User") + f": {login} – {name}", f"user:{login}") for login, name in choices.users
        ]
        number = self.number

        def picked(value: str | None) -> None:
            if value:
                self._watch(value)

        self.app.push_screen(
            PickDialog(
                _("Add a watcher to #{number}").format(number=number),
                [option for option in options if option[1] not in watching],
            ),
            picked,
        )

    def remove_selected(self) -> None:
        """Remove the watcher under the cursor."""
        selected = self.selected()
        if selected is not None:
            self._watch(selected, remove=True)

    def _watch(self, key: str, *, remove: bool = False) -> None:
        kind, name = key.split(":", 1)
        number, backend = self.number, self.backend
        self.run_job(
            lambda: backend.watch(
                number,
                user=name if kind == "user" else "",
                group=name if kind == "group" else "",
                remove=remove,
            ),
            self.written,
        )
