"""Turn the raw bytes of a mail into a `ParsedMail`: pure, no I/O, never trusts the input.

Real mailboxes hold mail that breaks the standards in every possible way: raw 8-bit bytes
in headers, charsets that do not exist or lie, missing boundaries, broken base64, junk
before the first header. `parse_mail` decodes all of it as well as it can and raises
`UnparseableMail` only when the bytes are not a mail at all.

The MIME structure comes from the standard library's feed parser, run with the
``compat32`` policy: it builds the same tree (and records the same defects) as
``policy.default``, but hands out header values as they were written instead of
re-parsing them on every access, which is four times faster and keeps raw 8-bit bytes
intact so that their charset can be guessed instead of being replaced by U+FFFD. Headers,
parameters, charsets and transfer encodings are then decoded here.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.message
import email.policy
import email.utils
import functools
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Literal
from urllib.parse import unquote_to_bytes

from tix.core.mail.html import html_to_text, referenced_content_ids, sanitize_html, text_to_html
from tix.core.mail.loops import LOOP_HEADERS, classify

__all__ = [
    "Address",
    "Attachment",
    "ParsedMail",
    "UnparseableMail",
    "content_type_for",
    "decode_bytes",
    "decode_header",
    "parse_addresses",
    "parse_date",
    "parse_mail",
    "parse_message_ids",
    "sanitize_filename",
    "unflow",
]


# --- the result ------------------------------------------------------------------------


@dataclass(frozen=True)
class Address:
    name: str
    """Decoded display name, ``''`` when there is none."""
    address: str
    """The bare address as written, with the domain lowercased."""

    def __str__(self) -> str:
        if not self.name:
            return self.address
        name = self.name
        if re.search(r'[()<>\[\]:;@\\,."]', name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"


@dataclass(frozen=True)
class Attachment:
    filename: str
    """Decoded and made safe to use as a file name; never empty."""
    content_type: str
    """Lowercased ``type/subtype``."""
    data: bytes
    """The decoded content."""
    content_id: str | None
    """Content-ID without ``<>``, for inline images referenced as ``cid:``."""
    inline: bool
    """True for an inline image that the HTML body refers to."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    """Message-ID without ``<>``; None when missing or blank."""
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    """Decoded, whitespace runs and line breaks made single spaces; ``''`` if none."""
    sender: Address | None
    """From; else Reply-To, Sender or the mbox envelope line when From is unusable."""
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    """Timezone-aware, in UTC; None when missing or invalid."""
    text: str
    """Plain text body for display (derived from the HTML when there is no text part)."""
    html: str | None
    """Sanitised HTML body; None when the mail has no HTML part."""
    attachments: tuple[Attachment, ...]
    auto_submitted: bool
    bounce: bool
    mailing_list: bool
    bounced_message_ids: tuple[str, ...]
    """For a bounce: the Message-IDs of the returned original message."""
    headers: Mapping[str, str] = field(hash=False)
    """A few decoded headers callers need (lowercased names, first occurrence)."""
    defects: tuple[str, ...]
    """Names of the defects the email package found, for logging."""

    @property
    def is_automatic(self) -> bool:
        """Auto-reply, bounce or list mail: tix never answers these."""
        return self.auto_submitted or self.bounce or self.mailing_list


class UnparseableMail(Exception):
    """The bytes are not a mail: empty, no header at all, or nested beyond reason."""


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

_MAX_DEPTH = 30
"""MIME nesting deeper than this is an attack on the parser, not a mail."""


# --- charsets ----------------------------------------------------------------------------

_ISO2022JP = "iso2022_jp"
_LATIN = "cp1252"

# Labels that Python does not know, or where a superset decodes what the senders really
# used (WHATWG Encoding Standard: ISO-8859-1 and ASCII labels mean windows-1252, GB2312
# means GBK/GB18030, EUC-KR and ks_c_5601-1987 mean windows-949, Shift_JIS means cp932).
_CHARSET_ALIASES: dict[str, str | None] = {
    **dict.fromkeys(
        ("us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "iso-8859-1", "iso8859-1",
         "iso_8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252", "x-cp1252",
         "cp819", "ibm819"),
        _LATIN,
    ),
    **dict.fromkeys(
        ("gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936",
         "euc-cn", "euccn", "csgb2312", "chinese", "iso-ir-58", "gb18030"),
        "gb18030",
    ),
    **dict.fromkeys(
        ("ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601", "ksc_5601", "korean",
         "csksc56011987", "iso-ir-149", "euc-kr", "euckr", "cseuckr", "windows-949",
         "cp949", "uhc"),
        "cp949",
    ),
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "sjis", "x-sjis", "s-jis", "ms_kanji", "csshiftjis",
         "windows-31j", "cp932", "x-ms-cp932", "ms932"),
        "cp932",
    ),
    **dict.fromkeys(
        ("iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3",
         "iso-2022-jp-2004", "iso-2022-jp-ext", "cp50220", "cp50221", "cp50222",
         "x-iso-2022-jp"),
        _ISO2022JP,
    ),
    **dict.fromkeys(("big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "cp950", "big5-hkscs"),
                    "big5hkscs"),
    **dict.fromkeys(("iso-8859-9", "iso8859-9", "latin5", "windows-1254"), "cp1254"),
    **dict.fromkeys(("iso-8859-11", "tis-620", "windows-874", "x-windows-874", "dos-874"),
                    "cp874"),
    **dict.fromkeys(("iso-8859-8-i", "iso-8859-8-e", "visual", "logical"), "iso8859_8"),
    **dict.fromkeys(("iso-8859-6-i", "iso-8859-6-e"), "iso8859_6"),
    **dict.fromkeys(("x-mac-roman", "mac", "macintosh", "x-mac"), "mac_roman"),
    **dict.fromkeys(("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode"),
                    "utf-8"),
    **dict.fromkeys(("unicode-1-1-utf-7", "utf-7", "x-utf-7"), "utf-7"),
    **dict.fromkeys(
        ("x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset",
         "8bit", "7bit", "binary", "none", "null", "auto", "_autodetect_all"),
        None,
    ),
}  # fmt: skip

# Codecs Python can look up but that are not charsets a mail may name.
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem",
     "charmap"}
)  # fmt: skip

# Codecs whose ASCII range is not ASCII: pure-ASCII bytes must still go through them.
_NOT_ASCII_COMPATIBLE = ("utf_16", "utf_32", "utf_7", "hz", "iso2022", "cp037", "cp273",
                         "cp424", "cp500", "cp875", "cp1026", "cp1140")  # fmt: skip

# Single-byte charsets: any byte sequence "decodes", so valid UTF-8 mislabelled as one of
# them is caught first.
_SINGLE_BYTE = ("cp125", "cp1252", "iso8859", "latin", "koi8", "mac_", "cp437", "cp85",
                "cp86", "cp874", "ascii")  # fmt: skip

_JIS_ESCAPE = re.compile(rb"\x1b(?:\$[@B]|\([BJI]|\$\(D)")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_TYPOGRAPHY = frozenset("\xa0“”„‘’‚–—…•«»‹›°§©®™·€")


@functools.lru_cache(maxsize=256)
def _codec_for(charset: str | None) -> str | None:
    """The Python codec for a charset label, or None when it must be guessed."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower()
    if label in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[label]
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    name = info.name.replace("-", "_")
    if name in _REFUSED_CODECS or not getattr(info, "_is_text_encoding", True):
        return None
    if name.startswith("iso2022_jp"):
        return _ISO2022JP
    return info.name


