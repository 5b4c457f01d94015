"""IMAP in: read a mail account's folder so that no message is lost and none comes twice.

The mail sync drives a :class:`Mailbox` like this: it asks for the UIDs after the last
one it committed (:meth:`Mailbox.uids_after`), fetches them without marking them read
(``BODY.PEEK[]``), commits their tickets, and only then flags them ``\\Seen`` and
:data:`KEYWORD` (or moves them). A crash between the commit and the flag leaves them
unflagged; :meth:`Mailbox.unflagged_uids` finds them on the next run. This module never
touches the database: the caller owns the transactions.

Every failure is an :class:`ImapError` with one line that names the account, the server
and the cause; ``temporary`` tells a dropped or unreachable server (try again later)
from a setting to fix (wrong password, untrusted certificate, missing folder).

imapclient is imported only by the code that connects: it costs about 86 ms.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from tix.core.errors import Unavailable
from tix.core.i18n import _, ngettext

if TYPE_CHECKING:
    import ssl

    from tix.core.mail.oauth2 import TokenSource

__all__ = [
    "KEYWORD",
    "TLS_MODES",
    "Fetched",
    "ImapError",
    "ImapSettings",
    "Mailbox",
    "check",
    "server_label",
]

KEYWORD = "$TixImported"
"""Set, with ``\\Seen``, on every message whose ticket change tix has committed."""

TLS_MODES = ("ssl", "starttls", "none")

FETCH_META_BATCH = 500
"""UIDs per ``FETCH (RFC822.SIZE INTERNALDATE)``."""
FETCH_BODY_BATCH = 100
"""At most this many messages per ``FETCH BODY.PEEK[]``."""
FETCH_BODY_BYTES = 20 * 1024 * 1024
"""At most this many bytes per ``FETCH BODY.PEEK[]`` (a bigger single message goes alone)."""
UID_SET_LENGTH = 4000
"""Longest UID set sent in one command: servers limit the length of a command line."""
IDLE_LIMIT = 29 * 60.0
"""RFC 2177: re-issue IDLE at least every 29 minutes, or the server may log us out."""
POLL_INTERVAL = 15.0
"""Seconds between NOOPs while waiting for mail on a server without IDLE."""

_DELETED = b"\\Deleted"
_SEEN = b"\\Seen"
# Dovecot ends its answers with the time it took: "... (0.001 + 0.000 secs)."
_TIMING = re.compile(r"\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs?\)\.?$")
_FAILED_PREFIX = re.compile(r"^[a-z_ ]+ failed: ", re.IGNORECASE)


@dataclass(frozen=True)
class ImapSettings:
    """Where and how to read one account's mail."""

    host: str
    port: int
    tls: str
    """``ssl`` (TLS from the start), ``starttls`` (required) or ``none``."""
    user: str
    password: str | None
    folder: str = "INBOX"
    timeout: float = 60.0
    """Seconds to wait for the connection and for each answer."""
    cafile: str | None = None
    """CA certificates to trust instead of the system's (a self-signed server)."""
    name: str = ""
    """The account's name, for messages."""
    oauth2: TokenSource | None = None
    """Sign in with an access token from here (SASL XOAUTH2 or OAUTHBEARER) instead of
    the password."""


