"""What the parser hands out: a `ParsedMail` with its `Attachment` values, or
`UnparseableMail` for bytes that are not a mail."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tix.core.mail.parse.addresses import Address

__all__ = ["Attachment", "ParsedMail", "UnparseableMail"]


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
