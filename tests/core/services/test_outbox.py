"""Every outgoing mail is queued by one function, in the caller's transaction."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tix.core import clock
from tix.core.db import session_scope
from tix.core.models import MailAccount, OutboxMessage, Ticket
from tix.core.services import outbox


def test_a_queued_mail_goes_out_from_the_account_with_a_new_message_id(world) -> None:
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        first = outbox.queue_mail(
            session,
            purpose="notification",
            account=account,
            to=["bob@tix.test"],
            subject="Ticket #1 is yours",
            body="Have a look.",
        )
        outbox.queue_mail(
            session,
            purpose="notification",
            account=account,
            to=["bob@tix.test"],
            subject="",
            body="",
        )
        assert first.id is not None  # flushed: the caller can refer to it at once
    with session_scope(world.engine) as session:
        [stored, other] = session.execute(
            select(OutboxMessage).order_by(OutboxMessage.id)
        ).scalars()
        assert (stored.purpose, stored.status, stored.account_id) == ("notification", "pending", 1)
        assert stored.mail_from == "tix Support <support@tix.test>"
        assert (stored.mail_to, stored.mail_cc, stored.mail_bcc) == (["bob@tix.test"], [], [])
        assert (stored.subject, stored.body) == ("Ticket #1 is yours", "Have a look.")
        assert stored.message_id.endswith("@tix.test") and ".tix" not in stored.message_id
        assert stored.message_id != other.message_id
        assert (stored.ticket_id, stored.activity_id, stored.in_reply_to) == (None, None, None)
        assert (stored.references, stored.envelope_to) == ([], None)


def test_a_ticket_mail_keeps_its_thread(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        account.display_name = ""
        found = session.execute(select(Ticket).where(Ticket.number == ticket)).scalar_one()
        outbox.queue_mail(
            session,
            purpose="reply",
            account=account,
            ticket=found,
            to=("kunde@example.com",),
            cc=("chef@example.com",),
            bcc=("archiv@tix.test",),
            subject=outbox.tagged_subject(ticket, "Pump", reply=True),
            body="Fixed.",
            message_id="fixed@tix.test",
            in_reply_to="asked@example.com",
            references=("asked@example.com",),
        )
        ticket_id = found.id
    with session_scope(world.engine) as session:
        stored = session.execute(select(OutboxMessage)).scalar_one()
        assert (stored.ticket_id, stored.mail_from) == (ticket_id, "support@tix.test")
        assert (stored.mail_to, stored.mail_cc, stored.mail_bcc) == (
            ["kunde@example.com"],
            ["chef@example.com"],
            ["archiv@tix.test"],
        )
        assert stored.subject == f"Re: [Ticket#{ticket}] Pump"
        assert (stored.message_id, stored.in_reply_to) == ("fixed@tix.test", "asked@example.com")
        assert stored.references == ["asked@example.com"]


def test_deferred_recipients_get_the_same_mail_again_later(world) -> None:
    with session_scope(world.engine, write=True) as session:
        sent = outbox.queue_mail(
            session,
            purpose="reply",
            account=session.get(MailAccount, world.account),
            to=["a@example.com", "b@example.com"],
            cc=["c@example.com"],
            subject="Hello",
            body="Text",
            in_reply_to="x@example.com",
            references=["x@example.com"],
        )
        later = clock.now() + timedelta(minutes=5)
        again = outbox.queue_again(
            session, sent, envelope_to=["b@example.com"], next_attempt_at=later, error="x" * 3000
        )
        session.flush()
        assert again.id != sent.id
        copied = ("purpose", "account_id", "mail_from", "mail_to", "mail_cc", "subject", "body")
        copied += ("message_id", "in_reply_to", "references")
        assert {f: getattr(again, f) for f in copied} == {f: getattr(sent, f) for f in copied}
        assert (again.envelope_to, again.attempts) == (["b@example.com"], 1)
        assert again.status == "pending"
        assert again.next_attempt_at == later and again.last_error == "x" * 2000
