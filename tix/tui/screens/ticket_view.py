"""One ticket with its six tabs (the seed's "Ticket-Multidialog").

Details (Stammdaten), Activities (Vorgänge), Times (Zeiten), Watchers (Beobachter),
Files (Dateien) and Alarms (Alarme). :func:`open_ticket_view` fetches the ticket
with ``backend.ticket`` in a worker and then shows the screen, which draws
everything from that one dict; every action runs its backend call through
:meth:`TixApp.background` and draws the fresh ticket the call returns. Keys act on
the tab in view (the key bar shows which); the command palette offers the same
actions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Container, Horizontal, VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from tix.core import clock
from tix.core.errors import Conflict, Forbidden, NotFound, TixError
from tix.core.i18n import _
from tix.core.labels import color_label, source_label, status_label, ticket_kind_label
from tix.core.models.ticket import TicketStatus
from tix.core.services.storage import human_size
from tix.core.validation import COLORS, split_names
from tix.tui.backend import Backend, Choices
from tix.tui.screens.dialogs import (
    Composed,
    ComposeDialog,
    ConfirmDialog,
    FormDialog,
    FormField,
    PickDialog,
    split_paths,
)
from tix.tui.widgets.activity import (
    COLOR_MARKS,
    ActivityLog,
    first_message_text,
    format_minutes,
    format_time,
)
from tix.tui.widgets.footer import KeyBar

if TYPE_CHECKING:
    from tix.tui.app import TixApp

Loaded = tuple[dict[str, Any], Choices | None]
"""A ticket as ``backend.ticket`` gives it, and what the pickers offer."""

TABS = ("details", "activities", "times", "watchers", "files", "alarms")
"""Pane ids, in order: the keys 1-6 switch to them."""

POLL_BACKOFF = 30.0
"""Seconds without polling for changes after a poll failed (the database is away)."""

EDITABLE = ("subject", "status", "priority", "channel", "owner", "project", "color", "categories")
"""The Details fields that Save sends when changed; widget ids are ``edit-<name>``."""


@dataclass(frozen=True)
class TicketAction:
    key: str
    action: str
    label: str
    tabs: tuple[str, ...]
    palette: bool = True


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
        # The Activities footer needs every column at 80: Escape works there unlisted.
        TicketAction(
            "escape", "back", _("Back"), tuple(t for t in TABS if t not in work), palette=False
        ),
    ]


ACTIONS = _actions()
ACTION_TABS = {item.action: item.tabs for item in ACTIONS}


def system_opener() -> list[str] | None:
    """The command that opens a file in its usual program here, if there is one.

    Linux needs a graphical session for ``xdg-open`` (over SSH it would fail, and the
    path is more useful); ``open`` is macOS's (on Linux it is ``openvt``).
    """
    if sys.platform == "darwin":
        found = shutil.which("open")
        return [found] if found else None
    if sys.platform.startswith("win"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    found = shutil.which("xdg-open")
    return [found] if found else None


def default_save_folder() -> str:
    return "~/Downloads" if (Path.home() / "Downloads").is_dir() else "~"


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
        *(Binding(item.key, item.action, item.label) for item in ACTIONS),
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
        self.detail: dict[str, Any] | None = None
        """The ticket as last loaded."""
        self.form_source: dict[str, Any] | None = None
        """The ticket the Details form was filled from: its version is what Save sends."""
        self.choices: Choices | None = None
        """What the pickers and selects offer (users, channels, projects …)."""
        self._marker: tuple[int, ...] | None = None
        self._polling = False
        self._poll_after = 0.0
        """No polling before this ``time.monotonic()`` (after a failed poll)."""
        self._options: dict[str, list[tuple[str, str]]] = {}
        """The options of the selects filled from data, by widget id."""
        self._details = "absent"
        """The Details form: absent, mounting or ready."""

    # --- plumbing ---------------------------------------------------------------------

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    @property
    def backend(self) -> Backend:
        return self.tix.backend

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
            with TabPane(_("Details"), id="details"):
                yield VerticalScroll(id="details-scroll")
            with TabPane(_("Activities"), id="activities"):
                with VerticalScroll(id="first-message-box"):
                    yield Static("", id="first-message")
                yield ActivityLog(id="activity-log")
            with TabPane(_("Times"), id="times"):
                with Horizontal(id="times-filter"):
                    yield Checkbox(_("Billable only"), id="times-billable", compact=True)
                    yield Select[str]([], prompt=_("All users"), id="times-user", compact=True)
                yield DataTable(id="times-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="times-total")
            with TabPane(_("Watchers"), id="watchers"):
                yield DataTable(id="watchers-table", cursor_type="row")
                yield Static(_("Nobody watches this ticket."), id="watchers-empty", classes="empty")
            with TabPane(_("Files"), id="files"):
                yield DataTable(id="files-table", cursor_type="row")
                yield Static(_("No files on this ticket."), id="files-empty", classes="empty")
            with TabPane(_("Alarms"), id="alarms"):
                yield DataTable(id="alarms-table", cursor_type="row")
                yield Static(_("No alarms."), id="alarms-empty", classes="empty")
        yield KeyBar(compact=True, show_command_palette=False)

    def _details_widgets(self) -> Container:
        """The Details form and facts; mounted when the tab is first shown (the form's
        selects are the costliest part of the screen, and most visits never open it)."""
        statuses = [(status_label(status.value), status.value) for status in TicketStatus]
        priorities = [(self._priority_label(p), str(p)) for p in range(1, 10)]
        colors = [
            (Text.assemble(("● ", COLOR_MARKS.get(color, "")), color_label(color)), color)
            for color in COLORS
        ]
        form = Container(
            Label(_("Subject")),
            Input(id="edit-subject", compact=True),
            Label(_("Status")),
            Select(statuses, id="edit-status", allow_blank=False, compact=True),
            Label(_("Priority")),
            Select(priorities, id="edit-priority", allow_blank=False, compact=True),
            Label(_("Channel")),
            Select[str]([], id="edit-channel", prompt=_("(none)"), compact=True),
            Label(_("Owner")),
            Select[str]([], id="edit-owner", prompt=_("(none)"), compact=True),
            Label(_("Project")),
            Select[str]([], id="edit-project", prompt=_("(none)"), compact=True),
            Label(_("Color")),
            Select(colors, id="edit-color", prompt=_("(none)"), compact=True),
            Label(_("Categories")),
            Input(id="edit-categories", placeholder=_("separated by commas"), compact=True),
            Label(""),
            Button(_("Save") + " (Ctrl+S)", id="details-save", compact=True),
            id="details-form",
        )
        return Container(form, Static("", id="details-info"), id="details-body")

    async def _ensure_details(self) -> None:
        if self._details != "absent":
            return
        self._details = "mounting"
        await self.query_one("#details-scroll").mount(self._details_widgets())
        self._details = "ready"
        self._wide(self.size.width)
        if self.choices is not None:
            self._fill_choices()
        if self.detail is not None:
            self._fill_form(self.detail)
            self._show_info(self.detail)

    @staticmethod
    def _priority_label(priority: int) -> str:
        if priority == 1:
            return "1 – " + _("low")
        if priority == 5:
            return "5 – " + _("normal")
        if priority == 9:
            return "9 – " + _("very high")
        return str(priority)

    def on_mount(self) -> None:
        columns = {
            "times-table": (
                _("Date"),
                _("User"),
                _("Hours"),
                _("Billable"),
                _("Billed"),
                _("Note"),
            ),
            "watchers-table": (_("Kind"), _("Name")),
            "files-table": (_("Name"), _("Size"), _("Type"), _("Added"), _("By")),
            "alarms-table": (_("Due"), _("For"), _("Via"), _("Description"), _("By"), _("Fired")),
        }
        for table_id, names in columns.items():
            self.query_one(f"#{table_id}", DataTable).add_columns(*names)
        for pane in ("watchers", "files", "alarms"):
            self.query_one(f"#{pane}-empty").display = False
        self.query_one("#first-message-box").display = False
        if self.initial_tab == "details":
            self.call_after_refresh(self._ensure_details)
        if self._loaded is not None:
            self.take(self._loaded)
            self._loaded = None
        elif not self._pending:
            self.reload()
        if self.tix.poll_interval > 0:
            self.set_interval(self.tix.poll_interval, self._poll)
        self._focus_tab(self.initial_tab)

    def on_resize(self, event: Resize) -> None:
        self._wide(event.size.width)

    def _wide(self, width: int) -> None:
        if self._details == "ready":
            self.query_one("#details-body").set_class(width >= 110, "-wide")

    # --- loading ----------------------------------------------------------------------

    def reload(self, *, refill_form: bool = False) -> None:
        number, backend = self.number, self.backend
        need_choices = self.choices is None

        def job() -> tuple[dict[str, Any], Choices | None]:
            return backend.ticket(number), backend.choices() if need_choices else None

        def loaded(result: tuple[dict[str, Any], Choices | None]) -> None:
            detail, choices = result
            if choices is not None:
                self.choices = choices
                self._fill_choices()
            self._show(detail, refill_form=refill_form)

        def failed(error: TixError) -> None:
            # Gone, or no longer visible to this user: nothing left to show here.
            if isinstance(error, NotFound | Forbidden) and self.is_current:
                self.dismiss()

        self.run_job(job, loaded, failed, group=f"ticket-view-load-{number}", exclusive=True)

    def take(self, loaded: Loaded) -> None:
        """Draw a ticket fetched for this screen before it was up."""
        self._pending = False
        detail, choices = loaded
        if self.choices is None and choices is not None:
            self.choices = choices
            self._fill_choices()
        if self.detail is None:
            self._show(detail)

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
        detail: dict[str, Any],
        *,
        refill_form: bool = False,
        own: bool = False,
        scroll_end: bool = False,
    ) -> None:
        """Draw ``detail`` everywhere. The Details form keeps what its user typed: after
        their own action it is carried over to the fresh ticket; after someone else's
        change it stays on the version it was filled from, so that Save reports the
        conflict instead of overwriting the other change."""
        first_load = self.detail is None
        self.detail = detail
        self._show_header(detail)
        if self._details == "ready":
            edits = self._form_edits()
            if first_load or refill_form or not edits:
                self._fill_form(detail)
            elif own:
                self._fill_form(detail)
                self._apply_edits(edits)
            self._show_info(detail)
        self._show_activities(detail, scroll_end=scroll_end or first_load)
        self._show_times()
        self._show_watchers(detail)
        self._show_files(detail)
        self._show_alarms(detail)
        self._label_tabs(detail)
        self.refresh_bindings()

    def _show_header(self, detail: dict[str, Any]) -> None:
        title = Text()
        title.append(f"#{detail['number']} ", style="bold")
        title.append(detail.get("subject") or "", style="bold")
        title.no_wrap = True
        title.overflow = "ellipsis"
        self.query_one("#view-title", Static).update(title)
        meta = Text(no_wrap=True)
        meta.append(status_label(str(detail.get("status", ""))), style="bold")
        meta.append("  P{priority}".format(priority=detail.get("priority", "")))
        color = detail.get("color")
        if color:
            meta.append("  ")
            meta.append("●", style=COLOR_MARKS.get(color, ""))
            meta.append(f" {color_label(color)}")
        meta.append("  " + ticket_kind_label(str(detail.get("kind", ""))), style="dim")
        self.query_one("#view-meta", Static).update(meta)

    def _label_tabs(self, detail: dict[str, Any]) -> None:
        tabs = self.query_one("#view-tabs", TabbedContent)
        titles = {
            "details": _("Details"),
            "activities": _("Activities"),
            "times": _("Times"),
            "watchers": _("Watchers"),
            "files": _("Files"),
            "alarms": _("Alarms"),
        }
        for pane, title in titles.items():
            count = len(detail.get(pane) or []) if pane != "details" else 0
            label = f"{title} ({count})" if count else title
            tab = tabs.get_tab(pane)
            if tab.label_text != label:
                tab.label = Text(label)

    # --- Details ----------------------------------------------------------------------

    def _fill_choices(self) -> None:
        choices = self.choices
        if self._details != "ready" or choices is None:
            return
        self._set_options("edit-channel", [(name, name) for name in choices.channels])
        self._set_options(
            "edit-owner", [(f"{login} – {name}", login) for login, name in choices.users]
        )
        self._set_options("edit-project", [(name, name) for name in choices.projects])

    def _set_options(self, widget_id: str, options: list[tuple[str, str]]) -> None:
        select: Select[str] = self.query_one(f"#{widget_id}", Select)
        value = select.value
        self._options[widget_id] = list(options)
        select.set_options(options)
        if value is not Select.NULL and value in [v for _label, v in options]:
            select.value = value

    def _form_values_of(self, detail: dict[str, Any]) -> dict[str, Any]:
        return {
            "subject": detail.get("subject") or "",
            "status": detail.get("status"),
            "priority": str(detail.get("priority")),
            "channel": detail.get("channel"),
            "owner": detail.get("owner"),
            "project": detail.get("project"),
            "color": detail.get("color"),
            "categories": list(detail.get("categories") or []),
        }

    def _form_values(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in EDITABLE:
            widget = self.query_one(f"#edit-{name}")
            if isinstance(widget, Select):
                found[name] = None if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                found[name] = (
                    split_names(widget.value) if name == "categories" else widget.value.strip()
                )
        return found

    def _form_edits(self) -> dict[str, Any]:
        """The Details fields whose value differs from the ticket they were filled from."""
        if self.form_source is None or self._details != "ready":
            return {}
        before = self._form_values_of(self.form_source)
        edits = {}
        for name, value in self._form_values().items():
            old = before[name]
            if name == "categories":
                if {c.casefold() for c in value} != {c.casefold() for c in old}:
                    edits[name] = value
            elif name == "subject":
                if value != old.strip():
                    edits[name] = value
            elif value != old:
                edits[name] = value
        return edits

    def _fill_form(self, detail: dict[str, Any]) -> None:
        self.form_source = detail
        values = self._form_values_of(detail)
        self.query_one("#edit-subject", Input).value = values["subject"]
        self.query_one("#edit-categories", Input).value = ", ".join(values["categories"])
        for name in ("status", "priority", "channel", "owner", "project", "color"):
            self._select(name, values[name])
        self.query_one("#edit-channel", Select).disabled = detail.get("kind") == "internal"

    def _select(self, name: str, value: str | None) -> None:
        widget_id = f"edit-{name}"
        select: Select[str] = self.query_one(f"#{widget_id}", Select)
        if value is None:
            if name in ("channel", "owner", "project", "color"):
                select.clear()
            return
        options = self._options.get(widget_id)
        if options is not None and value not in [v for _label, v in options]:
            # A value the choices lack (an inactive user, say) still shows as it is.
            self._set_options(widget_id, [*options, (value, value)])
        select.value = value

    def _apply_edits(self, edits: dict[str, Any]) -> None:
        for name, value in edits.items():
            if name == "subject":
                self.query_one("#edit-subject", Input).value = value
            elif name == "categories":
                self.query_one("#edit-categories", Input).value = ", ".join(value)
            else:
                self._select(name, value)

    def _show_info(self, detail: dict[str, Any]) -> None:
        rows: list[tuple[str, str]] = [(_("Kind"), ticket_kind_label(str(detail.get("kind", ""))))]
        customer = detail.get("customer")
        if customer:
            who = customer.get("name") or ""
            if customer.get("address"):
                who = f"{who} <{customer['address']}>" if who else customer["address"]
            if customer.get("organization"):
                who += f", {customer['organization']}"
            rows.append((_("Customer"), who))
        rows.append((_("Creator"), str(detail.get("creator") or "–")))
        if detail.get("account"):
            rows.append((_("Account"), str(detail["account"])))
        source = source_label(str(detail.get("kind", "")), str(detail.get("origin") or ""))
        if source:
            rows.append((_("Source"), source))
        rows.append((_("Created"), format_time(detail.get("created_at"))))
        rows.append((_("Changed"), format_time(detail.get("updated_at"))))
        first = detail.get("first_message") or {}
        details = first.get("details") or {}
        if details.get("on_behalf_of"):
            rows.append((_("On behalf of"), str(details["on_behalf_of"])))
        form = detail.get("form_values") or {
            key: value for key, value in details.items() if key != "on_behalf_of"
        }
        if form:
            rows.append((_("Form"), ""))
            rows.extend((f"  {key}", value) for key, value in _flatten(form))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in rows:
            grid.add_row(f"{label}:", value)
        self.query_one("#details-info", Static).update(grid)

    def action_save_details(self) -> None:
        source = self.form_source
        if source is None:
            return
        edits = self._form_edits()
        if not edits:
            self.notify(_("Nothing to save."))
            return
        fields: dict[str, Any] = {}
        for name, value in edits.items():
            if name == "categories":
                old = {c.casefold() for c in source.get("categories") or []}
                new = {c.casefold() for c in value}
                fields["add_categories"] = [c for c in value if c.casefold() not in old]
                fields["remove_categories"] = [
                    c for c in source.get("categories") or [] if c.casefold() not in new
                ]
            elif name == "priority":
                fields["priority"] = int(value)
            elif name == "project":
                fields["project"] = value or ""
            elif name == "color":
                fields["color"] = value or "none"
            elif value is not None:
                fields[name] = value
        self._change(source["version"], fields, refill_form=True)

    @on(Button.Pressed, "#details-save")
    def _save_pressed(self) -> None:
        self.action_save_details()

    def _change(self, version: int, fields: dict[str, Any], *, refill_form: bool = False) -> None:
        number, backend = self.number, self.backend

        def failed(error: TixError) -> None:
            if isinstance(error, Conflict):
                self.notify(_("changed by someone else: reloaded"), severity="warning")
                self.reload(refill_form=True)

        self.run_job(
            lambda: backend.change(number, version=version, **fields),
            partial(self._written, refill_form=refill_form),
            failed,
        )

    def _written(
        self, detail: dict[str, Any], *, refill_form: bool = False, notice: str = ""
    ) -> None:
        self._show(detail, own=True, refill_form=refill_form, scroll_end=True)
        if notice:
            self.notify(notice)

    # --- Activities -------------------------------------------------------------------

    def _show_activities(self, detail: dict[str, Any], *, scroll_end: bool) -> None:
        log = self.query_one("#activity-log", ActivityLog)
        first = detail.get("first_message")
        box = self.query_one("#first-message-box")
        box.display = first is not None
        self.query_one("#first-message", Static).update(
            first_message_text(first, detail.get("subject") or "", log.styles_for_text)
        )
        log.show(
            detail.get("activities") or [],
            zone=self.backend.zone,
            subject=detail.get("subject") or "",
            pinned_id=first.get("id") if first else None,
            scroll_end=scroll_end,
        )

    def _open_compose(
        self,
        action: str,
        *,
        text: str = "",
        cc: Iterable[str] = (),
        attachments: Iterable[str] = (),
    ) -> None:
        detail = self.detail
        if detail is None:
            return
        external = detail.get("kind") != "internal"
        customer = (detail.get("customer") or {}).get("address") or ""
        titles = {
            "reply": _("Reply on #{number}"),
            "note": _("Internal note on #{number}"),
            "solve": _("Solution for #{number}"),
        }
        buttons = {"reply": _("Send"), "note": _("Add note"), "solve": _("Solve")}
        if action == "note":
            hint = _("Internal: never sent to the customer.")
        elif external and customer:
            hint = _("Goes by e-mail to {address}.").format(address=customer)
        else:
            hint = _("Goes to the ticket's owner and creator.")
        if action == "solve":
            hint += " " + _("The status becomes solved.")
        dialog = ComposeDialog(
            titles[action].format(number=self.number),
            send_label=buttons[action],
            hint=hint,
            with_cc=external and action != "note",
            text=text,
            cc=", ".join(cc),
            attachments=" ".join(_quoted(path) for path in attachments),
        )

        def composed(result: Composed | None) -> None:
            if result is not None:
                self._write(action, result)

        self.app.push_screen(dialog, composed)

    def _write(self, action: str, composed: Composed) -> None:
        number, backend = self.number, self.backend

        def failed(_error: TixError) -> None:
            # Nothing was written: give the text back rather than lose it.
            self._open_compose(
                action, text=composed.body, cc=composed.cc, attachments=composed.attachments
            )

        self.run_job(
            lambda: backend.write(
                number, action, composed.body, cc=composed.cc, attachments=composed.attachments
            ),
            self._written,
            failed,
        )

    def action_reply(self) -> None:
        self._open_compose("reply")

    def action_note(self) -> None:
        self._open_compose("note")

    def action_solution(self) -> None:
        self._open_compose("solve")

    def _pick(
        self, title: str, options: list[tuple[str, str]], current: str | None, field: str
    ) -> None:
        detail = self.detail
        if detail is None:
            return
        version = detail["version"]

        def picked(value: str | None) -> None:
            if value and value != current:
                self._change(version, {field: value})

        self.app.push_screen(PickDialog(title, options, current=current), picked)

    def action_status(self) -> None:
        if self.detail is not None:
            self._pick(
                _("Status of #{number}").format(number=self.number),
                [(status.value, status.value) for status in TicketStatus],
                self.detail.get("status"),
                "status",
            )

    def action_channel(self) -> None:
        if self.detail is None or self.choices is None:
            return
        if self.detail.get("kind") == "internal":
            self.notify(_("Internal tickets have no channel."), severity="warning")
            return
        self._pick(
            _("Channel of #{number}").format(number=self.number),
            [(name, name) for name in self.choices.channels],
            self.detail.get("channel"),
            "channel",
        )

    def action_owner(self) -> None:
        if self.detail is None or self.choices is None:
            return
        self._pick(
            _("Owner of #{number}").format(number=self.number),
            [(f"{login} – {name}", login) for login, name in self.choices.users],
            self.detail.get("owner"),
            "owner",
        )

    def _today(self) -> str:
        return clock.now().astimezone(self.backend.zone).date().isoformat()

    def action_book_time(self) -> None:
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Book time on #{number}").format(number=number),
            [
                FormField(
                    "duration", _("Duration"), placeholder=_("e.g. 1h30m, 90m, 1.5h"), required=True
                ),
                FormField("day", _("Day"), value=self._today()),
                FormField("note", _("Note")),
                FormField("billable", _("Billable"), value=True, kind="check"),
            ],
            submit_label=_("Book"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if values:
                self.run_job(
                    lambda: backend.book_time(
                        number,
                        values["duration"],
                        day=values["day"],
                        note=values["note"],
                        billable=values["billable"],
                    ),
                    self._written,
                )

        self.app.push_screen(dialog, filled)

    def action_document(self) -> None:
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("New document from #{number}").format(number=number),
            [
                FormField(
                    "kind",
                    _("Type"),
                    value="quote",
                    kind="select",
                    options=[
                        (_("Quote"), "quote"),
                        (_("Order confirmation"), "order"),
                        (_("Invoice"), "invoice"),
                    ],
                    required=True,
                ),
                FormField(
                    "from_times",
                    _("Lines from the unbilled billable times."),
                    value=True,
                    kind="check",
                ),
                FormField(
                    "lines",
                    _("More lines, one a line"),
                    kind="lines",
                    placeholder=_("Description;quantity;unit price"),
                ),
            ],
            submit_label=_("Make"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return

            def job() -> tuple[str, dict[str, Any]]:
                made = backend.new_document(
                    number, values["kind"], from_times=values["from_times"], lines=values["lines"]
                )
                return made, backend.ticket(number)

            def done(result: tuple[str, dict[str, Any]]) -> None:
                self._written(result[1], notice=_("Made {number}.").format(number=result[0]))

            self.run_job(job, done)

        self.app.push_screen(dialog, filled)

    def action_project(self) -> None:
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("New project from #{number}").format(number=number),
            [FormField("name", _("Name"), required=True)],
            hint=_("The ticket is linked to the new project."),
            submit_label=_("Make"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return

            def job() -> tuple[str, dict[str, Any], Choices]:
                name = backend.new_project(values["name"], from_ticket=number)
                return name, backend.ticket(number), backend.choices()

            def done(result: tuple[str, dict[str, Any], Choices]) -> None:
                name, detail, choices = result
                self.choices = choices
                self._fill_choices()
                self._written(detail, notice=_("Made project {name}.").format(name=name))

            self.run_job(job, done)

        self.app.push_screen(dialog, filled)

    # --- Times ------------------------------------------------------------------------

    def _show_times(self) -> None:
        if self.detail is None:
            return
        times = self.detail.get("times") or []
        users = sorted({entry["user"] for entry in times})
        select: Select[str] = self.query_one("#times-user", Select)
        chosen = None if select.value is Select.NULL else str(select.value)
        if self._options.get("times-user") != [(login, login) for login in users]:
            self._set_options("times-user", [(login, login) for login in users])
            if chosen not in users:
                chosen = None
        billable_only = self.query_one("#times-billable", Checkbox).value
        shown = [
            entry
            for entry in times
            if (not billable_only or entry.get("billable"))
            and (chosen is None or entry.get("user") == chosen)
        ]
        table = self.query_one("#times-table", DataTable)
        _refill(
            table,
            (
                (
                    str(entry["id"]),
                    entry.get("date", ""),
                    entry.get("user", ""),
                    Text(format_minutes(int(entry.get("minutes") or 0)), justify="right"),
                    "✓" if entry.get("billable") else "",
                    entry.get("billed") or "",
                    entry.get("note") or "",
                )
                for entry in shown
            ),
        )
        total = sum(int(entry.get("minutes") or 0) for entry in shown)
        billable = sum(int(entry.get("minutes") or 0) for entry in shown if entry.get("billable"))
        line = _("Total: {hours} h in {count} entries").format(
            hours=format_minutes(total), count=len(shown)
        )
        if billable != total:
            line += "  ·  " + _("billable {hours} h").format(hours=format_minutes(billable))
        self.query_one("#times-total", Static).update(line)

    @on(Checkbox.Changed, "#times-billable")
    @on(Select.Changed, "#times-user")
    def _times_filtered(self) -> None:
        self._show_times()

    def action_billable_only(self) -> None:
        box = self.query_one("#times-billable", Checkbox)
        box.value = not box.value

    def action_export_times(self) -> None:
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Export the times of #{number}").format(number=number),
            [FormField("path", _("Excel file"), value=f"~/tix-{number}-times.xlsx", required=True)],
            submit_label=_("Export"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return
            path = values["path"]

            def done(rows: int) -> None:
                self.notify(
                    _("Wrote {count} entries to {file}.").format(
                        count=rows, file=Path(path).expanduser()
                    )
                )

            self.run_job(lambda: backend.export_times(path, number=number), done)

        self.app.push_screen(dialog, filled)

    # --- Watchers ---------------------------------------------------------------------

    def _show_watchers(self, detail: dict[str, Any]) -> None:
        names = dict(self.choices.users) if self.choices is not None else {}
        rows = []
        for watcher in detail.get("watchers") or []:
            if "user" in watcher:
                login = watcher["user"]
                label = f"{login} ({names[login]})" if login in names else login
                rows.append((f"user:{login}", _("User"), label))
            else:
                rows.append((f"group:{watcher['group']}", _("Group"), watcher["group"]))
        self._fill_list("watchers", rows)

    def _fill_list(self, pane: str, rows: list[tuple[Any, ...]]) -> None:
        table = self.query_one(f"#{pane}-table", DataTable)
        _refill(table, rows)
        table.display = bool(rows)
        self.query_one(f"#{pane}-empty").display = not rows

    def _selected(self, pane: str) -> str | None:
        table = self.query_one(f"#{pane}-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def action_add_watcher(self) -> None:
        detail, choices = self.detail, self.choices
        if detail is None or choices is None:
            return
        watching = {
            f"user:{w['user']}" if "user" in w else f"group:{w['group']}"
            for w in detail.get("watchers") or []
        }
        options = [(_("Group") + f": {group}", f"group:{group}") for group in choices.groups] + [
            (_("User") + f": {login} – {name}", f"user:{login}") for login, name in choices.users
        ]
        number, backend = self.number, self.backend

        def picked(value: str | None) -> None:
            if not value:
                return
            kind, name = value.split(":", 1)
            self.run_job(
                lambda: backend.watch(
                    number,
                    user=name if kind == "user" else "",
                    group=name if kind == "group" else "",
                ),
                self._written,
            )

        self.app.push_screen(
            PickDialog(
                _("Add a watcher to #{number}").format(number=number),
                [option for option in options if option[1] not in watching],
            ),
            picked,
        )

    def action_remove_watcher(self) -> None:
        selected = self._selected("watchers")
        if selected is None:
            return
        kind, name = selected.split(":", 1)
        number, backend = self.number, self.backend
        self.run_job(
            lambda: backend.watch(
                number,
                user=name if kind == "user" else "",
                group=name if kind == "group" else "",
                remove=True,
            ),
            self._written,
        )

    # --- Files ------------------------------------------------------------------------

    def _show_files(self, detail: dict[str, Any]) -> None:
        self._fill_list(
            "files",
            [
                (
                    str(item["id"]),
                    item.get("name", ""),
                    Text(human_size(int(item.get("size") or 0)), justify="right"),
                    item.get("content_type") or "",
                    format_time(item.get("created_at")),
                    item.get("uploaded_by") or "",
                )
                for item in detail.get("files") or []
            ],
        )

    def _selected_file(self) -> dict[str, Any] | None:
        selected = self._selected("files")
        if selected is None or self.detail is None:
            return None
        return next((f for f in self.detail.get("files") or [] if str(f["id"]) == selected), None)

    def action_add_file(self) -> None:
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Add files to #{number}").format(number=number),
            [
                FormField(
                    "paths",
                    _("Paths"),
                    placeholder=_("drop files here or type their paths"),
                    required=True,
                )
            ],
            submit_label=_("Add"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if values:
                text = values["paths"]
                self.run_job(lambda: backend.add_files(number, split_paths(text)), self._written)

        self.app.push_screen(dialog, filled)

    def action_save_file(self) -> None:
        found = self._selected_file()
        if found is None:
            return
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Save {name}").format(name=found["name"]),
            [FormField("target", _("Folder or file"), value=default_save_folder(), required=True)],
            submit_label=_("Save"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return
            target = values["target"]

            def done(path: Path) -> None:
                self.notify(
                    _("Saved {file} ({size}).").format(
                        file=path, size=human_size(int(found.get("size") or 0))
                    )
                )

            self.run_job(lambda: backend.save_file(number, int(found["id"]), target), done)

        self.app.push_screen(dialog, filled)

    def action_open_file(self) -> None:
        found = self._selected_file()
        if found is None:
            return
        number, backend = self.number, self.backend

        def job() -> tuple[Path, bool]:
            folder = tempfile.mkdtemp(prefix="tix-")
            path = backend.save_file(number, int(found["id"]), folder)
            opener = system_opener()
            if opener is None:
                return path, False
            subprocess.Popen(  # the viewer outlives this call: no wait
                [*opener, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return path, True

        def done(result: tuple[Path, bool]) -> None:
            path, opened = result
            if opened:
                self.notify(_("Opened {name}.").format(name=path.name))
            else:
                self.notify(
                    _("No program to open it here: saved to {file}.").format(file=path),
                    timeout=10,
                )

        self.run_job(job, done)

    @on(DataTable.RowSelected, "#files-table")
    def _file_chosen(self) -> None:
        self.action_open_file()

    # --- Alarms -----------------------------------------------------------------------

    def _show_alarms(self, detail: dict[str, Any]) -> None:
        vias = {"app": _("app"), "mail": _("e-mail")}
        self._fill_list(
            "alarms",
            [
                (
                    str(alarm["id"]),
                    format_time(alarm.get("due_at")),
                    alarm.get("for") or "",
                    vias.get(alarm.get("via") or "", alarm.get("via") or ""),
                    alarm.get("note") or "",
                    alarm.get("by") or "",
                    format_time(alarm.get("fired_at")),
                )
                for alarm in detail.get("alarms") or []
            ],
        )

    def action_add_alarm(self) -> None:
        if self.choices is None:
            return
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Alarm on #{number}").format(number=number),
            [
                FormField(
                    "when",
                    _("When"),
                    placeholder=_("e.g. tomorrow 9:00, +2h, 2026-12-01 14:00"),
                    required=True,
                ),
                FormField(
                    "recipient",
                    _("For"),
                    value=backend.login,
                    kind="select",
                    options=[(f"{login} – {name}", login) for login, name in self.choices.users],
                    required=True,
                ),
                FormField(
                    "via",
                    _("Delivery"),
                    value="app",
                    kind="select",
                    options=[(_("in the app"), "app"), (_("by e-mail"), "mail")],
                    required=True,
                ),
                FormField(
                    "note", _("Description"), placeholder=_("what to do then"), required=True
                ),
            ],
            submit_label=_("Set alarm"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if values:
                self.run_job(
                    lambda: backend.add_alarm(
                        number,
                        values["when"],
                        values["note"],
                        recipient=values["recipient"],
                        via=values["via"],
                    ),
                    self._written,
                )

        self.app.push_screen(dialog, filled)

    # --- keys -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = ACTION_TABS.get(action)
        if tabs is None:
            return True
        if self.tab not in tabs:
            return False
        if self.detail is None:
            return None
        if action == "channel" and self.detail.get("kind") == "internal":
            return None
        if action in ("remove_watcher",) and not self.detail.get("watchers"):
            return None
        if action in ("save_file", "open_file") and not self.detail.get("files"):
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
        if not self._form_edits():
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


def _refill(table: DataTable[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    """Replace a table's rows, keeping the cursor on the same row number."""
    row = table.cursor_row
    table.clear()
    for key, *cells in rows:
        table.add_row(*cells, key=key)
    if table.row_count:
        table.move_cursor(row=min(max(row, 0), table.row_count - 1), animate=False)


def _quoted(path: str) -> str:
    import shlex

    return shlex.quote(path)


def _flatten(values: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            found.extend(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            found.append((name, ", ".join(str(v) for v in value)))
        elif value is not None:
            found.append((name, str(value)))
    return found


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
