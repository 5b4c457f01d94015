"""A whole message: junk before the first header, header blocks that lost their folding,
the top-level headers, and `parse_mail`, which puts the parts together."""

from __future__ import annotations

import email
import email.policy
import re
from types import MappingProxyType

from tix.core.mail.html import referenced_content_ids
from tix.core.mail.loops import LOOP_HEADERS, classify
from tix.core.mail.parse.addresses import Address, is_usable, parse_addresses
from tix.core.mail.parse.charsets import codec_for
from tix.core.mail.parse.headers import (
    HEADER_LINE,
    Params,
    decode_header,
    parse_date,
    parse_message_ids,
)
from tix.core.mail.parse.mime import Piece, Walker, join_text, trim_body
from tix.core.mail.parse.result import Attachment, ParsedMail, UnparseableMail

__all__ = ["parse_mail"]

# Headers copied into ParsedMail.headers (first occurrence, decoded).
_KEPT_HEADERS = (
    *LOOP_HEADERS,
    "delivered-to",
    "envelope-to",
    "importance",
    "organization",
    "thread-index",
    "thread-topic",
    "user-agent",
    "x-mailer",
    "x-original-to",
    "x-priority",
    "x-spam-flag",
    "x-tix-notification",
    "x-tix-ticket",
)


_GLUED_JUNK = re.compile(rb"(?:\xef\xbb\xbf|[\x00-\x08\x0b-\x1f\x7f])+")


def _split_envelope(raw: bytes) -> tuple[str | None, bytes]:
    """Remove an mbox ``From `` line and junk before the first header: blank lines, a few
    lines that are not headers, a byte order mark or control characters."""
    envelope: str | None = None
    if raw.startswith(b"From "):
        line, _newline, rest = raw.partition(b"\n")
        envelope = line[5:].decode("ascii", "replace").strip()
        raw = rest
    start = 0
    junk_lines = 0
    for _ in range(10):  # a few junk lines at most, such as "---- Original message ----"
        end = raw.find(b"\n", start)
        line = raw[start : end if end >= 0 else len(raw)].rstrip(b"\r")
        # a byte order mark or control characters glued to the first header
        glued = _GLUED_JUNK.match(line)
        skip = glued.end() if glued else 0
        if HEADER_LINE.match(line[skip:]):
            return envelope, _repair_header_block(raw[start + skip :])
        if end < 0:
            break
        if line.strip():
            junk_lines += 1
            if junk_lines > 5:
                break
        elif junk_lines:
            break  # blank lines come first (gateways add them); after junk, a body starts
        start = end + 1
    return envelope, raw


_BLANK_LINE = re.compile(rb"\r?\n[ \t]*\r?\n")
_KNOWN_HEADER = re.compile(
    rb"(?:received|from|to|cc|subject|date|message-id|return-path|reply-to|sender"
    rb"|mime-version|references|in-reply-to|delivered-to|x-[\w-]+|content-[\w-]+)[ \t]*:",
    re.IGNORECASE,
)
_MAX_HEADER_BLOCK = 512 * 1024


def _repair_header_block(raw: bytes) -> bytes:
    """Indent stray lines inside the header block that lost their folding whitespace.

    Some gateways unfold "Received:" headers into lines without leading whitespace. The
    feed parser takes the first such line for the start of the body and loses every
    header after it, From and Subject included. Only a short run of such lines counts as
    lost continuation lines, and only when a well-known header follows it: a mail that
    has no blank line after its header keeps its body.
    """
    blank = _BLANK_LINE.search(raw, 0, _MAX_HEADER_BLOCK)
    end = blank.start() if blank else min(len(raw), _MAX_HEADER_BLOCK)
    lines = raw[:end].split(b"\n")
    stray: list[int] = []
    repaired = False
    for index, line in enumerate(lines):
        if HEADER_LINE.match(line):
            if stray and len(stray) <= 10 and _KNOWN_HEADER.match(line):
                for number in stray:
                    lines[number] = b" " + lines[number]
                repaired = True
            elif stray:
                break  # not a header after all: the body starts at the first stray line
            stray = []
        elif line.strip() and line[:1] not in (b" ", b"\t"):
            stray.append(index)
    if not repaired:
        return raw
    return b"\n".join(lines) + raw[end:]


