"""The dashboard: today's queue (new, unassigned, overdue, due soon), the last 30 days'
tickets opened and solved and the backlog as charts, the first-response median and the
open tickets per agent.

Opened with ``d`` from the ticket list or "Dashboard" in the palette. Arrows and Tab
move between the figures; Enter on one opens the ticket list filtered to exactly its
tickets (the filter bar says which). It refreshes live as the list does: it polls the
database's change marker and fetches today's figures (a few counts) again when it
moves; the last 30 days (which read the period's history, about a second on 100,000
tickets) at most once a minute, and once a minute anyway, since time alone makes
tickets overdue.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static

from tix.core.errors import TixError
from tix.core.i18n import _, ngettext
from tix.core.read_models.dashboard import DashboardView
from tix.core.read_models.reports import DurationFigure
from tix.tui.widgets.dashboard import (
    AgentLoads,
    BacklogChart,
    ChartsRow,
    Figure,
    QueueTile,
    VolumeChart,
    duration_text,
)
from tix.tui.widgets.footer import KeyBar

if TYPE_CHECKING:
    from tix.tui.app import TixApp

HISTORY_EVERY = 60.0
"""Seconds after which the last 30 days are fetched again (with the next refresh, or on
their own: time alone makes tickets overdue and ends days). Today's figures are
fetched whenever the database changes."""
POLL_PAUSE_AFTER_ERROR = 30.0


class DashboardScreen(Screen[None]):
    """The figures of the helpdesk as the agent may see them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back")),
        Binding("q", "back", _("Back"), show=False),
        Binding("f5", "reload", _("Reload"), show=False),
        Binding("right,down", "app.focus_next", _("Next"), show=False),
        Binding("left,up", "app.focus_previous", _("Previous"), show=False),
    ]
    DEFAULT_CSS = """
    DashboardScreen {
        #queue { height: 4; }
        #first-response { height: auto; padding: 0 1; }
        #dashboard-status { height: auto; padding: 0 1; color: $text-muted; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.figures: DashboardView | None = None
        """What is shown (None until the first answer)."""
        self._history: DashboardView | None = None
        """The last answer with the last 30 days in it."""
        self._history_at = 0.0
        self._marker: tuple[int, ...] | None = None
        self._loading = False
        self._again: bool | None = None
        """A refresh asked for while one ran (True: with the last 30 days)."""
        self._polling = False
        self._poll_resumes_at = 0.0

    @property
    def tix(self) -> TixApp:
        return cast("TixApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="queue"):
            yield QueueTile(_("New"), id="queue-new")
            yield QueueTile(_("Unassigned"), id="queue-unassigned")
            yield QueueTile(_("Overdue"), id="queue-overdue", alert="-alert")
            yield QueueTile(_("Due within 2h"), id="queue-soon", alert="-warning")
        with ChartsRow():
            yield VolumeChart(id="volume")
            yield BacklogChart(id="backlog")
        yield Static(id="first-response")
        yield AgentLoads(id="agents")
        yield Static(_("Loading…"), id="dashboard-status")
        yield KeyBar(hidden=("escape",))

    def on_mount(self) -> None:
        self.query_one("#queue-new").focus()
        self._reload(history=True, initial=True)
        if self.tix.poll_interval > 0:
            self.set_interval(self.tix.poll_interval, self._poll)

    def on_screen_resume(self) -> None:
        if self.figures is not None:
            self._reload(history=self._history_due())

    # --- loading --------------------------------------------------------------------

    def action_reload(self) -> None:
        """F5: every figure again."""
        self._reload(history=True)

    def _history_due(self) -> bool:
        return time.monotonic() - self._history_at >= HISTORY_EVERY

    def _reload(self, *, history: bool, initial: bool = False) -> None:
        if self._loading:
            self._again = bool(self._again) or history
            return
        self._loading = True
        backend = self.tix.backend

        def job() -> tuple[DashboardView, tuple[int, ...] | None]:
            marker = backend.change_marker() if initial else None
            return backend.dashboard(history=history), marker

        def failed(error: TixError) -> None:
            self._loading = False
            self._again = None
            if self.is_attached and self.figures is None:
                self.query_one("#dashboard-status", Static).update(error.message)

        self.tix.background(job, then=self._loaded, failed=failed, group="dashboard")

    def _loaded(self, answer: tuple[DashboardView, tuple[int, ...] | None]) -> None:
        self._loading = False
        if not self.is_attached:
            return
        figures, marker = answer
        if marker is not None:
            self._marker = marker
        if figures.volume is not None:
            self._history, self._history_at = figures, time.monotonic()
        self.figures = figures
        with self.app.batch_update():
            self._show(figures)
        again, self._again = self._again, None
        if again is not None:
            self._reload(history=again)

    def _show(self, figures: DashboardView) -> None:
        queue = figures.queue
        self.query_one("#queue-new", QueueTile).show(queue.new.count, queue.new.filter)
        self.query_one("#queue-unassigned", QueueTile).show(
            queue.unassigned.count, queue.unassigned.filter
        )
        self.query_one("#queue-overdue", QueueTile).show(queue.overdue.count, queue.overdue.filter)
        self.query_one("#queue-soon", QueueTile).show(
            queue.breaching_soon.count, queue.breaching_soon.filter
        )
        history = self._history
        volume = history.volume if history is not None else None
        buckets = volume.buckets if volume is not None else []
        self.query_one("#volume", VolumeChart).show(
            [bucket.opened for bucket in buckets], [bucket.solved for bucket in buckets]
        )
        # the backlog's last day ends now: as many as are not done now
        backlog = [bucket.backlog for bucket in buckets[:-1]] + [figures.not_done]
        self.query_one("#backlog", BacklogChart).show(figures.not_done, backlog)
        if history is not None and history.first_response is not None:
            self.query_one("#first-response", Static).update(
                first_response_text(history.first_response)
            )
        self.query_one("#agents", AgentLoads).show(
            [(row.login, row.name, row.open_tickets) for row in figures.agents]
        )
        status = self.query_one("#dashboard-status", Static)
        status.display = False

    # --- live refresh ---------------------------------------------------------------

    def _poll(self) -> None:
        if self._polling or self.figures is None or not self.is_current:
            return  # under another screen: fetched again when it comes back
        now = time.monotonic()
        if now < self._poll_resumes_at:
            return
        if self._history_due():
            self._reload(history=True)
            return
        self._polling = True

        def seen(marker: tuple[int, ...]) -> None:
            self._polling = False
            if marker != self._marker:
                self._marker = marker
                self._reload(history=self._history_due())

        def failed(_error: TixError) -> None:
            self._polling = False
            self._poll_resumes_at = time.monotonic() + POLL_PAUSE_AFTER_ERROR

        self.tix.background(
            self.tix.backend.change_marker, then=seen, failed=failed, group="dashboard-poll"
        )

    # --- the figures' tickets -------------------------------------------------------

    def on_figure_chosen(self, message: Figure.Chosen) -> None:
        message.stop()
        self.tix.show_tickets(message.spec)

    def action_back(self) -> None:
        self.app.pop_screen()


def first_response_text(figures: list[DurationFigure]) -> Text:
    """``First response, median of 30 days: 1h 20m business time (12 tickets) · …``."""
    text = Text()
    text.append(_("First response, median of 30 days") + ": ", style="dim")
    shown = [figure for figure in figures if figure.tickets]
    if not shown:
        text.append(_("no answered tickets"), style="dim")
        return text
    for index, figure in enumerate(shown):
        if index:
            text.append("  ·  ", style="dim")
        text.append(duration_text(figure.median_seconds), style="bold")
        basis = _("business time") if figure.basis == "business" else _("wall time")
        count = ngettext("{count} ticket", "{count} tickets", figure.tickets).format(
            count=figure.tickets
        )
        text.append(f" {basis} ({count})", style="dim")
    return text
