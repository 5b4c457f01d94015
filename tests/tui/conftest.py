"""Fixtures for the terminal UI: a backend on a real database, demo data, a fixed clock."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tix.core import clock
from tix.core.config import Settings
from tix.core.db import make_engine, session_scope
from tix.tui.app import TixApp, make_app
from tix.tui.backend import Backend

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
"""The fixed now of snapshot tests (10:30 in Berlin)."""


@pytest.fixture
def backend(backend: str, world) -> Iterator[Backend]:
    """bob (agent in Support) on the test world, on each database backend (overrides the
    root ``backend`` fixture, which names the database kind, and builds on it)."""
    made = Backend(world.engine, "bob", Settings(timezone="Europe/Berlin"))
    yield made
    made.close()


@pytest.fixture
def app(backend: Backend) -> TixApp:
    return make_app(backend=backend, poll_interval=0.2)


@pytest.fixture
def fixed_clock() -> Iterator[datetime]:
    """Every part of tix, worker threads included, sees ``NOW``."""
    clock.fix_clock(lambda: NOW)
    yield NOW
    clock.fix_clock(None)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo helpdesk (60 tickets, fixed seed and clock) on SQLite, built once."""
    from tix.core.migrate import upgrade
    from tix.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    clock.fix_clock(lambda: NOW)
    try:
        with session_scope(engine, write=True) as session:
            build_demo(session, operator_login=None, seed=7, ticket_count=60)
    finally:
        clock.fix_clock(None)
    engine.dispose()
    return path


@pytest.fixture
def demo_backend(demo_template: Path, tmp_path: Path, fixed_clock) -> Iterator[Backend]:
    """anna (admin, Support) on a private copy of the demo, clock fixed at ``NOW``."""
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    made = Backend(engine, "anna", Settings(timezone="Europe/Berlin"))
    yield made
    made.close()


DemoSnapshot = Callable[..., bool]
"""``demo_snapshot(size, language, run_before, poll_interval=0)``."""


@pytest.fixture
def demo_snapshot(
    snap_compare: Any, demo_backend: Backend, request: pytest.FixtureRequest
) -> DemoSnapshot:
    """Whether the app on the demo, at ``size`` (columns, rows) in ``language``, looks
    as its stored snapshot once ``run_before`` has driven it there."""

    def compare(
        size: tuple[int, int], language: str, run_before: Any, *, poll_interval: float = 0
    ) -> bool:
        if language == "de":
            request.getfixturevalue("german")
        app = make_app(backend=demo_backend, poll_interval=poll_interval)
        return bool(snap_compare(app, terminal_size=size, run_before=run_before))

    return compare
