"""tix at scale: 100,000 tickets with 1,000,000 activities.

    python bench/scale.py [--tickets 100000] [--activities 1000000] [--url URL] [--rebuild]

Builds the database once (SQLite in bench/out/, or the PostgreSQL database at --url,
which is emptied first), then times what an agent does all day, each next to the
raw SQL query that fetches the same rows as its floor:

- the first page of the ticket list (50 rows, last changed first) for an agent;
- a search for a rare word and for a common word (first page);
- showing a ticket with 1,000 activities.

Figures are the median of 15 runs, in milliseconds of query time in this process
(no process start-up); the budget is 50 ms / 100 ms / 100 ms on SQLite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tix.core import search
from tix.core.db import make_engine, session_scope
from tix.core.migrate import upgrade
from tix.core.services import tickets as ticket_service
from tix.core.services import users
from tix.core.timeutil import zone
from tix.core.views import TicketFilter, list_tickets, ticket_detail

OUT = Path(__file__).resolve().parent / "out"
RARE = "zyxomatic"
COMMON = "bitte"
BIG_TICKET_ACTIVITIES = 1000
WORDS = [
    "maschine",
    "presse",
    "fehler",
    "lieferung",
    "rechnung",
    "angebot",
    "termin",
    "wartung",
    "motor",
    "pumpe",
    "öl",
    "sensor",
    "steuerung",
    "display",
    "update",
    "ersatzteil",
    "dichtung",
    "keilriemen",
    "schulung",
    "garantie",
    "invoice",
    "order",
    "delivery",
    "broken",
    "noise",
    "please",
    "thanks",
    "regards",
    "urgent",
    "printer",
    "paper",
    "montag",
    "dienstag",
    "freitag",
    "woche",
    "morgen",
    "heute",
    "gestern",
    "kunde",
    "auftrag",
    "nummer",
    "seriennummer",
]


def build(engine: Engine, tickets: int, activities: int, seed: int = 1) -> None:
    """Fill a migrated, empty database quickly (bulk SQL, the same rows the services write)."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    sqlite = engine.dialect.name == "sqlite"
    with session_scope(engine, write=True) as session:
        admin = users.add_user(
            session, None, login="admin", name="Admin", email="admin@example.com", is_admin=True
        )
        agent = users.add_user(
            session, admin, login="agent", name="Agent", email="agent@example.com"
        )
        group = users.add_group(session, admin, name="Support")
        users.add_group_member(session, admin, group=group, user=agent)
        from tix.core.services import channels, contacts

        channel = channels.add_channel(
            session, admin, name="Support", groups=[group], default_owner=agent
        )
        customer = contacts.add_contact(session, admin, address="kunde@example.com", name="Kunde")
        ids = (admin.id, agent.id, channel.id, customer.id)
    admin_id, agent_id, channel_id, customer_id = ids

    per_ticket = [1] * tickets
    remaining = activities - tickets - (BIG_TICKET_ACTIVITIES - 1)
    for _ in range(max(remaining, 0)):
        per_ticket[rng.randrange(tickets)] += 1
    big = tickets // 2
    per_ticket[big] = BIG_TICKET_ACTIVITIES

    start = now - timedelta(days=365)
    step = timedelta(days=365) / tickets
    ticket_rows: list[dict[str, Any]] = []
    activity_rows: list[dict[str, Any]] = []
    search_rows: list[dict[str, Any]] = []
    rare_left = 12

    def flush() -> None:
        with engine.begin() as connection:
            if ticket_rows:
                connection.execute(TICKET_INSERT, ticket_rows)
            if activity_rows:
                connection.execute(ACTIVITY_INSERT, activity_rows)
            if search_rows and sqlite:
                connection.execute(
                    text("INSERT INTO search_index (rowid, text) VALUES (:rowid, :text)"),
                    search_rows,
                )
        ticket_rows.clear()
        activity_rows.clear()
        search_rows.clear()

    for index in range(tickets):
        ticket_id = index + 1
        created = start + step * index
        subject = " ".join(rng.choices(WORDS, k=4)).capitalize()
        count = per_ticket[index]
        ticket_rows.append(
            {
                "id": ticket_id,
                "number": 1000 + ticket_id,
                "kind": "mail",
                "status": rng.choice(["new", "open", "open", "waiting", "solved", "closed"]),
                "subject": subject,
                "priority": rng.randint(1, 9),
                "origin": "mail",
                "channel_id": channel_id,
                "owner_id": agent_id,
                "customer_id": customer_id,
                "creator_contact_id": customer_id,
                "version": count + 1,
                "activity_seq": count,
                "created_at": created,
                "updated_at": created + timedelta(minutes=count),
                "first_activity_id": None,
            }
        )
        search_rows.append({"rowid": search._rowid(ticket_id, 0), "text": subject})
        for seq in range(1, count + 1):
            words = rng.choices(WORDS, k=rng.randint(15, 40))
            if rng.random() < 0.5:
                words.append(COMMON)
            if rare_left and rng.random() < 0.0001:
                words.append(RARE)
                rare_left -= 1
            body = " ".join(words)
            activity_rows.append(
                {
                    "ticket_id": ticket_id,
                    "seq": seq,
                    "kind": "message" if seq == 1 else rng.choice(["reply", "note", "message"]),
                    "author_user_id": None if seq == 1 else agent_id,
                    "author_contact_id": customer_id if seq == 1 else None,
                    "created_at": created + timedelta(minutes=seq),
                    "body": body,
                }
            )
            search_rows.append({"rowid": search._rowid(ticket_id, seq), "text": body})
        if len(activity_rows) > 50_000:
            flush()
            print(f"  {ticket_id:,} tickets", end="\r", file=sys.stderr)
    flush()
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE counters SET value = :v WHERE name = 'ticket'"), {"v": 1000 + tickets}
        )
        if not sqlite:
            connection.execute(
                text(
                    "INSERT INTO ticket_search (ticket_id, document) "
                    "SELECT t.id, to_tsvector('simple', t.subject) || "
                    "to_tsvector('simple', string_agg(a.body, ' ')) "
                    "FROM tickets t JOIN activities a ON a.ticket_id = t.id GROUP BY t.id"
                )
            )
            connection.execute(text("SELECT setval('tickets_id_seq', :v)"), {"v": tickets})
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    del admin_id


