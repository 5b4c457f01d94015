"""OAuth2 sign-in of mail accounts from a shell: ``tix account add|set --auth oauth2``,
``tix account oauth``, ``tix account test|list``, ``tix mail sync|send``, against Dovecot,
aiosmtpd and a real OAuth2 server (tests.oauth_server)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
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


# ---------------------------------------------------------------------------- browser flow


class SigningIn:
    """``tix account oauth ...`` running in its own process, as an admin starts it in a
    terminal: the test reads the address it prints and plays the browser, or types."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ}
        env.pop("TIX_LANG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tix", "account", "oauth", *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.said = ""

    def address(self, server: OAuthServer) -> str:
        """The authorization address tix printed (read from its stderr)."""
        assert self.process.stderr is not None
        while True:
            line = self.process.stderr.readline()
            assert line, f"tix printed no address: {self.said}"
            self.said += line
            if line.startswith(server.authorize_url + "?"):
                return line.strip()

    def type(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def finish(self) -> CliResult:
        assert self.process.stdin and self.process.stdout and self.process.stderr
        self.process.stdin.close()
        # Not communicate(): it would lose what the stderr reader above has buffered.
        err = self.process.stderr.read()
        out = self.process.stdout.read()
        return CliResult(self.process.wait(timeout=60), out, self.said + err)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def browse(url: str) -> str:
    """A browser following ``url`` and its redirect to tix's listener: the page shown."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return str(response.read().decode())


def address_bar_after_sign_in(url: str) -> str:
    """Where the browser ends when 127.0.0.1 is another machine (tix runs over SSH)."""
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=10)
    assert caught.value.code == 302
    return str(caught.value.headers["Location"])


def oauth_mailbox_account(cli: Any, dovecot_oauth: Any) -> str:
    address = mailbox(dovecot_oauth)
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
        ).code
        == 0
    )
    return address


def google_at(server: OAuthServer) -> list[str]:
    """--provider google, with Google's addresses swapped for the test server's."""
    return [
        "--provider",
        "google",
        "--client-id",
        "tix-desktop.apps.googleusercontent.com",
        "--client-secret-env",
        "GOOGLE_CLIENT_SECRET",
        "--authorize-url",
        server.authorize_url,
        "--token-url",
        server.token_url,
    ]


def test_google_signs_in_in_the_browser_and_the_account_then_syncs(
    cli,
    world,
    dovecot_oauth,
    oauth_server: OAuthServer,
    config_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    oauth_server.client_secret = "google-secret"
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "google-secret")
    address = oauth_mailbox_account(cli, dovecot_oauth)
    dovecot_oauth.deliver(address, mail(subject="Signed in at Google", to=address))
    oauth_server.approve_next_authorization(address)
    signing = SigningIn("support", *google_at(oauth_server), "--json")
    page = browse(signing.address(oauth_server))
    signed = signing.finish()
    assert signed.code == 0, signed.stderr
    assert "tix is signed in, you may close this tab." in page
    assert f"open this address in a browser and sign in as {address}:" in signed.stderr
    [asked] = oauth_server.authorizations
    assert (asked["access_type"], asked["prompt"], asked["login_hint"]) == (
        "offline",
        "consent",
        address,
    )
    assert asked["scope"] == "https://mail.google.com/"
    assert oauth_server.device_requests == 0
    path = config_folder / "oauth2" / "support.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    for secret in (kept["refresh_token"], kept["access_token"], "google-secret"):
        assert secret not in signed.stdout + signed.stderr
    assert signed.json()["oauth2"]["provider"] == "google"
    tested = cli("account", "test", "support")
    assert tested.code == 0, tested.stderr
    assert f"logged in as {address} with XOAUTH2" in " ".join(tested.stderr.split())
    synced = cli("mail", "sync", "--json")
    assert synced.code == 0, synced.stderr
    assert synced.json()[0]["imported"] == 1
    # A new sign-in needs no options: google's browser flow again.
    oauth_server.approve_next_authorization(address)
    again = SigningIn("support")
    browse(again.address(oauth_server))
    assert again.finish().code == 0


def test_the_address_pasted_over_ssh_signs_in(
    cli, world, dovecot_oauth, oauth_server: OAuthServer, config_folder: Path
) -> None:
    address = oauth_mailbox_account(cli, dovecot_oauth)
    oauth_server.approve_next_authorization(address)
    signing = SigningIn(
        "support",
        *custom_provider(oauth_server),
        "--flow",
        "browser",
        "--authorize-url",
        oauth_server.authorize_url,
    )
    pasted = address_bar_after_sign_in(signing.address(oauth_server))
    assert pasted.startswith("http://127.0.0.1:")
    signing.type(pasted + "\n")
    signed = signing.finish()
    assert signed.code == 0, signed.stderr
    assert "paste the address your browser shows after signing in" in " ".join(
        signed.stderr.split()
    )
    assert (config_folder / "oauth2" / "support.json").exists()
    assert cli("account", "test", "support").code == 0


def test_a_denied_browser_sign_in_changes_nothing(
    cli, world, dovecot_oauth, oauth_server: OAuthServer, config_folder: Path
) -> None:
    address = oauth_mailbox_account(cli, dovecot_oauth)
    oauth_server.deny_next_authorization()
    signing = SigningIn(
        "support",
        *custom_provider(oauth_server),
        "--authorize-url",
        oauth_server.authorize_url,
        "--flow",
        "browser",
    )
    page = browse(signing.address(oauth_server))
    denied = signing.finish()
    assert denied.code == 1
    assert denied.stderr.splitlines()[-1] == (
        "tix: sign-in: access was denied at the provider: nothing was changed"
    )
    assert "tix could not sign in" in page
    assert cli("account", "list", "--json").json()[0]["auth"] == "password"
    assert not (config_folder / "oauth2").exists()
    assert address  # the mailbox exists; only the sign-in was refused


def test_the_token_endpoints_refusal_is_one_line(
    cli, world, oauth_server: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_server.client_secret = "the-right-one"
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "a-wrong-one")
    oauth_server.approve_next_authorization("support@tix.test")
    signing = SigningIn("support", *google_at(oauth_server))
    browse(signing.address(oauth_server))
    refused = signing.finish()
    assert refused.code == 1
    assert refused.stderr.splitlines()[-1] == (
        "tix: sign-in: the provider refused the code (invalid_client: client_secret is wrong)"
    )
    assert "a-wrong-one" not in refused.stderr
    assert cli("account", "list", "--json").json()[0]["auth"] == "password"


def test_browser_sign_in_failures_give_one_line_and_change_nothing(
    cli, world, oauth_server: OAuthServer, config_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = [*custom_provider(oauth_server), "--authorize-url", oauth_server.authorize_url]
    no_code = cli(
        "account",
        "oauth",
        "support",
        *browser,
        "--flow",
        "browser",
        stdin="http://127.0.0.1:4711/?state=abc&scope=mail\n",
    )
    assert no_code.code == 1
    assert no_code.stderr.splitlines()[-1] == (
        "tix: sign-in: the pasted address holds no code: copy the whole address from the "
        "browser's address bar after signing in (it contains code=)"
    )
    forged = cli(
        "account",
        "oauth",
        "support",
        *browser,
        "--flow",
        "browser",
        stdin="http://127.0.0.1:4711/?code=ac-stolen&state=forged\n",
    )
    assert forged.code == 1
    assert forged.stderr.splitlines()[-1] == (
        "tix: sign-in: the answer does not belong to this sign-in (its state differs): "
        "run the command again"
    )
    monkeypatch.setattr(oauth2, "BROWSER_TIMEOUT", 0.5)
    nobody = cli("account", "oauth", "support", *browser, "--flow", "browser", stdin="")
    assert (nobody.code, nobody.stderr.splitlines()[-1]) == (
        1,
        "tix: sign-in: the browser brought no answer within 0.5 s: run the command again",
    )
    flow = cli("account", "oauth", "support", *browser, "--flow", "sideways")
    assert (flow.code, flow.stderr.strip()) == (
        2,
        "tix: --flow: 'sideways' is not a sign-in flow: use device or browser",
    )
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "x")
    google = cli("account", "oauth", "support", *google_at(oauth_server), "--flow", "device")
    assert (google.code, google.stderr.strip()) == (
        1,
        "tix: Google's device flow does not grant the mail scope: use --flow browser "
        "(google's default)",
    )
    unknown = cli(
        "account", "oauth", "support", *custom_provider(oauth_server), "--flow", "browser"
    )
    assert (unknown.code, unknown.stderr.strip()) == (
        1,
        "tix: the custom provider needs --authorize-url URL",
    )
    assert oauth_server.token_requests == 0
    account = cli("account", "list", "--json").json()[0]
    assert (account["auth"], account["oauth2"]) == ("password", None)
    assert not (config_folder / "oauth2" / "support.json").exists()
