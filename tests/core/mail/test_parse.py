"""The mail parser against Zammad's real-world test mails, plus unit tests of its parts.

Every ``.box`` of the corpus in ``../shared/corpus/zammad`` is parsed, and each result is
compared with the ``.yml`` expectation Zammad's own parser test uses: sender address and
name, subject, body text, attachment names (and contents where the ``.yml`` has them),
recipients and Message-ID. Where tix deliberately reads a mail differently from Zammad,
the case is listed in `DEVIATIONS` with the reason, and `TIX_RESULTS` says what tix
produces instead; everything else about those mails is still compared with Zammad.
"""

from __future__ import annotations

import base64
import email.policy
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tix.core.mail.html import html_to_text
from tix.core.mail.parse import (
    Address,
    ParsedMail,
    UnparseableMail,
    decode_bytes,
    decode_header,
    parse_addresses,
    parse_date,
    parse_mail,
    parse_message_ids,
    unflow,
)

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "zammad"
MISSING = "<corpus missing>"


def corpus_dir() -> Path:
    """The corpus folder; a missing corpus fails the run on CI and skips it elsewhere."""
    if CORPUS.is_dir():
        return CORPUS
    message = f"the Zammad test-mail corpus is missing: expected it at {CORPUS}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def corpus_names(suffix: str) -> list[str]:
    if not CORPUS.is_dir():
        return [MISSING]  # one test that fails (CI) or skips, instead of none at all
    return sorted(path.name.removesuffix(suffix) for path in CORPUS.glob(f"*{suffix}"))


class _RubyYamlLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Reads Zammad's Ruby-flavoured YAML (tagged hashes, !binary strings)."""


_RubyYamlLoader.add_constructor(
    "!ruby/hash:ActiveSupport::HashWithIndifferentAccess",
    lambda loader, node: loader.construct_mapping(node, deep=True),
)
_RubyYamlLoader.add_constructor(
    "!binary",
    lambda loader, node: base64.b64decode(loader.construct_scalar(node)),
)


@cache
def raw_mail(name: str) -> bytes:
    return (corpus_dir() / f"{name}.box").read_bytes()


@cache
def parsed(name: str) -> ParsedMail:
    return parse_mail(raw_mail(name))


@cache
def expected(name: str) -> dict[str, Any]:
    with (corpus_dir() / f"{name}.yml").open(encoding="utf-8") as file:
        data = yaml.load(file, Loader=_RubyYamlLoader)
    assert isinstance(data, dict)
    return data


def squash(text: str | None) -> str:
    """Whitespace runs (line breaks, no-break and ideographic spaces) become one space."""
    return " ".join((text or "").split())


def lower_domain(address: str) -> str:
    """tix lowercases the domain of every address (the local part is kept as written)."""
    local, at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}" if at else address


# --- where tix reads a mail differently from Zammad ---------------------------------------

DEVIATIONS: dict[str, str] = {
    "mail014": "':' is replaced in file names (Windows reserves it for drives and streams)",
    "mail017": "the .yml has 离 where the .box's base64 decodes to 釻 (corpus copy artefact)",
    "mail019": "tix drops the HTML <title> (a mail client does not show it); Zammad keeps it",
    "mail025": "tix extracts the uuencoded block into an attachment; Zammad leaves it as text",
    "mail026": "tix drops the HTML <title> (a mail client does not show it); Zammad keeps it",
    "mail032": "GB2312 0xA1AA is U+2014 EM DASH (GB18030/WHATWG); Zammad's table gives U+2015",
    "mail046": "the raw 8-bit From name is GB2312 (武兰成); Zammad read it as ISO-8859-2",
    "mail065": "the encoded word holding a comma is decoded whole; Zammad splits it at the comma",
    "mail072": "windows-1258 is decoded as such; Zammad fell back to ISO-8859-2 (ŕ for à)",
    "mail076": "the stray '>' after the address is dropped, and there is no display name",
    "mail087": "'Test test@example.com' is name + address; the untyped part is text/plain body",
    "mail092": "the empty returned message is named from its Content-Description",
    "mail096": "a blank Message-ID is None; Zammad invents one (the caller decides in tix)",
    "mail097": "a missing Message-ID is None; Zammad invents one (the caller decides in tix)",
    "mail105": "a multipart without boundaries is read as its text body, not as a 'file'",
    "mail117": "encoded words in the address are kept as written (RFC 2047 forbids them there)",
    "mail118": "encoded words in the address are kept as written (RFC 2047 forbids them there)",
}

