"""Indexes for lists filtered by owner or channel and by status, built online.

A queue such as "open tickets of channel X owned by Y" read the owner's (or the
channel's) tickets in the order of the list and dropped those of other statuses; on
a million tickets that is thousands of rows for one page. With the status in the key
a page reads its 50 rows.

On PostgreSQL the indexes are built with ``CREATE INDEX CONCURRENTLY``: the tickets
stay readable and writable while they are built. Such a build cannot run inside a
transaction, so it runs in its own (what came before is committed first), and an
index that a build cut short left behind (invalid) is dropped and made again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_tickets_owner_status", ["owner_id", "status", "updated_at", "id"]),
    ("ix_tickets_channel_status", ["channel_id", "status", "updated_at", "id"]),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            for name, columns in INDEXES:
                batch_op.create_index(name, columns, unique=False)
        return
    with op.get_context().autocommit_block():
        for name, columns in INDEXES:
            valid = (
                op.get_bind()
                .execute(
                    text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
                    {"name": name},
                )
                .scalar()
            )
            if valid:
                continue  # made by an earlier run that stopped after it
            if valid is not None:
                op.execute(f"DROP INDEX CONCURRENTLY {name}")
            op.create_index(name, "tickets", columns, unique=False, postgresql_concurrently=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            for name, _columns in reversed(INDEXES):
                batch_op.drop_index(name)
        return
    with op.get_context().autocommit_block():
        for name, _columns in reversed(INDEXES):
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
