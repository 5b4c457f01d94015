"""Reading an account's IMAP folder into tickets: no mail lost, none imported twice.

For each batch of new UIDs: fetch, then in ONE database transaction record every
message (``mail_imports``, raw bytes kept) and advance the account's last UID;
only after that commit are the messages flagged ``\\Seen`` + ``$TixImported`` (or
moved) on the server. A crash anywhere loses nothing: before the commit the batch
is read again; after it, the next run flags what was imported but not yet flagged.
A message seen twice is skipped by account + UIDVALIDITY + UID, and by Message-ID.

On PostgreSQL an account is synced by one worker at a time (an advisory lock; a
worker that finds it taken goes on to the next account), and a mail that reached
several accounts is taken in by one batch at a time (a lock per Message-ID); on
SQLite the unique import record keeps a second process from importing twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select, text
from sqlmodel import col

from tix.core import clock
from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.errors import Invalid, NotFound
from tix.core.i18n import _
from tix.core.mail.imap import ImapError, ImapSettings, Mailbox
from tix.core.mail.ingest import Incoming, imported_uids, ingest_many
from tix.core.mail.oauth2 import token_source
from tix.core.models import (
    Channel,
    ImportStatus,
    MailAccount,
    MailImport,
    SyncState,
)
from tix.core.services.accounts import account_password

log = logging.getLogger("tix.mail")

FETCH_LIMIT = 512 * 1024 * 1024
"""Messages are fetched up to this size; the import limit (``max_mail_size``) decides
what is processed, bigger ones are kept raw as unprocessable."""
LOCK_NAMESPACE = 0x7158  # "tX": advisory locks of tix's mail sync


@dataclass
class SyncReport:
    account: str
    fetched: int = 0
    imported: int = 0
    new_tickets: int = 0
    duplicates: int = 0
    ignored: int = 0
    unprocessable: int = 0
    locked: bool = False
    """Another worker was syncing the account; nothing was done."""
    uids: list[int] = field(default_factory=list)

    def count(self, status: ImportStatus, new_ticket: bool) -> None:
        if status == ImportStatus.IMPORTED:
            self.imported += 1
            self.new_tickets += int(new_ticket)
        elif status == ImportStatus.DUPLICATE:
            self.duplicates += 1
        elif status == ImportStatus.IGNORED:
            self.ignored += 1
        else:
            self.unprocessable += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "fetched": self.fetched,
            "imported": self.imported,
            "new_tickets": self.new_tickets,
            "duplicates": self.duplicates,
            "ignored": self.ignored,
            "unprocessable": self.unprocessable,
            "locked": self.locked,
        }


def imap_settings(account: MailAccount, *, cafile: str | None = None) -> ImapSettings:
    if not account.imap_host:
        raise Invalid(
            _(
                "mail account {name} has no IMAP server: set one with `tix account set {name} "
                "--imap-host HOST`"
            ).format(name=account.name)
        )
    oauth2 = token_source(account)
    return ImapSettings(
        host=account.imap_host,
        port=account.imap_port or 993,
        tls=account.tls,
        user=account.imap_user or account.address,
        password=account_password(account) if oauth2 is None else None,
        folder=account.imap_folder or "INBOX",
        name=account.name,
        cafile=cafile,
        oauth2=oauth2,
    )


def own_addresses(engine: Engine) -> frozenset[str]:
    with session_scope(engine) as session:
        return frozenset(
            address.lower()
            for address in session.execute(select(col(MailAccount.address))).scalars()
        )


@contextmanager
def account_lock(engine: Engine, account_id: int) -> Iterator[bool]:
    """Hold the account's sync lock while the block runs; yields whether it was free."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        got = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:namespace, :account)"),
                {"namespace": LOCK_NAMESPACE, "account": account_id},
            ).scalar()
        )
        connection.commit()
        try:
            yield got
        finally:
            if got:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:namespace, :account)"),
                    {"namespace": LOCK_NAMESPACE, "account": account_id},
                )
                connection.commit()


def _account(engine: Engine, account_id: int) -> tuple[MailAccount, Channel]:
    with session_scope(engine) as session:
        account = session.get(MailAccount, account_id)
        if account is None:
            raise NotFound(_("no mail account {id}").format(id=account_id))
        channel = session.get(Channel, account.channel_id) if account.channel_id else None
        if channel is None:
            raise Invalid(
                _(
                    "mail account {name} has no channel for new tickets: set one with "
                    "`tix account set {name} --channel CHANNEL`"
                ).format(name=account.name)
            )
        return account, channel


