"""A received mail into tix: a new ticket, a follow-up, or a recorded non-event.

The same pipeline serves the IMAP sync and ``tix mail import``. Every message is
recorded in ``mail_imports`` with its raw bytes, whatever happens to it, so that
nothing is ever lost and nothing is imported twice. The caller owns the transaction.

A duplicate is dropped (recorded as such): the same account, folder, UIDVALIDITY and
UID (the callers skip those); the same bytes as a mail imported before; the same
message delivered again by another route (same Message-ID, sender, date, subject,
text and attachments: only the transport headers differ); or a copy of a mail tix
sent. A *different* message that reuses a Message-ID imported before (mailers that
number their mails badly do this) is imported and marked ``reused_message_id``; an
answer to that Message-ID threads to the first ticket that had it.

A follow-up from a stranger (someone who is neither the ticket's customer, nor of the
customer's organisation, nor in the ticket's mail history) is attached as a third
party's message that changes no status, or opens a new ticket: the channel's
``stranger_follow_ups`` decides.

A batch of mail (:func:`ingest_many`, the IMAP sync) goes through the same rules; what
they look up (imports of the same bytes, Message-IDs, threads, senders) is read for the
whole batch at once and kept up to date with what the batch writes itself, its raw
bytes are stored in one statement and its search-index writes made in one go. A mail
that fails is recorded as unprocessable and the rest of the batch lands.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import getaddresses
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import clock, search, validation
from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.mail.loops import delivery_failures
from tix.core.mail.parse import Address, ParsedMail, UnparseableMail, parse_mail
from tix.core.mail.threading import Threads, clean_subject, find_ticket
from tix.core.models import (
    Activity,
    ActivityKind,
    Blob,
    Channel,
    Contact,
    ContactAddress,
    Direction,
    ImportStatus,
    MailAccount,
    MailImport,
    OutboxMessage,
    OutboxStatus,
    Ticket,
    TicketOrigin,
    TicketStatus,
    User,
)
from tix.core.services import activities, contacts, intake, messages
from tix.core.services.storage import DEFAULT_MAX_SIZE, NewFile

log = logging.getLogger("tix.mail")

UNKNOWN_SENDER = "unknown-sender@tix.invalid"
"""The contact of mail whose sender cannot be made out (no or a broken From)."""
_NO_REPLY = re.compile(
    r"^(no-?reply|do-?not-?reply|noreply|mailer-daemon|postmaster|bounce[s]?)([+._-].*)?@",
    re.IGNORECASE,
)


@dataclass
class Ingested:
    status: ImportStatus
    ticket: Ticket | None = None
    activity: Activity | None = None
    reason: str | None = None
    new_ticket: bool = False
    notes: list[str] = field(default_factory=list)


def store_raw(session: Session, raw: bytes) -> str:
    return store_many(session, [raw])[0]


def store_many(session: Session, raws: Sequence[bytes]) -> list[str]:
    """Keep raw messages, each once per content; their sha256 digests, in order."""
    digests = [hashlib.sha256(raw).hexdigest() for raw in raws]
    rows = {
        digest: {"sha256": digest, "size": len(raw), "data": raw, "created_at": clock.now()}
        for digest, raw in zip(digests, raws, strict=True)
    }
    if rows:
        # One statement, written at once (rows that refer to them follow in later flushes).
        dialect = session.get_bind().dialect.name
        upsert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        session.execute(
            upsert(Blob).on_conflict_do_nothing(index_elements=["sha256"]), list(rows.values())
        )
    return digests


def already_imported(
    session: Session, *, account_id: int | None, folder: str, uidvalidity: int | None, uid: int
) -> MailImport | None:
    return session.execute(
        select(MailImport).where(
            col(MailImport.account_id) == account_id,
            col(MailImport.folder) == folder,
            col(MailImport.uidvalidity) == uidvalidity,
            col(MailImport.uid) == uid,
        )
    ).scalar_one_or_none()


def imported_uids(
    session: Session, *, account_id: int | None, folder: str, uidvalidity: int | None,
    uids: Sequence[int],
) -> set[int]:  # fmt: skip
    """Which of ``uids`` have an import record already (:func:`already_imported` for a
    batch)."""
    found: set[int] = set()
    wanted = sorted(set(uids))
    for start in range(0, len(wanted), 500):
        found.update(
            uid
            for uid in session.execute(
                select(col(MailImport.uid)).where(
                    col(MailImport.account_id) == account_id,
                    col(MailImport.folder) == folder,
                    col(MailImport.uidvalidity) == uidvalidity,
                    col(MailImport.uid).in_(wanted[start : start + 500]),
                )
            ).scalars()
            if uid is not None
        )
    return found


@dataclass(frozen=True)
class Incoming:
    """A received mail, one of a batch."""

    raw: bytes
    uid: int | None = None
    """Its IMAP UID (or its number in an imported file)."""
    source: str = ""


def ingest(
    session: Session,
    raw: bytes,
    *,
    channel: Channel,
    account: MailAccount | None = None,
    folder: str = "",
    uidvalidity: int | None = None,
    uid: int | None = None,
    source: str = "",
    max_size: int = 50 * 1024 * 1024,
    max_file_size: int = DEFAULT_MAX_SIZE,
    own_addresses: frozenset[str] = frozenset(),
) -> tuple[MailImport, Ingested]:
    """Take one received mail in; returns its import record and what was done.

    Never raises for a bad mail: what cannot be read is recorded as unprocessable
    with its bytes. ``own_addresses`` are tix's account addresses (mail from them is
    tix's own and ignored).
    """
    return _ingest_all(
        session,
        [Incoming(raw, uid, source)],
        channel=channel,
        account=account,
        folder=folder,
        uidvalidity=uidvalidity,
        max_size=max_size,
        max_file_size=max_file_size,
        own_addresses=own_addresses,
    )[0]


def ingest_many(
    session: Session,
    incoming: Sequence[Incoming],
    *,
    channel: Channel,
    account: MailAccount | None = None,
    folder: str = "",
    uidvalidity: int | None = None,
    max_size: int = 50 * 1024 * 1024,
    max_file_size: int = DEFAULT_MAX_SIZE,
    own_addresses: frozenset[str] = frozenset(),
) -> list[tuple[MailImport, Ingested]]:
    """Take a batch of received mail in, as :func:`ingest` takes each (in order, a later
    mail seeing what an earlier one did); returns each one's record and result.

    A mail that fails (an error of tix's, not a bad mail: that is recorded as
    unprocessable anyway) is recorded as unprocessable with its bytes and the reason,
    and the others land: the batch is written in one savepoint, and when that fails it
    is written again one savepoint per mail (the session then forgets the rows it had
    loaded, but ``channel`` and ``account``). The import records of a batch written at
    once are written in one statement, their ids not read back (``None``)."""
    if not incoming:
        return []
    options: dict[str, Any] = {
        "channel": channel,
        "account": account,
        "folder": folder,
        "uidvalidity": uidvalidity,
        "max_size": max_size,
        "max_file_size": max_file_size,
        "own_addresses": own_addresses,
    }
    try:
        with session.begin_nested(), search.deferred(session):
            return _ingest_all(session, incoming, read_ids=False, **options)
    except Exception:
        log.warning("a batch of %s mails failed; importing them one by one", len(incoming))
        _forget_rolled_back(session, channel, account)
    results: list[tuple[MailImport, Ingested]] = []
    for item in incoming:
        try:
            with session.begin_nested():
                results.extend(_ingest_all(session, [item], **options))
        except Exception as error:
            log.exception("%s UID %s: import failed", item.source or "mail", item.uid)
            _forget_rolled_back(session, channel, account)
            results.append(
                record_unprocessable(
                    session,
                    item,
                    account_id=account.id if account else None,
                    folder=folder,
                    uidvalidity=uidvalidity,
                    reason=f"{type(error).__name__}: {error}",
                )
            )
    return results


def _forget_rolled_back(session: Session, *keep: object) -> None:
    """After a savepoint rolled back: the session forgets every row it had loaded but
    ``keep``. A row the savepoint wrote may have been loaded again (the session holds
    rows only while someone refers to them), and SQLite gives its id to the next row
    written; the session would take one for the other. Tickets are locked again."""
    session.expunge_all()
    for kept in keep:
        if kept is not None:
            session.add(kept)
    session.info.pop("tix_locked_tickets", None)


def record_unprocessable(
    session: Session,
    item: Incoming,
    *,
    account_id: int | None,
    folder: str,
    uidvalidity: int | None,
    reason: str,
) -> tuple[MailImport, Ingested]:
    """Keep a mail whose import failed, with its bytes and why."""
    record = MailImport(
        account_id=account_id,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=item.uid,
        source=item.source,
        sha256=store_raw(session, item.raw),
        size=len(item.raw),
        status=ImportStatus.UNPROCESSABLE,
        reason=reason[:1000],
    )
    session.add(record)
    session.flush()
    return record, Ingested(ImportStatus.UNPROCESSABLE, reason=reason)


@contextmanager
def _holding(session: Session) -> Iterator[None]:
    """Hold every row the block loads or writes until it ends: the session keeps rows
    only while someone refers to them, and a later mail of the batch would read them
    again."""
    held: list[object] = []

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    for name in ("pending_to_persistent", "loaded_as_persistent"):
        event.listen(session, name, hold)
    try:
        yield
    finally:
        for name in ("pending_to_persistent", "loaded_as_persistent"):
            event.remove(session, name, hold)


def _ingest_all(
    session: Session,
    incoming: Sequence[Incoming],
    *,
    channel: Channel,
    account: MailAccount | None,
    folder: str,
    uidvalidity: int | None,
    max_size: int,
    max_file_size: int,
    own_addresses: frozenset[str],
    read_ids: bool = True,
) -> list[tuple[MailImport, Ingested]]:
    """``read_ids``: the import records are added to the session, with their ids read
    back; else written in one statement at the end, their ids not read."""
    with _holding(session):
        digests = store_many(session, [item.raw for item in incoming])
        known = _Known(
            session,
            incoming,
            digests,
            channel=channel,
            max_size=max_size,
            own_addresses=own_addresses,
        )
        results = []
        for item, digest, parsed in zip(incoming, digests, known.parsed, strict=True):
            result = _decide(
                session,
                item.raw,
                digest=digest,
                parsed=parsed,
                known=known,
                channel=channel,
                account=account,
                max_size=max_size,
                max_file_size=max_file_size,
                own_addresses=own_addresses,
            )
            record = MailImport(
                account_id=account.id if account else None,
                folder=folder,
                uidvalidity=uidvalidity,
                uid=item.uid,
                source=item.source,
                sha256=digest,
                size=len(item.raw),
                status=result.status,
                message_id=result.activity.message_id if result.activity else _message_id(item.raw),
                ticket_id=result.ticket.id if result.ticket else None,
                activity_id=result.activity.id if result.activity else None,
                reason=(result.reason or None) and result.reason[:1000],
            )
            if read_ids:
                session.add(record)
            else:
                known.unwritten.append(record)
            known.learn(digest, record, result)
            results.append((record, result))
        session.flush()
        known.write_records(session)
        for record, result in results:
            if result.status == ImportStatus.UNPROCESSABLE:
                log.warning(
                    "%s UID %s: kept as unprocessable: %s", record.source or "mail", record.uid,
                    result.reason,
                )  # fmt: skip
        return results


class _Known:
    """What deciding a batch of mail looks up, read for the whole batch at once and
    kept up to date with what the batch writes itself, so that every mail is decided
    as it would be alone, after the ones before it."""

    def __init__(
        self,
        session: Session,
        incoming: Sequence[Incoming],
        digests: Sequence[str],
        *,
        channel: Channel,
        max_size: int,
        own_addresses: frozenset[str],
    ) -> None:
        self.same_bytes: dict[str, int] = {}
        """Digest -> the first import of those bytes that was not unprocessable."""
        for start in range(0, len(digests), 500):
            for digest, first in session.execute(
                select(col(MailImport.sha256), func.min(col(MailImport.id)))
                .where(
                    col(MailImport.sha256).in_(sorted(set(digests[start : start + 500]))),
                    col(MailImport.status) != ImportStatus.UNPROCESSABLE,
                )
                .group_by(col(MailImport.sha256))
            ).all():
                if digest is not None and first is not None:
                    self.same_bytes[digest] = first
        self.batch_digests: set[str] = set()
        """Digests the batch recorded (not as unprocessable): read back from the database."""
        self.parsed: list[ParsedMail | Exception | None] = [
            None if digest in self.same_bytes or len(item.raw) > max_size else _parse(item.raw)
            for item, digest in zip(incoming, digests, strict=True)
        ]
        mails = [mail for mail in self.parsed if isinstance(mail, ParsedMail)]
        message_ids = sorted({mail.message_id for mail in mails if mail.message_id})
        self.directions: dict[str, set[str]] = {}
        """Message-ID -> the directions of the activities that hold it."""
        for start in range(0, len(message_ids), 500):
            for message_id, direction in session.execute(
                select(col(Activity.message_id), col(Activity.direction))
                .where(col(Activity.message_id).in_(message_ids[start : start + 500]))
                .distinct()
            ).all():
                if message_id is not None and direction is not None:
                    self.directions.setdefault(message_id, set()).add(direction)
        self.threads = Threads(session, mails)
        addresses = sorted(
            {
                address.address.lower()
                for mail in mails
                for address in ([mail.sender] if mail.sender else []) + list(mail.reply_to)
            }
        )
        self.users: dict[str, User] = {}
        for start in range(0, len(addresses), 500):
            for user in session.execute(
                select(User)
                .where(func.lower(User.email).in_(addresses[start : start + 500]), col(User.active))
                .order_by(col(User.id))
            ).scalars():
                self.users.setdefault(user.email.lower(), user)
        self.contacts = contacts.find_contacts(session, addresses)
        # The senders new to tix, made at once: of each mail that will be filed (neither
        # tix's own, nor a copy of a mail tix sent, nor a bounce, which may be dropped).
        # A mail that repeats one of the batch comes from a known sender anyway.
        new: dict[str, str] = {}
        for mail in mails:
            found = _sender_address(mail)
            if (
                found is None
                or mail.bounce
                or mail.headers.get("x-tix-notification")
                or found[0].lower() in own_addresses
                or Direction.IN not in self.directions.get(mail.message_id or "", {Direction.IN})
            ):
                continue
            key = found[0].lower()
            if key not in self.users and key not in self.contacts:
                new.setdefault(key, found[1])
        if new:
            made = contacts.new_contacts(session, list(new.items()), apart=True)
            self.contacts.update(zip(new, made, strict=True))
        self._account_addresses: frozenset[str] | None = None
        self.unwritten: list[MailImport] = []
        """Import records not written yet (see :meth:`write_records`)."""
        # The tickets the mails answer, locked at once in id order (each follow-up would
        # lock its own; two syncs lock theirs in the same order and never deadlock).
        activities.lock_many(session, self.threads.ticket_ids())
        # Held so that the session does not forget them between mails (it keeps loaded
        # rows only while someone refers to them): each ticket would read them again.
        self.held: list[object] = [channel]
        if channel.default_owner_id is not None:
            self.held.append(session.get(User, channel.default_owner_id))

    def account_addresses(self, session: Session) -> frozenset[str]:
        """tix's own account addresses (lower-cased), read once for the batch."""
        if self._account_addresses is None:
            self._account_addresses = frozenset(
                value.lower()
                for value in session.execute(select(col(MailAccount.address))).scalars()
                if value
            )
        return self._account_addresses

    def write_records(self, session: Session) -> None:
        """Write the import records kept back, in one statement."""
        if self.unwritten:
            columns = [column.name for column in MailImport.__table__.columns]  # type: ignore[attr-defined]
            session.execute(
                insert(MailImport),
                [
                    {name: getattr(record, name) for name in columns if name != "id"}
                    for record in self.unwritten
                ],
            )
            self.unwritten.clear()

    def same_bytes_as(self, session: Session, digest: str) -> int | None:
        if digest in self.batch_digests:
            session.flush()
            self.write_records(session)
            return _same_bytes(session, digest)
        return self.same_bytes.get(digest)

    def seen_message_id(self, session: Session, mail: ParsedMail) -> str | None:
        directions = self.directions.get(mail.message_id or "")
        if not directions:
            return None
        if Direction.IN not in directions:
            return "same"  # a mail tix sent, back through Cc or a synced Sent folder
        session.flush()  # the batch's own import records are compared with too
        self.write_records(session)
        return _compare_with_earlier(session, mail)

    def sender(self, session: Session, address: str, name: str) -> Contact | User:
        key = address.lower()
        user = self.users.get(key)
        if user is not None:
            return user
        return self.contact(session, address, name=name)

    def contact(self, session: Session, address: str, *, name: str) -> Contact:
        key = address.lower()
        found = self.contacts.get(key)
        if found is None:
            found = contacts.new_contact(session, address, name=name, apart=True)
            self.contacts[key] = found
        return found

    def learn(self, digest: str, record: MailImport, result: Ingested) -> None:
        """What a mail of the batch did, for the mails after it."""
        if result.status != ImportStatus.UNPROCESSABLE:
            self.batch_digests.add(digest)
        if result.new_ticket and result.ticket is not None:
            self.threads.learn_ticket(result.ticket)
        activity = result.activity
        if activity is not None and activity.message_id:
            self.threads.learn_message(activity.message_id, activity.ticket_id)
            if activity.direction is not None:
                self.directions.setdefault(activity.message_id, set()).add(activity.direction)


