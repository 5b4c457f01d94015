"""Mail: sync state and the record of every imported message; account folders, SMTP TLS,
channel acknowledgements, outbox claims and the sent message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 17:49:42.346875
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "mail_sync_state",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["mail_accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "folder"),
    )
    op.create_table(
        "mail_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("folder", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["mail_accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["blobs.sha256"],
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "account_id", "folder", "uidvalidity", "uid", name="uq_mail_imports_uid"
        ),
    )
    with op.batch_alter_table("mail_imports", schema=None) as batch_op:
        batch_op.create_index("ix_mail_imports_message_id", ["message_id"], unique=False)
        batch_op.create_index("ix_mail_imports_status", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_imports_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acknowledge", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("ack_subject", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("ack_body", sa.String(length=10000), nullable=False, server_default="")
        )

    with op.batch_alter_table("mail_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("smtp_tls", sa.String(length=16), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("sent_folder", sa.String(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("move_to", sa.String(length=255), nullable=False, server_default="")
        )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("envelope_to", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key("fk_outbox_sha256_blobs", "blobs", ["sha256"], ["sha256"])


def downgrade() -> None:

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("fk_outbox_sha256_blobs", type_="foreignkey")
        batch_op.drop_column("sha256")
        batch_op.drop_column("envelope_to")
        batch_op.drop_column("claimed_until")

    with op.batch_alter_table("mail_accounts", schema=None) as batch_op:
        batch_op.drop_column("move_to")
        batch_op.drop_column("sent_folder")
        batch_op.drop_column("smtp_tls")

    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("ack_body")
        batch_op.drop_column("ack_subject")
        batch_op.drop_column("acknowledge")

    with op.batch_alter_table("mail_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_imports_ticket_id"))
        batch_op.drop_index("ix_mail_imports_status")
        batch_op.drop_index("ix_mail_imports_message_id")

    op.drop_table("mail_imports")
    op.drop_table("mail_sync_state")
