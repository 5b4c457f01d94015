"""``tix mail import``: .eml files and mbox archives through the same pipeline as IMAP,
and the log of everything the mail import has seen."""

from __future__ import annotations

import mailbox
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.config import Settings
from tix.core.db import BUSY_TIMEOUT_MS, is_sqlite, session_scope
from tix.core.errors import Invalid, Malformed, NotFound, Unavailable
from tix.core.i18n import _
from tix.core.mail.ingest import already_imported, ingest
from tix.core.mail.sync import SyncReport, own_addresses
from tix.core.models import Blob, Channel, ImportStatus, MailAccount, MailImport, Ticket, User
from tix.core.permissions import require_admin
from tix.core.services import accounts, channels
from tix.core.timeutil import iso

LOCK_PROBE_MS = 200
"""How long an import waits for the database quietly before it says it is waiting."""


@dataclass
class ImportReport(SyncReport):
    """What a file import did (the counts of a sync, without the IMAP parts).

    ``fetched`` (``messages``) is every message read; it is always the sum of the
    imported, duplicate, ignored and unprocessable ones.
    """

    kept_nothing: list[dict[str, str]] = field(default_factory=list)
    """For each message that made no ticket change: its source, status and why."""

    def note(self, source: str, status: ImportStatus, reason: str) -> None:
        if status != ImportStatus.IMPORTED:
            self.kept_nothing.append({"source": source, "status": str(status), "reason": reason})

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data.pop("account")
        data.pop("locked")
        data.pop("fetched")
        data["messages"] = self.fetched
        data["kept_nothing"] = self.kept_nothing
        return data


def _target(
    session: Session, account: str | None, channel: str | None
) -> tuple[MailAccount | None, Channel]:
    if account and channel:
        raise Invalid(_("give --account or --channel, not both"))
    if account:
        found = accounts.get_account(session, account)
        target = session.get(Channel, found.channel_id) if found.channel_id else None
        if target is None:
            raise Invalid(
                _(
                    "mail account {name} has no channel for new tickets: set one with "
                    "`tix account set {name} --channel CHANNEL`"
                ).format(name=found.name)
            )
        return found, target
    if channel:
        return None, channels.get_channel(session, channel)
    every_account = [a for a in accounts.list_accounts(session) if a.channel_id]
    if len(every_account) == 1:
        only = every_account[0]
        target = session.get(Channel, only.channel_id)
        assert target is not None
        return only, target
    every_channel = [info.channel for info in channels.list_channels(session)]
    if len(every_channel) == 1:
        return None, every_channel[0]
    raise Invalid(
        _(
            "there are several accounts and channels: say where the mail goes with "
            "--account ACCOUNT or --channel CHANNEL"
        )
    )


def messages_in(path: Path) -> Iterator[tuple[int, bytes]]:
    """The messages of an .eml file (one) or an mbox archive (each), numbered from 1."""
    try:
        with path.open("rb") as handle:
            head = handle.read(5)
    except FileNotFoundError:
        raise Invalid(_("no file {path}: check the path").format(path=path)) from None
    except OSError as error:
        raise Invalid(
            _("cannot read {path}: {reason}").format(path=path, reason=error.strerror)
        ) from None
    if head != b"From ":
        yield 1, path.read_bytes()
        return
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.keys(), start=1):
            yield number, box.get_bytes(key)
    finally:
        box.close()


def count_messages(path: Path) -> int:
    """How many messages ``path`` holds (an .eml file one, an mbox archive each)."""
    with path.open("rb") as handle:
        if handle.read(5) != b"From ":
            return 1
    box = mailbox.mbox(path, create=False)
    try:
        return len(box.keys())
    finally:
        box.close()


def wait_for_writers(engine: Engine, waiting: Callable[[], None] | None) -> None:
    """Return once no other process is writing to a SQLite database; call ``waiting``
    first if that takes a moment. Gives up, like any writer, after the busy timeout.

    Another process's write transaction (a long ``tix demo``, another import) keeps
    ours waiting without a sign; this makes the wait visible. PostgreSQL writers wait
    on rows, not on the database, so there is nothing to do there.
    """
    if waiting is None or not is_sqlite(engine):
        return
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={LOCK_PROBE_MS}")
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except Exception as error:  # sqlite3.OperationalError: database is locked
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                waiting()
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("ROLLBACK")
        finally:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()
    finally:
        connection.close()


