"""Build the mails tix sends: pure, no I/O, the exact bytes for SMTP and IMAP APPEND.

An agent writes Markdown. The mail carries it twice, as ``multipart/alternative``: the
source itself as ``text/plain`` (Markdown reads well as it is) and the rendered HTML.
Attachments wrap that in ``multipart/mixed``; inline images sit next to the HTML in
``multipart/related``.

The bytes are 7-bit ASCII with CRLF line endings and no line longer than 78 characters
(`email.policy.SMTP` with ``cte_type="7bit"``): non-ASCII headers are RFC 2047
encoded words, non-ASCII file names RFC 2231 parameters, bodies quoted-printable or
base64. Every SMTP server takes such a message with a plain ``MAIL FROM`` (no
``SMTPUTF8``, no ``8BITMIME`` needed) and every IMAP server stores it; ``policy.SMTPUTF8``
would only pay off for addresses with non-ASCII local parts, which few servers accept.
"""

from __future__ import annotations

import email.policy
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import headerregistry
from email.errors import MessageError
from email.headerregistry import Address, Group
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy, Policy
from email.utils import unquote
from functools import cache
from html import escape
from typing import Any, ClassVar, Literal

from markdown_it import MarkdownIt

from tix.core.errors import Invalid
from tix.core.i18n import _
from tix.core.mail.html import referenced_content_ids

__all__ = [
    "Outgoing",
    "OutgoingAttachment",
    "compose",
    "envelope_address",
    "recipients",
    "render",
]


@dataclass(frozen=True)
class OutgoingAttachment:
    name: str
    """The file name the recipient sees (any characters; encoded as needed)."""
    content_type: str
    """``type/subtype``; anything unusable is sent as ``application/octet-stream``."""
    data: bytes
    content_id: str | None = None
    """Content-ID with or without ``<>``; the body refers to it as ``cid:...``."""
    inline: bool = False
    """An image shown in the HTML body (needs `content_id`, and the body must refer to it)."""


@dataclass(frozen=True)
class Outgoing:
    sender: str
    """The formatted From, e.g. ``ACME Support <support@acme.example>``, or a bare address."""
    to: Sequence[str]
    """Bare addresses."""
    cc: Sequence[str]
    bcc: Sequence[str]
    """Envelope only: never written into the message."""
    subject: str
    """Already carries the ticket tag, e.g. ``Re: [Ticket#1042] Pump``."""
    body: str
    """The agent's text, Markdown."""
    message_id: str
    """Without ``<>``."""
    in_reply_to: str | None = None
    """Without ``<>``."""
    references: Sequence[str] = ()
    """Without ``<>``, oldest first."""
    date: datetime | None = None
    """Timezone-aware; None: now."""
    automatic: bool = False
    """Sent by tix itself (acknowledgement, notification): marked so that no
    auto-responder answers it and no helpdesk, tix included, opens a ticket for it."""
    notification: bool = False
    """A notification to a watcher; implies `automatic` and adds ``X-Tix-Notification``."""
    ticket_number: int | None = None
    """Written as ``X-Tix-Ticket``."""
    reply_to: str | None = None
    attachments: Sequence[OutgoingAttachment] = ()


# --- Markdown -----------------------------------------------------------------------------

# Schemes a link in a mail may use. Anything else (javascript:, vbscript:, data:, file:)
# makes the text stay text instead of becoming a link.
_LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]")  # browsers skip these inside a scheme

_FONT_STYLE = "font-family: Arial, Helvetica, sans-serif; font-size: 14px; line-height: 1.45;"


