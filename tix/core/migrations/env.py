"""Alembic environment: always run from :func:`tix.core.migrate.upgrade` with a connection."""

from alembic import context

import tix.core.models  # noqa: F401  (registers every table)
from tix.core.models.base import TixModel

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=TixModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
