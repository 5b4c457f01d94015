"""Screens open each other through the app (``TixApp.open_ticket`` …), never through
each other's modules: no import circle between screens, and each screen is imported
only when it is first opened."""

from __future__ import annotations

import ast
from pathlib import Path

import tix.tui

TUI = Path(tix.tui.__file__).parent


def _imported(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in it (functions and TYPE_CHECKING too);
    ``from package import name`` counts as ``package.name`` as well."""
    package = "tix.tui." + ".".join(path.relative_to(TUI).parent.parts)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _screen_modules(imported: set[str]) -> set[str]:
    """The screen modules among ``imported`` (``tix.tui.dialogs.FormDialog`` is
    ``tix.tui.dialogs``)."""
    return {
        ".".join(name.split(".")[:4]) for name in imported if name.startswith("tix.tui.screens.")
    }


def test_no_screen_module_imports_another_screen_module() -> None:
    screens = sorted((TUI / "screens").glob("*.py"))
    assert {path.stem for path in screens} >= {"ticket_list", "ticket_view", "new_ticket"}
    found = {}
    for path in screens:
        own = f"tix.tui.screens.{path.stem}"
        others = _screen_modules(_imported(path)) - {own}
        if others:
            found[own] = sorted(others)
    assert found == {}


def test_the_dialogs_and_the_widgets_open_no_screen() -> None:
    """Dialogs (:mod:`tix.tui.dialogs`) and widgets are pushed or mounted by screens;
    they open a screen through the app, never by importing it."""
    paths = [*sorted((TUI / "dialogs").glob("*.py")), *sorted((TUI / "widgets").glob("*.py"))]
    assert len(paths) > 10
    found = {}
    for path in paths:
        others = _screen_modules(_imported(path))
        if others:
            found[str(path.relative_to(TUI))] = sorted(others)
    assert found == {}
