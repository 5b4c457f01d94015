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


@dataclass
class Run:
    workers: int
    seconds: float
    imported: int
    worker_cpu: float
    postgres_cpu: float
    dovecot_cpu: float
    machine_cpu: float

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


def one_run(
    workers: int,
    name: str,
    postgres: PostgresServer,
    dovecot: DovecotServer,
    smtp: SmtpServer,
    addresses: list[str],
    expected: int,
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
    start = time.perf_counter()
    processes = [
        subprocess.Popen(
            [*tix, "worker", "--once", "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(workers)
    ]
    worker_cpu = 0.0
    for process in processes:
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        worker_cpu += usage.ru_utime + usage.ru_stime
        if process.returncode != 0:
            raise SystemExit(f"a worker failed: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
    seconds = time.perf_counter() - start
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
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--messages", type=int, default=5000, help="per account")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, in this order")
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
