"""One ticket with its six tabs (the seed's "Ticket-Multidialog").

Details (Stammdaten), Activities (Vorgänge), Times (Zeiten), Watchers (Beobachter),
Files (Dateien) and Alarms (Alarme), one widget module each under ``tix/tui/widgets``
(``ticket_details.py`` …). :func:`open_ticket_view` fetches the ticket with
``backend.ticket`` in a worker and then shows the screen, which hands that one dict
to every tab. The tabs run their backend calls in workers and post what came of them
(:class:`TicketPane.Written`, :class:`TicketPane.ChangeRequested`); the screen routes:
it draws the fresh ticket everywhere, sends changes, reloads and polls. Keys act on
the tab in view (the key bar shows which); the command palette offers the same
actions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent

from tix.core.errors import Conflict, Forbidden, NotFound, TixError
from tix.core.i18n import _
from tix.core.labels import color_label, status_label, ticket_kind_label
from tix.core.read_models import TicketDetail
from tix.tui.backend import Backend, Choices
from tix.tui.dialogs import ConfirmDialog
from tix.tui.dialogs.ticket_links import TicketLinkFlows
from tix.tui.widgets.activity import COLOR_MARKS
from tix.tui.widgets.footer import KeyBar
from tix.tui.widgets.ticket_activities import TicketActivities
from tix.tui.widgets.ticket_alarms import TicketAlarms
from tix.tui.widgets.ticket_details import TicketDetails
from tix.tui.widgets.ticket_files import TicketFiles, system_opener
from tix.tui.widgets.ticket_pane import TicketPane
from tix.tui.widgets.ticket_times import TicketTimes
from tix.tui.widgets.ticket_watchers import TicketWatchers

if TYPE_CHECKING:
    from tix.tui.app import TixApp

Loaded = tuple[TicketDetail, Choices | None]
"""A ticket as ``backend.ticket`` gives it, and what the pickers offer."""

TABS = ("details", "activities", "times", "watchers", "files", "alarms")
"""Pane ids, in order: the keys 1-6 switch to them."""

POLL_BACKOFF = 30.0
"""Seconds without polling for changes after a poll failed (the database is away)."""


@dataclass(frozen=True)
class TicketAction:
    key: str
    action: str
    label: str
    tabs: tuple[str, ...]
    palette: bool = True
    show: bool = True
    """In the key bar; the palette offers it either way."""


def _actions() -> list[TicketAction]:
    work = ("activities",)
    return [
        TicketAction("ctrl+s", "save_details", _("Save"), ("details",)),
        TicketAction("r", "reply", _("Reply"), work),
        TicketAction("n", "note", _("Note"), work),
        TicketAction("l", "solution", _("Solve"), work),
        TicketAction("s", "status", _("Status"), work),
        TicketAction("c", "channel", _("Channel"), work),
        TicketAction("o", "owner", _("Owner"), work),
        TicketAction("t", "book_time", _("Time"), (*work, "times")),
        TicketAction("d", "document", _("Document"), work),
        TicketAction("P", "project", _("Project"), work),
        TicketAction("e", "export_times", _("Export"), ("times",)),
        TicketAction("b", "billable_only", _("Billable only"), ("times",)),
        TicketAction("a", "add_watcher", _("Add watcher"), ("watchers",)),
        TicketAction("x,delete", "remove_watcher", _("Remove watcher"), ("watchers",)),
        TicketAction("a", "add_file", _("Add files"), ("files",)),
        TicketAction("o", "open_file", _("Open file"), ("files",)),
        TicketAction("s", "save_file", _("Save file"), ("files",)),
        TicketAction("a", "add_alarm", _("Add alarm"), ("alarms",)),
        # Between tickets: in the palette (and the README), not in the crowded key bar.
        TicketAction("M", "merge", _("Merge into…"), ("activities", "details"), show=False),
        TicketAction("S", "split", _("Split off…"), work, show=False),
        TicketAction("L", "link", _("Link…"), ("activities", "details"), show=False),
        TicketAction("U", "unlink", _("Unlink…"), ("activities", "details"), show=False),
        # The Activities footer needs every column at 80: Escape works there unlisted.
        TicketAction(
            "escape", "back", _("Back"), tuple(t for t in TABS if t not in work), palette=False
        ),
    ]


ACTIONS = _actions()
ACTION_TABS = {item.action: item.tabs for item in ACTIONS}


class TicketCommands(Provider):
    """The ticket view's actions in the command palette (those of the tab in view)."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen = self.screen
        if not isinstance(screen, TicketViewScreen):
            return []
        found = []
        for item in ACTIONS:
            if item.palette and screen.check_action(item.action, ()):
                key = item.key.split(",")[0]
                found.append(
                    (
                        f"#{screen.number} {item.label}",
                        _("Key: {key}").format(key=key),
                        getattr(screen, f"action_{item.action}"),
                    )
                )
        return found

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class TicketViewScreen(Screen[None]):
    """One ticket: header line, six tabs, actions by key."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(str(index + 1), f"tab('{name}')", name, show=False)
            for index, name in enumerate(TABS)
        ),
        Binding("f5", "reload", _("Reload"), show=False),
        *(Binding(item.key, item.action, item.label, show=item.show) for item in ACTIONS),
        Binding("escape", "leave", _("Back"), show=False),
    ]
    COMMANDS: ClassVar[set[Any]] = {TicketCommands}

    def __init__(
        self,
        number: int,
        *,
        tab: str = "activities",
        loaded: Loaded | None = None,
        pending: bool = False,
    ) -> None:
        """``loaded``: the ticket and choices fetched before the screen was made (drawn
        as it mounts); ``pending``: they are being fetched and will be handed over with
        :meth:`take` (see :func:`open_ticket_view`); otherwise the screen loads them."""
        super().__init__()
        self.number = number
        self._loaded = loaded
        self._pending = pending
        self.initial_tab = tab if tab in TABS else "activities"
        self.tab = self.initial_tab
        self.detail: TicketDetail | None = None
        """The ticket as last loaded."""
        self.choices: Choices | None = None
        """What the pickers and selects offer (users, channels, projects …)."""
        self._composed = False
        """All tabs are there to draw in (set as the screen mounts)."""
        self._marker: tuple[int, ...] | None = None
        self._polling = False
        self._poll_after = 0.0
        """No polling before this ``time.monotonic()`` (after a failed poll)."""
        self.details = TicketDetails(number=number)
        self.activities = TicketActivities(number=number)
        self.times = TicketTimes(number=number)
        self.watchers = TicketWatchers(number=number)
        self.files = TicketFiles(number=number)
        self.alarms = TicketAlarms(number=number)
        self.link_flows = TicketLinkFlows(self)

    # --- plumbing ---------------------------------------------------------------------

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    @property
    def backend(self) -> Backend:
        return self.tix.backend

    @property
    def panes(self) -> tuple[TicketPane, ...]:
        """The tabs, in the order of :data:`TABS`."""
        return (self.details, self.activities, self.times, self.watchers, self.files, self.alarms)

    @property
    def form_source(self) -> TicketDetail | None:
        """The ticket the Details form was filled from: its version is what Save sends."""
        return self.details.form_source

    def run_job(
        self,
        job: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        failed: Callable[[TixError], None] | None = None,
        *,
        group: str = "ticket-view-action",
        exclusive: bool = False,
    ) -> None:
        """``job`` in a worker; ``then``/``failed`` only while this screen is still up."""

        def when_attached(callback: Callable[[Any], None] | None) -> Callable[[Any], None]:
            def call(value: Any) -> None:
                if callback is not None and self.is_attached:
                    callback(value)

            return call

        self.tix.background(
            job,
            then=when_attached(then),
            failed=when_attached(failed),
            group=group,
            exclusive=exclusive,
        )

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="view-header"):
            yield Static(Text(f"#{self.number}", style="bold"), id="view-title")
            yield Static("", id="view-meta")
        with TabbedContent(initial=self.initial_tab, id="view-tabs"):
            yield from self.panes
        yield KeyBar(compact=True, hidden=("1-6", "f5", "escape"))

    async def _ensure_details(self) -> None:
        await self.details.ensure_form(self.size.width)

    def on_mount(self) -> None:
        self._composed = True
        if self.initial_tab == "details":
            self.call_after_refresh(self._ensure_details)
        if self._loaded is not None:
            loaded, self._loaded = self._loaded, None
            self.take(loaded)
        elif not self._pending:
            self.reload()
        if self.tix.poll_interval > 0:
            self.set_interval(self.tix.poll_interval, self._poll)
        self._focus_tab(self.initial_tab)

    def on_resize(self, event: Resize) -> None:
        self.details.set_width(event.size.width)

    # --- loading ----------------------------------------------------------------------

    def reload(self, *, refill_form: bool = False) -> None:
        number, backend = self.number, self.backend
        need_choices = self.choices is None

        def job() -> Loaded:
            return backend.ticket(number), backend.choices() if need_choices else None

        def loaded(result: Loaded) -> None:
            detail, choices = result
            if choices is not None:
                self._set_choices(choices)
            self._show(detail, refill_form=refill_form)

        def failed(error: TixError) -> None:
            # Gone, or no longer visible to this user: nothing left to show here.
            if isinstance(error, NotFound | Forbidden) and self.is_current:
                self.dismiss()

        self.run_job(job, loaded, failed, group=f"ticket-view-load-{number}", exclusive=True)

    def take(self, loaded: Loaded) -> None:
        """Draw a ticket fetched for this screen before it was up."""
        if not self._composed:
            # Pushed, but its tabs are still being put together: drawn as it mounts.
            self._loaded = loaded
            return
        self._pending = False
        detail, choices = loaded
        if self.choices is None and choices is not None:
            self._set_choices(choices)
        if self.detail is None:
            self._show(detail)

    def _set_choices(self, choices: Choices) -> None:
        self.choices = choices
        for pane in self.panes:
            pane.set_choices(choices)

    def _poll(self) -> None:
        """Reload when anyone changed anything (others work on the same tickets)."""
        if self._polling or self.detail is None or time.monotonic() < self._poll_after:
            return
        self._polling = True

        def seen(marker: tuple[int, ...]) -> None:
            self._polling = False
            if self._marker is not None and marker != self._marker:
                self.reload()
            self._marker = marker

        def failed(_error: TixError) -> None:
            # Told once (by the app); asking again every second would only repeat it.
            self._polling = False
            self._poll_after = time.monotonic() + POLL_BACKOFF

        self.run_job(self.backend.change_marker, seen, failed, group="ticket-view-poll")

    def _show(
        self,
        detail: TicketDetail,
        *,
        refill_form: bool = False,
        own: bool = False,
        scroll_end: bool = False,
    ) -> None:
        """Draw ``detail`` in the header and every tab (the Details form keeps what its
        user typed: see :meth:`TicketDetails.show`)."""
        first_load = self.detail is None
        self.detail = detail
        self._show_header(detail)
        self.details.show(detail, first_load=first_load, refill_form=refill_form, own=own)
        self.activities.show(detail, scroll_end=scroll_end or first_load)
        self.times.show(detail)
        self.watchers.show(detail)
        self.files.show(detail)
        self.alarms.show(detail)
        self._label_tabs(detail)
        self.refresh_bindings()

    def _show_header(self, detail: TicketDetail) -> None:
        title = Text()
        title.append(f"#{detail.number} ", style="bold")
        title.append(detail.subject or "", style="bold")
        title.no_wrap = True
        title.overflow = "ellipsis"
        self.query_one("#view-title", Static).update(title)
        meta = Text(no_wrap=True)
        meta.append(status_label(str(detail.status)), style="bold")
        meta.append(f"  P{detail.priority}")
        color = detail.color
        if color:
            meta.append("  ")
            meta.append("●", style=COLOR_MARKS.get(color, ""))
            meta.append(f" {color_label(color)}")
        meta.append("  " + ticket_kind_label(str(detail.kind)), style="dim")
        self.query_one("#view-meta", Static).update(meta)

    def _label_tabs(self, detail: TicketDetail) -> None:
        tabs = self.query_one("#view-tabs", TabbedContent)
        titles = {
            "details": _("Details"),
            "activities": _("Activities"),
            "times": _("Times"),
            "watchers": _("Watchers"),
            "files": _("Files"),
            "alarms": _("Alarms"),
        }
        counts = {
            "activities": len(detail.activities),
            "times": len(detail.times),
            "watchers": len(detail.watchers),
            "files": len(detail.files),
            "alarms": len(detail.alarms),
        }
        for pane, title in titles.items():
            count = counts.get(pane, 0)
            label = f"{title} ({count})" if count else title
            tab = tabs.get_tab(pane)
            if tab.label_text != label:
                tab.label = Text(label)

    # --- what the tabs ask for --------------------------------------------------------

    def on_ticket_pane_written(self, message: TicketPane.Written) -> None:
        message.stop()
        if message.choices is not None:
            self._set_choices(message.choices)
        self.show_written(message.detail, refill_form=message.refill_form, notice=message.notice)

    def on_ticket_pane_change_requested(self, message: TicketPane.ChangeRequested) -> None:
        message.stop()
        self._change(message.version, message.fields, refill_form=message.refill_form)

    def _change(self, version: int, fields: dict[str, Any], *, refill_form: bool = False) -> None:
        number, backend = self.number, self.backend

        def failed(error: TixError) -> None:
            if isinstance(error, Conflict):
                self.notify(_("changed by someone else: reloaded"), severity="warning")
                self.reload(refill_form=True)

        def changed(detail: TicketDetail) -> None:
            self.show_written(detail, refill_form=refill_form)

        self.run_job(lambda: backend.change(number, version=version, **fields), changed, failed)

    def show_written(
        self, detail: TicketDetail, *, refill_form: bool = False, notice: str = ""
    ) -> None:
        self._show(detail, own=True, refill_form=refill_form, scroll_end=True)
        if notice:
            self.notify(notice)

    # --- keys -------------------------------------------------------------------------

    def action_save_details(self) -> None:
        self.details.save()

    def action_reply(self) -> None:
        self.activities.compose_text("reply")

    def action_note(self) -> None:
        self.activities.compose_text("note")

    def action_solution(self) -> None:
        self.activities.compose_text("solve")

    def action_status(self) -> None:
        self.activities.pick_status()

    def action_channel(self) -> None:
        self.activities.pick_channel()

    def action_owner(self) -> None:
        self.activities.pick_owner()

    def action_document(self) -> None:
        self.activities.new_document()

    def action_project(self) -> None:
        self.activities.new_project()

    def action_book_time(self) -> None:
        self.times.book()

    def action_billable_only(self) -> None:
        self.times.toggle_billable_only()

    def action_export_times(self) -> None:
        self.times.export()

    def action_add_watcher(self) -> None:
        self.watchers.add()

    def action_remove_watcher(self) -> None:
        self.watchers.remove_selected()

    def action_add_file(self) -> None:
        self.files.add()

    def action_save_file(self) -> None:
        self.files.save_selected()

    def action_open_file(self) -> None:
        # The module's opener, looked up now: where files open is this screen's choice.
        self.files.open_selected(system_opener)

    @on(DataTable.RowSelected, "#files-table")
    def _file_chosen(self) -> None:
        self.action_open_file()

    def action_add_alarm(self) -> None:
        self.alarms.add()

    def action_merge(self) -> None:
        self.link_flows.merge()

    def action_split(self) -> None:
        self.link_flows.split()

    def action_link(self) -> None:
        self.link_flows.link()

    def action_unlink(self) -> None:
        self.link_flows.unlink()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = ACTION_TABS.get(action)
        if tabs is None:
            return True
        if self.tab not in tabs:
            return False
        if self.detail is None:
            return None
        if action == "channel" and self.detail.kind == "internal":
            return None
        if action in ("remove_watcher",) and not self.detail.watchers:
            return None
        if action in ("save_file", "open_file") and not self.detail.files:
            return None
        if action in ("merge", "split") and self.detail.merged_into is not None:
            return None
        if action == "unlink" and not self.detail.links:
            return None
        return True

    @on(TabbedContent.TabActivated, "#view-tabs")
    async def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        self.tab = event.pane.id or self.tab
        self.refresh_bindings()
        if self.tab == "details":
            await self._ensure_details()

    def action_tab(self, name: str) -> None:
        # Focus first: a focused widget left behind in the pane being hidden would hand
        # the focus to its neighbour there, and focus in a pane makes that pane active.
        self._focus_tab(name)
        self.query_one("#view-tabs", TabbedContent).active = name
        self.tab = name
        self.refresh_bindings()

    def _focus_tab(self, name: str) -> None:
        """Focus the main widget of a tab (its table, the log), else the tab bar."""
        targets = {
            "activities": "#activity-log",
            "times": "#times-table",
            "watchers": "#watchers-table",
            "files": "#files-table",
            "alarms": "#alarms-table",
        }
        target = targets.get(name)
        widget = self.query_one(target) if target is not None else None
        if widget is not None and widget.display:
            widget.focus()
        else:
            self.query_one("#view-tabs", TabbedContent).query_one("Tabs").focus()

    def action_reload(self) -> None:
        self.reload()

    def action_leave(self) -> None:
        self.action_back()

    def action_back(self) -> None:
        if not self.details.edits():
            self.dismiss()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss()

        self.app.push_screen(
            ConfirmDialog(
                _("The Details tab has unsaved changes. Leave without saving?"),
                yes=_("Leave"),
                no=_("Stay"),
            ),
            answered,
        )


SHOW_EMPTY_AFTER = 0.3
"""Seconds :func:`open_ticket_view` waits for the ticket before it shows the screen
without it (the data follows as soon as it is there)."""


def open_ticket_view(app: TixApp, number: int, *, tab: str = "activities") -> None:
    """Open ticket ``number``: fetch it first, then show the screen with it.

    Fetched while the interface is idle, a ticket arrives in a few milliseconds and
    the screen's first frame shows it; fetched while the new screen is being styled,
    the worker and the interface would slow each other down several times over. A
    slow database (say, a distant PostgreSQL) still gets the screen at once, empty,
    after :data:`SHOW_EMPTY_AFTER`. A second open while one is under way is ignored.
    """
    if app.opening_ticket is not None:
        return
    backend = app.backend
    state: dict[str, Any] = {"screen": None, "done": False}
    app.opening_ticket = number

    def job() -> Loaded:
        return backend.ticket(number), backend.choices()

    def show(loaded: Loaded | None) -> None:
        app.opening_ticket = None
        screen = TicketViewScreen(number, tab=tab, loaded=loaded, pending=loaded is None)
        state["screen"] = screen
        app.push_screen(screen)

    def arrived(loaded: Loaded) -> None:
        state["done"] = True
        screen = state["screen"]
        if screen is None:
            show(loaded)
        elif screen.is_attached:
            screen.take(loaded)

    def failed(error: TixError) -> None:
        state["done"] = True
        screen = state["screen"]
        if screen is None:
            app.opening_ticket = None
        elif screen.is_attached:
            screen._pending = False
            if isinstance(error, NotFound | Forbidden) and screen.is_current:
                screen.dismiss()

    def late() -> None:
        if not state["done"] and state["screen"] is None:
            show(None)

    app.set_timer(SHOW_EMPTY_AFTER, late)
    app.background(job, then=arrived, failed=failed, group=f"open-ticket-{number}")
