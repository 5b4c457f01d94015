"""Numbers: tickets being opened at once do not wait for each other on PostgreSQL, and
counters that must have no gaps (documents) stay in the transaction that uses them."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from tix.core.db import session_scope
from tix.core.models import Counter
from tix.core.services import contacts, opening
from tix.core.services.activities import next_number


def _open(world, session) -> int:
    made = opening.open_request_ticket(
        session,
        world.user(session, "bob"),
        channel=world.channel(session, "support"),
        customer=contacts.find_contact(session, "kunde@example.com"),
        subject="Pump",
        body="Leaks",
    )
    return made.number


def test_a_ticket_opened_while_another_is_being_written_does_not_wait_for_it(
    world, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite lets one writer in at a time by design")
    numbers: dict[str, int] = {}
    first_numbered = threading.Event()
    first_may_end = threading.Event()

    def first() -> None:
        with session_scope(world.engine, write=True) as session:
            numbers["first"] = _open(world, session)
            first_numbered.set()
            first_may_end.wait(30)  # still writing: its transaction stays open

    def second() -> None:
        with session_scope(world.engine, write=True) as session:
            numbers["second"] = _open(world, session)

    writer = threading.Thread(target=first)
    writer.start()
    try:
        assert first_numbered.wait(10)
        began = time.monotonic()
        other = threading.Thread(target=second)
        other.start()
        other.join(5)
        waited = time.monotonic() - began
        done = not other.is_alive()
    finally:
        first_may_end.set()
        writer.join(30)
    other.join(30)
    assert done, f"the second ticket waited {waited:.1f} s for the first to be written"
    assert sorted(numbers.values()) == [numbers["first"], numbers["first"] + 1]


def test_document_numbers_are_taken_in_the_transaction_so_a_failed_one_leaves_no_gap(
    world,
) -> None:
    with pytest.raises(RuntimeError), session_scope(world.engine, write=True) as session:
        assert next_number(session, "document:invoice:2026") == 1
        raise RuntimeError("the invoice could not be written")
    with session_scope(world.engine, write=True) as session:
        assert next_number(session, "document:invoice:2026") == 1
        assert (
            session.execute(
                select(Counter.value).where(Counter.name == "document:invoice:2026")
            ).scalar_one()
            == 1
        )
