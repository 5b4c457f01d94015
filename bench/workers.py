"""Several ``tix worker`` processes on one PostgreSQL: import throughput against one.

    python bench/workers.py [--accounts 4] [--messages 5000] [--workers 1,2,4]

Starts a throwaway PostgreSQL, Dovecot and SMTP server (tests/servers.py), appends
``--messages`` messages to each of ``--accounts`` mailboxes (the mix of
bench/mail_sync.py: 70 % new requests, 30 % replies with a ticket tag, 10 % with an
attachment; replies may name tickets another account's mail opened), then, for each
worker count, on a fresh database: that many ``tix worker --once`` processes at once,
timed until the last one ends. Each run reads all the mail (UID-based, so the same
mailboxes serve every run), checks that every message has exactly one import record,
and reports messages/s, the ratio to one worker (the floor, measured first, and once
more last, interleaved), and the CPU seconds of the workers, the PostgreSQL backends
and Dovecot, against the wall time times the cores.

Budget: two workers at least 1.6x one worker's messages per second.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mail_sync import messages
from tests.servers import DovecotServer, PostgresServer, SmtpServer

TICKS = os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> float:
    """CPU seconds of ``pid``'s ended and waited-for children (cutime + cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS, sum(values) / TICKS


class LockSampler:
    """Polls pg_stat_activity every 0.2 s while the workers run: how the workers'
    database sessions that are in a transaction spend it (the profile of the waits);
    idle sessions (an account's lock, the numbering pool, between batches) are left out."""

    def __init__(self, url: str) -> None:
        import threading

        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.seen: collections.Counter[str] = collections.Counter()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> LockSampler:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()

    def _poll(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stopping.wait(0.2):
                rows = connection.execute(
                    "SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend'"
                ).fetchall()
                for state, wait_type, wait_event, query in rows:
                    kind = self._kind(state, wait_type, wait_event, query or "")
                    if kind:
                        self.seen[kind] += 1

    @staticmethod
    def _kind(state: str, wait_type: str | None, wait_event: str | None, query: str) -> str:
        if state == "idle":
            return ""  # an account's lock or a number's connection, or between batches
        if state == "idle in transaction":
            return "in a transaction, waiting for the worker (Python)"
        if wait_type == "Lock":
            # the query text may be cut before its FOR UPDATE: name the table read
            target = " ".join(query.split()[:4])
            if query.startswith("SELECT tickets."):
                target = "a ticket row (SELECT ... FOR UPDATE of a ticket)"
            return f"waiting for a lock ({wait_event}) on {target}"
        return "executing in PostgreSQL"

    def shares(self) -> list[tuple[str, float]]:
        total = sum(self.seen.values()) or 1
        return [(kind, count / total) for kind, count in self.seen.most_common()]


@dataclass
class Run:
    workers: int
    seconds: float
    imported: int
    worker_cpu: float
    postgres_cpu: float
    dovecot_cpu: float
    machine_cpu: float
    waits: list[tuple[str, float]]
    batches_again: int
    """Import batches that failed (a concurrent writer) and were written again mail by mail."""

    def rate(self) -> float:
        return self.imported / self.seconds


def setup(
    tix: list[str],
    env: dict[str, str],
    dovecot: DovecotServer,
    smtp: SmtpServer,
    addresses: list[str],
) -> None:
    commands = [
        ["init", "--admin", "bench", "--name", "Bench", "--email", "bench@bench.test"],
        ["channel", "add", "Support", "--default-owner", "bench"],
    ]
    for index, address in enumerate(addresses):
        commands.append(
            [
                "account", "add", f"box{index}", "--address", address,
                "--imap-host", dovecot.host, "--imap-port", str(dovecot.port),
                "--smtp-host", smtp.host, "--smtp-port", str(smtp.port),
                "--tls", "none", "--password-env", "BENCH_PW", "--channel", "Support",
            ]
        )  # fmt: skip
    for command in commands:
        done = subprocess.run([*tix, *command], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"tix {command[0]} failed: {done.stderr.strip()}")


def count_imports(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        total, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT (account_id, uid)) FROM mail_imports"
        ).fetchone()  # type: ignore[misc]
    return int(total), int(distinct)


BATCHED = (
    "import sys; from tix.core.mail import sync; "
    "sync.sync_account.__kwdefaults__['batch'] = int(sys.argv.pop(1)); "
    "from tix.cli.app import run; sys.exit(run(sys.argv[1:]))"
)
"""``tix`` with another import batch size (an experiment: the CLI has no option for it)."""


def worker_command(batch: int | None) -> list[str]:
    if batch is None:
        return [sys.executable, "-m", "tix"]
    return [sys.executable, "-c", BATCHED, str(batch)]


