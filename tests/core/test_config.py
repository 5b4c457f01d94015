"""Settings: one order of sources (option, environment, config file, default), and a
config file or variable tix cannot use is refused with where it is and what is valid."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tix.core import i18n
from tix.core.config import (
    ENVIRONMENT,
    KEYS,
    BadSetting,
    Origin,
    Settings,
    hide_password,
    load_settings,
    settings_with_origins,
)


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty environment (no ``TIX_*``) whose config file is ``config.toml`` in tmp."""
    for variable in (*ENVIRONMENT.values(), "TIX_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    path = tmp_path / "config.toml"
    monkeypatch.setenv("TIX_CONFIG", str(path))
    return path


def test_without_a_file_every_setting_is_its_default(config_file: Path) -> None:
    settings, origins = settings_with_origins()
    assert settings.max_file_size == 25 * 1024 * 1024 and settings.currency == "EUR"
    assert set(origins) == set(KEYS) and all(o == Origin("default") for o in origins.values())


def test_every_key_of_the_file_is_honoured_with_its_line(config_file: Path) -> None:
    config_file.write_text(
        "# tix\n"
        'database_url = "sqlite:////srv/tix.db"\n'
        'language = "de"\n'
        'timezone = "Europe/Berlin"\n'
        "max_file_size = 1000\n"
        "max_mail_size = 2000\n"
        "vat_rate = 7\n"
        'hourly_rate = "95.50"\n'
        'currency = "CHF"\n'
        'portal_url = "https://help.example.com"\n'
        'company = "ACME|Hauptstr. 1"\n'
        'log_file = "/var/log/tix.log"\n'
        "pool_size = 8\n"
        "max_overflow = 4\n"
        "statement_timeout = 30\n"
        'application_name = "tix web1"\n'
        'trusted_proxies = "10.0.0.5, 10.1.2.3/16"\n',
        encoding="utf-8",
    )
    settings, origins = settings_with_origins()
    assert (settings.database_url, settings.language, settings.timezone) == (
        "sqlite:////srv/tix.db",
        "de",
        "Europe/Berlin",
    )
    assert (settings.max_file_size, settings.max_mail_size) == (1000, 2000)
    assert (settings.vat_rate, settings.hourly_rate) == (Decimal("7"), Decimal("95.50"))
    assert (settings.currency, settings.portal_url) == ("CHF", "https://help.example.com")
    assert (settings.company, settings.log_file) == ("ACME|Hauptstr. 1", "/var/log/tix.log")
    assert origins["database_url"] == Origin("file", f"{config_file}:2")
    assert (settings.pool_size, settings.max_overflow, settings.statement_timeout) == (8, 4, 30)
    assert settings.application_name == "tix web1"
    assert settings.trusted_proxies == "10.0.0.5,10.1.0.0/16"
    assert origins["log_file"] == Origin("file", f"{config_file}:12")
    assert {o.source for o in origins.values()} == {"file"}


def test_option_beats_environment_beats_file_beats_default(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text(
        'database_url = "sqlite:////from/file.db"\ncurrency = "CHF"\ntimezone = "Asia/Tokyo"\n'
    )
    monkeypatch.setenv("TIX_DATABASE_URL", "sqlite:////from/env.db")
    monkeypatch.setenv("TIX_TIMEZONE", "Europe/Berlin")
    settings, origins = settings_with_origins(database_url="sqlite:////from/option.db")
    assert settings.database_url == "sqlite:////from/option.db"
    assert origins["database_url"] == Origin("option", "--db")
    assert (settings.timezone, origins["timezone"]) == (
        "Europe/Berlin",
        Origin("environment", "TIX_TIMEZONE"),
    )
    assert (settings.currency, origins["currency"]) == ("CHF", Origin("file", f"{config_file}:2"))
    assert (settings.vat_rate, origins["vat_rate"]) == (Decimal("19"), Origin("default"))
    assert load_settings().database_url == "sqlite:////from/env.db"


def test_a_misspelt_key_names_the_file_the_line_and_the_valid_keys(config_file: Path) -> None:
    config_file.write_text('timezone = "Europe/Berlin"\n\nlanguagee = "de"\n')
    with pytest.raises(BadSetting) as refused:
        load_settings()
    assert refused.value.message == (
        f"{config_file}:3: unknown setting 'languagee' (did you mean 'language'?); "
        "valid keys: database_url, language, timezone, max_file_size, max_mail_size, "
        "vat_rate, hourly_rate, currency, portal_url, company, log_file, pool_size, "
        "max_overflow, statement_timeout, application_name, trusted_proxies"
    )


def test_a_table_is_an_unknown_key_too(config_file: Path) -> None:
    config_file.write_text('language = "en"\n[mail]\nhost = "x"\n')
    with pytest.raises(BadSetting, match=r":2: unknown setting 'mail'; valid keys: database_url"):
        load_settings()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('language = "fr"', "language must be one of en, de, not 'fr'"),
        ("language = 1", "language must be text in quotes, not 1"),
        ('timezone = "Mars/Olympus"', "timezone must be a time zone like Europe/Berlin"),
        ('max_file_size = "big"', "max_file_size must be a whole number of bytes, not 'big'"),
        ("max_mail_size = -1", "max_mail_size must be a whole number of bytes, not -1"),
        ("max_file_size = true", "max_file_size must be a whole number of bytes, not True"),
        ('vat_rate = "zero"', "vat_rate must be a number, not 'zero'"),
        ("hourly_rate = -5", "hourly_rate must be a number, not -5"),
        ('portal_url = "help.example.com"', "portal_url must be an address starting with http"),
        ("pool_size = 0", "pool_size must be a whole number of at least 1, not 0"),
        ("max_overflow = -1", "max_overflow must be a whole number of at least 0, not -1"),
        (
            'statement_timeout = "30s"',
            "statement_timeout must be a whole number of seconds (0: no limit), not '30s'",
        ),
        ('application_name = "tix\\n"', "application_name must be a printable name"),
        (
            'trusted_proxies = "nginx"',
            "trusted_proxies must be addresses or networks separated by commas, like "
            "10.0.0.5,10.1.0.0/16, not 'nginx'",
        ),
    ],
)
def test_a_bad_value_is_refused_with_its_line(config_file: Path, line: str, message: str) -> None:
    config_file.write_text(f'currency = "EUR"\n{line}\n')
    with pytest.raises(BadSetting) as refused:
        load_settings()
    assert refused.value.message.startswith(f"{config_file}:2: {message}")


