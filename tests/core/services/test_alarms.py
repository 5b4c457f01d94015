"""Alarms: stored in UTC, fired exactly once, also by two runs at the same time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tix.core import clock
from tix.core.db import session_scope
from tix.core.errors import Invalid
from tix.core.models import Alarm, MailAccount, Notification, OutboxMessage
from tix.core.services import alarms, tickets
from tix.core.timeparse import parse_when

BERLIN = ZoneInfo("Europe/Berlin")


def _set(
    world,
    number: int,
    due: datetime,
    *,
    recipient: str = "bob",
    via: str = "app",
    now: datetime | None = None,
) -> int:
    with (
        clock.use_clock(lambda: now or datetime.now(UTC)),
        session_scope(world.engine, write=True) as session,
    ):
        alarm = alarms.set_alarm(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            due_at=due,
            note="Call the customer",
            recipient=world.user(session, recipient),
            via=via,
        )
        return int(alarm.id)


def _fire(world, now: datetime) -> list[int]:
    with session_scope(world.engine, write=True) as session:
        return [int(a.id) for a in alarms.fire_due_alarms(session, now=now)]


def test_an_alarm_set_across_the_dst_change_fires_at_the_local_time(world, ticket) -> None:
    # Saturday 28 March 2026, 10:00 in Berlin (CET, UTC+1): "tomorrow 09:00" is Sunday
    # 29 March 09:00 CEST (UTC+2), i.e. 07:00 UTC, only 22 hours later.
    now = datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN).astimezone(UTC)
    due = parse_when("tomorrow 09:00", now=now, zone=BERLIN)
    assert due == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    alarm_id = _set(world, ticket, due, now=now)
    assert _fire(world, datetime(2026, 3, 29, 6, 59, tzinfo=UTC)) == []
    assert _fire(world, datetime(2026, 3, 29, 7, 0, tzinfo=UTC)) == [alarm_id]
    assert _fire(world, datetime(2026, 3, 29, 8, 0, tzinfo=UTC)) == []  # exactly once
    with session_scope(world.engine) as session:
        stored = session.get(Alarm, alarm_id)
        assert stored.due_at == due and stored.fired_at is not None
        assert stored.due_at.astimezone(BERLIN).hour == 9


def test_firing_notifies_and_mails_the_recipient(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        session.get(MailAccount, world.account).smtp_host = "127.0.0.1"
    now = datetime.now(UTC)
    _set(world, ticket, now + timedelta(minutes=5), recipient="admin", via="mail", now=now)
    _fire(world, now + timedelta(minutes=6))
    with session_scope(world.engine) as session:
        notes = (
            session.execute(
                select(Notification).where(
                    Notification.user_id == world.admin, Notification.kind == "alarm"
                )
            )
            .scalars()
            .all()
        )
        assert len(notes) == 1 and "Call the customer" in notes[0].text
        assert "set by Bob Support" in notes[0].text
        mails = (
            session.execute(select(OutboxMessage).where(OutboxMessage.purpose == "notification"))
            .scalars()
            .all()
        )
        assert [m.mail_to for m in mails] == [["anna@tix.test"]]


def test_two_runs_at_once_fire_each_alarm_exactly_once(world, ticket) -> None:
    now = datetime.now(UTC)
    made = {_set(world, ticket, now + timedelta(minutes=1 + i), now=now) for i in range(20)}
    fired: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(3)
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            got = _fire(world, now + timedelta(hours=1))
            with lock:
                fired.extend(got)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(fired) == sorted(made)  # every alarm fired, none twice
    with session_scope(world.engine) as session:
        assert (
            len(session.execute(select(Notification).where(Notification.kind == "alarm")).all())
            == 20
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due": -1}, "has passed"),
        ({"recipient": "carl"}, "cannot see ticket"),
        ({"via": "pigeon"}, "app or mail"),
        ({"note": "  "}, "needs a description"),
    ],
)
def test_bad_alarms_change_nothing(world, ticket, changes, message) -> None:
    now = datetime.now(UTC)
    due = now + timedelta(hours=changes.get("due", 1))
    with pytest.raises(Invalid, match=message), session_scope(world.engine, write=True) as s:
        alarms.set_alarm(
            s,
            world.user(s, "bob"),
            ticket=tickets.find_ticket(s, ticket),
            due_at=due,
            note=changes.get("note", "x"),
            recipient=world.user(s, changes.get("recipient", "bob")),
            via=changes.get("via", "app"),
        )
    with session_scope(world.engine) as session:
        assert session.execute(select(Alarm)).first() is None
