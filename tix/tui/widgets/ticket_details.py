"""The ticket view's Details tab (Stammdaten): the ticket's fields as a form, and its facts.

The form is mounted when the tab is first shown (its selects are the costliest part
of the view, and most visits never open it). Save posts the changed fields as a
:class:`TicketPane.ChangeRequested`; the form keeps what its user typed across reloads
(see :meth:`TicketDetails.show`).
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from tix.core.i18n import _
from tix.core.labels import (
    color_label,
    relation_label,
    source_label,
    status_label,
    ticket_kind_label,
)
from tix.core.models.ticket import TicketStatus
from tix.core.read_models import TicketDetail
from tix.core.validation import COLORS
from tix.tui.backend import Choices
from tix.tui.widgets.activity import COLOR_MARKS, format_time
from tix.tui.widgets.category_chips import CategoryChips
from tix.tui.widgets.ticket_pane import TicketPane, set_options

EDITABLE = ("subject", "status", "priority", "channel", "owner", "project", "color", "categories")
"""The Details fields that Save sends when changed; widget ids are ``edit-<name>``."""


def priority_label(priority: int) -> str:
    if priority == 1:
        return "1 – " + _("low")
    if priority == 5:
        return "5 – " + _("normal")
    if priority == 9:
        return "9 – " + _("very high")
    return str(priority)


def form_values_of(detail: TicketDetail) -> dict[str, Any]:
    """What the form shows for ``detail``, by field name."""
    return {
        "subject": detail.subject or "",
        "status": detail.status,
        "priority": str(detail.priority),
        "channel": detail.channel,
        "owner": detail.owner,
        "project": detail.project,
        "color": detail.color,
        "categories": list(detail.categories),
    }


def change_fields(source: TicketDetail, edits: dict[str, Any]) -> dict[str, Any]:
    """The ``backend.change`` fields for the form's ``edits`` to ticket ``source``."""
    fields: dict[str, Any] = {}
    for name, value in edits.items():
        if name == "categories":
            old = {c.casefold() for c in source.categories}
            new = {c.casefold() for c in value}
            fields["add_categories"] = [c for c in value if c.casefold() not in old]
            fields["remove_categories"] = [c for c in source.categories if c.casefold() not in new]
        elif name == "priority":
            fields["priority"] = int(value)
        elif name == "project":
            fields["project"] = value or ""
        elif name == "color":
            fields["color"] = value or "none"
        elif value is not None:
            fields[name] = value
    return fields


