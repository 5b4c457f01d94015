"""Mail end to end against a real Dovecot (IMAP) and a real aiosmtpd (SMTP):
sync, threading, loops, no mail lost or imported twice, delivery with retries."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.core.mail.test_ingest import mail
from tests.servers import SmtpServer
from tix.core import clock
from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.mail.delivery import deliver
from tix.core.mail.sync import sync_account
from tix.core.models import (
    Activity,
    ImportStatus,
    MailAccount,
    MailImport,
    OutboxMessage,
    Ticket,
)
from tix.core.services import opening, tickets
from tix.core.services.messages import reply_to_ticket

PASSWORD_ENV = "TIX_TEST_MAIL_PASSWORD"
SETTINGS = Settings()


@pytest.fixture
def mailbox(world, dovecot, monkeypatch) -> str:
    """The world's support account on a fresh Dovecot mailbox; returns its address."""
    address = f"support-{uuid.uuid4().hex[:10]}@tix.test"
    dovecot.add_user(address, "secret")
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        account.address = address
        account.imap_host = dovecot.host
        account.imap_port = dovecot.port
        account.imap_user = address
        account.tls = "none"
        account.password_env = PASSWORD_ENV
    return address


def _sync(world, **extra):
    return sync_account(world.engine, world.account, settings=SETTINGS, **extra)


def _count(world, model, *where) -> int:
    with session_scope(world.engine) as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)
        return session.execute(query).scalar_one()


def _server_flags(dovecot, address: str) -> dict[int, set[bytes]]:
    from imapclient import IMAPClient

    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "secret")
        client.select_folder("INBOX", readonly=True)
        return {
            uid: set(data[b"FLAGS"])
            for uid, data in client.fetch(client.search("ALL"), ["FLAGS"]).items()
        }


