"""Mails that careless or broken mailers write, read as well as the best parsers read them.

Each mail here is written for this test. Where Python's ``email`` package (policy
default) reads one of them too, tix must read at least as much: the same body text, the
same attachments. Most of them Python reads worse: it shows a broken multipart as no body
at all, or loses every header after a broken first line.
"""

from __future__ import annotations

import email
import email.policy

import pytest

from tests.core.mail.test_ingest import _detail, _ingest
from tix.core.mail.parse import ParsedMail, decode_bytes, decode_header, parse_mail
from tix.core.models import ImportStatus

GREETING = "Grüße aus Köln"

_HEADER = (
    b"From: Anna Berg <anna@example.com>\r\n"
    b"To: support@tix.test\r\n"
    b"Subject: Pumpe\r\n"
    b"Message-ID: <fidelity@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
)

_PDF_PART = (
    b'Content-Type: application/pdf; name="Angebot.pdf"\r\n'
    b'Content-Disposition: attachment; filename="Angebot.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
)
_PDF = ("Angebot.pdf", "application/pdf", b"%PDF-1.4\n")

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_PART = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"


def _text_and_pdf(boundary: bytes) -> bytes:
    """A text part and a PDF, separated by `boundary`."""
    return (
        b"This is a multi-part message in MIME format.\r\n"
        b"\r\n"
        b"--" + boundary + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n" + GREETING.encode() + b"\r\n"
        b"--" + boundary + b"\r\n" + _PDF_PART + b"--" + boundary + b"--\r\n"
    )


def _files(mail: ParsedMail) -> list[tuple[str, str, bytes]]:
    return [(a.filename, a.content_type, a.data) for a in mail.attachments]


