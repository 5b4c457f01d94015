"""Sending against real SMTP servers on 127.0.0.1: aiosmtpd, plain and with TLS.

Besides `tests.servers.SmtpServer`, a few servers are built here: aiosmtpd with STARTTLS
or implicit TLS (a self-signed certificate from openssl), and plain sockets that greet
with an error, hang up or stay silent, as broken servers do.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers import HOST, SmtpServer, free_port, make_self_signed_cert, require
from tix.core.mail.compose import Outgoing, compose, recipients
from tix.core.mail.smtp import (
    PermanentFailure,
    SendResult,
    SmtpError,
    SmtpSettings,
    TemporaryFailure,
    check,
    send,
)

LOGIN, PASSWORD = "anna", "correct horse"


def plain(server: SmtpServer | _Server, **changes: Any) -> SmtpSettings:
    return SmtpSettings(host=HOST, port=server.port, tls="none", timeout=5, **changes)


def message(**changes: Any) -> tuple[Outgoing, bytes]:
    values: dict[str, Any] = {
        "sender": "ACME Support <support@acme.example>",
        "to": ["anna@customer.example"],
        "cc": ["boss@customer.example"],
        "bcc": ["hidden@acme.example"],
        "subject": "[Ticket#1042] Kühlwasserpumpe",
        "body": "Grüße aus *Köln*",
        "message_id": "tix.1042.1@acme.example",
        **changes,
    }
    outgoing = Outgoing(**values)
    return outgoing, compose(outgoing)


def one_line(error: SmtpError) -> str:
    assert error.message == str(error)
    assert "\n" not in error.message and "\r" not in error.message
    return error.message


# --- servers built here ---------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    data: bytes
    login: str | None


@dataclass
class _Handler:
    data_reply: str = "250 Message accepted"
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            login = session.auth_data if isinstance(session.auth_data, str) else None
            self.received.append(
                Received(
                    envelope.mail_from or "",
                    list(envelope.rcpt_tos),
                    list(envelope.mail_options),
                    envelope.original_content or b"",
                    login,
                )
            )
        return self.data_reply


def authenticator(login: str, password: str) -> Any:
    """An aiosmtpd authenticator that takes `login` with `password` (UTF-8)."""

    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            login.encode(),
            password.encode(),
        ):
            return AuthResult(success=True, auth_data=login)
        return AuthResult(success=False, handled=False)

    return authenticate


_authenticate = authenticator(LOGIN, PASSWORD)


@dataclass
class _Server:
    port: int
    handler: _Handler


@contextmanager
def aiosmtpd_server(handler: _Handler | None = None, **options: Any) -> Iterator[_Server]:
    """aiosmtpd with any of its options (tls_context, ssl_context, authenticator ...)."""
    handler = handler or _Handler()
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **options)
    controller.start()
    try:
        yield _Server(port, handler)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        require("openssl", "not installed (apt-get install openssl)")
    return make_self_signed_cert(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(scope="session")
def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def socket_server(greeting: bytes | None) -> Iterator[int]:
    """A TCP server that sends `greeting` and hangs up, or (None) accepts and says nothing."""
    listener = socket.create_server((HOST, 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            if greeting is None:
                held.append(connection)
                continue
            with connection:
                connection.sendall(greeting)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@contextmanager
def scripted_server() -> Iterator[tuple[int, list[bytes]]]:
    """A real SMTP dialogue that accepts one message and then hangs up without a QUIT
    reply: the message was accepted, so `send` must report success."""
    listener = socket.create_server((HOST, 0))
    listener.settimeout(5)
    seen: list[bytes] = []

    def serve() -> None:
        connection, _address = listener.accept()
        with connection, connection.makefile("rwb") as stream:

            def say(line: bytes) -> None:
                stream.write(line + b"\r\n")
                stream.flush()

            say(b"220 scripted ESMTP")
            while line := stream.readline():
                seen.append(line)
                verb = line[:4].upper()
                if verb == b"EHLO":
                    say(b"250-scripted\r\n250 8BITMIME")
                elif verb == b"DATA":
                    say(b"354 go ahead")
                    while stream.readline() not in (b".\r\n", b""):
                        pass
                    say(b"250 2.0.0 queued as 42")
                elif verb == b"QUIT":
                    return  # hang up without the 221
                else:
                    say(b"250 OK")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        thread.join(timeout=5)
        listener.close()


# --- sending --------------------------------------------------------------------------------


def test_a_plain_send_is_recorded_with_the_right_envelope(smtp_server: SmtpServer) -> None:
    outgoing, data = message()
    result = send(
        plain(smtp_server),
        envelope_from="support@acme.example",
        recipients=recipients(outgoing),
        message=data,
    )
    assert result == SendResult(refused={}, deferred={})
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "support@acme.example"
    assert received.rcpt_tos == [
        "anna@customer.example",
        "boss@customer.example",
        "hidden@acme.example",
    ]
    assert b"hidden@acme.example" not in received.data
    assert received.data == data
    assert received.message()["Message-ID"] == "<tix.1042.1@acme.example>"
    assert received.authenticated_as is None


def test_the_message_is_7bit_so_no_smtp_extension_is_needed() -> None:
    _outgoing, data = message(body="Grüße, 漢字 " * 200, subject="Ärger mit der Übergabe")
    assert data.isascii()
    with aiosmtpd_server(enable_SMTPUTF8=False) as server:
        send(
            plain(server),
            envelope_from="support@acme.example",
            recipients=["a@b.example"],
            message=data,
        )
        [received] = server.handler.received
    assert received.data == data
    assert [o for o in received.mail_options if not o.upper().startswith("SIZE=")] == []


def test_international_domains_go_out_as_punycode(smtp_server: SmtpServer) -> None:
    _outgoing, data = message(to=["kunde@straße.de"], cc=[], bcc=[])
    send(
        plain(smtp_server),
        envelope_from="support@acme.example",
        recipients=["kunde@straße.de"],
        message=data,
    )
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["kunde@xn--strae-oqa.de"]


def test_a_non_ascii_local_part_needs_smtputf8() -> None:
    _outgoing, data = message()
    with aiosmtpd_server(enable_SMTPUTF8=False) as server:
        with pytest.raises(PermanentFailure) as raised:
            send(
                plain(server),
                envelope_from="s@acme.example",
                recipients=["jörg@x.example"],
                message=data,
            )
        assert "SMTPUTF8" in one_line(raised.value)
        assert "jörg@x.example" in raised.value.message
    with aiosmtpd_server(enable_SMTPUTF8=True) as server:
        send(
            plain(server),
            envelope_from="s@acme.example",
            recipients=["jörg@x.example"],
            message=data,
        )
        [received] = server.handler.received
        assert received.rcpt_tos == ["jörg@x.example"]
        assert "SMTPUTF8" in received.mail_options


def test_a_message_over_the_servers_size_limit_is_refused_before_sending() -> None:
    _outgoing, data = message(body="x" * 5000)
    with aiosmtpd_server(data_size_limit=2000) as server:
        with pytest.raises(PermanentFailure, match=r"up to 0\.0 MB"):
            send(
                plain(server),
                envelope_from="s@acme.example",
                recipients=["a@b.example"],
                message=data,
            )
        assert server.handler.received == []


def test_an_invalid_address_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentFailure) as raised:
        send(
            plain(smtp_server),
            envelope_from="s@acme.example",
            recipients=["a b@x.example"],
            message=b"x",
        )
    assert one_line(raised.value).endswith("a b@x.example is not a valid mail address")


def test_no_recipients_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentFailure, match="no recipients"):
        send(plain(smtp_server), envelope_from="s@acme.example", recipients=["", " "], message=b"x")


def test_the_null_sender_is_allowed(smtp_server: SmtpServer) -> None:
    _outgoing, data = message()
    send(plain(smtp_server), envelope_from="", recipients=["a@b.example"], message=data)
    assert smtp_server.wait_for(1)[0].mail_from == "<>"


def test_an_accepted_message_counts_even_if_quit_gets_no_answer() -> None:
    _outgoing, data = message()
    with scripted_server() as (port, seen):
        settings = SmtpSettings(host=HOST, port=port, tls="none", timeout=5)
        result = send(
            settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=data
        )
    assert result == SendResult()
    assert [line.split()[0].upper() for line in seen][-2:] == [b"DATA", b"QUIT"]


# --- login ----------------------------------------------------------------------------------


def test_login_with_the_right_password() -> None:
    with SmtpServer(auth=(LOGIN, PASSWORD)) as server:
        _outgoing, data = message()
        settings = plain(server, user=LOGIN, password=PASSWORD)
        send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=data)
        [received] = server.wait_for(1)
        assert received.authenticated_as == LOGIN
        assert check(settings) == (
            f"{HOST}:{server.port}: no encryption, logged in as {LOGIN} with password (PLAIN)"
        )


def test_a_password_with_umlauts_is_sent_as_utf8() -> None:
    # smtplib of Python 3.11 encodes credentials as ASCII and would crash on this.
    with SmtpServer(auth=("jörg", "Größe ändern")) as server:
        _outgoing, data = message()
        settings = plain(server, user="jörg", password="Größe ändern")
        send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=data)
        assert server.wait_for(1)[0].authenticated_as == "jörg"


def test_a_password_with_umlauts_over_auth_login() -> None:
    options: dict[str, Any] = {"auth_require_tls": False, "auth_exclude_mechanism": ["PLAIN"]}
    with aiosmtpd_server(authenticator=authenticator("jörg", "Größe ändern"), **options) as server:
        settings = plain(server, user="jörg", password="Größe ändern")
        assert check(settings).endswith("logged in as jörg with password (LOGIN)")
        with pytest.raises(PermanentFailure, match="refused the login for jörg"):
            check(plain(server, user="jörg", password="Grösse ändern"))


def test_a_wrong_password_is_a_permanent_failure_in_one_line() -> None:
    with SmtpServer(auth=(LOGIN, PASSWORD)) as server:
        settings = plain(server, user=LOGIN, password="wrong", name="Support")
        with pytest.raises(PermanentFailure) as raised:
            send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=b"x")
        text = one_line(raised.value)
        assert text.startswith(f"Support: {HOST}:{server.port}: the server refused the login")
        assert f"for {LOGIN} (535" in text and text.endswith("check the password")
        assert raised.value.reply_code == 535
        with pytest.raises(PermanentFailure, match="refused the login"):
            check(settings)
        assert server.messages == []


def test_sending_without_login_where_the_server_wants_one() -> None:
    with SmtpServer(auth=(LOGIN, PASSWORD)) as server:
        with pytest.raises(PermanentFailure) as raised:
            send(
                plain(server),
                envelope_from="s@acme.example",
                recipients=["a@b.example"],
                message=b"x",
            )
        text = one_line(raised.value)
        assert "refused the mail from s@acme.example (530 5.7.0 Authentication required)" in text


def test_a_user_without_a_password(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentFailure, match=f"no password is set for {LOGIN}"):
        check(plain(smtp_server, user=LOGIN))


def test_a_login_where_the_server_offers_none(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentFailure, match="does not offer a login"):
        check(plain(smtp_server, user=LOGIN, password=PASSWORD))


# --- refusals -------------------------------------------------------------------------------


def test_every_recipient_refused_is_a_permanent_failure_listing_them() -> None:
    with SmtpServer(reject_rcpt={"gone@x.example", "left@x.example"}) as server:
        with pytest.raises(PermanentFailure) as raised:
            send(
                plain(server),
                envelope_from="s@acme.example",
                recipients=["gone@x.example", "left@x.example"],
                message=b"x",
            )
        text = one_line(raised.value)
        assert "refused every recipient" in text
        assert "gone@x.example (550 5.1.1 Mailbox unavailable)" in text
        assert "left@x.example (550 5.1.1 Mailbox unavailable)" in text
        assert server.messages == []


def test_some_recipients_refused_the_others_get_it() -> None:
    refuse, later = {"gone@x.example"}, {"later@x.example"}
    with SmtpServer(reject_rcpt=refuse, tempfail_rcpt=later) as server:
        _outgoing, data = message()
        result = send(
            plain(server),
            envelope_from="s@acme.example",
            recipients=["ok@x.example", "Gone@x.example", "later@x.example"],
            message=data,
        )
        assert result.refused == {"Gone@x.example": "550 5.1.1 Mailbox unavailable"}
        assert result.deferred == {"later@x.example": "451 4.3.0 Try again later"}
        assert server.wait_for(1)[0].rcpt_tos == ["ok@x.example"]


def test_recipients_refused_for_now_are_a_temporary_failure() -> None:
    refuse, later = {"gone@x.example"}, {"later@x.example"}
    with SmtpServer(reject_rcpt=refuse, tempfail_rcpt=later) as server:
        for addresses in (["later@x.example"], ["gone@x.example", "later@x.example"]):
            with pytest.raises(TemporaryFailure) as raised:
                send(
                    plain(server),
                    envelope_from="s@acme.example",
                    recipients=addresses,
                    message=b"x",
                )
            text = one_line(raised.value)
            assert "did not take the recipients for now" in text
            assert "later@x.example (451 4.3.0 Try again later)" in text
            assert raised.value.reply_code == 451
        assert server.messages == []


@pytest.mark.parametrize(
    ("reply", "failure", "text"),
    [
        ("554 5.7.1 Rejected as spam", PermanentFailure, "refused the message (554 5.7.1"),
        ("452 4.3.1 Insufficient storage", TemporaryFailure, "for now (452 4.3.1"),
    ],
)
def test_the_message_refused_after_data(reply: str, failure: type[SmtpError], text: str) -> None:
    with aiosmtpd_server(_Handler(data_reply=reply)) as server:
        with pytest.raises(failure) as raised:
            send(
                plain(server),
                envelope_from="s@acme.example",
                recipients=["a@b.example"],
                message=b"Subject: x\r\n\r\nx\r\n",
            )
        assert text in one_line(raised.value)


# --- unreachable and broken servers ----------------------------------------------------------


def test_nothing_listening_is_a_temporary_failure() -> None:
    port = free_port()
    settings = SmtpSettings(host=HOST, port=port, tls="none", timeout=5)
    with pytest.raises(TemporaryFailure) as raised:
        send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=b"x")
    assert one_line(raised.value) == f"cannot reach {HOST}:{port}: connection refused"
    with pytest.raises(TemporaryFailure, match="connection refused"):
        check(settings)


def test_an_unknown_host_is_a_temporary_failure() -> None:
    settings = SmtpSettings(host="smtp.tix-test.invalid", port=25, tls="starttls", timeout=5)
    with pytest.raises(TemporaryFailure) as raised:
        check(settings)
    assert one_line(raised.value).startswith(
        "cannot reach smtp.tix-test.invalid:25: the host name is unknown"
    )


def test_a_silent_server_times_out() -> None:
    with socket_server(None) as port:
        settings = SmtpSettings(host=HOST, port=port, tls="none", timeout=0.5)
        with pytest.raises(TemporaryFailure) as raised:
            check(settings)
    assert one_line(raised.value) == f"{HOST}:{port} did not answer within 0.5 seconds"


def test_a_server_that_hangs_up_is_a_temporary_failure() -> None:
    with socket_server(b"") as port, pytest.raises(TemporaryFailure) as raised:
        check(SmtpSettings(host=HOST, port=port, tls="none", timeout=5))
    assert "closed the connection unexpectedly" in one_line(raised.value)


@pytest.mark.parametrize(
    ("greeting", "failure"),
    [
        (b"554 5.7.1 No SMTP service for you\r\n", PermanentFailure),
        (b"421 4.3.2 Too busy, try later\r\n", TemporaryFailure),
    ],
)
def test_a_refusing_greeting_is_classified_by_its_code(
    greeting: bytes, failure: type[SmtpError]
) -> None:
    with socket_server(greeting) as port, pytest.raises(failure) as raised:
        check(SmtpSettings(host=HOST, port=port, tls="none", timeout=5))
    assert greeting.decode().strip() in one_line(raised.value)


def test_an_unknown_tls_setting(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentFailure, match="unknown TLS setting tls"):
        check(SmtpSettings(host=HOST, port=smtp_server.port, tls="tls"))


# --- TLS --------------------------------------------------------------------------------------


def test_starttls_required_but_not_offered_never_sends_the_password(
    smtp_server: SmtpServer,
) -> None:
    settings = SmtpSettings(
        host=HOST, port=smtp_server.port, tls="starttls", user=LOGIN, password=PASSWORD
    )
    with pytest.raises(PermanentFailure) as raised:
        send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=b"x")
    assert one_line(raised.value).startswith(f"{HOST}:{smtp_server.port} does not offer STARTTLS")
    assert smtp_server.messages == []


def test_starttls_with_the_servers_ca(
    certificate: tuple[Path, Path], server_context: ssl.SSLContext
) -> None:
    cert, _key = certificate
    with aiosmtpd_server(
        tls_context=server_context, require_starttls=True, authenticator=_authenticate
    ) as server:
        settings = SmtpSettings(
            host=HOST,
            port=server.port,
            tls="starttls",
            user=LOGIN,
            password=PASSWORD,
            cafile=str(cert),
            timeout=5,
        )
        assert check(settings).startswith(f"{HOST}:{server.port}: STARTTLS (TLSv1.")
        assert check(settings).endswith(f", logged in as {LOGIN} with password (PLAIN)")
        _outgoing, data = message()
        send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=data)
        [received] = server.handler.received
        assert received.login == LOGIN and received.data == data


def test_starttls_without_trusting_the_certificate_fails_permanently(
    server_context: ssl.SSLContext,
) -> None:
    with aiosmtpd_server(tls_context=server_context, require_starttls=True) as server:
        settings = SmtpSettings(host=HOST, port=server.port, tls="starttls", timeout=5)
        with pytest.raises(PermanentFailure) as raised:
            send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=b"x")
        text = one_line(raised.value)
        assert text.startswith(f"TLS with {HOST}:{server.port} failed: certificate verify failed")
        assert "self-signed" in text or "self signed" in text
        assert server.handler.received == []


def test_plaintext_where_the_server_offers_login_only_after_starttls(
    server_context: ssl.SSLContext,
) -> None:
    with aiosmtpd_server(tls_context=server_context, authenticator=_authenticate) as server:
        with pytest.raises(PermanentFailure) as raised:
            check(plain(server, user=LOGIN, password=PASSWORD))
        assert "set tls to starttls" in one_line(raised.value)


def test_a_missing_ca_file_is_a_permanent_failure(tmp_path: Path) -> None:
    settings = SmtpSettings(
        host=HOST, port=free_port(), tls="ssl", cafile=str(tmp_path / "missing.pem")
    )
    with pytest.raises(PermanentFailure, match="cannot read the CA file"):
        check(settings)


def test_implicit_tls(certificate: tuple[Path, Path], server_context: ssl.SSLContext) -> None:
    cert, _key = certificate
    with aiosmtpd_server(
        ssl_context=server_context, authenticator=_authenticate, auth_require_tls=False
    ) as server:
        settings = SmtpSettings(
            host=HOST,
            port=server.port,
            tls="ssl",
            user=LOGIN,
            password=PASSWORD,
            cafile=str(cert),
            timeout=5,
        )
        text = check(settings)
        assert text.startswith(f"{HOST}:{server.port}: implicit TLS (TLSv1.")
        _outgoing, data = message()
        send(settings, envelope_from="s@acme.example", recipients=["a@b.example"], message=data)
        assert server.handler.received[0].data == data

        untrusted = SmtpSettings(host=HOST, port=server.port, tls="ssl", timeout=5)
        with pytest.raises(PermanentFailure, match="certificate verify failed"):
            check(untrusted)


def test_implicit_tls_against_a_plaintext_port(smtp_server: SmtpServer) -> None:
    settings = SmtpSettings(host=HOST, port=smtp_server.port, tls="ssl", timeout=5)
    with pytest.raises(PermanentFailure) as raised:
        check(settings)
    text = one_line(raised.value)
    assert text.startswith(f"TLS with {HOST}:{smtp_server.port} failed")
    assert "try starttls or none" in text
