"""Content-Transfer-Encodings decoded as far as the bytes allow: base64 with junk or bad
padding, quoted-printable, and uuencode (also the lines of a uuencoded block in a text body).
"""

from __future__ import annotations

import binascii
import re

__all__ = ["decode_base64", "decode_transfer", "decode_uu_line"]

_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")
_BASE64_PADDING = re.compile(rb"=+")


def decode_base64(data: bytes) -> bytes:
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


def decode_uu_line(line: bytes) -> bytes:
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
        out += decode_uu_line(line.rstrip(b"\r\n"))
    return bytes(out)


def decode_transfer(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        return decode_base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding in ("x-uuencode", "uuencode", "x-uue", "uue"):
        return _decode_uu(data)
    return data
