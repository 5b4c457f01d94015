"""The dashboard's figures in one answer: the queue, 30 days of volume up to today, the
overall first-response figures and the agents who hold tickets not done."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.core.reporting.test_queue import NOW, _tickets
from tests.core.services.test_sla import act, at, berlin
from tix.core.db import session_scope
from tix.core.reporting.dashboard import dashboard
from tix.core.reporting.queue import queue_today
from tix.core.services import messages


def _reply(session: Any, bob: Any, ticket: Any) -> None:
    messages.reply_to_ticket(session, bob, ticket=ticket, body="On its way")


def test_the_dashboard_as_bob_and_as_anna_sees_it(world: Any) -> None:
    t = _tickets(world)
    act(world, berlin(2026, 11, 27, 10, 15), t.soon, _reply)  # answered after 2h 15m
    with at(NOW), session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        shown = dashboard(session, bob, NOW, zone="Europe/Berlin")
        assert shown.queue == queue_today(session, bob, NOW)
        buckets = shown.volume.buckets
        assert len(buckets) == 30
        assert (buckets[0].start, buckets[-1].start) == (date(2026, 10, 29), date(2026, 11, 27))
        # not done and visible to bob: all but the closed one and the Sales one
        assert shown.volume.backlog_end == 6
        assert [(row.login, row.open_tickets) for row in shown.agents] == [("bob", 5), ("anna", 1)]
        assert shown.first_response, "one ticket was answered"
        assert all(
            f.channel is None and f.measure == "first_response" for f in shown.first_response
        )
        business = next(f for f in shown.first_response if f.basis == "business")
        assert (business.tickets, business.median_seconds) == (1, 135 * 60)

        # today's figures alone: the same queue and load, no history read
        today = dashboard(session, bob, NOW, zone="Europe/Berlin", history=False)
        assert (today.volume, today.first_response) == (None, None)
        assert (today.queue, today.agents, today.not_done) == (shown.queue, shown.agents, 6)

        anna = world.user(session, "admin")
        shown = dashboard(session, anna, NOW, zone="Europe/Berlin")
        assert [(row.login, row.open_tickets) for row in shown.agents] == [
            ("bob", 4),
            ("anna", 1),
            ("carl", 1),
        ]
