"""Mail sync throughput against a local Dovecot, next to fetching and parsing alone.

    python bench/mail_sync.py [--messages 1000] [--postgres | --url DATABASE_URL]
                              [--profile FILE]

Starts a throwaway Dovecot (tests/servers.py), appends N realistic messages (70 % new
requests, 30 % replies that carry a ticket tag, 10 % with an attachment), then:

- floor: the same messages fetched with imapclient (UID FETCH BODY.PEEK[]) and parsed
  with the standard library's ``email`` package, nothing stored; run before and after
  tix (the machine may be busy: the figure is their mean, both are printed);
- tix: ``tix mail sync`` as a user runs it (a new process, on a new SQLite database;
  --postgres starts a throwaway PostgreSQL server, --url names an empty database of
  your own), messages per second including the start-up.

--profile FILE runs the sync under cProfile and writes its statistics to FILE (the
timing then includes the profiler's cost; read it with ``python -m pstats FILE``).

Budget: tix at least 0.5x the floor's messages per second.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.servers import DovecotServer, PostgresServer

WORDS = [
    "Maschine",
    "Fehler",
    "Lieferung",
    "Rechnung",
    "Angebot",
    "Termin",
    "Wartung",
    "Motor",
    "Pumpe",
    "Sensor",
    "Steuerung",
    "Display",
    "Ersatzteil",
    "Dichtung",
    "please",
    "thanks",
    "regards",
    "order",
    "invoice",
    "broken",
    "urgent",
    "printer",
    "paper",
    "today",
    "tomorrow",
]


def messages(count: int, seed: int = 3) -> list[bytes]:
    rng = random.Random(seed)
    made: list[bytes] = []
    for index in range(count):
        message = EmailMessage()
        customer = f"kunde{rng.randint(1, 300)}@firma{rng.randint(1, 40)}.example"
        message["From"] = f"Kunde {index} <{customer}>"
        message["To"] = "support@bench.test"
        message["Message-ID"] = f"<{uuid.uuid4().hex}@firma.example>"
        message["Date"] = "Fri, 27 Nov 2026 10:00:00 +0100"
        if index >= 10 and rng.random() < 0.3:
            # a reply: the first ticket numbers are 1001, 1002, ... in import order
            message["Subject"] = f"AW: [Ticket#{1001 + rng.randrange(index // 2)}] Rückfrage"
        else:
            message["Subject"] = " ".join(rng.choices(WORDS, k=5)).capitalize()
        text = "\n\n".join(
            " ".join(rng.choices(WORDS, k=rng.randint(20, 60))) for _ in range(rng.randint(1, 4))
        )
        message.set_content(f"Guten Tag,\n\n{text}\n\nMit freundlichen Grüßen\nKunde {index}")
        message.add_alternative(
            f"<html><body><p>Guten Tag,</p><p>{text}</p></body></html>", subtype="html"
        )
        if rng.random() < 0.1:
            message.add_attachment(
                os.urandom(rng.randint(20_000, 200_000)),
                maintype="application",
                subtype="pdf",
                filename=f"Lieferschein-{index}.pdf",
            )
        made.append(message.as_bytes())
    return made


def floor(dovecot: DovecotServer, address: str) -> tuple[float, int]:
    from imapclient import IMAPClient

    start = time.perf_counter()
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "secret")
        client.select_folder("INBOX", readonly=True)
        uids = client.search(["ALL"])
        count = 0
        for offset in range(0, len(uids), 100):
            for _uid, data in client.fetch(uids[offset : offset + 100], ["BODY.PEEK[]"]).items():
                parsed = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
                body = parsed.get_body(("plain", "html"))
                _text = body.get_content() if body is not None else ""
                for part in parsed.iter_attachments():
                    part.get_content()
                count += 1
    return time.perf_counter() - start, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    parser.add_argument("--profile", help="write the sync's cProfile statistics to this file")
    args = parser.parse_args()

    postgres = PostgresServer().start() if args.postgres else None
    try:
        measure(args, postgres.url if postgres else args.url)
    finally:
        if postgres is not None:
            postgres.stop()


def measure(args: argparse.Namespace, url: str | None) -> None:
    made = messages(args.messages)
    folder = Path(tempfile.mkdtemp(prefix="tix-mailbench-"))
    url = url or f"sqlite:///{folder / 'bench.db'}"
    tix = [sys.executable, "-m", "tix"]
    env = dict(
        os.environ,
        TIX_DATABASE_URL=url,
        TIX_USER="bench",
        BENCH_PW="secret",
        TIX_DATA_DIR=str(folder),
    )
    with DovecotServer() as dovecot:
        address = "support@bench.test"
        dovecot.add_user(address, "secret")
        from imapclient import IMAPClient

        began = time.perf_counter()
        with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
            client.login(address, "secret")
            for raw in made:
                client.append("INBOX", raw)
        appended = time.perf_counter() - began
        for command in (
            ["init", "--admin", "bench", "--name", "Bench", "--email", "bench@bench.test"],
            ["channel", "add", "Support", "--default-owner", "bench"],
            [
                "account",
                "add",
                "support",
                "--address",
                address,
                "--imap-host",
                dovecot.host,
                "--imap-port",
                str(dovecot.port),
                "--tls",
                "none",
                "--password-env",
                "BENCH_PW",
                "--channel",
                "Support",
            ],
        ):
            subprocess.run([*tix, *command], env=env, check=True, capture_output=True)
        floor_before, floor_count = floor(dovecot, address)
        sync = [*tix, "mail", "sync", "--json"]
        if args.profile:
            sync = [sys.executable, "-m", "cProfile", "-o", args.profile, "-m", "tix", *sync[3:]]
        start = time.perf_counter()
        result = subprocess.run(sync, env=env, check=True, capture_output=True, text=True)
        tix_seconds = time.perf_counter() - start
        floor_after, _count = floor(dovecot, address)
    floor_seconds = (floor_before + floor_after) / 2
    print(
        f"{args.messages:,} messages (appended in {appended:.1f} s); database {url.split(':')[0]}"
    )
    print(result.stdout.strip())
    floor_rate = floor_count / floor_seconds
    tix_rate = args.messages / tix_seconds
    verdict = "ok" if tix_rate >= 0.5 * floor_rate else "UNDER"
    print(
        f"floor (imapclient fetch + email parse): {floor_seconds:6.2f} s  {floor_rate:7.0f} msg/s"
        f"   (before {floor_before:.2f} s, after {floor_after:.2f} s)"
    )
    print(f"tix mail sync (whole process):          {tix_seconds:6.2f} s  {tix_rate:7.0f} msg/s")
    print(f"ratio {tix_rate / floor_rate:.2f}x of the floor   budget >= 0.50x   {verdict}")
    if args.profile:
        print(f"profile of the sync in {args.profile} (timing includes the profiler)")


if __name__ == "__main__":
    main()
