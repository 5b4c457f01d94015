"""Business calendars and SLA targets per channel and priority; SLA clocks on tickets.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=True),
        sa.Column("subdivision", sa.String(length=16), nullable=True),
        sa.Column("closed_days", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("priority_min", sa.Integer(), nullable=False),
        sa.Column("priority_max", sa.Integer(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=True),
        sa.Column("solution_minutes", sa.Integer(), nullable=True),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("warn_before_minutes", sa.Integer(), nullable=False),
        sa.Column("warn_watchers", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "priority_min BETWEEN 1 AND 9 AND priority_max BETWEEN priority_min AND 9",
            name="ck_sla_policies_priorities",
        ),
        sa.ForeignKeyConstraint(["calendar_id"], ["business_calendars.id"]),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_index("ix_sla_policies_channel_id", "sla_policies", ["channel_id"])
    op.create_index("ix_sla_policies_calendar_id", "sla_policies", ["calendar_id"])
    # Plain columns without a foreign key: SQLite adds them in place, however many
    # tickets there are, where a constraint would copy the whole table.
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_policy_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_due_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_left", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_warned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_tickets_sla_due", "tickets", ["sla_due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_sla_due", table_name="tickets")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("sla_warned_at")
        batch_op.drop_column("sla_paused_left")
        batch_op.drop_column("sla_due_kind")
        batch_op.drop_column("sla_due_at")
        batch_op.drop_column("sla_policy_id")
    op.drop_index("ix_sla_policies_calendar_id", table_name="sla_policies")
    op.drop_index("ix_sla_policies_channel_id", table_name="sla_policies")
    op.drop_table("sla_policies")
    op.drop_table("business_calendars")
