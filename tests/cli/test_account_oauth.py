"""OAuth2 sign-in of mail accounts from a shell: ``tix account add|set --auth oauth2``,
``tix account oauth``, ``tix account test|list``, ``tix mail sync|send``, against Dovecot,
aiosmtpd and a real OAuth2 server (tests.oauth_server)."""

from __future__ import annotations

import json
import stat
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.core.mail.test_ingest import mail
from tests.oauth_server import OAuthServer
from tests.servers import SmtpServer
from tix.core.mail import oauth2


@pytest.fixture(autouse=True)
def config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tix's config folder, where refresh tokens go by default, in the test's folder."""
    monkeypatch.setenv("TIX_CONFIG", str(tmp_path / "config" / "config.toml"))
    oauth2.forget_cached()
    return tmp_path / "config"


def token_command(tmp_path: Path, token: str) -> str:
    """A command printing ``token``, as oama or mutt_oauth2.py would."""
    path = tmp_path / "token.txt"
    path.write_text(token + "\n")
    return f"cat {path}"


def mailbox(dovecot_oauth: Any) -> str:
    address = f"oauth-{uuid.uuid4().hex[:10]}@tix.test"
    dovecot_oauth.add_user(address)
    return address


def test_a_token_command_account_syncs_sends_and_tests_like_a_new_user_would(
    cli, world, dovecot_oauth, oauth_server: OAuthServer, tmp_path: Path
) -> None:
    address = mailbox(dovecot_oauth)
    access, _refresh = oauth_server.issue(address)
    dovecot_oauth.deliver(address, mail(subject="Signed in with a token", to=address))
    with SmtpServer(oauth2=oauth_server) as smtp:
        added = cli(
            "account",
            "add",
            "m365",
            "--address",
            address,
            "--imap-host",
            dovecot_oauth.host,
            "--imap-port",
            str(dovecot_oauth.port),
            "--tls",
            "none",
            "--smtp-host",
            smtp.host,
            "--smtp-port",
            str(smtp.port),
            "--smtp-user",
            address,
            "--auth",
            "oauth2",
            "--oauth2-token-cmd",
            token_command(tmp_path, access),
            "--channel",
            "Support",
            "--json",
        )
        assert added.code == 0, added.stderr
        assert added.json()["auth"] == "oauth2"
        assert added.json()["oauth2"] == {"token_from": "command"}
        synced = cli("mail", "sync", "--account", "m365", "--json")
        assert synced.code == 0, synced.stderr
        assert synced.json()[0]["imported"] == 1
        number = cli("ticket", "list", "--json").json()[0]["number"]
        assert cli("ticket", "reply", str(number), "--body", "Thanks!").code == 0
        sent = cli("mail", "send", "--json")
        assert sent.json()["sent"] == 1, sent.stdout
        [received] = smtp.wait_for(1)
        assert (received.authenticated_as, received.auth_mechanism) == (address, "XOAUTH2")
        tested = cli("account", "test", "m365")
        assert tested.code == 0, tested.stderr
        said = " ".join(tested.stderr.split())  # the terminal may wrap it
        assert (
            f"IMAP: ok – {dovecot_oauth.host}:{dovecot_oauth.port}: no TLS, logged in as "
            f"{address} with XOAUTH2, INBOX: 1 message" in said
        )
        assert (
            f"SMTP: ok – {smtp.host}:{smtp.port}: no encryption, logged in as {address} "
            "with XOAUTH2" in said
        )
    assert access not in added.stdout + synced.stdout + tested.stderr + tested.stdout


def test_a_token_command_that_fails_or_prints_nothing_gives_one_line(
    cli, world, dovecot_oauth, tmp_path: Path
) -> None:
    address = mailbox(dovecot_oauth)
    fails = tmp_path / "fails.py"
    fails.write_text("import sys\nprint('SECRET-TOKEN')\nsys.exit('no account m365 in oama')\n")
    assert (
        cli(
            "account",
            "set",
            "support",
            "--address",
            address,
            "--imap-host",
            dovecot_oauth.host,
            "--imap-port",
            str(dovecot_oauth.port),
            "--tls",
            "none",
            "--auth",
            "oauth2",
            "--oauth2-token-cmd",
            f"{sys.executable} {fails}",
        ).code
        == 0
    )
    failed = cli("mail", "sync")
    assert failed.code == 1
    assert failed.stderr.strip() == (
        "tix: mail account support: the token command: the command exited with 1: "
        "no account m365 in oama"
    )
    assert cli("account", "set", "support", "--oauth2-token-cmd", "true").code == 0
    nothing = cli("mail", "sync", "--json")
    assert nothing.code == 1
    assert json.loads(nothing.stdout)["error"]["message"] == (
        "mail account support: the token command: the command printed nothing"
    )
    tested = cli("account", "test", "support")
    assert tested.code == 1 and "IMAP: FAILED – mail account support: the token command" in (
        tested.stderr
    )
    assert "SECRET" not in failed.stderr + nothing.stdout + tested.stderr
    assert cli("ticket", "list", "--json").json() == []


def test_bad_oauth2_settings_are_refused_and_change_nothing(cli, world) -> None:
    unknown = cli("account", "set", "support", "--auth", "kerberos")
    assert (unknown.code, unknown.stderr.strip()) == (
        2,
        "tix: unknown sign-in 'kerberos': use password or oauth2",
    )
    without = cli("account", "set", "support", "--oauth2-token-cmd", "oama access x")
    assert "--oauth2-token-cmd needs --auth oauth2" in without.stderr and without.code == 1
    broken = cli("account", "set", "support", "--auth", "oauth2", "--oauth2-token-cmd", "'oama")
    assert broken.code == 2
    assert "--oauth2-token-cmd: the command cannot be parsed" in broken.stderr
    provider = cli("account", "oauth", "support", "--provider", "yahoo", "--client-id", "x")
    assert (provider.code, provider.stderr.strip()) == (
        2,
        "tix: unknown OAuth2 provider 'yahoo': use microsoft, google or custom",
    )
    secret = cli("account", "oauth", "support", "--provider", "google", "--client-id", "x")
    assert secret.code == 1 and "--client-secret-env VAR" in secret.stderr
    forbidden = cli(
        "account", "oauth", "support", "--provider", "microsoft", "--client-id", "x", user="bob"
    )
    assert forbidden.code == 4
    account = cli("account", "list", "--json").json()[0]
    assert (account["auth"], account["oauth2"], account["auth_problem"]) == (
        "password",
        None,
        None,
    )


def custom_provider(server: OAuthServer) -> list[str]:
    return [
        "--provider",
        "custom",
        "--client-id",
        "tix-test",
        "--device-url",
        server.device_url,
        "--token-url",
        server.token_url,
        "--scopes",
        "mail offline_access",
    ]


def in_browser(server: OAuthServer, address: str, action: str = "approve") -> threading.Thread:
    def act() -> None:
        code = server.wait_for_device_request(timeout=10)
        if action == "approve":
            server.approve(code, address)
        else:
            server.deny(code)

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def test_account_oauth_signs_in_with_the_device_flow_and_keeps_the_token_privately(
    cli, world, dovecot_oauth, oauth_server: OAuthServer, config_folder: Path
) -> None:
    oauth_server.device_interval = 0.05
    address = mailbox(dovecot_oauth)
    cli(
        "account",
        "set",
        "support",
        "--address",
        address,
        "--imap-host",
        dovecot_oauth.host,
        "--imap-port",
        str(dovecot_oauth.port),
        "--tls",
        "none",
    )
    denied_browser = in_browser(oauth_server, address, "deny")
    denied = cli("account", "oauth", "support", *custom_provider(oauth_server))
    denied_browser.join()
    assert denied.code == 1
    assert denied.stderr.splitlines()[-1] == (
        "tix: sign-in: access was denied at the provider: nothing was changed"
    )
    assert cli("account", "list", "--json").json()[0]["auth"] == "password"
    assert not (config_folder / "oauth2").exists()

    browser = in_browser(oauth_server, address)
    signed = cli("account", "oauth", "support", *custom_provider(oauth_server), "--json")
    browser.join()
    assert signed.code == 0, signed.stderr
    assert "open http://127.0.0.1:" in signed.stderr and "and enter the code " in signed.stderr
    path = config_folder / "oauth2" / "support.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    assert signed.json()["auth"] == "oauth2"
    assert signed.json()["oauth2"] == {
        "token_from": "refresh_token",
        "provider": "custom",
        "client_id": "tix-test",
        "tenant": None,
        "refresh_token_from": "default",
    }
    assert kept["refresh_token"] not in signed.stdout + signed.stderr
    tested = cli("account", "test", "support")
    assert tested.code == 0, tested.stderr
    assert f"logged in as {address} with XOAUTH2" in " ".join(tested.stderr.split())
    listed = cli("account", "list")
    assert "oauth2" in listed.stdout


def test_a_revoked_sign_in_shows_on_account_list_and_a_new_one_clears_it(
    cli, world, dovecot_oauth, oauth_server: OAuthServer, config_folder: Path
) -> None:
    oauth_server.device_interval = 0.05
    address = mailbox(dovecot_oauth)
    cli(
        "account",
        "set",
        "support",
        "--address",
        address,
        "--imap-host",
        dovecot_oauth.host,
        "--imap-port",
        str(dovecot_oauth.port),
        "--tls",
        "none",
    )
    browser = in_browser(oauth_server, address)
    assert cli("account", "oauth", "support", *custom_provider(oauth_server)).code == 0
    browser.join()
    path = config_folder / "oauth2" / "support.json"
    kept = json.loads(path.read_text())
    oauth_server.revoke_refresh(kept["refresh_token"])
    oauth_server.expire_access(kept["access_token"])
    oauth2.forget_cached()
    worker = cli("worker", "--once", "--json")
    assert "no longer accepts the refresh token" in worker.json()["errors"][0]
    listed = cli("account", "list", "--json").json()[0]
    assert listed["auth_problem"].startswith(
        "mail account support: the provider no longer accepts the refresh token"
    )
    assert listed["auth_problem_at"] is not None
    human = cli("account", "list", "--format", "table")
    assert "PROBLEM" in human.stdout
    tested = cli("account", "test", "support")
    assert tested.code == 1
    assert "run `tix account oauth support` again" in " ".join(tested.stderr.split())
    notes = cli("notify", "list", "--json").json()
    assert [n["text"] for n in notes] == [f"Sign-in stopped working: {listed['auth_problem']}"]
    # Options given before are kept: a new sign-in needs none.
    browser = in_browser(oauth_server, address)
    again = cli("account", "oauth", "support")
    browser.join()
    assert again.code == 0, again.stderr
    assert cli("account", "list", "--json").json()[0]["auth_problem"] is None
    assert cli("mail", "sync").code == 0
