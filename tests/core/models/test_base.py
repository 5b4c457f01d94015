"""Column types shared by the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlmodel import col

from tix.core.db import session_scope
from tix.core.models import (
    Activity,
    ActivityKind,
    Ticket,
    TicketKind,
    TicketOrigin,
    TicketStatus,
)


def test_enum_columns_store_their_values_and_read_back_as_members(world, ticket) -> None:
    with session_scope(world.engine) as session:
        raw = session.execute(
            text("SELECT kind, status, origin FROM tickets WHERE number = :number"),
            {"number": ticket},
        ).one()
        assert tuple(raw) == ("request", "open", "phone")
        assert all(type(value) is str for value in raw)  # the strings stored before
        raw_kinds = session.execute(
            text(
                "SELECT a.kind FROM activities a JOIN tickets t ON t.id = a.ticket_id "
                "WHERE t.number = :number ORDER BY a.seq"
            ),
            {"number": ticket},
        ).scalars()
        assert list(raw_kinds) == ["message"]

        found = session.execute(select(Ticket).where(col(Ticket.number) == ticket)).scalar_one()
        assert found.kind is TicketKind.REQUEST
        assert found.status is TicketStatus.OPEN
        assert found.origin is TicketOrigin.PHONE
        first = session.execute(
            select(Activity).where(col(Activity.ticket_id) == found.id)
        ).scalar_one()
        assert first.kind is ActivityKind.MESSAGE

        # A member and its string find the same rows.
        for status in (TicketStatus.OPEN, "open"):
            count = session.execute(
                select(func.count()).where(col(Ticket.status) == status)
            ).scalar_one()
            assert count == 1


def test_a_string_written_directly_reads_back_as_its_member(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        session.execute(
            text("UPDATE tickets SET status = 'waiting' WHERE number = :number"),
            {"number": ticket},
        )
    with session_scope(world.engine) as session:
        status = session.execute(
            select(col(Ticket.status)).where(col(Ticket.number) == ticket)
        ).scalar_one()
        assert status is TicketStatus.WAITING
        assert status == "waiting"
