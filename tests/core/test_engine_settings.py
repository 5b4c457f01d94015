"""The PostgreSQL connection settings a deployment sets (pool, statement timeout,
application name), on the real server; SQLite ignores them."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import text

from tix.core.config import Settings
from tix.core.db import engine_for, session_scope
from tix.core.errors import Unavailable


def test_postgres_connections_carry_the_configured_settings(db_url: str, backend: str) -> None:
    settings = Settings(
        database_url=db_url,
        pool_size=3,
        max_overflow=2,
        statement_timeout=7,
        application_name="tix web1",
    )
    engine = engine_for(settings)
    try:
        with session_scope(engine) as session:
            if backend == "sqlite":
                assert session.execute(text("SELECT 1")).scalar() == 1
                return
            assert session.execute(text("SHOW statement_timeout")).scalar() == "7s"
            assert session.execute(text("SHOW application_name")).scalar() == "tix web1"
        assert (engine.pool.size(), engine.pool._max_overflow) == (3, 2)  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_by_default_no_statement_is_cut_short(db_url: str, backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("PostgreSQL only: SQLite has no statement timeout")
    engine = engine_for(Settings(database_url=db_url))
    try:
        with session_scope(engine) as session:
            assert session.execute(text("SHOW statement_timeout")).scalar() == "0"
            assert session.execute(text("SHOW application_name")).scalar() == "tix"
    finally:
        engine.dispose()


def test_a_statement_longer_than_the_timeout_is_cancelled_with_one_clear_line(
    db_url: str, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("PostgreSQL only: SQLite has no statement timeout")
    engine = engine_for(replace(Settings(database_url=db_url), statement_timeout=1))
    began = time.monotonic()
    try:
        with pytest.raises(Unavailable) as refused, session_scope(engine) as session:
            session.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()
    assert time.monotonic() - began < 4
    assert refused.value.message == (
        "the database cancelled a statement: it ran longer than the statement timeout "
        "(TIX_STATEMENT_TIMEOUT) or an administrator cancelled it; try again later"
    )


def test_a_process_whose_connections_are_all_in_use_says_so_in_one_line(
    db_url: str, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("PostgreSQL only: the pool settings are PostgreSQL's")
    engine = engine_for(Settings(database_url=db_url, pool_size=1, max_overflow=0))
    engine.pool._timeout = 0.2  # type: ignore[attr-defined]  # not 30 s in a test
    try:
        with engine.connect() as held:
            held.execute(text("SELECT 1"))
            with pytest.raises(Unavailable) as refused, session_scope(engine) as session:
                session.execute(text("SELECT 1"))
    finally:
        engine.dispose()
    assert refused.value.message == (
        "every database connection of this process is in use: try again in a moment, "
        "or allow more with TIX_POOL_SIZE and TIX_MAX_OVERFLOW"
    )
