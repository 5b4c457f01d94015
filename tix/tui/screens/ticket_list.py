"""The main screen: the ticket list with quick filters, a preview and live refresh.

The list holds only what the agent has scrolled to: the first page of 100 tickets,
then the next page (keyset, after the last row) whenever the cursor or the view comes
near the end. A refresh fetches the loaded range again and hands it to the table,
which diffs it by ticket id and keeps the cursor on the selected ticket. Every
backend call runs in a worker through :meth:`TixApp.background`; answers that arrive
after the filters changed (or after a newer refresh) are dropped.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from tix.core.errors import TixError
from tix.core.i18n import _, ngettext
from tix.core.labels import color_label, status_label, ticket_kind_label
from tix.core.read_models import TicketDetail
from tix.core.services.saved_views import ViewSpec, priority_range_text, sort_choices, sort_label
from tix.core.services.tickets import ticket_reference
from tix.core.views import Cursor, TicketFilter, TicketRow, cursor_of
from tix.tui.widgets.footer import KeyBar
from tix.tui.widgets.ticket_table import TicketTable, format_changed, one_line

if TYPE_CHECKING:
    from tix.core.read_models.bulk import BulkResult
    from tix.core.services.bulk_actions import Target
    from tix.tui.app import TixApp
    from tix.tui.backend import Backend
    from tix.tui.dialogs.bulk import BulkRequest

T = TypeVar("T")

PAGE = 100
"""Tickets fetched per page."""
REFRESH_PAGE = 1000
"""Page size when the loaded range is fetched again (the largest the core allows)."""
PREVIEW_DELAY = 0.15
"""Seconds the cursor must rest on a ticket before its first message is fetched."""
PREVIEW_CACHE = 64
"""How many fetched tickets the preview keeps (by id and version)."""
MESSAGE_PREVIEW = 4000
"""Characters of the first message shown in the preview."""
POLL_PAUSE_AFTER_ERROR = 30.0
"""Seconds the live refresh waits after the change marker could not be read."""

STATUS_CYCLE: tuple[str | None, ...] = (None, "new", "open", "waiting", "solved", "closed", "all")
"""What ``s`` steps through: None is every status but closed."""


@dataclass(frozen=True)
class ListFilters:
    """The quick filters as the agent set them (names, not ids)."""

    mine: bool = False
    unassigned: bool = False
    status: str | None = None
    """None: every status but closed; ``all``; or one status."""
    channel: str | None = None
    owner: str | None = None
    """A login."""
    category: str | None = None
    min_priority: int | None = None
    search: str | None = None
    max_priority: int | None = None
    color: str | None = None
    """A color mark, or ``none``: tickets without one."""
    sort: str | None = None
    """As ``tix ticket list --sort`` takes it (``-priority``); None: last changed first."""
    project: str | None = None
    customer: str | None = None
    kind: str | None = None
    breached: bool = False
    """Only tickets whose next SLA deadline has passed."""
    due_within: str | None = None
    """Only tickets due within this much business time (``2h``), as a view keeps it."""
    not_breached: bool = False
    """Only tickets whose next SLA deadline has not passed yet."""

    @property
    def active(self) -> bool:
        return self != ListFilters()

    def to_spec(self) -> ViewSpec:
        """These filters as a saved view keeps them (several statuses: comma-separated)."""
        statuses = tuple(s for s in (self.status or "").split(",") if s and s != "all")
        return ViewSpec(
            mine=self.mine,
            unassigned=self.unassigned,
            statuses=statuses,
            all_statuses=self.status == "all",
            channel=self.channel,
            owner=self.owner,
            category=self.category,
            project=self.project,
            customer=self.customer,
            kind=self.kind,
            min_priority=self.min_priority,
            max_priority=self.max_priority,
            color=self.color,
            search=self.search or None,
            sort=self.sort,
            breached=self.breached,
            due_within=self.due_within,
            not_breached=self.not_breached,
        )

    @classmethod
    def from_spec(cls, spec: ViewSpec) -> ListFilters:
        return cls(
            mine=spec.mine,
            unassigned=spec.unassigned,
            status="all" if spec.all_statuses else ",".join(spec.statuses) or None,
            channel=spec.channel,
            owner=spec.owner,
            category=spec.category,
            min_priority=spec.min_priority,
            search=spec.search,
            max_priority=spec.max_priority,
            color=spec.color,
            sort=spec.sort,
            project=spec.project,
            customer=spec.customer,
            kind=spec.kind,
            breached=spec.breached,
            due_within=spec.due_within,
            not_breached=spec.not_breached,
        )

    def next_status(self) -> ListFilters:
        position = STATUS_CYCLE.index(self.status) if self.status in STATUS_CYCLE else 0
        return replace(self, status=STATUS_CYCLE[(position + 1) % len(STATUS_CYCLE)])

    def parts(self) -> list[tuple[str, str]]:
        """(label, value) of each filter for the filter bar; the status always shows."""
        if self.status is None:
            status = _("not closed")
        elif self.status == "all":
            status = _("all")
        else:
            status = ", ".join(status_label(part) for part in self.status.split(","))
        found = [(_("Status"), status)]
        if self.mine:
            found.append((_("mine"), ""))
        if self.unassigned:
            found.append((_("unassigned"), ""))
        if self.channel:
            found.append((_("Channel"), self.channel))
        if self.owner:
            found.append((_("Owner"), self.owner))
        if self.category:
            found.append((_("Category"), self.category))
        if self.max_priority is not None:
            found.append((_("Priority"), priority_range_text(self.min_priority, self.max_priority)))
        elif self.min_priority:
            found.append((_("Priority"), f"≥ {self.min_priority}"))
        if self.search:
            found.append((_("Search"), f"“{self.search}”"))
        found += self._more_parts()
        return found

    def _more_parts(self) -> list[tuple[str, str]]:
        """The filters a saved view or the palette may add."""
        found: list[tuple[str, str]] = []
        if self.color:
            found.append(
                (_("Color"), _("none") if self.color == "none" else color_label(self.color))
            )
        if self.project:
            found.append((_("Project"), self.project))
        if self.customer:
            found.append((_("Customer"), self.customer))
        if self.kind:
            found.append((_("Kind"), ticket_kind_label(self.kind)))
        if self.breached:
            found.append((_("SLA breached"), ""))
        if self.due_within:
            found.append((_("SLA due within"), self.due_within))
        if self.not_breached:
            found.append((_("SLA not breached yet"), ""))
        if self.sort:
            found.append((_("Sort"), sort_label(self.sort)))
        return found


def resolve_filters(backend: Backend, filters: ListFilters) -> TicketFilter:
    """The core's filter for ``filters`` (in a worker: names are looked up).

    Raises NotFound for a channel, owner, project or customer that is no longer there."""
    return backend.filter_of(filters.to_spec())


def fetch_range(
    backend: Backend, query: TicketFilter, count: int, *, page: int = REFRESH_PAGE
) -> tuple[list[TicketRow], bool]:
    """The first ``count`` rows of ``query`` (keyset pages); and whether more follow."""
    rows: list[TicketRow] = []
    after: Cursor | None = None
    while len(rows) < count:
        limit = min(page, count - len(rows))
        found = backend.page(query, after=after, limit=limit)
        rows.extend(found)
        if len(found) < limit:
            return rows, False
        after = cursor_of(found[-1], searching=bool(query.search))
    return rows, True


@dataclass(frozen=True)
class Loaded:
    """A worker's answer for the list."""

    query: TicketFilter
    rows: list[TicketRow]
    more: bool
    unread: int
    marker: tuple[int, ...] | None = None