def _safe_link(url: str) -> bool:
    match = _SCHEME.match(_IGNORED_IN_SCHEME.sub("", url).lower())
    return match is None or match.group(1) in _LINK_SCHEMES


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with tables and strikethrough (what people know from chat and GitHub).
    # `html` off: an agent's text cannot inject markup, "<script>" stays text.
    # `breaks` on: a line break typed in the editor stays a line break, as every mail
    # program shows it in the text part; without it "Regards\nAnna" became one line.
    renderer = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
    renderer.enable(["table", "strikethrough"])
    renderer.validateLink = _safe_link  # type: ignore[method-assign]
    return renderer


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render(markdown: str) -> tuple[str, str]:
    """The ``(text, html)`` of the two alternative parts for an agent's Markdown.

    The text is the Markdown source with ``\\n`` line endings and one final newline. The
    HTML is a small complete UTF-8 document; raw HTML in the source is escaped and links
    with other schemes than http(s), mailto, tel and cid are left as text.
    """
    text = _normalise_newlines(markdown).strip("\n")
    text = text + "\n" if text else ""
    fragment = _markdown().render(text)
    html = (
        "<!DOCTYPE html>\n"
        '<html>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "</head>\n<body>\n"
        f'<div style="{escape(_FONT_STYLE)}">\n{fragment}</div>\n'
        "</body>\n</html>\n"
    )
    return text, html


# --- addresses ----------------------------------------------------------------------------


def _domain_to_ascii(domain: str, address: str) -> str:
    """An internationalised domain in its ASCII (IDNA 2008) form.

    Python's ``idna`` codec implements IDNA 2003, which turns ``straße.de`` into
    ``strasse.de``, a different domain (DENIC switched to IDNA 2008 in 2010); so each
    label is NFC-normalised, lowercased and Punycode-encoded here.
    """
    if domain.isascii():
        return domain
    labels = []
    for label in unicodedata.normalize("NFC", domain).lower().split("."):
        if label.isascii():
            labels.append(label)
            continue
        encoded = "xn--" + label.encode("punycode").decode("ascii")
        if len(encoded) > 63:
            raise Invalid(_("{address} is not a valid mail address").format(address=address))
        labels.append(encoded)
    return ".".join(labels)


# RFC 5321/5322 addr-spec (dot-atom or quoted local part; RFC 6532 allows non-ASCII in
# it), with a host name or an address literal after the @ (after Punycode).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LOCAL_PART = re.compile(rf'{_ATOM}(?:\.{_ATOM})*|"(?:[^"\\\x00-\x1f]|\\.)*"')
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*|\[[!-Z^-~]+\]")


def envelope_address(address: str) -> str:
    """`address` as the SMTP envelope needs it: trimmed, the domain in ASCII (Punycode).

    A non-ASCII local part is kept (only a server with SMTPUTF8 takes it). Raises
    `Invalid` for anything that is not an address.
    """
    address = address.strip()
    local, _at, domain = address.rpartition("@")
    ascii_domain = _domain_to_ascii(domain, address) if local else ""
    if not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(ascii_domain):
        raise Invalid(_("{address} is not a valid mail address").format(address=address))
    return f"{local}@{ascii_domain}"


def _address(display_name: str, address: str) -> Address:
    """A header address; the local part must be ASCII (the message is 7-bit)."""
    addr_spec = envelope_address(address)
    if not addr_spec.isascii():
        raise Invalid(
            _("{address} cannot be written into a mail header: non-ASCII before the @").format(
                address=address
            )
        )
    try:
        return Address(display_name=_one_line(display_name), addr_spec=addr_spec)
    except (ValueError, LookupError, AttributeError, MessageError) as error:
        # The email package's own checks, which raise all of these; the patterns above
        # should have let nothing through that gets here.
        raise Invalid(_("{address} is not a valid mail address").format(address=address)) from error


_NAME_ADDR = re.compile(r"(.*?)<([^<>]*)>")


def _formatted_address(value: str) -> Address:
    """``Name <addr>`` or a bare address, as given in `Outgoing.sender` / `reply_to`."""
    line = _one_line(value)
    # Lenient on purpose: "Müller, Support <x@y>" (an unquoted comma) is taken as meant.
    match = _NAME_ADDR.fullmatch(line)
    if match is None:
        return _address("", line)
    name = match.group(1).strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = unquote(name)
    return _address(name, match.group(2))


