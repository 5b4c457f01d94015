"""Reports over a year at scale: 100,000 tickets with 1,000,000 activities.

    python bench/reports.py [--runs 5] [--url URL] [--period day|week|month]

Uses the database bench/scale.py builds (SQLite in bench/out/, or the PostgreSQL
database at --url, built with ``bench/scale.py --url URL``). Each report of
:mod:`tix.core.reporting` runs over the last 365 days of tickets for an admin, in
Europe/Berlin, interleaved with two floors measured in the same round:

- tickets per day: the bare SQL count of the year's tickets grouped by UTC day;
- one pass over the activities: the bare SQL count of the year's activities (every
  report that reads activities must at least do this, as no index covers their time).

Figures are medians in milliseconds of query time in this process; the budget is
1,000 ms per report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tix.core import reporting
from tix.core.db import make_engine, session_scope
from tix.core.models import Ticket, User
from tix.core.reporting import Period, ReportScope

OUT = Path(__file__).resolve().parent / "out"
BUDGET_MS = 1000.0
REPORTS = ("volume", "response", "sla", "agents", "categories", "mail", "overview")


def _timed(run: Callable[[], Any]) -> float:
    began = time.perf_counter()
    run()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: the SQLite file)")
    parser.add_argument("--period", default="week", choices=[p.value for p in Period])
    args = parser.parse_args()
    url = args.url or f"sqlite:///{OUT / 'scale-100000-1000000.db'}"
    if args.url is None and not (OUT / "scale-100000-1000000.db").exists():
        sys.exit("no database: run `python bench/scale.py` first")
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    with session_scope(engine) as session:
        admin = session.execute(
            select(User).where(User.is_admin).order_by(User.id).limit(1)
        ).scalar_one()
        newest = session.execute(select(Ticket.created_at).order_by(Ticket.created_at.desc()))
        last = newest.scalars().first()
        assert last is not None
        session.expunge(admin)
    end = last.date()
    scope = ReportScope(
        start=end - timedelta(days=364),
        end=end,
        viewer=admin,
        period=Period(args.period),
        zone="Europe/Berlin",
    )
    day = "created_at::date" if postgres else "date(created_at)"
    floors = {
        "tickets per day (bare SQL)": text(
            f"SELECT {day}, count(*) FROM tickets WHERE created_at >= :start "
            f"AND created_at < :end GROUP BY 1"
        ),
        "one pass over the activities (bare SQL)": text(
            "SELECT count(*) FROM activities WHERE created_at >= :start AND created_at < :end"
        ),
    }
    bounds = {"start": scope.start_utc, "end": scope.end_utc}
    if not postgres:
        bounds = {key: value.strftime("%Y-%m-%d %H:%M:%S.%f") for key, value in bounds.items()}
    times: dict[str, list[float]] = {name: [] for name in (*floors, *REPORTS)}
    for _round in range(args.runs):
        for name in (*floors, *REPORTS):
            with session_scope(engine) as session:
                if name in floors:
                    query = floors[name]
                    times[name].append(
                        _timed(lambda query=query: session.execute(query, bounds).all())
                    )
                else:
                    function = getattr(reporting, name)
                    times[name].append(_timed(lambda function=function: function(session, scope)))
    print(
        f"{engine.dialect.name}: {scope.start} – {scope.end} by {scope.period.value}, "
        f"median of {args.runs} runs, ms"
    )
    for name in (*floors, *REPORTS):
        median = statistics.median(times[name])
        verdict = "" if name in floors else ("  ok" if median <= BUDGET_MS else "  OVER")
        print(f"  {name:45} {median:8.0f}{verdict}")


if __name__ == "__main__":
    main()
