"""Engines, sessions, and the schema version check.

SQLite is the embedded default (WAL, foreign keys, busy timeout); PostgreSQL is used
when a team shares one database. Write transactions on SQLite start with
``BEGIN IMMEDIATE`` so two writers queue up instead of failing half-way.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, OperationalError
from sqlalchemy.exc import NoSuchModuleError as SANoSuchModuleError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from tix.core.config import Settings
from tix.core.errors import (
    Conflict,
    Invalid,
    NotInitialised,
    SchemaTooNew,
    TixError,
    Unavailable,
)
from tix.core.i18n import _

SCHEMA_REVISIONS = (
    "0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011",
    "0012",
)  # fmt: skip
"""Every Alembic revision this tix knows, oldest first; the last is the head.

Kept here so that checking the schema needs no Alembic import (~400 ms);
a test asserts that it matches the migration scripts.
"""
SCHEMA_HEAD = SCHEMA_REVISIONS[-1]

BUSY_TIMEOUT_MS = 10_000
QUERY_CANCELED = "57014"
"""PostgreSQL's SQLSTATE for a statement cancelled (by ``statement_timeout``)."""


def engine_for(settings: Settings) -> Engine:
    """The engine of ``settings``' database, with its connection settings."""
    return make_engine(
        settings.resolved_database_url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        statement_timeout=settings.statement_timeout,
        application_name=settings.application_name,
    )


def make_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    statement_timeout: int = 0,
    application_name: str = "tix",
) -> Engine:
    """An engine for ``url`` with tix's connection settings.

    On PostgreSQL: each process keeps ``pool_size`` connections and opens up to
    ``max_overflow`` more under load; the server cancels a statement after
    ``statement_timeout`` seconds (0: never); connections carry ``application_name``
    (see ``pg_stat_activity``). SQLite ignores them.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise Invalid(
            _(
                "database URL {url!r} is malformed: use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DB"
            ).format(url=url)
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url, echo=echo)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            connect_args: dict[str, Any] = {"application_name": application_name}
            if statement_timeout:
                connect_args["options"] = f"-c statement_timeout={statement_timeout * 1000}"
            engine = create_engine(
                parsed,
                echo=echo,
                pool_pre_ping=True,
                pool_size=pool_size,
                max_overflow=max_overflow,
                connect_args=connect_args,
            )
        except SANoSuchModuleError:
            raise Invalid(
                _("no driver for {url}: use postgresql+psycopg://").format(url=url)
            ) from None
        with _numbering_guard:
            _numbering[engine] = _Numbering(parsed, connect_args)
        event.listen(engine, "engine_disposed", _dispose_numbering)
        return engine
    raise Invalid(
        _("tix supports SQLite and PostgreSQL, not {backend}").format(
            backend=parsed.get_backend_name()
        )
    )


@dataclass
class _Numbering:
    url: URL
    connect_args: dict[str, Any]
    engine: Engine | None = None


_numbering: weakref.WeakKeyDictionary[Engine, _Numbering] = weakref.WeakKeyDictionary()
_numbering_guard = threading.Lock()
NUMBERING_POOL = (1, 4)
"""Connections a process keeps, and opens beyond, for numbers taken apart."""


def numbering_engine(bind: Engine | Connection) -> Engine | None:
    """An engine on ``bind``'s PostgreSQL database with a small pool of its own, for a
    number taken in a short transaction apart from a session's (``None``: SQLite, or a
    session bound to a connection; the number is then taken in the session's own
    transaction).

    A pool of its own: a request holds its session's connection while it takes a
    number, and the numbering connection is never held while waiting for anything, so
    neither pool can starve the other.
    """
    base = getattr(bind, "_proxied", bind)
    if not isinstance(base, Engine):
        return None
    with _numbering_guard:
        entry = _numbering.get(base)
        if entry is None:
            return None
        if entry.engine is None:
            entry.engine = create_engine(
                entry.url,
                pool_pre_ping=True,
                pool_size=NUMBERING_POOL[0],
                max_overflow=NUMBERING_POOL[1],
                connect_args=entry.connect_args,
            )
        return entry.engine


def _dispose_numbering(engine: Engine) -> None:
    with _numbering_guard:
        entry = _numbering.get(engine)
        side = entry.engine if entry is not None else None
        if entry is not None:
            entry.engine = None
    if side is not None:
        side.dispose()


def _make_sqlite_engine(url: str, *, echo: bool) -> Engine:
    # The folder and the file are made by `tix init` (see sqlite_file), not by opening
    # the engine: a mistyped --db must not leave an empty database behind.
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # pysqlite's own transaction handling is off (isolation_level=None); we
        # begin ourselves so that writers take the write lock up front.
        mode = "IMMEDIATE" if connection.get_execution_options().get("tix_write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


@event.listens_for(Session, "after_transaction_end")
def _forget_locks(session: Session, transaction: Any) -> None:
    """Row locks end with the transaction; so does the record of them."""
    if transaction.parent is None:
        session.info.pop("tix_locked_tickets", None)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on error.

    ``write=True`` marks the transaction as a writer (``BEGIN IMMEDIATE`` on SQLite).
    Database errors a user can act on leave it as TixErrors (:func:`database_error`), so
    the CLI, the TUI and the web all say the same one line.
    """
    bind = engine.execution_options(tix_write=True) if write else engine
    lock = _writer_lock(engine) if write and is_sqlite(engine) else None
    if lock is not None:
        lock.acquire()
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as error:
        session.rollback()
        translated = database_error(error)
        if translated is not None:
            raise translated from error
        raise
    finally:
        session.close()
        if lock is not None:
            lock.release()