def recipients(outgoing: Outgoing) -> list[str]:
    """Envelope recipients: to + cc + bcc, de-duplicated case-insensitively, order kept.

    Domains are given in ASCII (Punycode), as SMTP needs them.
    """
    seen: set[str] = set()
    result: list[str] = []
    for address in (*outgoing.to, *outgoing.cc, *outgoing.bcc):
        if not address.strip():
            continue
        ascii_address = envelope_address(address)
        key = ascii_address.casefold()
        if key not in seen:
            seen.add(key)
            result.append(ascii_address)
    return result


# --- headers ------------------------------------------------------------------------------

_MESSAGE_ID = re.compile(r"[!-;=?-~]+")  # printable ASCII without "<", ">" and space
_MAX_REFERENCES = 30
"""Longer chains keep the first and the last ones (the parent and the thread root are
what threading needs; a header of hundreds of IDs trips some servers' limits)."""


class _MessageIdsHeader(headerregistry.BaseHeader):
    """Message-ID, In-Reply-To, References, Content-ID: ``<id>`` tokens, folded between them.

    The standard policy treats In-Reply-To and References as unstructured text, and
    folds an ID longer than a line into RFC 2047 encoded words, which no mail program
    reads as a Message-ID any more (Outlook's IDs are that long). The value handed in
    is already the space-separated list of ``<id>``.
    """

    max_count: ClassVar[Literal[1] | None] = 1

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        kwds["decoded"] = " ".join(value.split())
        kwds["parse_tree"] = None  # only `fold` would use it, and it is replaced here

    def fold(self, *, policy: Policy[Any]) -> str:
        name = self.name
        lines = [f"{name}:"]
        limit = policy.max_line_length or 998
        for token in str(self).split():
            if len(lines[-1]) + 1 + len(token) > limit and lines[-1].strip() != f"{name}:":
                lines.append("")
            lines[-1] += " " + token
        return policy.linesep.join(lines) + policy.linesep


def _policy() -> EmailPolicy[EmailMessage]:
    registry = headerregistry.HeaderRegistry()
    for name in ("message-id", "in-reply-to", "references", "content-id"):
        registry.map_to_type(name, _MessageIdsHeader)
    # SMTP: CRLF line endings; cte_type 7bit: bodies are never left 8-bit.
    policy: EmailPolicy[EmailMessage] = email.policy.SMTP.clone(
        cte_type="7bit", header_factory=registry
    )
    return policy


_POLICY = _policy()


def _valid_message_id(value: str) -> str | None:
    """The ID without ``<>`` and surrounding space, or None when it cannot be written."""
    value = value.strip().removeprefix("<").removesuffix(">").strip()
    if not value or len(value) > 900 or not _MESSAGE_ID.fullmatch(value):
        return None
    return value


def _references(ids: Iterable[str]) -> list[str]:
    valid = list(dict.fromkeys(v for v in (_valid_message_id(i) for i in ids) if v))
    if len(valid) > _MAX_REFERENCES:
        valid = [valid[0], *valid[-(_MAX_REFERENCES - 1) :]]
    return valid


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")  # C0 and C1 alike


def _one_line(value: str) -> str:
    """A header value without line breaks or control characters (no header injection)."""
    return " ".join(_CONTROL.sub(" ", value).split())


# --- the message --------------------------------------------------------------------------


def _container(part: MIMEPart, subtype: str, children: Sequence[MIMEPart]) -> MIMEPart:
    part["Content-Type"] = f"multipart/{subtype}"
    for child in children:
        part.attach(child)
    return part


def _text(content: str, subtype: str) -> MIMEPart:
    part = MIMEPart(policy=_POLICY)
    # Without `cte` the email package takes 7bit for short ASCII lines, else the
    # shorter of quoted-printable (Latin text) and base64 (CJK text).
    part.set_content(content, subtype=subtype, charset="utf-8")
    return part


_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+\-]*")


