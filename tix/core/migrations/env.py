"""Alembic environment: always run from :func:`tix.core.migrate.upgrade` with a connection."""

from alembic import context

from tix.core.models import load_all
from tix.core.models.base import TixModel

load_all()  # every table in the metadata Alembic compares with

SEARCH_TABLES = ("search_index", "ticket_search")
"""Made by hand-written SQL (FTS5 / tsvector), not by the models: autogenerate leaves them be."""


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(SEARCH_TABLES))


config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=TixModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