def test_mail_in_threaded_reply_out_and_the_answers_back(world, dovecot, mailbox) -> None:
    dovecot.deliver(mailbox, mail(subject="Pump broken", message_id="m1@kunde.example"))
    report = _sync(world)
    assert (report.imported, report.new_tickets) == (1, 1)
    flags = _server_flags(dovecot, mailbox)
    assert all({b"\\Seen", b"$TixImported"} <= f for f in flags.values())
    with session_scope(world.engine) as session:
        number = session.execute(select(Ticket.number)).scalar_one()

    # the agent replies; the mail reaches the SMTP server threaded
    with SmtpServer() as smtp:
        with session_scope(world.engine, write=True) as session:
            account = session.get(MailAccount, world.account)
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
            reply = reply_to_ticket(
                session,
                world.user(session, "bob"),
                ticket=tickets.find_ticket(session, number),
                body="Which **model** is it?",
                bcc=["archive@tix.test"],
            )
            reply_id = reply.message_id
        sent = deliver(world.engine)
        assert sent.sent == 1
        received = smtp.wait_for(1)[0]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["In-Reply-To"] == "<m1@kunde.example>"
    assert "<m1@kunde.example>" in message["References"]
    assert message["Subject"] == f"Re: [Ticket#{number}] Pump broken"
    assert message["Message-ID"] == f"<{reply_id}>"
    assert "archive@tix.test" in received.rcpt_tos and b"archive@tix.test" not in received.data
    body = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert "Which **model** is it?" in body.get_content()
    assert "<strong>model</strong>" in html.get_content()

    # the customer answers that mail; and another answer keeps only the tag
    dovecot.deliver(
        mailbox,
        mail(subject=f"Re: [Ticket#{number}] Pump broken", body="The P-400.", in_reply_to=reply_id),
    )
    dovecot.deliver(mailbox, mail(subject=f"WG: Photos [Ticket#{number}]", body="Photos."))
    # an out-of-office reply and a bounce of our reply
    dovecot.deliver(
        mailbox,
        mail(
            subject="Abwesenheitsnotiz: Pump broken",
            body="Urlaub.",
            in_reply_to=reply_id,
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    dovecot.deliver(mailbox, _bounce_of(reply_id))
    report = _sync(world)
    assert (report.imported, report.new_tickets) == (4, 0)
    with session_scope(world.engine) as session:
        ticket = tickets.find_ticket(session, number)
        kinds = (
            session.execute(
                select(Activity.details)
                .where(Activity.ticket_id == ticket.id, Activity.kind == "message")
                .order_by(Activity.seq)
            )
            .scalars()
            .all()
        )
        assert [(d or {}).get("automatic") for d in kinds] == [
            None,
            None,
            None,
            "auto_reply",
            "bounce",
        ]
        # the loops caused no mail: only the one reply was ever queued
        assert session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 1

    # a second sync imports nothing twice
    again = _sync(world)
    assert again.fetched == 0 and again.imported == 0
    assert _count(world, Activity, Activity.kind == "message") == 5


def _bounce_of(message_id: str) -> bytes:
    from email.message import EmailMessage

    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.kunde.example"
    bounce["To"] = "support@tix.test"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = f"<{uuid.uuid4().hex}@mx.kunde.example>"
    bounce["Auto-Submitted"] = "auto-replied"
    bounce.set_content("Your message could not be delivered: mailbox full.")
    returned = EmailMessage()
    returned["Message-ID"] = f"<{message_id}>"
    returned["Subject"] = "Re: Pump broken"
    returned.set_content("Which model is it?")
    bounce.add_attachment(returned)
    return bounce.as_bytes()


def test_a_changed_uidvalidity_reads_the_folder_again_without_duplicates(
    world, dovecot, mailbox
) -> None:
    for index in range(3):
        dovecot.deliver(mailbox, mail(subject=f"Question {index}"))
    assert _sync(world).imported == 3
    from tix.core.models import SyncState

    with session_scope(world.engine, write=True) as session:
        # as if the server had rebuilt the folder: what tix read came from an older one
        state = session.execute(select(SyncState)).scalar_one()
        state.uidvalidity -= 1
        for record in session.execute(select(MailImport)).scalars():
            record.uidvalidity -= 1
    report = _sync(world)
    assert (report.fetched, report.imported, report.duplicates) == (3, 0, 3)
    assert _count(world, Ticket) == 3


def test_imported_mail_can_be_moved_to_a_folder(world, dovecot, mailbox) -> None:
    from imapclient import IMAPClient

    with session_scope(world.engine, write=True) as session:
        session.get(MailAccount, world.account).move_to = "Archive"
    dovecot.deliver(mailbox, mail())
    assert _sync(world).imported == 1
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(mailbox, "secret")
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
        assert client.select_folder("Archive")[b"EXISTS"] == 1


def test_two_syncs_at_once_import_each_message_once(world, dovecot, mailbox) -> None:
    for index in range(40):
        dovecot.deliver(mailbox, mail(subject=f"Parallel {index}"))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            _sync(world, batch=5)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _count(world, Ticket) == 40
    assert _count(world, MailImport, MailImport.status == ImportStatus.IMPORTED) == 40
    assert all(b"$TixImported" in f for f in _server_flags(dovecot, mailbox).values())


def test_a_killed_sync_loses_and_duplicates_nothing(
    world, dovecot, mailbox, db_url, tmp_path: Path
) -> None:
    total = 400
    for index in range(total):
        dovecot.deliver(mailbox, mail(subject=f"Crash test {index}", body=f"Message {index}"))
    env = dict(os.environ, TIX_DATABASE_URL=db_url, TIX_USER="anna", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "tix", "mail", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while _count(world, MailImport) < 30 and time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"sync ended before it could be killed: {process.stderr.read()!r}")
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    imported_before = _count(world, MailImport)
    assert 0 < imported_before < total, "the kill must fall in the middle of the sync"
    report = _sync(world)
    assert _count(world, MailImport) == total
    assert _count(world, Ticket) == total
    assert report.duplicates == 0
    with session_scope(world.engine) as session:
        subjects = session.execute(select(Ticket.subject)).scalars().all()
    assert sorted(subjects) == sorted(f"Crash test {i}" for i in range(total))
    flags = _server_flags(dovecot, mailbox)
    assert len(flags) == total and all(b"$TixImported" in f for f in flags.values())


def test_delivery_retries_temporary_failures_and_reports_permanent_ones(world) -> None:
    with session_scope(world.engine, write=True) as session:
        number = opening.open_mail_ticket(
            session,
            world.user(session, "bob"),
            account=session.get(MailAccount, world.account),
            channel=world.channel(session, "support"),
            to=["later@kunde.example"],
            subject="Quote",
            body="Here it is",
        ).number
        reply_to_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            body="And more",
            to=["nobody@kunde.example"],
        )
    with SmtpServer(
        tempfail_rcpt={"later@kunde.example"}, reject_rcpt={"nobody@kunde.example"}
    ) as smtp:
        with session_scope(world.engine, write=True) as session:
            account = session.get(MailAccount, world.account)
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
        report = deliver(world.engine)
        assert (report.sent, report.retrying, report.failed) == (0, 1, 1)
        with session_scope(world.engine) as session:
            waiting, failed = (
                session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
            )
            assert waiting.status == "pending" and waiting.next_attempt_at > clock.now()
            assert failed.status == "failed" and "550" in failed.last_error
            delivery = session.execute(
                select(Activity).where(Activity.kind == "delivery")
            ).scalar_one()
            assert "nobody@kunde.example" in delivery.body
        assert deliver(world.engine).sent == 0  # not due yet
    with SmtpServer() as smtp:
        with session_scope(world.engine, write=True) as session:
            account = session.get(MailAccount, world.account)
            account.smtp_port = smtp.port
        later = clock.now() + timedelta(minutes=2)
        assert deliver(world.engine, now=later).sent == 1
        assert smtp.wait_for(1)[0].rcpt_tos == ["later@kunde.example"]


def test_two_senders_at_once_send_each_mail_once(world) -> None:
    with session_scope(world.engine, write=True) as session:
        for index in range(12):
            opening.open_mail_ticket(
                session,
                world.user(session, "bob"),
                account=session.get(MailAccount, world.account),
                channel=world.channel(session, "support"),
                to=[f"c{index}@kunde.example"],
                subject=f"Offer {index}",
                body="Text",
            )
    with SmtpServer() as smtp:
        with session_scope(world.engine, write=True) as session:
            account = session.get(MailAccount, world.account)
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
        start = threading.Barrier(2)

        def sender() -> None:
            start.wait()
            while deliver(world.engine, limit=2).sent:
                pass

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(0.2)
        recipients = sorted(r for m in smtp.messages for r in m.rcpt_tos)
    assert recipients == sorted(f"c{i}@kunde.example" for i in range(12))


def test_a_message_another_process_imported_meanwhile_is_counted(world, dovecot, mailbox) -> None:
    """The counts of a sync add up to the messages it fetched, also when another
    process stored one of them between the fetch and the import."""
    from imapclient import IMAPClient

    from tix.core.mail.ingest import ingest
    from tix.core.models import Channel

    raws = [mail(subject=f"Counted {index}") for index in range(3)]
    for raw in raws:
        dovecot.deliver(mailbox, raw)
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(mailbox, "secret")
        uidvalidity = client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
        second = sorted(client.search("ALL"))[1]
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        ingest(
            session,
            raws[1],
            channel=session.get(Channel, account.channel_id),
            account=account,
            folder="INBOX",
            uidvalidity=uidvalidity,
            uid=second,
            source="imap",
        )
    report = _sync(world)
    assert (report.fetched, report.imported, report.duplicates) == (3, 2, 1)
    counted = report.imported + report.duplicates + report.ignored + report.unprocessable
    assert counted == report.fetched


def test_a_mail_that_fails_is_kept_and_the_rest_of_its_batch_lands(
    world, dovecot, mailbox, monkeypatch
) -> None:
    """A batch is written at once; a mail that fails in it is kept as unprocessable and
    flagged like the others (it is stored), and the mails around it are imported."""
    from tix.core.mail import ingest as ingest_module
    from tix.core.mail.threading import clean_subject

    def failing(subject: str) -> str:
        if "Boom" in subject:
            raise RuntimeError("the subject could not be cleaned")
        return clean_subject(subject)

    monkeypatch.setattr(ingest_module, "clean_subject", failing)
    for subject in ("Pump broken", "Boom", "Printer jams"):
        dovecot.deliver(mailbox, mail(subject=subject))
    report = _sync(world, batch=10)
    assert (report.fetched, report.imported, report.unprocessable) == (3, 2, 1)
    flags = _server_flags(dovecot, mailbox)
    assert len(flags) == 3 and all(b"$TixImported" in f for f in flags.values())
    assert _count(world, Ticket) == 2
    assert _count(world, MailImport, MailImport.status == ImportStatus.UNPROCESSABLE) == 1
    again = _sync(world)
    assert (again.fetched, _count(world, MailImport)) == (0, 3)
