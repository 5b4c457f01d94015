"""``tix init``, ``db``, ``user``, ``group``, ``channel``, ``contact``, ``account``."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_init_creates_the_schema_and_first_admin_and_is_idempotent(
    empty_db_url: str, capsys, monkeypatch
) -> None:
    from tests.conftest import Cli

    cli = Cli(empty_db_url, capsys, monkeypatch)
    not_yet = cli("ticket", "list")
    assert not_yet.code == 1 and "tix init" in not_yet.stderr
    first = cli("init", "--admin", "anna", "--name", "Anna", "--email", "anna@tix.test", "--json")
    assert first.code == 0, first.stderr
    assert first.json()["admin_created"] == "anna" and first.json()["schema_before"] is None
    again = cli("init", "--admin", "anna", "--name", "Anna", "--email", "anna@tix.test", "--json")
    assert again.code == 0 and again.json()["admin_created"] is None
    assert cli("user", "list", "--json").json()[0]["admin"] is True
    assert cli("db", "upgrade", "--json").json()["schema_before"] == again.json()["schema"]


def test_directory_commands(cli, world) -> None:
    added = cli("user", "add", "erik", "--name", "Erik", "--email", "erik@tix.test", "--json")
    assert added.code == 0 and added.json()["login"] == "erik"
    assert cli("group", "add", "Field", "--json").code == 0
    assert cli("group", "member", "add", "Field", "erik", "--json").json()["added"] is True
    assert cli("group", "member", "add", "Field", "erik", "--json").json()["added"] is False
    channel = cli(
        "channel", "add", "Field service", "--group", "Field", "--default-owner", "erik", "--json"
    )
    assert channel.json() == {
        "name": "Field service",
        "groups": ["Field"],
        "default_owner": "erik",
        "stranger_follow_ups": "attach",
    }
    groups = {g["name"]: g["members"] for g in cli("group", "list", "--json").json()}
    assert groups["Field"] == ["erik"]
    contact = cli(
        "contact",
        "add",
        "Maria@Kunde.Example",
        "--name",
        "Maria",
        "--org",
        "Kunde",
        "--kind",
        "supplier",
        "--json",
    )
    assert contact.code == 0, contact.stderr
    assert contact.json()["address"] == "Maria@kunde.example".lower()
    second = cli(
        "contact", "add", "maria.privat@example.org", "--same-as", "maria@kunde.example", "--json"
    )
    assert second.json()["addresses"] == ["maria@kunde.example", "maria.privat@example.org"]
    found = cli("contact", "list", "--search", "privat", "--json").json()
    assert [c["name"] for c in found] == ["Maria"] and found[0]["kind"] == "supplier"
    assert "supplier" in cli("contact", "list", "--search", "privat").stdout
    account = cli(
        "account",
        "add",
        "sales",
        "--address",
        "sales@tix.test",
        "--imap-host",
        "imap.tix.test",
        "--smtp-host",
        "smtp.tix.test",
        "--tls",
        "starttls",
        "--password-env",
        "SALES_PW",
        "--channel",
        "Sales",
        "--json",
    )
    assert account.code == 0, account.stderr
    assert account.json()["imap"]["port"] == 143 and account.json()["smtp"]["port"] == 587
    assert account.json()["password_from"] == "env:SALES_PW"
    names = [a["name"] for a in cli("account", "list", "--json").json()]
    assert names == ["sales", "support"]
    for human in (
        ["user", "list"],
        ["group", "list"],
        ["channel", "list"],
        ["contact", "list"],
        ["account", "list"],
    ):
        result = cli(*human)
        assert result.code == 0 and result.stdout.strip()


def test_contact_list_names_the_kind_in_the_users_language(cli, world, german) -> None:
    added = cli("contact", "add", "lager@lief.example", "--name", "Lager", "--kind", "supplier")
    assert added.code == 0, added.stderr
    listed = cli("contact", "list", "--search", "lager", "--format", "table").stdout
    assert "Lieferant" in listed and "supplier" not in listed


def test_contact_set_changes_what_is_given(cli, world) -> None:
    changed = cli(
        "contact", "set", "KUNDE@example.com", "--org", "Kunde AG", "--language", "de", "--json"
    )
    assert changed.code == 0, changed.stderr
    data = changed.json()
    assert (data["name"], data["organization"], data["language"]) == (
        "Karla Kunde",
        "Kunde AG",
        "de",
    )
    renamed = cli("contact", "set", "kunde@example.com", "--name", "Karla K.", "--org", "")
    assert renamed.code == 0 and "Saved contact Karla K. <kunde@example.com>." in renamed.stderr
    [listed] = cli("contact", "list", "--search", "kunde@example.com", "--json").json()
    assert (listed["name"], listed["organization"], listed["language"]) == ("Karla K.", None, "de")


@pytest.mark.parametrize(
    ("args", "user", "code", "message"),
    [
        (["user", "add", "x", "--name", "X", "--email", "x@tix.test"], "bob", 4, "only admins"),
        (["user", "add", "bob", "--name", "B", "--email", "b@tix.test"], None, 5, "exists"),
        (
            ["user", "add", "Bad Login", "--name", "B", "--email", "b@tix.test"],
            None,
            2,
            "not a valid login",
        ),
        (["user", "add", "zed", "--name", "Z", "--email", "zed@"], None, 2, "not an e-mail"),
        (
            ["contact", "add", "kunde@example.com", "--name", "Again"],
            None,
            5,
            "belongs to a contact already",
        ),
        (
            ["contact", "add", "new@example.com", "--name", "N", "--kind", "friend"],
            None,
            2,
            "customer or supplier",
        ),
        (["contact", "set", "kunde@example.com", "--language", "fr"], None, 2, "use en or de"),
        (["contact", "set", "nobody@example.com", "--name", "N"], None, 3, "tix contact add"),
        (["contact", "set", "kunde@example.com"], None, 2, "say what to change"),
        (
            ["user", "add", "zed", "--name", "Z", "--email", "z@tix.test", "--language", "fr"],
            None,
            2,
            "use en or de",
        ),
        (["channel", "add", "X", "--group", "Nope"], None, 3, "no group 'Nope'"),
        (
            ["account", "add", "a", "--address", "a@tix.test", "--tls", "maybe"],
            None,
            2,
            "ssl, starttls or none",
        ),
        (
            [
                "account",
                "add",
                "b",
                "--address",
                "b@tix.test",
                "--password-env",
                "A",
                "--password-cmd",
                "pass x",
            ],
            None,
            1,
            "not both",
        ),
        (["group", "member", "add", "Support", "ghost"], None, 3, "no user 'ghost'"),
    ],
)
def test_directory_bad_input(cli, world, args, user, code, message) -> None:
    before = [cli(noun, "list", "--json").stdout for noun in ("user", "contact", "account")]
    result = cli(*args, user=user)
    assert result.code == code, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    after = [cli(noun, "list", "--json").stdout for noun in ("user", "contact", "account")]
    assert after == before


def test_db_backup_from_the_cli(cli, world, tmp_path: Path, backend: str) -> None:
    target = tmp_path / "backup.bin"
    result = cli("db", "backup", str(target), "--json")
    if backend == "postgresql":
        import shutil

        if shutil.which("pg_dump") is None:
            assert result.code == 1 and "pg_dump" in result.stderr
            return
    assert result.code == 0, result.stderr
    assert result.json()["bytes"] == target.stat().st_size > 0
    again = cli("db", "backup", str(target))
    assert again.code == 5 and "--force" in again.stderr
