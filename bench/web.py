"""Tickets per second through the web API and the web form, over real HTTP.

    python bench/web.py [--requests 500] [--clients 4] [--postgres | --url DATABASE_URL]

Makes a new database (SQLite in a temporary directory; --postgres starts a throwaway
PostgreSQL server, tests/servers.py; --url names an empty database of your own) with
``tix init``, a channel taking web tickets (``tix channel set --web``) and an API key,
starts the web app under uvicorn in its own process (what ``tix serve`` runs), and
sends N requests of each kind from C concurrent clients (httpx, one keep-alive
connection per client):

- api:  ``POST /api/v1/tickets`` (JSON; answers with the whole ticket)
- form: ``POST /form/Support`` (form-encoded, as the pasted snippet posts; answers 303)

Every request opens a ticket with a new contact. The web form's rate limits are raised
for the run through ``TIX_WEBFORM_PER_IP`` / ``TIX_WEBFORM_PER_ADDRESS`` in the server's
environment (the defaults stay as they are). Prints tickets per second and the p50 and
p99 latency per kind, and checks that every ticket is in the database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import HOST, PostgresServer, free_port

ROOT = Path(__file__).resolve().parent.parent

SERVER = """
import uvicorn
from tix.core.config import load_settings
from tix.web.app import create_app

uvicorn.run(create_app(load_settings()), host={host!r}, port={port}, log_level="warning",
            access_log=False)
"""


def tix(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tix", *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"tix {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def make_key(url: str) -> str:
    from tix.core.db import make_engine, session_scope
    from tix.core.services import apikeys, users

    engine = make_engine(url)
    with session_scope(engine, write=True) as session:
        anna = users.get_user(session, "anna")
        _key, token = apikeys.create_key(session, anna, name="bench", agent=anna)
    engine.dispose()
    return token


def count_tickets(url: str) -> int:
    from sqlalchemy import func, select

    from tix.core.db import make_engine, session_scope
    from tix.core.models import Ticket

    engine = make_engine(url)
    with session_scope(engine) as session:
        found = int(session.execute(select(func.count()).select_from(Ticket)).scalar_one())
    engine.dispose()
    return found


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server ended before it answered")
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the server did not answer within 30 s")


def run(
    kind: str,
    indexes: range,
    clients: int,
    send: Callable[[httpx.Client, int], httpx.Response],
) -> tuple[float, list[float]]:
    """Send a request for each index from ``clients`` threads; wall time and latencies."""
    latencies: list[float] = []
    local: dict[int, httpx.Client] = {}

    def one(index: int) -> float:
        import threading

        client = local.get(threading.get_ident())
        if client is None:
            client = local[threading.get_ident()] = httpx.Client(timeout=60)
        start = time.perf_counter()
        response = send(client, index)
        elapsed = time.perf_counter() - start
        if response.status_code not in (201, 303):
            raise SystemExit(f"{kind} #{index}: {response.status_code} {response.text[:300]}")
        return elapsed

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = list(pool.map(one, indexes))
    wall = time.perf_counter() - began
    for client in local.values():
        client.close()
    return wall, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests of each kind")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    options = parser.parse_args()

    postgres = PostgresServer().start() if options.postgres else None
    try:
        with tempfile.TemporaryDirectory(prefix="tixweb") as folder:
            url = postgres.url if postgres else options.url or f"sqlite:///{folder}/tix.db"
            measure(options, url, folder)
    finally:
        if postgres is not None:
            postgres.stop()


def measure(options: argparse.Namespace, url: str, folder: str) -> None:
    port = free_port()
    env = dict(
        os.environ,
        TIX_DATABASE_URL=url,
        TIX_DATA_DIR=folder,
        TIX_CONFIG=f"{folder}/none.toml",
        TIX_USER="anna",
        TIX_PORTAL_URL=f"http://{HOST}:{port}",
        TIX_WEBFORM_PER_IP="100000000",
        TIX_WEBFORM_PER_ADDRESS="100000000",
        PYTHONPATH=str(ROOT),
    )
    tix(env, "init", "--admin", "anna", "--name", "Anna", "--email", "anna@bench.test")
    tix(env, "channel", "add", "Support", "--default-owner", "anna")
    tix(env, "channel", "set", "Support", "--web")
    token = make_key(url)
    server = subprocess.Popen([sys.executable, "-c", SERVER.format(host=HOST, port=port)], env=env)
    base = f"http://{HOST}:{port}"
    try:
        wait_ready(base, server)
        headers = {"Authorization": f"Bearer {token}"}

        def api(client: httpx.Client, index: int) -> httpx.Response:
            return client.post(
                f"{base}/api/v1/tickets",
                headers=headers,
                json={
                    "channel": "Support",
                    "subject": f"Pump {index} leaks",
                    "body": "The pump in hall 2 leaks oil since Monday.\n" * 5,
                    "customer": {"email": f"api{index}@kunde.example", "name": f"K {index}"},
                    "priority": 1 + index % 9,
                },
            )

        def form(client: httpx.Client, index: int) -> httpx.Response:
            return client.post(
                f"{base}/form/Support",
                data={
                    "name": f"Visitor {index}",
                    "email": f"form{index}@kunde.example",
                    "subject": f"Question {index}",
                    "message": "Where is my order? It was due last week.\n" * 5,
                    "website": "",
                },
            )

        print(
            f"{options.requests} requests of each kind, {options.clients} clients, "
            f"{url.split(':')[0]}"
        )
        print(f"{'kind':<6} {'tickets/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
        warm = 5 * options.clients  # first requests pay for lazy imports: not timed
        for kind, send in (("api", api), ("form", form)):
            run(kind, range(options.requests, options.requests + warm), options.clients, send)
            wall, latencies = run(kind, range(options.requests), options.clients, send)
            print(
                f"{kind:<6} {options.requests / wall:>10.1f} "
                f"{percentile(latencies, 0.5) * 1000:>8.1f} "
                f"{percentile(latencies, 0.99) * 1000:>8.1f} "
                f"{statistics.fmean(latencies) * 1000:>8.1f}"
            )
        stored = count_tickets(url)
        if stored != 2 * (options.requests + warm):
            raise SystemExit(f"expected {2 * (options.requests + warm)} tickets, found {stored}")
        print(f"{stored} tickets stored")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
