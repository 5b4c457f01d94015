"""The catalogues: every text has a German translation, and the compiled files are current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "tix" / "locale"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _catalog(language: str):
    with open(LOCALE / language / "LC_MESSAGES" / "tix.po", "rb") as handle:
        return read_po(handle)


def _source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "tix",
        keywords={"_": None, "ngettext": (1, 2)},
        method_map=[("**.py", "python"), ("web/templates/**.html", "jinja2")],
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _complete(string: str | tuple[str, ...] | list[str]) -> bool:
    """A translation with every form filled (a plural has one per form)."""
    return all(string) if isinstance(string, (tuple, list)) else bool(string)


def test_every_text_in_the_code_has_a_german_translation() -> None:
    german = _catalog("de")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in german if m.id}
    missing = sorted(m for m in _source_messages() if not _complete(translated.get(m) or ""))
    assert missing == [], "run scripts/i18n and translate: " + "; ".join(missing[:5])


def test_the_source_scan_reaches_plurals_templates_and_the_tui() -> None:
    """The completeness check above sees every place texts live: a plural's forms,
    the portal's Jinja templates, the TUI's screens and the web form."""
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT / "tix",
        keywords={"_": None, "ngettext": (1, 2)},
        method_map=[("**.py", "python"), ("web/templates/**.html", "jinja2")],
    ):
        found.setdefault(filename.split("/")[0], []).append(message)
    assert {"tui", "web", "cli", "core"} <= set(found)
    assert any(name.endswith(".html") for name in _template_files())
    assert any(not isinstance(message, str) for message in found["cli"] + found["core"])


def _template_files() -> list[str]:
    return [
        filename
        for filename, *_rest in extract_from_dir(
            ROOT / "tix" / "web" / "templates",
            keywords={"_": None, "ngettext": (1, 2)},
            method_map=[("**.html", "jinja2")],
        )
    ]


def test_a_plural_with_an_empty_form_counts_as_missing() -> None:
    assert not _complete(("eine Nachricht", ""))
    assert _complete(("eine Nachricht", "{count} Nachrichten")) and not _complete("")


GERMAN_TERMS = {
    # a word German helpdesks do not use: the one they do (Zammad, Znuny, OTRS)
    "Gegenstand": "Betreff",
    "Eigentümer": "Besitzer",
    "Alarm": "Wiedervorlage",
}


def test_german_uses_the_terms_of_german_helpdesks() -> None:
    wrong = []
    for message in _catalog("de"):
        forms = message.string if isinstance(message.string, (tuple, list)) else [message.string]
        for form in forms:
            for word, term in GERMAN_TERMS.items():
                if form and re.search(rf"\b{re.escape(word)}", form) and term not in form:
                    wrong.append(f"{word!r} in {form!r}: say {term!r}")
    assert wrong == []


def test_translations_keep_their_placeholders() -> None:
    for message in _catalog("de"):
        if message.id and isinstance(message.id, str) and message.string:
            assert sorted(PLACEHOLDER.findall(message.id)) == sorted(
                PLACEHOLDER.findall(message.string)
            ), message.id


def test_compiled_catalogues_match_their_sources() -> None:
    for language in ("en", "de"):
        source: dict[object, object] = {}
        for m in _catalog(language):
            if not m.id or not m.string:
                continue
            if isinstance(m.id, str):
                source[m.id] = m.string
            else:  # a plural: the compiler writes the msgids where msgstr[n] is empty
                source[tuple(m.id)] = tuple(s or m.id[min(n, 1)] for n, s in enumerate(m.string))
        with open(LOCALE / language / "LC_MESSAGES" / "tix.mo", "rb") as handle:
            compiled = {
                m.id if isinstance(m.id, str) else tuple(m.id): (
                    m.string if isinstance(m.string, str) else tuple(m.string)
                )
                for m in read_mo(handle)
                if m.id and m.string
            }
        assert compiled == source, f"{language}: run scripts/i18n to compile"


def test_the_cli_speaks_german(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tix", "ticket", "show", "1"],
        capture_output=True,
        text=True,
        check=False,
        env={
            "TIX_LANG": "de",
            "TIX_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
    )
    assert result.returncode == 1
    assert "ist nicht initialisiert" in result.stderr, result.stderr
