"""Safe file names and guessed types, shared by mail import, uploads and staff files."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tix.core.files import content_type_for, sanitize_filename


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Erklärung.txt", "Erklärung.txt"),
        ("绩效管理,究竟谁错了.xls", "绩效管理,究竟谁错了.xls"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\Desktop\\report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("a\x00b\x07c.txt", "abc.txt"),
        ('what: "why"?.txt', "what_ _why__.txt"),
        ("  .hidden  ", "hidden"),
        ("CON.txt", "_CON.txt"),
        ("", "attachment.bin"),
        ("..", "attachment.bin"),
        (None, "attachment.bin"),
    ],
)
def test_sanitize_filename(name: str | None, safe: str) -> None:
    assert sanitize_filename(name) == safe


def test_sanitize_filename_falls_back_to_the_content_type() -> None:
    assert sanitize_filename("", "image/png") == "attachment.png"
    assert sanitize_filename(None, "message/rfc822") == "message.eml"
    assert sanitize_filename("/", "application/pdf") == "attachment.pdf"


def test_sanitize_filename_limits_length_and_keeps_extension() -> None:
    safe = sanitize_filename("ä" * 300 + ".pdf")
    assert safe.endswith(".pdf")
    assert len(safe.encode("utf-8")) <= 200


def test_content_type_for_guesses_from_the_extension() -> None:
    assert content_type_for("Rechnung.PDF") == "application/pdf"
    assert content_type_for("no-extension") == "application/octet-stream"


def test_the_files_module_imports_no_mail_parser() -> None:
    """Storing a file or checking an upload pays for no mail parsing and no HTML cleaner."""
    code = (
        "import sys, tix.core.files\n"
        "print(sorted(m for m in sys.modules if m.startswith('tix.core.mail') or m == 'nh3'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
