"""Finding tickets by number.

Opening tickets lives in :mod:`~tix.core.services.opening`, messages in
:mod:`~tix.core.services.messages`, changes in :mod:`~tix.core.services.changes` and
the history itself in :mod:`~tix.core.services.activities`.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.errors import NotFound
from tix.core.i18n import _
from tix.core.models import Ticket, User
from tix.core.permissions import require_see


def find_ticket(session: Session, number: int | str) -> Ticket | None:
    return session.execute(
        select(Ticket).where(col(Ticket.number) == validation.ticket_number(number))
    ).scalar_one_or_none()


def get_ticket(session: Session, actor: User, number: int | str) -> Ticket:
    """The ticket numbered ``number``, if ``actor`` may see it."""
    ticket = find_ticket(session, number)
    if ticket is None:
        raise NotFound(
            _("no ticket #{number}: see `tix ticket list`").format(
                number=validation.ticket_number(number)
            )
        )
    require_see(session, actor, ticket)
    return ticket


_REFERENCE = re.compile(r"\s*\[?\s*(?:ticket\s*)?#?\s*(\d{1,12})\s*\]?\s*", re.IGNORECASE)


def ticket_reference(text: str) -> int | None:
    """The number ``text`` names when it is nothing but a ticket number as agents write
    one (``1196``, ``#1196``, ``Ticket#1196``, ``[Ticket#1196]``), else None."""
    found = _REFERENCE.fullmatch(text)
    return int(found.group(1)) if found is not None else None