class _TopHeaders:
    def __init__(self, message: email.message.Message) -> None:
        self.values: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            self.values.setdefault(name.strip().lower(), []).append(value)

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])


def _choose_sender(
    headers: _TopHeaders, envelope: str | None, charset: str | None
) -> Address | None:
    for name in ("from", "reply-to", "sender"):
        for value in headers.all(name):
            for address in parse_addresses(value, charset):
                if is_usable(address):
                    return address
    if envelope:
        candidate = envelope.split()[0] if envelope.split() else ""
        for address in parse_addresses(candidate, charset):
            if is_usable(address):
                return address
    return None


_BOUNCE_TEXT_ID = re.compile(r"^[ \t>]*message-id:[ \t]*<([^<>\s]+)>", re.I | re.M)


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse a raw RFC 5322 / MIME message (an mbox ``From `` line is allowed).

    Raises `UnparseableMail` only for bytes that are not a mail at all.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"parse_mail() needs bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise UnparseableMail("the message is empty")
    envelope, raw = _split_envelope(raw)
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError as error:
        raise UnparseableMail("MIME parts nested too deeply") from error
    headers = _TopHeaders(message)
    if not headers.values:
        raise UnparseableMail("the message has no header")

    top_type = Params(headers.first("content-type"), None)
    charset = top_type.get("charset")
    if codec_for(charset) is None:
        charset = None

    walker = Walker(charset)
    pieces: list[Piece] = []
    try:
        walker.walk(message, pieces)
    except RecursionError as error:
        raise UnparseableMail("MIME parts nested too deeply") from error

    has_html = any(piece.has_html() for piece in pieces)
    html = "".join(piece.as_html() for piece in pieces) if has_html else None
    text = trim_body(join_text(pieces))

    cited = referenced_content_ids(html) if html else frozenset()
    attachments = tuple(
        Attachment(
            filename=pending.filename,
            content_type=pending.content_type,
            data=pending.data,
            content_id=pending.content_id,
            inline=bool(pending.content_id and pending.content_id.lower() in cited),
        )
        for pending in walker.attachments
    )

    subject = decode_header(headers.first("subject") or "", charset)
    sender = _choose_sender(headers, envelope, charset)
    loop_values = {
        name: [decode_header(value, charset) for value in headers.all(name)]
        for name in LOOP_HEADERS
        if name in headers.values
    }
    classification = classify(
        loop_values,
        sender=sender.address if sender else None,
        subject=subject,
        content_type=top_type.value,
        report_type=(top_type.get("report-type") or "").lower() or None,
        has_delivery_status=walker.has_delivery_status,
    )
    bounced: tuple[str, ...] = ()
    if classification.bounce:
        returned = walker.returned_ids or _BOUNCE_TEXT_ID.findall(text)
        bounced = tuple(dict.fromkeys(returned))

    kept = {
        name: decode_header(headers.values[name][0], charset)
        for name in _KEPT_HEADERS
        if name in headers.values
    }

    message_ids = parse_message_ids(headers.first("message-id"))
    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=parse_message_ids(headers.first("in-reply-to")),
        references=parse_message_ids(" ".join(headers.all("references"))),
        subject=subject,
        sender=sender,
        reply_to=tuple(
            address
            for value in headers.all("reply-to")
            for address in parse_addresses(value, charset)
        ),
        to=tuple(
            address for value in headers.all("to") for address in parse_addresses(value, charset)
        ),
        cc=tuple(
            address for value in headers.all("cc") for address in parse_addresses(value, charset)
        ),
        date=parse_date(headers.first("date")),
        text=text,
        html=html,
        attachments=attachments,
        auto_submitted=classification.auto_submitted,
        bounce=classification.bounce,
        mailing_list=classification.mailing_list,
        bounced_message_ids=bounced,
        headers=MappingProxyType(kept),
        defects=tuple(walker.defects),
    )