_Override = str | None | list[str] | Callable[[str], str]

# What tix produces for the deviating fields. A callable maps Zammad's (squashed) body
# text to tix's, to show exactly where the two differ.
TIX_RESULTS: dict[str, dict[str, _Override]] = {
    "mail014": {
        "attachments": [
            "Neue Anfrage erstellt - 33284.eml",
            "Call_ HW-Anforderung; Best-nr.47524152.eml",
        ]
    },
    "mail017": {"body": lambda zammad: zammad.replace("但离", "但釻")},
    "mail019": {"body": lambda zammad: zammad.removeprefix("新建网页 4 ")},
    "mail025": {"body": "", "attachments": ["rulesets-report.csv"]},
    "mail026": {"body": lambda zammad: zammad.removeprefix("Ihre Rechnung als PDF-Dokument")},
    "mail032": {"body": lambda zammad: zammad.replace("\u2015", "\u2014")},
    "mail046": {"from_display_name": "ÎäŔźłÉ".encode("iso-8859-2").decode("gb18030")},
    "mail065": {"from_display_name": "Bürling, Andreas"},
    "mail072": {"body": lambda zammad: zammad.encode("iso-8859-2").decode("cp1258")},
    "mail076": {
        "from_email": '"Millions Lottery Spain transfer"@example.com',
        "from_display_name": "",
    },
    "mail087": {
        "from_email": "test@example.com",
        "from_display_name": "Test",
        "body": "Sehr geehrter Kunde, Sie haben soeben ein neues Fax von +491234, fuer "
        "Rufnummer 012347 empfangen. Empfangszeit: Thursday, January 23 2020, at 03:39 PM "
        "Absender: +491234 Empfaenger: 01234",
        "attachments": ["fax_1234.pdf"],
    },
    "mail092": {"attachments": ["Delivery report.txt", "Undelivered Message.eml"]},
    "mail096": {"message_id": None},
    "mail097": {"message_id": None},
    "mail105": {
        # the same words as mail065, which is the same mail with a proper structure
        "body": "äöüß ad asd -Martin -- Old programmers never die. They just branch to a new "
        "address.",
        "attachments": [],
    },
    "mail117": {"from_email": "=?utf-8?Q?attacker?Q?agent?=@victim.example"},
    "mail118": {"from_email": "=?utf-8?Q?agent?=@example.com"},
}


def test_every_deviation_has_a_reason_and_a_result() -> None:
    assert DEVIATIONS.keys() == TIX_RESULTS.keys()
    assert all(reason.strip() for reason in DEVIATIONS.values())


def _expectation(name: str) -> dict[str, Any]:
    """Zammad's expectation, with tix's own result for the fields it deviates in."""
    want = dict(expected(name))
    for key, value in TIX_RESULTS.get(name, {}).items():
        if key == "body" and callable(value):
            want["tix_body"] = value(_zammad_body_text(name, parsed(name)))
        elif key == "body":
            want["tix_body"] = value
        elif key == "attachments":
            want["tix_attachments"] = value
        else:
            want[key] = value
    return want


def _zammad_body_text(name: str, mail: ParsedMail) -> str:
    data = expected(name)
    body = data.get("body")
    if body is None or body == "no visible content":
        return ""
    if _compared_as_html(name, mail):
        return squash(html_to_text(body))
    return squash(body)


def _compared_as_html(name: str, mail: ParsedMail) -> bool:
    data = expected(name)
    if data.get("content_type") == "text/html":
        return True
    return data.get("content_type") is None and mail.html is not None


