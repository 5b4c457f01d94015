"""The dashboard's figures: tiles of today's queue, the volume and backlog charts and
the agents' load bars.

Every figure that stands for a set of tickets can take the focus; Enter (or a click)
posts :class:`Figure.Chosen` with the ticket list's filter of exactly those tickets,
and the screen opens the list on it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from tix.core.business_time import format_minutes
from tix.core.i18n import _
from tix.core.models import OPEN_STATUSES
from tix.core.services.saved_views import ViewSpec
from tix.core.views import TicketFilter

NOT_DONE = tuple(status.value for status in OPEN_STATUSES)
"""The statuses of the tickets not done yet, as the list's filter names them."""
"""Tickets not done: what the backlog and an agent's load count."""

BAR = "█"
PARTS = " ▏▎▍▌▋▊▉"
"""Eighths of a bar cell, for the agents' load bars."""


def spec_of(query: TicketFilter) -> ViewSpec:
    """The ticket list's filter by names for ``query``, a queue figure's filter (which
    names nothing by id: statuses, unassigned, the SLA conditions)."""
    named = (query.channel_id, query.owner_id, query.project_id, query.customer_id)
    if any(value is not None for value in named):
        raise ValueError("a queue figure's filter names no channel, owner, project or customer")
    return ViewSpec(
        mine=query.mine,
        unassigned=query.unassigned,
        statuses=query.statuses,
        all_statuses=query.all_statuses,
        category=query.category,
        kind=query.kind,
        min_priority=query.min_priority,
        max_priority=query.max_priority,
        color=query.color,
        search=query.search,
        sort=query.sort,
        breached=query.breached,
        due_within=format_minutes(query.due_within) if query.due_within is not None else None,
        not_breached=query.not_breached,
    )


def duration_text(seconds: float | None) -> str:
    """``1h 20m``, ``45m``, ``2d 3h``: a median as people read it; ``—`` for none."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    if days:
        hours = rest // 60
        return f"{days}d {hours}h" if hours else f"{days}d"
    return format_minutes(minutes)


def load_bar(value: int, most: int, width: int) -> str:
    """A bar ``width`` cells long for ``most``, in eighths of a cell."""
    if most <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value / most * width * 8))
    full, part = divmod(eighths, 8)
    return BAR * full + (PARTS[part] if part else "")


class Figure(Widget):
    """A figure that stands for a set of tickets: focusable, Enter opens them."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", _("Show tickets"), key_display="⏎"),
    ]

    class Chosen(Message):
        """Show the tickets of ``spec`` in the ticket list."""

        def __init__(self, figure: Figure, spec: ViewSpec) -> None:
            super().__init__()
            self.figure = figure
            self.spec = spec

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.spec: ViewSpec | None = None
        """The list's filter of exactly this figure's tickets (None: not loaded yet)."""

    def action_choose(self) -> None:
        if self.spec is not None:
            self.post_message(self.Chosen(self, self.spec))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.focus()
        self.action_choose()


class QueueTile(Figure):
    """One figure of today's queue: its name in the border, the count inside."""

    DEFAULT_CSS = """
    QueueTile {
        width: 1fr;
        height: 4;
        border: round $panel-lighten-2;
        content-align: center middle;
        text-align: center;
        &:focus {
            border: round $accent;
            background: $boost;
        }
        .queue-tile--count { text-style: bold; }
        &.-alert .queue-tile--count { color: $error; }
        &.-warning .queue-tile--count { color: $warning; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"queue-tile--count"}

    def __init__(self, label: str, *, id: str, alert: str = "") -> None:
        super().__init__(id=id)
        self.label = label
        self.alert = alert
        """``-alert`` or ``-warning``: the class the tile takes while its count is not 0."""
        self.count: int | None = None

    def show(self, count: int, query: TicketFilter) -> None:
        self.count = count
        self.spec = spec_of(query)
        if self.alert:
            self.set_class(count > 0, self.alert)
        self.refresh()

    def render(self) -> Text:
        """The name (muted), the count under it."""
        text = Text()
        text.append(self.label + "\n", style="dim")
        style = self.get_component_rich_style("queue-tile--count", partial=True)
        text.append("…" if self.count is None else str(self.count), style=style)
        return text


class VolumeChart(Vertical):
    """Tickets opened and solved per day, one sparkline each, with their totals."""

    DEFAULT_CSS = """
    VolumeChart {
        width: 2fr;
        height: 100%;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
        Horizontal { height: 1fr; }
        .chart-label { width: 14; height: 100%; content-align-vertical: middle; }
        Sparkline { width: 1fr; height: 100%; }
        #solved > .sparkline--max-color { color: $success; }
        #solved > .sparkline--min-color { color: $success 30%; }
    }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(classes="chart-label", id="opened-label")
            yield Sparkline([], id="opened")
        with Horizontal():
            yield Static(classes="chart-label", id="solved-label")
            yield Sparkline([], id="solved")

    def on_mount(self) -> None:
        self.border_title = _("Opened and solved, 30 days")

    def show(self, opened: list[int], solved: list[int]) -> None:
        for key, name, values in (("opened", _("Opened"), opened), ("solved", _("Solved"), solved)):
            label = Text()
            label.append(name + " ", style="dim")
            label.append(str(sum(values)), style="bold")
            self.query_one(f"#{key}-label", Static).update(label)
            self.query_one(f"#{key}", Sparkline).data = [float(value) for value in values]


