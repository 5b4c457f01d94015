"""Received mail into tickets: threading, loops, duplicates, acknowledgements, the corpus."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from tix.core import search
from tix.core.db import session_scope
from tix.core.mail.ingest import Incoming, ingest, ingest_many
from tix.core.mail.parse import parse_mail
from tix.core.mail.threading import clean_subject
from tix.core.models import (
    Blob,
    Counter,
    ImportStatus,
    MailAccount,
    MailImport,
    OutboxMessage,
    Ticket,
)
from tix.core.services import channels, contacts, opening, tickets
from tix.core.services.changes import change_ticket
from tix.core.services.messages import reply_to_ticket

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "zammad"


def mail(
    subject: str = "Pump broken",
    body: str = "Our pump leaks.",
    sender: str = "Karla Kunde <kunde@example.com>",
    to: str = "support@tix.test",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    message["Message-ID"] = f"<{message_id or os.urandom(8).hex() + '@example.com'}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = f"<{in_reply_to}>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def _ingest(world, raw: bytes, **extra):
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        record, result = ingest(
            session,
            raw,
            channel=world.channel(session, "support"),
            account=account,
            source="test",
            **extra,
        )
        return record.status, (result.ticket.number if result.ticket else None), record.id


def _detail(world, number: int) -> dict:
    from tix.core.timeutil import zone
    from tix.core.views import ticket_detail

    with session_scope(world.engine) as session:
        admin = world.user(session, "admin")
        found = tickets.get_ticket(session, admin, number)
        return ticket_detail(session, admin, found, zone("UTC")).model_dump(mode="json")


def _outbox(world) -> list[OutboxMessage]:
    with session_scope(world.engine) as session:
        return list(
            session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        )


def test_a_customer_mail_opens_a_ticket_and_answers_thread_to_it(world) -> None:
    status, number, _id = _ingest(
        world,
        mail(
            message_id="first@example.com",
            attachments=[("Foto Pumpe.jpg", b"\xff\xd8jpeg", "image/jpeg")],
        ),
    )
    assert status == ImportStatus.IMPORTED and number is not None
    data = _detail(world, number)
    assert (data["kind"], data["status"], data["owner"], data["channel"]) == (
        "mail",
        "new",
        "bob",
        "Support",
    )
    assert data["customer"] == {
        "name": "Karla Kunde",
        "address": "kunde@example.com",
        "kind": "customer",
        "organization": "Kunde GmbH",
    }
    assert data["first_message"]["body"].strip() == "Our pump leaks."
    assert data["first_message"]["attachments"][0]["name"] == "Foto Pumpe.jpg"
    assert [f["name"] for f in data["files"]] == ["Foto Pumpe.jpg"]

    # the agent answers; the customer answers that mail: same ticket
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        reply = reply_to_ticket(
            session, bob, ticket=tickets.find_ticket(session, number), body="Which model?"
        )
        reply_id = reply.message_id
    status, again, _id = _ingest(
        world,
        mail(subject=f"Re: [Ticket#{number}] Pump broken", body="The P-400.", in_reply_to=reply_id),
    )
    assert (status, again) == (ImportStatus.IMPORTED, number)
    # a mail that keeps only the ticket tag in its subject lands there too
    status, tagged, _id = _ingest(
        world, mail(subject=f"AW: WG: [ Ticket # {number} ] photos", body="More photos.")
    )
    assert tagged == number
    bodies = [
        a["body"].strip() for a in _detail(world, number)["activities"] if a["kind"] == "message"
    ]
    assert bodies == ["Our pump leaks.", "The P-400.", "More photos."]


def test_the_same_mail_twice_is_imported_once(world) -> None:
    raw = mail(message_id="once@example.com")
    first = _ingest(world, raw)
    second = _ingest(world, raw)
    assert first[0] == ImportStatus.IMPORTED and second[0] == ImportStatus.DUPLICATE
    with session_scope(world.engine) as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 1
        assert session.execute(select(func.count()).select_from(MailImport)).scalar_one() == 2


def test_out_of_office_replies_and_bounces_are_attached_and_answer_nothing(world) -> None:
    with session_scope(world.engine, write=True) as session:
        session.get(MailAccount, world.account).smtp_host = "127.0.0.1"
        support = world.channel(session, "support")
        support.acknowledge = True
    _status, number, _id = _ingest(world, mail(message_id="q@example.com"))
    assert [m.purpose for m in _outbox(world)] == ["acknowledgement"]
    with session_scope(world.engine, write=True) as session:
        sent = reply_to_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            body="On it",
        )
        sent_id = sent.message_id
        change_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            status="waiting",
        )
    out_of_office = mail(
        subject="Automatische Antwort: Pump broken",
        body="Bin im Urlaub.",
        in_reply_to=sent_id,
        headers={"Auto-Submitted": "auto-replied"},
    )
    status, attached, _id = _ingest(world, out_of_office)
    assert (status, attached) == (ImportStatus.IMPORTED, number)

    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.com>"
    bounce["To"] = "support@tix.test"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = "<bounce1@mx.example.com>"
    bounce.set_content("This is the mail system. Your message could not be delivered.")
    returned = EmailMessage()
    returned["From"] = "support@tix.test"
    returned["Message-ID"] = f"<{sent_id}>"
    returned["Subject"] = "Re: Pump broken"
    returned.set_content("On it")
    bounce.add_attachment(returned)
    bounce.replace_header(
        "Content-Type",
        bounce["Content-Type"].replace(
            "multipart/mixed", "multipart/report; report-type=delivery-status"
        ),
    )
    status, bounced, _id = _ingest(world, bounce.as_bytes())
    assert (status, bounced) == (ImportStatus.IMPORTED, number)

    data = _detail(world, number)
    automatic = [
        a["details"]["automatic"]
        for a in data["activities"]
        if a["kind"] == "message" and "automatic" in a.get("details", {})
    ]
    assert automatic == ["auto_reply", "bounce"]
    assert data["status"] == "waiting"  # automatic mail reopens nothing
    assert [m.purpose for m in _outbox(world)] == ["acknowledgement", "reply"]  # nothing new


def _acknowledging(world, **texts: str) -> None:
    """Support answers new tickets; the account can send."""
    with session_scope(world.engine, write=True) as session:
        session.get(MailAccount, world.account).smtp_host = "127.0.0.1"
        channels.update_channel(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "support"),
            acknowledge=True,
            **texts,
        )


def test_acknowledgements_are_limited_and_never_go_to_robots(world) -> None:
    _acknowledging(
        world, ack_subject="Got it: {subject}", ack_body="Hello {name}, ticket #{number} is open."
    )
    for index in range(5):
        _ingest(world, mail(subject=f"Question {index}"))
    _ingest(world, mail(sender="noreply@shop.example", subject="Your order"))
    _ingest(
        world,
        mail(
            sender="news@list.example",
            subject="Newsletter",
            headers={"List-Id": "<news.list.example>"},
        ),
    )
    acks = _outbox(world)
    assert len(acks) == 3  # three a day per address at most
    assert acks[0].mail_to == ["kunde@example.com"]
    assert acks[0].subject.startswith("[Ticket#") and "Got it: Question 0" in acks[0].subject
    assert "Hello Karla Kunde, ticket #" in acks[0].body


def test_tix_notifications_and_own_mail_are_not_imported_as_tickets(world) -> None:
    status, number, _id = _ingest(
        world, mail(headers={"X-Tix-Notification": "yes", "Auto-Submitted": "auto-generated"})
    )
    assert (status, number) == (ImportStatus.IGNORED, None)
    status, number, _id = _ingest(
        world, mail(sender="support@tix.test"), own_addresses=frozenset({"support@tix.test"})
    )
    assert (status, number) == (ImportStatus.IGNORED, None)
    with session_scope(world.engine) as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0


def test_a_mail_to_a_closed_ticket_opens_a_follow_up(world) -> None:
    _status, number, _id = _ingest(world, mail())
    with session_scope(world.engine, write=True) as session:
        change_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            status="closed",
        )
    _status, follow_up, _id = _ingest(
        world, mail(subject=f"Re: [Ticket#{number}] Pump broken", body="It leaks again.")
    )
    assert follow_up != number
    data = _detail(world, follow_up)
    assert data["subject"] == "Pump broken"
    assert data["first_message"]["details"]["follow_up_of"] == number
    assert _detail(world, number)["status"] == "closed"


def test_unreadable_and_oversized_mail_is_kept_unprocessed(world) -> None:
    status, number, _import_id = _ingest(world, b"")
    assert (status, number) == (ImportStatus.UNPROCESSABLE, None)
    big = mail(body="x" * 5000)
    status, number, big_id = _ingest(world, big, max_size=1000)
    assert (status, number) == (ImportStatus.UNPROCESSABLE, None)
    with session_scope(world.engine) as session:
        record = session.get(MailImport, big_id)
        assert "larger than the limit" in record.reason
        assert session.get(Blob, record.sha256).data == big


def test_attachments_over_the_file_limit_stay_in_the_raw_mail(world) -> None:
    raw = mail(
        attachments=[
            ("small.txt", b"ok", "text/plain"),
            ("huge.bin", b"x" * 5000, "application/octet-stream"),
        ]
    )
    _status, number, _id = _ingest(world, raw, max_file_size=1000)
    data = _detail(world, number)
    assert [f["name"] for f in data["files"]] == ["small.txt"]
    assert "huge.bin" in data["first_message"]["details"]["notes"][0]


def _corpus() -> list[Path]:
    if not CORPUS.is_dir():
        from tests.servers import require

        require("mail corpus", f"{CORPUS} is missing")
    return sorted(CORPUS.glob("*.box"))


@pytest.mark.parametrize("box", _corpus() if CORPUS.is_dir() else [], ids=lambda p: p.stem)
def test_the_whole_corpus_imports(world, box: Path) -> None:
    """Every real-world mail becomes a ticket (bounces of unknown mail are kept aside) with
    the sender, subject, text and attachments the parser found; how those compare with the
    other helpdesk's expectations is tested mail by mail in test_parse.py."""
    raw = box.read_bytes()
    parsed = parse_mail(raw)
    status, number, import_id = _ingest(world, raw)
    if status == ImportStatus.IGNORED:
        assert parsed.bounce
        with session_scope(world.engine) as session:
            assert session.get(MailImport, import_id).reason == "a bounce that refers to no ticket"
        return
    assert status == ImportStatus.IMPORTED, box.name
    data = _detail(world, number)
    first = data["first_message"]
    sender = parsed.sender.address.lower() if parsed.sender else None
    assert data["customer"]["address"] in (sender, "unknown-sender@tix.invalid")
    assert data["subject"] == (clean_subject(parsed.subject) or parsed.subject or "(no subject)")
    assert first["body"] == parsed.text
    assert first["html"] == parsed.html
    assert [a["name"] for a in first["attachments"]] == [a.filename for a in parsed.attachments]
    assert [f["name"] for f in data["files"]] == [a.filename for a in parsed.attachments]


