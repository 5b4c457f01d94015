"""The web under load: ``tix serve --workers N`` on PostgreSQL, next to a floor.

    python bench/web.py [--workers 1,2,4] [--requests 600] [--clients 8]
                        [--rate 10] [--seconds 30] [--url DATABASE_URL]
    python bench/web.py --profile OUT.pstats [--requests 600]

Makes a new database (a throwaway PostgreSQL server, tests/servers.py; --url names an
empty PostgreSQL database of your own) with ``tix init``, a channel taking web tickets
and an API key. For each N in --workers it starts the real command, ``tix serve
--workers N``, as a process, and next to it the floor: a minimal FastAPI app under
uvicorn with the same N workers, whose endpoints parse the same request (JSON, or the
form) and insert one row with psycopg (a pool of 5 connections per process, as tix's
default) and answer as tix does (201 JSON, or 303). Whatever tix costs above the floor
is tix's own work: the ticket, its contact, its activity, the search index, the
acknowledgement in the outbox, the rate limits.

Two measurements per N and kind (API ``POST /api/v1/tickets``, web form
``POST /form/Support``), interleaved with the floor's in rounds so both see the same
machine:

- saturation: --clients closed-loop clients, each sending its next request when the last
  is answered; tickets per second, p50 and p99.
- a fixed offered rate (--rate per second for --seconds, open loop: a request is sent
  at its time whether the earlier ones were answered or not, and its latency counts from
  that time, so a slow server cannot lower its own load); p50 and p99. 10/s is far above
  what a company's web site sends (a few hundred contact posts on a busy day): p99 at
  that rate bounds the one visitors see.

Next to them, CPU milliseconds per ticket: what the server's processes (and, apart,
PostgreSQL's) used while the kind was measured, divided by its requests. Unlike
latencies, it hardly depends on how busy the machine is (Linux /proc; the clients'
own CPU is not counted).

The clients use http.client (one keep-alive connection each), cheaper than httpx, so
that the load generator takes as little as it can of the two cores the servers share.
Every request opens a ticket with a new contact; the web form's rate limits are raised
for the run (``TIX_WEBFORM_PER_IP``, ``TIX_WEBFORM_PER_ADDRESS``). At the end every
ticket is counted in the database.

--profile runs one ``tix serve`` process (1 worker) under cProfile, every thread of it
(the event loop and the threads that run the routes), counting each thread's CPU time
(waits for the database and for the GIL do not count), sends --requests of each kind,
writes the merged profile to OUT and prints the functions with the most time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import HOST, PostgresServer, free_port

ROOT = Path(__file__).resolve().parent.parent

FLOOR = '''
"""The floor: parse the request as tix does, insert one row, answer as tix does."""
import queue
import psycopg
from fastapi import FastAPI, Form
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

URL = {url!r}
POOL = queue.LifoQueue()
for _ in range(5):
    POOL.put(None)
app = FastAPI()


class Customer(BaseModel):
    email: str
    name: str


class NewTicket(BaseModel):
    channel: str
    subject: str
    body: str
    customer: Customer
    priority: int = 5


def insert(subject: str, body: str, email: str) -> int:
    connection = POOL.get()
    try:
        if connection is None or connection.closed:
            connection = psycopg.connect(URL)
        with connection.transaction():
            row = connection.execute(
                "INSERT INTO floor_tickets (subject, body, email) VALUES (%s, %s, %s) "
                "RETURNING id",
                (subject, body, email),
            ).fetchone()
        return row[0]
    finally:
        POOL.put(connection)


@app.post("/api/v1/tickets", status_code=201)
def api(new: NewTicket) -> JSONResponse:
    number = insert(new.subject, new.body, new.customer.email)
    return JSONResponse({{"number": number, "subject": new.subject}}, status_code=201)


@app.post("/form/{{channel}}")
def form(
    channel: str,
    name: str = Form(),
    email: str = Form(),
    subject: str = Form(),
    message: str = Form(),
    website: str = Form(""),
) -> RedirectResponse:
    number = insert(subject, message, email)
    return RedirectResponse(f"/form/{{channel}}/thanks?ticket={{number}}", status_code=303)
'''

PROFILED = """
import atexit, cProfile, pstats, sys, threading, time
profiles = []
lock = threading.Lock()

