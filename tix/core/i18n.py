"""The one translation function of tix.

All user-facing text goes through :func:`_` (and :func:`ngettext` for plurals). The
language follows ``TIX_LANG``, else ``language`` in the config file, else the locale
(``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``); a caller that serves several
people at once (the web portal) switches it per request with :func:`use_language`.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "tix"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("en", "de")
"""Languages with a catalogue; English is the source language."""

_active: ContextVar[gettext.NullTranslations | None] = ContextVar("tix_language", default=None)


@cache
def translation(language: str | None) -> gettext.NullTranslations:
    """The catalogue for ``language`` (``None``: from the environment)."""
    languages = [language] if language else _languages_from_environment()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=languages, fallback=True)


def _languages_from_environment() -> list[str]:
    explicit = os.environ.get("TIX_LANG")
    if explicit:
        return [explicit]
    from tix.core.config_file import file_language  # imports this module: not at the top

    configured = file_language()
    if configured:
        return [configured]
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            # "de_DE.UTF-8" -> "de_DE"; LANGUAGE may list several: "de:en"
            return [part.split(".")[0] for part in value.split(":") if part]
    return ["en"]


def normal_language(value: str) -> str | None:
    """``de`` for ``de``, ``de_DE`` or ``de_DE.UTF-8``; ``None`` for a language tix lacks."""
    code = value.strip().split(".")[0].split("_")[0].split("-")[0].lower()
    return code if code in LANGUAGES else None


def current() -> gettext.NullTranslations:
    active = _active.get()
    return active if active is not None else translation(None)


def language_code() -> str:
    """The two-letter code of the active language (``en`` when untranslated)."""
    info = current().info()
    lang = info.get("language", "") if info else ""
    return (lang or "en")[:2]


def _(message: str) -> str:
    """Translate ``message`` into the active language."""
    return current().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return current().ngettext(singular, plural, count)


@contextmanager
def use_language(language: str | None) -> Iterator[None]:
    """Use ``language`` for the text made inside the block (per thread and task)."""
    token = _active.set(translation(language) if language else None)
    try:
        yield
    finally:
        _active.reset(token)