class PickerScreen(ModalScreen[str | None]):
    """Choose one value for a filter; the first option clears it. Escape: no change."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", _("Back"))]

    def __init__(self, title: str, options: Sequence[tuple[str, str]], current: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.options = [("", _("(any)")), *options]
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.title_text, id="picker-title")
            yield OptionList(
                *(Option(label, id=f"v:{value}") for value, label in self.options),
                id="picker-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        values = [value for value, _label in self.options]
        options.highlighted = values.index(self.current) if self.current in values else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss((event.option.id or "v:")[2:])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TicketPreview(VerticalScroll):
    """The selected ticket: its facts from the list row at once, its first message
    when the worker brings it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.number: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="preview-head")
        yield Static(id="preview-facts")
        yield Static(id="preview-message")

    def show_row(self, row: TicketRow | None, app: TixApp) -> None:
        head = self.query_one("#preview-head", Static)
        facts = self.query_one("#preview-facts", Static)
        message = self.query_one("#preview-message", Static)
        if row is None:
            self.number = None
            head.update("")
            facts.update(Text(_("No ticket selected."), style="dim"))
            message.update("")
            return
        changed = self.number != row.number
        self.number = row.number
        head.update(Text.assemble((f"#{row.number}  ", "bold"), (one_line(row.subject), "bold")))
        parts: list[tuple[str, str]] = [
            (_("Status"), status_label(row.status)),
            (_("Priority"), str(row.priority)),
            (_("Owner"), row.owner),
            (_("Channel"), row.channel or _("internal")),
            (_("Project"), row.project or "—"),
        ]
        if row.customer is not None:
            who = row.customer + (f" <{row.customer_address}>" if row.customer_address else "")
            parts.append((_("Customer"), who))
        else:
            parts.append((_("Creator"), row.creator or "—"))
        if row.categories:
            parts.append((_("Categories"), ", ".join(row.categories)))
        parts.append((_("Changed"), format_changed(row.updated_at, app.backend.zone)))
        text = Text()
        for index, (label, value) in enumerate(parts):
            if index:
                text.append("  ·  ", style="dim")
            text.append(f"{label}: ", style="dim")
            text.append(value)
        facts.update(text)
        if changed:
            message.update(Text(_("Loading…"), style="dim"))
            self.scroll_home(animate=False)

    def show_detail(self, detail: TicketDetail, app: TixApp) -> None:
        message = self.query_one("#preview-message", Static)
        first = detail.first_message
        if not first:
            message.update(Text(_("No message yet."), style="dim"))
            return
        text = Text()
        text.append(_("First message"), style="bold")
        byline = [first.author or ""]
        if first.created_at:
            moment = datetime.fromisoformat(first.created_at)
            byline.append(format_changed(moment, app.backend.zone))
        text.append("  " + " · ".join(part for part in byline if part), style="dim")
        text.append("\n")
        body = (first.body or "").strip()
        if len(body) > MESSAGE_PREVIEW:
            body = body[:MESSAGE_PREVIEW] + "…"
        text.append(body)
        message.update(text)


