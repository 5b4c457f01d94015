"""One action on many tickets: each ticket wholly or not at all, the refused ones named."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from tix.core.db import session_scope
from tix.core.errors import Invalid, NotFound
from tix.core.models import Activity, ActivityKind, Ticket, TicketStatus
from tix.core.services import bulk_actions, contacts, opening
from tix.core.services.bulk_actions import Target, targets
from tix.core.services.changes import TicketChanges, change_ticket


def _open(world, count: int, *, owner: str = "bob") -> list[int]:
    with session_scope(world.engine, write=True) as session:
        customer = contacts.find_contact(session, "kunde@example.com")
        return [
            opening.open_request_ticket(
                session,
                world.user(session, "bob"),
                channel=world.channel(session, "support"),
                customer=customer,
                owner=world.user(session, owner),
                subject=f"Pump {index}",
                body="Leaks",
            ).number
            for index in range(count)
        ]


def _internal(world) -> int:
    with session_scope(world.engine, write=True) as session:
        return opening.open_internal_ticket(
            session,
            world.user(session, "bob"),
            owner=world.user(session, "bob"),
            subject="Holiday cover",
            body="Week 52",
        ).number


def _ticket(world, number: int) -> Ticket:
    with session_scope(world.engine) as session:
        return session.execute(select(Ticket).where(col(Ticket.number) == number)).scalar_one()


def _activities(world, number: int, kind: ActivityKind) -> list[Activity]:
    with session_scope(world.engine) as session:
        return list(
            session.execute(
                select(Activity)
                .join(Ticket, col(Ticket.id) == Activity.ticket_id)
                .where(col(Ticket.number) == number, col(Activity.kind) == kind)
                .order_by(col(Activity.seq))
            ).scalars()
        )


def test_targets_keeps_the_order_and_each_ticket_once() -> None:
    assert targets(["#1003", 1001, "1003", Target(1002, 4)]) == [
        Target(1003),
        Target(1001),
        Target(1002, 4),
    ]


def test_each_ticket_is_changed_and_reported_in_order(world) -> None:
    numbers = _open(world, 3)
    results = bulk_actions.change_tickets(
        world.engine,
        "bob",
        targets(numbers),
        TicketChanges(status="waiting", priority=8),
    )
    assert [(r.number, r.ok, r.error) for r in results] == [(n, True, None) for n in numbers]
    for number, result in zip(numbers, results, strict=True):
        ticket = _ticket(world, number)
        assert (ticket.status, ticket.priority) == (TicketStatus.WAITING, 8)
        assert [(c.field, c.old, c.new) for c in result.changes] == [
            ("status", "open", "waiting"),
            ("priority", "5", "8"),
        ]
        assert result.version == ticket.version
        recorded = _activities(world, number, ActivityKind.CHANGE)
        assert [a.id for a in recorded[-2:]] == result.activities


def test_a_refused_ticket_undoes_none_of_the_others(world) -> None:
    first, second = _open(world, 2)
    internal = _internal(world)
    with session_scope(world.engine, write=True) as session:
        # carl (Sales) cannot see a Support ticket owned by bob
        hidden = opening.open_request_ticket(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "support"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            owner=world.user(session, "bob"),
            subject="Not for carl",
            body="x",
        ).number
    results = bulk_actions.change_tickets(
        world.engine,
        "bob",
        targets([first, 99999, internal, second]),
        TicketChanges(channel="Sales"),
    )
    assert [(r.number, r.ok) for r in results] == [
        (first, True),
        (99999, False),
        (internal, False),
        (second, True),
    ]
    assert results[1].error is not None and results[1].error.code == "not_found"
    assert results[2].error is not None and results[2].error.code == "invalid"
    assert f"#{internal} is internal" in results[2].error.message
    assert results[2].changes == [] and results[2].version is None
    assert _ticket(world, first).channel_id == world.sales
    assert _ticket(world, second).channel_id == world.sales
    assert _ticket(world, internal).channel_id is None

    forbidden = bulk_actions.change_tickets(
        world.engine, "carl", targets([hidden]), TicketChanges(priority=9)
    )
    assert forbidden[0].error is not None and forbidden[0].error.code == "forbidden"
    assert _ticket(world, hidden).priority == 5
    assert bulk_actions.failure_code(forbidden) == "forbidden"
    assert bulk_actions.failure_code(results) == "error"  # not found and invalid
    assert bulk_actions.failure_code(results[:1]) is None


def test_a_ticket_changed_by_someone_else_meanwhile_is_skipped_and_named(world) -> None:
    first, second = _open(world, 2)
    seen = {number: _ticket(world, number).version for number in (first, second)}
    with session_scope(world.engine, write=True) as session:
        ticket = session.execute(select(Ticket).where(col(Ticket.number) == second)).scalar_one()
        change_ticket(session, world.user(session, "admin"), ticket=ticket, priority=2)
    results = bulk_actions.change_tickets(
        world.engine,
        "bob",
        [Target(first, seen[first]), Target(second, seen[second])],
        TicketChanges(status="closed"),
    )
    assert results[0].ok and not results[1].ok
    assert results[1].error is not None and results[1].error.code == "conflict"
    assert f"ticket #{second} was changed by someone else" in results[1].error.message
    assert _ticket(world, first).status == TicketStatus.CLOSED
    assert _ticket(world, second).status == TicketStatus.OPEN
    assert _ticket(world, second).priority == 2


def test_input_wrong_for_every_ticket_changes_nothing(world) -> None:
    numbers = _open(world, 2)
    before = [_ticket(world, number).version for number in numbers]
    with pytest.raises(NotFound, match="no user 'nobody'"):
        bulk_actions.change_tickets(
            world.engine, "bob", targets(numbers), TicketChanges(owner="nobody", priority=9)
        )
    with pytest.raises(Invalid):
        bulk_actions.change_tickets(
            world.engine, "bob", targets(numbers), TicketChanges(priority=12)
        )
    with pytest.raises(Invalid):
        bulk_actions.note_tickets(world.engine, "bob", targets(numbers), body="  ")
    assert [_ticket(world, number).version for number in numbers] == before


def test_tickets_are_committed_in_batches_with_progress(world, monkeypatch) -> None:
    monkeypatch.setattr(bulk_actions, "BATCH", 2)
    numbers = _open(world, 5)
    seen: list[tuple[int, int]] = []
    results = bulk_actions.change_tickets(
        world.engine,
        "bob",
        targets(numbers),
        TicketChanges(owner="anna"),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert all(result.ok for result in results)
    assert {_ticket(world, number).owner_id for number in numbers} == {world.admin}


def test_the_same_note_goes_on_each_ticket(world) -> None:
    first, second = _open(world, 2)
    stale = _ticket(world, second).version
    with session_scope(world.engine, write=True) as session:
        ticket = session.execute(select(Ticket).where(col(Ticket.number) == second)).scalar_one()
        change_ticket(session, world.user(session, "admin"), ticket=ticket, priority=2)
    results = bulk_actions.note_tickets(
        world.engine,
        "bob",
        [Target(first), Target(second, stale)],
        body="Supplier confirmed Monday",
    )
    assert results[0].ok and results[0].changes == []
    notes = _activities(world, first, ActivityKind.NOTE)
    assert [n.body for n in notes] == ["Supplier confirmed Monday"]
    assert results[0].activities == [notes[0].id]
    assert results[1].error is not None and results[1].error.code == "conflict"
    assert _activities(world, second, ActivityKind.NOTE) == []


def test_merge_many_into_one(world) -> None:
    target, first, second = _open(world, 3)
    internal = _internal(world)
    results = bulk_actions.merge_tickets_into(
        world.engine, "bob", targets([first, internal, second]), into=target
    )
    assert [(r.number, r.ok) for r in results] == [(first, True), (internal, False), (second, True)]
    assert results[0].changes[0].field == "merged_into"
    assert results[0].changes[0].new == str(target)
    for number in (first, second):
        merged = _ticket(world, number)
        assert merged.status == TicketStatus.CLOSED
        assert merged.merged_into_id == _ticket(world, target).id
    assert _ticket(world, internal).merged_into_id is None
    with pytest.raises(NotFound):
        bulk_actions.merge_tickets_into(world.engine, "bob", targets([first]), into=99999)
