"""File names and types, wherever bytes come in with a name: mail attachments, uploads in
the portal and the web form, files added by staff.

Pure and cheap to import (no database, no mail parser).
"""

from __future__ import annotations

import functools
import mimetypes
import re
import unicodedata

__all__ = ["content_type_for", "extension_for", "sanitize_filename"]

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


def extension_for(content_type: str) -> str:
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
        cleaned = stem + extension_for(content_type)
    return cleaned
