"""Received mail into tickets: threading, loops, duplicates, acknowledgements, the corpus."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tix.core.db import session_scope
from tix.core.mail.ingest import ingest
from tix.core.mail.parse import parse_mail
from tix.core.mail.threading import clean_subject
from tix.core.models import (
    Blob,
    ImportStatus,
    MailAccount,
    MailImport,
    OutboxMessage,
    Ticket,
)
from tix.core.services import channels, contacts, tickets

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
        return ticket_detail(
            session, admin, tickets.get_ticket(session, admin, number), zone("UTC")
        )


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
        reply = tickets.reply_to_ticket(
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
        sent = tickets.reply_to_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, number),
            body="On it",
        )
        sent_id = sent.message_id
        tickets.change_ticket(
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
        tickets.change_ticket(
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
