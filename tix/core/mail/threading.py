"""Which ticket a received mail belongs to.

In order: the Message-IDs it answers (In-Reply-To, then References, newest first)
matched against every mail tix has stored or sent; the ticket tag in its subject
(``[Ticket#1042]``, whatever ``Re:``, ``AW:``, ``Fwd:`` or ``WG:`` stand before it);
for a bounce, the Message-ID of the message it returns. A mail to a merged ticket goes
to the ticket it was merged into.

A Message-ID held by several mails (a different message that reused it) answers to
the ticket of the first of them, whatever order the database returns rows in: the
first is the one its sender meant, and a later message cannot draw its answers away.

A batch of mail is threaded with :class:`Threads`: the Message-IDs and ticket tags of
the whole batch are looked up in three queries, and what the batch itself adds (new
tickets, new activities) is learnt as it goes, so each mail is threaded exactly as
:func:`find_ticket` would thread it alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core.mail.parse import ParsedMail
from tix.core.models import Activity, OutboxMessage, Ticket, TicketKind

TAG = re.compile(r"\[\s*ticket\s*#\s*(\d{1,12})\s*\]", re.IGNORECASE)
_PREFIX = re.compile(r"^\s*((re|aw|wg|fw|fwd|antw|sv|vs|tr|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.I)


def ticket_numbers(subject: str) -> list[int]:
    """Ticket numbers tagged in ``subject``, in order."""
    return [int(number) for number in TAG.findall(subject)]


def clean_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and ticket tags, for a new ticket."""
    without_tags = TAG.sub(" ", subject)
    return " ".join(_PREFIX.sub("", without_tags).split())


class Threads:
    """What threading a batch of mail needs from the database, read at once: the ticket
    of every Message-ID the mails answer or return, and every ticket their subjects tag.
    Tell it of each ticket and activity the batch makes (:meth:`learn_ticket`,
    :meth:`learn_message`) so that a later mail of the batch finds them."""

    def __init__(self, session: Session, mails: Sequence[ParsedMail]) -> None:
        ids = sorted(
            {
                message_id
                for mail in mails
                for message_id in (*mail.in_reply_to, *mail.references, *mail.bounced_message_ids)
                if message_id
            }
        )
        self.by_activity: dict[str, int] = {}
        """Message-ID -> ticket of the first activity that holds it."""
        self.by_outbox: dict[str, int] = {}
        """Message-ID -> ticket of the first outgoing mail that holds it (acknowledgements and
        notifications are sent without an activity of their own)."""
        self.by_number: dict[int, Ticket] = {}
        """Ticket number -> ticket, for the numbers tagged (internal tickets never)."""
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for held, on_ticket in session.execute(
                select(col(Activity.message_id), col(Activity.ticket_id))
                .where(col(Activity.message_id).in_(chunk))
                .order_by(col(Activity.id))
            ).all():
                if held is not None:
                    self.by_activity.setdefault(held, on_ticket)
            for message_id, ticket_id in session.execute(
                select(col(OutboxMessage.message_id), col(OutboxMessage.ticket_id))
                .where(
                    col(OutboxMessage.message_id).in_(chunk),
                    col(OutboxMessage.ticket_id).is_not(None),
                )
                .order_by(col(OutboxMessage.id))
            ).all():
                if message_id is not None and ticket_id is not None:
                    self.by_outbox.setdefault(message_id, ticket_id)
        numbers = sorted({number for mail in mails for number in ticket_numbers(mail.subject)})
        wanted = sorted(set(self.by_activity.values()) | set(self.by_outbox.values()))
        # The tickets are held here: the session keeps loaded rows only while someone
        # refers to them, and each mail of the batch would read its ticket again.
        self._held: list[Ticket] = []
        for start in range(0, len(numbers), 500):
            for ticket in session.execute(
                select(Ticket).where(
                    col(Ticket.number).in_(numbers[start : start + 500]),
                    col(Ticket.kind) != TicketKind.INTERNAL,
                )
            ).scalars():
                self.by_number[ticket.number] = ticket
        for start in range(0, len(wanted), 500):
            self._held.extend(
                session.execute(
                    select(Ticket).where(col(Ticket.id).in_(wanted[start : start + 500]))
                ).scalars()
            )

    def ticket_ids(self) -> list[int]:
        """The tickets the batch's mails answer or tag (before any redirect of a merge)."""
        found = {ticket.id for ticket in self.by_number.values()}
        found.update(self.by_activity.values())
        found.update(self.by_outbox.values())
        return sorted(ticket_id for ticket_id in found if ticket_id is not None)

    def learn_ticket(self, ticket: Ticket) -> None:
        """A ticket the batch opened: a later mail may carry its tag."""
        if ticket.kind != TicketKind.INTERNAL:
            self.by_number.setdefault(ticket.number, ticket)
        self._held.append(ticket)

    def learn_message(self, message_id: str | None, ticket_id: int) -> None:
        """An activity the batch added that holds ``message_id``."""
        if message_id:
            self.by_activity.setdefault(message_id, ticket_id)

    def ticket_of(self, session: Session, message_ids: Iterable[str]) -> Ticket | None:
        for message_id in message_ids:
            if not message_id:
                continue
            found = self.by_activity.get(message_id, self.by_outbox.get(message_id))
            if found is not None:
                return session.get(Ticket, found)
        return None

    def tagged(self, session: Session, number: int) -> Ticket | None:
        return self.by_number.get(number)


