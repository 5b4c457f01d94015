"""The ticket view's Activities tab (Vorgänge): the first message and the activity log,
and the work done from there: reply, note, solve, status, channel, owner, a document,
a project.

Writes run in workers and post the fresh ticket (:class:`TicketPane.Written`);
picking a status, channel or owner posts a :class:`TicketPane.ChangeRequested`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tix.core.errors import TixError
from tix.core.i18n import _
from tix.core.labels import status_label
from tix.core.models.ticket import TicketStatus
from tix.core.read_models import TicketDetail
from tix.tui.backend import Choices
from tix.tui.dialogs import Composed, ComposeDialog, FormDialog, FormField, PickDialog
from tix.tui.widgets.activity import ActivityLog, first_message_text
from tix.tui.widgets.text_modules import TextModuleContext
from tix.tui.widgets.ticket_pane import TicketPane


class TicketActivities(TicketPane):
    """The Activities tab."""

    def __init__(self, *, number: int) -> None:
        super().__init__(_("Activities"), number=number, id="activities")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="first-message-box"):
            yield Static("", id="first-message")
        yield ActivityLog(id="activity-log")

    def on_mount(self) -> None:
        self.query_one("#first-message-box").display = False

    def show(self, detail: TicketDetail, *, scroll_end: bool = False) -> None:
        super().show(detail)
        log = self.query_one("#activity-log", ActivityLog)
        first = detail.first_message
        box = self.query_one("#first-message-box")
        box.display = first is not None
        self.query_one("#first-message", Static).update(
            first_message_text(first, detail.subject, log.styles_for_text)
        )
        log.show(
            detail.activities,
            zone=self.backend.zone,
            subject=detail.subject,
            pinned_id=first.id if first else None,
            scroll_end=scroll_end,
        )

    # --- writing ----------------------------------------------------------------------

    def compose_text(
        self,
        action: str,
        *,
        text: str = "",
        cc: Iterable[str] = (),
        attachments: Iterable[str] = (),
        to: Iterable[str] = (),
        bcc: Iterable[str] = (),
    ) -> None:
        """Open the dialog for ``action`` (reply, note or solve) and write what it gives;
        a reply has To (instead of the customer) and BCC as well as CC."""
        detail = self.detail
        if detail is None:
            return
        external = detail.kind != "internal"
        customer = (detail.customer.address if detail.customer else None) or ""
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
            with_to_bcc=external and action == "reply",
            text=text,
            cc=", ".join(cc),
            to=", ".join(to),
            bcc=", ".join(bcc),
            attachments=" ".join(_quoted(path) for path in attachments),
            context=TextModuleContext(number=self.number),
            signature=self._signature_job(action, external),
        )

        def composed(result: Composed | None) -> None:
            if result is not None:
                self._write(action, result)

        self.app.push_screen(dialog, composed)

    def _signature_job(self, action: str, external: bool) -> Callable[[], str | None] | None:
        """What looks up the signature of a mailed text (none for notes and internal)."""
        if action == "note" or not external:
            return None
        number, backend = self.number, self.backend
        return lambda: backend.signature(number)

    def _write(self, action: str, composed: Composed) -> None:
        number, backend = self.number, self.backend

        def failed(_error: TixError) -> None:
            # Nothing was written: give the text back rather than lose it.
            self.compose_text(
                action,
                text=composed.body,
                cc=composed.cc,
                attachments=composed.attachments,
                to=composed.to,
                bcc=composed.bcc,
            )

        self.run_job(
            lambda: backend.write(
                number,
                action,
                composed.body,
                cc=composed.cc,
                attachments=composed.attachments,
                to=composed.to,
                bcc=composed.bcc,
            ),
            self.written,
            failed,
        )

    # --- picking ----------------------------------------------------------------------

    def _pick(
        self, title: str, options: list[tuple[str, str]], current: str | None, field: str
    ) -> None:
        detail = self.detail
        if detail is None:
            return
        version = detail.version

        def picked(value: str | None) -> None:
            if value and value != current:
                self.post_message(self.ChangeRequested(version, {field: value}))

        self.app.push_screen(PickDialog(title, options, current=current), picked)

    def pick_status(self) -> None:
        if self.detail is not None:
            self._pick(
                _("Status of #{number}").format(number=self.number),
                [(status_label(status.value), status.value) for status in TicketStatus],
                self.detail.status,
                "status",
            )

    def pick_channel(self) -> None:
        if self.detail is None or self.choices is None:
            return
        if self.detail.kind == "internal":
            self.notify(_("Internal tickets have no channel."), severity="warning")
            return
        self._pick(
            _("Channel of #{number}").format(number=self.number),
            [(name, name) for name in self.choices.channels],
            self.detail.channel,
            "channel",
        )

    def pick_owner(self) -> None:
        if self.detail is None or self.choices is None:
            return
        self._pick(
            _("Owner of #{number}").format(number=self.number),
            [(f"{login} – {name}", login) for login, name in self.choices.users],
            self.detail.owner,
            "owner",
        )

    # --- documents and projects -------------------------------------------------------

    def new_document(self) -> None:
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
                    check=documents_line,
                ),
            ],
            submit_label=_("Make"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return

            def job() -> tuple[str, TicketDetail]:
                made = backend.new_document(
                    number, values["kind"], from_times=values["from_times"], lines=values["lines"]
                )
                return made, backend.ticket(number)

            def done(result: tuple[str, TicketDetail]) -> None:
                notice = _("Made {number}.").format(number=result[0])
                self.post_message(self.Written(result[1], notice=notice))

            self.run_job(job, done)

        self.app.push_screen(dialog, filled)

    def new_project(self) -> None:
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

            def job() -> tuple[str, TicketDetail, Choices]:
                name = backend.new_project(values["name"], from_ticket=number)
                return name, backend.ticket(number), backend.choices()

            def done(result: tuple[str, TicketDetail, Choices]) -> None:
                name, detail, choices = result
                notice = _("Made project {name}.").format(name=name)
                self.post_message(self.Written(detail, notice=notice, choices=choices))

            self.run_job(job, done)

        self.app.push_screen(dialog, filled)


def documents_line(text: str) -> object:
    """A document line as ``Description;quantity;unit price`` (checked in the dialog)."""
    from tix.core.services.documents import parse_line

    return parse_line(text)


def _quoted(path: str) -> str:
    import shlex

    return shlex.quote(path)