def start(*_args):
    profile = cProfile.Profile(time.thread_time)  # CPU time: waits for the database aside
    with lock:
        profiles.append(profile)
    profile.enable()  # replaces this hook in this thread

def dump():
    for profile in profiles:
        try:
            profile.disable()
        except Exception:
            pass
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    stats.dump_stats({out!r})

atexit.register(dump)
threading.setprofile(start)
start()
from tix.cli.app import run
sys.exit(run(sys.argv[1:]))
"""


# --- the servers ----------------------------------------------------------------------------


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


def plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def count(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(plain(url)) as connection:
        row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def wait_ready(port: int, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} ended before it answered")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status < 500:
                connection.close()
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the server on port {port} did not answer within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the clients ----------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    port: int
    make: Callable[[int], tuple[str, bytes, dict[str, str]]]
    expect: int
    saturation: list[float] = field(default_factory=list)
    busy: float = 0.0
    sent: int = 0
    fixed: list[float] = field(default_factory=list)
    pid: int | None = None
    cpu: float = 0.0
    """CPU seconds its server's processes used while it was measured."""
    db_cpu: float = 0.0
    """CPU seconds PostgreSQL's processes used meanwhile."""
    measured: int = 0


_local = threading.local()


def tree_cpu(pid: int | None) -> float:
    """CPU seconds (user + system, with reaped children's) used so far by process ``pid``
    and every process below it, from Linux's /proc; 0 without a pid."""
    if pid is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        used[int(entry)] = sum(int(value) for value in fields[11:15]) / tick
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += used.get(current, 0.0)
        pending.extend(children.get(current, []))
    return total


@contextmanager
def metered(target: Target, db_pid: int | None, requests: int) -> Iterator[None]:
    """Count the CPU the target's server and the database use while the block runs."""
    app, db = tree_cpu(target.pid), tree_cpu(db_pid)
    yield
    target.cpu += tree_cpu(target.pid) - app
    target.db_cpu += tree_cpu(db_pid) - db
    target.measured += requests


def send(target: Target, index: int) -> None:
    connections: dict[int, http.client.HTTPConnection] = _local.__dict__.setdefault("c", {})
    connection = connections.get(target.port)
    if connection is None:
        connection = connections[target.port] = http.client.HTTPConnection(
            HOST, target.port, timeout=60
        )
    path, body, headers = target.make(index)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read()
    except (http.client.HTTPException, OSError):
        connection.close()  # the server closed a kept-alive connection: once more, anew
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read()
    if response.status != target.expect:
        raise SystemExit(f"{target.name} #{index}: {response.status} {text[:300]!r}")


class Numbers:
    """Unique request numbers, so that every ticket has a contact of its own."""

    def __init__(self) -> None:
        self._next = 0
        self._lock = threading.Lock()

    def take(self, how_many: int) -> range:
        with self._lock:
            first = self._next
            self._next += how_many
        return range(first, first + how_many)


def saturate(target: Target, indexes: range, clients: int) -> None:
    """Closed loop: ``clients`` threads, each sending its next request when answered."""
    pending: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in indexes:
        pending.put(index)
    latencies: list[float] = []

    def client() -> None:
        while True:
            try:
                index = pending.get_nowait()
            except queue.Empty:
                return
            began = time.perf_counter()
            send(target, index)
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    target.busy += time.perf_counter() - began
    target.sent += len(indexes)
    target.saturation.extend(latencies)


def offer(target: Target, indexes: range, rate: float, pool: ThreadPoolExecutor) -> None:
    """Open loop: request i is sent at start + i/rate; its latency counts from then."""
    start = time.perf_counter() + 0.05
    futures = []

    def one(index: int, due: float) -> None:
        send(target, index)
        target.fixed.append(time.perf_counter() - due)

    for step, index in enumerate(indexes):
        due = start + step / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(one, index, due))
    for future in futures:
        future.result()