class ImapError(Unavailable):
    """The IMAP server could not be used; ``message`` is one line for people."""

    def __init__(
        self, message: str, *, temporary: bool = False, needs_sign_in: bool = False
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        """The server was unreachable or the connection dropped: trying again later may work.
        False when a setting must be fixed first (password, certificate, folder, TLS mode)."""
        self.needs_sign_in = needs_sign_in
        """The server refused a freshly refreshed OAuth2 token: only a new sign-in helps."""


@dataclass(frozen=True)
class Fetched:
    """One message as the server holds it."""

    uid: int
    size: int
    """RFC822.SIZE: the size the server reports."""
    raw: bytes | None
    """The whole message, byte for byte; None when ``size`` is over the caller's limit."""
    internal_date: datetime | None
    """When the server received it (aware, UTC)."""


def server_label(settings: ImapSettings) -> str:
    """``host:port`` (``[v6]:port`` for an IPv6 address)."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def _security_label(tls: str) -> str:
    return {"ssl": "SSL", "starttls": "STARTTLS"}.get(tls) or _("no TLS")


class Mailbox:
    """One IMAP connection with one folder selected read-write.

    Use it as a context manager (``open`` on entry, ``close`` on exit). After a
    temporary error the connection is gone: ``open`` it again, or make a new one.
    """

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._client: Any = None
        self._capabilities: frozenset[str] = frozenset()
        self._uidvalidity = 0
        self._message_count = 0
        self._keywords_allowed = False
        self._seen_uid = 0
        """The highest UID known to exist: mail above it is new for `wait_for_mail`."""
        self._broken: ImapError | None = None
        """Set when the connection dropped or timed out: it cannot be used any more."""
        self.mechanism = ""
        """How the last login went: ``XOAUTH2``, ``OAUTHBEARER`` or ``LOGIN`` (password)."""

    # ---------------------------------------------------------------- connection

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        """Connect, log in and select the folder (read-write). Reconnects if open."""
        self.close()
        settings = self.settings
        if settings.tls not in TLS_MODES:
            raise self._error(
                _("unknown TLS mode '{mode}': use ssl, starttls or none").format(mode=settings.tls)
            )
        if settings.oauth2 is None and settings.password is None:
            raise self._error(
                _("no password for {user}: set --password-env or --password-cmd").format(
                    user=settings.user
                )
            )
        context = self._ssl_context() if settings.tls != "none" else None
        with self._translated(connecting=True):
            self._client = self._connect(context)
        try:
            if settings.oauth2 is not None:
                self._login_oauth2(settings.oauth2)
            else:
                assert settings.password is not None
                self._login(settings.password)
            self._select()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Log out; a connection that is already dead is just dropped."""
        client, self._client = self._client, None
        broken, self._broken = self._broken, None
        if client is None:
            return
        try:
            if broken is None:  # a hung server would keep a LOGOUT waiting for the timeout
                client.logout()
                return
        except Exception:  # the connection is gone or broken: nothing left to tell the server
            pass
        with suppress(Exception):
            client.shutdown()

    @property
    def uidvalidity(self) -> int:
        """UIDVALIDITY of the selected folder: UIDs are only comparable while it stays."""
        self._require()
        return self._uidvalidity

    @property
    def message_count(self) -> int:
        """Messages in the folder when it was selected."""
        self._require()
        return self._message_count

    def _ssl_context(self) -> ssl.SSLContext:
        import ssl

        cafile = self.settings.cafile
        try:
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as error:
            raise self._error(
                _("cannot read the CA certificates in {path}: {reason}").format(
                    path=cafile, reason=_reason(error)
                )
            ) from error

    def _connect(self, context: ssl.SSLContext | None) -> Any:
        # imapclient costs ~86 ms to import: only the commands that read mail pay for it.
        from imapclient import IMAPClient, SocketTimeout

        settings = self.settings
        timeout = SocketTimeout(connect=settings.timeout, read=settings.timeout)
        client = IMAPClient(
            settings.host,
            port=settings.port,
            ssl=settings.tls == "ssl",
            ssl_context=context if settings.tls == "ssl" else None,
            timeout=timeout,
        )
        client.normalise_times = False  # aware datetimes, not the local clock's naive ones
        if settings.tls == "starttls":
            try:
                if not client.has_capability("STARTTLS"):
                    raise self._error(
                        _(
                            "the server does not offer STARTTLS: use --tls ssl (usually port "
                            "993), or --tls none on a trusted network"
                        )
                    )
                client.starttls(context)
            except BaseException:
                with suppress(Exception):
                    client.shutdown()
                raise
        return client

    def _login(self, password: str) -> None:
        from imapclient.exceptions import IMAPClientAbortError, LoginError

        client = self._client
        user = self.settings.user
        with self._translated():
            if client.has_capability("LOGINDISABLED"):
                raise self._error(
                    _("the server refuses passwords without TLS: use --tls ssl or --tls starttls")
                )
            try:
                client.login(user, password)
            except LoginError as error:
                # imapclient turns every failure of LOGIN into LoginError, a dropped
                # connection included: the original is the context.
                if isinstance(error.__context__, IMAPClientAbortError):
                    raise self._lost(error.__context__) from error
                if "[UNAVAILABLE]" in str(error).upper():
                    raise self._error(
                        _("the server cannot check logins right now: {reason}").format(
                            reason=_reason(error)
                        ),
                        temporary=True,
                    ) from error
                raise self._error(
                    _("login refused for {user}: check the password").format(user=user)
                ) from error
            self.mechanism = "LOGIN"
            self._capabilities = frozenset(
                _text(capability).upper() for capability in client.capabilities()
            )

    def _login_oauth2(self, source: TokenSource) -> None:
        """SASL XOAUTH2 where the server offers it, else OAUTHBEARER (RFC 7628). A refused
        token is refreshed once and tried again: the server knows best whether it expired."""
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        client = self._client
        user = self.settings.user
        with self._translated():
            if client.has_capability("AUTH=XOAUTH2"):
                mechanism = "XOAUTH2"
            elif client.has_capability("AUTH=OAUTHBEARER"):
                mechanism = "OAUTHBEARER"
            else:
                raise self._error(
                    _(
                        "the server offers neither XOAUTH2 nor OAUTHBEARER: it cannot sign in "
                        "with OAuth2; use --auth password"
                    )
                )
            for retry in (False, True):
                token = source(retry)
                try:
                    client._command_and_check(
                        "authenticate", mechanism, _sasl_answers(mechanism, user, token)
                    )
                except IMAPClientAbortError as error:
                    raise self._lost(error) from error
                except IMAPClientError as error:
                    if "[UNAVAILABLE]" in str(error).upper():
                        raise self._error(
                            _("the server cannot check logins right now: {reason}").format(
                                reason=_reason(error)
                            ),
                            temporary=True,
                        ) from error
                    if retry:
                        raise self._error(
                            _("login refused for {user}: {hint}").format(
                                user=user, hint=source.refused_hint()
                            ),
                            needs_sign_in=True,
                        ) from error
                    continue
                break
            self.mechanism = mechanism
            self._capabilities = frozenset(
                _text(capability).upper() for capability in client.capabilities()
            )

    def _select(self) -> None:
        from imapclient.exceptions import (
            IMAPClientAbortError,
            IMAPClientError,
            IMAPClientReadOnlyError,
        )

        client = self._client
        folder = self.settings.folder
        read_only = _("folder '{folder}' is read-only: tix must be able to flag imported mail")
        with self._translated():
            try:
                response = client.select_folder(folder)
            except IMAPClientReadOnlyError as error:
                raise self._error(read_only.format(folder=folder)) from error
            except IMAPClientAbortError:
                raise
            except IMAPClientError as error:
                if not self._folder_exists(folder):
                    raise self._error(
                        _(
                            "folder '{folder}' does not exist: create it or fix --imap-folder"
                        ).format(folder=folder)
                    ) from error
                raise self._error(
                    _("cannot open folder '{folder}': {reason}").format(
                        folder=folder, reason=_reason(error)
                    )
                ) from error
        if b"READ-ONLY" in response:
            raise self._error(read_only.format(folder=folder))
        uidvalidity = response.get(b"UIDVALIDITY")
        if not uidvalidity:
            raise self._error(
                _("the server gave no UIDVALIDITY for folder '{folder}'").format(folder=folder)
            )
        self._uidvalidity = int(uidvalidity)
        self._message_count = int(response.get(b"EXISTS", 0))
        permanent = {_text(flag).lower() for flag in response.get(b"PERMANENTFLAGS", ())}
        # Without "\*" (any new keyword) or our keyword itself, the server would drop it.
        self._keywords_allowed = "\\*" in permanent or KEYWORD.lower() in permanent
        self._seen_uid = max(int(response.get(b"UIDNEXT", 1)) - 1, 0)

    # ---------------------------------------------------------------- reading

    def uids_after(self, last_uid: int, *, since: date | None = None) -> list[int]:
        """UIDs above ``last_uid`` (ascending), only mail received on ``since`` or later."""
        client = self._require()
        last_uid = max(last_uid, 0)
        criteria: list[object] = ["UID", f"{last_uid + 1}:*"]
        if since is not None:
            criteria += ["SINCE", since]
        with self._translated():
            # A NOOP first: Dovecot, for one, lets a SEARCH see only the messages this
            # session was told about, and tells of new ones at the end of a command.
            client.noop()
            found = [int(uid) for uid in client.search(criteria)]
        if found:
            self._seen_uid = max(self._seen_uid, *found)
        # RFC 3501: "n:*" always takes in the highest UID, even when it is below n.
        return sorted(uid for uid in found if uid > last_uid)

    def unflagged_uids(self, up_to_uid: int) -> list[int]:
        """UIDs up to ``up_to_uid`` that were not flagged as imported (ascending).

        On a server that keeps no custom keywords, that is: not ``\\Seen``.
        """
        client = self._require()
        if up_to_uid < 1:
            return []
        unflagged = ["UNKEYWORD", KEYWORD] if self._keywords_allowed else ["UNSEEN"]
        with self._translated():
            found = client.search(["UID", f"1:{up_to_uid}", *unflagged])
        return sorted(int(uid) for uid in found if int(uid) <= up_to_uid)

    def fetch(self, uids: Sequence[int], *, max_size: int) -> Iterator[Fetched]:
        """The messages ``uids``, in that order, without setting ``\\Seen``.

        Sizes and dates come first; then the bodies of those within ``max_size``, a
        limited number of messages and bytes at a time, so a huge mailbox never sits in
        memory at once. A message over ``max_size`` comes with ``raw`` None. A UID that
        no longer exists (expunged meanwhile) is left out.
        """
        client = self._require()
        for start in range(0, len(uids), FETCH_META_BATCH):
            chunk = list(uids[start : start + FETCH_META_BATCH])
            with self._translated():
                meta = client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"])
            pending: list[tuple[int, int, datetime | None]] = []
            pending_bytes = 0
            for uid in chunk:
                data = meta.get(uid)
                if data is None:
                    continue
                size = int(data.get(b"RFC822.SIZE") or 0)
                received = _utc(data.get(b"INTERNALDATE"))
                if size > max_size:
                    yield from self._bodies(pending)
                    pending, pending_bytes = [], 0
                    yield Fetched(uid=uid, size=size, raw=None, internal_date=received)
                    continue
                if pending and (
                    len(pending) >= FETCH_BODY_BATCH or pending_bytes + size > FETCH_BODY_BYTES
                ):
                    yield from self._bodies(pending)
                    pending, pending_bytes = [], 0
                pending.append((uid, size, received))
                pending_bytes += size
            yield from self._bodies(pending)

    def _bodies(self, pending: list[tuple[int, int, datetime | None]]) -> Iterator[Fetched]:
        if not pending:
            return
        client = self._require()
        with self._translated():
            bodies = client.fetch([uid for uid, _size, _date in pending], ["BODY.PEEK[]"])
        for uid, size, received in pending:
            raw = bodies.get(uid, {}).get(b"BODY[]")
            if raw is not None:
                yield Fetched(uid=uid, size=size, raw=bytes(raw), internal_date=received)

    def folder_exists(self, folder: str) -> bool:
        """Whether ``folder`` exists (exactly that name; INBOX in any case)."""
        self._require()
        with self._translated():
            return self._folder_exists(folder)

    def _folder_exists(self, folder: str) -> bool:
        if folder.upper() == "INBOX":
            return True
        listed = self._client.list_folders("", folder)
        return any(name == folder for _flags, _delimiter, name in listed)

    # ---------------------------------------------------------------- changing

    def mark_imported(self, uids: Sequence[int]) -> None:
        """Flag ``\\Seen`` and :data:`KEYWORD` (only ``\\Seen`` where keywords are refused)."""
        client = self._require()
        flags = [_SEEN, KEYWORD.encode()] if self._keywords_allowed else [_SEEN]
        with self._translated():
            for uid_set in _uid_sets(uids):
                client.add_flags(uid_set, flags, silent=True)

    def move(self, uids: Sequence[int], folder: str) -> None:
        """Move to ``folder``: MOVE where the server has it, else COPY, flag and expunge."""
        client = self._require()
        with self._translated(), self._folder_errors(folder):
            for uid_set in _uid_sets(uids):
                if "MOVE" in self._capabilities:
                    client.move(uid_set, folder)
                    continue
                client.copy(uid_set, folder)
                client.add_flags(uid_set, [_DELETED], silent=True)
                if "UIDPLUS" in self._capabilities:
                    client.uid_expunge(uid_set)
                else:
                    # Without UIDPLUS only a plain EXPUNGE exists; it also removes what
                    # others flagged \Deleted, as a mail client's "compact folder" does.
                    client.expunge()

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        """Store ``raw`` in ``folder`` (the copy of a sent mail)."""
        client = self._require()
        with self._translated(), self._folder_errors(folder):
            client.append(folder, raw, flags=(_SEEN,) if seen else ())

    @contextmanager
    def _folder_errors(self, folder: str) -> Iterator[None]:
        """A refused COPY, MOVE or APPEND because ``folder`` is missing says so."""
        from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

        try:
            yield
        except IMAPClientAbortError:
            raise
        except IMAPClientError as error:
            if "[TRYCREATE]" in str(error).upper() or not self._folder_exists(folder):
                raise self._error(
                    _(
                        "folder '{folder}' does not exist: create it or fix the account's "
                        "folder settings"
                    ).format(folder=folder)
                ) from error
            raise

    # ---------------------------------------------------------------- waiting

    def wait_for_mail(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for new mail; True as soon as the server reports some.

        Uses IDLE (re-issued every 29 minutes), else a NOOP every ``POLL_INTERVAL``
        seconds. A report may be about mail that is filtered out later: the caller just
        syncs once more.
        """
        client = self._require()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._translated():
            # Mail that came after the caller's last search is not announced again
            # during IDLE: the server may have told of it at the end of any command since.
            # So: forget those stale announcements, let the server catch up (NOOP), look
            # for UIDs above the highest known one, and count any announcement made
            # meanwhile. Only what comes later is left to IDLE, which reports it.
            _take_announcements(client)
            _text_reply, responses = client.noop()
            found = client.search(["UID", f"{self._seen_uid + 1}:*"])
            newer = [int(uid) for uid in found if int(uid) > self._seen_uid]
            if newer:
                self._seen_uid = max(newer)
            if newer or _reports_new_mail(responses) or _take_announcements(client):
                return True
            if "IDLE" in self._capabilities:
                return self._idle(deadline)
            return self._poll(deadline)

    def _idle(self, deadline: float) -> bool:
        client = self._client
        while (remaining := deadline - time.monotonic()) > 0:
            client.idle()
            arrived = False
            try:
                round_ends = time.monotonic() + min(remaining, IDLE_LIMIT)
                while not arrived and (left := round_ends - time.monotonic()) > 0:
                    responses = client.idle_check(timeout=left)
                    arrived = _reports_new_mail(responses)
                    if not responses:
                        # Timed out, or woke with nothing: imapclient hides an EOF
                        # that way, and idle_done below then raises it.
                        break
            finally:
                _text_reply, responses = client.idle_done()
            if arrived or _reports_new_mail(responses):
                return True
            if time.monotonic() < round_ends - 0.05:
                break  # woke early without a report: end the wait, the caller syncs
        return False

    def _poll(self, deadline: float) -> bool:
        client = self._client
        while (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(POLL_INTERVAL, remaining))
            _text_reply, responses = client.noop()
            if _reports_new_mail(responses):
                return True
        return False

    # ---------------------------------------------------------------- errors

    def _require(self) -> Any:
        if self._client is None:
            raise RuntimeError("the mailbox is not open")
        if self._broken is not None:
            raise ImapError(self._broken.message, temporary=True)
        return self._client

    def _error(
        self, problem: str, *, temporary: bool = False, needs_sign_in: bool = False
    ) -> ImapError:
        settings = self.settings
        server = server_label(settings)
        if settings.name:
            message = _("mail account {name}: {server}: {problem}").format(
                name=settings.name, server=server, problem=problem
            )
        else:
            message = f"{server}: {problem}"
        return ImapError(message, temporary=temporary, needs_sign_in=needs_sign_in)

    def _lost(self, error: BaseException) -> ImapError:
        # The same hang-up shows as EOF on a read and, when the next command
        # is written first, as a broken pipe or a reset: one message for all.
        reason = _reason(error)
        if reason.lower().endswith("eof") or isinstance(
            error, BrokenPipeError | ConnectionResetError | ConnectionAbortedError
        ):
            reason = _("the server closed it")
        return self._error(_("connection lost: {reason}").format(reason=reason), temporary=True)

    @contextmanager
    def _translated(self, *, connecting: bool = False) -> Iterator[None]:
        """Turn the errors of imapclient and the network into ImapError."""
        try:
            yield
        except ImapError:
            raise
        except Exception as error:
            translated = self._translate(error, connecting=connecting)
            if translated is None:
                raise
            if translated.temporary and self._client is not None:
                self._broken = translated
            raise translated from error

    def _translate(self, error: Exception, *, connecting: bool) -> ImapError | None:
        import socket
        import ssl

        from imapclient.exceptions import (
            IMAPClientAbortError,
            IMAPClientError,
            IMAPClientReadOnlyError,
        )

        reason = _reason(error)
        if isinstance(error, IMAPClientReadOnlyError):
            return self._error(
                _("folder '{folder}' is read-only: tix must be able to flag imported mail").format(
                    folder=self.settings.folder
                )
            )
        if isinstance(error, IMAPClientAbortError):
            return self._lost(error)
        if isinstance(error, IMAPClientError):
            return self._error(_("the server refused: {reason}").format(reason=reason))
        if isinstance(error, ssl.SSLCertVerificationError):
            return self._error(
                _(
                    "TLS certificate not accepted ({reason}): check the host name, or trust "
                    "the server's CA certificate"
                ).format(reason=error.verify_message or reason)
            )
        if isinstance(error, ssl.SSLError) and connecting:
            return self._error(
                _(
                    "TLS handshake failed ({reason}): if the port expects STARTTLS, use --tls "
                    "starttls"
                ).format(reason=error.reason or reason)
            )
        if isinstance(error, socket.gaierror):
            return self._error(
                _("host not found ({reason}): check the server name").format(reason=reason),
                temporary=True,
            )
        if isinstance(error, ConnectionRefusedError):
            return self._error(
                _("connection refused: check the host and port, and that the server runs"),
                temporary=True,
            )
        if isinstance(error, TimeoutError):
            return self._error(
                _("no answer within {seconds:g} s").format(seconds=self.settings.timeout),
                temporary=True,
            )
        if isinstance(error, OSError):
            if connecting:
                return self._error(
                    _("cannot connect: {reason}").format(reason=reason), temporary=True
                )
            return self._lost(error)
        if connecting and isinstance(error, ValueError | OverflowError):
            # A host name IDNA cannot encode, a port out of range.
            return self._error(_("invalid server address: {reason}").format(reason=reason))
        return None


def check(settings: ImapSettings) -> str:
    """Connect, log in, select the folder and describe what was found, on one line."""
    with Mailbox(settings) as box:
        count = box.message_count
        return ngettext(
            "{server}: {security}, logged in as {user} with {method}, {folder}: {count} "
            "message (uidvalidity {uidvalidity})",
            "{server}: {security}, logged in as {user} with {method}, {folder}: {count} "
            "messages (uidvalidity {uidvalidity})",
            count,
        ).format(
            server=server_label(settings),
            security=_security_label(settings.tls),
            user=settings.user,
            method=_("password (LOGIN)") if box.mechanism == "LOGIN" else box.mechanism,
            folder=settings.folder,
            count=count,
            uidvalidity=box.uidvalidity,
        )


# -------------------------------------------------------------------- helpers


def _sasl_answers(mechanism: str, user: str, token: str) -> Callable[[bytes], bytes]:
    """imaplib's AUTHENTICATE callback: the initial response, then, to the error challenge
    a refusing server sends, the empty (XOAUTH2) or ``^A`` (OAUTHBEARER, RFC 7628 3.2.3)
    answer that ends the exchange at once."""
    if mechanism == "XOAUTH2":
        first = f"user={user}\1auth=Bearer {token}\1\1"
    else:
        identity = user.replace("=", "=3D").replace(",", "=2C")
        first = f"n,a={identity},\1auth=Bearer {token}\1\1"
    answers = iter([first.encode()])

    def answer(_challenge: bytes) -> bytes:
        return next(answers, b"" if mechanism == "XOAUTH2" else b"\1")

    return answer


def _uid_sets(uids: Sequence[int]) -> Iterator[str]:
    """UID sets like ``1:5,7,9:12`` covering ``uids``, each short enough for one command."""
    ordered = sorted(set(uids))
    ranges: list[str] = []
    length = 0
    index = 0
    while index < len(ordered):
        first = last = ordered[index]
        index += 1
        while index < len(ordered) and ordered[index] == last + 1:
            last = ordered[index]
            index += 1
        part = str(first) if first == last else f"{first}:{last}"
        if ranges and length + len(part) + 1 > UID_SET_LENGTH:
            yield ",".join(ranges)
            ranges, length = [], 0
        ranges.append(part)
        length += len(part) + 1
    if ranges:
        yield ",".join(ranges)


def _reports_new_mail(responses: Sequence[Any]) -> bool:
    """Whether untagged responses announce mail: any EXISTS, or RECENT above 0.

    Every EXISTS counts, even one that might only repeat the count: a needless sync
    costs one search, a missed message would wait for the next timeout.
    """
    for response in responses:
        if len(response) >= 2 and isinstance(response[0], int):
            kind = response[1]
            if kind == b"EXISTS" or (kind == b"RECENT" and response[0] > 0):
                return True
    return False


def _take_announcements(client: Any) -> bool:
    """Remove the EXISTS and RECENT responses imaplib kept from earlier commands; True if
    there were any (RECENT above 0).

    imaplib keeps every untagged response a command brought in ``untagged_responses``
    (imapclient reads its CAPABILITY from there too); nothing else returns them.
    """
    kept = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if not isinstance(kept, dict):
        return False
    exists = kept.pop("EXISTS", None)
    recent = kept.pop("RECENT", None) or []
    return bool(exists) or any(_text(count).strip() not in ("", "0") for count in recent)


def _utc(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reason(error: BaseException) -> str:
    """The cause in a few words: one line, without the server's timing or a command prefix."""
    import ssl

    if isinstance(error, ssl.SSLError) and error.reason:
        text = str(error.reason)
    elif isinstance(error, OSError) and error.strerror:
        text = error.strerror
    else:
        text = str(error)
    lines = text.strip().splitlines()
    text = lines[0].strip() if lines else ""
    text = _FAILED_PREFIX.sub("", _TIMING.sub("", text))
    return text or type(error).__name__