def _jis_to_shift_jis(first: int, second: int) -> bytes:
    """Map a JIS X 0208 code (two bytes 0x21..0x7e) to Shift_JIS."""
    low = second + (0x1F if second < 0x60 else 0x20) if first & 1 else second + 0x7E
    high = ((first + 1) >> 1) + (0x70 if first <= 0x5E else 0xB0)
    return bytes((high, low))


def _decode_iso2022jp(data: bytes) -> str:
    """Decode ISO-2022-JP, including the NEC and IBM extensions that Windows mailers send.

    Python's strict codec is tried first; when it fails (NEC row 13 symbols such as
    circled digits are the usual reason), the JIS codes are mapped to Shift_JIS and
    decoded as cp932, which holds those extensions.
    """
    try:
        return data.decode("iso2022_jp")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("iso2022_jp_ext")
    except UnicodeDecodeError:
        pass
    out: list[str] = []
    buffer = bytearray()
    mode = "ascii"
    index, length = 0, len(data)
    while index < length:
        byte = data[index]
        if byte == 0x1B:
            sequence = data[index : index + 4]
            if sequence[:3] in (b"\x1b$@", b"\x1b$B"):
                mode, index = "jis", index + 3
                continue
            if sequence[:3] in (b"\x1b(B", b"\x1b(J"):
                mode, index = "ascii", index + 3
                continue
            if sequence[:3] == b"\x1b(I":
                mode, index = "kana", index + 3
                continue
            if sequence == b"\x1b$(D":
                mode, index = "jisx0212", index + 4
                continue
            if sequence in (b"\x1b$(O", b"\x1b$(Q", b"\x1b$(P"):
                mode, index = "jis", index + 4
                continue
        if mode in ("jis", "jisx0212") and 0x21 <= byte <= 0x7E and index + 1 < length:
            second = data[index + 1]
            if mode == "jis":
                buffer += _jis_to_shift_jis(byte, second)
            else:
                out.append(buffer.decode("cp932", "replace"))
                buffer.clear()
                out.append(bytes((0x8F, byte | 0x80, second | 0x80)).decode("euc_jp", "replace"))
            index += 2
            continue
        if mode == "kana" and 0x21 <= byte <= 0x5F:
            buffer.append(byte + 0x80)
        else:
            buffer.append(byte)
        index += 1
    out.append(buffer.decode("cp932", "replace"))
    return "".join(out)


def _plausibility(text: str, codec: str) -> tuple[float, int]:
    """Share of the non-ASCII characters of `text` that are plausible for `codec`, and
    how many characters that share was measured on.

    Used to choose between candidate charsets for bytes of unknown charset: text in the
    wrong charset decodes to rare ideographs, half-width katakana or letter soup.
    """
    sample = text[:4000]
    good = bad = 0.0
    if codec == _LATIN:
        for match in _NON_ASCII_RUN.finditer(sample):
            run = match.group()
            # Western text rarely has three accented letters in a row; text in another
            # charset read as windows-1252 is made of such runs.
            weight = 1.0 if len(run) <= 2 else 0.5
            for char in run:
                if char in _TYPOGRAPHY:
                    good += 1
                elif char.isalpha() and ord(char) < 0x250:
                    good += weight
                    bad += 1 - weight
                else:
                    bad += 1
    elif codec == "cp1251" and len(_NON_ASCII_RUN.findall(sample)) < 3:
        return 0.0, 0  # too little text to tell Cyrillic from accented Latin
    else:
        for char in sample:
            code = ord(char)
            if code < 0x80:
                continue
            if codec == "cp1251":
                ok = 0x400 <= code <= 0x4FF or char in _TYPOGRAPHY
            elif codec == "gb18030":
                encoded = char.encode("gb18030")
                # GB2312 proper: the characters Chinese text is written with
                ok = len(encoded) == 2 and 0xA1 <= encoded[0] <= 0xF7 and encoded[1] >= 0xA1
            elif 0x3000 <= code <= 0x30FF or 0xFF01 <= code <= 0xFF5E:  # cp932: kana, punct.
                ok = True
            elif 0xFF61 <= code <= 0xFF9F:  # half-width katakana: rare in real mail
                ok = False
            else:
                lead = char.encode("cp932", "replace")[0]
                ok = 0x81 <= lead <= 0x84 or 0x87 <= lead <= 0x9F or 0xE0 <= lead <= 0xEA
            if ok:
                good += 1
            else:
                bad += 1
    total = good + bad
    return (good / total if total else 0.0), round(total)