class TicketListScreen(Screen[None]):
    """Every ticket the agent may see, newest change first."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (140, "-wide")]  # noqa: RUF012
    """Narrow: the preview below the list; wide: on its right."""
    AUTO_FOCUS = "#tickets"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "toggle_mine", _("Mine")),
        Binding("u", "toggle_unassigned", _("Unassigned")),
        Binding("s", "cycle_status", _("Status")),
        Binding("c", "pick_channel", _("Channel")),
        Binding("o", "pick_owner", _("Owner")),
        Binding("g", "pick_category", _("Category")),
        Binding("p", "pick_priority", _("Priority")),
        Binding("slash", "search", _("Search"), key_display="/"),
        Binding("x", "clear_filters", _("Clear")),
        Binding("n", "notifications", _("Notifications")),
        Binding("N", "new_ticket", _("New ticket"), key_display="N"),
        Binding("ctrl+t", "app.toggle_theme", _("Theme"), key_display="^t"),
        Binding("q", "quit", _("Quit")),
        Binding("escape", "escape", _("Clear"), show=False),
        Binding("asterisk", "mark_matching", _("Mark all"), key_display="*", show=False),
        Binding("minus", "clear_marks", _("Clear marks"), key_display="-", show=False),
        Binding("b", "bulk", _("Bulk action"), show=False),
        Binding("v", "pick_view", _("Views"), show=False),
        Binding("V", "save_view", _("Save view"), key_display="V", show=False),
        Binding("C", "pick_color", _("Color"), key_display="C", show=False),
        Binding("S", "pick_sort", _("Sort"), key_display="S", show=False),
        Binding("d", "dashboard", _("Dashboard"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = ListFilters()
        """The filters as shown in the filter bar."""
        self._shown_filters = ListFilters()
        """The filters of the rows in the table (what to go back to when one fails)."""
        self._query: TicketFilter | None = None
        """The core's filter of the rows in the table."""
        self._loading = False
        """Whether a first page for new filters is on its way (a refresh would be stale)."""
        self._generation = 0
        """Counts filter changes: answers for older filters are dropped."""
        self._epoch = 0
        """Counts applied refreshes: a next page fetched before one is dropped."""
        self._loading_more = False
        self._refreshing = False
        self._refresh_again = False
        self._select_after_refresh: int | None = None
        self._marker: tuple[int, ...] | None = None
        self._polling = False
        self._poll_resumes_at = 0.0
        self._unread: int | None = None
        self._preview_timer: Timer | None = None
        self._preview_cache: OrderedDict[tuple[int, int], TicketDetail] = OrderedDict()
        self._previewed_once = False
        self._started = False
        self._back_from_picker = False
        self.view_name: str | None = None
        """The saved view last shown or saved (shown in the bar while its filters hold)."""
        self.view_filters: ListFilters | None = None

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    @property
    def table(self) -> TicketTable:
        return self.query_one("#tickets", TicketTable)

    def _alive(self) -> bool:
        """Whether the widgets are there (an answer may arrive while the app closes)."""
        return self.is_attached and bool(self.query("#tickets"))

    def _background(
        self,
        job: Callable[[], T],
        *,
        then: Callable[[T], None] | None = None,
        failed: Callable[[TixError], None] | None = None,
        group: str = "default",
        exclusive: bool = False,
    ) -> None:
        """:meth:`TixApp.background`, answers dropped once this screen is gone."""

        def answer(result: T) -> None:
            if then is not None and self._alive():
                then(result)

        def failure(error: TixError) -> None:
            if failed is not None and self._alive():
                failed(error)

        self.tix.background(job, then=answer, failed=failure, group=group, exclusive=exclusive)

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="filter-bar"):
            yield Static(id="filters")
            yield Static(id="bell")
        yield Input(placeholder=_("Search: words, Enter applies, Escape clears"), id="search")
        with Container(id="list-body"):
            yield TicketTable(self.tix.backend.zone, id="tickets")
            yield TicketPreview(id="preview")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        self._update_bar()
        self._load(initial=True)
        if self.tix.poll_interval > 0:
            self.set_interval(self.tix.poll_interval, self._poll)

    def on_screen_resume(self) -> None:
        # back from a ticket, a new ticket or the notifications: show what changed there
        if self._back_from_picker:
            self._back_from_picker = False
        elif self._started:
            self.refresh_rows()

    # --- loading --------------------------------------------------------------------

    def _load(self, *, initial: bool = False) -> None:
        """Fetch the first page for the current filters."""
        self._generation += 1
        self._loading = True
        generation = self._generation
        backend = self.tix.backend
        filters = self.filters
        self._update_bar(loading=True)

        def job() -> Loaded:
            marker = backend.change_marker() if initial else None
            query = resolve_filters(backend, filters)
            rows, more = fetch_range(backend, query, PAGE, page=PAGE)
            return Loaded(query, rows, more, backend.unread_count(), marker)

        self._background(
            job,
            then=lambda loaded: self._loaded(generation, filters, loaded),
            failed=lambda error: self._load_failed(generation, error),
            group="list",
        )

    def _loaded(self, generation: int, filters: ListFilters, loaded: Loaded) -> None:
        if generation != self._generation:
            return
        self._started = True
        self._loading = False
        self._epoch += 1
        self._query = loaded.query
        self._shown_filters = filters
        if loaded.marker is not None:
            self._marker = loaded.marker
        self._unread = loaded.unread
        table = self.table
        with self.app.batch_update():
            table.placeholder = _("No tickets match.")
            table.set_more_coming(loaded.more)
            table.set_rows(loaded.rows, from_top=True)
            self._update_bar()
        if self._select_after_refresh is not None:
            self.refresh_rows()

    def _load_failed(self, generation: int, error: TixError) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if not self._started:
            self.table.clear(placeholder=error.message)
        self.filters = self._shown_filters
        self._update_bar()

    def on_ticket_table_near_end(self, message: TicketTable.NearEnd) -> None:
        message.stop()
        self._load_more()

    def _load_more(self) -> None:
        table = self.table
        query = self._query
        if self._loading_more or query is None or not table.more_coming or not table.rows:
            return
        self._loading_more = True
        last = table.rows[-1]
        token = (self._generation, self._epoch, last.id)
        backend = self.tix.backend

        def job() -> list[TicketRow]:
            return backend.page(
                query, after=cursor_of(last, searching=bool(query.search)), limit=PAGE
            )

        def done(rows: list[TicketRow]) -> None:
            self._loading_more = False
            current = self.table.rows
            if token != (self._generation, self._epoch, current[-1].id if current else None):
                return
            with self.app.batch_update():
                self.table.set_more_coming(len(rows) == PAGE)
                self.table.append_rows(rows)
                self._update_bar()
            self.table.check_near_end()

        def failed(_error: TixError) -> None:
            self._loading_more = False

        self._background(job, then=done, failed=failed, group="list-more")

    def refresh_rows(self, *, select_number: int | None = None) -> None:
        """Fetch the loaded range again and diff it into the table (cursor stays)."""
        if select_number is not None:
            self._select_after_refresh = select_number
        if self._query is None or self._loading:
            return  # what is loading now is fresh
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        generation = self._generation
        query = self._query
        table = self.table
        # The loaded range down to a page below what is in view: rows further down
        # (an agent who once held Page Down) are dropped and paged in again when
        # needed, so that a refresh costs what is on screen, not what was ever loaded.
        seen = max(table.cursor, round(table.scroll_y) + table.size.height)
        count = max(PAGE, min(len(table.rows), seen + PAGE))
        backend = self.tix.backend

        def job() -> Loaded:
            rows, more = fetch_range(backend, query, count)
            return Loaded(query, rows, more, backend.unread_count())

        self._background(
            job,
            then=lambda loaded: self._refreshed(generation, loaded),
            failed=lambda _error: self._refresh_done(),
            group="list-refresh",
        )

    def _refreshed(self, generation: int, loaded: Loaded) -> None:
        if generation == self._generation:
            self._epoch += 1
            self._unread = loaded.unread
            with self.app.batch_update():
                self.table.set_more_coming(loaded.more)
                self.table.set_rows(loaded.rows)
                self._update_bar()
            number = self._select_after_refresh
            if number is not None:
                self._select_after_refresh = None
                if not self.table.select_number(number):
                    self.notify(
                        _("#{number} does not match the filters: press x to show all").format(
                            number=number
                        )
                    )
        self._refresh_done()

    def _refresh_done(self) -> None:
        self._refreshing = False
        if self._refresh_again:
            self._refresh_again = False
            self.refresh_rows()

    # --- live refresh ---------------------------------------------------------------

    def _poll(self) -> None:
        if self._polling or not self._started or not self.is_current:
            return  # under another screen: refreshed when it comes back
        if time.monotonic() < self._poll_resumes_at:
            return
        self._polling = True

        def failed(_error: TixError) -> None:
            # said once (as a notification); not again every second while it lasts
            self._polling = False
            self._poll_resumes_at = time.monotonic() + POLL_PAUSE_AFTER_ERROR

        self._background(
            self.tix.backend.change_marker, then=self._marker_seen, failed=failed, group="poll"
        )

    def _marker_seen(self, marker: tuple[int, ...]) -> None:
        self._polling = False
        if marker != self._marker:
            self._marker = marker
            self.refresh_rows()

    # --- the filter bar -------------------------------------------------------------

    def _update_bar(self, *, loading: bool = False) -> None:
        text = Text()
        if self._shown_view() is not None:
            text.append(f"{_('View')}: ", style="dim")
            text.append(f"{self._shown_view()}  ", style="bold")
        for index, (label, value) in enumerate(self.filters.parts()):
            if index:
                text.append(" · ", style="dim")
            if value:
                text.append(f"{label}: ", style="dim")
                text.append(value, style="bold")
            else:
                text.append(label, style="bold")
        if self._alive():
            rows = self.table.rows
            if loading:
                text.append("  …", style="dim")
            elif self._started:
                count = f"{len(rows)}+" if self.table.more_coming else str(len(rows))
                text.append(f"  ({count})", style="dim")
            self._append_marks(text)
            self.query_one("#filters", Static).update(text)
            bell = self.query_one("#bell", Static)
            bell.update(f"🔔 {self._unread}" if self._unread is not None else "🔔")
            bell.set_class(bool(self._unread), "-unread")

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "bell":
            self.action_notifications()

    def apply_filters(self, filters: ListFilters) -> None:
        """Show the tickets that match ``filters`` (from the top)."""
        if filters == self.filters and self._started:
            return  # (not yet started: the first load failed, so this tries again)
        self.filters = filters
        self._load()

    def action_toggle_mine(self) -> None:
        self.apply_filters(replace(self.filters, mine=not self.filters.mine))

    def action_toggle_unassigned(self) -> None:
        self.apply_filters(replace(self.filters, unassigned=not self.filters.unassigned))

    def action_cycle_status(self) -> None:
        self.apply_filters(self.filters.next_status())

    def action_clear_filters(self) -> None:
        search = self.query_one("#search", Input)
        search.value = ""
        search.display = False
        self.apply_filters(ListFilters())
        self.table.focus()

    def _pick(
        self,
        title: str,
        options: Callable[[Any], Sequence[tuple[str, str]]],
        current: str,
        chosen: Callable[[str], ListFilters],
    ) -> None:
        def show(choices: Any) -> None:
            def picked(value: str | None) -> None:
                if value is not None:
                    self.apply_filters(chosen(value))

            self._back_from_picker = True
            self.app.push_screen(PickerScreen(title, options(choices), current), picked)

        self._background(self.tix.backend.choices, then=show, group="choices")

    def action_pick_channel(self) -> None:
        self._pick(
            _("Channel"),
            lambda choices: [(name, name) for name in choices.channels],
            self.filters.channel or "",
            lambda value: replace(self.filters, channel=value or None),
        )

    def action_pick_owner(self) -> None:
        self._pick(
            _("Owner"),
            lambda choices: [(login, f"{name} ({login})") for login, name in choices.users],
            self.filters.owner or "",
            lambda value: replace(self.filters, owner=value or None),
        )

    def action_pick_category(self) -> None:
        self._pick(
            _("Category"),
            lambda choices: [(name, name) for name in choices.categories],
            self.filters.category or "",
            lambda value: replace(self.filters, category=value or None),
        )

    def action_pick_priority(self) -> None:
        options = [(str(level), f"≥ {level}") for level in range(9, 1, -1)]

        def picked(value: str | None) -> None:
            if value is not None:
                self.apply_filters(
                    replace(self.filters, min_priority=int(value) if value else None)
                )

        self._back_from_picker = True
        self.app.push_screen(
            PickerScreen(_("Priority"), options, str(self.filters.min_priority or "")), picked
        )

    # --- color, sort and saved views ---------------------------------------------------

    def action_pick_color(self) -> None:
        from tix.core.validation import COLORS

        options = [(color, color_label(color)) for color in COLORS]
        options.append(("none", _("without a color")))

        def picked(value: str | None) -> None:
            if value is not None:
                self.apply_filters(replace(self.filters, color=value or None))

        self._back_from_picker = True
        self.app.push_screen(PickerScreen(_("Color"), options, self.filters.color or ""), picked)

    def action_pick_sort(self) -> None:
        options = [(sort, label) for sort, label in sort_choices() if sort != "-updated"]

        def picked(value: str | None) -> None:
            if value is not None:
                self.apply_filters(replace(self.filters, sort=value or None))

        self._back_from_picker = True
        picker = PickerScreen(_("Sort"), options, self.filters.sort or "")
        picker.options[0] = ("", _("Last changed first"))
        self.app.push_screen(picker, picked)

    def show_view(self, name: str, spec: ViewSpec) -> None:
        """Show the tickets of the saved view ``name`` (its filters and sort)."""
        filters = ListFilters.from_spec(spec)
        self.view_name, self.view_filters = name, filters
        self.apply_filters(filters)
        self._update_bar()

    def show_spec(self, spec: ViewSpec) -> None:
        """Show the tickets ``spec`` filters (a dashboard figure's): the bar names them."""
        self.view_name = None
        self.apply_filters(ListFilters.from_spec(spec))

    def action_pick_view(self) -> None:
        def chosen(choice: Any) -> None:
            if choice is not None:
                self.show_view(choice.name, choice.spec)

        self._back_from_picker = True
        self.tix.open_views(self._shown_view(), chosen)

    def action_save_view(self) -> None:
        def saved(name: str | None) -> None:
            if name is not None:
                self.view_name = name
                self.view_filters = self.filters
                self._update_bar()
                self.notify(_("Saved view {name}.").format(name=name))

        self._back_from_picker = True
        self.tix.open_save_view(self.filters.to_spec(), saved, name=self._shown_view() or "")

    def _shown_view(self) -> str | None:
        """The name of the saved view the list shows, while its filters are unchanged."""
        if self.view_name is not None and self.view_filters == self.filters:
            return self.view_name
        return None

    # --- search ---------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.value = self.filters.search or ""
        search.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "search":
            return
        event.stop()
        text = event.value.strip()
        event.input.display = False
        self.table.focus()
        number = ticket_reference(text)
        if number is not None:  # 1196, #1196, Ticket#1196: that ticket, not a word search
            event.input.value = self.filters.search or ""
            self.tix.go_to_number(number)
            return
        self.apply_filters(replace(self.filters, search=text or None))

    def action_escape(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus or search.display:
            search.value = ""
            search.display = False
            self.table.focus()
            self.apply_filters(replace(self.filters, search=None))
        elif self.filters.active:
            self.action_clear_filters()

    # --- marks and bulk actions (tix/tui/dialogs/bulk.py) -----------------------------

    _bulk_progress: tuple[int, int] | None = None
    """(done, of) while a bulk action runs."""

    def _append_marks(self, text: Text) -> None:
        """The marks (and a running bulk action) at the end of the filter bar."""
        if self._bulk_progress is not None:
            done, total = self._bulk_progress
            text.append("  " + _("working: {done} of {total}…").format(done=done, total=total))
            return
        count = len(self.table.marks)
        if count:
            text.append("  " + _("✓ {count} marked").format(count=count), style="bold")
            text.append("  " + _("b bulk action · - clear marks"), style="dim")

    def on_ticket_table_marks_changed(self, message: TicketTable.MarksChanged) -> None:
        message.stop()
        self._update_bar()

    def action_mark_matching(self) -> None:
        """Mark every ticket that matches the filters, on every page (not only those
        loaded)."""
        query = self._query
        if query is None:
            return
        backend = self.tix.backend

        def marked(found: list[tuple[int, Target]]) -> None:
            added = self.table.add_marks(found)
            self.notify(
                ngettext(
                    "Marked {count} ticket that matches the filters.",
                    "Marked {count} tickets that match the filters.",
                    added,
                ).format(count=added)
            )

        self.notify(_("Marking every ticket that matches…"), timeout=3)
        self._background(lambda: backend.matching(query), then=marked, group="marks")

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_bulk(self) -> None:
        """Ask what to do to the marked tickets, confirm, do it in a worker, sum up."""
        from tix.tui.dialogs import bulk

        marks = self.table.marks
        if not marks:
            self.notify(_("Mark tickets first: Space marks one, * all that match."))
            return
        if self._bulk_progress is not None:
            self.notify(_("A bulk action is still running."), severity="warning")
            return

        def chosen(request: bulk.BulkRequest | None) -> None:
            if request is not None:
                self._run_bulk(request, marks)

        def ask(choices: Any) -> None:
            self._back_from_picker = True
            numbers = [target.number for target in marks.values()]
            bulk.ask(self.app, len(marks), choices, chosen, marked=numbers)

        self._background(self.tix.backend.choices, then=ask, group="choices")

    def _run_bulk(self, request: BulkRequest, marks: dict[int, Target]) -> None:
        from tix.tui.dialogs.bulk import BulkSummaryDialog

        ids = {target.number: ticket_id for ticket_id, target in marks.items()}
        targets = [
            target
            for target in marks.values()
            if not (request.action == "merge" and str(target.number) == request.value)
        ]
        backend = self.tix.backend
        self._bulk_progress = (0, len(targets))
        self._update_bar()

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._bulk_progressed, done, total)

        def finished(results: list[BulkResult]) -> None:
            self._bulk_progress = None
            self.table.clear_marks(ids[r.number] for r in results if r.ok and r.number in ids)
            target_id = ids.get(int(request.value)) if request.action == "merge" else None
            if target_id is not None:  # merged into: no longer one to act on
                self.table.clear_marks([target_id])
            self._update_bar()
            self.refresh_rows()
            self._back_from_picker = True
            self.app.push_screen(BulkSummaryDialog(request, results))

        def failed(_error: TixError) -> None:
            self._bulk_progress = None
            self._update_bar()

        self._background(
            lambda: backend.bulk(request, targets, progress),
            then=finished,
            failed=failed,
            group="bulk",
        )

    def _bulk_progressed(self, done: int, total: int) -> None:
        if self._bulk_progress is not None and self._alive():
            self._bulk_progress = (done, total)
            self._update_bar()

    # --- the preview ----------------------------------------------------------------

    def on_ticket_table_highlighted(self, message: TicketTable.Highlighted) -> None:
        message.stop()
        row = message.row
        preview = self.query_one("#preview", TicketPreview)
        preview.show_row(row, self.tix)
        if self._preview_timer is not None:
            self._preview_timer.stop()
            self._preview_timer = None
        if row is None:
            return
        cached = self._preview_cache.get((row.id, row.version))
        if cached is not None:
            preview.show_detail(cached, self.tix)
        elif not self._previewed_once:
            self._previewed_once = True
            self._fetch_preview(row)
        else:
            self._preview_timer = self.set_timer(PREVIEW_DELAY, lambda: self._fetch_preview(row))

    def _fetch_preview(self, row: TicketRow) -> None:
        self._preview_timer = None
        backend = self.tix.backend

        def shown(detail: TicketDetail) -> None:
            self._preview_cache[(row.id, row.version)] = detail
            while len(self._preview_cache) > PREVIEW_CACHE:
                self._preview_cache.popitem(last=False)
            selected = self.table.selected
            if selected is not None and selected.id == row.id:
                self.query_one("#preview", TicketPreview).show_detail(detail, self.tix)

        self._background(
            lambda: backend.ticket(row.number), then=shown, group="preview", exclusive=True
        )

    # --- other screens --------------------------------------------------------------

    def on_ticket_table_opened(self, message: TicketTable.Opened) -> None:
        message.stop()
        self.open_ticket(message.row.number)

    def open_ticket(self, number: int) -> None:
        self.tix.open_ticket(number)

    def action_new_ticket(self) -> None:
        def created(number: int | None) -> None:
            if number is not None:
                self.refresh_rows(select_number=number)

        self.tix.open_new_ticket(created)

    def action_notifications(self) -> None:
        self.tix.open_notifications()

    def action_dashboard(self) -> None:
        self.tix.open_dashboard()

    def action_quit(self) -> None:
        self.app.exit()