def _tix_body_text(name: str, mail: ParsedMail) -> str:
    if _compared_as_html(name, mail):
        # Zammad's body is its sanitised HTML; compare the text both HTML versions show.
        return squash(html_to_text(mail.html or ""))
    return squash(mail.text)


def compare_with_expectation(
    name: str, mail: ParsedMail, want: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """What tix read and what `want` expects, for each field `want` checks.

    `want` is Zammad's .yml (`expected`) or that with tix's deliberate deviations
    (`_expectation`). Used by the corpus test and by bench/corpus_fidelity.py.
    """
    fields: dict[str, tuple[Any, Any]] = {}
    if "from_email" in want:
        fields["from"] = (
            mail.sender.address if mail.sender else None,
            lower_domain(want["from_email"]),
        )
    if "from_display_name" in want:
        fields["from name"] = (mail.sender.name if mail.sender else None, want["from_display_name"])
    if "subject" in want:
        fields["subject"] = (squash(mail.subject), squash(want["subject"]))
    if "message_id" in want:
        wanted_id = want["message_id"]
        fields["message id"] = (mail.message_id, wanted_id.strip("<>") if wanted_id else None)
    if "date" in want and want["date"] is None:
        fields["date"] = (mail.date, None)

    if "tix_body" in want:
        fields["body"] = (_tix_body_text(name, mail), squash(want["tix_body"]))
    elif want.get("body") is not None:
        fields["body"] = (_tix_body_text(name, mail), _zammad_body_text(name, mail))

    for key, addresses in (("to", mail.to), ("cc", mail.cc), ("reply-to", mail.reply_to)):
        if key in want:
            written = (want[key] or "").lower()
            # every address tix read, and its name, appears in what Zammad read
            unseen = [
                str(address)
                for address in addresses
                if address.address.lower() not in written or address.name.lower() not in written
            ]
            fields[key] = ((bool(addresses), unseen), (bool(written.strip()), []))

    names = [attachment.filename for attachment in mail.attachments]
    if "tix_attachments" in want:
        fields["attachments"] = (names, want["tix_attachments"])
    elif "attachments" in want:
        # Zammad stores the HTML alternative as an extra "message.html"; tix keeps it as .html
        zammad = [
            attachment
            for attachment in want["attachments"]
            if not (attachment.get("preferences") or {}).get("content-alternative")
        ]
        fields["attachments"] = (names, [attachment["filename"] for attachment in zammad])
        if len(zammad) == len(mail.attachments):
            ours_data: list[bytes] = []
            theirs_data: list[bytes] = []
            for theirs, ours in zip(zammad, mail.attachments, strict=True):
                data = theirs.get("data")
                if data is None or ours.content_type == "message/rfc822":
                    continue  # Zammad re-serialises attached messages its own way
                ours_data.append(ours.data)
                theirs_data.append(data.encode("utf-8") if isinstance(data, str) else data)
            if theirs_data:
                fields["attachment data"] = (ours_data, theirs_data)
    return fields


# --- the corpus -----------------------------------------------------------------------


def test_corpus_is_complete() -> None:
    folder = corpus_dir()
    boxes = {path.stem for path in folder.glob("*.box")}
    ymls = {path.stem for path in folder.glob("*.yml")}
    assert boxes == ymls
    assert len(boxes) == 70


@pytest.mark.parametrize("name", corpus_names(".box"))
def test_every_corpus_mail_parses(name: str) -> None:
    if name == MISSING:
        corpus_dir()
    mail = parsed(name)
    assert isinstance(mail, ParsedMail)
    strings = [
        mail.subject,
        mail.text,
        mail.html or "",
        *mail.headers.values(),
        *(attachment.filename for attachment in mail.attachments),
    ]
    for address in (*mail.to, *mail.cc, *mail.reply_to, *([mail.sender] if mail.sender else [])):
        strings += [address.name, address.address]
    for text in strings:
        text.encode("utf-8")  # no lone surrogates from undecodable bytes
        assert "\x00" not in text
    for attachment in mail.attachments:
        assert attachment.filename
        assert "/" not in attachment.filename
        assert "\\" not in attachment.filename
        assert attachment.content_type == attachment.content_type.lower()
        assert attachment.content_type.count("/") == 1
    if mail.date is not None:
        assert mail.date.tzinfo is UTC


@pytest.mark.parametrize("name", corpus_names(".yml"))
def test_corpus_mail_matches_zammad(name: str) -> None:
    if name == MISSING:
        corpus_dir()
    for field_name, (tix, wanted) in compare_with_expectation(
        name, parsed(name), _expectation(name)
    ).items():
        assert tix == wanted, field_name


# --- specific corpus cases --------------------------------------------------------------


def test_alternative_keeps_text_part_and_sanitised_html() -> None:
    mail = parsed("mail001")
    assert mail.text.startswith("Hallo Martin,")
    assert "Tel.: +49 001 000 46" in mail.text  # the text part, which differs from the HTML
    assert mail.html is not None
    assert "7601 462" in mail.html
    assert "<head" not in mail.html
    assert "style=" not in mail.html or "position" not in mail.html


def test_text_and_html_parts_are_combined_in_order() -> None:
    mail = parsed("mail112")
    assert squash(mail.text) == (
        "This is the html message part This is the text part This is the html part (signature)"
    )
    assert mail.html is not None
    assert mail.html.index("html message part") < mail.html.index("text part")
    assert mail.html.index("text part") < mail.html.index("(signature)")


def test_inline_image_referenced_by_cid() -> None:
    mail = parsed("mail079")
    [image] = mail.attachments
    assert image.filename == "a.jpg"
    assert image.content_type == "image/jpeg"
    assert image.content_id == "5EF92182-3261-44C7-9835-E8A922AB4976@openvpn"
    assert image.inline
    assert image.data.startswith(b"\xff\xd8")
    assert mail.html is not None
    assert 'src="cid:5EF92182-3261-44C7-9835-E8A922AB4976@openvpn"' in mail.html


def test_forwarded_messages_become_eml_attachments() -> None:
    mail = parsed("mail014")
    assert [attachment.content_type for attachment in mail.attachments] == ["message/rfc822"] * 2
    forwarded = parse_mail(mail.attachments[0].data)
    assert forwarded.subject == "Neue Anfrage erstellt - 33284"
    assert not mail.bounced_message_ids  # not a bounce


def test_bounce_reports_the_returned_message_id() -> None:
    mail = parsed("mail033-undelivered-mail-returned-to-sender-notification")
    assert mail.bounce
    assert mail.is_automatic
    assert mail.bounced_message_ids == (
        "notification.20150830145600.1.4.5f4fd063-f69b-4e64-a92d-5e7128bd6682@127.0.0.1:3000",
    )
    assert [attachment.content_type for attachment in mail.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]
    assert parsed("mail055").bounced_message_ids == ("20170526150141.232.13312@example.zammad.loc",)


def test_uuencoded_block_in_text_becomes_an_attachment() -> None:
    mail = parsed("mail025")
    assert mail.text == ""
    [attachment] = mail.attachments
    assert attachment.filename == "rulesets-report.csv"
    assert attachment.content_type == "text/csv"
    assert attachment.data == (
        b"RULESET_ID;NAME;ACTIV;RUN_MODE;AUDIT_MODIFY_DATE\n"
        b"387;DP DHL JOIN - EN : Einladung eAC;T;SM;17.09.14\n"
    )


def test_x_uuencode_transfer_encoding() -> None:
    [attachment] = parsed("mail078-content_transfer_encoding_x_uuencode").attachments
    assert attachment.data == b"Hello Zammad"
    assert attachment.content_type == "application/msword"


def test_broken_base64_is_decoded_as_far_as_possible() -> None:
    broken, intact = parsed("mail028").attachments  # the first has one base64 digit too many
    assert len(broken.data) == len(intact.data) + 1
    assert intact.data.startswith(b"%PDF-1.4")
    assert intact.data.rstrip().endswith(b"%%EOF")


def test_headers_that_lost_their_folding_are_repaired() -> None:
    mail = parsed("mail068")  # junk first line, then unindented Received continuation lines
    assert mail.subject == "Contact from Server"
    assert mail.sender == Address("", "xxxxx@xxxxx.cz")
    assert mail.message_id == "20180802145828.58E7387959@mail.xxxxxx.cz"
    assert "Čtvrtek 2. srpna 2018" in mail.text


def test_body_without_blank_line_after_the_header_is_kept() -> None:
    mail = parse_mail(b"From: a@example.com\nSubject: x\nHello Bob,\nRegards: me\n")
    assert mail.subject == "x"
    assert mail.text == "Hello Bob,\nRegards: me"


def test_sender_falls_back_to_reply_to() -> None:
    assert parsed("mail016").sender == Address("", "vipyimin@126.com")  # no From at all
    assert parsed("mail019").sender == Address("", "vipyiming@126.com")  # From: "我" <>
    assert parsed("mail017").sender == Address("都琹", "ghgbwum@185.com.cn")  # 2nd From


def test_dates() -> None:
    assert parsed("mail074").date is None  # 29:24:05
    assert parsed("mail107").date == datetime(2023, 4, 7, 15, 30, 44, tzinfo=UTC)  # glued
    assert parsed("mail001").date == datetime(2012, 5, 3, 9, 36, 43, tzinfo=UTC)


def test_iso_2022_jp_with_nec_extensions_and_missing_label() -> None:
    assert parsed("mail099").text == "\u3000\u3000\u3000\u3000\u3000①１都３県の鯵と、"
    assert parsed("mail116").text.startswith("これはテストメールです。")
    assert parsed("mail093").subject == "ツール"  # raw Shift_JIS bytes in the header
    assert [str(address) for address in parsed("mail093").to] == ["駅北口 <foo@example.com>"]


def test_charsets_from_the_corpus() -> None:
    assert "Подскажите" in parsed("mail119").text  # Russian labelled ks_c_5601-1987
    assert parsed("mail031").text.startswith("▅")  # GBK-only characters labelled GB2312
    assert "suite à ma commande du 14 août 2018" in parsed("mail072").text  # windows-1258


# --- unit tests ---------------------------------------------------------------------------


def _mail(headers: str, body: bytes = b"Hello\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\x01garbage", b"just some text\n"])
def test_unparseable_input(raw: bytes) -> None:
    with pytest.raises(UnparseableMail):
        parse_mail(raw)


