"""Real servers for the test suite, started on 127.0.0.1 and stopped afterwards.

PostgreSQL, Dovecot (IMAP) and aiosmtpd (SMTP) run for real; nothing here is a mock.
These are plain helpers: the pytest fixtures live in tests/server_fixtures.py, and
`require()` is the one place that decides whether a missing server skips or fails.

Every server keeps its files in a fresh directory under /tmp (short paths: Unix
socket paths are limited to about 100 bytes). When TIX_TEST_RUN_DIR is set (by
scripts/test), each such directory is also written to $TIX_TEST_RUN_DIR/roots, so the
script can end any server process a crashed test run left behind.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import binascii
import contextlib
import email
import email.policy
import functools
import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, Self

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

    from tests.oauth_server import OAuthServer

HOST = "127.0.0.1"
RUN_DIR_ENV = "TIX_TEST_RUN_DIR"
DOVECOT_LDA = "/usr/lib/dovecot/dovecot-lda"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ServerError(RuntimeError):
    """A test server could not be started, used or stopped; the message says why."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(name: str, reason: str) -> NoReturn:
    """Give up on a test that needs `name`: a skip locally, a failure under CI=true.

    CI must never go green by skipping the tests that need a real server.
    """
    import pytest  # only the test run needs it; scripts may import this module too

    if is_ci():
        pytest.fail(f"{name} is required when CI=true, but: {reason}", pytrace=False)
    pytest.skip(f"{name}: {reason}")


def is_root() -> bool:
    return os.geteuid() == 0


