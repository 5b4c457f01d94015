"""The one upload policy of the portal and the web form: which files a customer may send.

:func:`check_upload` gives a file a safe name and refuses it when it is too large, when
its name has no extension of :data:`FILE_TYPES`, or when its content is not what the
extension says (by its first bytes: an ``.exe`` renamed ``.pdf`` is refused). The type
stored is the one the extension and the content agree on, never the one the browser sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from tix.core import errors
from tix.core.i18n import _

MAX_UPLOADS = 10
"""Most files one post may carry."""
FORM_SLACK = 1024 * 1024
"""What a portal post may carry besides its files: every upload of one post together may
be at most ``max_file_size``, so a body above that plus this is refused before it is read."""

_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
_TIFF = (b"II*\x00", b"MM\x00*")
_TEXT = None

FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    # images (no SVG: it can carry scripts)
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".bmp": ("image/bmp", (b"BM",)),
    ".tif": ("image/tiff", _TIFF),
    ".tiff": ("image/tiff", _TIFF),
    ".heic": ("image/heic", ()),  # an ISO media box: checked by _fits
    # PDF and text
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".txt": ("text/plain", _TEXT),
    ".log": ("text/plain", _TEXT),
    ".csv": ("text/csv", _TEXT),
    ".md": ("text/markdown", _TEXT),
    # office documents
    ".rtf": ("application/rtf", (b"{\\rtf",)),
    ".doc": ("application/msword", _OLE),
    ".xls": ("application/vnd.ms-excel", _OLE),
    ".ppt": ("application/vnd.ms-powerpoint", _OLE),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ZIP,
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    ".odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
}
"""Files a customer may send, by extension: the type stored, and how the content must
start (``None``: text, see :func:`_is_text`)."""

HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


class UploadRefused(errors.Invalid):
    """A file the policy does not take; ``too_large`` tells size from kind."""

    code = "upload_refused"

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class CheckedUpload:
    """A file that may be stored: its safe name, its bytes and its type."""

    name: str
    data: bytes
    content_type: str


def check_upload(filename: str, data: bytes, max_size: int) -> CheckedUpload:
    """``data`` sent as ``filename``, checked for size, name and content."""
    from tix.core.files import sanitize_filename
    from tix.core.services.storage import check_size

    name = sanitize_filename(filename)
    try:
        check_size(name, len(data), max_size)
    except errors.Invalid as refused:
        raise UploadRefused(refused.message, too_large=True) from None
    extension = os.path.splitext(name.lower())[1]
    known = FILE_TYPES.get(extension)
    if known is None or not _fits(extension, known[1], data):
        raise UploadRefused(
            _(
                "{name}: this kind of file is not accepted. Send images, PDF, text or "
                "office documents ({extensions})."
            ).format(name=name, extensions=" ".join(sorted(FILE_TYPES))),
            too_large=False,
        )
    return CheckedUpload(name, data, known[0])


def _fits(extension: str, starts: tuple[bytes, ...] | None, data: bytes) -> bool:
    if starts is None:
        return _is_text(data)
    if extension == ".heic":
        return data[4:8] == b"ftyp" and data[8:12] in HEIC_BRANDS
    if extension == ".webp":
        return data.startswith(starts) and data[8:12] == b"WEBP"
    return data.startswith(starts)


def _is_text(data: bytes) -> bool:
    """UTF-8 without NUL bytes (a program or an image is neither)."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