def one_run(
    workers: int,
    name: str,
    postgres: PostgresServer,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    addresses: list[str],
    expected: int,
    batch: int | None = None,
) -> Run:
    url = postgres.create_database(name)
    folder = Path(tempfile.mkdtemp(prefix="tix-workbench-"))
    tix = [sys.executable, "-m", "tix"]
    env = dict(
        os.environ, TIX_DATABASE_URL=url, TIX_USER="bench", BENCH_PW="secret",
        TIX_DATA_DIR=str(folder),
    )  # fmt: skip
    setup(tix, env, dovecot, smtp, addresses)
    postmaster = int((postgres.root / "data" / "postmaster.pid").read_text().split()[0])  # type: ignore[operator]
    master = int((dovecot.root / "run" / "master.pid").read_text().split()[0])  # type: ignore[operator]
    pg_before, dovecot_before = children_cpu(postmaster), children_cpu(master)
    busy_before, _ = machine_busy()
    sampler = LockSampler(url).__enter__()
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*worker_command(batch), "worker", "--once", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"worker{index}.log").open("w"),
        )
        for index in range(workers)
    ]
    worker_cpu = 0.0
    for process in processes:
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        worker_cpu += usage.ru_utime + usage.ru_stime
        if process.returncode != 0:
            raise SystemExit(f"a worker failed: see {folder}/worker*.log")
    seconds = time.perf_counter() - start
    sampler.__exit__()
    logs = "".join((folder / f"worker{i}.log").read_text() for i in range(workers))
    busy_after, _ = machine_busy()
    time.sleep(0.5)  # let the postmaster and the Dovecot master reap their children
    total, distinct = count_imports(url)
    if total != expected or distinct != expected:
        raise SystemExit(f"{workers} workers: {total} import records, {distinct} distinct, "
                         f"{expected} messages")  # fmt: skip
    return Run(
        workers=workers,
        seconds=seconds,
        imported=total,
        worker_cpu=worker_cpu,
        postgres_cpu=children_cpu(postmaster) - pg_before,
        dovecot_cpu=children_cpu(master) - dovecot_before,
        machine_cpu=busy_after - busy_before,
        waits=sampler.shares(),
        batches_again=logs.count("importing them one by one"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--messages", type=int, default=5000, help="per account")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, in this order")
    parser.add_argument(
        "--batch", type=int, help="messages per import transaction (default: the sync's own)"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    if counts[0] != 1:
        counts.insert(0, 1)
    counts.append(1)  # the floor once more, last: interleaved with the others

    cores = os.cpu_count() or 1
    with PostgresServer() as postgres, DovecotServer() as dovecot, SmtpServer() as smtp:
        from imapclient import IMAPClient

        addresses = [f"box{index}@bench.test" for index in range(args.accounts)]
        began = time.perf_counter()
        for index, address in enumerate(addresses):
            dovecot.add_user(address, "secret")
            with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
                client.login(address, "secret")
                for raw in messages(args.messages, seed=3 + index):
                    client.append("INBOX", raw)
        expected = args.accounts * args.messages
        print(
            f"{args.accounts} accounts x {args.messages:,} messages = {expected:,} "
            f"(appended in {time.perf_counter() - began:.0f} s); {cores} cores; "
            f"import batch {args.batch or 'default'}; "
            f"load {os.getloadavg()[0]:.2f} before"
        )
        runs: list[Run] = []
        for number, workers in enumerate(counts):
            run = one_run(workers, f"bench_{number}", postgres, dovecot, smtp, addresses, expected)
            runs.append(run)
            print(
                f"  {workers} worker(s): {run.seconds:6.1f} s  {run.rate():6.1f} msg/s   "
                f"CPU s: workers {run.worker_cpu:6.1f}  postgres {run.postgres_cpu:6.1f}  "
                f"dovecot {run.dovecot_cpu:5.1f}  machine {run.machine_cpu:6.1f} of "
                f"{run.seconds * cores:6.1f}   load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            print(f"      batches written again one mail at a time: {run.batches_again}")
            for kind, share in run.waits:
                print(f"      {share:5.0%}  {kind}")
    floors = [r.rate() for r in runs if r.workers == 1]
    floor = sum(floors) / len(floors)
    print(f"floor (1 worker, mean of {len(floors)} runs): {floor:.1f} msg/s")
    for workers in sorted({r.workers for r in runs if r.workers != 1}):
        rate = max(r.rate() for r in runs if r.workers == workers)
        ratio = rate / floor
        verdict = ""
        if workers == 2:
            verdict = "   budget >= 1.60x   " + ("ok" if ratio >= 1.6 else "MISSED")
        print(f"{workers} workers: {rate:.1f} msg/s   ratio {ratio:.2f}x{verdict}")


if __name__ == "__main__":
    main()
