"""The model package loads a module when one of its names is first used: each module must
bring the tables its foreign keys point to, or a command that loads it alone cannot flush."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import tix.core.models as models

MODELS = Path(models.__file__).parent
TABLE = re.compile(r'__tablename__ = "(\w+)"')
FOREIGN_KEY = re.compile(r'(?:foreign_key=|ForeignKey\()\s*"(\w+)\.')
IMPORT = re.compile(r"^import tix\.core\.models\.(\w+)", re.MULTILINE)


def _sources() -> dict[str, str]:
    return {name: (MODELS / f"{name}.py").read_text() for name in models.MODULES}


def test_every_module_is_listed() -> None:
    on_disk = {p.stem for p in MODELS.glob("*.py")} - {"__init__", "base"}
    assert set(models.MODULES) == on_disk


def test_every_module_imports_the_homes_of_its_foreign_keys() -> None:
    sources = _sources()
    home = {table: name for name, text in sources.items() for table in TABLE.findall(text)}
    missing = {
        name: sorted(
            {home[table] for table in FOREIGN_KEY.findall(text)}
            - {name}
            - set(IMPORT.findall(text))
        )
        for name, text in sources.items()
    }
    assert {name: homes for name, homes in missing.items() if homes} == {}


CHECK_ALONE = """
import os, sys
from sqlalchemy.exc import NoReferencedTableError
from tix.core.models.base import TixModel
failed = []
for module in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        import importlib
        importlib.import_module("tix.core.models." + module)
        try:
            for table in TixModel.metadata.sorted_tables:
                for key in table.foreign_keys:
                    key.column
        except NoReferencedTableError as error:
            print(module, error)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(module)
print("failed:", failed)
sys.exit(1 if failed else 0)
"""


def test_each_module_loaded_alone_resolves_its_foreign_keys() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK_ALONE, *models.MODULES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_name_loads_only_its_module_and_what_it_references() -> None:
    code = (
        "import sys; from tix.core.models import SavedView; "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules "
        "if m.startswith('tix.core.models.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['base',", "'saved_view',", "'user']"]


def test_load_all_registers_every_table() -> None:
    from tix.core.models.base import TixModel

    models.load_all()
    names = set(TixModel.metadata.tables)
    expected = {table for text in _sources().values() for table in TABLE.findall(text)}
    assert expected <= names


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        _ = models.NoSuchModel  # type: ignore[attr-defined]


def test_the_models_load_no_database_dialect() -> None:
    """A dialect's keyword on a model (``postgresql_where=`` …) imports that dialect into
    every command; the engine loads the one it needs."""
    code = (
        "import sys; import tix.core.models as m; m.load_all(); "
        "print(sorted(n for n in sys.modules if n.startswith('sqlalchemy.dialects.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
