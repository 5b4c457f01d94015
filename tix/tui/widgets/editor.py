"""A Markdown editor with a live preview: what an agent writes is sent as HTML mail.

Side by side when the terminal is wide, one or the other when narrow (F2 switches).
A file dropped on the terminal arrives as a pasted path: with ``accept_files`` the
editor turns such a paste into a :class:`MarkdownEditor.FilesDropped` message instead
of text, so the screen can attach the files (as the seed asks: drag a file into the
mail text to attach it).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Markdown, TextArea

from tix.core.i18n import _
from tix.tui.widgets.text_modules import TextModuleArea

PREVIEW_DELAY = 0.25
"""Seconds of quiet typing before the preview is rendered again."""


def preview_parser() -> MarkdownIt:
    """The Markdown dialect of outgoing mail (``tix.core.mail.compose``): CommonMark with
    tables and strikethrough, raw HTML as text, and a typed line break kept."""
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    parser.enable(["table", "strikethrough"])
    # `breaks` only changes markdown-it's HTML renderer; Textual's Markdown widget reads
    # the tokens and shows a soft break as a space, so make every break a hard one.
    parser.core.ruler.push("tix_hard_breaks", _hard_breaks)
    return parser


def _hard_breaks(state: StateCore) -> None:
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "softbreak":
                child.type = "hardbreak"
                child.tag = "br"


def clean_path(text: str) -> str:
    """One path as a terminal pastes a dropped file: maybe quoted, maybe a file:// URL."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if text.startswith("file://"):
        text = unquote(urlparse(text).path)
    return text


def split_paths(text: str) -> list[str]:
    """The paths in ``text``: one per line, or several on a line as a shell writes them
    (quoted or with escaped spaces). A whole line that names a file is taken as it is,
    so an unquoted path with spaces works too."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        whole = clean_path(line)
        if Path(whole).expanduser().is_file():
            found.append(whole)
            continue
        try:
            parts = shlex.split(line)
        except ValueError:  # an unbalanced quote: take the words as they are
            parts = line.split()
        found.extend(clean_path(part) for part in parts if part.strip())
    return found


def dropped_files(text: str) -> list[str]:
    """The paths of a paste that consists of existing files only, else ``[]``."""
    if not text.strip() or len(text) > 8000:
        return []
    paths = split_paths(text)
    if paths and all(Path(path).expanduser().is_file() for path in paths):
        return paths
    return []


class _EditorArea(TextModuleArea):
    """The text part: a paste of file paths becomes a FilesDropped message; F3 or ``::``
    asks for a text module."""

    def __init__(self, text: str, *, accept_files: bool, id: str | None = None) -> None:
        super().__init__(text, soft_wrap=True, tab_behavior="focus", show_line_numbers=False, id=id)
        self.accept_files = accept_files

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual calls TextArea._on_paste after this one, unless the default is prevented.
        if self.accept_files and not self.read_only:
            paths = dropped_files(event.text)
            editor = self.parent
            if paths and isinstance(editor, MarkdownEditor):
                event.prevent_default()
                event.stop()
                editor.post_message(MarkdownEditor.FilesDropped(editor, paths))


class MarkdownEditor(Widget):
    """A TextArea for Markdown and its rendered preview; ``.text`` is what was written."""

    BINDINGS = [  # noqa: RUF012
        Binding("f2", "toggle_preview", _("Preview")),
        Binding("ctrl+o", "toggle_preview", _("Preview"), show=False),
    ]

    class FilesDropped(Message):
        """Paths of existing files were pasted (dropped) into the editor."""

        def __init__(self, editor: MarkdownEditor, paths: Sequence[str]) -> None:
            super().__init__()
            self.editor = editor
            self.paths = list(paths)

        @property
        def control(self) -> MarkdownEditor:
            return self.editor

    def __init__(
        self,
        text: str = "",
        *,
        side_by_side_width: int = 120,
        accept_files: bool = False,
        placeholder: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._initial_text = text
        self.side_by_side_width = side_by_side_width
        """From this many terminal columns on, text and preview stand side by side."""
        self.accept_files = accept_files
        self.placeholder = placeholder
        self._preview_when_wide = True
        self._preview_when_narrow = False
        self._preview_stale = True
        self._timer: Timer | None = None
        self._signature: str | None = None

    def compose(self) -> ComposeResult:
        area = _EditorArea(self._initial_text, accept_files=self.accept_files)
        area.placeholder = self.placeholder
        area.border_title = _("Markdown")
        area.border_subtitle = _("F2 preview")
        yield area
        preview = VerticalScroll(
            Markdown(parser_factory=preview_parser), classes="editor-preview", can_focus=True
        )
        preview.border_title = _("Preview")
        yield preview

    @property
    def text_area(self) -> TextArea:
        return self.query_one(_EditorArea)

    @property
    def preview(self) -> Markdown:
        return self.query_one(Markdown)

    @property
    def text(self) -> str:
        return self.text_area.text

    @text.setter
    def text(self, value: str) -> None:
        self.text_area.load_text(value)
        self._preview_stale = True
        self._schedule_preview()

    @property
    def signature(self) -> str | None:
        """Shown under the text in the preview, as the mail will carry it."""
        return self._signature

    @signature.setter
    def signature(self, value: str | None) -> None:
        if value != self._signature:
            self._signature = value
            self._preview_stale = True
            if self.showing_preview:
                self._schedule_preview(delay=0)

    @property
    def wide(self) -> bool:
        return self.app.size.width >= self.side_by_side_width

    @property
    def showing_preview(self) -> bool:
        return self._preview_when_wide if self.wide else self._preview_when_narrow

    def on_mount(self) -> None:
        self._arrange()

    def on_resize(self) -> None:
        self._arrange()

    def focus(self, scroll_visible: bool = True) -> MarkdownEditor:
        """Focus the text (or the preview, while only the preview is shown)."""
        if self.showing_preview and not self.wide:
            self.query_one(".editor-preview").focus(scroll_visible)
        else:
            self.text_area.focus(scroll_visible)
        return self

    def _arrange(self) -> None:
        wide, preview = self.wide, self.showing_preview
        self.set_class(wide and preview, "-side-by-side")
        self.set_class(not wide and preview, "-previewing")
        if preview and self._preview_stale:
            self._schedule_preview(delay=0)

    def action_toggle_preview(self) -> None:
        text_had_focus = self.text_area.has_focus
        if self.wide:
            self._preview_when_wide = not self._preview_when_wide
        else:
            self._preview_when_narrow = not self._preview_when_narrow
        self._arrange()
        if text_had_focus or self.has_focus_within:
            self.focus()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._preview_stale = True
        if self.showing_preview:
            self._schedule_preview()

    def _schedule_preview(self, delay: float = PREVIEW_DELAY) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if delay > 0:
            self._timer = self.set_timer(delay, self.update_preview)
        else:
            self.call_later(self.update_preview)

    async def update_preview(self) -> None:
        """Render the preview now (the tests call this instead of waiting)."""
        self._timer = None
        self._preview_stale = False
        text = self.text
        if self._signature and text.strip():
            from tix.core.services.signatures import signed

            text = signed(text, self._signature)
        await self.preview.update(text)
