"""Shared fixtures: a real database of each backend, a small helpdesk, and the CLI.

Database tests run once on SQLite and once on PostgreSQL (``TIX_TEST_BACKENDS``
narrows that, e.g. to ``sqlite``). Each test gets its own fresh database, copied
from a template that was migrated once per run.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tix.core.db import make_engine, session_scope

pytest_plugins = ["tests.server_fixtures"]

BACKENDS = [b for b in os.environ.get("TIX_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
_counter = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tix.core.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: Any) -> str:
    """A migrated database that each test's database is copied from."""
    from tix.core.migrate import upgrade

    url = postgres_server.create_database("tix_template")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return "tix_template"


def _postgres_copy(server: Any, template: str) -> tuple[str, str]:
    import psycopg

    name = f"t{os.getpid()}_{next(_counter)}"
    admin = server.database_url("postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return server.database_url(name), name


def _postgres_drop(server: Any, name: str) -> None:
    import psycopg

    admin = server.database_url("postgres").replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database of the current backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "tix.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    url, name = _postgres_copy(server, template)
    try:
        yield url
    finally:
        _postgres_drop(server, name)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any tix schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"e{os.getpid()}_{next(_counter)}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        _postgres_drop(server, name)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    made = make_engine(db_url)
    try:
        yield made
    finally:
        made.dispose()


@dataclass
class World:
    """A small helpdesk: ids of what :func:`world` made."""

    engine: Engine
    admin: int
    bob: int
    carl: int
    dora: int
    support: int
    sales: int
    account: int
    customer: int

    def user(self, session: Any, name: str) -> Any:
        from tix.core.models import User

        return session.get(User, getattr(self, name))

    def channel(self, session: Any, name: str) -> Any:
        from tix.core.models import Channel

        return session.get(Channel, getattr(self, name))


@pytest.fixture
def world(engine: Engine) -> World:
    """anna (admin); bob in Support, carl in Sales, dora in no group; channels Support
    (default owner bob, account support@tix.test) and Sales; customer kunde@example.com."""
    from tix.core.services import accounts, channels, contacts, users

    with session_scope(engine, write=True) as session:
        anna = users.add_user(
            session, None, login="anna", name="Anna Admin", email="anna@tix.test", is_admin=True
        )
        bob = users.add_user(session, anna, login="bob", name="Bob Support", email="bob@tix.test")
        carl = users.add_user(session, anna, login="carl", name="Carl Sales", email="carl@tix.test")
        dora = users.add_user(
            session, anna, login="dora", name="Dora Nogroup", email="dora@tix.test"
        )
        support_group = users.add_group(session, anna, name="Support")
        sales_group = users.add_group(session, anna, name="Sales")
        users.add_group_member(session, anna, group=support_group, user=bob)
        users.add_group_member(session, anna, group=sales_group, user=carl)
        support = channels.add_channel(
            session, anna, name="Support", groups=[support_group], default_owner=bob
        )
        sales = channels.add_channel(session, anna, name="Sales", groups=[sales_group])
        account = accounts.add_account(
            session,
            anna,
            name="support",
            address="support@tix.test",
            display_name="tix Support",
            channel=support,
        )
        customer = contacts.add_contact(
            session,
            anna,
            address="kunde@example.com",
            name="Karla Kunde",
            organization="Kunde GmbH",
        )
        ids = [x.id for x in (anna, bob, carl, dora, support, sales, account, customer)]
    assert all(isinstance(i, int) for i in ids)
    return World(engine, *ids)  # type: ignore[arg-type]


@pytest.fixture
def ticket(world: World) -> int:
    """The number of a request ticket bob took for kunde@example.com in Support."""
    from tix.core.services import contacts, opening

    with session_scope(world.engine, write=True) as session:
        customer = contacts.find_contact(session, "kunde@example.com")
        made = opening.open_request_ticket(
            session,
            world.user(session, "bob"),
            channel=world.channel(session, "support"),
            customer=customer,
            subject="Pump",
            body="Leaks",
        )
        return made.number


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Cli:
    """Runs ``tix`` in this process, as a script would, against the test database."""

    def __init__(
        self, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.db_url = db_url
        self.capsys = capsys
        monkeypatch.setenv("TIX_DATABASE_URL", db_url)
        monkeypatch.setenv("TIX_USER", "anna")
        monkeypatch.setenv("COLUMNS", "120")

    def __call__(self, *args: str, user: str | None = None, stdin: str | None = None) -> CliResult:
        import io
        import sys

        from tix.cli.app import run

        argv = (["--as", user] if user else []) + list(args)
        self.capsys.readouterr()
        old_stdin = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            code = run(argv)
        finally:
            sys.stdin = old_stdin
        out, err = self.capsys.readouterr()
        return CliResult(code, out, err)


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(db_url, capsys, monkeypatch)


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment asks for German (``TIX_LANG=de``), as a German user's shell does."""
    from tix.core import i18n

    monkeypatch.setenv("TIX_LANG", "de")
    i18n.translation.cache_clear()  # the environment's language is read once
    yield
    monkeypatch.delenv("TIX_LANG")
    i18n.translation.cache_clear()