def test_over_deep_nesting_is_unparseable() -> None:
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (level, level)
        for level in range(60)
    )
    with pytest.raises(UnparseableMail):
        parse_mail(b"From: a@example.com\nSubject: deep\n" + nested + b"\nbottom\n")


def test_minimal_mail() -> None:
    mail = parse_mail(_mail("From: Anna <anna@Example.COM>\nSubject: Hi"))
    assert mail.sender == Address("Anna", "anna@example.com")
    assert mail.subject == "Hi"
    assert mail.text == "Hello"
    assert mail.html is None
    assert mail.message_id is None
    assert mail.date is None
    assert not mail.is_automatic


def test_message_ids_and_threading_headers() -> None:
    mail = parse_mail(
        _mail(
            "From: a@example.com\nMessage-ID: <abc@example.com>\n"
            "In-Reply-To: <p1@example.com> (Anna's message)\n"
            "References: <r1@example.com>\n <r2@example.com>\nReferences: <r3@example.com>"
        )
    )
    assert mail.message_id == "abc@example.com"
    assert mail.in_reply_to == ("p1@example.com",)
    assert mail.references == ("r1@example.com", "r2@example.com", "r3@example.com")
    assert parse_message_ids("   ") == ()
    assert parse_message_ids("bare@example.com") == ("bare@example.com",)
    assert parse_message_ids("<a@x> <a@x>") == ("a@x",)


