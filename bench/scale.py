"""tix at scale: 100,000 tickets with 1,000,000 activities, or a million with ten million.

    python bench/scale.py [--tickets 100000] [--activities 1000000] [--url URL] [--rebuild]
    python bench/scale.py --tickets 1000000 --activities 10000000 --url URL   # by hand

Builds the database once (SQLite in bench/out/, batched INSERTs; or the PostgreSQL
database at --url, which is emptied first and filled with COPY; ``--reuse`` times what
an earlier run built there), then times what an agent does all day, each next to the
raw SQL query that fetches the same rows as its floor, the two run in turns:

- the first page of the ticket list (50 rows, last changed first) for an agent;
- a search for a rare word and for a common word (first page);
- showing a ticket with 1,000 activities;
- a filtered list: one channel, one status, one owner (first page).

Figures are the median of 15 runs, in milliseconds of query time in this process
(no process start-up); the budgets are 50 ms / 100 ms / 100 ms / 50 ms.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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


AGENTS = 20
CHANNELS = 10
CONTACTS = 10_000
STATUSES = ["new", "open", "open", "waiting", "solved", "closed"]
FILTER_CHANNEL, FILTER_STATUS, FILTER_OWNER = "Channel 3", "open", "agent5"
"""The filtered list timed: about 1 in 60 tickets."""
BULK_TABLES = ("tickets", "activities", "ticket_search", "contacts", "contact_addresses")
"""PostgreSQL tables whose indexes and constraints are dropped for COPY and made again."""


def build(engine: Engine, tickets: int, activities: int, seed: int = 1) -> None:
    """Fill a migrated, empty database quickly with the rows tix's services write:
    ``AGENTS`` agents in per-channel groups (``agent`` is in every group and sees every
    ticket), ``CHANNELS`` channels, ``CONTACTS`` customers with an address each, and
    ``tickets`` tickets with ``activities`` numbered activities, their counters, the
    first message and the search index. SQLite: batched INSERTs; PostgreSQL: COPY,
    with the indexes and constraints of the bulk tables made again afterwards, as the
    migrations define them."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    with session_scope(engine, write=True) as session:
        admin = users.add_user(
            session, None, login="admin", name="Admin", email="admin@example.com", is_admin=True
        )
        agent = users.add_user(
            session, admin, login="agent", name="Agent", email="agent@example.com"
        )
        from tix.core.services import channels

        owner_ids = [agent.id]
        channel_ids = []
        for number in range(1, CHANNELS + 1):
            group = users.add_group(session, admin, name=f"Team {number}")
            users.add_group_member(session, admin, group=group, user=agent)
            members = []
            for _ in range(AGENTS // CHANNELS if number > 1 else AGENTS // CHANNELS - 1):
                member = users.add_user(
                    session,
                    admin,
                    login=f"agent{len(owner_ids) + 1}",
                    name=f"Agent {len(owner_ids) + 1}",
                    email=f"agent{len(owner_ids) + 1}@example.com",
                )
                users.add_group_member(session, admin, group=group, user=member)
                owner_ids.append(member.id)
                members.append(member)
            channel = channels.add_channel(
                session,
                admin,
                name=f"Channel {number}",
                groups=[group],
                default_owner=members[0] if members else agent,
            )
            channel_ids.append(channel.id)
        session.flush()
        first_contact = 1 + (
            session.execute(text("SELECT coalesce(max(id), 0) FROM contacts")).scalar_one()
        )

    per_ticket = [1] * tickets
    remaining = activities - tickets - (BIG_TICKET_ACTIVITIES - 1)
    for _ in range(max(remaining, 0)):
        per_ticket[rng.randrange(tickets)] += 1
    big = tickets // 2
    per_ticket[big] = BIG_TICKET_ACTIVITIES

    contacts = [
        (first_contact + index, f"Kunde {index + 1}", now - timedelta(days=400))
        for index in range(CONTACTS)
    ]
    rows = _rows(rng, now, tickets, per_ticket, owner_ids, channel_ids, first_contact)
    if engine.dialect.name == "sqlite":
        _fill_sqlite(engine, contacts, rows)
    else:
        _fill_postgres(engine, contacts, rows)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE counters SET value = :v WHERE name = 'ticket'"), {"v": 1000 + tickets}
        )
    # As a database in use is: vacuumed (PostgreSQL's visibility map) and analysed.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE" if engine.dialect.name == "sqlite" else "VACUUM ANALYZE"))


Rows = Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]