def _parse(raw: bytes) -> ParsedMail | Exception:
    try:
        return parse_mail(raw)
    except Exception as error:
        return error


def _message_id(raw: bytes) -> str | None:
    match = re.search(rb"^message-id:\s*<?([^>\r\n]+)>?", raw[:65536], re.IGNORECASE | re.M)
    return match.group(1).decode("ascii", "replace").strip()[:998] if match else None


def _decide(
    session: Session,
    raw: bytes,
    *,
    digest: str,
    parsed: ParsedMail | Exception | None,
    known: _Known,
    channel: Channel,
    account: MailAccount | None,
    max_size: int,
    max_file_size: int,
    own_addresses: frozenset[str],
) -> Ingested:
    earlier = known.same_bytes_as(session, digest)
    if earlier is not None:
        message_id = _message_id(raw)
        return Ingested(
            ImportStatus.DUPLICATE,
            reason=(
                _("Message-ID {id} was imported before").format(id=message_id)
                if message_id
                else _("the same mail was imported before (import {id})").format(id=earlier)
            ),
        )
    if len(raw) > max_size:
        return Ingested(
            ImportStatus.UNPROCESSABLE,
            reason=_("larger than the limit of {limit} bytes ({size} bytes)").format(
                limit=max_size, size=len(raw)
            ),
        )
    if parsed is None:  # read before as bytes imported already, which they are no more
        parsed = _parse(raw)
    if isinstance(parsed, UnparseableMail):
        return Ingested(ImportStatus.UNPROCESSABLE, reason=str(parsed) or "unparseable")
    if isinstance(parsed, Exception):
        log.error("parser failed", exc_info=parsed)
        return Ingested(ImportStatus.UNPROCESSABLE, reason=f"{type(parsed).__name__}: {parsed}")
    mail = parsed
    if mail.headers.get("x-tix-notification"):
        return Ingested(ImportStatus.IGNORED, reason=_("a notification tix sent"))
    seen = known.seen_message_id(session, mail) if mail.message_id else None
    if seen == "same":
        return Ingested(
            ImportStatus.DUPLICATE,
            reason=_("Message-ID {id} was imported before").format(id=mail.message_id),
        )
    sender_address = mail.sender.address.lower() if mail.sender else ""
    if sender_address and sender_address in own_addresses:
        return Ingested(
            ImportStatus.IGNORED,
            reason=_("sent by tix itself ({address})").format(address=sender_address),
        )
    return _file_mail(
        session,
        mail,
        raw,
        known=known,
        channel=channel,
        account=account,
        max_file_size=max_file_size,
        reused_message_id=seen == "different",
    )


