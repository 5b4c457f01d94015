"""``tix config``: the effective settings and where each comes from."""

from __future__ import annotations

from typing import Any

import typer

from tix.cli import context
from tix.cli.output import JsonOption, emit
from tix.core.i18n import _

app = typer.Typer(no_args_is_help=True)


def _system_zone() -> str:
    from datetime import datetime

    local = datetime.now().astimezone().tzinfo
    return getattr(local, "key", None) or str(local)


def _rows() -> list[dict[str, Any]]:
    """Every setting with its effective value, source and where it was set."""
    import getpass
    import os

    from tix.core import i18n
    from tix.core.config import ENVIRONMENT, data_dir, hide_password, settings_with_origins

    settings, origins = settings_with_origins(database_url=context.options.database_url)
    rows: list[dict[str, Any]] = []

    def add(name: str, value: Any, source: str, where: str = "") -> None:
        rows.append({"name": name, "value": value, "source": source, "where": where})

    if context.options.as_login:
        add("user", context.options.as_login, "option", "--as")
    elif os.environ.get("TIX_USER"):
        add("user", os.environ["TIX_USER"], "environment", "TIX_USER")
    else:
        add("user", getpass.getuser(), "default")
    if os.environ.get("TIX_DATA_DIR"):
        add("data_dir", str(data_dir()), "environment", "TIX_DATA_DIR")
    else:
        add("data_dir", str(data_dir()), "default")
    shown: dict[str, Any] = {
        "database_url": hide_password(settings.resolved_database_url),
        "language": settings.language or i18n.language_code(),
        "timezone": settings.timezone or _system_zone(),
        "log_file": str(settings.resolved_log_file),
    }
    for name in ENVIRONMENT:
        origin = origins[name]
        add(name, shown.get(name, getattr(settings, name)), origin.source, origin.where)
    return rows


def _print(path: str, exists: bool, rows: list[dict[str, Any]]) -> None:
    import sys

    sources = {
        "option": _("option"),
        "environment": _("environment"),
        "file": _("file"),
        "default": _("default"),
    }
    note = "" if exists else " " + _("(not there: every setting is from elsewhere)")
    sys.stdout.write(_("config file: {path}").format(path=path) + note + "\n")
    width = max(len(row["name"]) for row in rows)
    value_width = min(40, max(len(str(row["value"])) for row in rows))
    for row in rows:
        origin = " ".join(part for part in (sources[row["source"]], row["where"]) if part)
        value = str(row["value"]).replace("\n", "|")
        sys.stdout.write(f"{row['name']:<{width}}  {value:<{value_width}}  {origin}\n")


@app.command(
    "show",
    help=_(
        "Show each effective setting, its value and where it comes from: an option, "
        "the environment, the config file (with its line) or the default. "
        "Passwords are never shown.\n\n\b\nExample:\n  tix config show --json"
    ),
)
def show(json_output: JsonOption = False) -> None:
    from tix.core.config import config_path

    path = config_path()
    rows = _rows()
    exists = path.is_file()
    data = {"config_file": str(path), "config_file_exists": exists, "settings": rows}
    emit(data, lambda: _print(str(path), exists, rows))