def _rows(
    rng: random.Random,
    now: datetime,
    tickets: int,
    per_ticket: list[int],
    owner_ids: list[int | None],
    channel_ids: list[int | None],
    first_contact: int,
) -> Rows:
    """Each ticket's row with its activities' rows, oldest ticket first."""
    start = now - timedelta(days=365)
    step = timedelta(days=365) / tickets
    rare_left = 12
    activity_id = 0
    for index in range(tickets):
        ticket_id = index + 1
        created = start + step * index
        count = per_ticket[index]
        customer = first_contact + rng.randrange(CONTACTS)
        ticket = {
            "id": ticket_id,
            "number": 1000 + ticket_id,
            "kind": "mail",
            "status": rng.choice(STATUSES),
            "subject": " ".join(rng.choices(WORDS, k=4)).capitalize(),
            "priority": rng.randint(1, 9),
            "origin": "mail",
            "channel_id": rng.choice(channel_ids),
            "owner_id": rng.choice(owner_ids),
            "customer_id": customer,
            "creator_contact_id": customer,
            "version": count + 1,
            "activity_seq": count,
            "created_at": created,
            "updated_at": created + timedelta(minutes=count),
            "first_activity_id": activity_id + 1,
        }
        owner = ticket["owner_id"]
        activity_rows = []
        for seq in range(1, count + 1):
            activity_id += 1
            words = rng.choices(WORDS, k=rng.randint(15, 40))
            if rng.random() < 0.5:
                words.append(COMMON)
            if rare_left and rng.random() < 0.0001:
                words.append(RARE)
                rare_left -= 1
            activity_rows.append(
                {
                    "id": activity_id,
                    "ticket_id": ticket_id,
                    "seq": seq,
                    "kind": "message" if seq == 1 else rng.choice(["reply", "note", "message"]),
                    "author_user_id": None if seq == 1 else owner,
                    "author_contact_id": customer if seq == 1 else None,
                    "created_at": created + timedelta(minutes=seq),
                    "body": " ".join(words),
                }
            )
        yield ticket, activity_rows


def _fill_sqlite(engine: Engine, contacts: list[tuple[int, str, datetime]], rows: Rows) -> None:
    ticket_rows: list[dict[str, Any]] = []
    activity_rows: list[dict[str, Any]] = []
    search_rows: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as connection:
            if ticket_rows:
                connection.execute(TICKET_INSERT, ticket_rows)
            if activity_rows:
                connection.execute(ACTIVITY_INSERT, activity_rows)
            if search_rows:
                connection.execute(
                    text("INSERT INTO search_index (rowid, text) VALUES (:rowid, :text)"),
                    search_rows,
                )
        ticket_rows.clear()
        activity_rows.clear()
        search_rows.clear()

    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (id, name, kind, portal_enabled, sees_organization, "
                "language, created_at) VALUES (:id, :name, 'customer', 0, 0, '', :created)"
            ),
            [
                {"id": i, "name": name, "created": created.strftime("%Y-%m-%d %H:%M:%S.%f")}
                for i, name, created in contacts
            ],
        )
        connection.execute(
            text(
                "INSERT INTO contact_addresses (contact_id, address, is_primary) "
                "VALUES (:id, :address, 1)"
            ),
            [{"id": i, "address": f"kunde{i}@example.com"} for i, _name, _created in contacts],
        )
    for ticket, activities in rows:
        ticket_rows.append(_naive(ticket))
        search_rows.append({"rowid": search._rowid(ticket["id"], 0), "text": ticket["subject"]})
        for activity in activities:
            activity_rows.append(_naive(activity))
            search_rows.append(
                {"rowid": search._rowid(ticket["id"], activity["seq"]), "text": activity["body"]}
            )
        if len(activity_rows) > 50_000:
            flush()
            print(f"  {ticket['id']:,} tickets", end="\r", file=sys.stderr)
    flush()


