"""Migration 0011 builds its ticket indexes online on PostgreSQL: writes go on meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text

from tix.core.db import SCHEMA_HEAD, make_engine, schema_revision
from tix.core.migrate import upgrade

NEW_INDEXES = ("ix_tickets_channel_status", "ix_tickets_owner_status")


@pytest.fixture
def engine_0010(backend: str, empty_db_url: str) -> Iterator[Engine]:
    """A PostgreSQL database at schema 0010 with a user who may own tickets."""
    if backend != "postgresql":
        pytest.skip("indexes are built CONCURRENTLY on PostgreSQL only")
    engine = make_engine(empty_db_url)
    upgrade(engine, "0010")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, login, name, email, is_admin, active, language, "
                "timezone, notify_by_mail, created_at) VALUES (1, 'agent', 'Agent', "
                "'agent@tix.test', false, true, '', '', false, CURRENT_TIMESTAMP)"
            )
        )
    try:
        yield engine
    finally:
        engine.dispose()


def _add_ticket(connection: Connection, number: int) -> None:
    connection.execute(
        text(
            "INSERT INTO tickets (number, kind, status, subject, priority, origin, owner_id, "
            "creator_user_id, version, activity_seq, created_at, updated_at) VALUES (:number, "
            "'internal', 'open', 'Printer', 5, 'agent', 1, 1, 1, 0, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"
        ),
        {"number": number},
    )


def _valid_indexes(engine: Engine) -> dict[str, bool]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, i.indisvalid FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ANY(:names)"
            ),
            {"names": list(NEW_INDEXES)},
        ).all()
    return {name: valid for name, valid in rows}


def test_tickets_can_be_written_while_the_indexes_are_built(engine_0010: Engine) -> None:
    engine = engine_0010
    # A writer still in its transaction makes any index build on tickets wait for it.
    writer = engine.connect()
    writer.begin()
    _add_ticket(writer, 1001)
    failure: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(engine)
        except BaseException as error:  # pragma: no cover - reported below
            failure.append(error)

    migration = threading.Thread(target=migrate)
    migration.start()
    try:
        deadline = time.monotonic() + 30
        with engine.connect() as watcher:
            while not watcher.execute(
                text(
                    "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE 'CREATE INDEX%ix_tickets_%status%'"
                )
            ).first():
                assert time.monotonic() < deadline, "the index build never started"
                assert migration.is_alive(), failure
                watcher.rollback()  # pg_stat_activity stays as first read until then
                time.sleep(0.05)
        # Meanwhile another agent opens a ticket: it must not queue behind the build.
        with engine.begin() as other:
            other.execute(text("SET LOCAL lock_timeout = '3s'"))
            _add_ticket(other, 1002)
    finally:
        writer.commit()
        writer.close()
        migration.join(60)
    assert not failure, failure
    assert schema_revision(engine) == SCHEMA_HEAD
    assert _valid_indexes(engine) == {name: True for name in NEW_INDEXES}
    with engine.connect() as connection:
        numbers = connection.execute(text("SELECT number FROM tickets ORDER BY number")).all()
    assert [number for (number,) in numbers] == [1001, 1002]


def test_an_index_a_cut_short_build_left_invalid_is_built_again(engine_0010: Engine) -> None:
    engine = engine_0010
    upgrade(engine)
    # What an interrupted CREATE INDEX CONCURRENTLY leaves: the index, marked invalid,
    # and the schema still at the revision before.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE pg_index SET indisvalid = false "
                "WHERE indexrelid = 'ix_tickets_owner_status'::regclass"
            )
        )
        connection.execute(text("UPDATE alembic_version SET version_num = '0010'"))
    assert _valid_indexes(engine)["ix_tickets_owner_status"] is False
    assert upgrade(engine) == ("0010", SCHEMA_HEAD)
    assert _valid_indexes(engine) == {name: True for name in NEW_INDEXES}
