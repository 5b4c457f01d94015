"""The ticket list with SLAs: time left, --breached, --due-within, sorted by deadline."""

from __future__ import annotations

from datetime import datetime

from tests.core.services.test_sla import act, at, berlin, make_policy, open_request
from tix.core.db import session_scope
from tix.core.services import changes
from tix.core.views import Cursor, TicketFilter, cursor_of, list_tickets


def _list(world, now: datetime, **filters: object) -> list[tuple[int, int | None, bool, bool]]:
    with at(now), session_scope(world.engine) as session:
        rows = list_tickets(session, world.user(session, "bob"), TicketFilter(**filters))  # type: ignore[arg-type]
        return [(r.number, r.sla_left_minutes, r.sla_breached, r.sla_paused) for r in rows]


def _tickets(world) -> tuple[int, int, int, int]:
    make_policy(world)
    early = open_request(world, berlin(2024, 11, 4, 8, 0))  # first response due 12:00
    late = open_request(world, berlin(2024, 11, 4, 10, 0))  # due 14:00
    waiting = open_request(world, berlin(2024, 11, 4, 9, 0))
    act(
        world,
        berlin(2024, 11, 4, 10, 0),
        waiting,
        lambda s, bob, t: changes.change_ticket(s, bob, ticket=t, status="waiting"),
    )  # 1 h used, paused with 3 h left
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        from tix.core.services import opening

        internal = opening.open_internal_ticket(
            session, anna, owner=world.user(session, "bob"), subject="Printer"
        )
        number = internal.number
    return early, late, waiting, number


def test_the_list_shows_business_time_left(world) -> None:
    early, late, waiting, internal = _tickets(world)
    now = berlin(2024, 11, 4, 11, 0)
    rows = {number: rest for number, *rest in _list(world, now, sort="sla")}
    assert rows[early] == [60, False, False]
    assert rows[late] == [180, False, False]
    assert rows[waiting] == [180, False, True]
    assert rows[internal] == [None, False, False]
    # After hours the time left stands still.
    rows = {number: rest for number, *rest in _list(world, berlin(2024, 11, 4, 20, 0))}
    assert rows[late] == [-180, True, False]


def test_breached_and_due_within(world) -> None:
    early, late, _waiting, _internal = _tickets(world)
    now = berlin(2024, 11, 4, 12, 30)
    assert [r[0] for r in _list(world, now, breached=True)] == [early]
    assert sorted(r[0] for r in _list(world, now, due_within=120)) == sorted([early, late])
    assert [r[0] for r in _list(world, now, due_within=60)] == [early]
    # About to be breached, not breached already: the dashboard's "due soon".
    assert [r[0] for r in _list(world, now, due_within=120, not_breached=True)] == [late]
    assert [r[0] for r in _list(world, now, not_breached=True)] == [late]
    # 16:30 + 2 business hours is Tuesday 09:30: the late one (due 14:00) and the early one.
    evening = berlin(2024, 11, 4, 16, 30)
    assert sorted(r[0] for r in _list(world, evening, due_within=120)) == sorted([early, late])


def test_sorted_by_deadline_and_paged(world) -> None:
    early, late, waiting, internal = _tickets(world)
    now = berlin(2024, 11, 4, 11, 0)
    paused_or_none = sorted([waiting, internal])
    assert [r[0] for r in _list(world, now, sort="sla")] == [early, late, *paused_or_none]
    assert [r[0] for r in _list(world, now, sort="-sla")] == [
        *reversed(paused_or_none),
        late,
        early,
    ]
    # one at a time, through the cursor
    with at(now), session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        seen: list[int] = []
        after: Cursor | None = None
        while True:
            page = list_tickets(session, bob, TicketFilter(sort="sla"), limit=1, after=after)
            if not page:
                break
            seen.append(page[0].number)
            after = cursor_of(page[0], searching=False)
    assert seen == [early, late, *sorted([waiting, internal])]
