"""Several ``tix worker`` processes on one PostgreSQL: each message imported once, each
mail sent once, each alarm and SLA warning fired once, whichever worker does it.

PostgreSQL only (SQLite has one writer and no advisory locks: one worker per file).
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import BACKENDS
from tests.core.mail.test_ingest import mail
from tests.servers import SmtpServer, require
from tix.core import clock
from tix.core.business_time import parse_target
from tix.core.db import session_scope
from tix.core.models import (
    Activity,
    Alarm,
    ImportStatus,
    MailAccount,
    MailImport,
    Notification,
    OutboxMessage,
    Ticket,
)
from tix.core.services import accounts, alarms, contacts, opening, sla, tickets
from tix.core.services.messages import reply_to_ticket

pytestmark = pytest.mark.postgresql

PASSWORD_ENV = "TIX_TEST_WORKER_PASSWORD"
ACCOUNTS = 4
NEW_PER_ACCOUNT = 14
"""New requests per mailbox, from ten customers that write to every account."""
REPLIES_PER_ACCOUNT = 8
"""Replies per mailbox to the tickets that exist before the workers start."""
SHARED_PER_ACCOUNT = 4
"""Mails per account that went to the next account too (one To, one CC: same Message-ID)."""


@pytest.fixture
def backend() -> str:
    if "postgresql" not in BACKENDS:
        require("PostgreSQL", "TIX_TEST_BACKENDS leaves out postgresql")
    return "postgresql"


def _count(engine, model, *where) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return int(session.execute(query).scalar_one())


def _helpdesk(world, dovecot, smtp: SmtpServer) -> tuple[list[str], dict[str, list[bytes]], int]:
    """Four accounts on Dovecot sending through ``smtp``, tickets to reply to, queued
    replies, due alarms and breached SLA deadlines. Returns the mailbox addresses, the
    mail for each, and how many alarms are due."""
    run = uuid.uuid4().hex[:8]
    addresses = [f"box{index}-{run}@tix.test" for index in range(ACCOUNTS)]
    for address in addresses:
        dovecot.add_user(address, "secret")
    past = datetime.now(UTC) - timedelta(days=30)
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        bob = world.user(session, "bob")
        support = world.channel(session, "support")
        sales = world.channel(session, "sales")
        ids = [world.account]
        for index in range(1, ACCOUNTS):
            ids.append(
                accounts.add_account(
                    session, anna, name=f"box{index}", address=addresses[index], channel=support
                ).id
            )
        for account_id, address in zip(ids, addresses, strict=True):
            account = session.get(MailAccount, account_id)
            account.address = account.imap_user = address
            account.imap_host, account.imap_port, account.tls = dovecot.host, dovecot.port, "none"
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
            account.password_env = PASSWORD_ENV
        customer = contacts.find_contact(session, "kunde@example.com")
        existing = [
            opening.open_request_ticket(
                session, bob, channel=support, customer=customer, subject=f"Pump {i}", body="Leaks"
            ).number
            for i in range(5)
        ]
        for number in existing:  # queued mail to the customer, for the workers to send
            reply_to_ticket(
                session, bob, ticket=tickets.find_ticket(session, number), body="On its way"
            )
        calendar = sla.add_calendar(
            session, anna, name="Always", timezone="UTC", hours=["mon-sun 00:00-24:00"]
        )
        sla.add_policy(
            session,
            anna,
            name="Sales",
            calendar=calendar,
            channel=sales,
            first_response_minutes=parse_target("1h"),
        )
    with clock.use_clock(lambda: past), session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        carl = world.user(session, "carl")
        customer = contacts.find_contact(session, "kunde@example.com")
        sales = world.channel(session, "sales")
        breached = [
            opening.open_request_ticket(
                session, carl, channel=sales, customer=customer, subject=f"Offer {i}", body="?"
            )
            for i in range(3)
        ]
        due = 0
        for ticket in breached:
            for via, recipient in (("app", carl), ("mail", anna)):
                alarms.set_alarm(
                    session,
                    carl,
                    ticket=ticket,
                    due_at=past + timedelta(minutes=5),
                    note=f"Call back ({via})",
                    recipient=recipient,
                    via=via,
                )
                due += 1

    boxes: dict[str, list[bytes]] = {address: [] for address in addresses}
    for index, address in enumerate(addresses):
        for n in range(NEW_PER_ACCOUNT):
            boxes[address].append(
                mail(
                    subject=f"Request {index}-{n}",
                    sender=f"Customer {n % 10} <c{n % 10}-{run}@kunde.example>",
                    to=address,
                )
            )
        for n in range(REPLIES_PER_ACCOUNT):
            number = existing[(index + n) % len(existing)]
            boxes[address].append(
                mail(subject=f"Re: [Ticket#{number}] Pump", body=f"Answer {index}-{n}", to=address)
            )
        for n in range(SHARED_PER_ACCOUNT):
            other = addresses[(index + 1) % ACCOUNTS]
            raw = mail(
                subject=f"To two {index}-{n}",
                sender=f"Customer {n} <c{n}-{run}@kunde.example>",
                to=address,
                headers={"Cc": other},
            )
            # each copy as the server delivered it: the same mail, other bytes
            boxes[address].append(f"Delivered-To: {address}\r\n".encode() + raw)
            boxes[other].append(f"Delivered-To: {other}\r\n".encode() + raw)
    return addresses, boxes, due


def _append(dovecot, boxes: dict[str, list[bytes]]) -> None:
    from imapclient import IMAPClient

    for address, raws in boxes.items():
        with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
            client.login(address, "secret")
            for raw in raws:
                client.append("INBOX", raw)


def _unflagged(dovecot, address: str) -> int:
    from imapclient import IMAPClient

    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "secret")
        client.select_folder("INBOX", readonly=True)
        return len(client.search(["UNKEYWORD", "$TixImported"]))


def _all_done(engine, expected_imports: int) -> bool:
    with session_scope(engine) as session:
        imports = session.execute(select(func.count()).select_from(MailImport)).scalar_one()
        waiting = session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
        ).scalar_one()
        unfired = session.execute(
            select(func.count()).select_from(Alarm).where(Alarm.fired_at.is_(None))
        ).scalar_one()
    return imports >= expected_imports and waiting == 0 and unfired == 0


@pytest.mark.parametrize("workers", [2, 4])
def test_workers_share_the_work_and_do_each_thing_once(
    world, dovecot, db_url, tmp_path, workers: int
) -> None:
    with SmtpServer() as smtp:
        addresses, boxes, alarms_due = _helpdesk(world, dovecot, smtp)
        _append(dovecot, boxes)
        expected_imports = sum(len(raws) for raws in boxes.values())
        env = dict(
            os.environ,
            TIX_DATABASE_URL=db_url,
            TIX_USER="anna",
            PYTHONUNBUFFERED="1",
            **{PASSWORD_ENV: "secret"},
        )
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "tix", "worker", "--interval", "1"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"worker{index}.log").open("w"),
            )
            for index in range(workers)
        ]
        try:
            deadline = time.monotonic() + 40
            while not _all_done(world.engine, expected_imports):
                if time.monotonic() > deadline:
                    break
                assert all(p.poll() is None for p in processes), "a worker ended by itself"
                time.sleep(0.2)
            time.sleep(1.5)  # one more round each: nothing may be done twice
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        logs = [(tmp_path / f"worker{i}.log").read_text() for i in range(workers)]
        assert [p.returncode for p in processes] == [0] * workers, logs
        # no worker failed another's import batch (a new sender both made, a deadlock)
        again = [line for log in logs for line in log.splitlines() if "one by one" in line]
        assert again == []
        received = list(smtp.messages)

    engine = world.engine
    shared = ACCOUNTS * SHARED_PER_ACCOUNT
    # every message in every mailbox has one import record, flagged on the server
    with session_scope(engine) as session:
        statuses = Counter(session.execute(select(MailImport.status)).scalars())
        reasons = session.execute(
            select(MailImport.reason).where(MailImport.status != ImportStatus.IMPORTED)
        ).scalars()
        assert statuses == {
            ImportStatus.IMPORTED: expected_imports - shared,
            ImportStatus.DUPLICATE: shared,
        }, "\n".join(r or "" for r in reasons if "imported before" not in (r or ""))
    assert [_unflagged(dovecot, address) for address in addresses] == [0] * ACCOUNTS
    with session_scope(engine) as session:
        incoming = Counter(
            session.execute(
                select(Activity.message_id).where(
                    Activity.direction == "in", Activity.message_id.is_not(None)
                )
            ).scalars()
        )
        subjects = Counter(session.execute(select(Ticket.subject)).scalars())
        outbox = session.execute(select(OutboxMessage.message_id, OutboxMessage.status)).all()
        alarm_notes = Counter(
            session.execute(
                select(Notification.alarm_id).where(Notification.kind == "alarm")
            ).scalars()
        )
        sla_notes = Counter(
            session.execute(
                select(Notification.ticket_id).where(Notification.kind == "sla")
            ).scalars()
        )
        warned = set(
            session.execute(select(Ticket.id).where(Ticket.sla_warned_at.is_not(None))).scalars()
        )
    assert len(incoming) == expected_imports - shared
    assert set(incoming.values()) == {1}, "a message became two activities"
    new_subjects = [s for s in subjects if s.startswith(("Request ", "To two "))]
    assert len(new_subjects) == ACCOUNTS * (NEW_PER_ACCOUNT + SHARED_PER_ACCOUNT)
    assert {subjects[s] for s in new_subjects} == {1}, "a message opened two tickets"

    # every queued mail (replies, acknowledgements, alarm mails) reached SMTP once
    assert outbox and {status for _id, status in outbox} == {"sent"}
    sent = Counter(
        email.message_from_bytes(m.data, policy=email.policy.default)["Message-ID"].strip("<>")
        for m in received
    )
    assert sent == Counter(message_id for message_id, _status in outbox)

    # each alarm fired once; each SLA deadline warned of once
    assert len(alarm_notes) == alarms_due and set(alarm_notes.values()) == {1}
    assert len(warned) >= 3 and set(sla_notes) == warned and set(sla_notes.values()) == {1}


def test_each_round_tries_every_account_starting_at_another() -> None:
    from tix.core.worker import in_turn

    rounds = [in_turn([7, 8, 9]) for _ in range(3)]
    assert all(sorted(order) == [7, 8, 9] for order in rounds)
    assert {order[0] for order in rounds} == {7, 8, 9}
    assert all(order in ([7, 8, 9], [8, 9, 7], [9, 7, 8]) for order in rounds)
    assert in_turn([]) == []
