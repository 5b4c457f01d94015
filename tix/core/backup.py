"""Backups of a live database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from tix.core.errors import Conflict, Invalid, Unavailable
from tix.core.i18n import _


def backup(engine: Engine, target: Path, *, overwrite: bool = False) -> int:
    """Write a consistent copy of the database to ``target``; returns its size in bytes."""
    if target.exists() and not overwrite:
        raise Conflict(
            _("{file} exists already: choose another file or pass --force").format(file=target)
        )
    if not target.parent.is_dir():
        raise Invalid(_("the folder {folder} does not exist").format(folder=target.parent))
    if engine.dialect.name == "sqlite":
        _sqlite_backup(engine, target)
    else:
        _pg_dump(engine, target)
    return target.stat().st_size


def _sqlite_backup(engine: Engine, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination, pages=1024)
        finally:
            destination.close()
    finally:
        raw.close()
    partial.replace(target)


def _pg_dump(engine: Engine, target: Path) -> None:
    program = shutil.which("pg_dump")
    if program is None:
        raise Unavailable(
            _(
                "pg_dump is not installed: install the PostgreSQL client tools "
                "(Debian: apt install postgresql-client) or back up with your own tooling"
            )
        )
    url = engine.url.set(drivername="postgresql")
    partial = target.with_name(target.name + ".partial")
    result = subprocess.run(
        [
            program,
            "--format=custom",
            "--no-owner",
            f"--file={partial}",
            f"--dbname={url.render_as_string(hide_password=False)}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise Unavailable(
            _("pg_dump failed: {error}").format(error=result.stderr.strip().splitlines()[-1:])
        )
    partial.replace(target)