def _by_message_ids(session: Session, message_ids: Iterable[str]) -> Ticket | None:
    ids = [message_id for message_id in message_ids if message_id]
    if not ids:
        return None
    found: dict[str | None, int | None] = {}
    for held, on_ticket in session.execute(
        select(col(Activity.message_id), col(Activity.ticket_id))
        .where(col(Activity.message_id).in_(ids))
        .order_by(col(Activity.id))
    ).all():
        found.setdefault(held, on_ticket)
    # Acknowledgements and notifications are sent without an activity of their own.
    for message_id, ticket_id in session.execute(
        select(col(OutboxMessage.message_id), col(OutboxMessage.ticket_id))
        .where(col(OutboxMessage.message_id).in_(ids), col(OutboxMessage.ticket_id).is_not(None))
        .order_by(col(OutboxMessage.id))
    ).all():
        found.setdefault(message_id, ticket_id)
    for message_id in ids:
        if message_id in found:
            return session.get(Ticket, found[message_id])
    return None


def _merged_into(session: Session, ticket: Ticket | None) -> Ticket | None:
    """The ticket ``ticket`` was merged into (and that one's, and so on), else itself."""
    seen: set[int | None] = set()
    while ticket is not None and ticket.merged_into_id is not None and ticket.id not in seen:
        seen.add(ticket.id)
        ticket = session.get(Ticket, ticket.merged_into_id)
    return ticket


def find_ticket(
    session: Session, mail: ParsedMail, threads: Threads | None = None
) -> Ticket | None:
    """The ticket ``mail`` answers, if any; for a merged ticket, the one it was merged
    into. ``threads`` holds what was read for the mail's batch."""
    return _merged_into(session, _answered_ticket(session, mail, threads))


def _answered_ticket(session: Session, mail: ParsedMail, threads: Threads | None) -> Ticket | None:
    answered = [*mail.in_reply_to, *reversed(mail.references)]
    if threads is not None:
        ticket = threads.ticket_of(session, answered)
    else:
        ticket = _by_message_ids(session, answered)
    if ticket is not None:
        return ticket
    for number in ticket_numbers(mail.subject):
        # An internal ticket is between its creator and its owner: a number in a
        # subject, which anyone can type, never lets outside mail into it.
        if threads is not None:
            ticket = threads.tagged(session, number)
        else:
            ticket = session.execute(
                select(Ticket).where(
                    col(Ticket.number) == number, col(Ticket.kind) != TicketKind.INTERNAL
                )
            ).scalar_one_or_none()
        if ticket is not None:
            return ticket
    if mail.bounce:
        if threads is not None:
            return threads.ticket_of(session, mail.bounced_message_ids)
        return _by_message_ids(session, mail.bounced_message_ids)
    return None


def known_message(session: Session, message_id: str | None) -> Activity | None:
    """The activity that holds ``message_id`` already (received or sent by tix)."""
    if not message_id:
        return None
    return session.execute(
        select(Activity)
        .where(col(Activity.message_id) == message_id)
        .order_by(col(Activity.id))
        .limit(1)
    ).scalar_one_or_none()
