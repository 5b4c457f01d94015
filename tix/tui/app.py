"""The tix terminal UI: ``make_app()`` builds it for ``tix tui`` and for the tests.

The UI never touches the database on its event loop: every question to tix goes
through :meth:`TixApp.background`, which runs the backend call in a worker thread and
hands the answer (or the error, as a notification) back on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.app import App
from textual.binding import Binding

from tix.core.errors import TixError
from tix.core.i18n import _
from tix.tui.backend import Backend
from tix.tui.commands import TixCommands

T = TypeVar("T")


class TixApp(App[None]):
    """The helpdesk for one agent."""

    CSS_PATH = "tix.tcss"
    TITLE = "tix"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {TixCommands}
    BINDINGS = [  # noqa: RUF012
        Binding("ctrl+t", "toggle_theme", _("Theme"), show=False),
        Binding("ctrl+q", "quit", _("Quit"), show=False, priority=True),
        Binding("number_sign", "go_to_ticket", _("Go to ticket"), key_display="#", show=False),
    ]

    def __init__(self, backend: Backend, *, poll_interval: float = 1.0) -> None:
        super().__init__()
        self.backend = backend
        self.poll_interval = poll_interval
        self.opening_ticket: int | None = None
        """The ticket being fetched to be opened (a second open meanwhile is ignored)."""
        self.sub_title = f"{backend.user_name} ({backend.login})"

    def on_mount(self) -> None:
        from tix.tui.screens.ticket_list import TicketListScreen

        self.push_screen(TicketListScreen())
        self.call_after_refresh(self._freeze_startup_objects)

    # Screens open each other through these methods, never through each other's
    # modules: no screen module imports another, and each is imported when first
    # opened (a screen's widgets and styles cost start-up time).

    def open_ticket(self, number: int, *, tab: str = "activities") -> None:
        """Show ticket ``number`` in the ticket view (fetched first: see
        :func:`~tix.tui.screens.ticket_view.open_ticket_view`)."""
        try:
            from tix.tui.screens.ticket_view import open_ticket_view
        except ImportError:
            self.notify(_("The ticket view is not available."), severity="warning")
            return
        open_ticket_view(self, number, tab=tab)

    def open_new_ticket(self, created: Callable[[int | None], None] | None = None) -> None:
        """Show the form for a new ticket; ``created`` gets its number (``None``: cancelled).
        A ticket made there is opened: the agent goes on working on it."""
        try:
            from tix.tui.screens.new_ticket import NewTicketScreen
        except ImportError:
            self.notify(_("The new-ticket form is not available."), severity="warning")
            return

        def done(number: int | None) -> None:
            if created is not None:
                created(number)
            if number is not None:
                self.open_ticket(number)

        self.push_screen(NewTicketScreen(), done)

    def open_documents(self, ticket: int | None = None) -> None:
        """Show the documents (of ``ticket``, or all the user may see)."""
        from tix.tui.screens.documents import DocumentsScreen

        self.push_screen(DocumentsScreen(ticket))

    def open_notifications(self) -> None:
        """Show the user's notifications."""
        from tix.tui.screens.notifications import NotificationsScreen

        self.push_screen(NotificationsScreen())

    def open_dashboard(self) -> None:
        """Show the dashboard: today's queue, the last 30 days, the agents' load."""
        from tix.tui.screens.dashboard import DashboardScreen

        self.push_screen(DashboardScreen())

    def show_tickets(self, spec: Any) -> None:
        """Go back to the ticket list and show the tickets ``spec`` (a ViewSpec) filters,
        the filter bar saying which (the dashboard's figures)."""
        from tix.tui.screens.ticket_list import TicketListScreen

        found = [s for s in self.screen_stack if isinstance(s, TicketListScreen)]
        if not found:
            return
        found[-1].show_spec(spec)
        while self.screen is not found[-1]:
            self.pop_screen()

    def action_go_to_ticket(self) -> None:
        """Ask for a ticket number, then open that ticket (if the agent may see it)."""
        from tix.tui.dialogs.finding import GoToTicketDialog

        def chosen(number: int | None) -> None:
            if number is not None:
                self.open_ticket(number)

        self.push_screen(GoToTicketDialog(), chosen)

    def go_to_number(self, number: int) -> None:
        """Open ticket ``number`` if the agent may see it, else say why (a notification)."""
        from tix.tui.dialogs.finding import go_to_number

        go_to_number(self, number)

    def open_views(self, current: str | None, chosen: Callable[[Any], None]) -> None:
        """The agent's saved views to pick one: ``chosen`` gets a
        :class:`~tix.tui.dialogs.finding.ViewChoice` (``None``: cancelled)."""
        from tix.tui.dialogs.finding import ViewsDialog

        def show(views: list[Any]) -> None:
            self.push_screen(ViewsDialog(views, current), chosen)

        self.background(self.backend.views, then=show, group="views")

    def open_save_view(
        self, spec: Any, saved: Callable[[str | None], None], *, name: str = ""
    ) -> None:
        """Name the filter ``spec`` (a ViewSpec) and save it; ``saved`` gets the name."""
        from tix.tui.dialogs.finding import SaveViewDialog

        self.push_screen(SaveViewDialog(spec, name=name), saved)

    @staticmethod
    def _freeze_startup_objects() -> None:
        """Keep the garbage collector off what start-up made (modules, classes, styles:
        they live as long as the app). Otherwise each full collection walks all of it,
        and one that falls while a long ticket opens holds the screen for ~250 ms."""
        import gc

        gc.collect()
        gc.freeze()

    def on_unmount(self) -> None:
        self.backend.close()

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def background(
        self,
        job: Callable[[], T],
        *,
        then: Callable[[T], None] | None = None,
        failed: Callable[[TixError], None] | None = None,
        group: str = "default",
        exclusive: bool = False,
    ) -> None:
        """Run ``job`` (a backend call) in a worker thread; call ``then`` with its result
        on the UI thread. A TixError becomes an error notification (and ``failed``);
        anything else too, as one line, never a crash."""

        def work() -> None:
            try:
                result = job()
            except TixError as error:
                self.call_from_thread(self._failed, error, failed)
                return
            except Exception as error:
                self.call_from_thread(
                    self._failed,
                    TixError(
                        _("unexpected error: {error} ({hint})").format(
                            error=str(error).splitlines()[0]
                            if str(error)
                            else type(error).__name__,
                            hint=type(error).__name__,
                        )
                    ),
                    failed,
                )
                return
            if then is not None:
                self.call_from_thread(then, result)

        self.run_worker(work, thread=True, group=group, exclusive=exclusive)

    def _failed(self, error: TixError, failed: Callable[[TixError], None] | None) -> None:
        self.notify(error.message, severity="error", timeout=8)
        if failed is not None:
            failed(error)


def make_app(
    *,
    database_url: str | None = None,
    login: str | None = None,
    backend: Backend | None = None,
    poll_interval: float = 1.0,
    language: str | None = None,
) -> TixApp:
    """The app for ``login`` on the configured database (or the given ``backend``).
    Raises a one-line TixError when the database or the user is not there."""
    if backend is None:
        import getpass
        import os

        from tix.core.config import load_settings

        settings = load_settings(database_url=database_url)
        backend = Backend.open(settings, login or os.environ.get("TIX_USER") or getpass.getuser())
    if language:
        import os

        os.environ["TIX_LANG"] = language
    return TixApp(backend, poll_interval=poll_interval)


def run(app: TixApp, **options: Any) -> None:
    app.run(**options)
