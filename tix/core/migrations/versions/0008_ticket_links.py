"""Links between tickets (related, parent/child, duplicate) and merged tickets.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_ticket_id", sa.Integer(), nullable=False),
        sa.Column("to_ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("from_ticket_id <> to_ticket_id", name="ck_ticket_links_not_itself"),
        sa.ForeignKeyConstraint(["from_ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["to_ticket_id"], ["tickets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("from_ticket_id", "to_ticket_id", name="uq_ticket_links_pair"),
    )
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_links_from_ticket_id", ["from_ticket_id"], unique=False)
        batch_op.create_index("ix_ticket_links_to_ticket_id", ["to_ticket_id"], unique=False)
    # Added in place (no FK, so SQLite need not rebuild the tickets table).
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_tickets_merged_into_id", ["merged_into_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_merged_into_id")
        batch_op.drop_column("merged_into_id")
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_links_to_ticket_id")
        batch_op.drop_index("ix_ticket_links_from_ticket_id")
    op.drop_table("ticket_links")