def _same_bytes(session: Session, digest: str) -> int | None:
    """The import that took in these very bytes before (a re-read after a crash or a
    UIDVALIDITY change, the same file imported again), if any. One that could not be
    read does not count: it may be read now."""
    return session.execute(
        select(col(MailImport.id))
        .where(
            col(MailImport.sha256) == digest,
            col(MailImport.status) != ImportStatus.UNPROCESSABLE,
        )
        .order_by(col(MailImport.id))
        .limit(1)
    ).scalar_one_or_none()


_COMPARED_AT_MOST = 20
"""Earlier mails with the same Message-ID read back to tell a re-delivery from a reuse.

Whether a mail's Message-ID is known decides: not at all (a new mail), only on mail
tix sent (a copy of it, back through Cc or a synced Sent folder: a duplicate), or on
a mail received (the same mail again, or another one reusing the ID:
:func:`_compare_with_earlier`)."""


def _compare_with_earlier(session: Session, mail: ParsedMail) -> str:
    """For a Message-ID that a received mail holds already: ``"same"`` when this message
    is that mail delivered again with other transport headers, ``"different"`` when
    another message reuses the ID."""
    earlier = session.execute(
        select(col(Blob.data))
        .join(MailImport, col(MailImport.sha256) == Blob.sha256)
        .where(
            col(MailImport.message_id) == mail.message_id,
            col(MailImport.status) == ImportStatus.IMPORTED,
        )
        .order_by(col(MailImport.id))
        .limit(_COMPARED_AT_MOST)
    ).scalars()
    compared = False
    wanted = _content_key(mail)
    for data in earlier:
        compared = True
        try:
            if _content_key(parse_mail(data)) == wanted:
                return "same"
        except Exception:  # an earlier mail that no longer parses is not this one
            continue
    # A received mail with this ID but no stored import to compare with: as before,
    # the ID alone decides.
    return "different" if compared else "same"


