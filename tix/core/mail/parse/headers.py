"""Header values: unfolding, RFC 2047 encoded words and raw 8-bit bytes, MIME parameters
(RFC 2045 / RFC 2231), Message-IDs and dates.

Values come in raw, as the ``compat32`` policy hands them out (8-bit bytes kept as
surrogate escapes), and are decoded here.
"""

from __future__ import annotations

import binascii
import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import unquote_to_bytes

from tix.core.mail.parse.charsets import decode_bytes
from tix.core.mail.parse.transfer import decode_base64

__all__ = [
    "BODY_CONTROLS",
    "ENCODED_WORD_TEXT",
    "HEADER_LINE",
    "LINE_BREAKS",
    "Params",
    "decode_header",
    "decode_words",
    "normalise_space",
    "parse_date",
    "parse_message_ids",
    "raw_bytes",
    "unfold",
    "unquote",
]

HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")

_ENCODED_WORD = re.compile(rb"=\?([^?\s]*)\?([QqBb])\?([^?]*)\?=")
ENCODED_WORD_TEXT = re.compile(r"=\?[^?\s]*\?[QqBb]\?[^?]*\?=")
LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_SPACE_RUN = re.compile(r"\s*[\t\r\n\f\v]\s*|\s{2,}")
# C0 and C1 control characters alike: those that separate become a space, the others
# (an escape sequence's ESC or CSI, a bell) go, so none reaches a terminal.
_HEADER_CONTROLS = {
    code: " " if chr(code).isspace() else None for code in (*range(0x20), *range(0x7F, 0xA0))
}
BODY_CONTROLS = {
    code: "\n" if chr(code) in "\v\f\x1c\x1d\x1e\x85" else None
    for code in (*range(0x20), *range(0x7F, 0xA0))
    if chr(code) not in "\t\n"
}
"""What a text body keeps of control characters: tabs and line breaks."""


def raw_bytes(value: str) -> bytes:
    """The bytes a raw header or payload string was parsed from."""
    return value.encode("utf-8", "surrogateescape")


def unfold(value: str) -> str:
    return LINE_BREAKS.sub("", value)


def normalise_space(text: str) -> str:
    """Control whitespace and runs of whitespace become one space; other control
    characters (C0 and C1) go."""
    return _SPACE_RUN.sub(" ", text.translate(_HEADER_CONTROLS)).strip()


def decode_words(raw: bytes, charset: str | None) -> str:
    """Decode an unstructured header value: RFC 2047 encoded words and raw 8-bit bytes."""
    if b"=?" not in raw:
        return decode_bytes(raw, charset, prefer_utf8=True)
    pieces: list[str] = []
    word_charset: str | None = None
    word_bytes = bytearray()
    in_words = False
    position = 0

    def flush() -> None:
        if word_bytes:
            pieces.append(decode_bytes(bytes(word_bytes), word_charset))
            word_bytes.clear()

    for match in _ENCODED_WORD.finditer(raw):
        between = raw[position : match.start()]
        if between and not (in_words and not between.strip(b" \t\r\n")):
            flush()
            pieces.append(decode_bytes(between, charset, prefer_utf8=True))
        label = match.group(1).split(b"*", 1)[0].decode("ascii", "replace").lower()
        if match.group(2) in b"Bb":
            data = decode_base64(match.group(3))
        else:
            data = binascii.a2b_qp(match.group(3).replace(b"_", b" "))
        if label != word_charset:
            flush()
            word_charset = label
        word_bytes += data
        in_words = True
        position = match.end()
    flush()
    if position < len(raw):
        pieces.append(decode_bytes(raw[position:], charset, prefer_utf8=True))
    return "".join(pieces)


def decode_header(value: str, charset: str | None = None) -> str:
    """Decode a raw (possibly folded, possibly 8-bit) unstructured header value."""
    return normalise_space(decode_words(raw_bytes(unfold(value)), charset))


# --- MIME parameters (RFC 2045 / RFC 2231) --------------------------------------------------