def test_the_acknowledgement_speaks_the_customers_language(world) -> None:
    _acknowledging(world)
    with session_scope(world.engine, write=True) as session:
        german = contacts.add_contact(
            session, None, address="einkauf@kunde.example", name="Einkauf"
        )
        contacts.update_contact(session, None, german, language="de")
    _ingest(world, mail(sender="Einkauf <einkauf@kunde.example>", subject="Pumpe"))
    _ingest(world, mail(subject="Pump"))  # Karla Kunde: no language of her own
    german_ack, default_ack = _outbox(world)
    assert "Wir haben Ihre Anfrage erhalten: Pumpe" in german_ack.subject
    assert german_ack.body.startswith("Guten Tag Einkauf,")
    assert "We have received your request: Pump" in default_ack.subject
    assert default_ack.body.startswith("Hello Karla Kunde,")


# --- reused Message-IDs ------------------------------------------------------------------


def _activity(world, number: int, message_id: str) -> dict:
    return next(
        a for a in _detail(world, number)["activities"] if a.get("message_id") == message_id
    )


def test_a_different_mail_that_reuses_a_message_id_is_imported_and_marked(world) -> None:
    first = mail(subject="Pump broken", body="Our pump leaks.", message_id="42@localhost")
    _status, number, _id = _ingest(world, first)
    # A badly numbered mailer gives its next, different mail the same Message-ID.
    other = mail(
        sender="Lager <lager@versand.example>",
        subject="Delivery note",
        body="Three pallets went out today.",
        message_id="42@localhost",
    )
    status, other_number, _id = _ingest(world, other)
    assert status == ImportStatus.IMPORTED and other_number not in (None, number)
    marked = _activity(world, other_number, "42@localhost")
    assert marked["details"]["reused_message_id"] is True
    assert "reused_message_id" not in (
        _activity(world, number, "42@localhost").get("details") or {}
    )

    # the very same bytes again, and the first mail delivered once more by another
    # route (only a transport header differs): duplicates, both
    assert _ingest(world, other)[:2] == (ImportStatus.DUPLICATE, None)
    redelivered = b"Received: from mx2.example.com by mx.tix.test; Fri, 27 Nov 2026\n" + first
    assert _ingest(world, redelivered)[:2] == (ImportStatus.DUPLICATE, None)

    # an answer to that Message-ID goes to the ticket of the first mail that had it
    status, answered, _id = _ingest(
        world, mail(subject="Re: Pump broken", body="Still leaking.", in_reply_to="42@localhost")
    )
    assert (status, answered) == (ImportStatus.IMPORTED, number)
    with session_scope(world.engine) as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 2