def _content_key(mail: ParsedMail) -> tuple[object, ...]:
    """What stays the same when one message is delivered twice (transport headers such
    as Received or Delivered-To aside)."""
    return (
        mail.message_id,
        mail.sender.address.lower() if mail.sender else None,
        mail.date,
        mail.subject,
        mail.text.rstrip(),
        tuple((part.filename, hashlib.sha256(part.data).hexdigest()) for part in mail.attachments),
    )


def _sender_address(mail: ParsedMail) -> tuple[str, str] | None:
    """The address (checked) and name the mail is from: its From, else its Reply-To."""
    candidates = [mail.sender] if mail.sender else []
    candidates += list(mail.reply_to)
    for candidate in candidates:
        try:
            return validation.email_address(candidate.address), candidate.name
        except Invalid:
            continue
    return None


def _sender(session: Session, mail: ParsedMail, known: _Known) -> tuple[Contact | User, str]:
    """Who wrote the mail: a staff user (by address) or a contact (made when new)."""
    found = _sender_address(mail)
    if found is not None:
        address, name = found
        return known.sender(session, address, name), address
    contact = contacts.find_contact(session, UNKNOWN_SENDER) or contacts.add_contact(
        session, None, address=UNKNOWN_SENDER, name=_("Unknown sender")
    )
    return contact, UNKNOWN_SENDER


