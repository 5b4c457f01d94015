"""The ticket list: keyed by ticket id, rendered a line at a time.

Why a ``ScrollView`` with ``render_line`` and not a ``DataTable``: the list pages in
from the database as the cursor nears its end, so an agent who holds Page Down through
100,000 tickets ends up with every one of them loaded. A DataTable keeps a renderable
per cell and re-measures its columns as rows arrive; at eleven columns that is more
than a million cells (where Textual's DataTable is known to struggle). Here a loaded
ticket costs one frozen :class:`~tix.core.views.TicketRow`, only the lines on screen
are rendered, and the columns are laid out from the widget's width alone, so the
subject can take exactly the room the other columns leave (toolong's log view works
the same way).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tix.core import clock
from tix.core.business_time import sla_text
from tix.core.datefmt import short_moment_text
from tix.core.i18n import _
from tix.core.labels import children_marker, status_label
from tix.core.views import TicketRow

if TYPE_CHECKING:
    from tix.core.services.bulk_actions import Target

NEAR_END = 30
"""Rows before the end of what is loaded at which the table asks for the next page."""

COLOR_MARKS = {
    "red": "#e5484d",
    "orange": "#f76b15",
    "yellow": "#e2b203",
    "green": "#30a46c",
    "blue": "#0090ff",
    "purple": "#8e4ec6",
    "gray": "#8b8d98",
}
"""The color mark of a ticket as a ● in these colors (readable on dark and light)."""


def format_changed(moment: datetime, zone: tzinfo, now: datetime | None = None) -> str:
    """Today: the time; this year: day and month; else the date (in ``zone``, in the
    language's format)."""
    return short_moment_text(moment, zone, now or clock.now())


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines too) as one space."""
    return " ".join(text.split())


def fit(text: str, width: int, align: Literal["left", "right"] = "left") -> str:
    """``text`` in exactly ``width`` cells: cut with an ellipsis, or padded."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    if align == "right":
        return " " * (width - length) + text
    return text + " " * (width - length)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    minimum: int
    align: Literal["left", "right"] = "left"


SUBJECT_MINIMUM = 24
"""The subject never gets narrower than this (or 30 % of the width): other columns
narrow, then go."""

DROP_ORDER = ("categories", "project", "channel", "owner", "customer", "changed", "sla")
"""Which columns go first when the table is too narrow for all of them."""


