"""``tix config show`` and how every command treats the config file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("TIX_CONFIG", str(path))
    for variable in ("TIX_LANG", "TIX_TIMEZONE", "TIX_CURRENCY", "TIX_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return path


def test_show_says_where_each_setting_comes_from(
    cli: Cli, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text('timezone = "Asia/Tokyo"\n\ncurrency = "CHF"\n')
    monkeypatch.setenv("TIX_TIMEZONE", "Europe/Berlin")
    result = cli("config", "show", "--json", user="ben")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["config_file"] == str(config_file) and data["config_file_exists"] is True
    rows = {row["name"]: row for row in data["settings"]}
    assert rows["user"] == {"name": "user", "value": "ben", "source": "option", "where": "--as"}
    assert rows["timezone"] == {
        "name": "timezone",
        "value": "Europe/Berlin",
        "source": "environment",
        "where": "TIX_TIMEZONE",
    }
    assert rows["currency"] == {
        "name": "currency",
        "value": "CHF",
        "source": "file",
        "where": f"{config_file}:3",
    }
    assert rows["vat_rate"] == {"name": "vat_rate", "value": "19", "source": "default", "where": ""}
    assert rows["pool_size"] == {"name": "pool_size", "value": 5, "source": "default", "where": ""}
    assert rows["database_url"]["value"] == cli.db_url
    assert rows["database_url"]["where"] == "TIX_DATABASE_URL"

    human = cli("config", "show")
    assert human.code == 0
    lines = human.stdout.splitlines()
    assert lines[0] == f"config file: {config_file}"
    [currency] = [line for line in lines if line.startswith("currency ")]
    assert currency.split() == ["currency", "CHF", "file", f"{config_file}:3"]
    [zone] = [line for line in lines if line.startswith("timezone ")]
    assert zone.split() == ["timezone", "Europe/Berlin", "environment", "TIX_TIMEZONE"]


def test_show_never_prints_a_password(cli: Cli, config_file: Path) -> None:
    url = "postgresql+psycopg://tix:Geheim-42@db.example.com/tix"
    for args in (("config", "show"), ("config", "show", "--json")):
        result = cli("--db", url, *args)
        assert result.code == 0, result.stderr
        assert "Geheim-42" not in result.stdout + result.stderr
        assert "postgresql+psycopg://tix:***@db.example.com/tix" in result.stdout


def test_a_misspelt_key_stops_every_command_with_exit_2(
    cli: Cli, config_file: Path, ticket: int
) -> None:
    config_file.write_text('languagee = "de"\n')
    message = (
        f"tix: {config_file}:1: unknown setting 'languagee' (did you mean 'language'?); "
        "valid keys: database_url, language, timezone, max_file_size, max_mail_size, "
        "vat_rate, hourly_rate, currency, portal_url, company, log_file, pool_size, "
        "max_overflow, statement_timeout, application_name, trusted_proxies\n"
    )
    for args in (
        ("config", "show"),
        ("ticket", "note", str(ticket), "--body", "written despite a broken config"),
    ):
        refused = cli(*args)
        assert (refused.code, refused.stdout, refused.stderr) == (2, "", message), args
    refused = cli("config", "show", "--json")
    assert refused.code == 2
    assert refused.json() == {"error": {"code": "config", "message": message[5:-1]}}

    config_file.write_text('language = "en"\n')
    shown = cli("ticket", "show", str(ticket), "--json")
    assert shown.code == 0
    assert "written despite a broken config" not in shown.stdout


def test_the_language_of_the_config_file_is_spoken(tmp_path: Path) -> None:
    config = tmp_path / "config" / "tix" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('language = "de"\n')
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "LANG": "en_US.UTF-8",
        "TIX_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }

    def tix(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tix", *args],
            capture_output=True,
            text=True,
            check=False,
            env={**env, **extra},
        )

    german = tix("ticket", "show", "1")
    assert german.returncode == 1
    assert "ist nicht initialisiert" in german.stderr, german.stderr
    english = tix("ticket", "show", "1", TIX_LANG="en")  # the environment wins
    assert "is not initialised" in english.stderr, english.stderr
    shown = tix("config", "show", "--json")
    [language] = [row for row in json.loads(shown.stdout)["settings"] if row["name"] == "language"]
    assert language == {"name": "language", "value": "de", "source": "file", "where": f"{config}:1"}
