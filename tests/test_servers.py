"""The real servers the suite relies on: each is started and used for real here.

PostgreSQL and Dovecot are the session fixtures the rest of the suite shares; the
lifecycle tests start their own to check that a failing test still stops everything.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path

import psycopg
import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers import (
    CHROMIUM_ARGS,
    DovecotServer,
    PostgresServer,
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
            client.send_message(mail)
        [received] = server.wait_for(1)
    assert received.authenticated_as == "mailer"


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


# --------------------------------------------------------------------------- lifecycle


def test_servers_stop_even_when_the_test_fails() -> None:
    roots: list[Path] = []
    ports: list[int] = []
    with (
        pytest.raises(RuntimeError, match="test failed"),
        PostgresServer() as postgres,
        DovecotServer() as imap,
        SmtpServer() as smtp,
    ):
        assert postgres.root and imap.root
        roots += [postgres.root, imap.root]
        ports += [postgres.port, imap.port, smtp.port]
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
