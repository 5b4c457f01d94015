"""Sending the outbox: claim, compose, send, record; retry what can be retried.

Messages are claimed for a few minutes (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
SQLite's single writer otherwise), so several workers never send one twice; the
SMTP conversation runs outside any database transaction. A temporary failure is
retried with growing pauses for two days; a permanent one marks the message failed
and puts a delivery activity on its ticket, which tells the watchers.

Delivery is at least once: a sender that dies after the server accepted a message
but before it was marked sent leaves it claimed, and it is sent again, with the
same Message-ID (mail programs that drop duplicates show it once). Each claim
records the claiming host and process (in an ``attempts`` row keyed by the
message); a claim whose process no longer runs on this host is taken over at once
instead of after :data:`LEASE`.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, select, update
from sqlmodel import col

from tix.core import clock
from tix.core.db import session_scope
from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.mail.compose import Outgoing, OutgoingAttachment, compose, recipients
from tix.core.mail.oauth2 import OAuth2Error, token_source
from tix.core.mail.smtp import (
    PermanentFailure,
    SmtpError,
    SmtpSettings,
    TemporaryFailure,
    send,
)
from tix.core.models import (
    ActivityKind,
    Attempt,
    Blob,
    MailAccount,
    OutboxMessage,
    OutboxPurpose,
    OutboxStatus,
    Ticket,
    TicketFile,
    TlsMode,
)
from tix.core.services import outbox
from tix.core.services.accounts import DEFAULT_PORTS, account_password

log = logging.getLogger("tix.mail")

LEASE = timedelta(minutes=10)
"""How long a claimed message is a sender's before another may take it over."""
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
GIVE_UP_AFTER = timedelta(days=2)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    sign_in_problems: dict[int, str] = field(default_factory=dict)
    """Accounts (id) whose OAuth2 sign-in needs a person, with why; their mail waits."""
    signed_in: set[int] = field(default_factory=set)
    """OAuth2 accounts (id) that sent mail: their sign-in works."""

    def to_json(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "errors": self.errors,
        }


def smtp_settings(account: MailAccount, *, cafile: str | None = None) -> SmtpSettings:
    tls = account.smtp_tls or account.tls
    port = account.smtp_port or DEFAULT_PORTS["smtp"][TlsMode(tls)]
    oauth2 = token_source(account)
    if oauth2 is not None:
        # OAuth2 servers (Microsoft 365, Gmail) always want a login: the IMAP one by default.
        user = account.smtp_user or account.imap_user or account.address
        return SmtpSettings(
            host=account.smtp_host,
            port=port,
            tls=tls,
            user=user,
            name=account.name,
            cafile=cafile,
            oauth2=oauth2,
        )
    return SmtpSettings(
        host=account.smtp_host,
        port=port,
        tls=tls,
        user=account.smtp_user,
        password=account_password(account) if account.smtp_user else None,
        name=account.name,
        cafile=cafile,
    )


_CLAIM = "outbox-claim:"
"""Key prefix of the :class:`Attempt` row that names a claim's host and process."""


def _claim_key(message_id: int) -> str:
    return f"{_CLAIM}{message_id}"


def _claimant() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _gone(claimant: dict[str, Any] | None) -> bool:
    """Whether ``claimant`` is a process on this host that no longer runs."""
    if not claimant or claimant.get("host") != socket.gethostname():
        return False
    pid = claimant.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it runs, as another user
    return False


def _abandoned(session: Any, now: datetime) -> list[Any]:
    """Conditions matching the live claims whose sender died on this host; each names
    the claim's end too, so a claim taken over meanwhile no longer matches."""
    claimed = dict(
        session.execute(
            select(col(OutboxMessage.id), col(OutboxMessage.claimed_until)).where(
                col(OutboxMessage.status) == OutboxStatus.SENDING,
                col(OutboxMessage.claimed_until) >= now,
            )
        ).all()
    )
    if not claimed:
        return []
    owners = session.execute(
        select(col(Attempt.key), col(Attempt.details)).where(
            col(Attempt.key).in_([_claim_key(i) for i in claimed])
        )
    ).all()
    found = []
    for key, claimant in owners:
        message_id = int(key.removeprefix(_CLAIM))
        if _gone(claimant):
            found.append(
                and_(
                    col(OutboxMessage.id) == message_id,
                    col(OutboxMessage.claimed_until) == claimed[message_id],
                )
            )
    return found


def _release(session: Any, message_id: int) -> None:
    session.execute(delete(Attempt).where(col(Attempt.key) == _claim_key(message_id)))