_COMMENT_OR_SPACE = re.compile(r"\([^()]*\)|\s+")
_EXTENDED_NAME = re.compile(r"^([^*]+)\*(?:(\d+)(\*?))?$")
_LOST_SEPARATOR = re.compile(r"\s*([^\s=]+)\s+([\w.*-]+\s*=.*)", re.DOTALL)


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Split at `separator`, not inside double quotes."""
    parts: list[str] = []
    start = 0
    quoted = escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        end = len(value)
        out: list[str] = []
        index = 1
        while index < end:
            char = value[index]
            if char == "\\" and index + 1 < end:
                out.append(value[index + 1])
                index += 2
                continue
            if char == '"':
                break
            out.append(char)
            index += 1
        return "".join(out)
    return value


class Params:
    """A parsed Content-Type or Content-Disposition value."""

    __slots__ = ("_extended", "_plain", "charset", "value")

    def __init__(self, raw: str | None, charset: str | None) -> None:
        self.charset = charset
        self._plain: dict[str, str] = {}
        self._extended: dict[str, dict[int, tuple[bool, str]]] = {}
        if not raw:
            self.value = ""
            return
        raw = unfold(raw)
        head, *params = _split_unquoted(raw, ";") if '"' in raw else raw.split(";")
        if "=" in head:  # "multipart/mixed boundary=...": a parameter lost its ";"
            lost = _LOST_SEPARATOR.match(head)
            if lost:
                head = lost.group(1)
                params.insert(0, lost.group(2))
        self.value = _COMMENT_OR_SPACE.sub("", head).lower()
        for param in params:
            name, separator, value = param.partition("=")
            if not separator:
                continue
            name = name.strip().lower()
            extended = _EXTENDED_NAME.match(name)
            if extended:
                base, number, star = extended.groups()
                encoded = number is None or bool(star)
                self._extended.setdefault(base, {})[int(number or 0)] = (encoded, unquote(value))
            else:
                self._plain.setdefault(name, unquote(value))

    def raw(self, name: str) -> str | None:
        """The parameter as written (unquoted, not decoded)."""
        return self._plain.get(name)

    def get(self, name: str) -> str | None:
        """The decoded parameter (RFC 2231 first, then RFC 2047 or raw 8-bit)."""
        segments = self._extended.get(name)
        if segments:
            data = bytearray()
            label = ""
            for number in sorted(segments):
                encoded, text = segments[number]
                if encoded:
                    if number == min(segments) and text.count("'") >= 2:
                        label, _language, text = text.split("'", 2)
                    data += unquote_to_bytes(raw_bytes(text))
                else:
                    data += raw_bytes(text)
            return decode_bytes(bytes(data), label or self.charset, prefer_utf8=not label)
        value = self._plain.get(name)
        if value is None:
            return None
        return normalise_space(decode_words(raw_bytes(value), self.charset))


# --- Message-IDs and dates ------------------------------------------------------------

_MESSAGE_ID = re.compile(r"<([^<>]+)>")


def parse_message_ids(value: str | None) -> tuple[str, ...]:
    """The message ids (without ``<>``) in a Message-ID, In-Reply-To or References value."""
    if not value:
        return ()
    value = decode_bytes(raw_bytes(unfold(value)), None, prefer_utf8=True)
    found = [re.sub(r"\s+", "", match) for match in _MESSAGE_ID.findall(value)]
    ids = [found_id for found_id in found if found_id]
    if not ids:
        bare = value.strip()
        if bare and not re.search(r"\s", bare) and "<" not in bare and ">" not in bare:
            ids = [bare]
    return tuple(dict.fromkeys(ids))


_DATE_PREFIX = re.compile(
    r"(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3,}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}\b))?"
)


def parse_date(value: str | None) -> datetime | None:
    """A Date header as an aware UTC datetime; None when missing or invalid."""
    if not value:
        return None
    value = normalise_space(unfold(value))
    # The usual form first: it also finds a date glued to the next header line, whose
    # time zone parsedate_tz would silently drop.
    prefix = _DATE_PREFIX.search(value)
    parsed = email.utils.parsedate_tz(prefix.group()) if prefix else None
    if parsed is None:
        parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    offset = parsed[9] or 0
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59))
        zone = timezone(timedelta(seconds=offset))
        return moment.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