def _utf8_with_fallback(data: bytes) -> str:
    """UTF-8, with each byte that is not part of valid UTF-8 read as windows-1252/latin-1."""
    out: list[str] = []
    position = 0
    while position < len(data):
        try:
            out.append(data[position:].decode("utf-8"))
            break
        except UnicodeDecodeError as error:
            out.append(data[position : position + error.start].decode("utf-8"))
            bad = data[position + error.start : position + error.end]
            out.append(bad.decode(_LATIN, "replace") if len(bad) == 1 else bad.decode("latin-1"))
            position += error.end
    return "".join(out)


def _guess(data: bytes, fallback_codec: str | None) -> str:
    """Decode 8-bit bytes whose charset is unknown or wrong."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best: tuple[float, str] | None = None
    # Against a declared charset, a guess needs some evidence, not two stray bytes.
    evidence = 3 if fallback_codec else 1
    for codec in (_LATIN, "gb18030", "cp932", "cp1251"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score, measured = _plausibility(text, codec)
        if measured < evidence:
            continue
        if best is None or score > best[0]:
            best = (score, text)
        if score == 1.0:
            break
    if best is not None and best[0] >= 0.5:
        return best[1]
    if fallback_codec and fallback_codec != _ISO2022JP:
        if fallback_codec == _LATIN:
            return data.decode("latin-1")
        return data.decode(fallback_codec, "replace")
    if best is not None:
        return best[1]
    return _utf8_with_fallback(data)


# windows-1252 as the WHATWG Encoding Standard reads it: its five undefined bytes keep
# their Latin-1 meaning.
_WINDOWS_1252_HIGH = {
    byte: bytes((byte,)).decode(_LATIN)
    for byte in range(0x80, 0xA0)
    if byte not in b"\x81\x8d\x8f\x90\x9d"
}


def decode_bytes(data: bytes, charset: str | None, *, prefer_utf8: bool = False) -> str:
    """Decode `data` labelled with `charset` (may be None, unknown or wrong); never raises.

    A known charset is used even when some bytes do not fit it (they become U+FFFD);
    only a missing or unknown charset is guessed. Valid UTF-8 wins over a single-byte
    label (any bytes fit those), and 8-bit bytes labelled ISO-2022-JP are guessed. With
    `prefer_utf8` (raw 8-bit header bytes) valid UTF-8 wins over the label, which is
    then only a hint.
    """
    codec = _codec_for(charset)
    if codec == _ISO2022JP:  # 8-bit bytes cannot be ISO-2022-JP: then the label lies
        return _decode_iso2022jp(data) if data.isascii() else _guess(data, None)
    if data.isascii():
        if b"\x1b" in data and codec in (None, _LATIN, "utf-8") and _JIS_ESCAPE.search(data):
            return _decode_iso2022jp(data)  # ISO-2022-JP without (or with a wrong) label
        if codec is None or not codec.replace("-", "_").startswith(_NOT_ASCII_COMPATIBLE):
            return data.decode("ascii")
    if codec is None:
        return _guess(data, None)
    if prefer_utf8 or codec.replace("-", "_").startswith(_SINGLE_BYTE):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:  # pragma: no cover - _codec_for only returns known codecs
        return _guess(data, None)
    if prefer_utf8:  # raw header bytes: the label is the message's, not their own
        return _guess(data, codec)
    # A declared charset that does not fit a few bytes is still the charset: guessing
    # another one for the whole text garbles every letter that was right.
    if codec == _LATIN:
        return data.decode("latin-1").translate(_WINDOWS_1252_HIGH)
    return data.decode(codec, "replace")


# --- transfer encodings ------------------------------------------------------------------

_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")
_BASE64_PADDING = re.compile(rb"=+")


def _decode_base64(data: bytes) -> bytes:
    """Decode base64 as far as possible: junk is skipped, padding may be wrong or missing."""
    try:
        decoded = binascii.a2b_base64(data)
    except binascii.Error:
        pass
    else:
        padding = data.find(b"=")
        if padding < 0 or not data[padding:].strip(b"= \t\r\n"):
            return decoded
    out = bytearray()
    for chunk in _BASE64_PADDING.split(_BASE64_JUNK.sub(b"", data)):
        whole = len(chunk) - len(chunk) % 4
        if whole:
            out += binascii.a2b_base64(chunk[:whole])
        rest = chunk[whole:]
        if len(rest) >= 2:
            out += binascii.a2b_base64(rest + b"=" * (4 - len(rest)))
    return bytes(out)


def _decode_uu_line(line: bytes) -> bytes:
    try:
        return binascii.a2b_uu(line)
    except binascii.Error:
        # Some encoders pad lines with garbage: decode only the length the line announces.
        if not line:
            return b""
        count = ((line[0] - 32) & 63) * 4 + 5
        try:
            return binascii.a2b_uu(line[: count // 3])
        except binascii.Error:
            return b""


def _decode_uu(data: bytes) -> bytes:
    out = bytearray()
    for line in data.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(b"begin ") or stripped == b"end":
            continue
        out += _decode_uu_line(line.rstrip(b"\r\n"))
    return bytes(out)


def _decode_transfer(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        return _decode_base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return _decode_uu(data)
    return data


# --- header values -----------------------------------------------------------------------

_ENCODED_WORD = re.compile(rb"=\?([^?\s]*)\?([QqBb])\?([^?]*)\?=")
_ENCODED_WORD_TEXT = re.compile(r"=\?[^?\s]*\?[QqBb]\?[^?]*\?=")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_SPACE_RUN = re.compile(r"\s*[\t\r\n\f\v]\s*|\s{2,}")


def _raw_bytes(value: str) -> bytes:
    """The bytes a raw header or payload string was parsed from."""
    return value.encode("utf-8", "surrogateescape")


def _unfold(value: str) -> str:
    return _LINE_BREAKS.sub("", value)


def _normalise_space(text: str) -> str:
    """Control whitespace and runs of whitespace become one space; NULs go."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _SPACE_RUN.sub(" ", text).strip()


