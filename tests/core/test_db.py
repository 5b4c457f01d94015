"""The database layer: schema checks, migrations, SQLite settings, backups."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tix.core import db
from tix.core.backup import backup
from tix.core.db import SCHEMA_HEAD, SCHEMA_REVISIONS, check_schema, make_engine, session_scope
from tix.core.errors import Conflict, Invalid, NotInitialised, SchemaTooNew
from tix.core.migrate import script_revisions, upgrade
from tix.core.models.base import TixModel


def test_known_revisions_match_the_migration_scripts() -> None:
    assert script_revisions() == list(SCHEMA_REVISIONS)


def test_an_empty_database_is_refused_until_init(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    with pytest.raises(NotInitialised, match="tix init"):
        check_schema(engine)
    assert upgrade(engine) == (None, SCHEMA_HEAD)
    check_schema(engine)
    assert upgrade(engine) == (SCHEMA_HEAD, SCHEMA_HEAD)  # idempotent
    engine.dispose()


def test_migrations_build_exactly_the_models(empty_db_url: str) -> None:
    """Upgrading an empty database gives the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from tix.core.models import load_all

    load_all()
    engine = make_engine(empty_db_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, TixModel.metadata)
    engine.dispose()
    # the search tables are made by hand-written SQL, not by the models
    differences = [d for d in differences if "search" not in str(d)]
    assert differences == []


def test_a_database_from_a_newer_tix_is_refused(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew, match="newer tix"):
        check_schema(engine)
    with pytest.raises(SchemaTooNew):
        upgrade(engine)


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url"])
def test_unsupported_or_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(Invalid):
        make_engine(url)


def test_a_failed_transaction_leaves_nothing_behind(world) -> None:
    from tix.core.models import User
    from tix.core.services import users

    with pytest.raises(RuntimeError), session_scope(world.engine, write=True) as session:
        users.add_user(
            session, world.user(session, "admin"), login="eve", name="Eve", email="eve@tix.test"
        )
        raise RuntimeError("boom")
    with session_scope(world.engine) as session:
        assert users.find_user(session, "eve") is None
        assert session.get(User, world.admin) is not None


def test_a_write_begun_in_one_thread_may_end_in_another(tmp_path: Path) -> None:
    """What FastAPI does with a request's session: the block begins in one worker thread
    and ends in another. The writer lock is released, and the next writer gets in."""
    engine = make_engine(f"sqlite:///{tmp_path / 'threads.db'}")
    scope = session_scope(engine, write=True)
    with ThreadPoolExecutor(max_workers=1) as first, ThreadPoolExecutor(max_workers=1) as second:
        session = first.submit(scope.__enter__).result()
        first.submit(session.execute, text("CREATE TABLE t (x INTEGER)")).result()
        assert second.submit(scope.__exit__, None, None, None).result() is False
        after = second.submit(_write_once, engine)
        assert after.result(timeout=5) == 1


