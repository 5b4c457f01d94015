"""``tix mail import``: .eml files and mbox archives through the same pipeline as IMAP,
and the log of everything the mail import has seen."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.errors import Invalid, NotFound
from tix.core.i18n import _
from tix.core.mail.ingest import already_imported, ingest
from tix.core.mail.sync import SyncReport, own_addresses
from tix.core.models import Blob, Channel, ImportStatus, MailAccount, MailImport, Ticket, User
from tix.core.permissions import require_admin
from tix.core.services import accounts, channels
from tix.core.timeutil import iso


class ImportReport(SyncReport):
    """What a file import did (the counts of a sync, without the IMAP parts)."""

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        data.pop("account")
        data.pop("locked")
        data.pop("fetched")
        data["messages"] = self.fetched
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


def import_files(
    engine: Engine,
    paths: Sequence[Path],
    *,
    account: str | None,
    channel: str | None,
    settings: Settings,
) -> ImportReport:
    """Import every message of ``paths``; each in its own transaction."""
    with session_scope(engine) as session:
        found_account, target = _target(session, account, channel)
        account_id = found_account.id if found_account else None
        channel_id = target.id
    for path in paths:  # check every file before importing any
        if not path.is_file():
            raise Invalid(_("no file {path}: check the path").format(path=path))
    report = ImportReport(account=found_account.name if found_account else "")
    addresses = own_addresses(engine)
    for path in paths:
        folder = f"file:{path.resolve()}"
        for number, raw in messages_in(path):
            report.fetched += 1
            with session_scope(engine, write=True) as session:
                if already_imported(
                    session, account_id=account_id, folder=folder, uidvalidity=None, uid=number
                ):
                    report.count(ImportStatus.DUPLICATE, False)
                    continue
                chosen = session.get(Channel, channel_id)
                assert chosen is not None
                _record, result = ingest(
                    session,
                    raw,
                    channel=chosen,
                    account=session.get(MailAccount, account_id) if account_id else None,
                    folder=folder,
                    uid=number,
                    source=f"{path.name}#{number}",
                    max_size=settings.max_mail_size,
                    max_file_size=settings.max_file_size,
                    own_addresses=addresses,
                )
                report.count(result.status, result.new_ticket)
    return report


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
            raise Invalid(
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