def _decode_words(raw: bytes, charset: str | None) -> str:
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
            data = _decode_base64(match.group(3))
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
    return _normalise_space(_decode_words(_raw_bytes(_unfold(value)), charset))


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


def _unquote(value: str) -> str:
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


class _Params:
    """A parsed Content-Type or Content-Disposition value."""

    __slots__ = ("_extended", "_plain", "charset", "value")

    def __init__(self, raw: str | None, charset: str | None) -> None:
        self.charset = charset
        self._plain: dict[str, str] = {}
        self._extended: dict[str, dict[int, tuple[bool, str]]] = {}
        if not raw:
            self.value = ""
            return
        raw = _unfold(raw)
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
                self._extended.setdefault(base, {})[int(number or 0)] = (encoded, _unquote(value))
            else:
                self._plain.setdefault(name, _unquote(value))

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
                    data += unquote_to_bytes(_raw_bytes(text))
                else:
                    data += _raw_bytes(text)
            return decode_bytes(bytes(data), label or self.charset, prefer_utf8=not label)
        value = self._plain.get(name)
        if value is None:
            return None
        return _normalise_space(_decode_words(_raw_bytes(value), self.charset))


# --- addresses ---------------------------------------------------------------------------

_ATOM = re.compile(r'(?:[^"(<>,;: \t=]|=(?!\?))+')  # up to a special or an encoded word
_WORD_SPACE = " \t"


@dataclass
class _Mailbox:
    phrase: list[str] = field(default_factory=list)  # display-name parts, still encoded
    comments: list[str] = field(default_factory=list)
    angle: str | None = None
    words: list[list[str]] = field(default_factory=list)  # bare tokens, grouped by spaces
    space_before: bool = True

    def add_word(self, token: str) -> None:
        if self.space_before or not self.words:
            self.words.append([token])
        else:
            self.words[-1].append(token)
        self.space_before = False

    def empty(self) -> bool:
        return self.angle is None and not self.words and not self.comments


def _tokenise_mailboxes(value: str) -> Iterator[_Mailbox]:
    """Split an address-list header into mailboxes, tolerating what real mailers write."""
    current = _Mailbox()
    index, length = 0, len(value)
    while index < length:
        char = value[index]
        if char in _WORD_SPACE:
            current.space_before = True
            index += 1
        elif char == '"':
            end = index + 1
            while end < length and value[end] != '"':
                end += 2 if value[end] == "\\" else 1
            current.add_word(value[index : end + 1])
            index = end + 1
        elif char == "(":
            depth, end = 1, index + 1
            while end < length and depth:
                if value[end] == "\\":
                    end += 1
                elif value[end] == "(":
                    depth += 1
                elif value[end] == ")":
                    depth -= 1
                end += 1
            current.comments.append(value[index + 1 : end - 1 if depth == 0 else end])
            current.space_before = True
            index = end
        elif char == "<":
            end = value.find(">", index)
            if end < 0:
                end = length
            if current.angle is None:
                current.angle = value[index + 1 : end]
                current.phrase = ["".join(word) for word in current.words]
                current.words = []
            index = end + 1
            current.space_before = True
        elif char in ",;":
            if not current.empty():
                yield current
            current = _Mailbox()
            index += 1
        elif (
            char == ":"
            and current.angle is None
            and not any("@" in token for word in current.words for token in word)
        ):
            current = _Mailbox()  # a group name such as "undisclosed-recipients:"
            index += 1
        elif char == ">":  # stray closing bracket
            index += 1
            current.space_before = True
        else:
            encoded = (
                _ENCODED_WORD_TEXT.match(value, index) if value.startswith("=?", index) else None
            )
            if encoded:  # atomic, even when it holds spaces or commas
                end = encoded.end()
            else:
                atom = _ATOM.match(value, index)
                end = atom.end() if atom else index + 1
            current.add_word(value[index:end])
            index = end
    if not current.empty():
        yield current


def _decode_phrase(parts: Iterable[str], charset: str | None) -> str:
    text = " ".join(_unquote(part) if part.startswith('"') else part for part in parts)
    return _normalise_space(_decode_words(_raw_bytes(text), charset)).strip("'\" ")


def _clean_address(address: str, charset: str | None) -> str:
    address = address.strip().strip("<>").strip()
    if address.startswith("@") and ":" in address:  # obsolete source route
        address = address.split(":", 1)[1]
    address = decode_bytes(_raw_bytes(address), charset, prefer_utf8=True)
    address = "".join(char for char in address if char.isprintable())
    local, at, domain = address.rpartition("@")
    if not at:
        return address.strip()
    return f"{local.strip()}@{domain.strip().lower()}"


def parse_addresses(value: str | None, charset: str | None = None) -> tuple[Address, ...]:
    """Parse an address-list header value (raw) into addresses; never raises.

    Encoded words are decoded in display names but never in the address itself
    (RFC 2047 section 5 forbids them there; decoding them lets a sender disguise its
    address). Malformed forms are read the way a person would: ``Name addr@host``
    without brackets, a display name only in a comment, a stray ``>``.
    """
    if not value or not value.strip():
        return ()
    result: list[Address] = []
    for mailbox in _tokenise_mailboxes(_unfold(value)):
        if mailbox.angle is not None:
            address = _clean_address(mailbox.angle, charset)
            name_parts = mailbox.phrase + [token for word in mailbox.words for token in word]
            name = _decode_phrase(name_parts, charset)
        else:
            words = ["".join(word) for word in mailbox.words]
            with_at = [word for word in words if "@" in word]
            if with_at:
                address = _clean_address(with_at[0], charset)
                words.remove(with_at[0])
                name = _decode_phrase(words, charset)
            else:
                address = ""
                name = _decode_phrase(words, charset)
                # "Name (name@host)": the only address is in the comment
                in_comments = [
                    c.strip() for c in mailbox.comments if "@" in c and " " not in c.strip()
                ]
                if len(in_comments) == 1:
                    address = _clean_address(in_comments[0], charset)
                    mailbox.comments.clear()
        if not name and mailbox.comments:
            name = _decode_phrase(mailbox.comments, charset)
        if address:
            result.append(Address(name=name, address=address))
    return tuple(result)