def warm(target: Target, numbers: Numbers, workers: int) -> None:
    """The first requests of each process pay for lazy imports and connections: untimed."""
    saturate(target, numbers.take(20 * workers), 2 * workers)
    target.saturation.clear()
    target.busy = 0.0
    target.sent = 0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- the run --------------------------------------------------------------------------------


def requests_for(token: str) -> dict[str, Callable[[int], tuple[str, bytes, dict[str, str]]]]:
    api_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    form_headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def api(index: int) -> tuple[str, bytes, dict[str, str]]:
        body = {
            "channel": "Support",
            "subject": f"Pump {index} leaks",
            "body": "The pump in hall 2 leaks oil since Monday.\n" * 5,
            "customer": {"email": f"api{index}@kunde.example", "name": f"K {index}"},
            "priority": 1 + index % 9,
        }
        return "/api/v1/tickets", json.dumps(body).encode(), api_headers

    def form(index: int) -> tuple[str, bytes, dict[str, str]]:
        data = {
            "name": f"Visitor {index}",
            "email": f"form{index}@kunde.example",
            "subject": f"Question {index}",
            "message": "Where is my order? It was due last week.\n" * 5,
            "website": "",
        }
        return "/form/Support", urlencode(data).encode(), form_headers

    return {"api": api, "form": form}


def prepare(url: str, folder: str) -> tuple[dict[str, str], str]:
    """The database with tix's schema, a web channel, an API key and the floor's table."""
    import psycopg

    env = dict(
        os.environ,
        TIX_DATABASE_URL=url,
        TIX_DATA_DIR=folder,
        TIX_CONFIG=f"{folder}/none.toml",
        TIX_USER="anna",
        TIX_WEBFORM_PER_IP="100000000",
        TIX_WEBFORM_PER_ADDRESS="100000000",
        PYTHONPATH=str(ROOT),
    )
    tix(env, "init", "--admin", "anna", "--name", "Anna", "--email", "anna@bench.test")
    tix(env, "channel", "add", "Support", "--default-owner", "anna")
    tix(env, "channel", "set", "Support", "--web")
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE floor_tickets (id serial PRIMARY KEY, subject text NOT NULL, "
            "body text NOT NULL, email text NOT NULL, created timestamptz DEFAULT now())"
        )
    Path(folder, "floor_app.py").write_text(FLOOR.format(url=plain(url)), encoding="utf-8")
    return env, make_key(url)


def start_tix(env: dict[str, str], workers: int, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tix", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env={**env, "TIX_PORTAL_URL": f"http://{HOST}:{port}"},
        stdout=subprocess.DEVNULL,  # the access log: written, as in production, not read
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, process, "/api/v1/openapi.json")
    return process


