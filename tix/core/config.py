"""Settings, loaded by a function (never at import time).

Every setting has one order of sources, strongest first: a command-line option
(``--db``), the environment (``TIX_*``), the config file (``TIX_CONFIG`` or
``<user config dir>/tix/config.toml``), the default. A config file with a key tix
does not know, or a value it cannot use, is refused with the file, the line and the
valid keys (:class:`BadSetting`); so is a bad value in the environment.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

# APP_NAME and config_path lived here before config_file: still importable from here.
from tix.core.config_file import APP_NAME as APP_NAME
from tix.core.config_file import config_path as config_path
from tix.core.errors import Invalid
from tix.core.i18n import LANGUAGES, _, normal_language


class BadSetting(Invalid):
    """The config file or a ``TIX_*`` variable holds something tix cannot use (exit 2)."""

    code = "config"


def data_dir() -> Path:
    """Where tix keeps its SQLite database and log by default."""
    explicit = os.environ.get("TIX_DATA_DIR")
    if explicit:
        return Path(explicit)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


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
    pool_size: int = 5
    """PostgreSQL: connections each process keeps open (SQLAlchemy's ``pool_size``)."""
    max_overflow: int = 10
    """PostgreSQL: connections a process may open beyond ``pool_size`` under load, closed
    again when returned; a process holds at most ``pool_size + max_overflow``."""
    statement_timeout: int = 0
    """PostgreSQL: seconds after which the server cancels a statement (0: never)."""
    application_name: str = "tix"
    """PostgreSQL: the name the connections show in ``pg_stat_activity``."""
    trusted_proxies: str = "127.0.0.1"
    """``tix serve``: addresses or networks (comma-separated, ``*``: any) of the reverse
    proxies whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed; the web
    form's and the portal's limits per IP count the client address these give."""

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(data_dir() / "tix.db")

    @property
    def resolved_log_file(self) -> Path:
        return Path(self.log_file) if self.log_file else data_dir() / "tix.log"


#: Environment variable of each setting (every setting is also a config file key).
ENVIRONMENT = {
    "database_url": "TIX_DATABASE_URL",
    "language": "TIX_LANG",
    "timezone": "TIX_TIMEZONE",
    "max_file_size": "TIX_MAX_FILE_SIZE",
    "max_mail_size": "TIX_MAX_MAIL_SIZE",
    "vat_rate": "TIX_VAT_RATE",
    "hourly_rate": "TIX_HOURLY_RATE",
    "currency": "TIX_CURRENCY",
    "company": "TIX_COMPANY",
    "portal_url": "TIX_PORTAL_URL",
    "log_file": "TIX_LOG_FILE",
    "pool_size": "TIX_POOL_SIZE",
    "max_overflow": "TIX_MAX_OVERFLOW",
    "statement_timeout": "TIX_STATEMENT_TIMEOUT",
    "application_name": "TIX_APPLICATION_NAME",
    "trusted_proxies": "TIX_TRUSTED_PROXIES",
}
#: The keys a config file may hold, in the order of :class:`Settings`.
KEYS = tuple(f.name for f in fields(Settings))
#: Command-line options that give a setting (stronger than everything else).
OPTIONS = {"database_url": "--db"}


@dataclass(frozen=True)
class Origin:
    """Where a setting's value came from."""

    source: str
    """``option``, ``environment``, ``file`` or ``default``."""
    where: str = ""
    """The option (``--db``), the variable (``TIX_LANG``) or ``FILE:LINE``."""


def _check(name: str, value: Any, where: str) -> Any:
    """``value`` as the type of setting ``name``; :class:`BadSetting` naming ``where``."""

    def bad(expected: str) -> BadSetting:
        return BadSetting(
            _("{where}: {name} must be {expected}, not {value!r}").format(
                where=where, name=name, expected=expected, value=value
            )
        )

    if name in ("max_file_size", "max_mail_size"):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad(_("a whole number of bytes"))
        try:
            number = int(value)
        except ValueError:
            raise bad(_("a whole number of bytes")) from None
        if number <= 0:
            raise bad(_("a whole number of bytes"))
        return number
    if name in ("pool_size", "max_overflow", "statement_timeout"):
        least = 1 if name == "pool_size" else 0

        def not_a_count() -> BadSetting:  # translated only when refused
            if name == "statement_timeout":
                return bad(_("a whole number of seconds (0: no limit)"))
            return bad(_("a whole number of at least {least}").format(least=least))

        if isinstance(value, bool) or not isinstance(value, int | str):
            raise not_a_count()
        try:
            number = int(value)
        except ValueError:
            raise not_a_count() from None
        if number < least:
            raise not_a_count()
        return number
    if name in ("vat_rate", "hourly_rate"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad(_("a number"))
        try:
            amount = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise bad(_("a number")) from None
        if not amount.is_finite() or amount < 0:
            raise bad(_("a number"))
        return amount
    if not isinstance(value, str):
        raise bad(_("text in quotes"))
    if name == "language":
        code = normal_language(value)
        if code is None:
            raise bad(_("one of {choices}").format(choices=", ".join(LANGUAGES)))
        return code
    if name == "timezone" and value:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise bad(_("a time zone like Europe/Berlin")) from None
    if name == "application_name" and (len(value) > 63 or not value.isprintable()):
        raise bad(_("a printable name of at most 63 characters"))
    if name == "trusted_proxies":
        import ipaddress

        parts = [part.strip() for part in value.split(",") if part.strip()]
        try:
            parts = [  # 10.1.2.3/16 as 10.1.0.0/16: uvicorn takes only the latter
                str(ipaddress.ip_network(part, strict=False)) if "/" in part else part
                for part in parts
                if part == "*" or ipaddress.ip_network(part, strict=False)
            ]
        except ValueError:
            raise bad(
                _("addresses or networks separated by commas, like 10.0.0.5,10.1.0.0/16")
            ) from None
        return ",".join(parts)
    if name == "portal_url" and not re.match(r"https?://[^/\s]+", value):
        raise bad(_("an address starting with http:// or https://"))
    return value


def _line_of(text: str, key: str) -> int:
    """The line of ``text`` that sets top-level ``key`` (or opens table ``key``); 0 if none."""
    name = re.escape(key)
    pattern = re.compile(rf"""^\s*(?:\[+\s*)?(?:{name}|"{name}"|'{name}')\s*[=\].]""")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return 0


def _read_file(path: Path) -> tuple[dict[str, Any], str]:
    """The config file's document and text (empty when there is no file)."""
    import tomllib  # ~3 ms: only when there is a file

    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}, ""
    except IsADirectoryError:
        raise BadSetting(
            _("the config file {path} is a folder: make it a file or set TIX_CONFIG").format(
                path=path
            )
        ) from None
    except UnicodeDecodeError:
        raise BadSetting(
            _("the config file {path} is not UTF-8 text: save it as UTF-8").format(path=path)
        ) from None
    except OSError as error:
        raise BadSetting(
            _("cannot read the config file {path}: {reason}").format(
                path=path, reason=error.strerror or error
            )
        ) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        raise BadSetting(
            _("the config file {path} is not valid TOML: {error}").format(path=path, error=error)
        ) from None


def settings_with_origins(*, database_url: str | None = None) -> tuple[Settings, dict[str, Origin]]:
    """The effective settings and where each came from (see :func:`load_settings`)."""
    values: dict[str, Any] = {}
    origins = {name: Origin("default") for name in KEYS}
    path = config_path()
    document, text = _read_file(path)
    for key, value in document.items():
        where = f"{path}:{_line_of(text, key) or 1}"
        if key not in KEYS:
            import difflib

            near = difflib.get_close_matches(key, KEYS, n=1)
            hint = _(" (did you mean {key!r}?)").format(key=near[0]) if near else ""
            raise BadSetting(
                _("{where}: unknown setting {key!r}{hint}; valid keys: {keys}").format(
                    where=where, key=key, hint=hint, keys=", ".join(KEYS)
                )
            )
        values[key] = _check(key, value, where)
        origins[key] = Origin("file", where)
    for name, variable in ENVIRONMENT.items():
        value = os.environ.get(variable)
        if value:
            values[name] = _check(name, value, variable)
            origins[name] = Origin("environment", variable)
    if database_url:
        values["database_url"] = database_url
        origins["database_url"] = Origin("option", OPTIONS["database_url"])
    return replace(Settings(), **values), origins


def load_settings(*, database_url: str | None = None) -> Settings:
    """Settings from ``database_url`` (the ``--db`` option), the environment, the config
    file and the defaults, in that order; :class:`BadSetting` for anything unusable."""
    return settings_with_origins(database_url=database_url)[0]


def hide_password(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***``."""
    return re.sub(r"(://[^/:@\s]*:)[^/\s]*@", r"\1***@", url)
