"""Who sees which ticket: internal tickets, channel groups, owners, watchers, admins."""

from __future__ import annotations

import pytest

from tix.core.db import session_scope
from tix.core.errors import Forbidden
from tix.core.models import Watcher
from tix.core.permissions import can_see
from tix.core.services import changes, contacts, messages, opening, tickets
from tix.core.views import TicketFilter, list_tickets


def _numbers(world, login: str, **filters) -> set[int]:
    with session_scope(world.engine) as session:
        user = world.user(session, login)
        return {row.number for row in list_tickets(session, user, TicketFilter(**filters))}


@pytest.fixture
def internal(world) -> int:
    """An internal ticket from bob to carl."""
    with session_scope(world.engine, write=True) as session:
        ticket = opening.open_internal_ticket(
            session,
            world.user(session, "bob"),
            owner=world.user(session, "carl"),
            subject="Vacation cover",
            body="Secret staffing matter",
        )
        return ticket.number


def test_internal_tickets_are_invisible_to_a_third_user(world, internal: int) -> None:
    # creator and owner see it ...
    assert internal in _numbers(world, "bob")
    assert internal in _numbers(world, "carl")
    # ... nobody else: not an agent, not the admin, not even by search
    for outsider in ("dora", "admin"):
        assert internal not in _numbers(world, outsider)
        assert internal not in _numbers(world, outsider, search="staffing")
        with session_scope(world.engine) as session, pytest.raises(Forbidden):
            tickets.get_ticket(session, world.user(session, outsider), internal)


def test_internal_tickets_refuse_watchers_a_way_in(world, internal: int) -> None:
    """Even a watcher row (made behind the services' back) gives no access."""
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, internal)
        session.add(Watcher(ticket_id=ticket.id, user_id=world.dora))
    assert internal not in _numbers(world, "dora")
    with session_scope(world.engine) as session:
        ticket = tickets.find_ticket(session, internal)
        assert not can_see(session, world.user(session, "dora"), ticket)


def _request(world, channel: str, owner: str | None = None) -> int:
    with session_scope(world.engine, write=True) as session:
        customer = contacts.find_contact(session, "kunde@example.com")
        ticket = opening.open_request_ticket(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, channel),
            customer=customer,
            subject=f"Call about {channel}",
            body="Please call back",
            owner=world.user(session, owner) if owner else None,
        )
        return ticket.number


def test_channel_access_follows_groups(world) -> None:
    support = _request(world, "support")
    sales = _request(world, "sales")
    assert support in _numbers(world, "bob") and sales not in _numbers(world, "bob")
    assert sales in _numbers(world, "carl") and support not in _numbers(world, "carl")
    assert _numbers(world, "dora") == set()
    assert {support, sales} <= _numbers(world, "admin")


def test_owner_and_watchers_see_tickets_outside_their_channels(world) -> None:
    sales_for_dora = _request(world, "sales", owner="dora")
    assert sales_for_dora in _numbers(world, "dora")
    other = _request(world, "sales")
    assert other not in _numbers(world, "dora")
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, other)
        session.add(Watcher(ticket_id=ticket.id, user_id=world.dora))
    assert other in _numbers(world, "dora")


def test_group_watchers_see_the_ticket(world) -> None:
    from tix.core.services import users

    number = _request(world, "sales")
    assert number not in _numbers(world, "bob")
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, number)
        support = users.get_group(session, "Support")
        session.add(Watcher(ticket_id=ticket.id, group_id=support.id))
    assert number in _numbers(world, "bob")


def test_a_user_without_access_cannot_work_the_ticket(world) -> None:
    number = _request(world, "sales")
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, number)
        bob = world.user(session, "bob")
        with pytest.raises(Forbidden):
            messages.add_note(session, bob, ticket=ticket, body="sneaky")
        with pytest.raises(Forbidden):
            changes.change_ticket(session, bob, ticket=ticket, status="closed")