def test_subject_whitespace_and_encoded_words() -> None:
    mail = parse_mail(
        _mail(
            "From: a@example.com\nSubject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?=\n =?utf-8?B?IGF1cw==?=\t x"
        )
    )
    assert mail.subject == "Grüße aus x"
    # a multi-byte character split across two encoded words
    assert decode_header("=?UTF-8?B?w6Q=?= =?UTF-8?B?w7Y=?=") == "äö"
    assert decode_header("=?utf-8?B?ww==?= =?utf-8?B?pA==?=") == "ä"


def test_control_characters_c0_and_c1_alike_never_leave_the_parser() -> None:
    words = base64.b64encode("Pump \x1b[2J\x9b31m\x07leaks\x1fnow\x85!".encode()).decode()
    body = "Hello \x1b]0;owned\x07\xc2\x9b2J\ttabbed\x0cpage two\x00\r\nbye\xc2\x85end"
    mail = parse_mail(
        f"From: a@example.com\r\nSubject: =?utf-8?B?{words}?=\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n".encode()
        + body.encode("latin-1")
    )
    assert mail.subject == "Pump [2J31mleaks now !"
    assert mail.text == "Hello ]0;owned2J\ttabbed\npage two\nbye\nend"


def test_headers_mapping() -> None:
    mail = parse_mail(
        _mail("From: a@example.com\nX-Tix-Ticket: 1042\nX-Loop: tix\nPrecedence: Bulk")
    )
    assert mail.headers["x-tix-ticket"] == "1042"
    assert mail.headers["x-loop"] == "tix"
    assert mail.headers["precedence"] == "Bulk"
    with pytest.raises(TypeError):
        mail.headers["x-loop"] = "changed"  # type: ignore[index]