def test_a_write_inside_a_write_in_one_thread_does_not_wait_for_itself(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested.db'}")
    lock = db._writer_lock(engine)

    def nested() -> None:
        lock.acquire()
        lock.acquire()  # a write scope inside a write scope, same thread
        lock.release()
        lock.release()

    worker = threading.Thread(target=nested, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "the thread waits for a lock it holds itself"
    with ThreadPoolExecutor(max_workers=1) as other:
        assert other.submit(_write_once, engine).result(timeout=5) == 1
    with pytest.raises(RuntimeError):
        lock.release()  # more releases than acquisitions


def _write_once(engine: Any) -> int:
    with session_scope(engine, write=True) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
        session.execute(text("INSERT INTO t VALUES (1)"))
        return int(session.execute(text("SELECT count(*) FROM t")).scalar_one())


def test_sqlite_backup_is_a_consistent_copy(tmp_path: Path, sqlite_template: Path) -> None:
    source = tmp_path / "live.db"
    source.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{source}")
    target = tmp_path / "copy.db"
    size = backup(engine, target)
    assert size == target.stat().st_size > 0
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (SCHEMA_HEAD,)
    with pytest.raises(Conflict, match="--force"):
        backup(engine, target)
    engine.dispose()


def test_postgres_backup_uses_pg_dump(tmp_path: Path, postgres_server) -> None:
    import shutil

    if shutil.which("pg_dump") is None:
        from tests.servers import require

        require("pg_dump", "pg_dump is not installed")
    engine = make_engine(postgres_server.create_database("backup_source"))
    upgrade(engine)
    target = tmp_path / "dump.pgc"
    assert backup(engine, target) > 0
    assert target.read_bytes().startswith(b"PGDMP")
    engine.dispose()


def test_a_database_of_the_previous_release_upgrades_with_its_data(empty_db_url: str) -> None:
    """A 0001 database (the first release) with a user and a ticket reaches the head."""
    engine = make_engine(empty_db_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (login, name, email, is_admin, active, language, timezone, "
                "created_at) VALUES ('old', 'Old User', 'old@tix.test', true, true, '', '', "
                "CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO tickets (number, kind, status, subject, priority, origin, owner_id, "
                "creator_user_id, version, activity_seq, created_at, updated_at) VALUES (1001, "
                "'internal', 'open', 'Kept', 5, 'agent', 1, 1, 1, 0, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)"
            )
        )
    assert upgrade(engine) == ("0001", SCHEMA_HEAD)
    check_schema(engine)
    from tix.core.services import tickets, users

    with session_scope(engine) as session:
        old = users.get_user(session, "old")
        assert old.notify_by_mail is False and old.hourly_rate is None
        assert tickets.get_ticket(session, old, 1001).subject == "Kept"
    engine.dispose()


def _broken_database(kind: str, tmp_path: Path) -> str:
    if kind == "file":
        path = tmp_path / "notes.txt"
        path.write_text("not a database, just notes\n" * 100)
        return f"sqlite:///{path}"
    return "postgresql+psycopg://tix@127.0.0.1:1/none"  # nothing listens on port 1


@pytest.mark.parametrize("kind", ["file", "postgresql"])
def test_the_tui_and_the_web_say_what_the_cli_says_of_a_broken_database(
    kind: str, tmp_path: Path, sqlite_template: Path
) -> None:
    import html
    import shutil
    import subprocess
    import sys

    from fastapi.testclient import TestClient

    from tix.core.config import Settings
    from tix.core.errors import TixError
    from tix.tui.app import make_app
    from tix.web.app import create_app

    url = _broken_database(kind, tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TIX_USER": "ann"}
    cli = subprocess.run(
        [sys.executable, "-m", "tix", "--db", url, "ticket", "list"],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert cli.returncode == 1
    assert cli.stderr.count("\n") == 1 and cli.stderr.startswith("tix: cannot open the database")
    said = cli.stderr.removeprefix("tix: ").strip()
    reason = said.partition(f"{url}: ")[2]
    assert reason and "unexpected" not in said
    assert ("file is not a database" in reason) if kind == "file" else ("refused" in reason)

    with pytest.raises(TixError) as tui:
        make_app(database_url=url, login="ann")
    assert tui.value.message == said
    with pytest.raises(TixError) as web:
        create_app(Settings(database_url=url))
    assert web.value.message == said

    # A database that fails while the server runs: the same reason, as a 503 with one line.
    good = tmp_path / "good.db"
    shutil.copy(sqlite_template, good)
    app = create_app(
        Settings(database_url=f"sqlite:///{good}", portal_url="http://testserver"),
        engine=make_engine(f"sqlite:///{good}"),
    )
    app.state.engine = make_engine(url)
    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.get("/api/v1/tickets", headers={"Authorization": "Bearer tix_some_key"})
        assert api.status_code == 503
        assert api.json() == {
            "error": {"code": "unavailable", "message": f"the database failed: {reason}"}
        }
        client.cookies.set("tix_session", "some-session", path="/portal")
        portal = client.get("/portal/")
        assert portal.status_code == 503
        assert f"the database failed: {reason}" in html.unescape(portal.text)
        assert "Traceback" not in portal.text
