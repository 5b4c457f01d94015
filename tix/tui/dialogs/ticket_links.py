"""Merge, split, link and unlink from the ticket view: the dialogs and what follows.

Each flow asks with the dialogs of :mod:`tix.tui.dialogs`, runs the backend
call in a worker and then shows the outcome: a merge and a split open the ticket that
now holds the work (the target, the new ticket) over this one, a link or unlink
redraws the ticket.
A refused entry (a ticket that does not exist, a merge across customers …) is said in
a notification and the dialog opens again with what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Protocol

from tix.core.errors import TixError
from tix.core.i18n import _
from tix.core.labels import activity_kind_label, relation_label
from tix.core.read_models import ActivityView, TicketDetail
from tix.tui.dialogs import ConfirmDialog, FormDialog, FormField, PickDialog

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from tix.tui.app import TixApp
    from tix.tui.backend import Backend


class TicketHost(Protocol):
    """What the flows need of the screen that shows the ticket (the ticket view)."""

    @property
    def number(self) -> int: ...

    @property
    def detail(self) -> TicketDetail | None: ...

    @property
    def app(self) -> App[Any]: ...

    @property
    def tix(self) -> TixApp: ...

    @property
    def backend(self) -> Backend: ...

    def notify(self, message: str, *, severity: SeverityLevel = "information") -> None: ...

    def reload(self, *, refill_form: bool = False) -> None: ...

    def run_job(
        self,
        job: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        failed: Callable[[TixError], None] | None = None,
    ) -> None: ...

    def show_written(self, detail: TicketDetail, *, notice: str = "") -> None:
        """Show ``detail`` just written by this agent, and say ``notice``."""


LINK_KINDS = ("related", "parent", "child", "duplicate")
PICK_WIDTH = 48
"""Characters of an activity's line in the split picker (one line in its dialog at 80
columns)."""


def _number(text: str) -> int | None:
    digits = text.strip().lstrip("#").strip()
    return int(digits) if digits.isdigit() else None


def _activity_label(activity: ActivityView, zone: tzinfo) -> str:
    """One line for the split picker, its text first after who wrote it:
    ``9 · Reply · bob: Hello Laura, …``; a record says what it did:
    ``12 · david: booked 0:20 h: call``."""
    from tix.tui.widgets.activity import describe

    kind = str(activity.kind)
    if kind in ("message", "reply", "note", "solution", "delivery"):
        head = " · ".join([str(activity.seq), activity_kind_label(kind), activity.author or "tix"])
        text = " ".join((activity.body or "").split())
    else:
        head = " · ".join([str(activity.seq), activity.author or "tix"])
        text = describe(activity, zone)
    line = f"{head}: {text}"
    return line if len(line) <= PICK_WIDTH else line[: PICK_WIDTH - 1] + "…"


class TicketLinkFlows:
    """The flows of one ticket view (the screen owns one)."""

    def __init__(self, screen: TicketHost) -> None:
        self.screen = screen

    @property
    def number(self) -> int:
        return self.screen.number

    @property
    def detail(self) -> TicketDetail | None:
        return self.screen.detail

    def _open(self, number: int) -> None:
        """Open ``number`` (the ticket that holds the work now) over this one: Esc
        comes back here, to the merged ticket's pointer or the split ticket's rest."""
        self.screen.reload()
        self.screen.tix.open_ticket(number)

    # --- merge ------------------------------------------------------------------------

    def merge(self, values: dict[str, Any] | None = None) -> None:
        """Ask for the target, confirm, merge, open the target."""
        values = values or {}
        dialog = FormDialog(
            _("Merge #{number} into another ticket").format(number=self.number),
            [
                FormField(
                    "target",
                    _("Target ticket (number)"),
                    str(values.get("target", "")),
                    placeholder="1042",
                    required=True,
                ),
                FormField(
                    "other_customer",
                    _("Also if the customer differs (the same person)"),
                    bool(values.get("other_customer", False)),
                    kind="check",
                ),
            ],
            submit_label=_("Merge…"),
            hint=_(
                "Everything on #{number} moves to the target; #{number} is closed and points "
                "there. Mail that answers #{number} lands on the target."
            ).format(number=self.number),
        )
        self.screen.app.push_screen(dialog, self._merge_target)

    def _merge_target(self, values: dict[str, Any] | None) -> None:
        if values is None:
            return
        target = _number(str(values.get("target", "")))
        if target is None:
            self.screen.notify(
                _("{value!r} is no ticket number: type one like 1042").format(
                    value=values.get("target", "")
                ),
                severity="error",
            )
            self.merge(values)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._do_merge(target, bool(values.get("other_customer")), values)

        self.screen.app.push_screen(
            ConfirmDialog(
                _("Merge #{source} into #{target}? This cannot be undone.").format(
                    source=self.number, target=target
                ),
                yes=_("Merge"),
                no=_("Cancel"),
            ),
            confirmed,
        )

    def _do_merge(self, target: int, other_customer: bool, values: dict[str, Any]) -> None:
        number, backend = self.number, self.screen.backend

        def merged(into: int) -> None:
            self.screen.notify(
                _("Merged #{source} into #{target}.").format(source=number, target=into)
            )
            self._open(into)

        def failed(_error: TixError) -> None:
            self.merge(values)

        self.screen.run_job(
            lambda: backend.merge(number, into=target, other_customer=other_customer),
            merged,
            failed,
        )

    # --- split ------------------------------------------------------------------------

    def split(self) -> None:
        """Pick the activity, say whether the later ones go too, split, open the new one."""
        detail = self.detail
        if detail is None:
            return
        first_id = detail.first_message.id if detail.first_message else None
        first_seq = next((a.seq for a in detail.activities if a.id == first_id), 0)
        choices = [
            (_activity_label(activity, self.screen.backend.zone), str(activity.seq))
            for activity in reversed(detail.activities)
            if activity.seq is not None and activity.seq > first_seq
        ]
        if not choices:
            self.screen.notify(
                _("#{number} has no activity after its first message to split off.").format(
                    number=self.number
                ),
                severity="warning",
            )
            return

        def picked(seq: str | None) -> None:
            if seq is not None:
                self._split_options(int(seq))

        self.screen.app.push_screen(
            PickDialog(_("Split off from which activity?"), choices), picked
        )

    def _split_options(self, seq: int, values: dict[str, Any] | None = None) -> None:
        values = values or {}
        dialog = FormDialog(
            _("Split #{number} from activity {seq}").format(number=self.number, seq=seq),
            [
                FormField(
                    "subject",
                    _("Subject of the new ticket"),
                    str(values.get("subject", "")),
                    placeholder=_("(the activity's or this ticket's)"),
                ),
                FormField(
                    "only",
                    _("Only this activity, not the later ones"),
                    bool(values.get("only", False)),
                    kind="check",
                ),
            ],
            submit_label=_("Split"),
            hint=_("The new ticket has the same customer, channel and kind, a child of this one."),
        )

        def filled(result: dict[str, Any] | None) -> None:
            if result is not None:
                self._do_split(seq, result)

        self.screen.app.push_screen(dialog, filled)

    def _do_split(self, seq: int, values: dict[str, Any]) -> None:
        number, backend = self.number, self.screen.backend
        subject = str(values.get("subject") or "") or None
        only = bool(values.get("only"))

        def done(new_number: int) -> None:
            self.screen.notify(_("Split into the new ticket #{new}.").format(new=new_number))
            self._open(new_number)

        def failed(_error: TixError) -> None:
            self._split_options(seq, values)

        self.screen.run_job(
            lambda: backend.split(number, seq=seq, only=only, subject=subject), done, failed
        )

    # --- link and unlink --------------------------------------------------------------

    def link(self, values: dict[str, Any] | None = None) -> None:
        values = values or {}
        dialog = FormDialog(
            _("Link #{number} to another ticket").format(number=self.number),
            [
                FormField(
                    "other",
                    _("Other ticket (number)"),
                    str(values.get("other", "")),
                    placeholder="1042",
                    required=True,
                ),
                FormField(
                    "kind",
                    _("#{number} is").format(number=self.number),
                    str(values.get("kind", "related")),
                    kind="select",
                    options=[(relation_label(kind), kind) for kind in LINK_KINDS],
                    required=True,
                ),
            ],
            submit_label=_("Link"),
        )
        self.screen.app.push_screen(dialog, self._linked)

    def _linked(self, values: dict[str, Any] | None) -> None:
        if values is None:
            return
        other = _number(str(values.get("other", "")))
        if other is None:
            self.screen.notify(
                _("{value!r} is no ticket number: type one like 1042").format(
                    value=values.get("other", "")
                ),
                severity="error",
            )
            self.link(values)
            return
        number, backend = self.number, self.screen.backend
        kind = str(values.get("kind") or "related")

        def failed(_error: TixError) -> None:
            self.link(values)

        self.screen.run_job(
            lambda: backend.link(number, other, kind=kind),
            lambda detail: self.screen.show_written(
                detail,
                notice=_("#{number} is now {relation} #{other}.").format(
                    number=number, relation=relation_label(kind), other=other
                ),
            ),
            failed,
        )

    def unlink(self) -> None:
        detail = self.detail
        if detail is None:
            return
        if not detail.links:
            self.screen.notify(
                _("#{number} has no links.").format(number=self.number), severity="warning"
            )
            return
        choices = [
            (
                f"{relation_label(link.relation)} #{link.number} {link.subject}",
                str(link.number),
            )
            for link in detail.links
        ]

        def picked(other: str | None) -> None:
            if other is None:
                return
            number, backend = self.number, self.screen.backend
            self.screen.run_job(
                lambda: backend.unlink(number, int(other)),
                lambda fresh: self.screen.show_written(
                    fresh,
                    notice=_("Removed the link between #{number} and #{other}.").format(
                        number=number, other=other
                    ),
                ),
            )

        self.screen.app.push_screen(PickDialog(_("Remove which link?"), choices), picked)
