"""The ticket table's indexes hold up once the database has statistics."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlmodel import col

from tix.core.db import make_engine
from tix.core.migrate import upgrade
from tix.core.models import Ticket, TicketKind, User


@pytest.fixture
def analysed(sqlite_template: Path, tmp_path: Path) -> Engine:
    """A SQLite database of 2,000 tickets, none merged or in a project, with statistics."""
    path = tmp_path / "tix.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.begin() as connection:
        owner = connection.execute(
            insert(User).values(login="a", name="A", email="a@example.org").returning(User.id)
        ).scalar_one()
        connection.execute(
            insert(Ticket),
            [
                {
                    "number": 1000 + n,
                    "kind": TicketKind.INTERNAL,
                    "subject": f"Ticket {n}",
                    "owner_id": owner,
                    "creator_user_id": owner,
                    "version": 1,
                }
                for n in range(2000)
            ],
        )
        connection.execute(text("ANALYZE"))
    return engine


@pytest.mark.parametrize(
    ("query", "index"),
    [
        # what showing a ticket asks: which tickets were merged into it
        (
            select(col(Ticket.number))
            .where(col(Ticket.merged_into_id) == 5)
            .order_by(col(Ticket.number)),
            "ix_tickets_merged_into",
        ),
        # the list filtered by a project
        (
            select(col(Ticket.id))
            .where(col(Ticket.project_id) == 3)
            .order_by(col(Ticket.updated_at).desc())
            .limit(50),
            "ix_tickets_project",
        ),
    ],
)
def test_mostly_empty_columns_are_found_by_their_index(
    analysed: Engine, query: object, index: str
) -> None:
    with analysed.connect() as connection:
        statement = str(query.compile(analysed, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]
        plan = " / ".join(
            row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {statement}"))
        )
    assert f"USING INDEX {index} " in plan + " "


def test_the_mostly_empty_columns_indexes_are_partial(engine: Engine) -> None:
    """The model cannot say so without loading both dialects; the migration makes them
    partial on SQLite and PostgreSQL alike."""
    if engine.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE name IN (:a, :b)"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN (:a, :b)"
    with engine.connect() as connection:
        found = dict(
            connection.execute(
                text(query), {"a": "ix_tickets_merged_into", "b": "ix_tickets_project"}
            ).all()
        )
    assert set(found) == {"ix_tickets_merged_into", "ix_tickets_project"}
    assert "merged_into_id IS NOT NULL" in found["ix_tickets_merged_into"]
    assert "project_id IS NOT NULL" in found["ix_tickets_project"]