def _python_body(raw: bytes) -> str | None:
    """The body Python's email package finds (policy default), or None."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    return None if body is None else str(body.get_content()).strip()  # type: ignore[attr-defined]


def _shows_no_mime(text: str) -> None:
    assert "--" not in text
    assert "Content-Type" not in text
    assert "Content-Transfer-Encoding" not in text


# --- charsets ------------------------------------------------------------------------------


MISLABELLED_BYTE = (
    _HEADER + b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + GREETING.encode() + b" \xff\r\n"
)


def test_a_declared_charset_is_kept_when_one_byte_does_not_fit() -> None:
    mail = parse_mail(MISLABELLED_BYTE)
    assert mail.text == GREETING + " \ufffd"  # not 'GrГјГџe aus KГ¶ln я'
    assert _python_body(MISLABELLED_BYTE) == mail.text


def test_a_declared_charset_is_kept_in_encoded_words_and_quoted_printable() -> None:
    assert decode_header("=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln_=FF?=") == GREETING + " \ufffd"
    raw = (
        _HEADER + b"Content-Type: text/plain; charset=UTF-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b"\r\n"
        b"Gr=C3=BC=C3=9Fe aus K=C3=B6ln=E4\r\n"
    )
    assert parse_mail(raw).text == GREETING + "\ufffd"


@pytest.mark.parametrize(
    ("data", "charset", "text"),
    [
        (GREETING.encode() + b"\xff", "utf-8", GREETING + "\ufffd"),
        ("数据".encode("gb18030") + b"\xff", "gb2312", "数据\ufffd"),
        ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
        # no declared charset, or an unknown one: guessed
        (GREETING.encode("cp1252"), None, GREETING),
        (GREETING.encode("cp1252"), "x-no-such-charset", GREETING),
        (GREETING.encode(), "x-unknown", GREETING),
        # windows-1252 leaves five bytes undefined: they keep their Latin-1 meaning
        (b"caf\xe9 \x80 \x81", "windows-1252", "café € \x81"),
    ],
)
def test_only_a_missing_or_unknown_charset_is_guessed(
    data: bytes, charset: str | None, text: str
) -> None:
    assert decode_bytes(data, charset) == text


# --- broken multipart structures -------------------------------------------------------------

_BROKEN_MULTIPARTS = {
    "semicolon missing before the boundary": (
        b'Content-Type: multipart/mixed boundary="=_b7f3"\r\n\r\n' + _text_and_pdf(b"=_b7f3")
    ),
    "boundary folded inside its value": (
        b"Content-Type: multipart/mixed;\r\n"
        b'\tboundary="----=_Part_4711_\r\n\t1199.1764923423"\r\n\r\n'
        + _text_and_pdf(b"----=_Part_4711_1199.1764923423")
    ),
    "no boundary parameter": (
        b"Content-Type: multipart/mixed\r\n\r\n" + _text_and_pdf(b"----=_NextPart_000_0001")
    ),
    "inner multipart without boundary": (
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"--outer\r\nContent-Type: multipart/alternative\r\n\r\n"
        b"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + GREETING.encode()
        + b"\r\n--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>"
        + GREETING.encode()
        + b"</p>\r\n--inner--\r\n"
        b"--outer\r\n" + _PDF_PART + b"--outer--\r\n"
    ),
    "declared boundary a prefix of the one the lines use": (
        b'Content-Type: multipart/mixed; boundary="=_b7f3"\r\n\r\n' + _text_and_pdf(b"=_b7f3_1")
    ),
    "boundary parameter that no line uses": (
        b'Content-Type: multipart/mixed; boundary="=_elsewhere"\r\n\r\n' + _text_and_pdf(b"=_b7f3")
    ),
}


@pytest.mark.parametrize("raw", _BROKEN_MULTIPARTS.values(), ids=_BROKEN_MULTIPARTS.keys())
def test_a_broken_multipart_is_recovered(raw: bytes) -> None:
    mail = parse_mail(_HEADER + raw)
    assert mail.text == GREETING
    _shows_no_mime(mail.text)
    assert _files(mail) == [_PDF]


PREFIX_BOUNDARIES = _HEADER + (
    b'Content-Type: multipart/mixed; boundary="=_b"\r\n\r\n'
    b"--=_b\r\n"
    b'Content-Type: multipart/alternative; boundary="=_b-1"\r\n\r\n'
    b"--=_b-1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    + GREETING.encode()
    + b"\r\n--=_b-1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>"
    + GREETING.encode()
    + b"</p>\r\n--=_b-1\r\n"
    b"--=_b\r\n" + _PDF_PART + b"--=_b--\r\n"
)


LOST_SEMICOLONS = _HEADER + (
    b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    b"--mix\r\nContent-Type: text/plain\r\n\r\nHallo\r\n"
    b"--mix\r\nContent-Type: application/pdf\r\n"
    b'Content-Disposition: attachment filename="Angebot.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
    b'--mix\r\nContent-Type: text/plain charset="utf-8"\r\n\r\n'
    + GREETING.encode()
    + b"\r\n--mix--\r\n"
)


def test_a_parameter_after_a_lost_semicolon_is_read_in_every_part() -> None:
    mail = parse_mail(LOST_SEMICOLONS)
    assert mail.text == f"Hallo\n\n{GREETING}"
    assert _files(mail) == [_PDF]


def test_boundaries_that_are_prefixes_of_each_other() -> None:
    mail = parse_mail(PREFIX_BOUNDARIES)
    assert mail.text == GREETING
    assert mail.html == f"<p>{GREETING}</p>"
    assert _files(mail) == [_PDF]


def test_a_lone_signature_dash_line_is_not_taken_for_a_boundary() -> None:
    raw = _HEADER + b"Content-Type: multipart/mixed\r\n\r\nHallo,\r\n--\r\nAnna\r\n-- \r\nBerg\r\n"
    assert parse_mail(raw).text == "Hallo,\n--\nAnna\n-- \nBerg"


# --- nested alternatives ---------------------------------------------------------------------


TEXT_INSIDE_MIXED = _HEADER + (
    b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    b'--alt\r\nContent-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    b"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Die Pumpe tropft.\r\n(Foto im Anhang)\r\n"
    b"--mix\r\n" + _PNG_PART + b'Content-Disposition: inline; filename="Pumpe.png"\r\n\r\n'
    b"iVBORw0KGgo=\r\n"
    b"--mix--\r\n"
    b'--alt\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n'
    b"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Die <b>Pumpe</b> tropft.<img src="cid:pumpe@example.com"></p>\r\n'
    b"--rel\r\n" + _PNG_PART + b"Content-ID: <pumpe@example.com>\r\n\r\niVBORw0KGgo=\r\n"
    b"--rel--\r\n"
    b"--alt--\r\n"
)


def test_the_text_alternative_is_found_inside_a_mixed_part() -> None:
    # Apple Mail and Outlook: the text side carries the picture too, as a file
    mail = parse_mail(TEXT_INSIDE_MIXED)
    assert mail.text == "Die Pumpe tropft.\n(Foto im Anhang)"
    assert mail.html == '<p>Die <b>Pumpe</b> tropft.<img src="cid:pumpe@example.com"></p>'
    # the same picture on both sides is kept once: the one the HTML shows
    assert [(a.filename, a.data, a.inline) for a in mail.attachments] == [
        ("attachment.png", _PNG, True)
    ]


TWO_GROUPS = _HEADER + (
    b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    b'--mix\r\nContent-Type: multipart/alternative; boundary="a1"\r\n\r\n'
    b"--a1\r\nContent-Type: text/plain\r\n\r\nErster Teil\r\n"
    b'--a1\r\nContent-Type: multipart/related; boundary="r1"\r\n\r\n'
    b'--r1\r\nContent-Type: text/html\r\n\r\n<p>Erster <img src="cid:logo@x"></p>\r\n'
    b"--r1\r\n" + _PNG_PART + b"Content-ID: <logo@x>\r\n\r\niVBORw0KGgo=\r\n"
    b"--r1--\r\n"
    b"--a1--\r\n"
    b"--mix\r\n" + _PDF_PART + b'--mix\r\nContent-Type: multipart/alternative; boundary="a2"'
    b"\r\n\r\n"
    b"--a2\r\nContent-Type: text/plain\r\n\r\nZweiter Teil\r\n"
    b"--a2\r\nContent-Type: text/html\r\n\r\n<p>Zweiter <i>Teil</i></p>\r\n"
    b"--a2--\r\n"
    b"--mix--\r\n"
)


def test_each_alternative_group_gives_its_own_text() -> None:
    mail = parse_mail(TWO_GROUPS)
    assert mail.text == "Erster Teil\n\nZweiter Teil"
    assert mail.html == '<p>Erster <img src="cid:logo@x"></p><p>Zweiter <i>Teil</i></p>'
    assert [(a.filename, a.inline) for a in mail.attachments] == [
        ("attachment.png", True),
        ("Angebot.pdf", False),
    ]


NO_HTML_ALTERNATIVE = _HEADER + (
    b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    b"--alt\r\nContent-Type: text/plain\r\n\r\nSiehe Bild.\r\n"
    b'--alt\r\nContent-Type: multipart/related; boundary="rel"\r\n\r\n'
    b"--rel\r\nContent-Type: text/enriched\r\n\r\nSiehe <bold>Bild</bold>.\r\n"
    b"--rel\r\n" + _PNG_PART + b'Content-Disposition: inline; filename="Bild.png"\r\n'
    b"\r\niVBORw0KGgo=\r\n"
    b"--rel--\r\n"
    b"--alt--\r\n"
)


def test_inline_images_of_an_alternative_without_html_are_kept() -> None:
    mail = parse_mail(NO_HTML_ALTERNATIVE)
    assert mail.text == "Siehe Bild."
    assert _files(mail) == [("Bild.png", "image/png", _PNG)]


# --- inline text with a file name ------------------------------------------------------------


INLINE_LOG = _HEADER + (
    b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    b"--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDas Protokoll:\r\n"
    b'--mix\r\nContent-Type: text/plain; charset=utf-8; name="pumpe.log"\r\n'
    b'Content-Disposition: inline; filename="pumpe.log"\r\n\r\n'
    b"10:02 Druck 3,2 bar\r\n10:03 Druck 0,1 bar\r\n"
    b"--mix\r\n" + _PDF_PART + b"--mix--\r\n"
)


def test_inline_text_with_a_file_name_is_shown_and_kept_as_a_file() -> None:
    mail = parse_mail(INLINE_LOG)
    assert mail.text == "Das Protokoll:\n\n10:02 Druck 3,2 bar\n10:03 Druck 0,1 bar"
    assert _files(mail) == [
        ("pumpe.log", "text/plain", b"10:02 Druck 3,2 bar\r\n10:03 Druck 0,1 bar"),
        _PDF,
    ]


ATTACHED_LOG = _HEADER + (
    b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n'
    b"--mix\r\nContent-Type: text/plain\r\n\r\nAnbei das Protokoll.\r\n"
    b'--mix\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="a.log"'
    b"\r\n\r\nlog\r\n--mix--\r\n"
)


def test_text_attached_as_a_file_stays_out_of_the_body() -> None:
    mail = parse_mail(ATTACHED_LOG)
    assert mail.text == "Anbei das Protokoll."
    assert _files(mail) == [("a.log", "text/plain", b"log")]


# --- broken header blocks --------------------------------------------------------------------

_BROKEN_FIRST_LINES = {
    "byte order mark": b"\xef\xbb\xbf",
    "blank line": b"\r\n",
    "blank lines and a junk line": b"\r\n\r\n>From anna@example.com Tue Dec  1 10:00:00 2026\r\n",
    "control characters": b"\x00\x00",
}


@pytest.mark.parametrize("junk", _BROKEN_FIRST_LINES.values(), ids=_BROKEN_FIRST_LINES.keys())
def test_headers_after_a_broken_first_line_are_read(junk: bytes) -> None:
    mail = parse_mail(junk + _HEADER + b"Content-Type: text/plain\r\n\r\nHallo\r\n")
    assert mail.sender is not None
    assert (mail.sender.name, mail.sender.address) == ("Anna Berg", "anna@example.com")
    assert mail.subject == "Pumpe"
    assert mail.message_id == "fidelity@example.com"
    assert mail.text == "Hallo"


# --- against Python's email package -------------------------------------------------------

_ALL_MAILS = {
    "mislabelled byte": MISLABELLED_BYTE,
    **{name: _HEADER + raw for name, raw in _BROKEN_MULTIPARTS.items()},
    "lost semicolons": LOST_SEMICOLONS,
    "prefix boundaries": PREFIX_BOUNDARIES,
    "text inside mixed": TEXT_INSIDE_MIXED,
    "two groups": TWO_GROUPS,
    "alternative without html": NO_HTML_ALTERNATIVE,
    "inline log": INLINE_LOG,
    "attached log": ATTACHED_LOG,
    **{
        name: junk + _HEADER + b"Content-Type: text/plain\r\n\r\nHallo\r\n"
        for name, junk in _BROKEN_FIRST_LINES.items()
    },
}


@pytest.mark.parametrize("raw", _ALL_MAILS.values(), ids=_ALL_MAILS.keys())
def test_tix_reads_at_least_what_python_reads(raw: bytes) -> None:
    mail = parse_mail(raw)
    python = email.message_from_bytes(raw, policy=email.policy.default)
    if python["from"] is not None:
        assert mail.sender is not None
        assert mail.sender.address == python["from"].addresses[0].addr_spec
    body = _python_body(raw)
    if body and python["from"] is not None:  # else Python read the header block as text
        assert " ".join(body.split()) in " ".join(mail.text.split())
    python_files = [part.get_filename() for part in python.iter_attachments()]
    tix_files = [attachment.filename for attachment in mail.attachments]
    assert [name for name in python_files if name] == [
        name for name in tix_files if name in python_files
    ]


# --- through the whole import ----------------------------------------------------------------


@pytest.mark.parametrize("raw", _BROKEN_MULTIPARTS.values(), ids=_BROKEN_MULTIPARTS.keys())
def test_a_broken_multipart_becomes_a_clean_ticket(world, raw: bytes) -> None:
    status, number, _id = _ingest(world, _HEADER + raw)
    assert status == ImportStatus.IMPORTED and number is not None
    data = _detail(world, number)
    body = data["first_message"]["body"]
    assert body.strip() == GREETING
    _shows_no_mime(body)
    assert [attachment["name"] for attachment in data["first_message"]["attachments"]] == [
        "Angebot.pdf"
    ]
    assert [file["name"] for file in data["files"]] == ["Angebot.pdf"]


def test_a_mislabelled_byte_does_not_garble_the_ticket(world) -> None:
    status, number, _id = _ingest(world, MISLABELLED_BYTE)
    assert status == ImportStatus.IMPORTED and number is not None
    assert _detail(world, number)["first_message"]["body"].strip() == GREETING + " \ufffd"
