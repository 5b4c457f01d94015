"""The read models: what the CLI, the API and the TUI show of stored data."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import text

from tix.core.db import session_scope
from tix.core.services import tickets
from tix.core.views import TicketFilter, list_tickets, ticket_detail

UTC = ZoneInfo("UTC")


def test_control_characters_stored_by_an_older_tix_never_reach_an_interface(
    world, ticket: int, cli
) -> None:
    # Text is cleaned where it enters today; a database written before may still hold
    # an escape sequence (ESC, or the one-character CSI U+009B) in a subject or a body.
    with session_scope(world.engine, write=True) as session:
        session.execute(
            text("UPDATE tickets SET subject = :subject WHERE number = :number"),
            {"subject": "Pump\x9b2J \x1b[31mred\x07", "number": ticket},
        )
        session.execute(
            text("UPDATE activities SET body = :body"), {"body": "Leaks\x1b]0;title\x07\n\tend"}
        )
        session.execute(text("UPDATE contacts SET name = :name"), {"name": "Karla\x85 Kunde"})
    with session_scope(world.engine) as session:
        admin = world.user(session, "admin")
        detail = ticket_detail(session, admin, tickets.get_ticket(session, admin, ticket), UTC)
        rows = list_tickets(session, admin, TicketFilter(), limit=10)
    assert detail.subject == "Pump2J [31mred"
    assert detail.first_message is not None
    assert detail.first_message.body == "Leaks]0;title\n\tend"  # tabs and lines stay
    assert detail.customer is not None and detail.customer.name == "Karla Kunde"
    listed = rows[0].view(UTC)
    assert listed.subject == "Pump2J [31mred"
    assert listed.customer is not None and listed.customer.name == "Karla Kunde"
    for args in (("ticket", "show", str(ticket)), ("ticket", "list"), ("ticket", "list", "--json")):
        shown = cli(*args)
        assert shown.code == 0, shown.stderr
        assert not any(ch in shown.stdout for ch in "\x9b\x1b\x07\x85"), args
