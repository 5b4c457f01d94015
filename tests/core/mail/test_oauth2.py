"""OAuth2 tokens for mail accounts against a real authorization server (tests.oauth_server):
the device flow, refreshing, the private token file and token commands."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.core.mail.test_ingest import mail
from tests.oauth_server import OAuthServer
from tests.servers import DovecotServer, SmtpServer
from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.errors import Invalid
from tix.core.mail import imap, oauth2
from tix.core.mail.delivery import smtp_settings
from tix.core.mail.oauth2 import OAuth2Error
from tix.core.mail.smtp import PermanentFailure, send
from tix.core.mail.smtp import check as smtp_check
from tix.core.mail.sync import imap_settings, sync_account
from tix.core.models import MailAccount, Notification
from tix.core.services import accounts
from tix.core.worker import run_round

USER = "support@tix.test"


@pytest.fixture(autouse=True)
def config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """tix's config folder (and so the default token files) in the test's own folder; no
    access token cached from another test."""
    monkeypatch.setenv("TIX_CONFIG", str(tmp_path / "config" / "config.toml"))
    oauth2.forget_cached()
    yield tmp_path / "config"
    oauth2.forget_cached()


def account(server: OAuthServer, **changes: Any) -> MailAccount:
    values: dict[str, Any] = {
        "name": "support",
        "address": USER,
        "auth": "oauth2",
        "oauth2_provider": "custom",
        "oauth2_client_id": "tix-test",
        "oauth2_device_url": server.device_url,
        "oauth2_token_url": server.token_url,
        "oauth2_scopes": "mail offline_access",
        **changes,
    }
    return MailAccount(**values)


def approve_when_asked(server: OAuthServer, action: str = "approve") -> threading.Thread:
    """Play the person at the browser: wait for the code, then approve (or deny, expire)."""

    def act() -> None:
        code = server.wait_for_device_request(timeout=10)
        if action == "approve":
            server.approve(code, USER)
        elif action == "deny":
            server.deny(code)
        elif action == "slow_down":
            server.slow_down_next(code)
            server.approve(code, USER)
        else:
            server.expire(code)

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def sign_in(server: OAuthServer, signed: MailAccount) -> Path:
    point = oauth2.endpoints(signed)
    thread = approve_when_asked(server)
    device = oauth2.start_device_flow(point)
    tokens = oauth2.poll_device_flow(point, device)
    thread.join()
    return oauth2.store_signed_in(signed, tokens)


def test_device_flow_approved_keeps_the_refresh_token_in_a_private_file(
    oauth_server: OAuthServer, config_folder: Path
) -> None:
    oauth_server.device_interval = 0.05
    signed = account(oauth_server)
    path = sign_in(oauth_server, signed)
    assert path == config_folder / "oauth2" / "support.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    kept = json.loads(path.read_text())
    assert kept["refresh_token"].startswith("rt-")
    assert oauth_server.is_valid(kept["access_token"]) == USER
    # The sign-in's access token serves the next connections: no refresh yet.
    assert oauth2.access_token(signed) == kept["access_token"]
    oauth2.forget_cached()  # a new process reads it from the file
    assert oauth2.access_token(signed) == kept["access_token"]
    assert oauth_server.refresh_requests == 0
    device_form = dict(oauth_server.requests)["/device"]
    assert device_form == {"client_id": "tix-test", "scope": "mail offline_access"}


def test_slow_down_makes_the_client_wait_longer(
    oauth_server: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_server.device_interval = 0.05
    monkeypatch.setattr(oauth2, "SLOW_DOWN_STEP", 0.2)
    point = oauth2.endpoints(account(oauth_server))
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        threading.Event().wait(seconds)

    thread = approve_when_asked(oauth_server, "slow_down")
    device = oauth2.start_device_flow(point)
    thread.join()
    tokens = oauth2.poll_device_flow(point, device, sleep=sleep)
    assert oauth_server.is_valid(tokens.access_token) == USER
    assert waits == [0.05, pytest.approx(0.25)]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("deny", "sign-in: access was denied at the provider: nothing was changed"),
        ("expire", "sign-in: the code expired before it was entered: run the command again"),
    ],
)
def test_device_flow_denied_or_expired(
    oauth_server: OAuthServer, config_folder: Path, action: str, message: str
) -> None:
    oauth_server.device_interval = 0.05
    point = oauth2.endpoints(account(oauth_server))
    thread = approve_when_asked(oauth_server, action)
    device = oauth2.start_device_flow(point)
    with pytest.raises(OAuth2Error) as caught:
        oauth2.poll_device_flow(point, device)
    thread.join()
    assert caught.value.message == message
    assert not (config_folder / "oauth2").exists()


def test_a_code_nobody_enters_runs_out(oauth_server: OAuthServer) -> None:
    oauth_server.device_interval = 0.05
    oauth_server.device_expires_in = 0.3
    point = oauth2.endpoints(account(oauth_server))
    device = oauth2.start_device_flow(point)
    with pytest.raises(OAuth2Error, match="the code expired before it was entered"):
        oauth2.poll_device_flow(point, device)


# ---------------------------------------------------------------------------- browser flow


def browser_account(server: OAuthServer, **changes: Any) -> MailAccount:
    """The account set up for the browser sign-in (no device URL: none is needed)."""
    return account(
        server, oauth2_device_url="", oauth2_authorize_url=server.authorize_url, **changes
    )


def open_in_browser(url: str) -> tuple[threading.Thread, list[str]]:
    """Play the browser: follow ``url`` and its redirect (to tix's loopback listener) and
    keep the page it ends on."""
    pages: list[str] = []

    def browse() -> None:
        with urllib.request.urlopen(url, timeout=30) as response:
            pages.append(response.read().decode())

    thread = threading.Thread(target=browse, daemon=True)
    thread.start()
    return thread, pages


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def address_after_sign_in(url: str) -> str:
    """What the browser's address bar shows after signing in, when the redirect to
    127.0.0.1 goes nowhere (tix runs on another machine, over SSH)."""
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(url, timeout=10)
    assert caught.value.code == 302
    return str(caught.value.headers["Location"])


def test_browser_flow_approved_keeps_the_refresh_token_privately_and_uses_pkce(
    oauth_server: OAuthServer, config_folder: Path
) -> None:
    signed = browser_account(oauth_server)
    point = oauth2.endpoints(signed, flow="browser")
    oauth_server.approve_next_authorization(USER)
    with oauth2.start_browser_flow(point, login_hint=USER) as flow:
        assert flow.url.startswith(oauth_server.authorize_url + "?")
        browser, pages = open_in_browser(flow.url)
        tokens = oauth2.wait_for_browser(point, flow, timeout=30)
        browser.join(timeout=30)
    assert pages and "tix is signed in, you may close this tab." in pages[0]
    path = oauth2.store_signed_in(signed, tokens)
    assert path == config_folder / "oauth2" / "support.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text())
    assert oauth_server.is_valid(kept["access_token"]) == USER
    assert oauth2.access_token(signed) == kept["access_token"]
    [asked] = oauth_server.authorizations
    assert asked["redirect_uri"] == flow.redirect_uri
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", flow.redirect_uri)
    assert {key: asked[key] for key in ("client_id", "response_type", "scope", "login_hint")} == {
        "client_id": "tix-test",
        "response_type": "code",
        "scope": "mail offline_access",
        "login_hint": USER,
    }
    assert asked["code_challenge_method"] == "S256" and "access_type" not in asked
    [(where, form)] = oauth_server.requests
    assert where == "/token" and form["grant_type"] == "authorization_code"
    digest = hashlib.sha256(form["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]
    assert asked["state"] == flow.state and flow.verifier not in flow.url


def test_google_browser_flow_asks_for_offline_access_and_sends_the_secret(
    oauth_server: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    oauth_server.client_secret = "google-secret"
    monkeypatch.setenv("GOOGLE_CLIENT_SECRET", "google-secret")
    signed = browser_account(
        oauth_server,
        oauth2_provider="google",
        oauth2_scopes="",
        oauth2_client_secret_env="GOOGLE_CLIENT_SECRET",
    )
    point = oauth2.endpoints(signed, flow="browser")
    oauth_server.approve_next_authorization(USER)
    with oauth2.start_browser_flow(point) as flow:
        browser, _pages = open_in_browser(flow.url)
        tokens = oauth2.wait_for_browser(point, flow, timeout=30)
        browser.join(timeout=30)
    assert tokens.refresh_token is not None
    [asked] = oauth_server.authorizations
    assert (asked["access_type"], asked["prompt"]) == ("offline", "consent")
    assert asked["scope"] == "https://mail.google.com/"
    assert oauth_server.requests[0][1]["client_secret"] == "google-secret"


def test_browser_flow_denied(oauth_server: OAuthServer, config_folder: Path) -> None:
    point = oauth2.endpoints(browser_account(oauth_server), flow="browser")
    oauth_server.deny_next_authorization()
    with oauth2.start_browser_flow(point) as flow:
        browser, pages = open_in_browser(flow.url)
        with pytest.raises(OAuth2Error) as caught:
            oauth2.wait_for_browser(point, flow, timeout=30)
        browser.join(timeout=30)
    assert caught.value.message == (
        "sign-in: access was denied at the provider: nothing was changed"
    )
    assert "tix could not sign in: sign-in: access was denied" in pages[0]
    assert oauth_server.token_requests == 0
    assert not (config_folder / "oauth2").exists()


def test_browser_flow_refuses_an_answer_with_another_state(oauth_server: OAuthServer) -> None:
    point = oauth2.endpoints(browser_account(oauth_server), flow="browser")
    with oauth2.start_browser_flow(point) as flow:
        forged = f"{flow.redirect_uri}?code=ac-forged&state=not-{flow.state}"
        browser, pages = open_in_browser(forged)
        with pytest.raises(OAuth2Error) as caught:
            oauth2.wait_for_browser(point, flow, timeout=30)
        browser.join(timeout=30)
    assert caught.value.message == (
        "sign-in: the answer does not belong to this sign-in (its state differs): "
        "run the command again"
    )
    assert "tix could not sign in" in pages[0]
    assert oauth_server.token_requests == 0


def test_browser_flow_code_without_the_right_verifier_fails_at_the_server(
    oauth_server: OAuthServer,
) -> None:
    point = oauth2.endpoints(browser_account(oauth_server), flow="browser")
    oauth_server.approve_next_authorization(USER)
    with oauth2.start_browser_flow(point) as flow:
        flow.verifier = "x" * 86  # not the one whose hash the authorization carried
        browser, _pages = open_in_browser(flow.url)
        with pytest.raises(OAuth2Error) as caught:
            oauth2.wait_for_browser(point, flow, timeout=30)
        browser.join(timeout=30)
    assert caught.value.message == (
        "sign-in: the provider refused the code "
        "(invalid_grant: the PKCE code_verifier does not match)"
    )
    assert oauth_server.requests[0][1]["code_verifier"] == "x" * 86


def test_browser_flow_takes_the_address_pasted_on_stdin(
    oauth_server: OAuthServer, config_folder: Path
) -> None:
    signed = browser_account(oauth_server)
    point = oauth2.endpoints(signed, flow="browser")
    oauth_server.approve_next_authorization(USER)
    reading, writing = os.pipe()
    with oauth2.start_browser_flow(point) as flow, os.fdopen(reading) as stdin:
        pasted = address_after_sign_in(flow.url)
        assert pasted.startswith(flow.redirect_uri + "?")

        def paste() -> None:
            time.sleep(0.3)  # tix is waiting by now
            os.write(writing, b"\n  " + pasted.encode() + b"  \n")

        typist = threading.Thread(target=paste, daemon=True)
        typist.start()
        tokens = oauth2.wait_for_browser(point, flow, paste=stdin, timeout=30)
        typist.join()
        os.close(writing)
    assert oauth_server.is_valid(tokens.access_token) == USER
    assert tokens.refresh_token is not None


@pytest.mark.parametrize(
    "pasted",
    ["http://127.0.0.1:4711/?state=abc", "I signed in", "http://127.0.0.1:4711/"],
)
def test_a_pasted_address_without_a_code_is_refused(oauth_server: OAuthServer, pasted: str) -> None:
    point = oauth2.endpoints(browser_account(oauth_server), flow="browser")
    with oauth2.start_browser_flow(point) as flow, pytest.raises(OAuth2Error) as caught:
        oauth2.wait_for_browser(point, flow, paste=io.StringIO(pasted + "\n"), timeout=30)
    assert caught.value.message == (
        "sign-in: the pasted address holds no code: copy the whole address from the "
        "browser's address bar after signing in (it contains code=)"
    )
    assert oauth_server.token_requests == 0


def test_a_browser_sign_in_nobody_finishes_runs_out(oauth_server: OAuthServer) -> None:
    point = oauth2.endpoints(browser_account(oauth_server), flow="browser")
    started = time.monotonic()
    with oauth2.start_browser_flow(point) as flow, pytest.raises(OAuth2Error) as caught:
        # stdin ends at once (nothing piped in): the listener still waits.
        oauth2.wait_for_browser(point, flow, paste=io.StringIO(""), timeout=0.5)
    assert time.monotonic() - started >= 0.5
    assert caught.value.message == (
        "sign-in: the browser brought no answer within 0.5 s: run the command again"
    )
    with pytest.raises(OSError):  # the listener is closed
        urllib.request.urlopen(flow.redirect_uri + "?code=late&state=x", timeout=5)


def test_the_browser_flow_needs_an_authorize_url_for_a_custom_provider(
    oauth_server: OAuthServer,
) -> None:
    with pytest.raises(Invalid, match="the custom provider needs --authorize-url URL"):
        oauth2.endpoints(account(oauth_server), flow="browser")
    # A refresh needs only the token URL: an account signed in in the browser refreshes.
    assert oauth2.endpoints(browser_account(oauth_server)).token_url == oauth_server.token_url


def write_refresh_token(path: Path, token: str, *, mode: int = 0o600, plain: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(token + "\n" if plain else json.dumps({"refresh_token": token}))
    path.chmod(mode)


def test_access_tokens_are_refreshed_before_they_expire_and_after_a_refusal(
    oauth_server: OAuthServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _access, refresh = oauth_server.issue(USER)
    path = tmp_path / "support.token"
    write_refresh_token(path, refresh)
    signed = account(oauth_server, oauth2_refresh_token_file=str(path))
    first = oauth2.access_token(signed)
    assert oauth_server.is_valid(first) == USER and oauth_server.refresh_requests == 1
    assert oauth2.access_token(signed) == first and oauth_server.refresh_requests == 1
    # The server refused it: a new one, whatever the expiry said.
    second = oauth2.access_token(signed, force_refresh=True)
    assert second != first and oauth_server.refresh_requests == 2
    # Close to its expiry: refreshed before use.
    monkeypatch.setattr(oauth2, "EXPIRY_MARGIN", 3600.0)
    third = oauth2.access_token(signed)
    assert third not in (first, second) and oauth_server.refresh_requests == 3


def test_a_rotated_refresh_token_replaces_the_old_one_in_a_plain_file(
    oauth_server: OAuthServer, tmp_path: Path
) -> None:
    oauth_server.rotate_refresh_tokens = True
    _access, refresh = oauth_server.issue(USER)
    path = tmp_path / "support.token"
    write_refresh_token(path, refresh, plain=True)
    signed = account(oauth_server, oauth2_refresh_token_file=str(path))
    oauth2.access_token(signed)
    kept = path.read_text().strip()
    assert kept.startswith("rt-") and kept != refresh  # still just the token, as it was
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    oauth2.access_token(signed, force_refresh=True)  # works with the new one
    assert oauth_server.refresh_requests == 2


def test_a_revoked_refresh_token_asks_for_a_new_sign_in(
    oauth_server: OAuthServer, tmp_path: Path
) -> None:
    _access, refresh = oauth_server.issue(USER)
    path = tmp_path / "support.token"
    write_refresh_token(path, refresh)
    oauth_server.revoke_refresh(refresh)
    with pytest.raises(OAuth2Error) as caught:
        oauth2.access_token(account(oauth_server, oauth2_refresh_token_file=str(path)))
    assert caught.value.needs_sign_in
    assert caught.value.message.startswith(
        "mail account support: the provider no longer accepts the refresh token (invalid_grant"
    )
    assert caught.value.message.endswith("run `tix account oauth support` again")
    assert refresh not in caught.value.message


def test_a_refresh_token_file_others_can_read_or_that_cannot_be_read(
    oauth_server: OAuthServer, tmp_path: Path
) -> None:
    _access, refresh = oauth_server.issue(USER)
    path = tmp_path / "support.token"
    write_refresh_token(path, refresh, mode=0o644)
    signed = account(oauth_server, oauth2_refresh_token_file=str(path))
    with pytest.raises(OAuth2Error) as caught:
        oauth2.access_token(signed)
    assert caught.value.message == (
        f"mail account support: {path} can be read by other users (mode 644): "
        f"run `chmod 600 {path}`"
    )
    path.unlink()
    path.mkdir(mode=0o700)
    with pytest.raises(OAuth2Error, match=r"cannot read .*support\.token: Is a directory"):
        oauth2.access_token(signed)
    path.rmdir()
    with pytest.raises(OAuth2Error) as missing:
        oauth2.access_token(signed)
    assert missing.value.needs_sign_in
    assert "sign in with `tix account oauth support`" in missing.value.message
    assert oauth_server.refresh_requests == 0


def script(tmp_path: Path, name: str, body: str) -> str:
    """A small Python program as a command line."""
    path = tmp_path / f"{name}.py"
    path.write_text(body)
    return f"{sys.executable} {path}"


def test_a_token_command_that_fails_hangs_or_prints_no_token(tmp_path: Path) -> None:
    what = "mail account support: the token command"

    def error_of(command: str) -> str:
        with pytest.raises(OAuth2Error) as caught:
            oauth2.access_token(
                MailAccount(name="support", address=USER, auth="oauth2", oauth2_token_cmd=command),
                command_timeout=1.0,
            )
        assert "\n" not in caught.value.message
        assert "SECRET" not in caught.value.message
        return caught.value.message

    fails = script(tmp_path, "fails", "import sys\nsys.exit('oama: no such account')\n")
    assert error_of(fails) == f"{what}: the command exited with 1: oama: no such account"
    nothing = script(tmp_path, "nothing", "print()\n")
    assert error_of(nothing) == f"{what}: the command printed nothing"
    garbage = script(tmp_path, "garbage", "print('Your token is SECRETabc')\n")
    assert error_of(garbage) == (
        f"{what}: the command printed something that is not a token: it must print just the "
        "token, on one line"
    )
    two = script(tmp_path, "two", "print('SECRET1')\nprint('SECRET2')\n")
    assert error_of(two).endswith("just the token, on one line")
    hangs = script(tmp_path, "hangs", "import time\nprint('SECRET', flush=True)\ntime.sleep(30)\n")
    assert error_of(hangs) == f"{what}: the command did not finish within 1 s"
    assert error_of("/nonexistent/oama access") == (
        f"{what}: the command cannot be run: No such file or directory"
    )
    works = script(tmp_path, "works", "print('ya29.a0-Token_123/+=')\n")
    signed = MailAccount(name="support", address=USER, auth="oauth2", oauth2_token_cmd=works)
    assert oauth2.access_token(signed) == "ya29.a0-Token_123/+="


def test_endpoints_name_what_is_missing(oauth_server: OAuthServer) -> None:
    def error_of(**changes: Any) -> str:
        with pytest.raises(Invalid) as caught:
            oauth2.endpoints(account(oauth_server), **changes)
        return caught.value.message

    assert error_of(provider="yahoo") == (
        "unknown OAuth2 provider 'yahoo': use microsoft, google or custom"
    )
    assert error_of(client_id="").startswith("mail account support: no OAuth2 client id")
    assert error_of(token_url="") == "the custom provider needs --token-url URL"
    assert error_of(device_url="ftp://x") == "--device-url: 'ftp://x' is not an http(s) URL"
    assert error_of(provider="google", client_secret_env="") == (
        "the google provider needs a client secret: put it in a variable and name it with "
        "--client-secret-env VAR"
    )
    os.environ.pop("TIX_TEST_NO_SECRET", None)
    assert "TIX_TEST_NO_SECRET is not set" in error_of(client_secret_env="TIX_TEST_NO_SECRET")
    microsoft = oauth2.endpoints(
        account(oauth_server),
        provider="microsoft",
        tenant="example.com",
        device_url="",
        token_url="",
        scopes="",
    )
    assert microsoft.device_url == (
        "https://login.microsoftonline.com/example.com/oauth2/v2.0/devicecode"
    )
    assert microsoft.scopes == (
        "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send "
        "offline_access"
    )
    google = oauth2.endpoints(
        account(oauth_server, oauth2_client_secret_env="PATH"),
        provider="google",
        device_url="",
        token_url="",
        scopes="",
    )
    assert (google.token_url, google.scopes) == (
        "https://oauth2.googleapis.com/token",
        "https://mail.google.com/",
    )


# ---------------------------------------------------------------- IMAP, SMTP, sync, worker


def kick(dovecot: Any, address: str) -> None:
    """Dovecot ends the user's IMAP sessions (as Microsoft 365 does when a token expires)."""
    command = [shutil.which("doveadm") or "doveadm", "-c", str(dovecot.config_path)]
    subprocess.run([*command, "kick", address], check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        who = subprocess.run([*command, "who", address], capture_output=True, text=True)
        if address not in who.stdout:
            return
        time.sleep(0.02)


@pytest.fixture
def oauth_mailbox(world: Any, dovecot_oauth: Any, oauth_server: OAuthServer, tmp_path: Path) -> str:
    """The world's support account on a token-only Dovecot mailbox, signed in with a refresh
    token in a private file; returns its address."""
    address = f"oauth-{uuid.uuid4().hex[:10]}@tix.test"
    dovecot_oauth.add_user(address)
    _access, refresh = oauth_server.issue(address)
    write_refresh_token(tmp_path / "support.token", refresh)
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        found = session.get(MailAccount, world.account)
        accounts.update_account(
            session,
            anna,
            account=found,
            changes={
                "address": address,
                "imap_host": dovecot_oauth.host,
                "imap_port": dovecot_oauth.port,
                "imap_user": address,
                "tls": "none",
            },
        )
        accounts.set_oauth2_sign_in(
            session,
            anna,
            account=found,
            settings={
                "oauth2_provider": "custom",
                "oauth2_client_id": "tix-test",
                "oauth2_device_url": oauth_server.device_url,
                "oauth2_token_url": oauth_server.token_url,
                "oauth2_scopes": "mail offline_access",
                "oauth2_refresh_token_file": str(tmp_path / "support.token"),
            },
        )
    return address


def support_account(world: Any) -> MailAccount:
    with session_scope(world.engine) as session:
        found = session.get(MailAccount, world.account)
        assert found is not None
        session.expunge(found)
        return found


def test_imap_and_smtp_sign_in_with_xoauth2_and_refresh_a_refused_token_once(
    world: Any, dovecot_oauth: Any, oauth_server: OAuthServer, oauth_mailbox: str
) -> None:
    signed = support_account(world)
    settings = imap_settings(signed)
    assert settings.password is None
    assert imap.check(settings).startswith(
        f"{dovecot_oauth.host}:{dovecot_oauth.port}: no TLS, logged in as {oauth_mailbox} with "
        "XOAUTH2, INBOX: 0 messages"
    )
    assert oauth_server.refresh_requests == 1
    token = oauth2.access_token(signed)
    oauth_server.expire_access(token)  # the server no longer takes the cached token
    with imap.Mailbox(settings) as box:
        assert box.mechanism == "XOAUTH2"
    assert oauth_server.refresh_requests == 2
    with SmtpServer(oauth2=oauth_server) as smtp:
        signed.smtp_host, signed.smtp_port, signed.smtp_tls = smtp.host, smtp.port, "none"
        outgoing = smtp_settings(signed)
        assert outgoing.user == oauth_mailbox  # OAuth2 logs in to SMTP as the IMAP user
        assert smtp_check(outgoing) == (
            f"{smtp.host}:{smtp.port}: no encryption, logged in as {oauth_mailbox} with XOAUTH2"
        )
        oauth_server.expire_access(oauth2.access_token(signed))
        send(outgoing, envelope_from=oauth_mailbox, recipients=["a@b.example"], message=b"Hi\r\n")
        [received] = smtp.wait_for(1)
        assert (received.authenticated_as, received.auth_mechanism) == (oauth_mailbox, "XOAUTH2")
    assert oauth_server.refresh_requests == 3


def test_a_fresh_token_the_servers_refuse_says_what_to_do(
    world: Any, dovecot_oauth: Any, oauth_server: OAuthServer, oauth_mailbox: str, tmp_path: Path
) -> None:
    other, _refresh = oauth_server.issue("someone-else@tix.test")
    command = script(tmp_path, "other", f"print({other!r})\n")
    with session_scope(world.engine, write=True) as session:
        found = session.get(MailAccount, world.account)
        anna = world.user(session, "admin")
        accounts.update_account(session, anna, account=found, changes={"oauth2_token_cmd": command})
    signed = support_account(world)
    with pytest.raises(imap.ImapError) as caught:
        imap.check(imap_settings(signed))
    assert caught.value.needs_sign_in and not caught.value.temporary
    assert caught.value.message == (
        f"mail account support: {dovecot_oauth.host}:{dovecot_oauth.port}: login refused for "
        f"{oauth_mailbox}: the token was refused by the server: check that the token command "
        "gives a token for this mailbox (and its scopes)"
    )
    with SmtpServer(oauth2=oauth_server) as smtp:
        signed.smtp_host, signed.smtp_port, signed.smtp_tls = smtp.host, smtp.port, "none"
        with pytest.raises(PermanentFailure) as refused:
            smtp_check(smtp_settings(signed))
    assert refused.value.needs_sign_in
    assert refused.value.message.endswith(
        f"login refused for {oauth_mailbox}: the token was refused by the server: check that "
        "the token command gives a token for this mailbox (and its scopes)"
    )
    assert other not in caught.value.message + refused.value.message


def test_an_expired_token_is_refreshed_transparently_during_a_long_sync(
    world: Any, dovecot_oauth: Any, oauth_server: OAuthServer, oauth_mailbox: str
) -> None:
    for index in range(3):
        dovecot_oauth.deliver(oauth_mailbox, mail(subject=f"Long sync {index}"))
    signed = support_account(world)

    def progress(done: int, total: int) -> None:
        if done == 1:  # the token expires and the server ends the session
            oauth_server.expire_access(oauth2.access_token(signed))
            kick(dovecot_oauth, oauth_mailbox)

    report = sync_account(
        world.engine, world.account, settings=Settings(), batch=1, progress=progress
    )
    assert (report.imported, report.new_tickets) == (3, 3)
    assert oauth_server.refresh_requests == 2  # the first sign-in, and after the refusal


def test_the_worker_marks_a_sign_in_that_cannot_be_refreshed_and_tells_admins_once(
    world: Any,
    oauth_server: OAuthServer,
    oauth_mailbox: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    refresh = json.loads((tmp_path / "support.token").read_text())["refresh_token"]
    oauth_server.revoke_refresh(refresh)
    caplog.set_level(logging.INFO)
    for _round in range(3):
        done = run_round(world.engine, Settings())
        assert "no longer accepts the refresh token" in done.errors[0]
    with session_scope(world.engine) as session:
        found = session.get(MailAccount, world.account)
        assert found is not None and found.auth_problem is not None
        assert found.auth_problem.startswith(
            "mail account support: the provider no longer accepts the refresh token"
        )
        assert found.auth_problem_at is not None
        told = session.execute(select(Notification)).scalars().all()
    assert [(n.user_id, n.kind) for n in told] == [(world.admin, "account")]
    assert told[0].text == f"Sign-in stopped working: {found.auth_problem}"
    logged = [r for r in caplog.records if "sign-in stopped working" in r.getMessage()]
    assert len(logged) == 1 and refresh not in caplog.text
    # Signed in again: the mark goes, and nobody is told again.
    _access, fresh = oauth_server.issue(oauth_mailbox)
    write_refresh_token(tmp_path / "support.token", fresh)
    done = run_round(world.engine, Settings())
    assert done.errors == []
    with session_scope(world.engine) as session:
        found = session.get(MailAccount, world.account)
        assert found is not None and found.auth_problem is None and found.auth_problem_at is None
        assert len(session.execute(select(Notification)).scalars().all()) == 1


def test_oauthbearer_where_the_servers_offer_no_xoauth2(
    oauth_server: OAuthServer, tmp_path: Path
) -> None:
    address = f"bearer-{uuid.uuid4().hex[:10]}@tix.test"
    _access, refresh = oauth_server.issue(address)
    write_refresh_token(tmp_path / "support.token", refresh)
    with (
        DovecotServer(oauth2=oauth_server, oauth2_mechanisms=("OAUTHBEARER",)) as dovecot,
        SmtpServer(oauth2=oauth_server, oauth2_mechanisms=("OAUTHBEARER",)) as smtp,
    ):
        dovecot.add_user(address)
        signed = account(
            oauth_server,
            address=address,
            imap_host=dovecot.host,
            imap_port=dovecot.port,
            imap_user=address,
            tls="none",
            smtp_host=smtp.host,
            smtp_port=smtp.port,
            smtp_tls="none",
            oauth2_refresh_token_file=str(tmp_path / "support.token"),
        )
        assert f"logged in as {address} with OAUTHBEARER, INBOX" in imap.check(
            imap_settings(signed)
        )
        assert smtp_check(smtp_settings(signed)).endswith(f"as {address} with OAUTHBEARER")
        # A refused token is refreshed once, after the server's error challenge.
        oauth_server.expire_access(oauth2.access_token(signed))
        with imap.Mailbox(imap_settings(signed)) as box:
            assert box.mechanism == "OAUTHBEARER"
        send(
            smtp_settings(signed), envelope_from=address, recipients=["a@b.example"], message=b"Hi"
        )
        assert smtp.wait_for(1)[0].auth_mechanism == "OAUTHBEARER"
    assert oauth_server.refresh_requests == 2