def test_a_bad_environment_value_names_the_variable(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIX_MAX_FILE_SIZE", "25MB")
    with pytest.raises(BadSetting) as refused:
        load_settings()
    assert refused.value.message == (
        "TIX_MAX_FILE_SIZE: max_file_size must be a whole number of bytes, not '25MB'"
    )


def test_the_database_connection_settings_come_from_the_environment_or_the_file(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (Settings().pool_size, Settings().max_overflow, Settings().statement_timeout) == (
        5,
        10,
        0,
    )
    config_file.write_text('pool_size = 3\nstatement_timeout = 30\napplication_name = "web1"\n')
    monkeypatch.setenv("TIX_MAX_OVERFLOW", "0")
    monkeypatch.setenv("TIX_STATEMENT_TIMEOUT", "15")
    settings, origins = settings_with_origins()
    assert (settings.pool_size, settings.max_overflow, settings.statement_timeout) == (3, 0, 15)
    assert settings.application_name == "web1"
    assert origins["statement_timeout"] == Origin("environment", "TIX_STATEMENT_TIMEOUT")
    assert origins["pool_size"] == Origin("file", f"{config_file}:1")


def test_a_locale_style_language_is_the_language(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIX_LANG", "de_DE.UTF-8")
    assert load_settings().language == "de"


def test_a_file_that_is_not_toml_says_where(config_file: Path) -> None:
    config_file.write_text('language = "de"\ntimezone = Europe/Berlin\n')
    with pytest.raises(BadSetting, match=r"is not valid TOML: .*line 2"):
        load_settings()


def test_the_language_of_the_file_is_spoken(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    config_file.write_text('language = "de"\n')
    i18n.translation.cache_clear()
    try:
        assert i18n.language_code() == "de"
        monkeypatch.setenv("TIX_LANG", "en")  # the environment is stronger than the file
        i18n.translation.cache_clear()
        assert i18n.language_code() == "en"
    finally:
        i18n.translation.cache_clear()


def test_passwords_in_database_urls_are_hidden() -> None:
    assert hide_password("postgresql+psycopg://tix:s3cr@t!@db/tix") == (
        "postgresql+psycopg://tix:***@db/tix"
    )
    assert hide_password("postgresql+psycopg://tix@db/tix") == "postgresql+psycopg://tix@db/tix"
    assert hide_password("sqlite:////srv/tix.db") == "sqlite:////srv/tix.db"
