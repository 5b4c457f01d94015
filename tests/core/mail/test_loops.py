"""Automatic mail (auto-replies, bounces, list mail) is recognised; people's mail is not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tix.core.mail.loops import DeliveryFailure, classify, delivery_failures
from tix.core.mail.parse import ParsedMail, parse_mail

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "zammad"


def corpus_mail(name: str) -> ParsedMail:
    path = CORPUS / f"{name}.box"
    if not path.is_file():
        message = f"the Zammad test-mail corpus is missing: expected {path}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return parse_mail(path.read_bytes())


def mail(headers: str, body: str = "Hello,\n\nplease help.\n") -> ParsedMail:
    base = "From: Anna Customer <anna@customer.example>\nTo: support@tix.example\n"
    if "subject:" not in headers.lower():
        base += "Subject: Printer broken\n"
    raw = (base + headers).strip() + "\n\n" + body
    return parse_mail(raw.encode())


def flags(parsed: ParsedMail) -> tuple[bool, bool, bool]:
    return parsed.auto_submitted, parsed.bounce, parsed.mailing_list


# --- people ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["mail001", "mail003", "mail005", "mail014", "mail037", "mail081", "mail106", "mail119"],
)
def test_customer_mail_from_the_corpus_is_not_automatic(name: str) -> None:
    parsed = corpus_mail(name)
    assert flags(parsed) == (False, False, False)
    assert not parsed.is_automatic


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Out of office hours support?",
        "Subject: Re: Undelivered Mail Returned to Sender",
        "Subject: Automatische Antwort-Funktion geht nicht",
        "Subject: Fwd: Delivery Status Notification (Failure)",
        "Subject: Abwesenheitsnotizen in Outlook einrichten",
        "Auto-Submitted: no",
        "X-Autoreply: no",
        "Precedence: normal",
        "Return-Path: <anna@customer.example>",
        "X-Auto-Response-Suppress: DR, RN",
        "In-Reply-To: <a@tix.example>\nReferences: <a@tix.example>",
        "X-Mailer: Microsoft Outlook 16.0",
    ],
)
def test_ordinary_mail_is_not_automatic(headers: str) -> None:
    assert flags(mail(headers)) == (False, False, False)


# --- auto-replies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: auto-notified; owner-email=x@example.com",
        "X-Autoreply: yes",
        "X-Autorespond: Thank you for your mail",
        "Precedence: auto_reply",
        "X-Loop: helpdesk@other.example",
        "X-Auto-Response-Suppress: All",
        "X-Auto-Response-Suppress: OOF, AutoReply",
        "Return-Path: <>",
        "Subject: Automatische Antwort: Printer broken",
        "Subject: Automatic reply: Printer broken",
        "Subject: Out of Office: Printer broken",
        "Subject: Out of Office AutoReply: Printer broken",
        "Subject: Abwesenheitsnotiz: Printer broken",
        "Subject: Réponse automatique : Printer broken",
        "Subject: Auto-Reply: Printer broken",
        "Subject: Out of office",
    ],
)
def test_auto_replies(headers: str) -> None:
    parsed = mail(headers)
    assert parsed.auto_submitted
    assert not parsed.bounce
    assert parsed.is_automatic


def test_read_receipt_is_automatic() -> None:
    parsed = mail(
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"',
        "--b\nContent-Type: text/plain\n\nYour message was read.\n"
        "--b\nContent-Type: message/disposition-notification\n\nDisposition: displayed\n--b--\n",
    )
    assert parsed.auto_submitted
    assert not parsed.bounce


# --- lists -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        "List-Id: Users of tix <users.tix.example>",
        "List-Unsubscribe: <mailto:leave@lists.example>",
        "List-Post: <mailto:users@lists.example>",
        "Precedence: bulk",
        "Precedence: list",
        "Precedence: junk",
        "Mailing-List: contact users-help@lists.example; run by ezmlm",
    ],
)
def test_list_mail(headers: str) -> None:
    parsed = mail(headers)
    assert flags(parsed) == (False, False, True)
    assert parsed.is_automatic


def test_notification_systems_from_the_corpus() -> None:
    assert flags(corpus_mail("mail089")) == (True, False, True)  # ServiceNow: auto-generated, bulk


# --- bounces -----------------------------------------------------------------------------


def test_postfix_bounce_with_the_returned_message() -> None:
    parsed = corpus_mail("mail055")
    assert parsed.bounce
    assert parsed.is_automatic
    assert parsed.bounced_message_ids == ("20170526150141.232.13312@example.zammad.loc",)


def test_gmail_delay_notice_is_a_bounce() -> None:
    parsed = corpus_mail("mail078")
    assert parsed.bounce
    assert parsed.bounced_message_ids == ("20150830145601.30.608881@example.com",)


def test_single_part_bounce_from_mailer_daemon() -> None:
    parsed = corpus_mail("mail052")
    assert parsed.bounce
    assert parsed.bounced_message_ids == ()


def test_bounce_with_returned_headers_only() -> None:
    parsed = mail(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
        "--b\nContent-Type: text/plain\n\nDelivery failed.\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
        "Final-Recipient: rfc822; gone@customer.example\nAction: failed\n"
        "--b\nContent-Type: text/rfc822-headers\n\nFrom: support@tix.example\n"
        "Message-ID:\n <reply-1042.7@tix.example>\nSubject: Re: Printer\n--b--\n",
    )
    assert parsed.bounce
    assert parsed.bounced_message_ids == ("reply-1042.7@tix.example",)
    assert [a.filename for a in parsed.attachments] == ["delivery-status.txt", "rfc822-headers.txt"]


def test_bounce_quoting_the_message_id_in_its_text() -> None:
    parsed = mail(
        "From: postmaster@mx.example\nSubject: Undeliverable: Re: Printer broken",
        "Your message did not reach some or all of the intended recipients.\n\n"
        "   Subject: Re: Printer broken\n   Message-ID: <reply-1042.8@tix.example>\n",
    )
    assert parsed.bounce
    assert parsed.bounced_message_ids == ("reply-1042.8@tix.example",)


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Undelivered Mail Returned to Sender",
        "Subject: Delivery Status Notification (Failure)",
        "Subject: Mail delivery failed: returning message to sender",
        "Subject: Returned mail: see transcript for details",
        "Subject: Unzustellbar: Printer broken",
        "X-Failed-Recipients: gone@customer.example",
    ],
)
def test_bounce_markers(headers: str) -> None:
    assert mail(headers).bounce


def test_only_bounces_report_returned_ids() -> None:
    parsed = mail("Subject: Your order", "Message-ID: <quoted@example.com> in an ordinary mail\n")
    assert not parsed.bounce
    assert parsed.bounced_message_ids == ()


def test_classify_directly() -> None:
    result = classify(
        {"precedence": ["bulk"]},
        sender="news@shop.example",
        subject="Offers",
        content_type="text/html",
        report_type=None,
        has_delivery_status=False,
    )
    assert (result.auto_submitted, result.bounce, result.mailing_list) == (False, False, True)
    assert result.is_automatic


# --- what a bounce reports -------------------------------------------------------------------


def _report(*blocks: str, subject: str = "Undelivered Mail Returned to Sender") -> bytes:
    status = "\n\n".join(["Reporting-MTA: dns; mx.example", *blocks])
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\nTo: support@tix.example\n"
        f"Subject: {subject}\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nDelivery failed.\n"
        f"--b\nContent-Type: message/delivery-status\n\n{status}\n"
        "--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <reply-1042.9@tix.example>\n"
        "--b--\n"
    ).encode()


def test_a_delivery_report_names_the_recipients_that_failed_and_why() -> None:
    raw = _report(
        "Final-Recipient: rfc822; gone@customer.example\nAction: failed\nStatus: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <gone@customer.example>:\n"
        "    Recipient address rejected: User unknown",
        "Final-Recipient: rfc822; slow@customer.example\nAction: delayed\nStatus: 4.4.1",
        "Original-Recipient: rfc822;boss@customer.example\nAction: failed\nStatus: 5.2.2",
    )
    assert delivery_failures(raw) == (
        DeliveryFailure(
            "gone@customer.example",
            "5.1.1",
            "550 5.1.1 <gone@customer.example>: Recipient address rejected: User unknown",
        ),
        DeliveryFailure("boss@customer.example", "5.2.2", ""),
    )
    assert delivery_failures(raw)[1].reason() == "boss@customer.example: 5.2.2"


def test_a_report_of_delays_only_tells_of_no_failure() -> None:
    raw = _report(
        "Final-Recipient: rfc822; slow@customer.example\nAction: delayed\nStatus: 4.4.1",
        subject="Delayed Mail (still being retried)",
    )
    assert delivery_failures(raw) is None


def test_a_bounce_without_a_status_part_fails_unless_it_speaks_of_a_delay() -> None:
    plain = b"From: MAILER-DAEMON@mx.example\nSubject: failure notice\n\nI'm afraid I couldn't.\n"
    assert delivery_failures(plain, subject="failure notice") == ()
    warning = (
        b"From: MAILER-DAEMON@mx.example\nSubject: Warning: message delayed\n\nStill trying.\n"
    )
    assert delivery_failures(warning, subject="Warning: message delayed") is None