def _format(address: Address) -> str:
    """``Name <address>`` for display, the name quoted where RFC 5322 needs it."""
    if not address.name:
        return address.address
    name = address.name
    if any(char in name for char in '()<>[]:;@\\,."'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address.address}>"


def _attachments(mail: ParsedMail, max_file_size: int) -> tuple[list[NewFile], list[str]]:
    files, notes = [], []
    for part in mail.attachments:
        if len(part.data) > max_file_size:
            notes.append(
                _(
                    "{name} ({size} bytes) is larger than the file limit and is kept only "
                    "in the original mail"
                ).format(name=part.filename, size=len(part.data))
            )
            continue
        files.append(
            NewFile(
                name=part.filename,
                data=part.data,
                content_type=part.content_type,
                content_id=part.content_id,
                inline=part.inline,
            )
        )
    return files, notes


def _automatic_kind(mail: ParsedMail) -> str | None:
    if mail.bounce:
        return "bounce"
    if mail.auto_submitted:
        return "auto_reply"
    if mail.mailing_list:
        return "list"
    return None


def _file_mail(
    session: Session,
    mail: ParsedMail,
    raw: bytes,
    *,
    known: _Known,
    channel: Channel,
    account: MailAccount | None,
    max_file_size: int,
    reused_message_id: bool = False,
) -> Ingested:
    automatic = _automatic_kind(mail)
    ticket = find_ticket(session, mail, known.threads)
    if ticket is None and automatic == "bounce":
        # A bounce of a mail tix did not send (or of one it no longer knows): nothing
        # to attach it to, and no one to tell. Kept, and listed by `tix mail log`.
        return Ingested(ImportStatus.IGNORED, reason=_("a bounce that refers to no ticket"))
    author, address = _sender(session, mail, known)
    files, notes = _attachments(mail, max_file_size)
    details: dict[str, Any] = {}
    if automatic:
        details["automatic"] = automatic
    if automatic == "bounce":
        failed = _mark_bounced(session, mail, raw)
        if failed:
            details["failed_message_ids"] = failed
    if reused_message_id:
        details["reused_message_id"] = True
    if notes:
        details["notes"] = notes
    facts = messages.MailFacts(
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else None,
        mail_from=_format(mail.sender) if mail.sender else address,
        to=[_format(a) for a in mail.to],
        cc=[_format(a) for a in mail.cc],
    )
    body = mail.text
    follow_up_of = None
    if ticket is not None and ticket.status == TicketStatus.CLOSED and not automatic:
        follow_up_of, ticket = ticket.number, None
        details["follow_up_of"] = follow_up_of
    elif (
        ticket is not None
        and not automatic
        and isinstance(author, Contact)
        and _is_stranger(session, ticket, author, address, known)
    ):
        own_channel = session.get(Channel, ticket.channel_id) if ticket.channel_id else None
        if own_channel is not None and own_channel.stranger_follow_ups == "new":
            follow_up_of, ticket, channel = ticket.number, None, own_channel
            details["follow_up_of"] = follow_up_of
        else:
            details["third_party"] = True
            activity = _message(session, author, ticket, mail, body, facts, files, details)
            return Ingested(ImportStatus.IMPORTED, ticket=ticket, activity=activity)
    if ticket is not None:
        activity = _follow_up(session, author, ticket, mail, body, facts, files, details, automatic)
        return Ingested(ImportStatus.IMPORTED, ticket=ticket, activity=activity)
    contact = author if isinstance(author, Contact) else _contact_of_user(session, author, known)
    subject = clean_subject(mail.subject) or mail.subject
    ticket = intake.open_ticket(
        session,
        contact,
        channel=channel,
        subject=subject,
        body=body,
        body_html=mail.html,
        origin=TicketOrigin.MAIL,
        mail=facts,
        account=account,
        attachments=files,
        details=details or None,
        address=address,
        acknowledge=not automatic and not _NO_REPLY.match(address),
    )
    first = session.get(Activity, ticket.first_activity_id) if ticket.first_activity_id else None
    return Ingested(ImportStatus.IMPORTED, ticket=ticket, activity=first, new_ticket=True)