def _usable(address: Address) -> bool:
    local, at, domain = address.address.rpartition("@")
    return bool(at and local and domain)


_MESSAGE_ID = re.compile(r"<([^<>]+)>")


def parse_message_ids(value: str | None) -> tuple[str, ...]:
    """The message ids (without ``<>``) in a Message-ID, In-Reply-To or References value."""
    if not value:
        return ()
    value = decode_bytes(_raw_bytes(_unfold(value)), None, prefer_utf8=True)
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
    value = _normalise_space(_unfold(value))
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


# --- file names --------------------------------------------------------------------------

_EXTENSIONS = {
    "application/msword": ".doc",
    "application/octet-stream": ".bin",
    "application/pdf": ".pdf",
    "application/pgp-encrypted": ".pgp",
    "application/pgp-keys": ".asc",
    "application/pgp-signature": ".asc",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/zip": ".zip",
    "image/gif": ".gif",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/rfc822": ".eml",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/html": ".html",
    "text/plain": ".txt",
    "text/rfc822-headers": ".txt",
    "text/vcard": ".vcf",
    "text/x-vcard": ".vcf",
}
_FALLBACK_STEMS = {
    "message/delivery-status": "delivery-status",
    "message/disposition-notification": "disposition-notification",
    "message/rfc822": "message",
    "text/rfc822-headers": "rfc822-headers",
    "application/pgp-signature": "signature",
    "application/pkcs7-signature": "smime",
    "application/x-pkcs7-signature": "smime",
}
_WINDOWS_RESERVED = re.compile(r"^(?:con|prn|aux|nul|com\d|lpt\d)(?:\..*)?$", re.IGNORECASE)
_UNSAFE_IN_NAME = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_MAX_NAME_BYTES = 200


@functools.cache
def _mime_types() -> mimetypes.MimeTypes:
    # Python's built-in table only, so the result does not depend on /etc/mime.types.
    return mimetypes.MimeTypes(filenames=())


def _extension_for(content_type: str) -> str:
    known = _EXTENSIONS.get(content_type)
    if known:
        return known
    guessed = _mime_types().guess_extension(content_type, strict=False)
    return guessed or ".bin"


def content_type_for(filename: str) -> str:
    """A content type guessed from a file name's extension."""
    guessed, _encoding = _mime_types().guess_type(filename, strict=False)
    return guessed or "application/octet-stream"


