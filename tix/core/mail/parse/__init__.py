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

The package is split by concern: `charsets` (bytes to text), `transfer` (transfer
encodings), `headers` (header values, MIME parameters, Message-IDs, dates), `addresses`,
`mime` (the walk over the parts, text bodies), `message` (the whole message and
`parse_mail`), `result` (what it hands out). File names are made safe by `tix.core.files`.
"""

from __future__ import annotations

# sanitize_filename and content_type_for live in tix.core.files; they stay importable
# here for callers written against the single-module parser.
from tix.core.files import content_type_for, sanitize_filename
from tix.core.mail.parse.addresses import Address, parse_addresses
from tix.core.mail.parse.charsets import decode_bytes
from tix.core.mail.parse.headers import decode_header, parse_date, parse_message_ids
from tix.core.mail.parse.message import parse_mail
from tix.core.mail.parse.mime import unflow
from tix.core.mail.parse.result import Attachment, ParsedMail, UnparseableMail

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
