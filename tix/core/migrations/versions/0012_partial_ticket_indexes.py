"""Partial indexes for ticket columns that are mostly empty: the ticket a ticket was merged
into, and its project.

Almost every ticket has neither. Once SQLite has statistics (``ANALYZE``, ``PRAGMA
optimize``) it counts the empty values as one value shared by every ticket, takes an
index on the column for useless and reads the whole table instead: showing a ticket
(which asks which tickets were merged into it) read all 100,000 tickets. An index of only
the tickets that have a value is small, and SQLite and PostgreSQL use it for every
``column = value``.

On PostgreSQL the new index is built with ``CREATE INDEX CONCURRENTLY`` before the old one
is dropped, so the tickets stay readable and writable and a cut-short run leaves a usable
index; see 0011 for the details.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (old full index, new partial index, column)
INDEXES = (
    ("ix_tickets_merged_into_id", "ix_tickets_merged_into", "merged_into_id"),
    ("ix_tickets_project_id", "ix_tickets_project", "project_id"),
)


def _where(column: str) -> sa.TextClause:
    return sa.text(f"{column} IS NOT NULL")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            for old, new, column in INDEXES:
                batch_op.drop_index(old)
                batch_op.create_index(new, [column], unique=False, sqlite_where=_where(column))
        return
    with op.get_context().autocommit_block():
        for old, new, column in INDEXES:
            valid = (
                op.get_bind()
                .execute(
                    text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
                    {"name": new},
                )
                .scalar()
            )
            if valid is False:
                op.execute(f"DROP INDEX CONCURRENTLY {new}")  # left invalid by a cut-short run
            if not valid:
                op.create_index(
                    new,
                    "tickets",
                    [column],
                    unique=False,
                    postgresql_concurrently=True,
                    postgresql_where=_where(column),
                )
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {old}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            for old, new, column in reversed(INDEXES):
                batch_op.drop_index(new)
                batch_op.create_index(old, [column], unique=False)
        return
    with op.get_context().autocommit_block():
        for old, new, column in reversed(INDEXES):
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {old} ON tickets ({column})")
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {new}")