def _naive(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its times as SQLAlchemy stores them in SQLite (naive UTC text)."""
    return {
        key: value.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value
        for key, value in row.items()
    }


def _fill_postgres(engine: Engine, contacts: list[tuple[int, str, datetime]], rows: Rows) -> None:
    """COPY the rows in, with the bulk tables' indexes and constraints dropped until
    they are full (the same definitions, read back from the catalog, made again)."""
    began = time.perf_counter()

    def note(what: str) -> None:
        print(f"  {time.perf_counter() - began:6.0f} s  {what}", file=sys.stderr)

    with engine.connect() as sa_connection:
        connection = sa_connection.connection.driver_connection
        assert connection is not None
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            tables = list(BULK_TABLES)
            # Constraints that other tables' foreign keys depend on are kept (primary keys).
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype IN ('f', 'u') AND "
                "(conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s))",
                (tables, tables),
            )
            constraints = cursor.fetchall()
            for table, name, _definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE NOT i.indisprimary AND "
                "i.indrelid::regclass::text = ANY(%s)",
                (tables,),
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
            connection.commit()
            note(f"dropped {len(constraints)} constraints, {len(indexes)} indexes")

            with cursor.copy(
                "COPY contacts (id, name, kind, portal_enabled, sees_organization, language, "
                "created_at) FROM STDIN"
            ) as copy:
                for contact_id, name, created in contacts:
                    copy.write_row((contact_id, name, "customer", False, False, "", created))
            with cursor.copy(
                "COPY contact_addresses (contact_id, address, is_primary) FROM STDIN"
            ) as copy:
                for contact_id, _name, _created in contacts:
                    copy.write_row((contact_id, f"kunde{contact_id}@example.com", True))
            cursor.execute(
                "CREATE TEMPORARY TABLE search_text (ticket_id integer, subject text, bodies text)"
            )
            limit = search.MAX_INDEXED_CHARS
            # One COPY at a time per connection: activities and texts wait in files.
            with tempfile.TemporaryFile() as activity_file, tempfile.TemporaryFile() as text_file:
                with cursor.copy(
                    "COPY tickets (" + ", ".join(TICKET_COLUMNS) + ") FROM STDIN"
                ) as copy:
                    for ticket, activities in rows:
                        copy.write(_copy_line(ticket, TICKET_COLUMNS))
                        activity_file.write(
                            b"".join(_copy_line(a, ACTIVITY_COLUMNS) for a in activities)
                        )
                        bodies = " ".join(a["body"][:limit] for a in activities)
                        text_file.write(f"{ticket['id']}\t{ticket['subject']}\t{bodies}\n".encode())
                        if ticket["id"] % 10_000 == 0:
                            print(f"  {ticket['id']:,} tickets", end="\r", file=sys.stderr)
                note("tickets copied")
                for file, statement in (
                    (
                        activity_file,
                        "COPY activities (" + ", ".join(ACTIVITY_COLUMNS) + ") FROM STDIN",
                    ),
                    (text_file, "COPY search_text FROM STDIN"),
                ):
                    file.seek(0)
                    with cursor.copy(statement) as copy:
                        while chunk := file.read(1 << 20):
                            copy.write(chunk)
            note("activities copied")
            # As search.index_many writes it: the subject's vector, then the bodies'.
            cursor.execute(
                "INSERT INTO ticket_search (ticket_id, document) SELECT ticket_id, "
                "to_tsvector('simple', subject) || to_tsvector('simple', bodies) "
                "FROM search_text"
            )
            cursor.execute("DROP TABLE search_text")
            connection.commit()
            note("search documents made")
            for sequence, table in (
                ("tickets_id_seq", "tickets"),
                ("activities_id_seq", "activities"),
                ("contacts_id_seq", "contacts"),
                ("contact_addresses_id_seq", "contact_addresses"),
            ):
                cursor.execute(f"SELECT setval('{sequence}', (SELECT max(id) FROM {table}))")
            for name, definition in indexes:
                cursor.execute(definition)
                connection.commit()
                note(f"index {name}")
            for table, name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                connection.commit()
                note(f"constraint {name}")
            connection.commit()


TICKET_COLUMNS = (
    "id", "number", "kind", "status", "subject", "priority", "origin", "channel_id",
    "owner_id", "customer_id", "creator_contact_id", "version", "activity_seq",
    "created_at", "updated_at", "first_activity_id",
)  # fmt: skip
ACTIVITY_COLUMNS = (
    "id", "ticket_id", "seq", "kind", "author_user_id", "author_contact_id", "created_at",
    "body",
)  # fmt: skip


def _copy_line(row: dict[str, Any], columns: tuple[str, ...]) -> bytes:
    return ("\t".join(_copy_value(row[c]) for c in columns) + "\n").encode()


def _copy_value(value: object) -> str:
    """A value in COPY's text format (the generated texts hold no tabs, newlines or \\)."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


TICKET_INSERT = text(
    "INSERT INTO tickets (id, number, kind, status, subject, priority, origin, channel_id, "
    "owner_id, customer_id, creator_contact_id, version, activity_seq, created_at, updated_at, "
    "first_activity_id) VALUES (:id, :number, :kind, :status, :subject, :priority, :origin, "
    ":channel_id, :owner_id, :customer_id, :creator_contact_id, :version, :activity_seq, "
    ":created_at, :updated_at, :first_activity_id)"
)
ACTIVITY_INSERT = text(
    "INSERT INTO activities (id, ticket_id, seq, kind, author_user_id, author_contact_id, "
    "created_at, body) VALUES (:id, :ticket_id, :seq, :kind, :author_user_id, "
    ":author_contact_id, :created_at, :body)"
)


def _current(path: Path) -> bool:
    """Whether the cached database has this tix's schema."""
    from tix.core.db import SCHEMA_HEAD, schema_revision

    engine = make_engine(f"sqlite:///{path}")
    try:
        return schema_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()


def medians_ms(
    action: Callable[[], object], floor: Callable[[], object], runs: int = 15
) -> tuple[float, float, float]:
    """Median milliseconds of ``action`` and of ``floor``, run in turns (a busy machine
    slows both alike), and the median CPU time this process spent in ``action`` (on a
    busy machine the rest of its time is spent waiting for a core, here or in the
    database server)."""
    action()
    floor()
    times: tuple[list[float], list[float], list[float]] = ([], [], [])
    for _ in range(runs):
        cpu = time.process_time()
        start = time.perf_counter()
        action()
        times[0].append(time.perf_counter() - start)
        times[2].append(time.process_time() - cpu)
        start = time.perf_counter()
        floor()
        times[1].append(time.perf_counter() - start)
    return tuple(statistics.median(kept) * 1000 for kept in times)  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--url", help="a PostgreSQL URL (emptied!); default: SQLite file")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --url: time the database built there before (migrated to the head first)",
    )
    args = parser.parse_args()

    if args.url:
        url = args.url
        engine = make_engine(url)
        fresh = not args.reuse
        if fresh:
            with engine.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            began = time.perf_counter()
            upgrade(engine)
            print(f"migrated in {time.perf_counter() - began:.1f} s", file=sys.stderr)
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
            # The statements of tix's search alone (no access check, no rows to build):
            # as plain SQL the planner walks every document backwards for a rare word.
            return lambda: list(itertools.islice(search.matching_ticket_ids(session, word), 50))

        channel_id = session.execute(
            text("SELECT id FROM channels WHERE name = :name"), {"name": FILTER_CHANNEL}
        ).scalar_one()
        owner_id = users.get_user(session, FILTER_OWNER).id
        chosen = TicketFilter(channel_id=channel_id, statuses=(FILTER_STATUS,), owner_id=owner_id)

        def filtered() -> object:
            return list_tickets(session, agent, chosen, limit=50)

        def filtered_raw() -> object:
            return session.execute(
                text(
                    "SELECT t.id, t.number, t.subject, t.status, t.priority, t.updated_at "
                    "FROM tickets t WHERE t.channel_id = :channel AND t.status = :status "
                    "AND t.owner_id = :owner ORDER BY t.updated_at DESC, t.id DESC LIMIT 50"
                ),
                {"channel": channel_id, "status": FILTER_STATUS, "owner": owner_id},
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
                ).activities
            )
            == BIG_TICKET_ACTIVITIES
        )
        found_rare = len(searching(RARE)())  # type: ignore[arg-type]
        cases = [
            ("first page of the list", first_page, first_page_raw, 50),
            (f"search, rare word ({found_rare} hits)", searching(RARE), searching_raw(RARE), 100),
            ("search, common word (~half)", searching(COMMON), searching_raw(COMMON), 100),
            ("show a ticket with 1,000 activities", show, show_raw, 100),
            ("filtered list (channel+status+owner)", filtered, filtered_raw, 50),
        ]
        backend = "SQLite" if sqlite else "PostgreSQL"
        print(
            f"{backend}, {args.tickets:,} tickets / {args.activities:,} activities "
            f"(median of 15, ms)"
        )
        print(f"{'operation':40} {'tix':>8} {'raw SQL':>8} {'tix CPU':>8} {'budget':>7}")
        for name, action, raw, budget in cases:
            measured, floor, cpu = medians_ms(action, raw)
            verdict = "ok" if measured <= budget else "OVER"
            print(f"{name:40} {measured:8.1f} {floor:8.1f} {cpu:8.1f} {budget:7d} {verdict}")
    engine.dispose()


if __name__ == "__main__":
    main()
