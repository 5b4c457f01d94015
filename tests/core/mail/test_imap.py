"""IMAP in, against a real Dovecot: what the sync relies on to lose no mail and take none twice.

Every test logs in as a user of its own (the server is shared by the whole run) and
checks what it did through a second, independent IMAP connection.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from imapclient import IMAPClient

from tests.servers import DovecotServer, free_port
from tix.core.mail import imap
from tix.core.mail.imap import KEYWORD, Fetched, ImapError, ImapSettings, Mailbox, check

SEEN = b"\\Seen"


@pytest.fixture
def address(dovecot: DovecotServer) -> str:
    address = f"{uuid.uuid4().hex}@tix.test"
    dovecot.add_user(address, "secret")
    return address


@pytest.fixture
def settings(dovecot: DovecotServer, address: str) -> ImapSettings:
    return ImapSettings(
        host=dovecot.host,
        port=dovecot.port,
        tls="none",
        user=address,
        password="secret",
        timeout=10.0,
        name="support",
    )


def prefix(settings: ImapSettings) -> str:
    return f"mail account support: {settings.host}:{settings.port}: "


def message(number: int, *, body: str = "", to: str = "support@tix.test") -> bytes:
    text = body or f"Hello,\r\n\r\nthe printer on floor {number} is broken.\r\n\r\nAnna\r\n"
    return (
        "From: Anna Customer <anna@customer.example>\r\n"
        f"To: {to}\r\n"
        f"Subject: Printer {number}\r\n"
        f"Message-ID: <{number}.{uuid.uuid4().hex}@customer.example>\r\n"
        "Date: Mon, 06 May 2024 09:15:00 +0200\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{text}"
    ).encode()


def deliver(dovecot: DovecotServer, address: str, count: int) -> list[bytes]:
    sent = [message(n) for n in range(1, count + 1)]
    for raw in sent:
        dovecot.deliver(address, raw)
    return sent


@contextmanager
def second_connection(dovecot: DovecotServer, address: str, folder: str = "INBOX") -> Iterator[Any]:
    """An independent IMAP session, to check what the Mailbox did."""
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    try:
        client.login(address, "secret")
        client.select_folder(folder)
        yield client
    finally:
        client.logout()


def flags_of(dovecot: DovecotServer, address: str) -> dict[int, set[bytes]]:
    with second_connection(dovecot, address) as client:
        found = client.get_flags(client.search("ALL"))
    return {uid: set(flags) for uid, flags in found.items()}


def error_of(settings: ImapSettings) -> ImapError:
    with pytest.raises(ImapError) as caught:
        Mailbox(settings).open()
    return caught.value


# --------------------------------------------------------------------------- connecting


def test_open_selects_the_folder_and_reports_its_uidvalidity(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 2)
    with second_connection(dovecot, address) as client:
        expected = client.select_folder("INBOX")[b"UIDVALIDITY"]
    with Mailbox(settings) as box:
        assert box.uidvalidity == expected > 0
        assert box.message_count == 2
    with Mailbox(settings) as box:  # it does not change between sessions
        assert box.uidvalidity == expected


def test_check_describes_the_connection(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 1)
    with Mailbox(settings) as box:
        uidvalidity = box.uidvalidity
    server = f"{dovecot.host}:{dovecot.port}"
    assert check(settings) == (
        f"{server}: no TLS, logged in as {address} with password (LOGIN), INBOX: 1 message "
        f"(uidvalidity {uidvalidity})"
    )
    dovecot.deliver(address, message(2))
    assert check(settings) == (
        f"{server}: no TLS, logged in as {address} with password (LOGIN), INBOX: 2 messages "
        f"(uidvalidity {uidvalidity})"
    )
    archive = check(replace(settings, folder="Archive"))
    assert archive.startswith(
        f"{server}: no TLS, logged in as {address} with password (LOGIN), Archive: 0 messages ("
    )


def test_tls_with_the_servers_ca_certificate(
    dovecot: DovecotServer, settings: ImapSettings
) -> None:
    secure = replace(settings, port=dovecot.tls_port, tls="ssl", cafile=str(dovecot.cert_path))
    assert check(secure).startswith(f"{dovecot.host}:{dovecot.tls_port}: SSL, logged in as ")
    by_name = replace(secure, host="localhost")
    assert check(by_name).startswith(f"localhost:{dovecot.tls_port}: SSL, ")


def test_tls_without_trusting_the_certificate_is_refused(
    dovecot: DovecotServer, settings: ImapSettings
) -> None:
    error = error_of(replace(settings, port=dovecot.tls_port, tls="ssl"))
    assert error.message == (
        f"mail account support: {dovecot.host}:{dovecot.tls_port}: TLS certificate not accepted "
        "(self-signed certificate): check the host name, or trust the server's CA certificate"
    )
    assert not error.temporary


def test_starttls_on_the_plain_port(dovecot: DovecotServer, settings: ImapSettings) -> None:
    starttls = replace(settings, tls="starttls", cafile=str(dovecot.cert_path))
    assert check(starttls).startswith(f"{dovecot.host}:{dovecot.port}: STARTTLS, logged in as ")
    error = error_of(replace(settings, tls="starttls"))
    assert "TLS certificate not accepted (self-signed certificate)" in error.message


def test_starttls_required_but_not_offered(dovecot: DovecotServer) -> None:
    """A Dovecot without TLS (``ssl = no``) does not offer STARTTLS: no plain-text login then."""
    address = f"{uuid.uuid4().hex}@tix.test"
    with DovecotServer(tls=False) as plain:
        plain.add_user(address, "secret")
        settings = ImapSettings(
            host=plain.host, port=plain.port, tls="starttls", user=address, password="secret",
            name="support",
        )  # fmt: skip
        error = error_of(settings)
        assert check(replace(settings, tls="none")).startswith(f"{plain.host}:{plain.port}: ")
    assert error.message == prefix(settings) + (
        "the server does not offer STARTTLS: use --tls ssl (usually port 993), or --tls none "
        "on a trusted network"
    )
    assert not error.temporary


def test_tls_on_a_plain_port_fails_the_handshake(settings: ImapSettings) -> None:
    error = error_of(replace(settings, tls="ssl"))
    assert error.message.startswith(prefix(settings) + "TLS handshake failed (")
    assert error.message.endswith("): if the port expects STARTTLS, use --tls starttls")
    assert not error.temporary


def test_plain_text_on_the_tls_port_times_out(
    dovecot: DovecotServer, settings: ImapSettings
) -> None:
    started = time.monotonic()
    error = error_of(replace(settings, port=dovecot.tls_port, timeout=0.5))
    assert time.monotonic() - started < 5
    assert error.message == (
        f"mail account support: {dovecot.host}:{dovecot.tls_port}: no answer within 0.5 s"
    )
    assert error.temporary


def test_wrong_password(address: str, settings: ImapSettings) -> None:
    error = error_of(replace(settings, password="wrong"))
    assert error.message == prefix(settings) + f"login refused for {address}: check the password"
    assert not error.temporary
    assert str(error) == error.message


def test_no_password(address: str, settings: ImapSettings) -> None:
    error = error_of(replace(settings, password=None))
    assert error.message == (
        prefix(settings) + f"no password for {address}: set --password-env or --password-cmd"
    )


def test_nothing_listening_is_a_temporary_error(settings: ImapSettings) -> None:
    unreachable = replace(settings, port=free_port())
    error = error_of(unreachable)
    assert error.message == (
        prefix(unreachable)
        + "connection refused: check the host and port, and that the server runs"
    )
    assert error.temporary


def test_unknown_host_is_a_temporary_error(settings: ImapSettings) -> None:
    error = error_of(replace(settings, host="no-such-host.invalid", port=993))
    assert error.message.startswith(
        "mail account support: no-such-host.invalid:993: host not found"
    )
    assert error.temporary


def test_an_invalid_host_name_or_tls_mode(settings: ImapSettings) -> None:
    error = error_of(replace(settings, host="bad..host"))
    assert error.message.startswith(f"mail account support: bad..host:{settings.port}: invalid ")
    assert not error.temporary
    error = error_of(replace(settings, tls="tls"))
    assert error.message == prefix(settings) + "unknown TLS mode 'tls': use ssl, starttls or none"


def test_missing_folder(settings: ImapSettings) -> None:
    error = error_of(replace(settings, folder="Tickets"))
    assert error.message == (
        prefix(settings) + "folder 'Tickets' does not exist: create it or fix --imap-folder"
    )
    assert not error.temporary


def test_without_an_account_name_the_server_leads(settings: ImapSettings) -> None:
    error = error_of(replace(settings, name="", folder="Tickets"))
    assert error.message.startswith(f"{settings.host}:{settings.port}: folder 'Tickets' ")


def test_a_dropped_connection_is_temporary_and_open_reconnects(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    doveadm = shutil.which("doveadm")
    assert doveadm, "doveadm comes with dovecot-core"
    deliver(dovecot, address, 1)
    with Mailbox(settings) as box:
        command = [doveadm, "-c", str(dovecot.config_path)]
        subprocess.run([*command, "kick", address], check=True, capture_output=True)
        # kick signals the user's IMAP process; wait until the server has let it go
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            who = subprocess.run([*command, "who", address], capture_output=True, text=True)
            if address not in who.stdout:
                break
            time.sleep(0.02)
        with pytest.raises(ImapError) as caught:
            box.uids_after(0)
        assert caught.value.temporary
        assert caught.value.message == prefix(settings) + "connection lost: the server closed it"
        with pytest.raises(ImapError) as again:  # the broken connection is not used again
            box.mark_imported([1])
        assert again.value.temporary
        assert again.value.message == caught.value.message
        box.open()
        assert box.uids_after(0) == [1]
    assert flags_of(dovecot, address)[1] == set()


def _hang_up_errors() -> list[Exception]:
    """The errors a real socket gives when the peer has closed it."""
    import imaplib
    import socket

    errors: list[Exception] = [imaplib.IMAP4.abort("socket error: EOF")]
    ours, theirs = socket.socketpair()
    theirs.close()
    try:
        for _ in range(3):  # the first send may still be buffered
            ours.send(b"a NOOP\r\n")
    except OSError as error:
        errors.append(error)
    finally:
        ours.close()
    errors.append(ConnectionResetError(104, "Connection reset by peer"))
    return errors


@pytest.mark.parametrize("error", _hang_up_errors(), ids=lambda error: type(error).__name__)
def test_every_form_of_a_hang_up_reads_the_same(settings: ImapSettings, error: Exception) -> None:
    # Whether the client reads (EOF) or writes (broken pipe, reset) first after
    # the server hung up is a race; the agent sees one message either way.
    translated = Mailbox(settings)._translate(error, connecting=False)
    assert translated is not None
    assert translated.temporary
    assert translated.message == prefix(settings) + "connection lost: the server closed it"


# --------------------------------------------------------------------------- reading


def test_uids_after_and_the_star_quirk(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 3)
    with Mailbox(settings) as box:
        assert box.uids_after(0) == [1, 2, 3]
        assert box.uids_after(1) == [2, 3]
        # "4:*" matches UID 3, the highest, although it is below 4 (RFC 3501).
        assert box.uids_after(3) == []
        assert box.uids_after(100) == []
        dovecot.deliver(address, message(4))
        assert box.uids_after(3) == [4]


def test_uids_after_since_a_day(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    with second_connection(dovecot, address) as client:
        client.append("INBOX", message(1), msg_time=datetime(2020, 3, 1, 12, tzinfo=UTC))
        client.append("INBOX", message(2), msg_time=datetime(2023, 6, 1, 12, tzinfo=UTC))
    dovecot.deliver(address, message(3))
    with Mailbox(settings) as box:
        assert box.uids_after(0, since=date(2023, 1, 1)) == [2, 3]
        assert box.uids_after(0, since=date.today()) == [3]
        assert box.uids_after(2, since=date(2019, 1, 1)) == [3]
        assert box.uids_after(3, since=date(2019, 1, 1)) == []


def test_fetch_returns_the_exact_bytes_without_marking_them_seen(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    sent = deliver(dovecot, address, 2)
    sent.append(message(3, body="Zeile mit Umlaut: \u00e4\u00f6\u00fc\r\n.starts with a dot\r\n"))
    dovecot.deliver(address, sent[-1])
    before = datetime.now(UTC) - timedelta(minutes=5)
    with Mailbox(settings) as box:
        fetched = list(box.fetch([1, 2, 3], max_size=1_000_000))
    assert [f.uid for f in fetched] == [1, 2, 3]
    for got, raw in zip(fetched, sent, strict=True):
        assert got.raw is not None
        # The delivery agent may add trace headers at the top; the rest is untouched.
        assert got.raw.endswith(raw)
        assert got.size == len(got.raw)
        assert got.internal_date is not None
        assert got.internal_date.tzinfo is not None
        assert got.internal_date > before
    assert all(SEEN not in flags for flags in flags_of(dovecot, address).values())


def test_fetch_leaves_messages_over_the_limit_without_raw(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    small = message(1)
    big = message(2, body="x" * 70 + "\r\n" * 1 + ("y" * 76 + "\r\n") * 400)
    for raw in (small, big, small):
        dovecot.deliver(address, raw)
    with Mailbox(settings) as box:
        fetched = list(box.fetch([1, 2, 3], max_size=10_000))
    assert [(f.uid, f.raw is None) for f in fetched] == [(1, False), (2, True), (3, False)]
    assert fetched[1].size >= len(big) > 10_000
    assert fetched[1].internal_date is not None
    assert SEEN not in flags_of(dovecot, address)[2]


def test_fetch_works_in_chunks_and_skips_vanished_uids(
    dovecot: DovecotServer, address: str, settings: ImapSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = deliver(dovecot, address, 12)
    monkeypatch.setattr(imap, "FETCH_META_BATCH", 5)
    monkeypatch.setattr(imap, "FETCH_BODY_BATCH", 3)
    monkeypatch.setattr(imap, "FETCH_BODY_BYTES", 2 * len(sent[0]))
    with Mailbox(settings) as box:
        fetched = box.fetch([*range(1, 13), 99], max_size=1_000_000)
        assert not isinstance(fetched, list)  # a generator: nothing is fetched up front
        got: list[Fetched] = list(fetched)
    assert [f.uid for f in got] == list(range(1, 13))
    assert [f.raw for f in got] == sent


def test_fetch_many_messages(dovecot: DovecotServer, address: str, settings: ImapSettings) -> None:
    with second_connection(dovecot, address) as client:
        client.multiappend("INBOX", [message(n) for n in range(1, 251)])
    with Mailbox(settings) as box:
        uids = box.uids_after(0)
        assert len(uids) == 250
        fetched = list(box.fetch(uids, max_size=1_000_000))
    assert [f.uid for f in fetched] == uids
    assert all(f.raw is not None and b"Subject: Printer" in f.raw for f in fetched)


def test_folder_exists(settings: ImapSettings) -> None:
    with Mailbox(settings) as box:
        assert box.folder_exists("INBOX")
        assert box.folder_exists("inbox")
        assert box.folder_exists("Archive")
        assert box.folder_exists("Sent")
        assert not box.folder_exists("Tickets")
        assert not box.folder_exists("Arch*")  # a LIST pattern, not a name


# --------------------------------------------------------------------------- changing


def test_mark_imported_sets_seen_and_the_keyword(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 3)
    with Mailbox(settings) as box:
        box.mark_imported([1, 3])
        box.mark_imported([])
    flags = flags_of(dovecot, address)
    assert flags[1] >= {SEEN, KEYWORD.encode()}
    assert flags[3] >= {SEEN, KEYWORD.encode()}
    assert flags[2] & {SEEN, KEYWORD.encode()} == set()


def test_uid_sets_are_ranges_split_to_a_command_line(
    dovecot: DovecotServer, address: str, settings: ImapSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert list(imap._uid_sets([9, 1, 2, 3, 5, 10, 2])) == ["1:3,5,9:10"]
    assert list(imap._uid_sets([])) == []
    monkeypatch.setattr(imap, "UID_SET_LENGTH", 6)
    assert list(imap._uid_sets([1, 2, 3, 5, 7, 9, 10])) == ["1:3,5", "7", "9:10"]
    deliver(dovecot, address, 6)
    with Mailbox(settings) as box:
        box.mark_imported([1, 2, 3, 5, 6])
        box.move([1, 3, 5], "Archive")
        assert box.uids_after(0) == [2, 4, 6]
        assert box.unflagged_uids(6) == [4]


def test_unflagged_uids_finds_what_a_crash_left_unflagged(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 4)
    with second_connection(dovecot, address) as client:
        client.add_flags([3], [SEEN])  # read by a person: still not imported
    with Mailbox(settings) as box:
        box.mark_imported([1])
        assert box.unflagged_uids(4) == [2, 3, 4]
        assert box.unflagged_uids(3) == [2, 3]
        assert box.unflagged_uids(1) == []
        assert box.unflagged_uids(0) == []


def test_a_server_without_custom_keywords_gets_seen_only(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 3)
    with Mailbox(settings) as box:
        box._keywords_allowed = False  # as after a SELECT whose PERMANENTFLAGS lack \*
        box.mark_imported([2])
        assert box.unflagged_uids(3) == [1, 3]
    assert flags_of(dovecot, address)[2] == {SEEN}


def test_move_to_archive(dovecot: DovecotServer, address: str, settings: ImapSettings) -> None:
    sent = deliver(dovecot, address, 3)
    with Mailbox(settings) as box:
        box.mark_imported([1, 2])
        box.move([1, 2], "Archive")
        assert box.uids_after(0) == [3]
    with second_connection(dovecot, address) as client:
        assert client.search("ALL") == [3]
    with second_connection(dovecot, address, "Archive") as client:
        archived = client.fetch(client.search("ALL"), ["BODY.PEEK[]", "FLAGS"])
    assert sorted(data[b"BODY[]"] for data in archived.values()) == sorted(sent[:2])
    assert all(KEYWORD.encode() in data[b"FLAGS"] for data in archived.values())


@pytest.mark.parametrize("capabilities", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_move_without_the_move_extension(
    dovecot: DovecotServer, address: str, settings: ImapSettings, capabilities: set[str]
) -> None:
    deliver(dovecot, address, 3)
    with Mailbox(settings) as box:
        box._capabilities -= capabilities  # a server that lacks them: COPY, \Deleted, EXPUNGE
        box.move([2, 3], "Archive")
        assert box.uids_after(0) == [1]
    with second_connection(dovecot, address, "Archive") as client:
        assert len(client.search("ALL")) == 2


def test_move_to_a_missing_folder(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 1)
    with Mailbox(settings) as box:
        with pytest.raises(ImapError) as caught:
            box.move([1], "Done")
        assert caught.value.message == (
            prefix(settings)
            + "folder 'Done' does not exist: create it or fix the account's folder settings"
        )
        assert box.uids_after(0) == [1]  # the session goes on


def test_append_to_sent(dovecot: DovecotServer, address: str, settings: ImapSettings) -> None:
    first, second = message(1), message(2)
    with Mailbox(settings) as box:
        box.append("Sent", first)
        box.append("Sent", second, seen=False)
        with pytest.raises(ImapError, match="folder 'Gesendet' does not exist"):
            box.append("Gesendet", first)
    with second_connection(dovecot, address, "Sent") as client:
        stored = client.fetch(client.search("ALL"), ["BODY.PEEK[]", "FLAGS"])
    assert [data[b"BODY[]"] for data in stored.values()] == [first, second]
    assert [SEEN in data[b"FLAGS"] for data in stored.values()] == [True, False]


# --------------------------------------------------------------------------- waiting


def _deliver_later(dovecot: DovecotServer, address: str, delay: float) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        dovecot.deliver(address, message(99))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_wait_for_mail_wakes_on_new_mail(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    with Mailbox(settings) as box:
        assert box.uids_after(0) == []
        thread = _deliver_later(dovecot, address, 0.3)
        started = time.monotonic()
        try:
            assert box.wait_for_mail(20) is True
        finally:
            thread.join()
        assert time.monotonic() - started < 5
        assert box.uids_after(0) == [1]  # the connection is usable after IDLE


def test_wait_for_mail_renews_idle(
    dovecot: DovecotServer, address: str, settings: ImapSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap, "IDLE_LIMIT", 0.3)  # RFC 2177's 29 minutes, shortened
    with Mailbox(settings) as box:
        thread = _deliver_later(dovecot, address, 0.8)
        try:
            assert box.wait_for_mail(20) is True  # in the third or fourth IDLE
        finally:
            thread.join()
        assert box.uids_after(0) == [1]


def test_wait_for_mail_times_out(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    deliver(dovecot, address, 1)
    with Mailbox(settings) as box:
        assert box.uids_after(0) == [1]
        started = time.monotonic()
        assert box.wait_for_mail(1) is False
        assert 0.9 < time.monotonic() - started < 3
        assert box.uids_after(0) == [1]


def test_wait_for_mail_sees_mail_that_came_before_it_started(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    with Mailbox(settings) as box:
        assert box.uids_after(0) == []
        dovecot.deliver(address, message(1))
        started = time.monotonic()
        assert box.wait_for_mail(10) is True
        assert time.monotonic() - started < 1
        assert box.uids_after(0) == [1]
        assert box.wait_for_mail(0.2) is False  # reported once


def test_wait_for_mail_polls_without_idle(
    dovecot: DovecotServer, address: str, settings: ImapSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imap, "POLL_INTERVAL", 0.2)
    with Mailbox(settings) as box:
        box._capabilities -= {"IDLE"}  # a server without IDLE: NOOP every POLL_INTERVAL
        assert box.wait_for_mail(0.5) is False
        thread = _deliver_later(dovecot, address, 0.3)
        try:
            assert box.wait_for_mail(10) is True
        finally:
            thread.join()


def test_wait_for_mail_on_a_dropped_connection(
    dovecot: DovecotServer, address: str, settings: ImapSettings
) -> None:
    doveadm = shutil.which("doveadm")
    assert doveadm
    with Mailbox(settings) as box:

        def kick() -> None:
            time.sleep(0.3)
            subprocess.run(
                [doveadm, "-c", str(dovecot.config_path), "kick", address],
                check=True,
                capture_output=True,
            )

        thread = threading.Thread(target=kick)
        thread.start()
        started = time.monotonic()
        try:
            with pytest.raises(ImapError) as caught:
                box.wait_for_mail(20)
        finally:
            thread.join()
        assert caught.value.temporary
        assert caught.value.message.startswith(prefix(settings) + "connection lost: ")
        assert time.monotonic() - started < 5
