"""Schema migrations with Alembic (imported only here: it costs ~400 ms)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from tix.core.db import SCHEMA_HEAD, SCHEMA_REVISIONS, schema_revision, sqlite_file
from tix.core.errors import Invalid, SchemaTooNew
from tix.core.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def script_revisions() -> list[str]:
    """Revisions of the migration scripts, oldest first."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def upgrade(engine: Engine, target: str = SCHEMA_HEAD) -> tuple[str | None, str]:
    """Bring the database to this tix's schema (or to the older revision ``target``);
    returns (revision before, after)."""
    before = schema_revision(engine)
    if before is not None and before not in SCHEMA_REVISIONS:
        raise SchemaTooNew(
            _(
                "the database was made by a newer tix (schema {revision}); "
                "install that version of tix to use it"
            ).format(revision=before)
        )
    if before == target:
        return before, before
    from alembic import command

    path = sqlite_file(engine)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise Invalid(
                _("cannot make the folder {folder}: {reason}").format(
                    folder=path.parent, reason=error.strerror or error
                )
            ) from None
    config = alembic_config()
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a table by copying it; with foreign keys on, dropping the old
            # copy fails. The switch only works outside a transaction, so it goes to the
            # driver directly; integrity is checked before the migration commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        config.attributes["connection"] = connection
        try:
            if not sqlite:
                # Alembic begins the transaction itself, so that a migration may end it to
                # build an index CONCURRENTLY (online, outside of any transaction).
                command.upgrade(config, target)
                return before, target
            with connection.begin():
                command.upgrade(config, target)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                if broken is not None:
                    raise RuntimeError(f"migration broke a foreign key: {tuple(broken)}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return before, target