@pytest.mark.parametrize(
    ("header", "addresses"),
    [
        ("Anna <anna@example.com>", [("Anna", "anna@example.com")]),
        ('"Müller, Bernd" <B.Mueller@Example.com>', [("Müller, Bernd", "B.Mueller@example.com")]),
        ("anna@example.com (Anna Smith)", [("Anna Smith", "anna@example.com")]),
        ("Test test@example.com", [("Test", "test@example.com")]),
        (
            "=?iso-8859-1?Q?B=FCrling,=20Andreas?= <s@example.com>",
            [("Bürling, Andreas", "s@example.com")],
        ),
        ("a@example.com, B <b@example.com>", [("", "a@example.com"), ("B", "b@example.com")]),
        ("Team: a@example.com, b@example.com;", [("", "a@example.com"), ("", "b@example.com")]),
        ("undisclosed-recipients:;", []),
        ("xxx", []),
        ('"Name" <>', []),
        ("=?utf-8?Q?agent?=@example.com", [("", "=?utf-8?Q?agent?=@example.com")]),
        ("<@relay.example:anna@example.com>", [("", "anna@example.com")]),
        ('"=?utf-8?B?5oiR?=" <me@example.com>', [("我", "me@example.com")]),
    ],
)
def test_parse_addresses(header: str, addresses: list[tuple[str, str]]) -> None:
    assert [(a.name, a.address) for a in parse_addresses(header)] == addresses


def test_raw_8bit_address_header() -> None:
    mail = parse_mail(b"From: J\xfcrgen M\xfcller <jm@example.com>\r\nSubject: x\r\n\r\nhi\r\n")
    assert mail.sender == Address("Jürgen Müller", "jm@example.com")


def test_address_str() -> None:
    assert str(Address("", "a@example.com")) == "a@example.com"
    assert str(Address("Anna Smith", "a@example.com")) == "Anna Smith <a@example.com>"
    assert str(Address('Smith, "A"', "a@example.com")) == '"Smith, \\"A\\"" <a@example.com>'


def test_parse_date() -> None:
    assert parse_date("Thu, 3 May 2012 11:36:43 +0200") == datetime(
        2012, 5, 3, 9, 36, 43, tzinfo=UTC
    )
    assert parse_date("3 May 2012 11:36:43 -0000") == datetime(2012, 5, 3, 11, 36, 43, tzinfo=UTC)
    assert parse_date("Thu, 3 May 2012 29:24:05 +0200") is None
    assert parse_date("yesterday") is None
    assert parse_date(None) is None


