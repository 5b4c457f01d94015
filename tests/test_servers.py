"""The real servers the suite relies on: each is started and used for real here.

PostgreSQL and Dovecot are the session fixtures the rest of the suite shares; the
lifecycle tests start their own to check that a failing test still stops everything.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.oauth_server import DEVICE_CODE_GRANT, OAuthServer
from tests.servers import (
    CHROMIUM_ARGS,
    DovecotServer,
    PostgresServer,
    ServerError,
    SmtpServer,
    free_port,
    require,
)


def new_address() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@tix.test"


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


def make_mail(subject: str, to: str = "someone@tix.test") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "customer@example.test"
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content("Hello from the test suite.\n")
    return mail


def port_is_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def oauth_post(
    url: str, headers: Mapping[str, str] | None = None, **fields: str
) -> tuple[int, dict[str, object]]:
    """POST a form as an OAuth client does; the HTTP status and the JSON answer."""
    request = urllib.request.Request(
        url, data=urllib.parse.urlencode(fields).encode(), headers=dict(headers or {})
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def start_device_flow(server: OAuthServer, client_id: str = "tix") -> dict[str, object]:
    status, answer = oauth_post(server.device_url, client_id=client_id, scope="mail offline")
    assert status == 200, answer
    return answer


def poll(server: OAuthServer, device_code: object, client_id: str = "tix") -> tuple[int, str]:
    """One device-code token request: (status, error or access token)."""
    status, answer = oauth_post(
        server.token_url,
        grant_type=DEVICE_CODE_GRANT,
        device_code=str(device_code),
        client_id=client_id,
    )
    return status, str(answer.get("error") or answer["access_token"])


def refresh(
    server: OAuthServer, refresh_token: str, *, client_secret: str | None = None
) -> tuple[int, dict[str, object]]:
    if client_secret is None:
        return oauth_post(
            server.token_url,
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id="tix",
        )
    return oauth_post(
        server.token_url,
        grant_type="refresh_token",
        refresh_token=refresh_token,
        client_id="tix",
        client_secret=client_secret,
    )


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# --------------------------------------------------------------------------- require


def test_require_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Dovecot: not installed"):
        require("Dovecot", "not installed")


def test_require_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Dovecot is required when CI=true"):
        require("Dovecot", "not installed")


# --------------------------------------------------------------------------- PostgreSQL


def test_postgres_accepts_a_connection(postgres_server: PostgresServer) -> None:
    assert postgres_server.url.startswith("postgresql+psycopg://tix@127.0.0.1:")
    assert postgres_server.url.endswith("/tix_test")
    with psycopg.connect(libpq_url(postgres_server.url)) as connection:
        assert connection.execute("select 1").fetchone() == (1,)


def test_postgres_creates_an_empty_database(postgres_server: PostgresServer) -> None:
    name = f"tix_empty_{uuid.uuid4().hex[:8]}"
    url = postgres_server.create_database(name)
    assert url.endswith(f"/{name}")
    with psycopg.connect(libpq_url(url)) as connection:
        row = connection.execute(
            "select current_database(), count(*) from information_schema.tables"
            " where table_schema = 'public'"
        ).fetchone()
    assert row == (name, 0)


# --------------------------------------------------------------------------- Dovecot


def test_dovecot_login_append_and_fetch(dovecot: DovecotServer) -> None:
    address = new_address()
    dovecot.add_user(address, "secret")  # after start: dovecot re-reads the passwd-file
    raw = make_mail("Printer on fire", to=address).as_bytes()
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "secret")
        folders = {name: flags for flags, _, name in client.list_folders()}
        assert b"\\Archive" in folders["Archive"]
        assert b"\\Sent" in folders["Sent"]
        client.append("INBOX", raw)
        client.select_folder("INBOX")
        uids = client.search("ALL")
        assert len(uids) == 1
        fetched = client.fetch(uids, ["BODY.PEEK[]"])[uids[0]][b"BODY[]"]
    assert fetched.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


def test_dovecot_refuses_a_wrong_password(dovecot: DovecotServer) -> None:
    address = new_address()
    dovecot.add_user(address, "secret")
    with (
        IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client,
        pytest.raises(LoginError),
    ):
        client.login(address, "wrong")


def test_dovecot_sees_a_changed_password(dovecot: DovecotServer) -> None:
    address = new_address()
    dovecot.add_user(address, "old")
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "old")
    dovecot.add_user(address, "new")
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "new")


def test_dovecot_tls_port_uses_the_self_signed_certificate(dovecot: DovecotServer) -> None:
    address = new_address()
    dovecot.add_user(address, "secret")
    assert dovecot.cert_path is not None
    context = ssl.create_default_context(cafile=str(dovecot.cert_path))
    with IMAPClient(dovecot.host, port=dovecot.tls_port, ssl=True, ssl_context=context) as client:
        client.login(address, "secret")
        assert client.select_folder("INBOX")[b"EXISTS"] == 0

    untrusting = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(dovecot.host, port=dovecot.tls_port, ssl=True, ssl_context=untrusting)


def test_deliver_puts_a_message_into_the_inbox(dovecot: DovecotServer) -> None:
    address = new_address()
    dovecot.add_user(address, "secret")
    dovecot.deliver(address, make_mail("Delivered", to=address).as_bytes())
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "secret")
        client.select_folder("INBOX")
        uids = client.search(["SUBJECT", "Delivered"])
        assert len(uids) == 1


# --------------------------------------------------------------------------- Dovecot, OAuth2


def imap_token_login(dovecot: DovecotServer, method: str, user: str, token: str) -> list[int]:
    """Log in with `method` (oauth2_login, oauthbearer_login); the UIDs in the INBOX."""
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        getattr(client, method)(user, token)
        client.select_folder("INBOX")
        return list(client.search("ALL"))


@pytest.mark.parametrize("method", ["oauth2_login", "oauthbearer_login"])
def test_dovecot_oauth_logs_in_a_token_only_user(
    dovecot_oauth: DovecotServer, oauth_server: OAuthServer, method: str
) -> None:
    address = new_address()
    dovecot_oauth.add_user(address)  # no password: a mailbox, and tokens only
    dovecot_oauth.deliver(address, make_mail("Via token", to=address).as_bytes())
    access, _ = oauth_server.issue(address)
    assert len(imap_token_login(dovecot_oauth, method, address, access)) == 1
    assert oauth_server.introspections == 1  # Dovecot asked the server, not a cache

    for password in ("", "*", "{CRYPT}*"):
        with (
            IMAPClient(dovecot_oauth.host, port=dovecot_oauth.port, ssl=False) as client,
            pytest.raises(LoginError),
        ):
            client.login(address, password)


@pytest.mark.parametrize("method", ["oauth2_login", "oauthbearer_login"])
def test_dovecot_oauth_refuses_dead_and_foreign_tokens(
    dovecot_oauth: DovecotServer, oauth_server: OAuthServer, method: str
) -> None:
    address, other = new_address(), new_address()
    expired, _ = oauth_server.issue(address)
    oauth_server.expire_access(expired)
    foreign, _ = oauth_server.issue(other)
    for token, user in [(expired, address), ("at-unknown", address), (foreign, address)]:
        with pytest.raises(LoginError, match="AUTHENTICATIONFAILED"):
            imap_token_login(dovecot_oauth, method, user, token)
    assert imap_token_login(dovecot_oauth, method, other, foreign) == []  # its own user


def test_dovecot_oauth_keeps_password_users(dovecot_oauth: DovecotServer) -> None:
    address = new_address()
    dovecot_oauth.add_user(address, "secret")
    with IMAPClient(dovecot_oauth.host, port=dovecot_oauth.port, ssl=False) as client:
        assert b"AUTH=XOAUTH2" in client.capabilities()
        assert b"AUTH=OAUTHBEARER" in client.capabilities()
        client.login(address, "secret")
    with (
        IMAPClient(dovecot_oauth.host, port=dovecot_oauth.port, ssl=False) as client,
        pytest.raises(LoginError),
    ):
        client.login(address, "wrong")


def test_dovecot_without_oauth_offers_no_token_login(dovecot: DovecotServer) -> None:
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        assert b"AUTH=XOAUTH2" not in client.capabilities()


def test_deliver_to_an_unknown_user_says_to_add_it(dovecot_oauth: DovecotServer) -> None:
    with pytest.raises(ServerError, match=r"no such user: add_user\(\) it first"):
        dovecot_oauth.deliver(new_address(), make_mail("Nobody").as_bytes())


# --------------------------------------------------------------------------- SMTP


def test_smtp_records_a_message(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as client:
        client.send_message(make_mail("Hello", to="a@tix.test"), to_addrs=["a@tix.test"])
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "customer@example.test"
    assert received.rcpt_tos == ["a@tix.test"]
    assert received.message()["Subject"] == "Hello"
    assert received.authenticated_as is None


def test_smtp_wait_for_times_out(smtp_server: SmtpServer) -> None:
    with pytest.raises(TimeoutError, match="got 0 message"):
        smtp_server.wait_for(1, timeout=0.05)


def test_smtp_auth_is_required_and_checked() -> None:
    with SmtpServer(auth=("mailer", "s3cret")) as server:
        mail = make_mail("Needs auth")
        with smtplib.SMTP(server.host, server.port) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(mail)
            assert refused.value.smtp_code == 530
        with smtplib.SMTP(server.host, server.port) as client:
            with pytest.raises(smtplib.SMTPAuthenticationError) as wrong:
                client.login("mailer", "wrong")
            assert wrong.value.smtp_code == 535
        with smtplib.SMTP(server.host, server.port) as client:
            client.login("mailer", "s3cret")
            assert client.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
            client.send_message(mail)
        [received] = server.wait_for(1)
    assert received.authenticated_as == "mailer"
    assert received.auth_mechanism == "PLAIN"


class TokenAuth:
    """An smtplib authobject for XOAUTH2 or OAUTHBEARER that keeps the server's challenges.

    It answers an error challenge as the protocols ask: with an empty line (XOAUTH2) or
    a ^A (OAUTHBEARER).
    """

    def __init__(self, mechanism: str, user: str, token: str) -> None:
        self.mechanism = mechanism
        if mechanism == "XOAUTH2":
            self.response = f"user={user}\x01auth=Bearer {token}\x01\x01"
        else:
            self.response = f"n,a={user},\x01host=127.0.0.1\x01auth=Bearer {token}\x01\x01"
        self.challenges: list[dict[str, str]] = []

    def __call__(self, challenge: bytes | None = None) -> str:
        if challenge is None:
            return self.response
        self.challenges.append(json.loads(challenge))
        return "" if self.mechanism == "XOAUTH2" else "\x01"


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_smtp_oauth2_takes_a_live_token_of_the_user(
    oauth_server: OAuthServer, mechanism: str
) -> None:
    address = new_address()
    access, _ = oauth_server.issue(address)
    with SmtpServer(oauth2=oauth_server) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.ehlo()
            assert client.esmtp_features["auth"].split() == ["OAUTHBEARER", "XOAUTH2"]
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                client.send_message(make_mail("Too early"))
            assert refused.value.smtp_code == 530
            assert client.auth(mechanism, TokenAuth(mechanism, address, access))[0] == 235
            client.send_message(make_mail("With a token"))
        [received] = server.wait_for(1)
    assert received.authenticated_as == address
    assert received.auth_mechanism == mechanism
    assert received.message()["Subject"] == "With a token"


@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_smtp_oauth2_refuses_dead_and_foreign_tokens(
    oauth_server: OAuthServer, mechanism: str
) -> None:
    address, other = new_address(), new_address()
    expired, _ = oauth_server.issue(address, lifetime=0)
    foreign, _ = oauth_server.issue(other)
    expected = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
    if mechanism == "OAUTHBEARER":
        expected = {"status": "invalid_token", "schemes": "bearer", "scope": "mail"}
    with SmtpServer(oauth2=oauth_server) as server:
        for token in (expired, "at-unknown", foreign):
            with smtplib.SMTP(server.host, server.port) as client:
                client.ehlo()
                auth = TokenAuth(mechanism, address, token)
                with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
                    client.auth(mechanism, auth)
                assert refused.value.smtp_code == 535
                assert auth.challenges == [expected]  # the error first, then 535
                with pytest.raises(smtplib.SMTPSenderRefused):
                    client.send_message(make_mail("Refused"))
    assert server.messages == []


def test_smtp_xoauth2_refusal_with_a_client_that_repeats_itself(
    oauth_server: OAuthServer,
) -> None:
    # Many clients answer the error challenge with their first response again.
    with (
        SmtpServer(oauth2=oauth_server) as server,
        smtplib.SMTP(server.host, server.port) as client,
    ):
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth("XOAUTH2", lambda _=None: "user=a@tix.test\x01auth=Bearer x\x01\x01")
        assert refused.value.smtp_code == 535


def test_smtp_offers_passwords_and_tokens_together(oauth_server: OAuthServer) -> None:
    address = new_address()
    access, _ = oauth_server.issue(address)
    with SmtpServer(auth=("mailer", "s3cret"), oauth2=oauth_server) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.ehlo()
            offered = client.esmtp_features["auth"].split()
            assert offered == ["LOGIN", "OAUTHBEARER", "PLAIN", "XOAUTH2"]
            client.login("mailer", "s3cret")
            client.send_message(make_mail("Password"))
        with smtplib.SMTP(server.host, server.port) as client:
            client.ehlo()
            client.auth("XOAUTH2", TokenAuth("XOAUTH2", address, access))
            client.send_message(make_mail("Token"))
        first, second = server.wait_for(2)
    assert (first.authenticated_as, first.auth_mechanism) == ("mailer", "PLAIN")
    assert (second.authenticated_as, second.auth_mechanism) == (address, "XOAUTH2")


def test_smtp_rejects_and_tempfails_recipients() -> None:
    rejected, deferred, fine = "gone@tix.test", "busy@tix.test", "ok@tix.test"
    with SmtpServer(reject_rcpt={rejected}, tempfail_rcpt={deferred}) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            refused = client.send_message(make_mail("Mixed"), to_addrs=[rejected, deferred, fine])
            assert refused[rejected][0] == 550
            assert refused[deferred][0] == 451
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.send_message(make_mail("All refused"), to_addrs=[rejected])
        [received] = server.wait_for(1)
    assert received.rcpt_tos == [fine]


def test_smtp_delivers_into_dovecot(dovecot: DovecotServer) -> None:
    address = new_address()
    dovecot.add_user(address, "secret")
    with SmtpServer(deliver_to=dovecot) as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.send_message(make_mail("Round trip", to=address))
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.send_message(make_mail("Nobody"), to_addrs=["nobody@tix.test"])
        server.wait_for(1)
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False) as client:
        client.login(address, "secret")
        client.select_folder("INBOX")
        [uid] = client.search(["SUBJECT", "Round trip"])
        envelope = client.fetch([uid], ["ENVELOPE"])[uid][b"ENVELOPE"]
    assert envelope.subject == b"Round trip"


# --------------------------------------------------------------------------- OAuth2 server


def test_oauth_device_flow_is_pending_until_approved(oauth_server: OAuthServer) -> None:
    oauth_server.device_interval = 0.05
    flow = start_device_flow(oauth_server)
    user_code = str(flow["user_code"])
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", user_code)
    assert flow["verification_uri"] == oauth_server.url + "/verify"
    assert flow["verification_uri_complete"] == f"{oauth_server.url}/verify?user_code={user_code}"
    assert (flow["expires_in"], flow["interval"]) == (600, 0.05)
    assert oauth_server.pending_user_codes() == [user_code]
    assert oauth_server.wait_for_device_request(timeout=1) == user_code

    assert poll(oauth_server, flow["device_code"]) == (400, "authorization_pending")
    oauth_server.approve(user_code, "support@tix.test")
    assert oauth_server.pending_user_codes() == []
    time.sleep(0.05)
    status, tokens = oauth_post(
        oauth_server.token_url,
        grant_type=DEVICE_CODE_GRANT,
        device_code=str(flow["device_code"]),
        client_id="tix",
    )
    assert status == 200
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "mail offline"
    assert oauth_server.is_valid(str(tokens["access_token"])) == "support@tix.test"
    status, introspected = oauth_post(
        oauth_server.introspect_url, token=str(tokens["access_token"])
    )
    assert status == 200
    assert introspected["active"] is True
    assert introspected["username"] == "support@tix.test"
    assert int(str(introspected["exp"])) > time.time() + 3500

    time.sleep(0.05)
    assert poll(oauth_server, flow["device_code"]) == (400, "invalid_grant")  # used once only
    assert (oauth_server.device_requests, oauth_server.token_requests) == (1, 3)
    assert oauth_server.introspections == 1
    assert [path for path, _ in oauth_server.requests] == [
        "/device", "/token", "/token", "/introspect", "/token"
    ]  # fmt: skip


def test_oauth_device_flow_can_be_approved_while_the_client_polls(
    oauth_server: OAuthServer,
) -> None:
    oauth_server.device_interval = 0.02

    def person() -> None:
        oauth_server.approve(oauth_server.wait_for_device_request(timeout=5), "bob@tix.test")

    helper = threading.Thread(target=person)
    helper.start()
    flow = start_device_flow(oauth_server)
    answers = []
    for _ in range(250):
        answers.append(poll(oauth_server, flow["device_code"]))
        if answers[-1][0] == 200:
            break
        time.sleep(0.02)
    helper.join()
    assert {answer for answer in answers[:-1]} <= {(400, "authorization_pending")}
    assert answers[-1][0] == 200
    assert oauth_server.is_valid(answers[-1][1]) == "bob@tix.test"


def test_oauth_wait_for_device_request_times_out(oauth_server: OAuthServer) -> None:
    with pytest.raises(TimeoutError, match="no device authorization request"):
        oauth_server.wait_for_device_request(timeout=0.05)


def test_oauth_device_flow_denied(oauth_server: OAuthServer) -> None:
    flow = start_device_flow(oauth_server)
    oauth_server.deny(str(flow["user_code"]).lower())  # as a person might type it
    assert poll(oauth_server, flow["device_code"]) == (400, "access_denied")
    assert oauth_server.pending_user_codes() == []


def test_oauth_device_flow_expires(oauth_server: OAuthServer) -> None:
    oauth_server.device_expires_in = 0.1
    first = start_device_flow(oauth_server)
    assert first["expires_in"] == 0.1
    time.sleep(0.1)
    assert poll(oauth_server, first["device_code"]) == (400, "expired_token")

    oauth_server.device_expires_in = 600
    second = start_device_flow(oauth_server)
    oauth_server.expire(str(second["user_code"]))
    assert poll(oauth_server, second["device_code"]) == (400, "expired_token")
    with pytest.raises(ValueError, match="is expired, not pending"):
        oauth_server.approve(str(second["user_code"]), "late@tix.test")
    with pytest.raises(KeyError):
        oauth_server.approve("BBBB-CCCC", "nobody@tix.test")
    assert poll(oauth_server, second["device_code"]) == (400, "expired_token")


def test_oauth_device_flow_slow_down(oauth_server: OAuthServer) -> None:
    oauth_server.device_interval = 0.2
    flow = start_device_flow(oauth_server)
    assert poll(oauth_server, flow["device_code"]) == (400, "authorization_pending")
    assert poll(oauth_server, flow["device_code"]) == (400, "slow_down")  # at once
    time.sleep(0.2)
    assert poll(oauth_server, flow["device_code"]) == (400, "authorization_pending")

    oauth_server.slow_down_next(str(flow["user_code"]))
    time.sleep(0.2)
    assert poll(oauth_server, flow["device_code"]) == (400, "slow_down")  # though slow enough
    time.sleep(0.2)
    assert poll(oauth_server, flow["device_code"]) == (400, "authorization_pending")


def test_oauth_device_code_is_bound_to_its_client(oauth_server: OAuthServer) -> None:
    flow = start_device_flow(oauth_server, client_id="tix")
    oauth_server.approve(str(flow["user_code"]), "support@tix.test")
    assert poll(oauth_server, flow["device_code"], client_id="other") == (400, "invalid_grant")
    assert poll(oauth_server, "no-such-code") == (400, "invalid_grant")


def test_oauth_refresh_gives_a_new_access_token(oauth_server: OAuthServer) -> None:
    access, refresh_token = oauth_server.issue("support@tix.test")
    oauth_server.access_lifetime = 120
    status, answer = refresh(oauth_server, refresh_token)
    assert status == 200
    assert answer["expires_in"] == 120
    assert "refresh_token" not in answer  # the old one stays valid
    new_access = str(answer["access_token"])
    assert new_access != access
    assert oauth_server.is_valid(new_access) == "support@tix.test"
    assert refresh(oauth_server, refresh_token)[0] == 200
    assert oauth_server.refresh_requests == 2

    oauth_server.revoke_refresh(refresh_token)
    status, answer = refresh(oauth_server, refresh_token)
    assert (status, answer["error"]) == (400, "invalid_grant")
    status, answer = refresh(oauth_server, "rt-unknown")
    assert (status, answer["error"]) == (400, "invalid_grant")
    assert oauth_server.is_valid(new_access) == "support@tix.test"  # access tokens live on


def test_oauth_rotated_refresh_token_replaces_the_old_one() -> None:
    with OAuthServer(rotate_refresh_tokens=True) as server:
        _, first = server.issue("support@tix.test")
        status, answer = refresh(server, first)
        assert status == 200
        second = str(answer["refresh_token"])
        assert second != first
        assert refresh(server, first)[1]["error"] == "invalid_grant"
        assert refresh(server, second)[0] == 200


def test_oauth_client_secret_is_checked_when_set() -> None:
    with OAuthServer(client_secret="s3cret") as server:
        _, refresh_token = server.issue("support@tix.test")
        status, answer = refresh(server, refresh_token)
        assert (status, answer["error"]) == (401, "invalid_client")
        status, answer = refresh(server, refresh_token, client_secret="wrong")
        assert (status, answer["error"]) == (401, "invalid_client")
        assert refresh(server, refresh_token, client_secret="s3cret")[0] == 200
        basic = base64.b64encode(b"tix:s3cret").decode()
        status, _ = oauth_post(
            server.token_url,
            headers={"Authorization": f"Basic {basic}"},
            grant_type="refresh_token",
            refresh_token=refresh_token,
        )
        assert status == 200
    with OAuthServer() as public:  # without a secret of its own, none is asked for
        _, refresh_token = public.issue("support@tix.test")
        assert refresh(public, refresh_token)[0] == 200


def test_oauth_access_tokens_expire(oauth_server: OAuthServer) -> None:
    short, _ = oauth_server.issue("support@tix.test", lifetime=0.05)
    long, _ = oauth_server.issue("support@tix.test")
    assert oauth_server.is_valid(short) == "support@tix.test"
    time.sleep(0.05)
    assert oauth_server.is_valid(short) is None
    assert oauth_post(oauth_server.introspect_url, token=short) == (200, {"active": False})
    oauth_server.expire_access(long)
    assert oauth_server.is_valid(long) is None
    assert oauth_post(oauth_server.introspect_url, token="at-unknown") == (200, {"active": False})


def test_oauth_refuses_malformed_requests(oauth_server: OAuthServer) -> None:
    status, answer = oauth_post(oauth_server.token_url, grant_type="password", client_id="tix")
    assert (status, answer["error"]) == (400, "unsupported_grant_type")
    status, answer = oauth_post(oauth_server.token_url, grant_type="refresh_token", client_id="tix")
    assert (status, answer["error"]) == (400, "invalid_request")
    assert "refresh_token" in str(answer["error_description"])
    status, answer = oauth_post(oauth_server.device_url, scope="mail")
    assert (status, answer["error"]) == (400, "invalid_request")


def test_oauth_reset_forgets_flows_and_counters(oauth_server: OAuthServer) -> None:
    oauth_server.device_interval = 0.05
    flow = start_device_flow(oauth_server)
    access, _ = oauth_server.issue("support@tix.test")
    oauth_server.reset()
    assert oauth_server.device_interval == 1
    assert (oauth_server.device_requests, oauth_server.requests) == (0, [])
    assert oauth_server.pending_user_codes() == []
    with pytest.raises(TimeoutError):
        oauth_server.wait_for_device_request(timeout=0.01)
    assert poll(oauth_server, flow["device_code"]) == (400, "invalid_grant")
    assert oauth_server.is_valid(access) == "support@tix.test"


def test_oauth_verify_page(oauth_server: OAuthServer) -> None:
    url = f"{oauth_server.url}/verify?user_code=ABCD-EFGH"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers.get_content_type() == "text/html"
        assert "ABCD-EFGH" in response.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a browser whose redirect target is elsewhere: keep the Location


def authorize(server: OAuthServer, **params: str) -> tuple[int, str]:
    """GET /authorize as a browser would, not following the redirect: (status, Location)."""
    fields = {
        "client_id": "tix",
        "redirect_uri": "http://127.0.0.1:9/",
        "response_type": "code",
        "scope": "mail offline",
        "state": "st-1",
        "code_challenge": pkce_challenge("v" * 43),
        "code_challenge_method": "S256",
        **params,
    }
    url = f"{server.authorize_url}?{urllib.parse.urlencode(fields)}"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Location", "")


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def redirect_query(location: str) -> dict[str, str]:
    assert location.startswith("http://127.0.0.1:9/?"), location
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def redeem(server: OAuthServer, code: str, **fields: str) -> tuple[int, dict[str, object]]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:9/",
        "client_id": "tix",
        "code_verifier": "v" * 43,
        **fields,
    }
    return oauth_post(server.token_url, **form)


def test_oauth_authorize_shows_a_page_until_the_person_decides(oauth_server: OAuthServer) -> None:
    assert authorize(oauth_server) == (200, "")
    oauth_server.approve_next_authorization("user@tix.test")
    status, location = authorize(oauth_server, login_hint="user@tix.test")
    assert status == 302
    query = redirect_query(location)
    assert query["state"] == "st-1" and query["code"].startswith("ac-")
    assert oauth_server.authorizations[-1]["login_hint"] == "user@tix.test"
    status, answer = redeem(oauth_server, query["code"])
    assert status == 200, answer
    assert oauth_server.is_valid(str(answer["access_token"])) == "user@tix.test"
    assert str(answer["refresh_token"]).startswith("rt-")
    # A code is good once.
    assert redeem(oauth_server, query["code"])[1]["error"] == "invalid_grant"


def test_oauth_authorize_denied_redirects_with_access_denied(oauth_server: OAuthServer) -> None:
    oauth_server.deny_next_authorization()
    status, location = authorize(oauth_server)
    assert status == 302
    query = redirect_query(location)
    assert (query["error"], query["state"]) == ("access_denied", "st-1")
    assert "code" not in query


@pytest.mark.parametrize(
    "wrong",
    [
        {"code_verifier": "w" * 43},
        {"code_verifier": ""},
        {"redirect_uri": "http://127.0.0.1:10/"},
        {"client_id": "other"},
    ],
    ids=["verifier", "no-verifier", "redirect_uri", "client"],
)
def test_oauth_code_needs_its_verifier_redirect_and_client(
    oauth_server: OAuthServer, wrong: dict[str, str]
) -> None:
    oauth_server.approve_next_authorization("user@tix.test")
    code = redirect_query(authorize(oauth_server)[1])["code"]
    status, answer = redeem(oauth_server, code, **wrong)
    assert (status, answer["error"]) == (400, "invalid_grant")


def test_oauth_authorize_refuses_requests_without_pkce_or_loopback(
    oauth_server: OAuthServer,
) -> None:
    oauth_server.approve_next_authorization("user@tix.test")
    status, location = authorize(oauth_server, code_challenge_method="plain")
    assert (status, redirect_query(location)["error"]) == (302, "invalid_request")
    # Nothing is redirected to an address that is not this machine's.
    assert authorize(oauth_server, redirect_uri="https://evil.example/") == (400, "")
    # The approval waits for a proper request.
    assert "code" in redirect_query(authorize(oauth_server)[1])


# --------------------------------------------------------------------------- lifecycle


def test_servers_stop_even_when_the_test_fails() -> None:
    roots: list[Path] = []
    ports: list[int] = []
    with (
        pytest.raises(RuntimeError, match="test failed"),
        PostgresServer() as postgres,
        DovecotServer() as imap,
        SmtpServer() as smtp,
        OAuthServer() as oauth,
    ):
        assert postgres.root and imap.root
        roots += [postgres.root, imap.root]
        ports += [postgres.port, imap.port, smtp.port, oauth.port]
        raise RuntimeError("test failed")
    assert not any(root.exists() for root in roots)
    assert all(port_is_closed(port) for port in ports)


# --------------------------------------------------------------------------- Chromium


def test_chromium_runs_headless(chromium_path: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright", "the playwright package is missing (pip; it uses Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_content("<title>tix</title><p id=x>ok</p>")
            assert page.text_content("#x") == "ok"
        finally:
            browser.close()
