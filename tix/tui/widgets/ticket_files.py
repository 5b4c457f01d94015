"""The ticket view's Files tab (Dateien): the files on the ticket; adding files, saving
one to a folder and opening one in its usual program start here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tix.core.i18n import _
from tix.core.read_models import FileView, TicketDetail
from tix.core.services.storage import human_size
from tix.tui.dialogs import FormDialog, FormField, split_paths
from tix.tui.widgets.activity import format_time
from tix.tui.widgets.ticket_pane import ListPane

Opener = Callable[[], list[str] | None]
"""Finds the command that opens a file here (:func:`system_opener`)."""


def system_opener() -> list[str] | None:
    """The command that opens a file in its usual program here, if there is one.

    Linux needs a graphical session for ``xdg-open`` (over SSH it would fail, and the
    path is more useful); ``open`` is macOS's (on Linux it is ``openvt``).
    """
    if sys.platform == "darwin":
        found = shutil.which("open")
        return [found] if found else None
    if sys.platform.startswith("win"):
        return None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    found = shutil.which("xdg-open")
    return [found] if found else None


def default_save_folder() -> str:
    return "~/Downloads" if (Path.home() / "Downloads").is_dir() else "~"


def _check_paths(text: str) -> None:
    """Every path names a file (checked in the dialog, which then stays open)."""
    from tix.tui.backend import existing_file

    for given in split_paths(text):
        existing_file(given)


class TicketFiles(ListPane):
    """The Files tab."""

    def __init__(self, *, number: int) -> None:
        super().__init__(_("Files"), number=number, id="files")

    def columns(self) -> tuple[str, ...]:
        return (_("Name"), _("Size"), _("Type"), _("Added"), _("By"))

    def compose(self) -> ComposeResult:
        yield DataTable(id="files-table", cursor_type="row")
        yield Static(_("No files on this ticket."), id="files-empty", classes="empty")

    def show(self, detail: TicketDetail) -> None:
        super().show(detail)
        self.fill(
            [
                (
                    str(item.id),
                    item.name,
                    Text(human_size(item.size), justify="right"),
                    item.content_type or "",
                    format_time(item.created_at),
                    item.uploaded_by or "",
                )
                for item in detail.files
            ]
        )

    def selected_file(self) -> FileView | None:
        selected = self.selected()
        if selected is None or self.detail is None:
            return None
        return next((f for f in self.detail.files if str(f.id) == selected), None)

    def add(self) -> None:
        """Ask for paths (typed, or dropped on the terminal) and add those files."""
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Add files to #{number}").format(number=number),
            [
                FormField(
                    "paths",
                    _("Paths"),
                    placeholder=_("drop files here or type their paths"),
                    required=True,
                    check=_check_paths,
                )
            ],
            submit_label=_("Add"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if values:
                text = values["paths"]
                self.run_job(lambda: backend.add_files(number, split_paths(text)), self.written)

        self.app.push_screen(dialog, filled)

    def save_selected(self) -> None:
        """Ask for a folder or file name and save the file under the cursor there."""
        found = self.selected_file()
        if found is None:
            return
        number, backend = self.number, self.backend
        dialog = FormDialog(
            _("Save {name}").format(name=found.name),
            [FormField("target", _("Folder or file"), value=default_save_folder(), required=True)],
            submit_label=_("Save"),
        )

        def filled(values: dict[str, Any] | None) -> None:
            if not values:
                return
            target = values["target"]

            def done(path: Path) -> None:
                self.notify(
                    _("Saved {file} ({size}).").format(file=path, size=human_size(found.size))
                )

            self.run_job(lambda: backend.save_file(number, int(found.id or 0), target), done)

        self.app.push_screen(dialog, filled)

    def open_selected(self, opener: Opener = system_opener) -> None:
        """Open the file under the cursor with the program ``opener`` names, or say where
        it was saved when there is none."""
        found = self.selected_file()
        if found is None:
            return
        number, backend = self.number, self.backend

        def job() -> tuple[Path, bool]:
            folder = tempfile.mkdtemp(prefix="tix-")
            path = backend.save_file(number, int(found.id or 0), folder)
            command = opener()
            if command is None:
                return path, False
            subprocess.Popen(  # the viewer outlives this call: no wait
                [*command, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return path, True

        def done(result: tuple[Path, bool]) -> None:
            path, opened = result
            if opened:
                self.notify(_("Opened {name}.").format(name=path.name))
            else:
                self.notify(
                    _("No program to open it here: saved to {file}.").format(file=path),
                    timeout=10,
                )

        self.run_job(job, done)
