"""Pytest fixtures for the real servers (load with `pytest_plugins = ["tests.server_fixtures"]`).

A missing server goes through `require()`: a skip locally, a failure under CI=true.
A server that is installed but fails to start is an error, never a skip.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from tests.oauth_server import OAuthServer
from tests.servers import (
    DOVECOT_LDA,
    DovecotServer,
    PostgresServer,
    SmtpServer,
    find_chromium,
    find_dovecot,
    find_postgres_bin,
    require,
)

INSTALL_HINT = "run scripts/install-deps as root, or apt-get install"


def pytest_configure(config: pytest.Config) -> None:
    """Let SIGTERM (a CI timeout, `kill`) unwind like Ctrl-C, so the fixtures stop servers."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the whole run; `.url` is the `tix_test` database."""
    if find_postgres_bin() is None:
        require("PostgreSQL", f"not installed ({INSTALL_HINT} postgresql)")
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """A Dovecot IMAP server for the whole run, plaintext on `.port`, TLS on `.tls_port`.

    It starts with no users: each test adds its own with `add_user()` (unique addresses,
    as the server is shared).
    """
    if find_dovecot() is None or not Path(DOVECOT_LDA).exists():
        require("Dovecot", f"not installed ({INSTALL_HINT} dovecot-imapd)")
    if shutil.which("openssl") is None:
        require("openssl", f"not installed ({INSTALL_HINT} openssl)")
    server = DovecotServer(tls=True)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dovecot_oauth(oauth_server: OAuthServer) -> Iterator[DovecotServer]:
    """A Dovecot IMAP server for the whole run that also takes `oauth_server`'s tokens.

    Log in with imapclient's `oauth2_login(user, token)` (XOAUTH2) or
    `oauthbearer_login(user, token)`; the token must be live and issued to that user.
    `add_user(address)` without a password gives a token-only user a mailbox, so that
    `deliver()` works; password users work as on `dovecot`. TLS on `.tls_port`.
    """
    if find_dovecot() is None or not Path(DOVECOT_LDA).exists():
        require("Dovecot", f"not installed ({INSTALL_HINT} dovecot-imapd)")
    if shutil.which("openssl") is None:
        require("openssl", f"not installed ({INSTALL_HINT} openssl)")
    server = DovecotServer(tls=True, oauth2=oauth_server)
    try:
        server.start()
        yield server
    finally:
        server.stop()


_session_oauth_server: OAuthServer | None = None


@pytest.fixture(scope="session")
def oauth_server() -> Iterator[OAuthServer]:
    """The OAuth2 authorization server for the whole run (`.url`, `.token_url`, ...).

    Before every test its device flows, counters and recorded requests are forgotten and
    its settings (`device_interval`, `access_lifetime`, ...) restored, so a test may
    change them and count requests; tokens issued earlier stay valid.
    """
    global _session_oauth_server
    server = OAuthServer()
    try:
        server.start()
        _session_oauth_server = server
        yield server
    finally:
        _session_oauth_server = None
        server.stop()


@pytest.fixture(autouse=True)
def _fresh_oauth_server() -> None:
    """Each test starts with the shared OAuth server as new (if the run has started it)."""
    if _session_oauth_server is not None:
        _session_oauth_server.reset()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh SMTP server for one test, accepting everything without AUTH.

    For AUTH, refusals or delivery into Dovecot, build `SmtpServer(...)` in the test:
    it starts in a few milliseconds.
    """
    server = SmtpServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The chromium binary for Playwright's `executable_path` (args: servers.CHROMIUM_ARGS)."""
    path = find_chromium()
    if path is None:
        require("Chromium", f"not installed ({INSTALL_HINT} chromium)")
    return path