class BacklogChart(Figure):
    """The backlog at each day's end; Enter shows the tickets not done now."""

    DEFAULT_CSS = """
    BacklogChart {
        width: 1fr;
        height: 100%;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
        &:focus { border: round $accent; border-title-color: $text; background: $boost; }
        Sparkline { height: 1fr; }
        .chart-label { height: 1; }
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(classes="chart-label")
        yield Sparkline([])

    def on_mount(self) -> None:
        self.border_title = _("Backlog, 30 days")

    def show(self, now: int, values: list[int]) -> None:
        self.spec = ViewSpec(statuses=NOT_DONE)
        label = Text()
        label.append(_("Not done now") + ": ", style="dim")
        label.append(str(now), style="bold")
        self.query_one(".chart-label", Static).update(label)
        self.query_one(Sparkline).data = [float(value) for value in values]


class AgentLoad(Figure):
    """One agent's open tickets as a bar; Enter shows them."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"agent-load--bar"}
    DEFAULT_CSS = """
    AgentLoad {
        height: 1;
        padding: 0 1;
        &:focus { background: $accent 40%; text-style: bold; }
        .agent-load--bar { color: $accent; }
        &:focus .agent-load--bar { color: $text; }
    }
    """

    def __init__(self, login: str, name: str, count: int, most: int) -> None:
        super().__init__(classes="agent-load")
        self.login = login
        self.agent_name = name
        self.count = count
        self.most = most
        self.spec = ViewSpec(owner=login, statuses=NOT_DONE)

    def update_load(self, name: str, count: int, most: int) -> None:
        self.agent_name, self.count, self.most = name, count, most
        self.refresh()

    def render(self) -> Text:
        width = self.content_size.width
        name_width = min(28, max(12, width // 3))
        count = str(self.count).rjust(len(str(self.most)))
        room = max(width - name_width - len(count) - 2, 0)
        name = f"{self.agent_name} ({self.login})"
        if len(name) > name_width - 1:
            name = name[: name_width - 2] + "…"
        text = Text(name.ljust(name_width))
        bar = self.get_component_rich_style("agent-load--bar", partial=True)
        text.append(load_bar(self.count, self.most, room).ljust(room), style=bar)
        text.append(" " + count, style="bold")
        return text


class AgentLoads(Vertical):
    """The agents with tickets not done, the most loaded first."""

    DEFAULT_CSS = """
    AgentLoads {
        height: 1fr;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        overflow-y: auto;
        .empty { color: $text-muted; padding: 0 1; }
    }
    """

    can_focus = False

    def on_mount(self) -> None:
        self.border_title = _("Open tickets per agent")

    def show(self, loads: list[tuple[str, str, int]]) -> None:
        """``loads``: (login, name, open tickets), in the order to show."""
        rows = list(self.query(AgentLoad))
        most = max((count for _login, _name, count in loads), default=0)
        if [row.login for row in rows] == [login for login, _name, _count in loads]:
            for row, (_login, name, count) in zip(rows, loads, strict=True):
                row.update_load(name, count, most)
            return
        focused = self.screen.focused
        keep = focused.login if isinstance(focused, AgentLoad) else None
        self.remove_children()
        if not loads:
            self.mount(Static(_("No open tickets."), classes="empty"))
            return
        made = [AgentLoad(login, name, count, most) for login, name, count in loads]
        self.mount_all(made)
        for row in made:
            if row.login == keep:
                self.call_after_refresh(row.focus)


class ChartsRow(Horizontal):
    DEFAULT_CSS = """
    ChartsRow { height: 1fr; min-height: 6; max-height: 12; }
    """