def _contact_of_user(session: Session, user: User, known: _Known) -> Contact:
    """A staff member who mails the support address opens a ticket as a contact."""
    return known.contact(session, validation.email_address(user.email), name=user.name)


def _follow_up(
    session: Session,
    author: Contact | User,
    ticket: Ticket,
    mail: ParsedMail,
    body: str,
    facts: messages.MailFacts,
    files: list[NewFile],
    details: dict[str, Any],
    automatic: str | None,
) -> Activity:
    if isinstance(author, Contact) and not automatic:
        return messages.add_customer_message(
            session,
            author,
            ticket=ticket,
            body=body,
            body_html=mail.html,
            subject=mail.subject,
            mail=facts,
            attachments=files,
            details=details or None,
        )
    # Automatic mail and mail from staff: on the ticket, but no status change.
    return _message(session, author, ticket, mail, body, facts, files, details)


def _message(
    session: Session,
    author: Contact | User,
    ticket: Ticket,
    mail: ParsedMail,
    body: str,
    facts: messages.MailFacts,
    files: list[NewFile],
    details: dict[str, Any],
) -> Activity:
    """The mail on ``ticket`` as a received message that changes no status (it notifies
    the watchers all the same)."""
    return activities.append_activity(
        session,
        ticket,
        kind=ActivityKind.MESSAGE,
        author=author,
        body=body,
        subject=mail.subject,
        attachments=files,
        body_html=mail.html,
        direction=Direction.IN,
        message_id=facts.message_id,
        in_reply_to=facts.in_reply_to,
        mail_from=facts.mail_from,
        mail_to=list(facts.to),
        mail_cc=list(facts.cc),
        details=details or None,
    )


