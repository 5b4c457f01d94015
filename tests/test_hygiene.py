"""Architecture rules that a refactoring could silently break."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tix.core

UI_MODULES = (
    "typer",
    "textual",
    "fastapi",
    "rich",
    "click",
    "uvicorn",
    "tix.cli",
    "tix.tui",
    "tix.web",
)


def test_the_core_imports_no_user_interface() -> None:
    modules = [
        m.name
        for m in pkgutil.walk_packages(tix.core.__path__, "tix.core.")
        if ".migrations" not in m.name
    ]
    assert "tix.core.services.tickets" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {UI_MODULES!r} "
        f"or any(m.startswith(p + '.') or m == p for p in {UI_MODULES!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_cli_start_imports_nothing_heavy() -> None:
    """`tix --help` must not pay for SQLAlchemy, Alembic, rich, Textual or FastAPI."""
    code = (
        "import sys\n"
        "from tix.cli.app import run\n"
        "run(['--version'])\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'alembic', 'rich', 'textual', 'fastapi', "
        "'openpyxl', 'imapclient', 'pydantic')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