def start_floor(
    env: dict[str, str], folder: str, workers: int, port: int
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "floor_app:app",
            "--app-dir",
            folder,
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "info",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_ready(port, process, "/openapi.json")
    return process


def measure(options: argparse.Namespace, url: str, folder: str, db_pid: int | None = None) -> None:
    env, token = prepare(url, folder)
    makers = requests_for(token)
    numbers = Numbers()
    rounds = 3
    per_round = max(1, options.requests // rounds)
    per_round_fixed = max(1, round(options.rate * options.seconds / rounds))
    load = os.getloadavg()[0]
    print(
        f"tix serve on PostgreSQL; {rounds} rounds of {per_round} requests per kind at "
        f"saturation ({options.clients} clients) and {per_round_fixed} at "
        f"{options.rate:g}/s (open loop); load before: {load:.2f}"
    )
    header = (
        f"{'N':>2} {'kind':<5} {'server':<6} {'tickets/s':>9} {'p50 ms':>7} {'p99 ms':>7}"
        f" | {'p50 @rate':>9} {'p99 @rate':>9} | {'CPU ms/ticket':>13} {'db CPU':>6}"
    )
    print(header)
    tix_expected = 0
    floor_expected = 0
    for workers in options.workers:
        tix_port, floor_port = free_port(), free_port()
        tix_server = start_tix(env, workers, tix_port)
        floor_server = start_floor(env, folder, workers, floor_port)
        try:
            targets: list[Target] = []
            for kind in ("api", "form"):
                expect = 201 if kind == "api" else 303
                floor = Target(f"{kind} floor", floor_port, makers[kind], expect)
                floor.pid = floor_server.pid
                targets.append(floor)
                ours = Target(f"{kind} tix", tix_port, makers[kind], expect)
                ours.pid = tix_server.pid
                targets.append(ours)
            for target in targets:
                warm(target, numbers, workers)
            with ThreadPoolExecutor(max_workers=64) as pool:
                for _round in range(rounds):
                    for target in targets:
                        with metered(target, db_pid, per_round):
                            saturate(target, numbers.take(per_round), options.clients)
                    for target in targets:
                        with metered(target, db_pid, per_round_fixed):
                            offer(target, numbers.take(per_round_fixed), options.rate, pool)
        finally:
            stop(tix_server)
            stop(floor_server)
        for target in targets:
            kind, server = target.name.split()
            print(
                f"{workers:>2} {kind:<5} {server:<6} {target.sent / target.busy:>9.1f} "
                f"{percentile(target.saturation, 0.5) * 1000:>7.1f} "
                f"{percentile(target.saturation, 0.99) * 1000:>7.1f} | "
                f"{percentile(target.fixed, 0.5) * 1000:>9.1f} "
                f"{percentile(target.fixed, 0.99) * 1000:>9.1f} | "
                f"{target.cpu / target.measured * 1000:>13.1f} "
                f"{target.db_cpu / target.measured * 1000:>6.1f}",
                flush=True,
            )
        sent = 20 * workers + rounds * (per_round + per_round_fixed)
        tix_expected += 2 * sent
        floor_expected += 2 * sent
    stored, floor_stored = count(url, "tickets"), count(url, "floor_tickets")
    if (stored, floor_stored) != (tix_expected, floor_expected):
        raise SystemExit(
            f"expected {tix_expected} tickets and {floor_expected} floor rows, "
            f"found {stored} and {floor_stored}"
        )
    print(
        f"{stored} tickets stored (and {floor_stored} floor rows); "
        f"load after: {os.getloadavg()[0]:.2f}"
    )


def profile(options: argparse.Namespace, url: str, folder: str) -> None:
    """One ``tix serve`` process under cProfile (every thread), then its top functions."""
    import pstats

    env, token = prepare(url, folder)
    makers = requests_for(token)
    numbers = Numbers()
    port = free_port()
    out = str(Path(options.profile).resolve())
    script = Path(folder, "profiled.py")
    script.write_text(PROFILED.format(out=out), encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, str(script), "serve", "--port", str(port)],
        env={**env, "TIX_PORTAL_URL": f"http://{HOST}:{port}"},
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_ready(port, server, "/api/v1/openapi.json")
        for kind, expect in (("api", 201), ("form", 303)):
            target = Target(kind, port, makers[kind], expect)
            warm(target, numbers, 1)
            saturate(target, numbers.take(options.requests), options.clients)
            print(f"{kind}: {target.sent / target.busy:.1f} tickets/s under the profiler")
    finally:
        stop(server)
    stats = pstats.Stats(out)
    stats.sort_stats("cumulative").print_stats(r"tix/|sqlalchemy/engine/base|psycopg/cursor", 45)
    stats.sort_stats("tottime").print_stats(25)


def postmaster(server: PostgresServer | None) -> int | None:
    """The process id of the throwaway server's postmaster (its backends are below it)."""
    if server is None or server.root is None:
        return None
    return int((server.root / "data" / "postmaster.pid").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers",
        default="1,2,4",
        type=lambda text: [int(n) for n in text.split(",")],
        help="worker counts of tix serve (and of the floor), comma-separated",
    )
    parser.add_argument("--requests", type=int, default=600, help="saturation requests per kind")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients")
    parser.add_argument("--rate", type=float, default=10.0, help="offered requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds at that rate")
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a throwaway server)")
    parser.add_argument("--profile", metavar="OUT", help="profile one tix serve process")
    options = parser.parse_args()

    postgres = None if options.url else PostgresServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="tixweb") as folder:
            url = options.url or (postgres.url if postgres else "")
            if options.profile:
                profile(options, url, folder)
            else:
                measure(options, url, folder, postmaster(postgres))
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
