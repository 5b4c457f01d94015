"""The documents view: the list, a document's lines, open, export to Excel, its ticket."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from tests.tui.conftest import DemoSnapshot
from tix.tui.app import make_app
from tix.tui.backend import Backend
from tix.tui.dialogs import FormDialog
from tix.tui.screens.documents import DocumentsScreen


async def settle(pilot: Pilot[Any]) -> None:
    for _round in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def _text(pilot: Pilot[Any]) -> str:
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def _documents(pilot: Pilot[Any], ticket: int | None = None) -> DocumentsScreen:
    await settle(pilot)
    pilot.app.open_documents(ticket)  # type: ignore[attr-defined]
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DocumentsScreen)
    return screen


async def test_the_list_shows_every_document_and_the_lines_of_the_one_selected(
    demo_backend: Backend,
) -> None:
    ticket = demo_backend.documents()[0].ticket  # the demo has one: a second one
    demo_backend.new_document(ticket, "quote", from_times=False, lines=["Dichtung;2;12,50"])
    made = demo_backend.documents()
    assert len(made) == 2
    app = make_app(backend=demo_backend, poll_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _documents(pilot)
        table = screen.query_one("#documents", DataTable)
        assert [str(row.key.value) for row in table.ordered_rows] == [d.number for d in made]
        first = made[0]
        shown = _text(pilot)
        assert first.lines[0].description[:30] in shown
        assert f"{first.gross} {first.currency}" in shown
        await pilot.press("down")
        await pilot.pause()
        assert screen.selected() == made[1]
        assert f"{made[1].net} / {made[1].vat} / {made[1].gross}" in _text(pilot)


async def test_documents_of_one_ticket_and_going_to_it(demo_backend: Backend) -> None:
    ticket = demo_backend.documents()[0].ticket
    app = make_app(backend=demo_backend, poll_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _documents(pilot, ticket)
        assert {item.ticket for item in screen.items} == {ticket}
        assert f"#{ticket}" in _text(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert getattr(pilot.app.screen, "number", None) == ticket


async def test_export_writes_the_excel_file_and_a_wrong_name_keeps_the_dialog(
    demo_backend: Backend, tmp_path: Path
) -> None:
    import openpyxl

    document = demo_backend.documents()[0]
    app = make_app(backend=demo_backend, poll_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await _documents(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = pilot.app.screen
        assert isinstance(form, FormDialog)
        path = form.query_one("#field-path", Input)
        path.value = str(tmp_path / "invoice.txt")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is form and path.has_class("-invalid")
        path.value = str(tmp_path / "invoice.xlsx")
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is not form
    book = openpyxl.load_workbook(tmp_path / "invoice.xlsx")
    cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value]
    assert any(document.number in cell for cell in cells)


async def test_open_hands_the_excel_file_to_the_viewer_or_says_where_it_is(
    demo_backend: Backend, tmp_path: Path
) -> None:
    import sys

    copied = tmp_path / "opened.xlsx"
    viewer = [
        sys.executable,
        "-c",
        f"import shutil, sys; shutil.copy(sys.argv[1], {str(copied)!r})",
    ]
    app = make_app(backend=demo_backend, poll_interval=0)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _documents(pilot)
        screen.action_open(opener=lambda: viewer)
        await settle(pilot)
        for _wait in range(50):
            if copied.exists():
                break
            await pilot.pause(0.1)
        assert copied.read_bytes()[:2] == b"PK"  # an .xlsx is a zip
        screen.action_open(opener=lambda: None)
        await settle(pilot)
        said = [n.message for n in pilot.app._notifications]
        assert any("saved to" in text and ".xlsx" in text for text in said), said


def _shown(ticket: int | None = None) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await _documents(pilot, ticket)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_of_the_documents(
    demo_snapshot: DemoSnapshot,
    size: tuple[int, int],
    language: str,
) -> None:
    assert demo_snapshot(size, language, _shown())
