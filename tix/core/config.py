"""Settings, loaded by a function (never at import time).

Sources, strongest first: explicit arguments (the CLI's ``--db``), environment
variables (``TIX_*``), the config file (``TIX_CONFIG`` or
``<user config dir>/tix/config.toml``), defaults.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tix.core.errors import Invalid
from tix.core.i18n import _

APP_NAME = "tix"


def data_dir() -> Path:
    """Where tix keeps its SQLite database and log by default."""
    explicit = os.environ.get("TIX_DATA_DIR")
    if explicit:
        return Path(explicit)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_path() -> Path:
    explicit = os.environ.get("TIX_CONFIG")
    if explicit:
        return Path(explicit)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / "config.toml"


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    """SQLAlchemy URL; empty means the SQLite file in :func:`data_dir`."""
    language: str = ""
    """``en`` or ``de``; empty follows the locale."""
    timezone: str = ""
    """IANA zone (``Europe/Berlin``) for dates entered and shown; empty: the system's."""
    max_file_size: int = 25 * 1024 * 1024
    """Largest file (bytes) tix accepts as an attachment or upload."""
    max_mail_size: int = 50 * 1024 * 1024
    """Largest message (bytes) the mail import processes; bigger ones are kept unprocessed."""
    vat_rate: Decimal = Decimal("19")
    """VAT in percent on documents."""
    hourly_rate: Decimal = Decimal("90")
    """Default hourly rate for documents drafted from times."""
    currency: str = "EUR"
    portal_url: str = "http://127.0.0.1:8080"
    """The address customers reach ``tix serve`` at (for links in mails); https makes the
    session cookie Secure."""
    company: str = ""
    """The issuing company on documents: lines separated by newlines or ``|``."""
    log_file: str = ""
    """Where unexpected errors are logged; empty: ``tix.log`` in :func:`data_dir`."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(data_dir() / "tix.db")

    @property
    def resolved_log_file(self) -> Path:
        return Path(self.log_file) if self.log_file else data_dir() / "tix.log"


_ENVIRONMENT = {
    "TIX_DATABASE_URL": "database_url",
    "TIX_LANG": "language",
    "TIX_TIMEZONE": "timezone",
    "TIX_MAX_FILE_SIZE": "max_file_size",
    "TIX_MAX_MAIL_SIZE": "max_mail_size",
    "TIX_VAT_RATE": "vat_rate",
    "TIX_HOURLY_RATE": "hourly_rate",
    "TIX_CURRENCY": "currency",
    "TIX_COMPANY": "company",
    "TIX_PORTAL_URL": "portal_url",
    "TIX_LOG_FILE": "log_file",
}


def _coerce(name: str, value: Any, source: str) -> Any:
    try:
        if name in ("max_file_size", "max_mail_size"):
            return int(value)
        if name in ("vat_rate", "hourly_rate"):
            return Decimal(str(value))
    except (ValueError, InvalidOperation):
        raise Invalid(
            _("{source}: {name} must be a number, not {value!r}").format(
                source=source, name=name, value=value
            )
        ) from None
    return str(value)


def load_settings(*, database_url: str | None = None) -> Settings:
    """Settings from the config file, the environment and ``database_url``."""
    values: dict[str, Any] = {}
    known = {f.name for f in fields(Settings)} - {"extra"}
    path = config_path()
    extra: dict[str, Any] = {}
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise Invalid(
                _("config file {path} is not valid TOML: {error}").format(path=path, error=error)
            ) from None
        for key, value in document.items():
            if key in known:
                values[key] = _coerce(key, value, str(path))
            else:
                extra[key] = value
    for variable, name in _ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value:
            values[name] = _coerce(name, value, variable)
    if database_url:
        values["database_url"] = database_url
    return replace(Settings(), extra=extra, **values)