def find_chromium() -> str | None:
    """The Debian chromium binary Playwright drives through `executable_path`."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def find_postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin (Debian), else the directory of pg_ctl on PATH."""
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists()]
    if candidates:
        return max(candidates, key=lambda p: _version_key(p.parent.name))
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def find_dovecot() -> str | None:
    """The dovecot binary, if dovecot is installed."""
    return shutil.which("dovecot") or _existing("/usr/sbin/dovecot")


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """Write cert.pem and key.pem (localhost, 127.0.0.1; valid two days) into `directory`."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    _run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ]
    )  # fmt: skip
    return cert, key


# --------------------------------------------------------------------------- PostgreSQL


class PostgresServer:
    """A throwaway PostgreSQL cluster: trust auth, user `tix`, database `tix_test`.

    Durability is switched off (fsync, synchronous_commit, full_page_writes): the data
    lives only as long as the test run.
    """

    user = "tix"
    database = "tix_test"

    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_postgres_bin()
        if found is None:
            raise ServerError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin)")
        self.bin_dir = found
        self.port = 0
        self.root: Path | None = None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `tix_test` database."""
        return self.database_url(self.database)

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://{self.user}@{HOST}:{self.port}/{name}"

    def start(self) -> Self:
        if self.root is not None:
            raise ServerError("PostgreSQL is already running")
        self.port = free_port()
        self.root = _make_root("pg")
        _chown_to(self.root, "postgres")
        data = self.root / "data"
        options = " ".join(
            [
                f"-c listen_addresses={HOST}",
                f"-p {self.port}",
                f"-k {self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
            ]
        )
        _LIVE.add(self)
        try:
            self._as_postgres(
                "initdb", "-D", str(data), "-U", self.user, "-A", "trust",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
            self._as_postgres(
                "pg_ctl", "-D", str(data), "-l", str(self.root / "server.log"),
                "-w", "-t", "30", "-o", options, "start",
            )  # fmt: skip
            self.create_database(self.database)
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to see
                self.stop()
            raise
        return self

    def create_database(self, name: str) -> str:
        """Create an empty database `name` and return its URL."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"database name {name!r}: use lower-case letters, digits and _")
        createdb = str(self.bin_dir / "createdb")
        _run([createdb, "-h", HOST, "-p", str(self.port), "-U", self.user, name])
        return self.database_url(name)

    def stop(self) -> None:
        """Fast shutdown (ends open sessions) and remove the cluster. Safe to call twice."""
        _LIVE.discard(self)
        root, self.root = self.root, None
        if root is None:
            return
        pid_file = root / "data" / "postmaster.pid"
        try:
            if pid_file.exists():
                self._as_postgres("pg_ctl", "-D", str(root / "data"), "-m", "fast", "-w", "stop")
        except ServerError:
            # E.g. an initdb cut short leaves its single-user backend: end it the hard way.
            pid = _read_pid(pid_file)
            if pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)
                _wait_gone(pid, timeout=10.0)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def log(self) -> str:
        return _tail(self.root / "server.log") if self.root else ""

    def _as_postgres(self, program: str, *args: str) -> None:
        # postgres refuses to run as root; as anyone else it runs as that user.
        command = [str(self.bin_dir / program), *args]
        if is_root():
            command = ["runuser", "-u", "postgres", "--", *command]
        try:
            _run(command, cwd=Path("/"))  # postgres may not enter the caller's cwd
        except ServerError as error:
            raise ServerError(f"{error}\n--- server.log ---\n{self.log()}") from None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- Dovecot

_DOVECOT_CONF = """\
instance_name = tix-test-{port}
base_dir = {root}/run
state_dir = {root}/state
protocols = imap
listen = {host}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
log_path = {root}/dovecot.log
mail_location = maildir:{root}/mail/%u
mail_uid = {mail_user}
mail_gid = {mail_group}
mail_fsync = never
{unprivileged}
{ssl}
{oauth2_passdb}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = home={root}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Archive {{
    auto = create
    special_use = \\Archive
  }}
  mailbox Sent {{
    auto = create
    special_use = \\Sent
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol lda {{
  log_path = {root}/lda.log
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
  }}
}}
"""

_DOVECOT_OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = {mechanisms}
  args = {root}/oauth2.conf.ext
}}"""

# What Dovecot's oauth2 passdb asks the OAuthServer (RFC 7662 introspection); the user
# name it answers must be the one the client logs in as.
_DOVECOT_OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {introspect_url}
username_attribute = username
active_attribute = active
active_value = true
force_introspection = yes
"""


class DovecotServer:
    """A standalone Dovecot 2.3 IMAP server that ignores /etc/dovecot.

    Users live in passwd-files (`add_user`, before or after `start`); mail in Maildirs,
    with Archive and Sent folders (special-use) made for every user. Plaintext login is
    allowed on `port`; with `tls=True` an implicit-TLS listener on `tls_port` uses a
    self-signed certificate at `cert_path` (for 127.0.0.1 and localhost).

    With `oauth2=` an OAuthServer, clients may also log in with AUTHENTICATE XOAUTH2 or
    OAUTHBEARER and one of its access tokens: Dovecot asks the server (introspection)
    whether the token is live and whose it is, on every login. Password users keep
    working beside them. `oauth2_mechanisms` narrows the two (a server with OAUTHBEARER
    only, say).
    """

    host = HOST

    def __init__(
        self,
        *,
        tls: bool = False,
        oauth2: OAuthServer | None = None,
        oauth2_mechanisms: tuple[str, ...] = ("XOAUTH2", "OAUTHBEARER"),
    ) -> None:
        binary = find_dovecot()
        if binary is None:
            raise ServerError("Dovecot is not installed (dovecot-imapd)")
        self.binary = binary
        self.tls = tls
        self.oauth2 = oauth2
        self.oauth2_mechanisms = oauth2_mechanisms
        self.port = 0
        self.tls_port = 0
        self.root: Path | None = None
        self.cert_path: Path | None = None
        self._users: dict[str, str | None] = {}

    @property
    def config_path(self) -> Path:
        return self._require_root() / "dovecot.conf"

    def add_user(self, address: str, password: str | None = None) -> None:
        """Add a login (before or after `start`); it works at once.

        Without a password the user has a mailbox (mail can be delivered) but can log in
        only with an OAuth2 token, on a server made with `oauth2=`.

        Each user has a passwd-file of their own, as Dovecot re-reads a changed file at
        most once a second: a new user is a new file, read on the first login. Changing
        the password of a user on a running server waits that second out.
        """
        address = address.lower()
        if any(c in address + (password or "") for c in ":/\n\r") or address.startswith("."):
            raise ValueError("address and password may not contain ':', '/' or line breaks")
        changed = self._users.get(address, password) != password
        self._users[address] = password
        if self.root is not None:
            self._write_user(address)
            if changed:
                time.sleep(1.05)

    def has_user(self, address: str) -> bool:
        return address.lower() in self._users

    def start(self) -> Self:
        if self.root is not None:
            raise ServerError("Dovecot is already running")
        self.port = free_port()
        self.tls_port = free_port() if self.tls else 0
        self.root = root = _make_root("dv")
        _LIVE.add(self)
        try:
            self._prepare(root)
            self._start_master(root)
            self._wait_ready(self.port, tls=False)
            if self.tls:
                self._wait_ready(self.tls_port, tls=True)
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to see
                self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the master (and all its children) and remove every file. Safe to call twice."""
        _LIVE.discard(self)
        root, self.root = self.root, None
        if root is None:
            return
        pid_file = root / "run" / "master.pid"
        try:
            pid = _read_pid(pid_file)
            if pid is not None:
                # What `doveadm stop` does, minus its 1 s polling: 1.1 s instead of 2.2 s.
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
                _wait_gone(pid, timeout=10.0)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def deliver(self, address: str, raw: bytes, *, mail_from: str | None = None) -> None:
        """Deliver `raw` into the INBOX of `address`, as a mail server would (dovecot-lda)."""
        command = [DOVECOT_LDA, "-c", str(self.config_path), "-d", address.lower()]
        if mail_from:
            command += ["-f", mail_from]
        result = subprocess.run(command, input=raw, capture_output=True, check=False)
        if result.returncode != 0:
            unknown = " (no such user: add_user() it first)" if result.returncode == 67 else ""
            raise ServerError(
                f"dovecot-lda could not deliver to {address}{unknown} "
                f"(exit {result.returncode}): "
                f"{result.stderr.decode(errors='replace').strip()}\n"
                f"--- lda.log ---\n{_tail(self._require_root() / 'lda.log')}"
            )

    def log(self) -> str:
        if self.root is None:
            return ""
        return _tail(self.root / "dovecot.log") + _tail(self.root / "lda.log")

    def _start_master(self, root: Path) -> None:
        # The master daemonizes: its output goes to a file, as a pipe would stay open.
        with open(root / "start.log", "wb") as output:
            result = subprocess.run(
                [self.binary, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if result.returncode != 0:
            raise ServerError(f"dovecot failed to start:\n{_tail(root / 'start.log')}")

    def _prepare(self, root: Path) -> None:
        root.chmod(0o755)  # login and auth processes run as other users and must traverse it
        (root / "mail").mkdir()
        if is_root():
            mail_user, mail_group, unprivileged = "nobody", "nogroup", ""
            shutil.chown(root / "mail", "nobody", "nogroup")
        else:
            # Without root every Dovecot process runs as the current user.
            mail_user = pwd.getpwuid(os.getuid()).pw_name
            mail_group = grp.getgrgid(os.getgid()).gr_name
            unprivileged = "\n".join(
                [
                    f"default_login_user = {mail_user}",
                    f"default_internal_user = {mail_user}",
                    f"default_internal_group = {mail_group}",
                    "service anvil {\n  chroot =\n}",
                    "service imap-login {\n  chroot =\n}",
                ]
            )
        ssl = "ssl = no"
        if self.tls:
            self.cert_path, key_path = make_self_signed_cert(root)
            ssl = f"ssl = yes\nssl_cert = <{self.cert_path}\nssl_key = <{key_path}"
        mechanisms, oauth2_passdb = "plain login", ""
        if self.oauth2 is not None:
            offered = " ".join(m.lower() for m in self.oauth2_mechanisms)
            mechanisms = f"plain login {offered}"
            oauth2_passdb = _DOVECOT_OAUTH2_PASSDB.format(root=root, mechanisms=offered)
            (root / "oauth2.conf.ext").write_text(
                _DOVECOT_OAUTH2_CONF.format(introspect_url=self.oauth2.introspect_url)
            )
        users = root / "users"
        users.mkdir()
        if is_root():  # the auth process runs as the dovecot user and must read them
            shutil.chown(users, "root", "dovecot")
            users.chmod(0o750)
        for address in self._users:
            self._write_user(address)
        self.config_path.write_text(
            _DOVECOT_CONF.format(
                root=root,
                host=HOST,
                port=self.port,
                tls_port=self.tls_port,
                mail_user=mail_user,
                mail_group=mail_group,
                unprivileged=unprivileged,
                ssl=ssl,
                mechanisms=mechanisms,
                oauth2_passdb=oauth2_passdb,
            )
        )

    def _write_user(self, address: str) -> None:
        path = self._require_root() / "users" / address
        previous = path.stat().st_mtime_ns if path.exists() else None
        temporary = path.with_name(f".{address}.new")
        password = self._users[address]
        # "{CRYPT}*" is no crypt() result of any password: the user exists, for delivery
        # and the userdb, but no password logs them in.
        secret = "{CRYPT}*" if password is None else f"{{PLAIN}}{password}"
        temporary.write_text(f"{address}:{secret}\n")
        if is_root():
            shutil.chown(temporary, "root", "dovecot")
            temporary.chmod(0o640)
        if previous is not None:
            # Dovecot compares whole-second mtime and size: make sure the mtime differs.
            stamp = previous // 10**9 + 1
            os.utime(temporary, (stamp, stamp))
        temporary.replace(path)

    def _wait_ready(self, port: int, *, tls: bool, timeout: float = 10.0) -> None:
        import ssl

        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1.0) as sock:
                    if tls:
                        context = ssl.create_default_context(cafile=str(self.cert_path))
                        with context.wrap_socket(sock, server_hostname=HOST) as secure:
                            greeting = secure.recv(100)
                    else:
                        greeting = sock.recv(100)
                if greeting.startswith(b"* OK"):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"Dovecot did not answer on port {port}:\n{self.log()}")
            time.sleep(0.02)

    def _require_root(self) -> Path:
        if self.root is None:
            raise ServerError("Dovecot is not running")
        return self.root

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --------------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    """The message exactly as the client sent it (after dot-unstuffing)."""
    authenticated_as: str | None = None
    """The AUTH login the client used, if any."""
    auth_mechanism: str | None = None
    """The AUTH mechanism of that login (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER), if any."""

    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class SmtpServer:
    """An in-process aiosmtpd server on 127.0.0.1 that records what it accepts.

    - `auth=(login, password)`: AUTH PLAIN/LOGIN is offered without TLS, and MAIL FROM
      answers 530 until the client has authenticated; a wrong password gets 535.
    - `oauth2=` an OAuthServer: AUTH XOAUTH2 and OAUTHBEARER (or just the
      `oauth2_mechanisms` given) are offered (beside PLAIN and LOGIN when `auth=` is
      given too) and take a live access token of that server for the user it was
      issued to; MAIL FROM answers 530 until then. A refused token
      gets what Gmail sends: a 334 challenge with a JSON error, and 535 after the
      client's answer to it.
    - `reject_rcpt` / `tempfail_rcpt`: these recipients get 550 / 451 at RCPT TO.
    - `deliver_to`: every accepted message is also delivered into that Dovecot's INBOX
      of each recipient; recipients Dovecot does not know get 550.
    """

    host = HOST

    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        reject_rcpt: set[str] | frozenset[str] = frozenset(),
        tempfail_rcpt: set[str] | frozenset[str] = frozenset(),
        deliver_to: DovecotServer | None = None,
        oauth2: OAuthServer | None = None,
        oauth2_mechanisms: tuple[str, ...] = ("XOAUTH2", "OAUTHBEARER"),
    ) -> None:
        self.auth = auth
        self.oauth2 = oauth2
        self.oauth2_mechanisms = oauth2_mechanisms
        self.reject_rcpt = {a.lower() for a in reject_rcpt}
        self.tempfail_rcpt = {a.lower() for a in tempfail_rcpt}
        self.deliver_to = deliver_to
        self.messages: list[ReceivedMail] = []
        self.port = 0
        self._received = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> Self:
        from aiosmtpd.controller import Controller

        if self._controller is not None:
            raise ServerError("the SMTP server is already running")
        self.port = free_port()
        options: dict[str, Any] = {}
        if self.requires_auth:
            # Not aiosmtpd's auth_required: it warns on every connection without TLS.
            # The handler's MAIL hook answers 530 instead, as a real server does.
            excluded = [] if self.auth is not None else ["PLAIN", "LOGIN"]
            excluded += [
                mechanism
                for mechanism in _OAUTH2_MECHANISMS
                if self.oauth2 is None or mechanism not in self.oauth2_mechanisms
            ]
            options = {
                "authenticator": self._authenticate,
                "auth_require_tls": False,
                "auth_exclude_mechanism": excluded,
            }
        controller = Controller(_Handler(self), hostname=HOST, port=self.port, **options)
        controller.start()
        self._controller = controller
        _LIVE.add(self)
        return self

    def stop(self) -> None:
        _LIVE.discard(self)
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def requires_auth(self) -> bool:
        return self.auth is not None or self.oauth2 is not None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Wait until at least `count` messages arrived; return all of them."""
        with self._received:
            if not self._received.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(
                    f"SMTP server got {len(self.messages)} message(s), expected {count}"
                )
            return list(self.messages)

    def _record(self, mail: ReceivedMail) -> None:
        with self._received:
            self.messages.append(mail)
            self._received.notify_all()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if self.auth is not None and isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if (login, password) == self.auth:
                return AuthResult(success=True, auth_data=_Login(login, mechanism))
        return AuthResult(success=False, handled=False)

    async def _oauth2_login(self, server: SMTP, args: list[str], mechanism: str) -> AuthResult:
        """AUTH XOAUTH2 (Google's protocol) or OAUTHBEARER (RFC 7628) with a bearer token."""
        from aiosmtpd.smtp import MISSING, AuthResult

        assert self.oauth2 is not None
        if len(args) == 1:
            response = await server.challenge_auth("")
            if response is MISSING:
                return AuthResult(success=False)  # aiosmtpd has answered
        else:
            try:
                response = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Can't decode base64")
                return AuthResult(success=False)
        assert isinstance(response, bytes)
        parsed = _parse_oauth2_response(response.decode(errors="replace"), mechanism)
        if parsed is None:
            return AuthResult(
                success=False, handled=False, message=f"501 5.5.2 Malformed {mechanism} response"
            )
        user, token = parsed
        owner = self.oauth2.is_valid(token)
        if owner is not None and (user is None or user.lower() == owner.lower()):
            return AuthResult(success=True, auth_data=_Login(owner, mechanism))
        if mechanism == "XOAUTH2":
            error = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
        else:
            error = {"status": "invalid_token", "schemes": "bearer", "scope": "mail"}
        # The client answers the error challenge (an empty line, or ^A for OAUTHBEARER).
        if await server.challenge_auth(json.dumps(error)) is MISSING:
            return AuthResult(success=False)
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_OAUTH2_MECHANISMS = ["XOAUTH2", "OAUTHBEARER"]


@dataclass(frozen=True)
class _Login:
    """What a successful AUTH leaves in aiosmtpd's `session.auth_data`."""

    login: str
    mechanism: str


def _parse_oauth2_response(text: str, mechanism: str) -> tuple[str | None, str] | None:
    """(user, token) from an XOAUTH2 or OAUTHBEARER client response, None if malformed.

    XOAUTH2: "user=U^Aauth=Bearer T^A^A"; OAUTHBEARER: "n,a=U,^Ahost=...^Aauth=Bearer T^A^A",
    where the user (authzid) is optional and escapes ',' and '=' as =2C and =3D.
    """
    fields = text.split("\x01")
    user: str | None = None
    if mechanism == "OAUTHBEARER":
        gs2 = fields.pop(0).split(",")
        if len(gs2) < 3 or gs2[0] not in {"n", "y"}:
            return None
        if gs2[1].startswith("a="):
            user = gs2[1][2:].replace("=2C", ",").replace("=3D", "=")
    pairs = dict(field.partition("=")[::2] for field in fields if field)
    if mechanism == "XOAUTH2":
        user = pairs.get("user")
        if not user:
            return None
    scheme, _, token = pairs.get("auth", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return user, token.strip()


class _Handler:
    """aiosmtpd hooks (duck-typed: aiosmtpd looks them up by name).

    The `auth_*` methods add AUTH mechanisms; SmtpServer leaves out those it does not offer.
    """

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self.server._oauth2_login(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self.server._oauth2_login(server, args, "OAUTHBEARER")

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.server.requires_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        lowered = address.lower()
        if lowered in self.server.reject_rcpt:
            return "550 5.1.1 Mailbox unavailable"
        if lowered in self.server.tempfail_rcpt:
            return "451 4.3.0 Try again later"
        dovecot = self.server.deliver_to
        if dovecot is not None and not dovecot.has_user(address):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        dovecot = self.server.deliver_to
        if dovecot is not None:
            loop = asyncio.get_running_loop()
            for rcpt in envelope.rcpt_tos:
                try:
                    deliver = functools.partial(dovecot.deliver, rcpt, data, mail_from=mail_from)
                    await loop.run_in_executor(None, deliver)
                except ServerError as error:
                    return f"451 4.3.0 Delivery into Dovecot failed: {error}".splitlines()[0]
        auth = session.auth_data if isinstance(session.auth_data, _Login) else None
        self.server._record(
            ReceivedMail(
                mail_from,
                list(envelope.rcpt_tos),
                data,
                authenticated_as=auth.login if auth else None,
                auth_mechanism=auth.mechanism if auth else None,
            )
        )
        return "250 Message accepted"


# --------------------------------------------------------------------------- internals


class _Stoppable(Protocol):
    def stop(self) -> None: ...


_LIVE: set[_Stoppable] = set()
"""Servers still running; stopped at interpreter exit if a test run forgot them."""


def register_live(server: _Stoppable) -> None:
    """Stop `server` at interpreter exit unless it was stopped before (for other modules)."""
    _LIVE.add(server)


def unregister_live(server: _Stoppable) -> None:
    _LIVE.discard(server)


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):  # best effort on the way out
            server.stop()


def _make_root(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=f"tix{prefix}", dir="/tmp"))
    run_dir = os.environ.get(RUN_DIR_ENV)
    if run_dir:
        with open(Path(run_dir) / "roots", "a") as roots:
            roots.write(f"{root}\n")
    return root


def _chown_to(path: Path, user: str) -> None:
    if is_root():
        shutil.chown(path, user, user)


def _run(command: list[str], *, cwd: Path | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").strip()
        raise ServerError(f"{' '.join(command)} failed (exit {result.returncode}):\n{output}")


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, *, timeout: float) -> None:
    """Wait for process `pid` to end; kill it after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie we are not the parent of is gone for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
    except OSError:
        return ""


def _existing(path: str) -> str | None:
    return path if os.path.exists(path) else None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))