def _is_stranger(
    session: Session, ticket: Ticket, contact: Contact, address: str, known: _Known
) -> bool:
    """Whether ``contact`` (writing from ``address``) is a stranger to ``ticket``: not its
    customer, not in the customer's organisation (the same organisation on both
    contacts), and none of the contact's addresses in the ticket's mail history (the
    From, To, CC and BCC of every mail received or sent on it). tix's own account
    addresses are never strangers (staff users are not contacts)."""
    if contact.id is not None and contact.id == ticket.customer_id:
        return False
    if address.lower() in known.account_addresses(session):
        return False
    if contact.organization_id is not None and ticket.customer_id is not None:
        customer = session.get(Contact, ticket.customer_id)
        if customer is not None and customer.organization_id == contact.organization_id:
            return False
    addresses = {address.lower()}
    addresses.update(
        value.lower()
        for value in session.execute(
            select(col(ContactAddress.address)).where(col(ContactAddress.contact_id) == contact.id)
        ).scalars()
    )
    return not addresses & _mail_history(session, ticket)


def _mail_history(session: Session, ticket: Ticket) -> set[str]:
    """Every address a mail on ``ticket`` came from or went to (lower-cased), but for
    third parties' mails: a stranger does not become known by writing (nor makes those
    they copy known); an agent's answer to them does."""
    written: list[str] = []
    for mail_from, to, cc, bcc, details in session.execute(
        select(
            col(Activity.mail_from),
            col(Activity.mail_to),
            col(Activity.mail_cc),
            col(Activity.mail_bcc),
            col(Activity.details),
        ).where(col(Activity.ticket_id) == ticket.id, col(Activity.direction).is_not(None))
    ):
        if details and details.get("third_party"):
            continue
        if mail_from:
            written.append(mail_from)
        for addresses in (to, cc, bcc):
            written.extend(addresses or [])
    return {address.lower() for _name, address in getaddresses(written) if address}


def _mark_bounced(session: Session, mail: ParsedMail, raw: bytes) -> list[str]:
    """A bounce of mail tix sent marks that mail failed, with the report's reason.

    Returns the Message-IDs marked. A report that tells only of a delay marks nothing."""
    if not mail.bounced_message_ids:
        return []
    failures = delivery_failures(raw, subject=mail.subject)
    if failures is None:
        return []
    # The receiving server's own words (or the bounce's subject when it gave none).
    text = "; ".join(failure.reason() for failure in failures if failure.reason())
    text = text or mail.subject or "bounce"
    marked: list[str] = []
    for message in session.execute(
        select(OutboxMessage).where(
            col(OutboxMessage.message_id).in_(list(mail.bounced_message_ids)),
            col(OutboxMessage.status) == OutboxStatus.SENT,
        )
    ).scalars():
        message.status = OutboxStatus.FAILED
        message.last_error = text[:2000]
        if message.message_id not in marked:
            marked.append(message.message_id)
    session.flush()
    return marked
