"""Where the config file is, and the one setting read before any text is shown.

Kept apart from :mod:`tix.core.config` because it runs on every start (the language
decides the help texts): it imports nothing beyond the standard library's basics.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "tix"


def config_path() -> Path:
    """The config file: ``TIX_CONFIG``, else ``config.toml`` in the user config folder."""
    explicit = os.environ.get("TIX_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform.startswith("linux"):
        # The XDG rule platformdirs follows on Linux, without its ~3 ms import.
        base = os.environ.get("XDG_CONFIG_HOME", "").strip()
        folder = Path(base) if base else Path("~/.config").expanduser()
        return folder / APP_NAME / "config.toml"
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


def file_language() -> str | None:
    """The ``language`` the config file names, if tix speaks it.

    This never fails: a broken file is refused, with its line, when the settings are
    loaded (:func:`tix.core.config.load_settings`).
    """
    from tix.core.i18n import normal_language

    try:
        text = config_path().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if "language" not in text:
        return None
    import tomllib  # ~3 ms: only when the file may name a language

    try:
        value = tomllib.loads(text).get("language")
    except tomllib.TOMLDecodeError:
        return None
    return normal_language(value) if isinstance(value, str) else None
