"""``tix serve`` as a deployment runs it: its own processes (``--workers``), behind a
reverse proxy whose ``X-Forwarded-For`` it believes only from ``TIX_TRUSTED_PROXIES``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import HOST, free_port
from tix.core.db import session_scope
from tix.core.services import channels

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serving(db_url: str, tmp_path: Path, workers: int, **env: str) -> Iterator[str]:
    port = free_port()
    environment = {
        **os.environ,
        "TIX_DATABASE_URL": db_url,
        "TIX_DATA_DIR": str(tmp_path),
        "TIX_CONFIG": str(tmp_path / "none.toml"),
        "TIX_WEBFORM_PER_IP": "1",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    command = [sys.executable, "-m", "tix", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                httpx.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "tix serve did not answer within 60 s"
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _post(base: str, client_address: str, number: int) -> int:
    response = httpx.post(
        f"{base}/form/Support",
        data={
            "name": "Visitor",
            "email": f"visitor{number}@kunde.example",
            "subject": "Where is my order?",
            "message": "It was due last week.",
        },
        headers={"X-Forwarded-For": client_address},
        timeout=30,
    )
    return response.status_code


@pytest.mark.parametrize(
    ("workers", "trusted", "second"),
    [
        (2, None, 303),  # the default trusts a proxy on this host: two visitors, two limits
        (1, "192.0.2.1", 429),  # we are no trusted proxy: both posts count as ours
    ],
)
def test_client_addresses_come_from_the_trusted_proxies_only(
    world, tmp_path: Path, workers: int, trusted: str | None, second: int
) -> None:
    with session_scope(world.engine, write=True) as session:
        channels.update_channel(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "support"),
            web=True,
        )
    env = {"TIX_TRUSTED_PROXIES": trusted} if trusted else {}
    with serving(
        world.engine.url.render_as_string(hide_password=False), tmp_path, workers, **env
    ) as base:
        assert _post(base, "203.0.113.1", 1) == 303
        assert _post(base, "203.0.113.2", 2) == second
