"""PostgreSQL search: the subject joins each ticket's search document.

One GIN lookup then answers a search, and a page of results for a common word is
found by walking the ticket ids backwards instead of sorting every match.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # FTS5 indexes subjects already
    op.execute(
        "INSERT INTO ticket_search (ticket_id, document) "
        "SELECT t.id, to_tsvector('simple', t.subject) FROM tickets t "
        "ON CONFLICT (ticket_id) DO UPDATE "
        "SET document = excluded.document || ticket_search.document"
    )
    op.execute("DROP INDEX ix_tickets_subject_search")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "CREATE INDEX ix_tickets_subject_search ON tickets "
        "USING gin (to_tsvector('simple', subject))"
    )
