"""Today's queue: each figure counts exactly the tickets its filter lists, and only
those the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.core.services.test_sla import act, at, berlin, make_policy, open_request
from tix.core.db import session_scope
from tix.core.models import TicketStatus
from tix.core.reporting.queue import queue_today
from tix.core.services import changes, contacts, opening
from tix.core.views import list_tickets

NOW = berlin(2026, 11, 27, 10, 30)
"""Friday 27 November 2026, 10:30 in Berlin; the office opens 08:00-17:00."""


@dataclass
class Tickets:
    late: int
    soon: int
    later: int
    taken: int
    waiting: int
    closed: int
    sales: int
    internal: int


def _status(status: str) -> Any:
    def change(session: Any, bob: Any, ticket: Any) -> None:
        changes.change_ticket(session, bob, ticket=ticket, status=status)

    return change


def _tickets(world: Any) -> Tickets:
    """Requests in Support (default owner bob) with a 4 h first-response target."""
    make_policy(world, holidays=None)
    late = open_request(world, berlin(2026, 11, 26, 8, 0))  # due Thursday 12:00: overdue
    soon = open_request(world, berlin(2026, 11, 27, 8, 0))  # due 12:00: in 1h 30m
    later = open_request(world, berlin(2026, 11, 27, 10, 0))  # due 14:00: in 3h 30m
    taken = open_request(world, berlin(2026, 11, 27, 9, 0))  # due 13:00, anna's now
    waiting = open_request(world, berlin(2026, 11, 26, 8, 0))  # its clock paused
    closed = open_request(world, berlin(2026, 11, 26, 8, 0))
    for number in (late, later):
        act(world, berlin(2026, 11, 27, 10, 5), number, _status("new"))
    act(world, berlin(2026, 11, 26, 9, 0), waiting, _status("waiting"))
    act(world, berlin(2026, 11, 26, 9, 0), closed, _status("closed"))

    def to_anna(session: Any, bob: Any, ticket: Any) -> None:
        anna = world.user(session, "admin")
        changes.change_ticket(session, bob, ticket=ticket, owner=anna, status="new")

    act(world, berlin(2026, 11, 27, 9, 30), taken, to_anna)
    with at(berlin(2026, 11, 27, 7, 0)), session_scope(world.engine, write=True) as session:
        carl = world.user(session, "carl")
        sales = opening.open_request_ticket(
            session,
            carl,
            channel=world.channel(session, "sales"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            subject="Offer",
            body="Prices?",
        )
        changes.change_ticket(session, carl, ticket=sales, status="new")
        bob = world.user(session, "bob")
        internal = opening.open_internal_ticket(session, bob, owner=bob, subject="Printer")
        changes.change_ticket(session, bob, ticket=internal, status="new")
        numbers = sales.number, internal.number
    return Tickets(late, soon, later, taken, waiting, closed, *numbers)


def _queue(world: Any, login: str) -> tuple[dict[str, set[int]], dict[str, int]]:
    """(figure -> the numbers its filter lists, figure -> its count) for ``login``."""
    with at(NOW), session_scope(world.engine) as session:
        viewer = world.user(session, login)
        queue = queue_today(session, viewer, NOW)
        figures = {
            "new": queue.new,
            "unassigned": queue.unassigned,
            "overdue": queue.overdue,
            "breaching_soon": queue.breaching_soon,
        }
        listed = {
            name: {row.number for row in list_tickets(session, viewer, figure.filter, limit=100)}
            for name, figure in figures.items()
        }
        return listed, {name: figure.count for name, figure in figures.items()}


def test_each_figure_counts_exactly_what_its_filter_lists(world: Any) -> None:
    t = _tickets(world)
    listed, counts = _queue(world, "bob")
    assert listed == {
        "new": {t.late, t.later, t.taken, t.internal},
        "unassigned": {t.late, t.soon, t.later, t.waiting},
        "overdue": {t.late},
        # due within 2 business hours and not overdue yet: the overdue one is apart
        "breaching_soon": {t.soon},
    }
    assert counts == {name: len(numbers) for name, numbers in listed.items()}


def test_only_tickets_the_viewer_may_see_count(world: Any) -> None:
    t = _tickets(world)
    # anna (admin) sees the Sales ticket but not bob's internal one
    listed, counts = _queue(world, "admin")
    assert listed["new"] == {t.late, t.later, t.taken, t.sales}
    assert counts["new"] == 4
    # carl (Sales) sees only his channel's ticket (due 12:00); Sales has no default owner
    listed, counts = _queue(world, "carl")
    assert listed == {
        "new": {t.sales},
        "unassigned": set(),
        "overdue": set(),
        "breaching_soon": {t.sales},
    }
    assert counts == {"new": 1, "unassigned": 0, "overdue": 0, "breaching_soon": 1}


def test_the_queue_as_json_names_its_filters(world: Any) -> None:
    _tickets(world)
    with at(NOW), session_scope(world.engine) as session:
        queue = queue_today(session, world.user(session, "bob"), NOW)
    data = queue.model_dump(mode="json")
    assert data["at"] == "2026-11-27T09:30:00+00:00"
    assert data["due_within_minutes"] == 120
    assert data["overdue"]["filter"]["breached"] is True
    assert data["breaching_soon"]["filter"]["due_within"] == 120
    assert data["breaching_soon"]["filter"]["not_breached"] is True
    assert data["unassigned"]["filter"]["statuses"] == [
        TicketStatus.NEW,
        TicketStatus.OPEN,
        TicketStatus.WAITING,
    ]