def _attachment(attachment: OutgoingAttachment, disposition: str) -> MIMEPart:
    maintype, _slash, subtype = attachment.content_type.strip().lower().partition("/")
    subtype = subtype.split(";", 1)[0].strip()
    # message/* and multipart/* may not be base64 (RFC 2046); an .eml goes as octets.
    if (
        not _TOKEN.fullmatch(maintype)
        or not _TOKEN.fullmatch(subtype)
        or maintype in ("message", "multipart")
    ):
        maintype, subtype = "application", "octet-stream"
    name = _one_line(attachment.name).replace("/", "_").replace("\\", "_") or "attachment"
    part = MIMEPart(policy=_POLICY)
    content_id = _valid_message_id(attachment.content_id or "")
    part.set_content(
        attachment.data,
        maintype,
        subtype,
        disposition=disposition,
        filename=name,
        cid=f"<{content_id}>" if content_id else None,
        # Content-Type's "name", for the mail programs that read only that one. Not for a
        # non-ASCII name: the email package would then mangle a long type such as
        # application/vnd.openxmlformats-officedocument.spreadsheetml.sheet into encoded
        # words; the RFC 2231 filename* of Content-Disposition is the standard place.
        params={"name": name} if name.isascii() else {},
    )
    return part


def compose(outgoing: Outgoing) -> bytes:
    """The RFC 5322 message: 7-bit ASCII bytes with CRLF line endings, no Bcc header.

    Raises `Invalid` for an address that cannot be written or a bad Message-ID / date.
    """
    message_id = _valid_message_id(outgoing.message_id)
    if message_id is None:
        raise Invalid(_("{value} is not a valid Message-ID").format(value=outgoing.message_id))
    date = outgoing.date if outgoing.date is not None else datetime.now().astimezone()
    if date.utcoffset() is None:
        raise Invalid(_("the date of a mail needs a time zone"))

    message = EmailMessage(policy=_POLICY)
    message["From"] = _formatted_address(outgoing.sender)
    to = [_address("", a) for a in outgoing.to if a.strip()]
    cc = [_address("", a) for a in outgoing.cc if a.strip()]
    # RFC 5322 allows no To at all, but spam filters punish it; this is what mail
    # programs write when every recipient is a Bcc.
    message["To"] = to if to or cc else [Group("undisclosed-recipients")]
    if cc:
        message["Cc"] = cc
    message["Subject"] = _one_line(outgoing.subject)
    message["Date"] = date
    message["Message-ID"] = f"<{message_id}>"
    parent = _valid_message_id(outgoing.in_reply_to or "")
    if parent:
        message["In-Reply-To"] = f"<{parent}>"
    references = _references(outgoing.references)
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    if outgoing.reply_to:
        message["Reply-To"] = _formatted_address(outgoing.reply_to)
    if outgoing.automatic or outgoing.notification:
        # RFC 3834: auto-responders and helpdesks (tix's own parser too) do not answer.
        message["Auto-Submitted"] = "auto-generated"
        # Exchange and Outlook: no out-of-office, no read or delivery receipts.
        message["X-Auto-Response-Suppress"] = "All"
        # Not standard, but the only header the vacation(1) family and many older
        # auto-responders honour; a mail loop costs more than the small spam-score
        # some filters give bulk mail.
        message["Precedence"] = "bulk"
    if outgoing.notification:
        message["X-Tix-Notification"] = "yes"
    if outgoing.ticket_number is not None:
        message["X-Tix-Ticket"] = str(outgoing.ticket_number)
    message["MIME-Version"] = "1.0"

    text, html = render(outgoing.body)
    cited = referenced_content_ids(html)
    inline: list[MIMEPart] = []
    attached: list[MIMEPart] = []
    for attachment in outgoing.attachments:
        content_id = _valid_message_id(attachment.content_id or "")
        if attachment.inline and content_id and content_id.lower() in cited:
            inline.append(_attachment(attachment, "inline"))
        else:
            # An inline image the body does not show would be invisible: attach it.
            attached.append(_attachment(attachment, "attachment"))

    html_part = _text(html, "html")
    if inline:
        html_part = _container(MIMEPart(policy=_POLICY), "related", [html_part, *inline])
    parts = [_text(text, "plain"), html_part]
    if attached:
        alternative = _container(MIMEPart(policy=_POLICY), "alternative", parts)
        _container(message, "mixed", [alternative, *attached])
    else:
        _container(message, "alternative", parts)
    return message.as_bytes(policy=_POLICY)
