"""Bytes to text: charset labels as mailers write them, and guessing when they lie.

Labels are read as the WHATWG Encoding Standard reads them (a superset where senders
really used one), 8-bit bytes of unknown charset are guessed from how plausible each
candidate's text is, and nothing here ever raises on bad input.
"""

from __future__ import annotations

import codecs
import functools
import re

__all__ = ["codec_for", "decode_bytes"]

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
def codec_for(charset: str | None) -> str | None:
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
    codec = codec_for(charset)
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
    except LookupError:  # pragma: no cover - codec_for only returns known codecs
        return _guess(data, None)
    if prefer_utf8:  # raw header bytes: the label is the message's, not their own
        return _guess(data, codec)
    # A declared charset that does not fit a few bytes is still the charset: guessing
    # another one for the whole text garbles every letter that was right.
    if codec == _LATIN:
        return data.decode("latin-1").translate(_WINDOWS_1252_HIGH)
    return data.decode(codec, "replace")