def test_the_same_bytes_without_a_message_id_are_imported_once(world) -> None:
    raw = b"\n".join(
        line for line in mail(subject="No ID").split(b"\n") if not line.startswith(b"Message-ID")
    )
    assert _ingest(world, raw)[0] == ImportStatus.IMPORTED
    status, number, import_id = _ingest(world, raw)
    assert (status, number) == (ImportStatus.DUPLICATE, None)
    with session_scope(world.engine) as session:
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 1
        assert "the same mail was imported before" in session.get(MailImport, import_id).reason


def test_a_copy_of_a_mail_tix_sent_is_not_imported(world) -> None:
    _status, number, _id = _ingest(world, mail())
    with session_scope(world.engine, write=True) as session:
        sent = reply_to_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            body="On it",
        )
        sent_id = sent.message_id
    copy = mail(sender="tix Support <support@tix.test>", subject="Re: Pump", message_id=sent_id)
    assert _ingest(world, copy)[:2] == (ImportStatus.DUPLICATE, None)


# --- automatic mail and bounces of tix's own mail -------------------------------------------


def dsn(
    returned_id: str,
    *,
    action: str = "failed",
    recipient: str = "kunde@example.com",
    diagnostic: str = "smtp; 550 5.1.1 <kunde@example.com>: Recipient address rejected",
) -> bytes:
    """A delivery status notification (RFC 3464) for the mail ``returned_id``, as a mail
    server writes one."""
    return f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: support@tix.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <{os.urandom(6).hex()}@mx.example.com>
