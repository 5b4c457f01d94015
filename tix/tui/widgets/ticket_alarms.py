"""The ticket view's Alarms tab (Alarme): the ticket's alarms, due and fired; setting one
starts here."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tix.core.i18n import _
from tix.core.read_models import TicketDetail
from tix.tui.dialogs import FormDialog, FormField
from tix.tui.widgets.activity import format_time
from tix.tui.widgets.ticket_pane import ListPane


class TicketAlarms(ListPane):
    """The Alarms tab."""

    def __init__(self, *, number: int) -> None:
        super().__init__(_("Alarms"), number=number, id="alarms")

    def columns(self) -> tuple[str, ...]:
        return (_("Due"), _("For"), _("Via"), _("Description"), _("By"), _("Fired"))

    def compose(self) -> ComposeResult:
        yield DataTable(id="alarms-table", cursor_type="row")
        yield Static(_("No alarms."), id="alarms-empty", classes="empty")

    def show(self, detail: TicketDetail) -> None:
        super().show(detail)
        vias = {"app": _("app"), "mail": _("e-mail")}
        self.fill(
            [
                (
                    str(alarm.id),
                    format_time(alarm.due_at),
                    alarm.for_ or "",
                    vias.get(alarm.via or "", alarm.via or ""),
                    alarm.note or "",
                    alarm.by or "",
                    format_time(alarm.fired_at),
                )
                for alarm in detail.alarms
            ]
        )

    def _check_when(self, text: str) -> object:
        from tix.core import clock
        from tix.core.timeparse import parse_when

        return parse_when(text, now=clock.now(), zone=self.backend.zone)

    def add(self) -> None:
        """Ask when, for whom, how and what, and set the alarm."""
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
                    check=self._check_when,
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
                    self.written,
                )

        self.app.push_screen(dialog, filled)
