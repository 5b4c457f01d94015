"""Reports for team leads: how many tickets come in and get solved, how fast the first
answer comes, who carries the load and what is overdue.

Every report takes ``(session, scope)`` and returns a read model of
:mod:`tix.core.read_models.reports`; the CLI, the TUI and workbooks share them. The
counting is done by the database (SQLite and PostgreSQL alike), never by loading every
ticket.
"""

from tix.core.reporting.figures import (
    agents,
    categories,
    mail,
    overview,
    overview_of,
    response,
    sla,
    volume,
)
from tix.core.reporting.scope import Period, ReportScope

__all__ = [
    "Period",
    "ReportScope",
    "agents",
    "categories",
    "mail",
    "overview",
    "overview_of",
    "response",
    "sla",
    "volume",
]
