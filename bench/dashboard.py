"""The TUI dashboard's figures on 100,000 tickets: what one refresh costs.

    python bench/dashboard.py [--db bench/out/scale-100000-1000000.db] [--runs 15]

Times, on a copy of the database ``bench/scale.py`` builds (100,000 tickets over a year,
1,000,000 activities; run that first), for the agent who sees every ticket:

- today's queue (:func:`tix.core.reporting.queue.queue_today`: four counts in one
  query), next to the raw SQL that counts the same statuses without the access check
  and the SLA and default-owner conditions;
- today's figures (:func:`tix.core.reporting.dashboard.dashboard` with
  ``history=False``: the queue and each agent's tickets not done; what the TUI fetches
  whenever the database changes), next to the raw SQL count of the tickets not done per
  owner;
- the whole dashboard (with the 30 days of volume and backlog and the first-response
  median; fetched at most once a minute), next to a raw SQL count of the tickets opened
  per day in those 30 days.

Each pair runs in turns (a busy machine slows both alike); median of ``--runs``, in
milliseconds of query time in this process.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale import medians_ms

from tix.core.db import make_engine, session_scope
from tix.core.migrate import upgrade
from tix.core.models import utcnow
from tix.core.reporting.dashboard import dashboard
from tix.core.reporting.queue import queue_today
from tix.core.services.users import acting_user

DEFAULT_DB = Path(__file__).resolve().parent / "out" / "scale-100000-1000000.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"no database {args.db}: run python bench/scale.py first")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dashboard.db"
        shutil.copyfile(args.db, path)
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with session_scope(engine) as session:
            tickets = session.execute(text("SELECT count(*) FROM tickets")).scalar_one()
            viewer = acting_user(session, "agent")
            now = utcnow()

            def queue() -> object:
                return queue_today(session, viewer, now)

            def queue_floor() -> object:
                return session.execute(
                    text(
                        "SELECT count(*) FILTER (WHERE status = 'new'),"
                        " count(*) FILTER (WHERE status IN ('new', 'open', 'waiting')),"
                        " count(*) FILTER (WHERE sla_due_at <= :now),"
                        " count(*) FILTER (WHERE sla_due_at IS NOT NULL) FROM tickets"
                    ),
                    {"now": now.replace(tzinfo=None).isoformat(sep=" ")},
                ).one()

            def today() -> object:
                return dashboard(session, viewer, now, zone="Europe/Berlin", history=False)

            def today_floor() -> object:
                return session.execute(
                    text(
                        "SELECT owner_id, count(*) FROM tickets"
                        " WHERE status IN ('new', 'open', 'waiting') GROUP BY owner_id"
                    )
                ).all()

            def whole() -> object:
                return dashboard(session, viewer, now, zone="Europe/Berlin")

            def whole_floor() -> object:
                return session.execute(
                    text(
                        "SELECT date(created_at), count(*) FROM tickets"
                        " WHERE created_at >= datetime('now', '-30 days')"
                        " GROUP BY date(created_at)"
                    )
                ).all()

            open_now = session.execute(
                text("SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'waiting')")
            ).scalar_one()
            print(
                f"{tickets:,} tickets ({open_now:,} not done), median of {args.runs} runs,"
                " ms (tix / raw SQL floor)"
            )
            for name, action, floor in (
                ("today's queue (4 counts)", queue, queue_floor),
                ("today's figures (each change)", today, today_floor),
                ("whole dashboard (one refresh)", whole, whole_floor),
            ):
                mine, raw = medians_ms(action, floor, args.runs)
                print(f"{name:32} {mine:8.1f} {raw:8.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