class TicketDetails(TicketPane):
    """The Details tab."""

    def __init__(self, *, number: int) -> None:
        super().__init__(_("Details"), number=number, id="details")
        self.form_source: TicketDetail | None = None
        """The ticket the form was filled from: its version is what Save sends."""
        self._options: dict[str, list[tuple[str, str]]] = {}
        """The options of the selects filled from data, by widget id."""
        self._state = "absent"
        """The form: absent, mounting or ready."""

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="details-scroll")

    @property
    def ready(self) -> bool:
        return self._state == "ready"

    def _widgets(self) -> Container:
        statuses = [(status_label(status.value), status.value) for status in TicketStatus]
        priorities = [(priority_label(p), str(p)) for p in range(1, 10)]
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
            CategoryChips(
                id="edit-categories", known=self.choices.categories if self.choices else ()
            ),
            Label(""),
            Button(_("Save") + " (Ctrl+S)", id="details-save", compact=True),
            id="details-form",
        )
        return Container(form, Static("", id="details-info"), id="details-body")

    async def ensure_form(self, width: int) -> None:
        """Mount the form (once) for a screen ``width`` wide, filled from what is known."""
        if self._state != "absent":
            return
        self._state = "mounting"
        await self.query_one("#details-scroll").mount(self._widgets())
        self._state = "ready"
        self.set_width(width)
        if self.choices is not None:
            self._fill_choices(self.choices)
        if self.detail is not None:
            self._fill_form(self.detail)
            self._show_info(self.detail)

    def set_width(self, width: int) -> None:
        """Side by side (form and facts) from 110 columns on."""
        if self.ready:
            self.query_one("#details-body").set_class(width >= 110, "-wide")

    def set_choices(self, choices: Choices) -> None:
        super().set_choices(choices)
        self._fill_choices(choices)

    def _fill_choices(self, choices: Choices) -> None:
        if not self.ready:
            return
        self._set_options("edit-channel", [(name, name) for name in choices.channels])
        self._set_options(
            "edit-owner", [(f"{login} – {name}", login) for login, name in choices.users]
        )
        self._set_options("edit-project", [(name, name) for name in choices.projects])
        self.query_one("#edit-categories", CategoryChips).set_known(choices.categories)

    def _set_options(self, widget_id: str, options: list[tuple[str, str]]) -> None:
        set_options(self.query_one(f"#{widget_id}", Select), options, self._options)

    def show(
        self,
        detail: TicketDetail,
        *,
        first_load: bool = False,
        refill_form: bool = False,
        own: bool = False,
    ) -> None:
        """The form keeps what its user typed: after their own action it is carried over
        to the fresh ticket; after someone else's change it stays on the version it was
        filled from, so that Save reports the conflict instead of overwriting it."""
        super().show(detail)
        if not self.ready:
            return
        edits = self.edits()
        if first_load or refill_form or not edits:
            self._fill_form(detail)
        elif own:
            self._fill_form(detail)
            self._apply_edits(edits)
        self._show_info(detail)

    def _form_values(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in EDITABLE:
            widget = self.query_one(f"#edit-{name}")
            if isinstance(widget, CategoryChips):
                found[name] = widget.values
            elif isinstance(widget, Select):
                found[name] = None if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                found[name] = widget.value.strip()
        return found

    def edits(self) -> dict[str, Any]:
        """The fields whose value differs from the ticket they were filled from."""
        if self.form_source is None or not self.ready:
            return {}
        before = form_values_of(self.form_source)
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

    def _fill_form(self, detail: TicketDetail) -> None:
        self.form_source = detail
        values = form_values_of(detail)
        self.query_one("#edit-subject", Input).value = values["subject"]
        self.query_one("#edit-categories", CategoryChips).set_values(values["categories"])
        for name in ("status", "priority", "channel", "owner", "project", "color"):
            self._select(name, values[name])
        self.query_one("#edit-channel", Select).disabled = detail.kind == "internal"

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
                self.query_one("#edit-categories", CategoryChips).set_values(value)
            else:
                self._select(name, value)

    def _show_info(self, detail: TicketDetail) -> None:
        rows: list[tuple[str, str]] = [(_("Kind"), ticket_kind_label(str(detail.kind)))]
        customer = detail.customer
        if customer:
            who = customer.name or ""
            if customer.address:
                who = f"{who} <{customer.address}>" if who else customer.address
            if customer.organization:
                who += f", {customer.organization}"
            rows.append((_("Customer"), who))
        rows.append((_("Creator"), detail.creator or "–"))
        if detail.account:
            rows.append((_("Account"), detail.account))
        source = source_label(str(detail.kind), str(detail.origin or ""))
        if source:
            rows.append((_("Source"), source))
        if detail.merged_into is not None:
            rows.append((_("Merged into"), f"#{detail.merged_into}"))
        if detail.merged:
            rows.append((_("Merged"), ", ".join(f"#{number}" for number in detail.merged)))
        for link in detail.links:
            rows.append(
                (
                    _("Linked"),
                    f"{relation_label(link.relation)} #{link.number} {link.subject} "
                    f"({status_label(link.status)})",
                )
            )
        rows.append((_("Created"), format_time(detail.created_at)))
        rows.append((_("Changed"), format_time(detail.updated_at)))
        if detail.sla is not None:
            from tix.core.sla_views import clock_lines  # tickets with SLAs only

            rows.extend(clock_lines(detail.sla))
        first = detail.first_message
        details = (first.details if first else None) or {}
        if details.get("on_behalf_of"):
            rows.append((_("On behalf of"), str(details["on_behalf_of"])))
        form = detail.form_values or {
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

    def save(self) -> None:
        """Post the changed fields (Ctrl+S, the Save button); say so when nothing changed."""
        source = self.form_source
        if source is None:
            return
        edits = self.edits()
        if not edits:
            self.notify(_("Nothing to save."))
            return
        self.post_message(
            self.ChangeRequested(source.version, change_fields(source, edits), refill_form=True)
        )

    @on(Button.Pressed, "#details-save")
    def _save_pressed(self) -> None:
        self.save()


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
