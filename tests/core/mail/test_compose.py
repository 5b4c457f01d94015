"""Composed mail reads back the same through the standard library and through tix's parser.

Every message is parsed twice: with ``email.policy.default`` (what other mail programs
see, strictly) and with `parse_mail` (what tix itself would import). The bytes must be
7-bit ASCII with CRLF line endings, so any SMTP server and IMAP APPEND take them as they are.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage, MIMEPart

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tix.core.errors import Invalid
from tix.core.mail.compose import (
    Outgoing,
    OutgoingAttachment,
    compose,
    envelope_address,
    recipients,
    render,
)
from tix.core.mail.parse import ParsedMail, parse_mail

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e20000000049454e44ae426082"
)
OUTLOOK_ID = (
    "AM0PR04MB6433C1B1E2F6A7E8D9C0B1A2B3C4D5E6F7A8B9C0@AM0PR04MB6433.eurprd04.prod.outlook.com"
)
SUBJECT = "Re: [Ticket#1042] Pumpe für Kühlwasser läuft nicht — bitte Rückruf, Grüße aus Köln"


def outgoing(**changes: object) -> Outgoing:
    base = Outgoing(
        sender="ACME Support <support@acme.example>",
        to=["anna@customer.example"],
        cc=["boss@customer.example"],
        bcc=["hidden@acme.example"],
        subject=SUBJECT,
        body="Hello *Anna*,\n\nthe pump is fixed.\n\nRegards\nBen",
        message_id="tix.1042.7@acme.example",
        in_reply_to="first@customer.example",
        references=(OUTLOOK_ID, "first@customer.example"),
        date=datetime(2024, 3, 31, 1, 30, tzinfo=timezone(timedelta(hours=1))),
        ticket_number=1042,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def both(data: bytes) -> tuple[EmailMessage, ParsedMail]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message.defects == [], message.defects
    return message, parse_mail(data)


def assert_wire_format(data: bytes) -> None:
    """7-bit, CRLF only, no line over 998 characters (RFC 5322 2.1.1)."""
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    assert data.endswith(b"\r\n")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def content(part: MIMEPart | None) -> str:
    """A text part's content; the email package keeps the wire's CRLF inside QP bodies."""
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text.replace("\r\n", "\n")


def structure(part: EmailMessage, depth: int = 0) -> list[str]:
    lines = ["  " * depth + part.get_content_type()]
    if part.is_multipart():
        for child in part.iter_parts():
            assert isinstance(child, EmailMessage)
            lines += structure(child, depth + 1)
    return lines


# --- headers ------------------------------------------------------------------------------


def test_headers_read_back_through_both_parsers() -> None:
    data = compose(outgoing())
    message, parsed = both(data)

    assert message["From"] == "ACME Support <support@acme.example>"
    assert message["To"] == "anna@customer.example"
    assert message["Cc"] == "boss@customer.example"
    assert message["Subject"] == SUBJECT
    assert message["Date"].datetime == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    assert message["Message-ID"] == "<tix.1042.7@acme.example>"
    assert message["In-Reply-To"] == "<first@customer.example>"
    assert message["References"].split() == [f"<{OUTLOOK_ID}>", "<first@customer.example>"]
    assert message["MIME-Version"] == "1.0"
    assert message["X-Tix-Ticket"] == "1042"

    assert parsed.subject == SUBJECT
    assert str(parsed.sender) == "ACME Support <support@acme.example>"
    assert [a.address for a in parsed.to] == ["anna@customer.example"]
    assert [a.address for a in parsed.cc] == ["boss@customer.example"]
    assert parsed.message_id == "tix.1042.7@acme.example"
    assert parsed.in_reply_to == ("first@customer.example",)
    assert parsed.references == (OUTLOOK_ID, "first@customer.example")
    assert parsed.date == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)
    assert parsed.headers["x-tix-ticket"] == "1042"
    assert parsed.defects == ()


def test_bcc_is_nowhere_in_the_message() -> None:
    data = compose(outgoing(bcc=["hidden@acme.example", "Secret.Boss@acme.example"]))
    assert b"bcc" not in data.lower()
    assert b"hidden" not in data and b"secret.boss" not in data.lower()


def test_non_ascii_subject_is_an_encoded_word_and_decodes_back() -> None:
    data = compose(outgoing())
    header_block = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject = re.search(r"^Subject:(.*(?:\r\n[ \t].*)*)", header_block, re.M)
    assert subject is not None
    assert "=?utf-8?" in subject.group(1)
    assert "[Ticket#1042]" in subject.group(1)  # the tag stays readable, even to grep
    message, parsed = both(data)
    assert message["Subject"] == parsed.subject == SUBJECT


LONG_TYPES = [
    "text/plain",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
]


@settings(max_examples=200, deadline=None)
@given(
    subject=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=200
    ),
    name=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=90),
    content_type=st.sampled_from(LONG_TYPES),
)
def test_any_subject_and_file_name_round_trip(subject: str, name: str, content_type: str) -> None:
    files = [
        OutgoingAttachment(name or "x", content_type, b"x", content_id="c" * 90 + "@x.example")
    ]
    data = compose(outgoing(subject=subject, attachments=files))
    assert_wire_format(data)
    message, parsed = both(data)
    expected = " ".join(subject.split())
    assert " ".join(str(message["Subject"]).split()) == expected
    assert parsed.subject == expected
    [attachment] = [p for p in message.iter_attachments() if isinstance(p, EmailMessage)]
    sent_name = " ".join((name or "x").split()).replace("/", "_").replace("\\", "_")
    sent_name = sent_name or "attachment"
    if sent_name.startswith("<") and sent_name.endswith(">"):
        sent_name = sent_name[1:-1]  # email.utils.unquote() drops <> around a parameter
    assert attachment.get_filename() == sent_name
    assert attachment.get_content_type() == content_type
    assert attachment["Content-ID"] == "<" + "c" * 90 + "@x.example>"
    assert parsed.attachments[0].content_type == content_type


@settings(max_examples=200, deadline=None)
@given(
    body=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cn")), max_size=400),
    display_name=st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40),
)
def test_any_body_and_sender_name_round_trip(body: str, display_name: str) -> None:
    name = " ".join(display_name.replace('"', "").replace("\\", "").split())
    sender = f'"{name}" <support@acme.example>' if name else "support@acme.example"
    data = compose(outgoing(body=body, sender=sender))
    assert_wire_format(data)
    message, parsed = both(data)
    expected = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    assert content(message.get_body(("plain",))) == expected + "\n"
    assert parsed.sender is not None and parsed.sender.address == "support@acme.example"
    assert parsed.sender.name == name.strip("' ")  # tix drops quotes people put around names
    # policy.default puts a space between two adjacent encoded words of a long name, which
    # RFC 2047 6.2 says to drop (tix's parser and mail programs do): compare without it.
    stdlib_name = message["From"].addresses[0].display_name
    assert stdlib_name.replace(" ", "") == name.replace(" ", "")


def test_long_references_fold_between_ids_and_are_never_encoded() -> None:
    ids = [f"{n:03d}.{OUTLOOK_ID}" for n in range(12)]
    data = compose(outgoing(references=ids, in_reply_to=ids[-1]))
    header_block = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert "=?" not in header_block.split("Subject:")[0]
    references = re.search(r"^References:(.*(?:\r\n[ \t].*)*)", header_block, re.M)
    assert references is not None
    assert all(
        line.strip().startswith("<") and line.strip().endswith(">")
        for line in references.group(1).split("\r\n")
    )
    message, parsed = both(data)
    assert parsed.references == tuple(ids)
    assert message["In-Reply-To"] == f"<{ids[-1]}>"


def test_a_very_long_thread_keeps_its_root_and_the_latest_references() -> None:
    ids = [f"m{n}@example.com" for n in range(100)]
    parsed = parse_mail(compose(outgoing(references=ids)))
    assert parsed.references == (ids[0], *ids[-29:])


def test_unusable_reference_ids_are_left_out() -> None:
    parsed = parse_mail(
        compose(outgoing(references=["<ok@x.example>", "two words@x", "", "ünï@x"]))
    )
    assert parsed.references == ("ok@x.example",)


def test_sender_forms() -> None:
    for sender, name in [
        ("support@acme.example", ""),
        ('"Müller, Support" <support@acme.example>', "Müller, Support"),
        ("Müller, Support <support@acme.example>", "Müller, Support"),
        ("Jörg Weiß (ACME) <support@acme.example>", "Jörg Weiß (ACME)"),
    ]:
        message, parsed = both(compose(outgoing(sender=sender)))
        assert message["From"].addresses[0].display_name == name
        assert message["From"].addresses[0].addr_spec == "support@acme.example"
        assert parsed.sender is not None and parsed.sender.name == name


def test_reply_to() -> None:
    message, parsed = both(compose(outgoing(reply_to="Helpdesk <help@acme.example>")))
    assert message["Reply-To"] == "Helpdesk <help@acme.example>"
    assert [a.address for a in parsed.reply_to] == ["help@acme.example"]


def test_only_bcc_recipients_give_an_undisclosed_recipients_group() -> None:
    data = compose(outgoing(to=[], cc=[], bcc=["hidden@acme.example"]))
    message, parsed = both(data)
    assert message["To"] == "undisclosed-recipients:;"
    assert "Cc" not in message
    assert parsed.to == ()


def test_line_breaks_in_header_values_cannot_inject_headers() -> None:
    data = compose(outgoing(subject="Hello\r\nBcc: victim@evil.example\nX-Evil: 1"))
    message, _parsed = both(data)
    assert message["Subject"] == "Hello Bcc: victim@evil.example X-Evil: 1"
    assert "Bcc" not in message and "X-Evil" not in message


def test_c1_control_characters_leave_header_values_like_c0_ones() -> None:
    data = compose(outgoing(subject="Pump\x9b2J leaks\x85now\x1b[0m"))
    message, parsed = both(data)
    assert message["Subject"] == parsed.subject == "Pump 2J leaks now [0m"


def test_international_domains_are_punycode_by_idna_2008() -> None:
    # IDNA 2003 (Python's "idna" codec) would turn straße.de into strasse.de: another domain.
    assert envelope_address("kunde@straße.de") == "kunde@xn--strae-oqa.de"
    assert envelope_address(" info@Müller.DE ") == "info@xn--mller-kva.de"
    message, _parsed = both(compose(outgoing(to=["kunde@straße.de"])))
    assert message["To"] == "kunde@xn--strae-oqa.de"


def test_the_date_defaults_to_now_and_must_be_aware() -> None:
    message, _parsed = both(compose(outgoing(date=None)))
    sent = message["Date"].datetime
    assert sent.tzinfo is not None
    assert abs(sent - datetime.now(UTC)) < timedelta(minutes=1)
    with pytest.raises(Invalid, match="time zone"):
        compose(outgoing(date=datetime(2024, 1, 1, 12, 0)))


@pytest.mark.parametrize(
    "changes",
    [
        {"message_id": "two words@x"},
        {"message_id": ""},
        {"to": ["jörg@example.com"]},  # needs SMTPUTF8 in a header: not sent 7-bit
        {"to": ["not-an-address"]},
        {"sender": "ACME Support"},
    ],
)
def test_what_cannot_be_written_is_refused_with_a_clear_message(changes: dict[str, object]) -> None:
    with pytest.raises(Invalid) as raised:
        compose(outgoing(**changes))
    assert "\n" not in raised.value.message
    value = next(iter(changes.values()))
    shown = value if isinstance(value, str) else value[0]  # type: ignore[index]
    assert str(shown) in raised.value.message


def test_recipients_refuses_what_is_not_an_address() -> None:
    for address in ("a b@x.example", "@x.example", "a@", "a@x..example", "a@b@c", "a@x.example."):
        with pytest.raises(Invalid, match="is not a valid mail address"):
            recipients(outgoing(bcc=[address]))


def test_recipients_are_to_cc_bcc_without_duplicates_in_order() -> None:
    mail = outgoing(
        to=["Anna@Customer.example", "ben@customer.example"],
        cc=["anna@customer.example", "carl@customer.example", ""],
        bcc=["BEN@customer.example", "hidden@acme.example", "kunde@straße.de"],
    )
    assert recipients(mail) == [
        "Anna@Customer.example",
        "ben@customer.example",
        "carl@customer.example",
        "hidden@acme.example",
        "kunde@xn--strae-oqa.de",
    ]


# --- automatic mail -----------------------------------------------------------------------


def test_a_reply_by_a_person_is_not_automatic() -> None:
    message, parsed = both(compose(outgoing()))
    for name in ("Auto-Submitted", "X-Auto-Response-Suppress", "Precedence", "X-Tix-Notification"):
        assert name not in message
    assert not parsed.is_automatic


def test_automatic_mail_is_marked_so_that_nobody_answers_it() -> None:
    message, parsed = both(compose(outgoing(automatic=True)))
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Precedence"] == "bulk"
    assert "X-Tix-Notification" not in message
    # tix's own parser: an acknowledgement that comes back is never answered.
    assert parsed.auto_submitted
    assert parsed.is_automatic


def test_a_notification_is_automatic_and_says_it_is_from_tix() -> None:
    message, parsed = both(compose(outgoing(notification=True)))
    assert message["X-Tix-Notification"] == "yes"
    assert message["Auto-Submitted"] == "auto-generated"
    assert parsed.auto_submitted
    assert parsed.headers["x-tix-ticket"] == "1042"


# --- body ---------------------------------------------------------------------------------

MARKDOWN = """\
Hello **Anna**,\r
\r
the *pump* works again:\r
\r
1. valve replaced\r
2. filter cleaned\r
\r
- see [the manual](https://acme.example/manual?a=1&b=2)\r
- or <https://acme.example/faq>\r
\r
<script>alert("x")</script> <b onclick="x()">bold?</b>\r
[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)\r
\r
Regards\r
Ben"""


def test_render_gives_the_source_as_text_and_safe_html() -> None:
    text, html = render(MARKDOWN)
    assert text == MARKDOWN.replace("\r\n", "\n") + "\n"
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert "font-family:" in html and html.rstrip().endswith("</html>")
    assert "<strong>Anna</strong>" in html and "<em>pump</em>" in html
    assert "<ol>" in html and "<li>valve replaced</li>" in html and "<ul>" in html
    assert '<a href="https://acme.example/manual?a=1&amp;b=2">the manual</a>' in html
    assert '<a href="https://acme.example/faq">' in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<b " not in html and "onclick" not in html.replace("&lt;b onclick", "")
    assert "javascript:" not in html.replace("[click](javascript:", "")
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "Regards<br />\nBen" in html  # a typed line break stays one


def test_render_of_an_empty_body() -> None:
    text, html = render("")
    assert text == ""
    assert "<body>" in html


def test_both_alternative_parts_read_back() -> None:
    data = compose(outgoing(body=MARKDOWN))
    assert_wire_format(data)
    message, parsed = both(data)
    assert structure(message) == ["multipart/alternative", "  text/plain", "  text/html"]
    plain = message.get_body(("plain",))
    rich = message.get_body(("html",))
    assert plain is not None and rich is not None
    assert content(plain) == MARKDOWN.replace("\r\n", "\n") + "\n"
    assert content(rich) == render(MARKDOWN)[1]
    assert plain.get_content_charset() == rich.get_content_charset() == "utf-8"
    assert parsed.text.startswith("Hello **Anna**,")
    assert parsed.html is not None and "<strong>Anna</strong>" in parsed.html
    assert "<script" not in parsed.html


def test_long_lines_and_other_scripts_stay_within_the_line_limit() -> None:
    body = ("Ein sehr langer Absatz mit Umlauten: äöüß " * 60) + "\n\n" + ("漢字かな交じり文" * 200)
    data = compose(outgoing(body=body, subject="ü" * 300, references=()))
    assert_wire_format(data)
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    message, parsed = both(data)
    assert content(message.get_body(("plain",))) == body + "\n"
    assert parsed.subject == "ü" * 300


def test_an_ascii_body_stays_readable_7bit() -> None:
    data = compose(outgoing(body="Hello,\n\nall fine.\n"))
    message, _parsed = both(data)
    plain = message.get_body(("plain",))
    assert plain is not None and plain["Content-Transfer-Encoding"] == "7bit"
    assert b"\r\nHello,\r\n\r\nall fine.\r\n" in data


# --- attachments --------------------------------------------------------------------------


def test_attachments_with_umlaut_names_round_trip() -> None:
    files = [
        OutgoingAttachment(
            "Angebot für Müller GmbH – Kühlwasserpumpe (final).pdf",
            "application/pdf",
            b"%PDF-1.4\n" + bytes(range(256)) * 40,
        ),
        OutgoingAttachment(
            "Übersicht.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04" + b"\x00" * 50,
        ),
        OutgoingAttachment("notes.txt", "text/plain", "Grüße\r\n".encode()),
        OutgoingAttachment("weird", "not a type", b"\x00\x01"),
    ]
    data = compose(outgoing(attachments=files))
    assert_wire_format(data)
    assert b"filename*" in data  # RFC 2231
    message, parsed = both(data)
    assert structure(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    text/html",
        "  application/pdf",
        "  application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "  text/plain",
        "  application/octet-stream",
    ]
    sent = [p for p in message.iter_attachments() if isinstance(p, EmailMessage)]
    assert [p.get_filename() for p in sent] == [f.name for f in files]
    assert [p.get_content_disposition() for p in sent] == ["attachment"] * 4
    assert [p.get_payload(decode=True) for p in sent] == [f.data for f in files]
    assert [(a.filename, a.data, a.inline) for a in parsed.attachments] == [
        (f.name, f.data, False) for f in files
    ]
    assert content(message.get_body(("plain",))).startswith("Hello *Anna*")


def test_an_attached_mail_goes_as_octets() -> None:
    # message/rfc822 may not be base64 (RFC 2046), and the email package writes it with
    # bare LFs; an .eml as application/octet-stream opens the same in every mail program.
    original = b"From: a@b.example\r\nSubject: hi\r\n\r\nbody\r\n"
    data = compose(
        outgoing(attachments=[OutgoingAttachment("orig.eml", "message/rfc822", original)])
    )
    assert_wire_format(data)
    message, _parsed = both(data)
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/octet-stream"
    assert part.get_payload(decode=True) == original


def test_an_inline_image_sits_in_multipart_related_with_the_html() -> None:
    logo = OutgoingAttachment(
        "Lögo.png", "image/png", PNG, content_id="logo.1@acme.example", inline=True
    )
    report = OutgoingAttachment("Bericht.pdf", "application/pdf", b"%PDF")
    data = compose(
        outgoing(body="Our logo:\n\n![ACME](cid:logo.1@acme.example)", attachments=[logo, report])
    )
    assert_wire_format(data)
    message, parsed = both(data)
    assert structure(message) == [
        "multipart/mixed",
        "  multipart/alternative",
        "    text/plain",
        "    multipart/related",
        "      text/html",
        "      image/png",
        "  application/pdf",
    ]
    assert 'src="cid:logo.1@acme.example"' in content(message.get_body(("html",)))
    related = message.get_body(("related",))
    assert related is not None
    image = next(p for p in related.iter_parts() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<logo.1@acme.example>"
    assert image.get_content_disposition() == "inline"
    assert image.get_filename() == "Lögo.png"
    assert image.get_payload(decode=True) == PNG
    by_name = {a.filename: a for a in parsed.attachments}
    assert by_name["Lögo.png"].inline and by_name["Lögo.png"].content_id == "logo.1@acme.example"
    assert by_name["Lögo.png"].data == PNG
    assert not by_name["Bericht.pdf"].inline


def test_an_inline_image_the_body_does_not_show_is_attached_instead() -> None:
    logo = OutgoingAttachment("logo.png", "image/png", PNG, content_id="<logo@x>", inline=True)
    message, parsed = both(compose(outgoing(attachments=[logo])))
    assert structure(message)[:2] == ["multipart/mixed", "  multipart/alternative"]
    [part] = list(message.iter_attachments())
    assert part.get_content_disposition() == "attachment"
    assert part["Content-ID"] == "<logo@x>"
    assert parsed.attachments[0].data == PNG