def sanitize_filename(name: str | None, content_type: str = "application/octet-stream") -> str:
    """A readable file name that is safe on every platform; never empty.

    Keeps letters of every script, drops any directory part, control and format
    characters (such as right-to-left overrides), and characters Windows forbids.
    """
    cleaned = unicodedata.normalize("NFC", name or "")
    cleaned = cleaned.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        char for char in cleaned if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co")
    )
    cleaned = _UNSAFE_IN_NAME.sub("_", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip(" .")
    if _WINDOWS_RESERVED.match(cleaned):
        cleaned = "_" + cleaned
    if len(cleaned.encode("utf-8")) > _MAX_NAME_BYTES:
        stem, dot, extension = cleaned.rpartition(".")
        if not dot or len(extension) > 10:
            stem, extension = cleaned, ""
        budget = _MAX_NAME_BYTES - len(extension.encode("utf-8")) - 1
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(" .")
        cleaned = f"{stem}.{extension}" if extension else stem
    if not cleaned or cleaned.strip("_") == "":
        stem = _FALLBACK_STEMS.get(content_type, "attachment")
        cleaned = stem + _extension_for(content_type)
    return cleaned


# --- text bodies -------------------------------------------------------------------------

_UU_BEGIN = re.compile(r"^begin [0-7]{3,4} (\S[^\n]*)$", re.MULTILINE)
_UU_END = re.compile(r"^end[ \t]*$", re.MULTILINE)
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def unflow(text: str, *, delete_space: bool = False) -> str:
    """Join the soft line breaks of ``format=flowed`` text (RFC 3676)."""
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = 0

    def finish() -> None:
        if paragraph:
            prefix = ">" * paragraph_depth + (" " if paragraph_depth else "")
            out.append(prefix + "".join(paragraph))
            paragraph.clear()

    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing, or the space after quote marks
        if paragraph and depth != paragraph_depth:
            finish()
        paragraph_depth = depth
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delete_space:
            content = content[:-1]
        paragraph.append(content)
        if not flowed:
            finish()
    finish()
    return "\n".join(out)


def _extract_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Take uuencoded blocks (``begin 644 name`` .. ``end``) out of a text body."""
    files: list[tuple[str, bytes]] = []
    kept: list[str] = []
    position = 0
    for match in _UU_BEGIN.finditer(text):
        if match.start() < position:
            continue
        end = _UU_END.search(text, match.end())
        if end is None:
            break
        lines = text[match.end() : end.start()].strip("\n").split("\n")
        data = b"".join(
            _decode_uu_line(line.rstrip("\r").encode("latin-1", "replace")) for line in lines
        )
        files.append((match.group(1).strip(), data))
        kept.append(text[position : match.start()])
        position = end.end()
    if not files:
        return text, []
    kept.append(text[position:])
    return "".join(kept), files


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text


def _trim_body(text: str) -> str:
    """Drop leading blank lines and trailing whitespace."""
    return re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()


# --- MIME structure ----------------------------------------------------------------------

_Kind = Literal["text", "html", "alternative"]


@dataclass
class _Piece:
    """One piece of the body, in reading order."""

    kind: _Kind
    content: str = ""  # the text, or the unsanitised HTML
    alternative_text: str | None = None  # for "alternative": the text/plain version
    rich: list[_Piece] = field(default_factory=list)  # for "alternative": the HTML version
    _sanitized: str | None = None

    def has_html(self) -> bool:
        return self.kind == "html" or any(piece.has_html() for piece in self.rich)

    def sanitized(self) -> str:
        if self._sanitized is None:
            self._sanitized = sanitize_html(self.content)
        return self._sanitized

    def as_text(self) -> str:
        if self.kind == "text":
            return self.content
        if self.kind == "html":
            return html_to_text(self.sanitized())
        if self.alternative_text is not None:
            return self.alternative_text
        return _join_text(self.rich)

    def as_html(self) -> str:
        if self.kind == "text":
            return text_to_html(self.content)
        if self.kind == "html":
            return self.sanitized()
        if any(piece.has_html() for piece in self.rich):
            return "".join(piece.as_html() for piece in self.rich)
        return text_to_html(self.alternative_text or _join_text(self.rich))


def _join_text(pieces: list[_Piece]) -> str:
    texts = [text for text in (_trim_body(piece.as_text()) for piece in pieces) if text]
    return "\n\n".join(texts)


@dataclass
class _PartInfo:
    content_type: str
    params: _Params
    disposition: str
    disposition_params: _Params
    transfer_encoding: str
    content_id: str | None
    description: str | None


@dataclass
class _PendingAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None


def _part_headers(part: email.message.Message) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for name, value in part.raw_items():
        key = name.strip().lower()
        if key.startswith("content-") and key not in wanted:
            wanted[key] = value
    return wanted


# The parts that render a body; the other parts of a multipart/alternative are files.
_RENDERINGS = ("text/plain", "text/html", "text/enriched", "text/richtext")


class _Walker:
    """Walks the MIME tree once, collecting body pieces, attachments and bounce data."""

    def __init__(self, charset: str | None) -> None:
        self.charset = charset  # the message's charset, for unlabelled 8-bit headers
        self.attachments: list[_PendingAttachment] = []
        self.returned_ids: list[str] = []
        self.has_delivery_status = False
        self.defects: dict[str, None] = {}
        self.files_only = False  # walking a rendering that is not shown: keep its files

    # part metadata ---------------------------------------------------------------
    def info(self, part: email.message.Message, default_type: str) -> _PartInfo:
        headers = _part_headers(part)
        params = _Params(headers.get("content-type"), self.charset)
        content_type = params.value
        if (
            content_type.count("/") != 1
            or content_type.startswith("/")
            or content_type.endswith("/")
        ):
            content_type = default_type
        disposition = _Params(headers.get("content-disposition"), self.charset)
        encoding = _Params(headers.get("content-transfer-encoding"), None).value
        content_id = headers.get("content-id")
        if content_id is not None:
            content_id = re.sub(r"\s+", "", _unfold(content_id)).strip("<>") or None
        description = headers.get("content-description")
        return _PartInfo(
            content_type=content_type,
            params=params,
            disposition=disposition.value,
            disposition_params=disposition,
            transfer_encoding=encoding,
            content_id=content_id,
            description=decode_header(description, self.charset) if description else None,
        )

    def payload(self, part: email.message.Message, info: _PartInfo) -> bytes:
        # The stored payload, not get_payload(): for 8-bit text that decodes the bytes with
        # the declared charset and replaces what does not fit, before any guessing.
        payload = vars(part).get("_payload")
        if isinstance(payload, str):
            raw = _raw_bytes(payload)
        elif isinstance(payload, bytes | bytearray):
            raw = bytes(payload)
        else:  # a list (callers pass leaves only) or nothing
            return b""
        return _decode_transfer(raw, info.transfer_encoding)

    def filename(self, info: _PartInfo) -> str | None:
        name = info.disposition_params.get("filename") or info.params.get("name")
        return name if name and name.strip() else None

    # the walk --------------------------------------------------------------------
    def walk(
        self,
        part: email.message.Message,
        out: list[_Piece],
        depth: int = 0,
        default_type: str = "text/plain",
    ) -> None:
        if depth > _MAX_DEPTH:
            raise UnparseableMail(f"MIME parts nested more than {_MAX_DEPTH} levels deep")
        for defect in part.defects:
            self.defects[type(defect).__name__] = None
        info = self.info(part, default_type)
        content_type = info.content_type
        main_type = content_type.split("/", 1)[0]
        structured = part.is_multipart()
        children = _subparts(part)
        if main_type == "multipart" and structured:
            subtype = content_type.split("/", 1)[1]
            if subtype == "alternative":
                self.walk_alternative(children, out, depth)
            elif subtype == "related":
                self.walk_related(children, info, out, depth)
            else:
                child_default = "message/rfc822" if subtype == "digest" else "text/plain"
                for child in children:
                    if subtype == "encrypted" and self.is_type(child, "application/pgp-encrypted"):
                        continue  # the "Version: 1" control part of PGP/MIME
                    self.walk(child, out, depth + 1, child_default)
            return
        if main_type == "multipart":
            recovered = _recover_multipart(part, info)
            if recovered is not None:
                self.defects["RecoveredMultipartBoundary"] = None
                self.walk(recovered, out, depth + 1)
                return
            info.content_type = content_type = "text/plain"  # no boundary: read it as text
        if content_type in ("message/rfc822", "message/global", "message/news") and structured:
            self.add_message(children, info)
            return
        if content_type == "message/delivery-status":
            self.has_delivery_status = True
            if structured:
                data = b"\n".join(_raw_bytes(_serialise_headers(block)) for block in children)
                self.attach(info, data)
                return
        if content_type == "text/rfc822-headers":
            data = self.payload(part, info)
            self.returned_ids.extend(_message_ids_in_headers(data))
            self.attach(info, data)
            return
        if self.files_only and content_type in _RENDERINGS and self.is_body(info):
            return
        if content_type in ("text/plain", "text/html") and self.is_body(info):
            self.add_body(part, info, out)
            return
        if content_type == "text/plain" and info.disposition == "inline" and not self.files_only:
            # Named but inline: shown where it stands, as mail clients do, and kept as a file.
            self.add_body(part, info, out)
            self.attach(info, self.payload(part, info))
            return
        self.attach(info, self.payload(part, info))

    def is_type(self, part: email.message.Message, content_type: str) -> bool:
        raw = _part_headers(part).get("content-type")
        return _Params(raw, None).value == content_type

    def is_body(self, info: _PartInfo) -> bool:
        return info.disposition != "attachment" and self.filename(info) is None

    def walk_alternative(
        self, children: list[email.message.Message], out: list[_Piece], depth: int
    ) -> None:
        """Each group of alternatives gives its own text and HTML.

        The text is the first text/plain alternative, also when it sits inside a
        multipart (Apple Mail and Outlook put the text and its pictures in a mixed or
        related part); the HTML is the last alternative holding HTML. Files of the other
        alternatives (inline images of a rendering that is not shown) are kept unless the
        shown rendering has the same file.
        """
        infos = [self.info(child, "text/plain") for child in children]
        rich_index = next(
            (
                index
                for index in reversed(range(len(children)))
                if _contains_html(children[index], infos[index], self)
            ),
            None,
        )
        text_index = next(
            (
                index
                for index, info in enumerate(infos)
                if info.content_type == "text/plain"
                and not children[index].is_multipart()
                and info.disposition != "attachment"
            ),
            None,
        )
        if text_index is None:
            text_index = next(
                (
                    index
                    for index, child in enumerate(children)
                    if index != rich_index and child.is_multipart() and _contains_text(child, self)
                ),
                None,
            )
        first_file = len(self.attachments)
        if rich_index is None:
            chosen = text_index if text_index is not None else len(children) - 1
            if chosen >= 0:
                self.walk(children[chosen], out, depth + 1)
            used = {chosen}
        else:
            rich: list[_Piece] = []
            self.walk(children[rich_index], rich, depth + 1)
            alternative_text = None
            if text_index is not None:
                pieces: list[_Piece] = []
                shown_files = len(self.attachments)
                if children[text_index].is_multipart():
                    self.walk(children[text_index], pieces, depth + 1)
                else:
                    self.add_body(children[text_index], infos[text_index], pieces)
                self.drop_repeated_files(first_file, shown_files)
                alternative_text = _join_text(pieces) or None  # empty: use the HTML
            out.append(_Piece("alternative", alternative_text=alternative_text, rich=rich))
            used = {rich_index} if text_index is None else {rich_index, text_index}
        shown_files = len(self.attachments)
        for index, child in enumerate(children):
            if index in used:
                continue
            if child.is_multipart():  # another rendering: only its files count
                outer, self.files_only = self.files_only, True
                self.walk(child, [], depth + 1)
                self.files_only = outer
            elif infos[index].content_type not in _RENDERINGS:
                # Keep what is not another rendering of the body (e.g. a text/calendar invite).
                self.walk(child, out, depth + 1)
        self.drop_repeated_files(first_file, shown_files)

    def drop_repeated_files(self, first: int, shown: int) -> None:
        """Drop the files after `shown` that repeat one of the files from `first`."""
        if len(self.attachments) == shown or first == shown:
            return
        seen = {(file.content_type, file.data) for file in self.attachments[first:shown]}
        self.attachments[shown:] = [
            file for file in self.attachments[shown:] if (file.content_type, file.data) not in seen
        ]

    def walk_related(
        self,
        children: list[email.message.Message],
        info: _PartInfo,
        out: list[_Piece],
        depth: int,
    ) -> None:
        if not children:
            return
        start = (info.params.get("start") or "").strip().strip("<>")
        root = children[0]
        if start:
            for child in children:
                content_id = _part_headers(child).get("content-id", "")
                if re.sub(r"\s+", "", content_id).strip("<>") == start:
                    root = child
                    break
        self.walk(root, out, depth + 1)
        for child in children:
            if child is root:
                continue
            if child.is_multipart():
                self.walk(child, out, depth + 1)
            else:
                resource = self.info(child, "application/octet-stream")
                for defect in child.defects:
                    self.defects[type(defect).__name__] = None
                self.attach(resource, self.payload(child, resource))

    def add_body(self, part: email.message.Message, info: _PartInfo, out: list[_Piece]) -> None:
        data = self.payload(part, info)
        charset = info.params.get("charset")
        if info.content_type == "text/html":
            if not charset:
                declared = _HTML_CHARSET.search(data[:4096])
                charset = declared.group(1).decode("ascii") if declared else None
            html = _clean_text(decode_bytes(data, charset))
            if html.strip():
                out.append(_Piece("html", content=html))
            return
        text = _clean_text(decode_bytes(data, charset))
        if (info.params.get("format") or "").lower() == "flowed":
            text = unflow(text, delete_space=(info.params.get("delsp") or "").lower() == "yes")
        if "begin " in text:
            text, files = _extract_uuencoded(text)
            for name, content in files:
                filename = sanitize_filename(name)
                self.attachments.append(
                    _PendingAttachment(filename, content_type_for(filename), content, None)
                )
        if text.strip():
            out.append(_Piece("text", content=text))

    def add_message(self, children: list[email.message.Message], info: _PartInfo) -> None:
        inner = children[0] if children else email.message.Message()
        headers = {name.lower(): value for name, value in reversed(list(inner.raw_items()))}
        self.returned_ids.extend(parse_message_ids(headers.get("message-id")))
        name = self.filename(info)
        if name is None:
            subject = decode_header(headers.get("subject", ""), self.charset)
            name = (subject or info.description or "message") + ".eml"
        self.attach(info, _serialise(inner), name=name)

    def attach(self, info: _PartInfo, data: bytes, *, name: str | None = None) -> None:
        content_type = info.content_type
        if name is None:
            name = self.filename(info)
            if name is None and info.description and len(info.description) <= 100:
                name = info.description + _extension_for(content_type)
        self.attachments.append(
            _PendingAttachment(
                filename=sanitize_filename(name, content_type),
                content_type=content_type,
                data=data,
                content_id=info.content_id,
            )
        )


_DELIMITER_LINE = re.compile(rb"^--([^\s\"]{1,200})[ \t]*\r?\n", re.MULTILINE)
_MULTIPART_TYPE = re.compile(r"multipart/[a-z0-9.+-]+")


def _recover_multipart(
    part: email.message.Message, info: _PartInfo
) -> email.message.Message | None:
    """The parts of a multipart whose boundary the feed parser could not use, or None.

    Mailers fold the boundary parameter inside its value, forget the ";" before it, or
    leave it out. The delimiter lines still show the boundary: the declared one without
    its folding whitespace if a line uses it, else the first "--" line that a header
    line follows. The content is then parsed again with that boundary, so the body shows
    no "--boundary" lines or inner headers and the attachments are kept.
    """
    payload = vars(part).get("_payload")
    if not isinstance(payload, str) or "--" not in payload:
        return None
    data = _raw_bytes(payload)
    declared = re.sub(r"\s+", "", info.params.raw("boundary") or "").encode("utf-8", "replace")
    boundary: bytes | None = None
    for number, line in enumerate(_DELIMITER_LINE.finditer(data)):
        if number >= 100:
            break
        candidate = line.group(1)
        if declared and candidate in (declared, declared + b"--"):
            boundary = declared
            break
        if boundary is None and not candidate.endswith(b"--"):
            following = data[line.end() : data.find(b"\n", line.end())]
            if _HEADER_LINE.match(following):
                boundary = candidate
                if not declared:
                    break
    if boundary is None:
        return None
    content_type = info.content_type
    if not _MULTIPART_TYPE.fullmatch(content_type):
        content_type = "multipart/mixed"
    header = f'Content-Type: {content_type}; boundary="'.encode() + boundary + b'"\n\n'
    recovered = email.message_from_bytes(header + data, policy=email.policy.compat32)
    return recovered if recovered.is_multipart() else None


def _subparts(part: email.message.Message) -> list[email.message.Message]:
    payload = vars(part).get("_payload")  # get_payload() would decode 8-bit text
    if not isinstance(payload, list):
        return []
    return [child for child in payload if isinstance(child, email.message.Message)]


def _contains_html(part: email.message.Message, info: _PartInfo, walker: _Walker) -> bool:
    if not part.is_multipart():
        return info.content_type == "text/html" and info.disposition != "attachment"
    if info.content_type.startswith("message/"):
        return False
    return any(
        _contains_html(child, walker.info(child, "text/plain"), walker) for child in _subparts(part)
    )


def _contains_text(part: email.message.Message, walker: _Walker) -> bool:
    """True when a multipart holds a text/plain part that is shown as the body."""
    for child in _subparts(part):
        if child.is_multipart():
            if _contains_text(child, walker):
                return True
            continue
        info = walker.info(child, "text/plain")
        if info.content_type == "text/plain" and walker.is_body(info):
            return True
    return False


def _serialise(message: email.message.Message) -> bytes:
    """The bytes of an attached message, written from what the parser kept.

    Headers keep their original folding and every payload its original bytes (8-bit
    included), with LF line endings; the email package's generator would refold long
    headers, slowly.
    """
    out: list[bytes] = []
    _write_message(message, out, 0)
    return b"".join(out)


def _write_message(message: email.message.Message, out: list[bytes], depth: int) -> None:
    for name, value in message.raw_items():
        out.append(_raw_bytes(f"{name}: {_LINE_BREAKS.sub(chr(10), value)}\n"))
    out.append(b"\n")
    payload = vars(message).get("_payload")
    if isinstance(payload, str):
        out.append(_raw_bytes(payload.replace("\r\n", "\n")))  # one line ending throughout
        return
    if not isinstance(payload, list) or depth > _MAX_DEPTH:
        return
    parts = [part for part in payload if isinstance(part, email.message.Message)]
    boundary = _Params(_part_headers(message).get("content-type"), None).raw("boundary")
    if not boundary:  # an attached message inside the attached message
        for part in parts:
            _write_message(part, out, depth + 1)
        return
    delimiter = b"--" + _raw_bytes(boundary)
    if message.preamble:
        out.append(_raw_bytes(message.preamble) + b"\n")
    for part in parts:
        out.append(delimiter + b"\n")
        _write_message(part, out, depth + 1)
        out.append(b"\n")
    out.append(delimiter + b"--\n")
    if message.epilogue:
        out.append(_raw_bytes(message.epilogue))


def _serialise_headers(block: email.message.Message) -> str:
    return "".join(
        f"{name}: {_LINE_BREAKS.sub(chr(10), value)}\n" for name, value in block.raw_items()
    )


_HEADER_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)", re.I | re.M)


def _message_ids_in_headers(data: bytes) -> list[str]:
    ids: list[str] = []
    for match in _HEADER_MESSAGE_ID.finditer(data):
        ids.extend(parse_message_ids(match.group(1).decode("ascii", "replace")))
    return ids


# --- the message -------------------------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+[ \t]*:")
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
        if _HEADER_LINE.match(line[skip:]):
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
        if _HEADER_LINE.match(line):
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
                if _usable(address):
                    return address
    if envelope:
        candidate = envelope.split()[0] if envelope.split() else ""
        for address in parse_addresses(candidate, charset):
            if _usable(address):
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

    top_type = _Params(headers.first("content-type"), None)
    charset = top_type.get("charset")
    if _codec_for(charset) is None:
        charset = None

    walker = _Walker(charset)
    pieces: list[_Piece] = []
    try:
        walker.walk(message, pieces)
    except RecursionError as error:
        raise UnparseableMail("MIME parts nested too deeply") from error

    has_html = any(piece.has_html() for piece in pieces)
    html = "".join(piece.as_html() for piece in pieces) if has_html else None
    text = _trim_body(_join_text(pieces))

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