TICKET_INSERT = text(
    "INSERT INTO tickets (id, number, kind, status, subject, priority, origin, channel_id, "
    "owner_id, customer_id, creator_contact_id, version, activity_seq, created_at, updated_at, "
    "first_activity_id) VALUES (:id, :number, :kind, :status, :subject, :priority, :origin, "
    ":channel_id, :owner_id, :customer_id, :creator_contact_id, :version, :activity_seq, "
    ":created_at, :updated_at, :first_activity_id)"
)
ACTIVITY_INSERT = text(
    "INSERT INTO activities (ticket_id, seq, kind, author_user_id, author_contact_id, "
    "created_at, body) VALUES (:ticket_id, :seq, :kind, :author_user_id, :author_contact_id, "
    ":created_at, :body)"
)


def _current(path: Path) -> bool:
    """Whether the cached database has this tix's schema."""
    from tix.core.db import SCHEMA_HEAD, schema_revision

    engine = make_engine(f"sqlite:///{path}")
    try:
        return schema_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()


def median_ms(action: Callable[[], object], runs: int = 15) -> float:
    action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--url", help="a PostgreSQL URL (emptied!); default: SQLite file")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    if args.url:
        url = args.url
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        fresh = True
    else:
        OUT.mkdir(exist_ok=True)
        path = OUT / f"scale-{args.tickets}-{args.activities}.db"
        fresh = args.rebuild or not path.exists() or not _current(path)
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        engine = make_engine(url)
    if fresh:
        began = time.perf_counter()
        upgrade(engine)
        build(engine, args.tickets, args.activities)
        print(
            f"built {args.tickets:,} tickets / {args.activities:,} activities in "
            f"{time.perf_counter() - began:.0f} s",
            file=sys.stderr,
        )

    big_number = 1000 + args.tickets // 2 + 1
    utc = zone("UTC")
    sqlite = engine.dialect.name == "sqlite"
    with session_scope(engine) as session:
        agent = users.get_user(session, "agent")

        def first_page() -> object:
            return list_tickets(session, agent, TicketFilter(), limit=50)

        def first_page_raw() -> object:
            return session.execute(
                text(
                    "SELECT t.id, t.number, t.subject, t.status, t.priority, t.updated_at "
                    "FROM tickets t WHERE t.status != 'closed' "
                    "ORDER BY t.updated_at DESC, t.id DESC LIMIT 50"
                )
            ).all()

        def searching(word: str) -> Callable[[], object]:
            return lambda: list_tickets(session, agent, TicketFilter(search=word), limit=50)

        def searching_raw(word: str) -> Callable[[], object]:
            if sqlite:
                return lambda: session.execute(
                    text(
                        "SELECT DISTINCT rowid >> 24 FROM search_index WHERE search_index MATCH :w "
                        "ORDER BY rowid DESC LIMIT 50"
                    ),
                    {"w": word},
                ).all()
            return lambda: session.execute(
                text(
                    "SELECT ticket_id FROM ticket_search WHERE document @@ "
                    "to_tsquery('simple', :w) ORDER BY ticket_id DESC LIMIT 50"
                ),
                {"w": word},
            ).all()

        def show() -> object:
            ticket = ticket_service.get_ticket(session, agent, big_number)
            session.expire_all()
            return ticket_detail(session, agent, ticket, utc)

        def show_raw() -> object:
            return session.execute(
                text(
                    "SELECT a.* FROM activities a JOIN tickets t ON t.id = a.ticket_id "
                    "WHERE t.number = :n ORDER BY a.seq"
                ),
                {"n": big_number},
            ).all()

        assert (
            len(
                ticket_detail(
                    session, agent, ticket_service.get_ticket(session, agent, big_number), utc
                )["activities"]
            )
            == BIG_TICKET_ACTIVITIES
        )
        found_rare = len(searching(RARE)())  # type: ignore[arg-type]
        cases = [
            ("first page of the list", first_page, first_page_raw, 50),
            (f"search, rare word ({found_rare} hits)", searching(RARE), searching_raw(RARE), 100),
            ("search, common word (~half)", searching(COMMON), searching_raw(COMMON), 100),
            ("show a ticket with 1,000 activities", show, show_raw, 100),
        ]
        backend = "SQLite" if sqlite else "PostgreSQL"
        print(
            f"{backend}, {args.tickets:,} tickets / {args.activities:,} activities "
            f"(median of 15, ms)"
        )
        print(f"{'operation':40} {'tix':>8} {'raw SQL':>8} {'budget':>7}")
        for name, action, raw, budget in cases:
            measured, floor = median_ms(action), median_ms(raw)
            verdict = "" if not sqlite else ("ok" if measured <= budget else "OVER")
            print(f"{name:40} {measured:8.1f} {floor:8.1f} {budget:7d} {verdict}")
    engine.dispose()


if __name__ == "__main__":
    main()