Date: Fri, 27 Nov 2026 11:00:00 +0100
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="REPORT"

--REPORT
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.
Your message could not be delivered to one or more recipients.

--REPORT
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
Arrival-Date: Fri, 27 Nov 2026 10:59:58 +0100

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: 5.1.1
Diagnostic-Code: {diagnostic}

--REPORT
Content-Type: message/rfc822

From: tix Support <support@tix.test>
To: {recipient}
Subject: Re: [Ticket#1] Pump broken
Message-ID: <{returned_id}>

Which model?

--REPORT--
""".encode()


def _sent_reply(world, number: int, body: str) -> str:
    """bob replies on ``number``; the reply goes out through a real SMTP server."""
    from tests.servers import SmtpServer
    from tix.core.mail.delivery import deliver

    with SmtpServer() as smtp:
        with session_scope(world.engine, write=True) as session:
            account = session.get(MailAccount, world.account)
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
            reply = reply_to_ticket(
                session,
                world.user(session, "bob"),
                ticket=tickets.find_ticket(session, number),
                body=body,
            )
            reply_id = reply.message_id
        assert deliver(world.engine).sent == 1
        smtp.wait_for(1)
    return reply_id


def test_a_bounce_of_a_mail_tix_sent_marks_that_mail_failed(world) -> None:
    _status, number, _id = _ingest(world, mail(message_id="pump@example.com"))
    reply_id = _sent_reply(world, number, "Which model?")

    # a report that the mail is only late changes nothing
    status, bounced, _id = _ingest(world, dsn(reply_id, action="delayed"))
    assert (status, bounced) == (ImportStatus.IMPORTED, number)
    delivery = _activity(world, number, reply_id)["delivery"]
    assert (delivery["status"], delivery["error"], delivery["attempts"]) == ("sent", None, 1)
    sent_at = delivery["sent_at"]
    assert sent_at is not None

    status, bounced, _id = _ingest(world, dsn(reply_id))
    assert (status, bounced) == (ImportStatus.IMPORTED, number)
    reason = "kunde@example.com: 550 5.1.1 <kunde@example.com>: Recipient address rejected"
    assert _activity(world, number, reply_id)["delivery"] == {
        "status": "failed",
        "error": reason,
        "attempts": 1,
        "sent_at": sent_at,  # when the server took it, before it bounced
    }
    with session_scope(world.engine) as session:
        message = session.execute(
            select(OutboxMessage).where(OutboxMessage.message_id == reply_id)
        ).scalar_one()
        assert (message.status, message.last_error) == ("failed", reason)
    report = [a for a in _detail(world, number)["activities"] if a["automatic"] == "bounce"][-1]
    assert report["details"]["failed_message_ids"] == [reply_id]
    assert _detail(world, number)["status"] == "open"  # the bounce reopened nothing


def test_automatic_mail_is_marked_on_each_activity(world) -> None:
    _status, number, _id = _ingest(world, mail(message_id="start@example.com"))
    tag = f"[Ticket#{number}]"
    _ingest(
        world,
        mail(subject=f"Automatic reply: {tag} Pump", headers={"Auto-Submitted": "auto-replied"}),
    )
    _ingest(world, mail(subject=f"{tag} digest", headers={"List-Id": "<news.kunde.example>"}))
    _ingest(world, mail(subject=f"Re: {tag} Pump", body="A person writes."))
    marks = [
        (a["automatic"], a["third_party"])
        for a in _detail(world, number)["activities"]
        if a["kind"] == "message"
    ]
    assert marks == [(None, False), ("auto_reply", False), ("list", False), (None, False)]


# --- follow-ups from strangers ---------------------------------------------------------------


def _stranger_world(world) -> int:
    """kunde@example.com's ticket, waiting; bob's answer went to her with a CC to the
    consultant berater@partner.example; kollege@example.com is in her organisation."""
    _status, number, _id = _ingest(world, mail(message_id="own@example.com"))
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        ticket = tickets.find_ticket(session, number)
        reply_to_ticket(
            session, bob, ticket=ticket, body="Which model?", cc=["berater@partner.example"]
        )
        change_ticket(session, bob, ticket=ticket, status="waiting")
        contacts.add_contact(
            session,
            None,
            address="kollege@example.com",
            name="Kurt Kollege",
            organization="Kunde GmbH",
        )
    return number


def _last_message(world, number: int) -> dict:
    return [a for a in _detail(world, number)["activities"] if a["kind"] == "message"][-1]


def _status_of(world, number: int) -> str:
    return _detail(world, number)["status"]


def _notified(world, login: str, number: int) -> int:
    from tix.core.models import Notification

    with session_scope(world.engine) as session:
        ticket = tickets.find_ticket(session, number)
        return session.execute(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == world.user(session, login).id,
                Notification.ticket_id == ticket.id,
            )
        ).scalar_one()


def test_a_strangers_follow_up_is_attached_as_a_third_party_and_reopens_nothing(world) -> None:
    number = _stranger_world(world)
    tag = f"Re: [Ticket#{number}] Pump broken"
    before = _notified(world, "bob", number)
    status, attached, _id = _ingest(
        world, mail(sender="Fritz Fremd <fremd@elsewhere.example>", subject=tag, body="Me too!")
    )
    assert (status, attached) == (ImportStatus.IMPORTED, number)
    last = _last_message(world, number)
    assert (last["body"].strip(), last["third_party"]) == ("Me too!", True)
    assert last["details"]["third_party"] is True
    assert _status_of(world, number) == "waiting"
    assert _notified(world, "bob", number) == before + 1  # the watchers hear of it
    # writing again (with a CC) does not make the stranger, or the one copied, known
    _ingest(
        world,
        mail(
            sender="fremd@elsewhere.example",
            subject=tag,
            body="Hello?",
            headers={"Cc": "freund@elsewhere.example"},
        ),
    )
    _ingest(world, mail(sender="freund@elsewhere.example", subject=tag, body="Me three"))
    assert [
        (a["body"].strip(), a["third_party"])
        for a in _detail(world, number)["activities"]
        if a["kind"] == "message"
    ][-3:] == [("Me too!", True), ("Hello?", True), ("Me three", True)]
    assert _status_of(world, number) == "waiting"

    # the consultant in CC, a colleague of the customer's organisation and tix's own
    # address are no strangers: their answers count, and reopen the ticket
    for sender in (
        "berater@partner.example",
        "Kurt Kollege <kollege@example.com>",
        "support@tix.test",
    ):
        with session_scope(world.engine, write=True) as session:
            change_ticket(
                session,
                world.user(session, "bob"),
                ticket=tickets.find_ticket(session, number),
                status="waiting",
            )
        _ingest(world, mail(sender=sender, subject=tag, body=f"From {sender}"))
        last = _last_message(world, number)
        assert last["body"].strip() == f"From {sender}" and last["third_party"] is False, sender
        assert _status_of(world, number) == "open", sender
    # an agent writing from their own address is staff, not a stranger
    _ingest(world, mail(sender="Carl Sales <carl@tix.test>", subject=tag, body="Noted."))
    last = _last_message(world, number)
    assert (last["author"], last["third_party"]) == ("carl", False)


def test_the_customer_never_sees_a_strangers_follow_up_in_the_portal(world) -> None:
    from tix.core.errors import NotFound
    from tix.core.models import Contact, TicketFile
    from tix.core.services import portal
    from tix.core.timeutil import zone

    number = _stranger_world(world)
    tag = f"Re: [Ticket#{number}] Pump broken"
    _ingest(
        world,
        mail(
            sender="fremd@elsewhere.example",
            subject=tag,
            body="Private words of a stranger",
            attachments=[("fremd.txt", b"not for the customer", "text/plain")],
        ),
    )
    with session_scope(world.engine) as session:
        karla = session.execute(select(Contact).where(Contact.name == "Karla Kunde")).scalar_one()
        ticket = portal.my_ticket(session, karla, number)
        view = portal.ticket_view(session, karla, ticket, zone("UTC"))
        assert "Private words" not in str(view) and "fremd.txt" not in str(view)
        assert [m["body"].strip() for m in view["messages"]] == ["Our pump leaks.", "Which model?"]
        stranger_file = session.execute(
            select(TicketFile).where(TicketFile.name == "fremd.txt")
        ).scalar_one()
        with pytest.raises(NotFound):
            portal.my_file(session, karla, number, stranger_file.id)


def test_a_tag_of_an_internal_ticket_lets_no_outside_mail_into_it(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        internal = opening.open_internal_ticket(
            session, admin, owner=world.user(session, "bob"), subject="Salaries 2027"
        ).number
    status, attached, _id = _ingest(
        world,
        mail(
            sender="fremd@elsewhere.example",
            subject=f"Re: [Ticket#{internal}] Salaries 2027",
            body="Let me in",
        ),
    )
    assert status == ImportStatus.IMPORTED and attached not in (None, internal)
    assert [a["kind"] for a in _detail(world, internal)["activities"]].count("message") == 0


def test_a_channel_can_open_a_new_ticket_for_a_strangers_follow_up(world) -> None:
    number = _stranger_world(world)
    with session_scope(world.engine, write=True) as session:
        channels.update_channel(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "support"),
            stranger_follow_ups="new",
        )
    status, opened, _id = _ingest(
        world,
        mail(
            sender="fremd@elsewhere.example",
            subject=f"Re: [Ticket#{number}] Pump broken",
            body="Me too!",
        ),
    )
    assert status == ImportStatus.IMPORTED and opened not in (None, number)
    data = _detail(world, opened)
    assert (data["channel"], data["customer"]["address"]) == ("Support", "fremd@elsewhere.example")
    assert data["first_message"]["details"]["follow_up_of"] == number
    assert _status_of(world, number) == "waiting"
    assert [
        a["body"].strip() for a in _detail(world, number)["activities"] if a["kind"] == "message"
    ] == ["Our pump leaks."]
    # the customer herself still answers on her ticket
    _status, same, _id = _ingest(world, mail(subject=f"Re: [Ticket#{number}] Pump broken"))
    assert same == number and _status_of(world, number) == "open"


def test_an_unknown_choice_for_strangers_follow_ups_is_refused(world) -> None:
    from tix.core.errors import Invalid

    with session_scope(world.engine, write=True) as session:
        with pytest.raises(Invalid, match="use attach or new"):
            channels.update_channel(
                session,
                world.user(session, "admin"),
                channel=world.channel(session, "support"),
                stranger_follow_ups="drop",
            )
        assert world.channel(session, "support").stranger_follow_ups == "attach"


# --- a batch of mail (the IMAP sync) ----------------------------------------------------


def _ingest_many(
    world, raws: list[bytes], uidvalidity: int = 7
) -> list[tuple[str, int | None, bool, int]]:
    """Each mail's status, ticket number, whether it opened the ticket, and UID."""
    with session_scope(world.engine, write=True) as session:
        done = ingest_many(
            session,
            [Incoming(raw, uid=index + 1, source="imap") for index, raw in enumerate(raws)],
            channel=world.channel(session, "support"),
            account=session.get(MailAccount, world.account),
            folder="INBOX",
            uidvalidity=uidvalidity,
        )
        return [
            (
                record.status,
                result.ticket.number if result.ticket else None,
                result.new_ticket,
                record.uid,
            )
            for record, result in done
        ]


def _next_ticket_number(world) -> int:
    with session_scope(world.engine) as session:
        value = session.execute(
            select(Counter.value).where(Counter.name == "ticket")
        ).scalar_one_or_none()
    return (value or 0) + 1


def test_a_batch_finds_what_its_own_earlier_mails_made(world) -> None:
    """Mails of one batch see what the mails before them did, as one by one: an answer
    threads to the ticket a mail of the batch opened (by In-Reply-To and by its tag),
    the same bytes again are a duplicate, and a new sender becomes one contact."""
    first, second = _next_ticket_number(world), _next_ticket_number(world) + 1
    printer = mail(subject="Printer jams", sender="Neu <neu@firma.example>")
    raws = [
        mail(subject="Pump broken", message_id="a1@kunde.example"),
        mail(subject="Re: Pump broken", in_reply_to="a1@kunde.example", body="Still leaking"),
        printer,
        mail(subject=f"AW: [Ticket#{second}] Printer jams", sender="neu@firma.example"),
        printer,
        mail(subject="Toner empty", sender="Neu <neu@firma.example>"),
    ]
    results = _ingest_many(world, raws)
    assert [(status, number, new) for status, number, new, _id in results] == [
        (ImportStatus.IMPORTED, first, True),
        (ImportStatus.IMPORTED, first, False),
        (ImportStatus.IMPORTED, second, True),
        (ImportStatus.IMPORTED, second, False),
        (ImportStatus.DUPLICATE, None, False),
        (ImportStatus.IMPORTED, second + 1, True),
    ]
    assert [m["body"] for m in _detail(world, first)["activities"] if m["kind"] == "message"] == [
        "Our pump leaks.",
        "Still leaking",
    ]
    with session_scope(world.engine) as session:
        assert contacts.find_contact(session, "neu@firma.example").name == "Neu"
        assert len(contacts.find_contacts(session, ["neu@firma.example"])) == 1
        assert list(search.matching_ticket_ids(session, "leaking")) == [
            tickets.find_ticket(session, first).id
        ]
    # The same mails again (after a change of UIDVALIDITY) import nothing twice.
    again = _ingest_many(world, raws, uidvalidity=8)
    assert {status for status, *_rest in again} == {ImportStatus.DUPLICATE}


def test_a_mail_that_fails_in_a_batch_is_kept_and_the_others_land(world, monkeypatch) -> None:
    from tix.core.mail import ingest as ingest_module

    def failing(subject: str) -> str:
        if "Boom" in subject:
            raise RuntimeError("the subject could not be cleaned")
        return clean_subject(subject)

    monkeypatch.setattr(ingest_module, "clean_subject", failing)
    boom = mail(subject="Boom", body="Explodes")
    results = _ingest_many(
        world,
        [
            mail(subject="Pump broken", message_id="b1@kunde.example"),
            boom,
            mail(subject="Re: Pump", in_reply_to="b1@kunde.example", body="Leaking more"),
        ],
    )
    assert [status for status, *_rest in results] == [
        ImportStatus.IMPORTED,
        ImportStatus.UNPROCESSABLE,
        ImportStatus.IMPORTED,
    ]
    assert results[0][1] == results[2][1]
    with session_scope(world.engine) as session:
        kept = session.execute(
            select(MailImport).where(MailImport.uid == results[1][3])
        ).scalar_one()
        assert kept.status == ImportStatus.UNPROCESSABLE
        assert kept.reason == "RuntimeError: the subject could not be cleaned"
        assert session.get(Blob, kept.sha256).data == boom
        assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 1
        assert len(list(search.matching_ticket_ids(session, "leaking"))) == 1
        assert list(search.matching_ticket_ids(session, "explodes")) == []


def test_a_batch_reads_and_writes_per_batch_not_per_mail(world) -> None:
    """What a batch looks up (imports of the same bytes, Message-IDs, threads, senders),
    its raw mails, its import records and its search index take as many statements for
    25 mails as for 5."""
    lookups = (
        "from mail_imports",
        "where activities.message_id in",
        "where outbox_messages.message_id in",
        "from contact_addresses",
        "where lower(users.email)",
        "from activities where activities.id =",
    )
    writes = ("into blobs", "into mail_imports", "into search_index", "into ticket_search")
    counts = []
    for size in (5, 25):
        raws = [
            mail(
                subject=f"Request {size}-{index}",
                sender=f"Kunde {index} <k{size}-{index}@firma{index}.example>",
                in_reply_to=f"unknown-{index}@elsewhere.example",
            )
            for index in range(size)
        ]
        statements: list[str] = []

        def count(*args: object, seen: list[str] = statements) -> None:
            seen.append(" ".join(str(args[2]).lower().split()))

        event.listen(world.engine, "before_cursor_execute", count)
        try:
            results = _ingest_many(world, raws, uidvalidity=size)
        finally:
            event.remove(world.engine, "before_cursor_execute", count)
        assert [new for _status, _number, new, _uid in results] == [True] * size
        counts.append(
            {
                what: sum(1 for statement in statements if what in statement)
                for what in (*lookups, *writes)
            }
        )
    # Mail by mail, 20 mails more were some 200 statements more.
    assert counts[0] == counts[1]
