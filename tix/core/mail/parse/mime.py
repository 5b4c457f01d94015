"""The MIME walk: which parts make the body (text and HTML, in reading order), which are
files, what a bounce returned; and text bodies (format=flowed, uuencoded blocks).

The tree comes from the standard library's feed parser; parts whose boundary it could
not use are recovered here, and attached messages are written back from the bytes the
parser kept.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import re
from dataclasses import dataclass, field
from typing import Literal

from tix.core.files import content_type_for, extension_for, sanitize_filename
from tix.core.mail.html import html_to_text, sanitize_html, text_to_html
from tix.core.mail.parse.charsets import decode_bytes
from tix.core.mail.parse.headers import (
    BODY_CONTROLS,
    HEADER_LINE,
    LINE_BREAKS,
    Params,
    decode_header,
    parse_message_ids,
    raw_bytes,
    unfold,
)
from tix.core.mail.parse.result import UnparseableMail
from tix.core.mail.parse.transfer import decode_transfer, decode_uu_line

__all__ = ["Piece", "Walker", "join_text", "trim_body", "unflow"]

_MAX_DEPTH = 30
"""MIME nesting deeper than this is an attack on the parser, not a mail."""


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
            decode_uu_line(line.rstrip("\r").encode("latin-1", "replace")) for line in lines
        )
        files.append((match.group(1).strip(), data))
        kept.append(text[position : match.start()])
        position = end.end()
    if not files:
        return text, []
    kept.append(text[position:])
    return "".join(kept), files


def _clean_text(text: str) -> str:
    """Line breaks as ``\\n``; no control characters but tabs and line breaks."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(BODY_CONTROLS)


def trim_body(text: str) -> str:
    """Drop leading blank lines and trailing whitespace."""
    return re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()


# --- MIME structure ----------------------------------------------------------------------

_Kind = Literal["text", "html", "alternative"]


@dataclass
class Piece:
    """One piece of the body, in reading order."""

    kind: _Kind
    content: str = ""  # the text, or the unsanitised HTML
    alternative_text: str | None = None  # for "alternative": the text/plain version
    rich: list[Piece] = field(default_factory=list)  # for "alternative": the HTML version
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
        return join_text(self.rich)

    def as_html(self) -> str:
        if self.kind == "text":
            return text_to_html(self.content)
        if self.kind == "html":
            return self.sanitized()
        if any(piece.has_html() for piece in self.rich):
            return "".join(piece.as_html() for piece in self.rich)
        return text_to_html(self.alternative_text or join_text(self.rich))


def join_text(pieces: list[Piece]) -> str:
    texts = [text for text in (trim_body(piece.as_text()) for piece in pieces) if text]
    return "\n\n".join(texts)


@dataclass
class _PartInfo:
    content_type: str
    params: Params
    disposition: str
    disposition_params: Params
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


class Walker:
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
        params = Params(headers.get("content-type"), self.charset)
        content_type = params.value
        if (
            content_type.count("/") != 1
            or content_type.startswith("/")
            or content_type.endswith("/")
        ):
            content_type = default_type
        disposition = Params(headers.get("content-disposition"), self.charset)
        encoding = Params(headers.get("content-transfer-encoding"), None).value
        content_id = headers.get("content-id")
        if content_id is not None:
            content_id = re.sub(r"\s+", "", unfold(content_id)).strip("<>") or None
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
            raw = raw_bytes(payload)
        elif isinstance(payload, bytes | bytearray):
            raw = bytes(payload)
        else:  # a list (callers pass leaves only) or nothing
            return b""
        return decode_transfer(raw, info.transfer_encoding)

    def filename(self, info: _PartInfo) -> str | None:
        name = info.disposition_params.get("filename") or info.params.get("name")
        return name if name and name.strip() else None

    # the walk --------------------------------------------------------------------
    def walk(
        self,
        part: email.message.Message,
        out: list[Piece],
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
                data = b"\n".join(raw_bytes(_serialise_headers(block)) for block in children)
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
        return Params(raw, None).value == content_type

    def is_body(self, info: _PartInfo) -> bool:
        return info.disposition != "attachment" and self.filename(info) is None

    def walk_alternative(
        self, children: list[email.message.Message], out: list[Piece], depth: int
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
            rich: list[Piece] = []
            self.walk(children[rich_index], rich, depth + 1)
            alternative_text = None
            if text_index is not None:
                pieces: list[Piece] = []
                shown_files = len(self.attachments)
                if children[text_index].is_multipart():
                    self.walk(children[text_index], pieces, depth + 1)
                else:
                    self.add_body(children[text_index], infos[text_index], pieces)
                self.drop_repeated_files(first_file, shown_files)
                alternative_text = join_text(pieces) or None  # empty: use the HTML
            out.append(Piece("alternative", alternative_text=alternative_text, rich=rich))
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
        out: list[Piece],
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

    def add_body(self, part: email.message.Message, info: _PartInfo, out: list[Piece]) -> None:
        data = self.payload(part, info)
        charset = info.params.get("charset")
        if info.content_type == "text/html":
            if not charset:
                declared = _HTML_CHARSET.search(data[:4096])
                charset = declared.group(1).decode("ascii") if declared else None
            html = _clean_text(decode_bytes(data, charset))
            if html.strip():
                out.append(Piece("html", content=html))
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
            out.append(Piece("text", content=text))

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
                name = info.description + extension_for(content_type)
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
    data = raw_bytes(payload)
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
            if HEADER_LINE.match(following):
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


def _contains_html(part: email.message.Message, info: _PartInfo, walker: Walker) -> bool:
    if not part.is_multipart():
        return info.content_type == "text/html" and info.disposition != "attachment"
    if info.content_type.startswith("message/"):
        return False
    return any(
        _contains_html(child, walker.info(child, "text/plain"), walker) for child in _subparts(part)
    )


def _contains_text(part: email.message.Message, walker: Walker) -> bool:
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
        out.append(raw_bytes(f"{name}: {LINE_BREAKS.sub(chr(10), value)}\n"))
    out.append(b"\n")
    payload = vars(message).get("_payload")
    if isinstance(payload, str):
        out.append(raw_bytes(payload.replace("\r\n", "\n")))  # one line ending throughout
        return
    if not isinstance(payload, list) or depth > _MAX_DEPTH:
        return
    parts = [part for part in payload if isinstance(part, email.message.Message)]
    boundary = Params(_part_headers(message).get("content-type"), None).raw("boundary")
    if not boundary:  # an attached message inside the attached message
        for part in parts:
            _write_message(part, out, depth + 1)
        return
    delimiter = b"--" + raw_bytes(boundary)
    if message.preamble:
        out.append(raw_bytes(message.preamble) + b"\n")
    for part in parts:
        out.append(delimiter + b"\n")
        _write_message(part, out, depth + 1)
        out.append(b"\n")
    out.append(delimiter + b"--\n")
    if message.epilogue:
        out.append(raw_bytes(message.epilogue))


def _serialise_headers(block: email.message.Message) -> str:
    return "".join(
        f"{name}: {LINE_BREAKS.sub(chr(10), value)}\n" for name, value in block.raw_items()
    )


_HEADER_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)", re.I | re.M)


def _message_ids_in_headers(data: bytes) -> list[str]:
    ids: list[str] = []
    for match in _HEADER_MESSAGE_ID.finditer(data):
        ids.extend(parse_message_ids(match.group(1).decode("ascii", "replace")))
    return ids