def import_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    account: str | None,
    channel: str | None,
    settings: Settings,
    progress: Callable[[int, int], None] | None = None,
    waiting: Callable[[], None] | None = None,
) -> ImportReport:
    """Import every message of ``paths``; each in its own transaction.

    ``progress`` is told the messages read so far and how many there are;
    ``waiting`` is called when another process holds the database, before the
    import waits for it.
    """
    with session_scope(engine) as session:
        found_account, target = _target(session, account, channel)
        account_id = found_account.id if found_account else None
        channel_id = target.id
    for path in paths:  # check every file before importing any
        if not path.is_file():
            raise Invalid(_("no file {path}: check the path").format(path=path))
    report = ImportReport(account=found_account.name if found_account else "")
    addresses = own_addresses(engine)
    total = sum(count_messages(path) for path in paths)
    told: list[bool] = []

    def waiting_once() -> None:
        """Say it once per import, not for every message that waits."""
        if waiting is not None and not told:
            told.append(True)
            waiting()

    for path in paths:
        folder = f"file:{path.resolve()}"
        for number, raw in messages_in(path):
            source = f"{path.name}#{number}"
            try:
                wait_for_writers(engine, waiting_once if waiting is not None else None)
                status, new_ticket, reason = _import_one(
                    engine,
                    raw,
                    account_id=account_id,
                    channel_id=channel_id,
                    folder=folder,
                    number=number,
                    source=source,
                    settings=settings,
                    addresses=addresses,
                )
            except (OperationalError, sqlite3.OperationalError, Unavailable) as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                raise Unavailable(
                    _(
                        "another tix process kept the database locked, so {source} and the "
                        "messages after it were not imported ({done} of {total} done): run the "
                        "same import again when it has finished, done messages are skipped"
                    ).format(
                        source=source,
                        done=report.fetched,
                        total=total,
                    )
                ) from None
            report.fetched += 1
            report.count(status, new_ticket)
            report.note(source, status, reason)
            if progress is not None:
                progress(report.fetched, total)
    return report


def _import_one(
    engine: Engine,
    raw: bytes,
    *,
    account_id: int | None,
    channel_id: int | None,
    folder: str,
    number: int,
    source: str,
    settings: Settings,
    addresses: frozenset[str],
) -> tuple[ImportStatus, bool, str]:
    """Import one message in its own transaction: its status, whether it opened a
    ticket, and why it was not imported (empty when it was)."""
    with session_scope(engine, write=True) as session:
        earlier = already_imported(
            session, account_id=account_id, folder=folder, uidvalidity=None, uid=number
        )
        if earlier is not None:
            return (
                ImportStatus.DUPLICATE,
                False,
                _("imported before from the same file (mail log {id})").format(id=earlier.id),
            )
        chosen = session.get(Channel, channel_id)
        assert chosen is not None
        record, result = ingest(
            session,
            raw,
            channel=chosen,
            account=session.get(MailAccount, account_id) if account_id else None,
            folder=folder,
            uid=number,
            source=source,
            max_size=settings.max_mail_size,
            max_file_size=settings.max_file_size,
            own_addresses=addresses,
        )
        return result.status, result.new_ticket, record.reason or ""


def import_log(
    session: Session, actor: User, *, status: str | None, limit: int, zone: tzinfo
) -> list[dict[str, Any]]:
    require_admin(actor, _("read the mail log"))
    query = select(MailImport, col(Ticket.number)).outerjoin(
        Ticket, col(Ticket.id) == MailImport.ticket_id
    )
    if status:
        try:
            query = query.where(col(MailImport.status) == ImportStatus(status.strip().lower()))
        except ValueError:
            raise Malformed(
                _(
                    "unknown status {status!r}: use imported, duplicate, ignored or unprocessable"
                ).format(status=status)
            ) from None
    rows = session.execute(query.order_by(col(MailImport.id).desc()).limit(limit)).all()
    return [
        {
            "id": record.id,
            "status": record.status,
            "ticket": number,
            "source": record.source,
            "uid": record.uid or None,
            "message_id": record.message_id,
            "size": record.size,
            "reason": record.reason,
            "created_at": iso(record.created_at, zone),
        }
        for record, number in rows
    ]


def raw_message(session: Session, actor: User, import_id: int) -> bytes:
    require_admin(actor, _("read raw mail"))
    record = session.get(MailImport, import_id)
    if record is None or record.sha256 is None:
        raise NotFound(_("no imported mail {id}: see `tix mail log`").format(id=import_id))
    blob = session.get(Blob, record.sha256)
    assert blob is not None
    return blob.data