def sync_account(
    engine: Engine,
    account_id: int,
    *,
    settings: Settings,
    since: date | None = None,
    batch: int = 100,
    progress: Callable[[int, int], None] | None = None,
    cafile: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> SyncReport:
    """Import the account's new mail. ``since`` limits the very first sync to mail
    received from that day on."""
    account, _channel = _account(engine, account_id)
    report = SyncReport(account=account.name)
    with account_lock(engine, account_id) as free:
        if not free:
            report.locked = True
            log.info("%s: another worker is syncing it", account.name)
            return report
        with Mailbox(imap_settings(account, cafile=cafile)) as box:
            folder = account.imap_folder or "INBOX"
            last_uid = _prepare_state(engine, account_id, folder, box.uidvalidity)
            _finish_earlier_runs(engine, box, account, folder, last_uid)
            uids = box.uids_after(last_uid, since=since if last_uid == 0 else None)
            report.uids = uids
            done = 0
            uidvalidity = box.uidvalidity
            reconnects = 0
            for start in range(0, len(uids), batch):
                if stop is not None and stop():
                    break
                chunk = uids[start : start + batch]
                while True:
                    try:
                        _import_batch(engine, box, account_id, folder, chunk, settings, report)
                        _mark(box, account, chunk)
                        break
                    except ImapError as error:
                        # Microsoft 365 ends an OAuth2 session when its access token
                        # expires (within a long first sync): sign in again, with a fresh
                        # token, and go on where it stopped. What was committed is skipped.
                        if not (error.temporary and box.settings.oauth2) or reconnects >= 3:
                            raise
                        reconnects += 1
                        log.info("%s: %s; signing in again", account.name, error)
                        box.open()
                        if box.uidvalidity != uidvalidity:
                            raise
                done += len(chunk)
                if progress is not None:
                    progress(done, len(uids))
    log.info("%s: %s", account.name, report.to_json())
    return report


def _prepare_state(engine: Engine, account_id: int, folder: str, uidvalidity: int) -> int:
    """The last UID read before; a changed UIDVALIDITY starts the folder over (the
    Message-IDs keep what was imported from coming in again)."""
    with session_scope(engine, write=True) as session:
        state = session.get(SyncState, (account_id, folder))
        if state is None:
            state = SyncState(
                account_id=account_id, folder=folder, uidvalidity=uidvalidity, last_uid=0
            )
            session.add(state)
        elif state.uidvalidity != uidvalidity:
            log.warning(
                "account %s folder %s: UIDVALIDITY changed from %s to %s; reading it again",
                account_id,
                folder,
                state.uidvalidity,
                uidvalidity,
            )
            state.uidvalidity = uidvalidity
            state.last_uid = 0
        return int(state.last_uid)


def _finish_earlier_runs(
    engine: Engine, box: Mailbox, account: MailAccount, folder: str, last_uid: int
) -> None:
    """Flag (or move) what an interrupted run imported but could not flag any more."""
    pending = box.unflagged_uids(last_uid) if last_uid else []
    if not pending:
        return
    with session_scope(engine) as session:
        recorded = set(
            session.execute(
                select(col(MailImport.uid)).where(
                    col(MailImport.account_id) == account.id,
                    col(MailImport.folder) == folder,
                    col(MailImport.uidvalidity) == box.uidvalidity,
                    col(MailImport.uid).in_(pending),
                )
            ).scalars()
        )
    finished = [uid for uid in pending if uid in recorded]
    if finished:
        log.info("%s: flagging %s messages an earlier run imported", account.name, len(finished))
        _mark(box, account, finished)


def _import_batch(
    engine: Engine,
    box: Mailbox,
    account_id: int,
    folder: str,
    uids: list[int],
    settings: Settings,
    report: SyncReport,
) -> None:
    fetched = list(box.fetch(uids, max_size=FETCH_LIMIT))
    report.fetched += len(fetched)
    addresses = own_addresses(engine)
    with session_scope(engine, write=True) as session:
        _hold_messages(session, [m.raw for m in fetched if m.raw is not None])
        account = session.get(MailAccount, account_id)
        assert account is not None and account.channel_id is not None
        channel = session.get(Channel, account.channel_id)
        assert channel is not None
        done = imported_uids(
            session,
            account_id=account_id,
            folder=folder,
            uidvalidity=box.uidvalidity,
            uids=[message.uid for message in fetched],
        )
        incoming = []
        for message in fetched:
            if message.uid in done:
                # Another process imported it meanwhile: counted, so that the counts
                # still add up to the messages fetched.
                report.count(ImportStatus.DUPLICATE, False)
                continue
            raw = message.raw if message.raw is not None else b""
            incoming.append(Incoming(raw, uid=message.uid, source="imap"))
        for _record, result in ingest_many(
            session,
            incoming,
            channel=channel,
            account=account,
            folder=folder,
            uidvalidity=box.uidvalidity,
            max_size=settings.max_mail_size,
            max_file_size=settings.max_file_size,
            own_addresses=addresses,
        ):
            report.count(result.status, result.new_ticket)
        state = session.get(SyncState, (account_id, folder))
        assert state is not None
        state.last_uid = max(int(state.last_uid), *uids)
        state.synced_at = clock.now()


MESSAGE_LOCK_NAMESPACE = 0x7159
"""Advisory locks on the messages a batch imports (PostgreSQL)."""


def _hold_messages(session: Any, raws: list[bytes]) -> None:
    """On PostgreSQL, lock each message (by Message-ID; by its bytes when it has none)
    until the batch commits, every worker in the same order: a mail that reached two
    accounts (To and CC) is imported by one worker and found imported by the other,
    never imported by both at once. Only workers holding the same mail wait."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted({_message_key(raw) for raw in raws}):
        session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": MESSAGE_LOCK_NAMESPACE, "key": key},
        )


def _message_key(raw: bytes) -> int:
    found = re.search(rb"^message-id:[ \t]*<?([^>\r\n]+)>?", raw[:65536], re.IGNORECASE | re.M)
    identity = found.group(1).strip() if found else raw
    return int.from_bytes(hashlib.sha256(identity).digest()[:4], "big", signed=True)


def _mark(box: Mailbox, account: MailAccount, uids: list[int]) -> None:
    if account.move_to:
        box.mark_imported(uids)
        box.move(uids, account.move_to)
    else:
        box.mark_imported(uids)
