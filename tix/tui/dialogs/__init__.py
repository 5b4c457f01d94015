"""Modal dialogs of the ticket view: compose a text, fill a small form, pick one, confirm.

Each dialog returns its answer through ``dismiss`` (``None`` or ``False``: cancelled);
Escape cancels. They do no I/O: the screen that opened them acts on the answer (the
compose dialog only reads, through the backend in workers, its text modules and the
signature its preview shows).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, TextArea
from textual.widgets.option_list import Option

from tix.core.errors import TixError
from tix.core.i18n import _
from tix.core.validation import email_address, split_addresses
from tix.tui.widgets.text_modules import TextModuleArea, TextModuleContext, TextModuleHost


def split_paths(text: str) -> list[str]:
    """The paths in what was typed or dropped on the terminal.

    A terminal pastes a dropped file as its path, often quoted or with escaped spaces,
    sometimes as a ``file://`` URL; several files come separated by spaces or lines.
    The backend strips quotes and ``file://`` from each path; here they are only told
    apart. A line that is one path with unescaped spaces stays whole when it exists.
    """
    from pathlib import Path

    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        plain = line.strip("'\"")
        if " " in plain and Path(plain).expanduser().is_file():
            found.append(plain)
            continue
        try:
            found.extend(part for part in shlex.split(line) if part.strip())
        except ValueError:  # an unbalanced quote: take the line as one path
            found.append(plain)
    return found


@dataclass(frozen=True)
class Composed:
    """What a compose dialog gives back."""

    body: str
    cc: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    to: list[str] = field(default_factory=list)
    """Instead of the customer (a reply only); empty: the customer."""
    bcc: list[str] = field(default_factory=list)


class ConfirmDialog(ModalScreen[bool]):
    """A question with Yes and No; Escape is No."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "answer(False)", _("No"), show=False),
        Binding("y", "answer(True)", _("Yes"), show=False),
        Binding("n", "answer(False)", _("No"), show=False),
    ]

    def __init__(self, question: str, *, yes: str | None = None, no: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes = yes or _("Yes")
        self.no = no or _("No")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog confirm-dialog"):
            yield Label(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="warning", compact=True)
                yield Button(self.no, id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ComposeDialog(TextModuleHost, ModalScreen[Composed | None]):
    """Write a reply, note or solution: the text (Markdown, with a preview), CC, files.

    F3 or ``::`` inserts a text module (for ``context``); the preview shows the text as
    the customer gets it, with ``signature`` under it."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "send", _("Send")),
        Binding("f2", "preview", _("Preview")),
    ]

    def __init__(
        self,
        title: str,
        *,
        send_label: str,
        hint: str = "",
        with_cc: bool = False,
        with_to_bcc: bool = False,
        text: str = "",
        cc: str = "",
        attachments: str = "",
        to: str = "",
        bcc: str = "",
        context: TextModuleContext | None = None,
        signature: Callable[[], str | None] | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.context = context or TextModuleContext()
        self.signature_job = signature
        """Looks up the signature (a backend call, run in a worker when the dialog opens)."""
        self.signature: str | None = None
        self.title_text = title
        self.send_label = send_label
        self.hint = hint
        self.with_cc = with_cc
        self.with_to_bcc = with_to_bcc
        """To and BCC fields (a reply: To instead of the customer, and blind copies)."""
        self.text = text
        self.cc = cc
        self.to = to
        self.bcc = bcc
        self.attachments = attachments
        self.previewing = False

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # only a dialog that composes needs it

        with Vertical(classes="dialog compose-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.hint:
                yield Label(self.hint, classes="dialog-hint")
            yield TextModuleArea(self.text, id="compose-body", soft_wrap=True, tab_behavior="focus")
            with VerticalScroll(id="compose-preview-box"):
                yield Markdown("", id="compose-preview")
            if self.with_to_bcc:
                yield Input(
                    self.to,
                    placeholder=_("To: the customer, or other addresses"),
                    id="compose-to",
                    compact=True,
                )
            if self.with_cc:
                yield Input(
                    self.cc,
                    placeholder=_("CC: addresses, separated by commas"),
                    id="compose-cc",
                    compact=True,
                )
            if self.with_to_bcc:
                yield Input(
                    self.bcc,
                    placeholder=_("BCC: blind copies, separated by commas"),
                    id="compose-bcc",
                    compact=True,
                )
            yield Input(
                self.attachments,
                placeholder=_("Attach: paths, or drop files here"),
                id="compose-attachments",
                compact=True,
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self.send_label} (Ctrl+S)", id="send", variant="primary", compact=True
                )
                yield Button(_("Preview") + " (F2)", id="preview", compact=True)
                yield Button(_("Cancel") + " (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#compose-preview-box").display = False
        self.query_one("#compose-body", TextArea).focus()
        if self.signature_job is not None:
            from tix.tui.app import TixApp

            assert isinstance(self.app, TixApp)
            self.app.background(self.signature_job, then=self._got_signature)

    def _got_signature(self, signature: str | None) -> None:
        self.signature = signature

    def text_module_context(self) -> TextModuleContext:
        return self.context

    @property
    def body(self) -> str:
        return self.query_one("#compose-body", TextArea).text

    async def action_preview(self) -> None:
        from textual.widgets import Markdown

        self.previewing = not self.previewing
        box = self.query_one("#compose-preview-box")
        editor = self.query_one("#compose-body", TextArea)
        if self.previewing:
            from tix.core.services.signatures import signed

            await self.query_one("#compose-preview", Markdown).update(
                signed(self.body, self.signature)
                if self.body.strip()
                else _("(nothing written yet)")
            )
        box.display = self.previewing
        editor.display = not self.previewing
        (box if self.previewing else editor).focus()

    def action_send(self) -> None:
        body = self.body
        if not body.strip():
            self.notify(_("Write a text first."), severity="warning")
            return
        found: dict[str, list[str]] = {}
        for name in ("to", "cc", "bcc"):
            fields = self.query(f"#compose-{name}").results(Input)
            field = next(fields, None)
            if field is None:
                found[name] = []
                continue
            found[name] = split_addresses(field.value)
            try:
                for address in found[name]:
                    email_address(address)  # checked here too: the dialog stays open
            except TixError as error:
                # Stays open with what was typed; the field says what is wrong.
                field.add_class("-invalid")
                field.focus()
                self.notify(error.message, severity="error")
                return
            field.remove_class("-invalid")
        paths = split_paths(self.query_one("#compose-attachments", Input).value)
        self.dismiss(
            Composed(body=body, cc=found["cc"], attachments=paths, to=found["to"], bcc=found["bcc"])
        )

    def action_cancel(self) -> None:
        if not self.body.strip():
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(_("Discard this text?"), yes=_("Discard"), no=_("Keep writing")),
            answered,
        )

    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#preview")
    async def _preview(self) -> None:
        await self.action_preview()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()


@dataclass(frozen=True)
class FormField:
    """One field of a :class:`FormDialog`."""

    name: str
    label: str
    value: str | bool = ""
    kind: Literal["text", "select", "check", "lines"] = "text"
    options: Sequence[tuple[str, str]] = ()
    """(label, value) of a select."""
    placeholder: str = ""
    required: bool = False
    check: Callable[[str], object] | None = None
    """Checks what was typed (each line of a ``lines`` field): a TixError keeps the
    dialog open, marks the field and says why."""


class FormDialog(ModalScreen[dict[str, Any] | None]):
    """A few labelled fields and OK/Cancel; gives back ``{name: value}``.

    Text fields give ``str``, selects the chosen value (``""`` for none), checkboxes
    ``bool`` and ``lines`` fields a list of the non-empty lines. Enter in a one-line
    field submits.
    """

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", _("Cancel")),
        Binding("ctrl+s", "submit", _("OK"), show=False),
    ]

    def __init__(
        self,
        title: str,
        fields: Sequence[FormField],
        *,
        submit_label: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.fields = list(fields)
        self.submit_label = submit_label or _("OK")
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            if self.hint:
                yield Label(self.hint, classes="dialog-hint")
            with VerticalScroll(classes="form-fields"):
                for spec in self.fields:
                    widget_id = f"field-{spec.name}"
                    if spec.kind == "check":
                        yield Label("", classes="form-label")
                        yield Checkbox(spec.label, bool(spec.value), id=widget_id, compact=True)
                        continue
                    yield Label(spec.label, classes="form-label")
                    if spec.kind == "select":
                        values = [value for _label, value in spec.options]
                        yield Select(
                            list(spec.options),
                            value=spec.value if spec.value in values else Select.NULL,
                            allow_blank=not spec.required,
                            prompt=spec.placeholder or _("(none)"),
                            id=widget_id,
                            compact=True,
                        )
                    elif spec.kind == "lines":
                        area = TextArea(
                            str(spec.value), id=widget_id, soft_wrap=True, tab_behavior="focus"
                        )
                        area.placeholder = spec.placeholder
                        yield area
                    else:
                        yield Input(
                            str(spec.value),
                            placeholder=spec.placeholder,
                            id=widget_id,
                            compact=True,
                        )
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.submit_label, id="submit", variant="primary", compact=True)
                yield Button(_("Cancel") + " (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        first = self.query(".form-fields > *").exclude(".form-label").first()
        first.focus()

    def values(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Checkbox):
                found[spec.name] = widget.value
            elif isinstance(widget, Select):
                found[spec.name] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, TextArea):
                found[spec.name] = [line for line in widget.text.splitlines() if line.strip()]
            elif isinstance(widget, Input):
                found[spec.name] = widget.value.strip()
        return found

    def action_submit(self) -> None:
        values = self.values()
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            if spec.required and spec.kind != "check" and not values.get(spec.name):
                self.notify(_("{field} is required.").format(field=spec.label), severity="warning")
                widget.add_class("-invalid")
                widget.focus()
                return
            value = values.get(spec.name)
            if spec.check is not None and value:
                try:
                    for part in value if isinstance(value, list) else [value]:
                        spec.check(part)
                except TixError as error:
                    # Stays open with what was typed; the field shows it is the one.
                    self.notify(error.message, severity="error")
                    widget.add_class("-invalid")
                    widget.focus()
                    return
            widget.remove_class("-invalid")
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#submit")
    def _submit(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[str | None]):
    """Pick one of a list; typing filters it, Enter takes the highlighted one."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", _("Cancel")),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
    ]

    def __init__(
        self, title: str, options: Sequence[tuple[str, str]], *, current: str | None = None
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.options = list(options)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog pick-dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder=_("Type to filter"), id="pick-filter", compact=True)
            yield OptionList(id="pick-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#pick-filter", Input).focus()

    def _fill(self, text: str) -> None:
        wanted = text.casefold().strip()
        shown = [
            (label, value)
            for label, value in self.options
            if not wanted or wanted in label.casefold() or wanted in value.casefold()
        ]
        options = self.query_one("#pick-options", OptionList)
        options.clear_options()
        options.add_options(Option(label, id=value) for label, value in shown)
        values = [value for _label, value in shown]
        if shown:
            options.highlighted = values.index(self.current) if self.current in values else 0

    @on(Input.Changed, "#pick-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#pick-options", OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    @on(Input.Submitted, "#pick-filter")
    def _take_highlighted(self) -> None:
        options = self.query_one("#pick-options", OptionList)
        if options.highlighted is None:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