def test_rfc2231_and_raw_8bit_filenames() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*0*=utf-8''Gr%C3%BC; filename*1=\"sse.pdf\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n"
        b'--b\r\nContent-Type: application/octet-stream; name="R\xe9sum\xe9.doc"\r\n\r\nx\r\n'
        b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nx\r\n"
        b"--b--\r\n"
    )
    mail = parse_mail(raw)
    assert mail.text == "body"
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("Grüsse.pdf", "application/pdf"),
        ("Résumé.doc", "application/octet-stream"),
        ("attachment.png", "image/png"),
    ]
    assert mail.attachments[0].data == b"%PDF"


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        ("Привет".encode("cp949"), "ks_c_5601-1987", "Привет"),
        ("Grüße".encode("cp1252"), "x-unknown", "Grüße"),
        ("Grüße".encode(), "iso-8859-1", "Grüße"),  # UTF-8 mislabelled as Latin-1
        (b"caf\xe9 \x80", "iso-8859-1", "café €"),  # Latin-1 label, windows-1252 bytes
        ("août à".encode("cp1258"), "windows-1258", "août à"),
        ("數據".encode("gbk"), "gb2312", "數據"),  # GBK-only characters labelled GB2312
        (b"\x1b$B-!\x1b(B", "iso-2022-jp", "①"),  # NEC row 13 in ISO-2022-JP
        (b"\x1b$B$3$s$K$A$O\x1b(B", None, "こんにちは"),  # ISO-2022-JP without a label
        ("ツール".encode("cp932"), "iso-2022-jp", "ツール"),  # Shift_JIS labelled ISO-2022-JP
        ("转发：整体提升企业服务水平".encode("gb2312"), None, "转发：整体提升企业服务水平"),
        (
            "お問い合わせありがとうございます".encode("cp932"),
            None,
            "お問い合わせありがとうございます",
        ),
        ("Réclamation n° 42".encode("cp1252"), None, "Réclamation n° 42"),
        ("Добрый день, как дела?".encode("cp1251"), None, "Добрый день, как дела?"),
        (b"plain", "no-such-charset", "plain"),
        ("utf-16 text".encode("utf-16"), "utf-16", "utf-16 text"),
    ],
)
def test_decode_bytes(data: bytes, charset: str | None, text: str) -> None:
    assert decode_bytes(data, charset) == text


def test_decode_bytes_replaces_only_as_a_last_resort() -> None:
    assert decode_bytes(b"\xff\xfe\xfd", "utf-8")  # a string, no exception
    assert decode_bytes(b"ok \x81\x8d", "windows-1252") == "ok \x81\x8d"  # Latin-1 keeps all


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=200),
    charset=st.sampled_from(
        [
            None,
            "utf-8",
            "gb2312",
            "iso-2022-jp",
            "shift_jis",
            "ks_c_5601-1987",
            "utf-16",
            "x-unknown",
            "windows-1258",
            "utf-7",
            "base64",
            "rot13",
            "zlib",
            "idna",
        ]
    ),
)
def test_decode_bytes_never_raises(data: bytes, charset: str | None) -> None:
    decode_bytes(data, charset).encode("utf-8")


def test_format_flowed() -> None:
    flowed = "This is a \nlong line.\n> quoted \n> text\n-- \nSig\n From here\n"
    assert unflow(flowed) == "This is a long line.\n> quoted text\n-- \nSig\nFrom here\n"
    assert unflow("one \ntwo", delete_space=True) == "onetwo"
    mail = parse_mail(
        _mail(
            "From: a@example.com\nContent-Type: text/plain; charset=utf-8; format=flowed",
            b"Hello, this wraps \r\nnicely.\r\n",
        )
    )
    assert mail.text == "Hello, this wraps nicely."


def test_html_only_mail_gets_text_from_html() -> None:
    mail = parse_mail(
        _mail(
            "From: a@example.com\nContent-Type: text/html; charset=utf-8",
            b"<html><head><title>T</title><style>p{}</style></head><body><p>Hi <b>there</b></p>"
            b"<script>alert(1)</script><img src=http://tracker.example/p.gif></body></html>",
        )
    )
    assert mail.text == "Hi there"
    assert mail.html == "<p>Hi <b>there</b></p><img>"