def database_error(error: BaseException) -> TixError | None:
    """The TixError a user can act on for a database ``error`` (``None``: not one).

    A server that cannot be reached, a file that is no database, a lock held too long
    (OperationalError, or DatabaseError itself), and a row changed by someone else
    meanwhile. Errors of tix's own SQL (ProgrammingError, IntegrityError ...) stay as
    they are: they are bugs, to be logged with their traceback.
    """
    if isinstance(error, StaleDataError):
        return Conflict(_("the ticket was changed by someone else meanwhile: try again"))
    if getattr(getattr(error, "orig", None), "sqlstate", None) == QUERY_CANCELED:
        return Unavailable(
            _(
                "the database cancelled a statement: it ran longer than the statement timeout "
                "(TIX_STATEMENT_TIMEOUT) or an administrator cancelled it; try again later"
            )
        )
    if isinstance(error, PoolTimeout):
        return Unavailable(
            _(
                "every database connection of this process is in use: try again in a moment, "
                "or allow more with TIX_POOL_SIZE and TIX_MAX_OVERFLOW"
            )
        )
    if isinstance(error, OperationalError) or type(error) is DatabaseError:
        return Unavailable(_("the database failed: {reason}").format(reason=_first_line(error)))
    return None


class WriterLock:
    """One writer at a time; re-entered by the thread that holds it (a write inside a
    write), and released by whichever thread ends the outermost block.

    A ``threading.RLock`` will not do: FastAPI begins a dependency's block in one worker
    thread and ends it in another, and an RLock refuses to be released there (the
    request failed, and the lock stayed held for good). When a pool thread that began
    one block begins another before the first has ended, the second counts as nested:
    both writers then meet in SQLite, whose busy timeout still serialises them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:
                self._depth += 1
                return
        self._lock.acquire()
        with self._guard:
            self._owner = me
            self._depth = 1

    def release(self) -> None:
        with self._guard:
            if self._depth <= 0:
                raise RuntimeError("release of a writer lock that is not held")
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
        self._lock.release()


_writer_locks: dict[int, WriterLock] = {}
_writer_locks_guard = threading.Lock()


def _writer_lock(engine: Engine) -> WriterLock:
    """One lock per SQLite engine for its writers in this process.

    SQLite lets one writer in at a time; the others sleep and retry inside the busy
    handler, which under load gives waits of up to a second. Queueing the process's
    own writers on a lock first hands the database over as soon as it is free
    (between processes the busy timeout still applies).
    """
    with _writer_locks_guard:
        return _writer_locks.setdefault(id(engine.pool), WriterLock())


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database (``None``: in memory, or not SQLite)."""
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision of the database, ``None`` when it has no tix schema."""
    path = sqlite_file(engine)
    if path is not None and not path.exists():
        return None  # not even a file: connecting would make an empty one
    try:
        with engine.connect() as connection:
            if is_sqlite(engine):
                exists = connection.execute(
                    text(
                        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
                    )
                ).first()
            else:
                exists = connection.execute(text("SELECT to_regclass('alembic_version')")).scalar()
            if not exists:
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as error:  # unreachable, refused, or a file that is no database
        raise Unavailable(
            _("cannot open the database {url}: {reason}").format(
                url=engine.url.render_as_string(hide_password=True), reason=_first_line(error)
            )
        ) from None


def check_schema(engine: Engine) -> None:
    """Raise unless the database has exactly this tix's schema."""
    revision = schema_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    if revision is None:
        raise NotInitialised(
            _("the database {url} is not initialised: run `tix init`").format(url=where)
        )
    if revision == SCHEMA_HEAD:
        return
    if revision in SCHEMA_REVISIONS:
        raise NotInitialised(
            _("the database {url} has an older schema ({revision}): run `tix db upgrade`").format(
                url=where, revision=revision
            )
        )
    raise SchemaTooNew(
        _(
            "the database {url} was made by a newer tix (schema {revision}); "
            "install that version of tix to use it"
        ).format(url=where, revision=revision)
    )


def _first_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).strip().splitlines()[0] if str(original).strip() else type(error).__name__
