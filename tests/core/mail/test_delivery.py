"""Claiming the outbox: each message is one sender's, and a dead sender's claim is freed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from tests.conftest import World
from tix.core.db import session_scope
from tix.core.mail import delivery
from tix.core.models import Attempt, MailAccount, OutboxMessage, OutboxPurpose, OutboxStatus
from tix.core.services import outbox

CLAIM_AND_DIE = """
import json, sys
from tix.core.db import make_engine
from tix.core.mail import delivery
print(json.dumps(delivery.claim(make_engine(sys.argv[1]))))
"""


def queued(world: World, count: int = 2) -> list[int]:
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        assert account is not None
        return [
            outbox.queue_mail(
                session,
                purpose=OutboxPurpose.NOTIFICATION,
                account=account,
                to=["kunde@example.com"],
                subject=f"Mail {index}",
                body="Text",
            ).id
            or 0
            for index in range(count)
        ]


def claimed_by_a_process_that_died(db_url: str) -> list[int]:
    """Claim what is due in another process, which then ends (as if killed mid-batch)."""
    done = subprocess.run(
        [sys.executable, "-c", CLAIM_AND_DIE, db_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(json.loads(done.stdout))


def test_a_claim_whose_process_died_on_this_host_is_taken_over_at_once(
    world: World, db_url: str
) -> None:
    ids = queued(world)
    assert claimed_by_a_process_that_died(db_url) == ids
    assert delivery.claim(world.engine) == ids  # not after the ten-minute lease
    with session_scope(world.engine) as session:
        statuses = session.scalars(select(col(OutboxMessage.status))).all()
        owners = session.scalars(
            select(col(Attempt.details)).where(col(Attempt.key).startswith("outbox-claim:"))
        ).all()
    assert set(statuses) == {OutboxStatus.SENDING}
    assert owners and all(owner["pid"] == os.getpid() for owner in owners)
    assert delivery.claim(world.engine) == []  # this process runs: its claim holds


def test_a_claim_of_a_running_process_or_another_host_waits_for_its_lease(
    world: World, db_url: str
) -> None:
    ids = queued(world, 1)
    assert claimed_by_a_process_that_died(db_url) == ids
    with session_scope(world.engine, write=True) as session:
        row = session.scalars(select(Attempt).where(col(Attempt.key).startswith("outbox-"))).one()
        row.details = {**row.details, "host": "another-host.example"}
    assert delivery.claim(world.engine) == []
    with session_scope(world.engine, write=True) as session:
        row = session.scalars(select(Attempt).where(col(Attempt.key).startswith("outbox-"))).one()
        row.details = {**row.details, "host": socket.gethostname(), "pid": os.getppid()}
    assert delivery.claim(world.engine) == []  # the parent of this process runs
    with session_scope(world.engine) as session:
        found = session.get(OutboxMessage, ids[0])
        assert found is not None and found.claimed_until is not None
        later = found.claimed_until + timedelta(seconds=1)
    assert delivery.claim(world.engine, now=later) == ids  # the lease ran out
