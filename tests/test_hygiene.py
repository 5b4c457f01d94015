"""Architecture rules that a refactoring could silently break."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import tix
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


# The layer contract, checked on the source (every import statement, also those inside
# functions, which the run-time check above cannot see): the core knows no interface,
# and the three interfaces do not know each other. The CLI is the program's entry point,
# so the commands that start the TUI and the web server may import what they start.
LAYERS = ("tix.cli", "tix.tui", "tix.web")
CORE_FORBIDDEN = (*LAYERS, "typer", "textual", "fastapi", "starlette", "rich", "click", "uvicorn")
ENTRY_POINTS = {
    ("tix.cli.commands.tui", "tix.tui.app"),
    ("tix.cli.commands.tui", "tix.tui.backend"),
    ("tix.cli.commands.web", "tix.web.app"),
    ("tix.cli.commands.web", "tix.web.snippet"),
}


def _imports(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every module the file imports (with its line), relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            yield base, node.lineno
            for alias in node.names:  # `from tix import web` imports tix.web
                yield f"{base}.{alias.name}", node.lineno


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    root = Path(tix.__file__).parent
    for path in sorted((root / package.removeprefix("tix.").replace(".", "/")).rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{module}:{line} imports {name}"
        for module, path in _modules(package)
        for name, line in _imports(path, module)
        if _within(name, forbidden)
        and not any(module == m and _within(name, (t,)) for m, t in ENTRY_POINTS)
    ]


def test_the_layer_contract_holds() -> None:
    assert any(m == "tix.core.views" for m, _ in _modules("tix.core"))
    violations = _violations("tix.core", CORE_FORBIDDEN)
    for layer in LAYERS:
        violations += _violations(layer, tuple(other for other in LAYERS if other != layer))
    assert violations == []


def test_the_layer_contract_sees_imports_inside_functions(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "def f():\n    from tix.web import app\n    import textual.app\nfrom . import sibling\n",
        encoding="utf-8",
    )
    assert sorted(_imports(path, "tix.core.views")) == [
        ("textual.app", 3),
        ("tix.core", 4),
        ("tix.core.sibling", 4),
        ("tix.web", 2),
        ("tix.web.app", 2),
    ]