def test_html_charset_from_meta_tag() -> None:
    mail = parse_mail(
        _mail(
            "From: a@example.com\nContent-Type: text/html",
            b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
            b"<p>Gr\xfc\xdfe</p>",
        )
    )
    assert mail.text == "Grüße"


def test_empty_text_alternative_falls_back_to_html() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\n \r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>From the HTML</p>\r\n--b--\r\n"
    )
    assert parse_mail(raw).text == "From the HTML"


def test_calendar_invite_in_alternative_is_kept() -> None:
    raw = (
        b"From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nInvite\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>Invite</p>\r\n"
        b"--b\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\n--b--\r\n"
    )
    mail = parse_mail(raw)
    assert mail.text == "Invite"
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("attachment.ics", "text/calendar")
    ]


def test_pgp_encrypted_mail_keeps_only_the_encrypted_data() -> None:
    mail = parsed("mail042")
    assert mail.text == ""
    assert [a.filename for a in mail.attachments] == ["encrypted.asc"]


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@b\nContent-Type: text/html\n\n" + b"<div>" * 100_000 + b"deep",
        b"From: "
        + b'"a' * 50_000
        + b"\nTo: "
        + b"(" * 50_000
        + b"\nSubject: "
        + b"=?" * 50_000
        + b"\nContent-Type: "
        + b"(" * 50_000
        + b"\n\nx",
        b"From: a@b\nContent-Type: text/plain\n\nbegin 644 a" + b" " * 100_000 + b"x\n",
        b"From: a@b\nContent-Type: text/plain; format=flowed\n\n" + b"> " * 100_000 + b"\n",
        b"From: a@b\nContent-Type: multipart/mixed\n\n" + b"--x\n\n" * 100_000,
        b"From: a@b\nContent-Type: multipart/mixed\n\n" + b"--x\nA: b\n\nt\n" * 20_000,
    ],
    ids=[
        "nested-html",
        "huge-headers",
        "uu-begin-line",
        "deep-quote",
        "boundary-less-dash-lines",
        "boundary-less-parts",
    ],
)
def test_hostile_input_is_handled_quickly(raw: bytes) -> None:
    started = time.perf_counter()
    parse_mail(raw)
    assert time.perf_counter() - started < 5  # seconds; well under 1 on any machine


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_are_unparseable(raw: bytes) -> None:
    try:
        mail = parse_mail(raw)
    except UnparseableMail:
        return
    mail.text.encode("utf-8")
    mail.subject.encode("utf-8")


def _mutations() -> st.SearchStrategy[bytes]:
    pieces = st.sampled_from(
        [b"=?utf-8?B?", b"?=", b"\r\n", b"\n\n", b"--b\n", b"begin 644 a\n", b"\x1b$B", b"<",
         b'"', b"(", b";", b"filename*0*=", b"\xff\xfe", b"\x00", b"=\n", b"Content-Type: "]
    )  # fmt: skip
    return st.lists(st.one_of(pieces, st.binary(max_size=20)), max_size=40).map(b"".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_mutations(), headers=_mutations())
def test_mangled_mime_never_crashes(body: bytes, headers: bytes) -> None:
    raw = (
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n"
        + headers
        + b"\n\n--b\nContent-Type: text/plain; charset=gb2312\n\n"
        + body
        + b"\n--b\nContent-Type: message/rfc822\n\n"
        + headers
        + b"\n\n"
        + body
    )
    try:
        mail = parse_mail(raw)
    except UnparseableMail:
        return
    for attachment in mail.attachments:
        assert attachment.filename


def test_policy_default_sees_the_same_structure() -> None:
    """The parser uses the compat32 policy for speed; the MIME tree is the same."""
    raw = raw_mail("mail039")
    strict = email.message_from_bytes(raw, policy=email.policy.default)
    fast = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert [part.get_content_type() for part in strict.walk()] == [
        part.get_content_type() for part in fast.walk()
    ]
