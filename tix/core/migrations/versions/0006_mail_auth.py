"""Mail accounts that sign in with OAuth2, and channels that keep strangers' follow-ups
apart.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNT_TEXTS = (
    ("auth", 16, "password"),
    ("oauth2_token_cmd", 1000, ""),
    ("oauth2_provider", 16, ""),
    ("oauth2_client_id", 200, ""),
    ("oauth2_client_secret_env", 200, ""),
    ("oauth2_tenant", 100, ""),
    ("oauth2_authorize_url", 500, ""),
    ("oauth2_token_url", 500, ""),
    ("oauth2_device_url", 500, ""),
    ("oauth2_scopes", 1000, ""),
    ("oauth2_refresh_token_file", 1000, ""),
    ("oauth2_refresh_token_cmd", 1000, ""),
)


def upgrade() -> None:
    with op.batch_alter_table("mail_accounts", schema=None) as batch_op:
        for name, length, default in _ACCOUNT_TEXTS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), nullable=False, server_default=default)
            )
        batch_op.add_column(sa.Column("auth_problem", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("auth_problem_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stranger_follow_ups",
                sa.String(length=16),
                nullable=False,
                server_default="attach",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("stranger_follow_ups")
    with op.batch_alter_table("mail_accounts", schema=None) as batch_op:
        batch_op.drop_column("auth_problem_at")
        batch_op.drop_column("auth_problem")
        for name, _length, _default in reversed(_ACCOUNT_TEXTS):
            batch_op.drop_column(name)