def claim(engine: Engine, *, limit: int = 50, now: datetime | None = None) -> list[int]:
    """Take up to ``limit`` due messages for this sender: pending ones, and claimed ones
    whose lease ran out or whose sender no longer runs on this host."""
    now = now or clock.now()
    with session_scope(engine, write=True) as session:
        due = or_(
            (col(OutboxMessage.status) == OutboxStatus.PENDING)
            & (col(OutboxMessage.next_attempt_at) <= now),
            (col(OutboxMessage.status) == OutboxStatus.SENDING)
            & (col(OutboxMessage.claimed_until) < now),
            *_abandoned(session, now),
        )
        ids = list(
            session.execute(
                select(col(OutboxMessage.id))
                .where(due)
                .order_by(col(OutboxMessage.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        if ids:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .values(status=OutboxStatus.SENDING, claimed_until=now + LEASE)
            )
            keys = [_claim_key(i) for i in ids if i is not None]
            session.execute(delete(Attempt).where(col(Attempt.key).in_(keys)))
            session.add_all(Attempt(key=key, details=_claimant()) for key in keys)
    return [i for i in ids if i is not None]


def deliver(
    engine: Engine, *, limit: int = 50, cafile: str | None = None, now: datetime | None = None
) -> DeliveryReport:
    """Send what is due; returns what happened."""
    report = DeliveryReport()
    for message_id in claim(engine, limit=limit, now=now):
        _deliver_one(engine, message_id, report, cafile=cafile)
    return report


def _outgoing(session: Any, message: OutboxMessage) -> Outgoing:
    attachments: list[OutgoingAttachment] = []
    if message.activity_id is not None:
        for ticket_file, blob in session.execute(
            select(TicketFile, Blob)
            .join(Blob, col(Blob.sha256) == TicketFile.sha256)
            .where(col(TicketFile.activity_id) == message.activity_id)
            .order_by(col(TicketFile.id))
        ).all():
            attachments.append(
                OutgoingAttachment(
                    name=ticket_file.name,
                    content_type=ticket_file.content_type,
                    data=blob.data,
                    content_id=ticket_file.content_id,
                    inline=ticket_file.inline,
                )
            )
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    automatic = message.purpose in (OutboxPurpose.NOTIFICATION, OutboxPurpose.ACKNOWLEDGEMENT)
    return Outgoing(
        sender=message.mail_from,
        to=list(message.mail_to),
        cc=list(message.mail_cc),
        bcc=list(message.mail_bcc),
        subject=message.subject,
        body=message.body,
        message_id=message.message_id,
        in_reply_to=message.in_reply_to,
        references=list(message.references),
        date=clock.now(),
        automatic=automatic,
        notification=message.purpose == OutboxPurpose.NOTIFICATION,
        ticket_number=ticket.number if ticket else None,
        attachments=attachments,
    )


def _composed(session: Any, message: OutboxMessage) -> bytes | None:
    """The bytes of a message queued already composed (a report with its workbook
    attached, which belongs to no ticket): its ``sha256`` is set before it was sent."""
    if message.sha256 is None or message.status == OutboxStatus.SENT:
        return None
    blob = session.get(Blob, message.sha256)
    return bytes(blob.data) if blob is not None else None


def _deliver_one(
    engine: Engine, message_id: int, report: DeliveryReport, *, cafile: str | None
) -> None:
    account_id: int | None = None
    oauth2 = False
    try:
        with session_scope(engine) as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            account = session.get(MailAccount, message.account_id) if message.account_id else None
            if account is None or not account.smtp_host:
                name = account.name if account else "?"
                raise TemporaryFailure(
                    _(
                        "mail account {name} has no SMTP server: set one with `tix account set "
                        "{name} --smtp-host HOST`"
                    ).format(name=name)
                )
            account_id = account.id
            outgoing = _outgoing(session, message)
            composed = _composed(session, message)
            settings = smtp_settings(account, cafile=cafile)
            oauth2 = settings.oauth2 is not None
            sent_folder = account.sent_folder if account.imap_host else ""
            account_id = account.id
            envelope_from = account.address
            only = list(message.envelope_to) if message.envelope_to else None
        raw = composed if composed is not None else compose(outgoing)
        result = send(
            settings,
            envelope_from=envelope_from,
            recipients=only or recipients(outgoing),
            message=raw,
        )
    except OAuth2Error as error:
        # No token: the mail waits (for two days) until the sign-in works again.
        if error.needs_sign_in and account_id is not None:
            report.sign_in_problems[account_id] = str(error)
        _retry(engine, message_id, str(error), report)
        return
    except Invalid as error:  # the message itself is wrong: sending it again cannot help
        _fail(engine, message_id, str(error), report)
        return
    except PermanentFailure as error:
        if error.needs_sign_in and account_id is not None:
            # A refused token is the sign-in's fault, not the message's: it waits.
            report.sign_in_problems[account_id] = str(error)
            _retry(engine, message_id, str(error), report)
            return
        _fail(engine, message_id, str(error), report)
        return
    except SmtpError as error:  # temporary
        _retry(engine, message_id, str(error), report)
        return
    except Exception as error:
        log.exception("outbox %s", message_id)
        _retry(engine, message_id, f"{type(error).__name__}: {error}", report)
        return
    _sent(
        engine,
        message_id,
        raw,
        result.refused,
        result.deferred,
        report,
        composed=composed is not None,
    )
    if oauth2 and account_id is not None:
        report.signed_in.add(account_id)
    if sent_folder:
        _copy_to_sent(engine, account_id, sent_folder, raw, cafile=cafile)


def _sent(
    engine: Engine,
    message_id: int,
    raw: bytes,
    refused: dict[str, str],
    deferred: dict[str, str],
    report: DeliveryReport,
    *,
    composed: bool = False,
) -> None:
    from tix.core.mail.ingest import store_raw

    with session_scope(engine, write=True) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        message.status = OutboxStatus.SENT
        message.sent_at = clock.now()
        message.claimed_until = None
        _release(session, message_id)
        message.attempts += 1
        message.sha256 = store_raw(session, raw)
        if refused:
            text = "; ".join(f"{address}: {reason}" for address, reason in refused.items())
            message.last_error = text[:2000]
            _tell_ticket(
                session,
                message,
                _("Not delivered to some recipients: {reasons}").format(reasons=text),
            )
        if deferred:
            # The same message again, later, to just these recipients.
            again = outbox.queue_again(
                session,
                message,
                envelope_to=list(deferred),
                next_attempt_at=clock.now() + RETRY_DELAYS[0],
                error="; ".join(f"{a}: {r}" for a, r in deferred.items()),
            )
            if composed:  # a report: its bytes are the only copy of its attachment
                again.sha256 = message.sha256
    report.sent += 1


def _retry(engine: Engine, message_id: int, reason: str, report: DeliveryReport) -> None:
    now = clock.now()
    with session_scope(engine, write=True) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        message.attempts += 1
        message.last_error = reason[:2000]
        message.claimed_until = None
        _release(session, message_id)
        if now - message.created_at > GIVE_UP_AFTER:
            message.status = OutboxStatus.FAILED
            _tell_ticket(
                session,
                message,
                _("Gave up sending after {attempts} attempts: {reason}").format(
                    attempts=message.attempts, reason=reason
                ),
            )
            report.failed += 1
        else:
            delay = RETRY_DELAYS[min(message.attempts - 1, len(RETRY_DELAYS) - 1)]
            message.status = OutboxStatus.PENDING
            message.next_attempt_at = now + delay
            report.retrying += 1
    log.warning("outbox %s: will retry: %s", message_id, reason)
    report.errors.append(reason)


def _fail(engine: Engine, message_id: int, reason: str, report: DeliveryReport) -> None:
    with session_scope(engine, write=True) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        message.attempts += 1
        message.status = OutboxStatus.FAILED
        message.last_error = reason[:2000]
        message.claimed_until = None
        _release(session, message_id)
        _tell_ticket(session, message, _("Could not be delivered: {reason}").format(reason=reason))
    log.error("outbox %s: failed: %s", message_id, reason)
    report.failed += 1
    report.errors.append(reason)


def _tell_ticket(session: Any, message: OutboxMessage, text: str) -> None:
    """A delivery activity on the message's ticket (which notifies its watchers)."""
    from tix.core.services.activities import append_activity

    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None or message.purpose == OutboxPurpose.NOTIFICATION:
        return
    append_activity(
        session,
        ticket,
        kind=ActivityKind.DELIVERY,
        author=None,
        body=text,
        details={"outbox": message.id, "to": list(message.mail_to), "subject": message.subject},
    )


def _copy_to_sent(
    engine: Engine, account_id: int | None, folder: str, raw: bytes, *, cafile: str | None
) -> None:
    """Best effort: a failed copy is logged, the mail is sent all the same."""
    from tix.core.mail.imap import Mailbox
    from tix.core.mail.sync import imap_settings

    try:
        with session_scope(engine) as session:
            account = session.get(MailAccount, account_id)
            assert account is not None
            settings = imap_settings(account, cafile=cafile)
        with Mailbox(settings) as box:
            box.append(folder, raw, seen=True)
    except Exception as error:
        log.warning("copy to %s failed: %s", folder, error)