def layout_columns(width: int, *, sla: bool = False) -> list[Column]:
    """The columns that fit in ``width`` cells (one space between columns); the
    subject takes what is left. ``sla``: with the SLA time left (where SLAs run)."""
    status_width = max(cell_len(status_label(s)) for s in ("new", "open", "waiting", "solved"))
    wanted = [
        Column("mark", "", 1, 1),
        Column("number", "#", 6, 6, "right"),
        Column("priority", "P", 1, 1),
        Column("status", _("Status"), status_width, min(status_width, 7)),
        Column("subject", _("Subject"), 0, SUBJECT_MINIMUM),
        Column("customer", _("Customer"), 18, 12),
        Column("owner", _("Owner"), 8, 6),
        Column("channel", _("Channel"), 10, 8),
        Column("project", _("Project"), 14, 8),
        Column("categories", _("Categories"), 14, 10),
        Column("changed", _("Changed"), 10, 10, "right"),
        *([Column("sla", _("SLA"), 9, 9, "right")] if sla else []),
    ]
    subject_minimum = max(SUBJECT_MINIMUM, width * 3 // 10)
    dropped: set[str] = set()
    for to_drop in (None, *DROP_ORDER):
        if to_drop is not None:
            dropped.add(to_drop)
        columns = [c for c in wanted if c.key not in dropped]
        others = [c for c in columns if c.key != "subject"]
        room = width - sum(c.width for c in others) - (len(columns) - 1)
        if room < subject_minimum:
            # narrow the wide columns (last first) before giving one up
            narrowed = []
            for column in reversed(others):
                give = min(column.width - column.minimum, max(subject_minimum - room, 0))
                room += give
                narrowed.append(
                    Column(
                        column.key, column.title, column.width - give, column.minimum, column.align
                    )
                )
            others = list(reversed(narrowed))
        if room >= subject_minimum or to_drop == DROP_ORDER[-1]:
            by_key = {c.key: c for c in others}
            return [
                Column("subject", c.title, max(room, 1), c.minimum)
                if c.key == "subject"
                else by_key[c.key]
                for c in columns
            ]
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class RowChanges:
    """What a refresh changed in the table."""

    added: int = 0
    removed: int = 0
    changed: int = 0


class TicketTable(ScrollView, can_focus=True):
    """Tickets, one a line, with a fixed header line and a row cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", _("Show"), show=True),
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
        Binding("space", "toggle_mark", _("Mark"), show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ticket-table--header",
        "ticket-table--cursor",
        "ticket-table--muted",
        "ticket-table--number",
        "ticket-table--status-new",
        "ticket-table--status-open",
        "ticket-table--status-waiting",
        "ticket-table--status-solved",
        "ticket-table--status-closed",
        "ticket-table--priority-high",
        "ticket-table--priority-low",
        "ticket-table--sla-breached",
        "ticket-table--marked",
    }

    class Highlighted(Message):
        """The cursor is on another ticket (or the ticket under it changed)."""

        def __init__(self, row: TicketRow | None) -> None:
            super().__init__()
            self.row = row

    class Opened(Message):
        """Enter or a double click on a ticket."""

        def __init__(self, row: TicketRow) -> None:
            super().__init__()
            self.row = row

    class NearEnd(Message):
        """The cursor or the view is near the last loaded row: time for the next page."""

    class MarksChanged(Message):
        """Tickets were marked or unmarked (for a bulk action)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, zone: tzinfo, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.zone = zone
        self._rows: list[TicketRow] = []
        self._index: dict[int, int] = {}
        """Ticket id -> position in ``_rows``."""
        self._cursor = 0
        self._columns: list[Column] = []
        self._columns_width = -1
        self._with_sla = False
        """Whether a loaded ticket has an SLA clock: then the list shows the column."""
        self._part_styles: dict[str, Style] = {}
        self.placeholder = _("Loading…")
        """Shown while there are no rows."""
        self.more_coming = False
        """Whether another page may follow the loaded rows (shown as a last line)."""
        self._marks: dict[int, Target] = {}
        """Marked tickets: id -> number and the version the agent saw when marking."""

    # --- data -----------------------------------------------------------------------

    @property
    def rows(self) -> Sequence[TicketRow]:
        return self._rows

    @property
    def cursor(self) -> int:
        return self._cursor

    @property
    def selected(self) -> TicketRow | None:
        return self._rows[self._cursor] if 0 <= self._cursor < len(self._rows) else None

    def index_of(self, ticket_id: int) -> int | None:
        return self._index.get(ticket_id)

    def set_rows(self, rows: Iterable[TicketRow], *, from_top: bool = False) -> RowChanges:
        """Replace the rows with ``rows`` (a fresh fetch of the loaded range), keeping
        the cursor on the selected ticket wherever it moved to (``from_top``: on the
        first row); repaints only lines that changed when the order stayed the same."""
        old_rows, old_index, old_cursor = self._rows, self._index, self._cursor
        before = self.selected
        new_rows = _unique(rows)
        new_index = {row.id: position for position, row in enumerate(new_rows)}
        changes = RowChanges(
            added=sum(1 for row in new_rows if row.id not in old_index),
            removed=sum(1 for row in old_rows if row.id not in new_index),
            changed=sum(
                1 for row in new_rows if row.id in old_index and old_rows[old_index[row.id]] != row
            ),
        )
        same_order = [row.id for row in old_rows] == [row.id for row in new_rows]
        self._rows, self._index = new_rows, new_index
        if from_top:
            self._cursor = 0
            self.scroll_to(y=0, animate=False)
        elif before is not None and before.id in new_index:
            self._cursor = new_index[before.id]
        else:
            self._cursor = min(self._cursor, max(len(new_rows) - 1, 0))
        self._update_size()
        if same_order and old_cursor == self._cursor:
            for position, row in enumerate(new_rows):
                if old_rows[position] != row:
                    self._refresh_row(position)
        else:
            self.refresh()
        self._scroll_to_cursor()
        if self.selected != before:
            self.post_message(self.Highlighted(self.selected))
        self.check_near_end()
        return changes

    def append_rows(self, rows: Iterable[TicketRow]) -> int:
        """Add a next page below the loaded rows (rows already shown are skipped)."""
        added = 0
        for row in rows:
            if row.id in self._index:
                continue
            self._index[row.id] = len(self._rows)
            self._rows.append(row)
            added += 1
        was_empty = added and len(self._rows) == added
        self._update_size()
        self.refresh()
        if was_empty:
            self.post_message(self.Highlighted(self.selected))
        return added

    def clear(self, placeholder: str | None = None) -> None:
        self._rows, self._index, self._cursor = [], {}, 0
        if placeholder is not None:
            self.placeholder = placeholder
        self._update_size()
        self.scroll_to(y=0, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(None))

    def select_id(self, ticket_id: int) -> bool:
        position = self._index.get(ticket_id)
        if position is None:
            return False
        self.move_cursor(position)
        return True

    def select_number(self, number: int) -> bool:
        for position, row in enumerate(self._rows):
            if row.number == number:
                self.move_cursor(position)
                return True
        return False

    # --- marks (for a bulk action) ----------------------------------------------------

    @property
    def marks(self) -> dict[int, Target]:
        """The marked tickets (id -> number and version when marked), in marking order."""
        return dict(self._marks)

    def is_marked(self, ticket_id: int) -> bool:
        return ticket_id in self._marks

    def action_toggle_mark(self) -> None:
        """Mark the ticket under the cursor, or unmark it; the cursor moves on."""
        from tix.core.services.bulk_actions import Target

        row = self.selected
        if row is None:
            return
        if row.id in self._marks:
            del self._marks[row.id]
        else:
            self._marks[row.id] = Target(row.number, row.version)
        self._marks_changed()
        self.move_cursor(self._cursor + 1)

    def add_marks(self, marks: Iterable[tuple[int, Target]]) -> int:
        """Mark these tickets too (those marked already keep their version); how many
        were new."""
        added = 0
        for ticket_id, target in marks:
            if ticket_id not in self._marks:
                self._marks[ticket_id] = target
                added += 1
        self._marks_changed()
        return added

    def clear_marks(self, ticket_ids: Iterable[int] | None = None) -> None:
        """Unmark these tickets (``None``: every one)."""
        if ticket_ids is None:
            self._marks.clear()
        else:
            for ticket_id in ticket_ids:
                self._marks.pop(ticket_id, None)
        self._marks_changed()

    def _marks_changed(self) -> None:
        self._columns_width = -1  # the mark column comes or goes
        self.refresh()
        self.post_message(self.MarksChanged(len(self._marks)))

    # --- cursor ---------------------------------------------------------------------

    @property
    def _visible_rows(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def move_cursor(self, position: int) -> None:
        if not self._rows:
            return
        position = max(0, min(position, len(self._rows) - 1))
        if position == self._cursor:
            self._scroll_to_cursor()
            return
        old, self._cursor = self._cursor, position
        self._refresh_row(old)
        self._refresh_row(position)
        self._scroll_to_cursor()
        self.post_message(self.Highlighted(self.selected))
        self.check_near_end()

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + self._visible_rows:
            self.scroll_to(y=self._cursor - self._visible_rows + 1, animate=False, immediate=True)

    def check_near_end(self) -> None:
        if not self.more_coming:
            return
        bottom = max(self._cursor, round(self.scroll_y) + self._visible_rows)
        if bottom >= len(self._rows) - NEAR_END:
            self.post_message(self.NearEnd())

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.check_near_end()

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self._cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self._cursor + direction * max(self._visible_rows - 1, 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_open(self) -> None:
        if self.selected is not None:
            self.post_message(self.Opened(self.selected))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        position = round(self.scroll_y) + offset.y - 1
        if position >= len(self._rows):
            return
        self.move_cursor(position)
        if event.chain >= 2:
            self.action_open()

    # --- rendering ------------------------------------------------------------------

    def set_more_coming(self, more: bool) -> None:
        """Whether another page may follow (shown as a last line, and asked for)."""
        if more != self.more_coming:
            self.more_coming = more
            self._update_size()
            self.refresh()

    def _update_size(self) -> None:
        with_sla = any(row.sla_left_minutes is not None for row in self._rows)
        if with_sla != self._with_sla:
            self._with_sla, self._columns_width = with_sla, -1
        lines = 1 + len(self._rows) + (1 if self.more_coming else 0)
        self.virtual_size = Size(self.scrollable_content_region.width, lines)

    def part(self, name: str) -> Style:
        """The style of component class ``ticket-table--{name}``, its colors blended
        onto the table's background (theme colors such as $text-muted are translucent,
        and a Rich style has no alpha)."""
        style = self._part_styles.get(name)
        if style is None:
            styles = self.get_component_styles(f"ticket-table--{name}")
            under = self.background_colors[1]
            background = None
            if styles.has_rule("background"):
                under = under + styles.background
                background = under.rich_color
            color = None
            if styles.has_rule("auto_color") and styles.auto_color:  # e.g. "auto 60%"
                color = (under + under.get_contrast_text(styles.color.a)).rich_color
            elif styles.has_rule("color"):
                color = (under + styles.color).rich_color
            style = Style(color=color, bgcolor=background) + styles.text_style
            self._part_styles[name] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._part_styles.clear()

    def on_focus(self, event: events.Focus) -> None:
        self._part_styles.clear()
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self._part_styles.clear()
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self._update_size()
        self._scroll_to_cursor()

    def _refresh_row(self, position: int) -> None:
        if 0 <= position - round(self.scroll_y) < self._visible_rows:
            self.refresh_line(position + 1)  # line 0 is the header

    def columns(self) -> list[Column]:
        width = self.scrollable_content_region.width
        if width != self._columns_width:
            if self._marks:  # a column of its own for the marks, while there are some
                self._columns = [
                    Column("marked", "", 1, 1),
                    *layout_columns(width - 2, sla=self._with_sla),
                ]
            else:
                self._columns = layout_columns(width, sla=self._with_sla)
            self._columns_width = width
        return self._columns

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            header = base + self.part("header")
            text = " ".join(fit(c.title, c.width, c.align) for c in self.columns())
            return Strip([Segment(fit(text, width), header)], width)
        position = round(self.scroll_y) + y - 1
        if position >= len(self._rows):
            note = ""
            muted = base + self.part("muted")
            if not self._rows and y == 1:
                note = self.placeholder
            elif position == len(self._rows) and self.more_coming:
                note = _("more…")
            return Strip([Segment(fit(" " + note if note else "", width), muted)], width)
        return self._render_row(self._rows[position], position == self._cursor, width, base)

    def _render_row(self, row: TicketRow, is_cursor: bool, width: int, base: Style) -> Strip:
        now = clock.now()
        cursor = self.part("cursor") if is_cursor else None
        segments: list[Segment] = []
        for column in self.columns():
            text, style = self._cell(row, column, now)
            cell_style = base + style if style is not None else base
            if cursor is not None:
                cell_style += cursor
            if segments:
                segments.append(Segment(" ", base + cursor if cursor is not None else base))
            segments.append(Segment(fit(text, column.width, column.align), cell_style))
        strip = Strip(segments)
        return strip.crop_extend(0, width, base + cursor if cursor is not None else base)

    def _cell(self, row: TicketRow, column: Column, now: datetime) -> tuple[str, Style | None]:
        key = column.key

        part = self.part
        if key == "marked":
            return ("✓", part("marked")) if row.id in self._marks else ("", None)
        if key == "mark":
            color = COLOR_MARKS.get(row.color or "")
            return ("●", Style(color=color)) if color else ("", None)
        if key == "number":
            return str(row.number), part("number")
        if key == "priority":
            style = (
                part("priority-high")
                if row.priority >= 7
                else part("priority-low")
                if row.priority <= 3
                else None
            )
            return str(row.priority), style
        if key == "status":
            return status_label(row.status), part(f"status-{row.status}") if row.status in {
                "new",
                "open",
                "waiting",
                "solved",
                "closed",
            } else None
        if key == "subject":
            return children_marker(row.open_children, row.children) + one_line(row.subject), None
        if key == "customer":
            if row.customer is not None:
                return one_line(row.customer), None
            return one_line(row.creator or ""), part("muted")
        if key == "owner":
            return row.owner, None
        if key == "channel":
            return (row.channel, None) if row.channel else (_("internal"), part("muted"))
        if key == "project":
            return one_line(row.project or ""), None
        if key == "categories":
            return ", ".join(row.categories), part("muted")
        if key == "changed":
            return format_changed(row.updated_at, self.zone, now), part("muted")
        if key == "sla":
            text = sla_text(row.sla_left_minutes, paused=row.sla_paused)
            if row.sla_breached:
                return text, part("sla-breached")
            return text, part("muted") if row.sla_paused else None
        return "", None


def _unique(rows: Iterable[TicketRow]) -> list[TicketRow]:
    seen: set[int] = set()
    found = []
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            found.append(row)
    return found
