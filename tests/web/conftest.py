"""Shared web fixtures: the app on the test world's database, a client, a live server.

- ``web_app``: :func:`tix.web.app.create_app` on the ``world`` database (either backend),
  with ``portal_url`` ``http://testserver`` (the test client's own address).
- ``make_web_app(**settings)``: the same with other settings (small file limits ...).
- ``client``: FastAPI's ``TestClient`` for ``web_app`` (requests run through the real
  app, in this process).
- ``live_server``: uvicorn serving ``web_app`` on 127.0.0.1 in a thread; yields its base
  URL (``http://127.0.0.1:PORT``), for browsers and real HTTP clients.
- ``api_key``: a token for bob (all channels); ``auth`` is its Authorization header.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import World
from tests.servers import HOST, free_port
from tix.core.config import Settings
from tix.core.db import session_scope


def pytest_configure(config: pytest.Config) -> None:
    # FastAPI's TestClient runs on httpx; Starlette nags about httpx's successor.
    config.addinivalue_line(
        "filterwarnings", "ignore:Using `httpx` with `starlette.testclient` is deprecated"
    )


@pytest.fixture
def make_web_app(world: World, db_url: str) -> Callable[..., Any]:
    from tix.web.app import create_app

    def make(**settings: Any) -> Any:
        values: dict[str, Any] = {"portal_url": "http://testserver", "timezone": "Europe/Berlin"}
        values.update(settings)
        return create_app(Settings(database_url=db_url, **values), engine=world.engine)

    return make


@pytest.fixture
def web_app(make_web_app: Callable[..., Any]) -> Any:
    return make_web_app()


@pytest.fixture
def client(web_app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(web_app) as test_client:
        yield test_client


@pytest.fixture
def live_server(web_app: Any) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1; yields ``http://127.0.0.1:PORT``."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(web_app, host=HOST, port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on {HOST}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def make_key(world: World, name: str, *, login: str = "bob", channels: tuple[str, ...] = ()) -> str:
    """A new API key acting as ``login`` (restricted to ``channels`` when given)."""
    from tix.core.services import apikeys, users
    from tix.core.services import channels as channel_service

    with session_scope(world.engine, write=True) as session:
        _key, token = apikeys.create_key(
            session,
            users.get_user(session, "anna"),
            name=name,
            agent=users.get_user(session, login),
            channels=[channel_service.get_channel(session, c) for c in channels] or None,
        )
    return token


@pytest.fixture
def api_key(world: World) -> str:
    """A key acting as bob, for every channel."""
    return make_key(world, "test-bob")


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}
