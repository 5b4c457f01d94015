"""The ticket list's sort orders, its new filters (priority range, color) and keyset
paging in every order, on SQLite and PostgreSQL; the cursor as text."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tix.core import clock
from tix.core.db import session_scope
from tix.core.errors import Invalid, Malformed
from tix.core.list_cursor import decode_cursor, encode_cursor
from tix.core.services import contacts, opening
from tix.core.services.changes import TicketChanges, change_ticket
from tix.core.views import TicketFilter, cursor_of, list_tickets, ticket_page

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def tickets(world) -> Iterator[dict[int, tuple[int, str | None]]]:
    """Twelve tickets: priorities 1-3 four times each (ties), some colored; every one
    made and changed at the same instant, so only the id breaks ties. Number ->
    (priority, color)."""
    made: dict[int, tuple[int, str | None]] = {}
    clock.fix_clock(lambda: START)
    try:
        with session_scope(world.engine, write=True) as session:
            bob = world.user(session, "bob")
            customer = contacts.find_contact(session, "kunde@example.com")
            for index in range(12):
                priority = 1 + index % 3
                color = "red" if index % 4 == 0 else None
                ticket = opening.open_request_ticket(
                    session,
                    bob,
                    channel=world.channel(session, "support"),
                    customer=customer,
                    subject=f"Pump {index}",
                    body="Leaks",
                    priority=priority,
                    color=color,
                )
                made[ticket.number] = (priority, color)
    finally:
        clock.fix_clock(None)
    yield made


def _walk(world, filters: TicketFilter, limit: int) -> list[int]:
    """Every number of the list, page by page."""
    found: list[int] = []
    after = None
    with session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        while True:
            page = ticket_page(session, bob, filters, limit=limit, after=after)
            found += [row.number for row in page.rows]
            assert len(page.rows) <= limit
            after = page.next_cursor(filters)
            if after is None:
                return found


@pytest.mark.parametrize("limit", [1, 5, 12, 50])
@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("priority", lambda n, p: (p, n)),
        ("-priority", lambda n, p: (-p, -n)),
        ("number", lambda n, p: (n,)),
        ("-number", lambda n, p: (-n,)),
        ("created", lambda n, p: (n,)),
        ("-created", lambda n, p: (-n,)),
        ("updated", lambda n, p: (n,)),
        ("-updated", lambda n, p: (-n,)),
    ],
)
def test_each_sort_pages_through_every_ticket_once_in_order(world, tickets, sort, key, limit):
    # ties (same priority, same instant) are broken by the ticket's id, the same way
    expected = sorted(tickets, key=lambda n: key(n, tickets[n][0]))
    assert _walk(world, TicketFilter(sort=sort), limit) == expected


def test_the_default_order_is_last_changed_first(world, tickets) -> None:
    first = min(tickets)
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        from tix.core.services.tickets import get_ticket

        clock.fix_clock(lambda: START + timedelta(hours=1))
        try:
            ticket = get_ticket(session, bob, first)
            change_ticket(session, bob, ticket=ticket, changes=TicketChanges(subject="Moved up"))
        finally:
            clock.fix_clock(None)
    assert _walk(world, TicketFilter(), 5)[0] == first
    assert _walk(world, TicketFilter(sort="created"), 5)[0] == first


def test_priority_range_and_color_filter(world, tickets) -> None:
    def numbers(**filters) -> list[int]:
        return sorted(_walk(world, TicketFilter(**filters), 50))

    assert numbers(min_priority=2, max_priority=2) == sorted(
        n for n, (p, _c) in tickets.items() if p == 2
    )
    assert numbers(max_priority=2) == sorted(n for n, (p, _c) in tickets.items() if p <= 2)
    assert numbers(color="red") == sorted(n for n, (_p, c) in tickets.items() if c == "red")
    assert numbers(color="none") == sorted(n for n, (_p, c) in tickets.items() if c is None)
    assert numbers(color="red", min_priority=3) == sorted(
        n for n, (p, c) in tickets.items() if c == "red" and p >= 3
    )


def test_a_full_last_page_says_no_more_follow(world, tickets) -> None:
    with session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        page = ticket_page(session, bob, TicketFilter(), limit=12)
        assert len(page.rows) == 12 and not page.more
        assert page.next_cursor(TicketFilter()) is None
        page = ticket_page(session, bob, TicketFilter(), limit=11)
        assert page.more and page.next_cursor(TicketFilter()) is not None


@pytest.mark.parametrize("bad", ["size", "-", "priority desc", "+-updated"])
def test_an_unknown_sort_is_refused_with_the_keys_there_are(world, bad) -> None:
    with session_scope(world.engine) as session, pytest.raises(Malformed) as caught:
        list_tickets(session, world.user(session, "bob"), TicketFilter(sort=bad))
    assert "updated, created, priority, number" in caught.value.message


def test_a_search_keeps_newest_first(world, tickets) -> None:
    with session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        rows = list_tickets(session, bob, TicketFilter(search="pump", sort="-created"))
        assert [row.number for row in rows] == sorted(tickets, reverse=True)
        with pytest.raises(Invalid) as caught:
            list_tickets(session, bob, TicketFilter(search="pump", sort="priority"))
        assert "newest tickets first" in caught.value.message


def test_a_cursor_as_text_goes_back_and_forth_and_belongs_to_its_filters(world, tickets) -> None:
    filters = TicketFilter(sort="-priority", color="none")
    with session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        rows = list_tickets(session, bob, filters, limit=3)
        cursor = cursor_of(rows[-1], searching=False)
        text = encode_cursor(cursor, filters)
        assert text.isascii() and "=" not in text
        again = decode_cursor(text, filters)
        assert again.id == cursor.id and again.priority == cursor.priority
        following = list_tickets(session, bob, filters, limit=3, after=again)
        assert following == list_tickets(session, bob, filters, limit=3, after=cursor)
        assert not {row.number for row in rows} & {row.number for row in following}
    with pytest.raises(Malformed) as caught:
        decode_cursor(text, TicketFilter(sort="priority", color="none"))
    assert "other filters" in caught.value.message
    for junk in ["", "abc", "eyJ2IjoxfQ", "%%%"]:
        with pytest.raises(Malformed) as caught:
            decode_cursor(junk, filters)
        assert "not a cursor" in caught.value.message
