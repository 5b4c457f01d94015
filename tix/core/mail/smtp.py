"""Hand composed mail to an SMTP server, and tell the outbox whether to try again.

`send` delivers one message and raises `TemporaryFailure` (try again later: 4xx replies,
an unreachable or silent server) or `PermanentFailure` (trying again cannot help: 5xx
replies, a refused login, a failed TLS handshake or certificate check). Recipients the
server refuses while it accepts others come back in `SendResult`: the message went out.

Every error is one line that names the server (and the account, when it has a name) and
the cause. Passwords never travel in clear by accident: ``starttls`` fails when the
server does not offer STARTTLS instead of carrying on without it.
"""

from __future__ import annotations

import base64
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tix.core.errors import Invalid, TixError, Unavailable
from tix.core.i18n import _
from tix.core.mail.compose import envelope_address

if TYPE_CHECKING:
    from tix.core.mail.oauth2 import TokenSource

__all__ = [
    "PermanentFailure",
    "SendResult",
    "SmtpError",
    "SmtpSettings",
    "TemporaryFailure",
    "check",
    "send",
]

TLS_MODES = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    """``ssl`` (implicit TLS, usually port 465), ``starttls`` (required, usually 587) or
    ``none`` (plaintext: only sensible on the same machine or a trusted network)."""
    user: str = ""
    """Log in only when set."""
    password: str | None = None
    timeout: float = 30.0
    """Seconds for connecting and for each reply."""
    name: str = ""
    """The account's name, put in front of error messages."""
    cafile: str | None = None
    """PEM file of the certificate authorities to trust instead of the system's."""
    oauth2: TokenSource | None = None
    """Log in with an access token from here (SASL XOAUTH2 or OAUTHBEARER), not a password."""


class SmtpError(TixError):
    """Sending failed; `message` is one line naming the server and the cause."""

    code = "smtp"

    def __init__(
        self, message: str, *, reply_code: int | None = None, needs_sign_in: bool = False
    ) -> None:
        super().__init__(" ".join(message.split()))
        self.reply_code = reply_code
        """The SMTP reply code behind the failure, when there was one."""
        self.needs_sign_in = needs_sign_in
        """The server refused a freshly refreshed OAuth2 token: only a new sign-in helps."""


class TemporaryFailure(SmtpError, Unavailable):
    """Try again later: a 4xx reply, or the server could not be reached or went silent."""

    code = Unavailable.code


class PermanentFailure(SmtpError):
    """Trying again will not help: a 5xx reply, a refused login, TLS or certificate failure."""

    code = "smtp"


@dataclass(frozen=True)
class SendResult:
    refused: dict[str, str] = field(default_factory=dict)
    """Recipients the server refused for good while it accepted others: address -> reply."""
    deferred: dict[str, str] = field(default_factory=dict)
    """Recipients refused for now (4xx) while others were accepted: only they need a retry."""


# --- texts --------------------------------------------------------------------------------

_MAX_REPLY = 300
_MAX_LISTED = 5
_SSL_LOCATION = re.compile(r"\s*\(_ssl\.c:\d+\)")


def _where(settings: SmtpSettings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


def _with_account(settings: SmtpSettings, text: str) -> str:
    if not settings.name:
        return text
    return _("{account}: {message}").format(account=settings.name, message=text)


def _reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as one line: ``550 5.1.1 Mailbox unavailable``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    line = " ".join(text.split())
    if len(line) > _MAX_REPLY:
        line = line[: _MAX_REPLY - 1] + "…"
    return f"{code} {line}".strip()


def _listed(replies: Mapping[str, str]) -> str:
    items = [f"{address} ({reply})" for address, reply in replies.items()]
    if len(items) > _MAX_LISTED:
        items = [*items[:_MAX_LISTED], "…"]
    return ", ".join(items)


def _permanent(
    settings: SmtpSettings, text: str, code: int | None = None, *, needs_sign_in: bool = False
) -> PermanentFailure:
    return PermanentFailure(
        _with_account(settings, text), reply_code=code, needs_sign_in=needs_sign_in
    )


def _temporary(settings: SmtpSettings, text: str, code: int | None = None) -> TemporaryFailure:
    return TemporaryFailure(_with_account(settings, text), reply_code=code)


def _by_code(settings: SmtpSettings, code: int, text: str) -> SmtpError:
    """5xx is permanent; 4xx, and anything a broken server may answer, is worth a retry."""
    if 500 <= code <= 599:
        return _permanent(settings, text, code)
    return _temporary(settings, text, code)


def _ssl_reason(error: ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or ""
        reason = "certificate verify failed"
        return f"{reason}: {detail}" if detail else reason
    reason = str(error.reason or "").replace("_", " ").lower()
    return reason or _SSL_LOCATION.sub("", str(error)) or type(error).__name__


def _failure(settings: SmtpSettings, error: BaseException) -> SmtpError | None:
    """The SmtpError for an exception from smtplib, ssl or socket; None for anything else."""
    where = _where(settings)
    if isinstance(error, SmtpError):
        return error
    if isinstance(error, smtplib.SMTPAuthenticationError):
        reply = _reply(error.smtp_code, error.smtp_error)
        if 400 <= error.smtp_code <= 499:
            return _temporary(
                settings,
                _("{server}: the server cannot check the login for {user} now ({reply})").format(
                    server=where, user=settings.user, reply=reply
                ),
                error.smtp_code,
            )
        text = _("{server}: the server refused the login for {user} ({reply}): check the password")
        return _permanent(
            settings, text.format(server=where, user=settings.user, reply=reply), error.smtp_code
        )
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib reports a reply that timed out as a disconnect; the cause tells.
        if isinstance(error.__context__, TimeoutError):
            return _failure(settings, error.__context__)
        return _temporary(
            settings, _("{server} closed the connection unexpectedly").format(server=where)
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = _reply(error.smtp_code, error.smtp_error)
        return _by_code(
            settings,
            error.smtp_code,
            _("{server} answered {reply}").format(server=where, reply=reply),
        )
    if isinstance(error, smtplib.SMTPException):
        return _permanent(settings, f"{where}: {error}")
    if isinstance(error, ssl.SSLError):
        text = _("TLS with {server} failed: {reason}").format(
            server=where, reason=_ssl_reason(error)
        )
        if error.reason == "WRONG_VERSION_NUMBER":
            text += " " + _("(the port does not speak TLS: try starttls or none)")
        # A connection cut during the handshake is the network, not the configuration.
        if isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
            return _temporary(settings, text)
        return _permanent(settings, text)
    if isinstance(error, socket.gaierror):
        return _temporary(
            settings,
            _("cannot reach {server}: the host name is unknown ({reason})").format(
                server=where, reason=error.strerror or error
            ),
        )
    if isinstance(error, TimeoutError):
        return _temporary(
            settings,
            _("{server} did not answer within {seconds} seconds").format(
                server=where, seconds=f"{settings.timeout:g}"
            ),
        )
    if isinstance(error, ConnectionRefusedError):
        return _temporary(
            settings, _("cannot reach {server}: connection refused").format(server=where)
        )
    if isinstance(error, OSError):
        reason = (error.strerror or str(error) or type(error).__name__).lower()
        return _temporary(
            settings, _("cannot reach {server}: {reason}").format(server=where, reason=reason)
        )
    return None


# --- the session --------------------------------------------------------------------------


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=settings.cafile)
    except (OSError, ssl.SSLError) as error:
        raise _permanent(
            settings,
            _("cannot read the CA file {path}: {reason}").format(
                path=settings.cafile, reason=getattr(error, "strerror", None) or error
            ),
        ) from error


def _login(client: smtplib.SMTP, settings: SmtpSettings) -> str:
    """Log in; returns how: ``XOAUTH2``, ``OAUTHBEARER`` or the password mechanism."""
    where = _where(settings)
    if settings.oauth2 is not None:
        return _login_oauth2(client, settings, settings.oauth2)
    if settings.password is None:
        raise _permanent(
            settings,
            _("{server}: no password is set for {user}").format(server=where, user=settings.user),
        )
    if not client.has_extn("auth"):
        hint = (
            _("it may offer it after STARTTLS: set tls to starttls")
            if settings.tls == "none" and client.has_extn("starttls")
            else _("remove the user to send without login")
        )
        raise _permanent(
            settings,
            _("{server} does not offer a login (AUTH): {hint}").format(server=where, hint=hint),
        )
    offered = client.esmtp_features.get("auth", "").upper().split()
    if not {"PLAIN", "LOGIN", "CRAM-MD5"} & set(offered):
        raise _permanent(
            settings,
            _("{server} offers no login method tix can use (it offers {methods})").format(
                server=where, methods=" ".join(offered)
            ),
        )
    if (settings.user + settings.password).isascii():
        client.login(settings.user, settings.password)
        # smtplib tries these in this order (SMTP.login's preferred_auths).
        return next(m for m in ("CRAM-MD5", "PLAIN", "LOGIN") if m in offered)
    # smtplib of Python 3.11 encodes credentials as ASCII and fails on "Passwort-äöü";
    # PLAIN is UTF-8 by definition (RFC 4616) and servers read LOGIN the same way.
    if "PLAIN" in offered:
        code, reply = client.docmd(
            "AUTH", "PLAIN " + _base64(f"\0{settings.user}\0{settings.password}")
        )
    elif "LOGIN" in offered:
        code, reply = client.docmd("AUTH", "LOGIN " + _base64(settings.user))
        if code == 334:
            code, reply = client.docmd(_base64(settings.password))
    else:
        text = _("{server}: a login with non-ASCII characters needs AUTH PLAIN or LOGIN")
        raise _permanent(settings, text.format(server=where))
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)
    return "PLAIN" if "PLAIN" in offered else "LOGIN"


def _login_oauth2(client: smtplib.SMTP, settings: SmtpSettings, source: TokenSource) -> str:
    """SASL XOAUTH2 where offered, else OAUTHBEARER; a refused token is refreshed once."""
    where = _where(settings)
    offered = client.esmtp_features.get("auth", "").upper().split()
    if not client.has_extn("auth") or not {"XOAUTH2", "OAUTHBEARER"} & set(offered):
        raise _permanent(
            settings,
            _(
                "{server} offers no OAuth2 login (XOAUTH2 or OAUTHBEARER; it offers {methods}): "
                "use --auth password"
            ).format(server=where, methods=" ".join(offered) or "-"),
        )
    mechanism = "XOAUTH2" if "XOAUTH2" in offered else "OAUTHBEARER"
    user = settings.user
    for retry in (False, True):
        token = source(retry)
        if mechanism == "XOAUTH2":
            first = f"user={user}\1auth=Bearer {token}\1\1"
            after_error = ""
        else:
            identity = user.replace("=", "=3D").replace(",", "=2C")
            first = f"n,a={identity},\1auth=Bearer {token}\1\1"
            after_error = "\1"  # RFC 7628 3.2.3: the client's answer to an error challenge

        def answer(
            challenge: bytes | None = None, first: str = first, later: str = after_error
        ) -> str:
            return first if challenge is None else later

        try:
            client.auth(mechanism, answer, initial_response_ok=True)
            return mechanism
        except smtplib.SMTPAuthenticationError as error:
            if 400 <= error.smtp_code <= 499:
                raise  # the server cannot check logins now: a temporary failure
            if retry:
                raise _permanent(
                    settings,
                    _("{server}: login refused for {user}: {hint}").format(
                        server=where, user=user, hint=source.refused_hint()
                    ),
                    error.smtp_code,
                    needs_sign_in=True,
                ) from error
    raise AssertionError("unreachable")


def _base64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


@contextmanager
def _session(
    settings: SmtpSettings, *, logged_in: list[str] | None = None
) -> Iterator[smtplib.SMTP]:
    """A connected client: TLS as set, logged in when a user is set; QUIT at the end.

    Every failure inside, the caller's included, comes out as an SmtpError. A failing
    QUIT after a good transaction is ignored: the message was accepted.
    """
    if settings.tls not in TLS_MODES:
        raise _permanent(
            settings,
            _("{server}: unknown TLS setting {tls} (use ssl, starttls or none)").format(
                server=_where(settings), tls=settings.tls
            ),
        )
    context = _tls_context(settings) if settings.tls != "none" else None
    client: smtplib.SMTP | None = None
    try:
        if settings.tls == "ssl":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        client.ehlo_or_helo_if_needed()
        if settings.tls == "starttls":
            if not client.has_extn("starttls"):
                text = _("{server} does not offer STARTTLS: use ssl, or none on a trusted network")
                raise _permanent(settings, text.format(server=_where(settings)))
            client.starttls(context=context)
            client.ehlo()
        if settings.user:
            mechanism = _login(client, settings)
            if logged_in is not None:
                logged_in.append(mechanism)
        yield client
    except BaseException as error:
        if client is not None:
            client.close()
        failure = _failure(settings, error)
        if failure is None or failure is error:
            raise
        raise failure from error
    assert client is not None
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def _security(client: smtplib.SMTP, settings: SmtpSettings) -> str:
    version = client.sock.version() if isinstance(client.sock, ssl.SSLSocket) else None
    if settings.tls == "ssl":
        label = _("implicit TLS")
    elif settings.tls == "starttls":
        label = "STARTTLS"
    else:
        return _("no encryption")
    return f"{label} ({version})" if version else label


# --- the two operations -------------------------------------------------------------------


def check(settings: SmtpSettings) -> str:
    """Connect (TLS as set), log in when a user is set, NOOP, QUIT.

    Returns one line for people, e.g. ``smtp.example.com:587: STARTTLS (TLSv1.3), logged
    in as anna with password (PLAIN)``; raises `TemporaryFailure` or `PermanentFailure`
    like `send`.
    """
    logged_in: list[str] = []
    with _session(settings, logged_in=logged_in) as client:
        code, reply = client.noop()
        if code != 250:
            raise _by_code(
                settings,
                code,
                _("{server} answered {reply}").format(
                    server=_where(settings), reply=_reply(code, reply)
                ),
            )
        security = _security(client, settings)
    if settings.user:
        mechanism = logged_in[0] if logged_in else ""
        method = (
            mechanism
            if settings.oauth2 is not None
            else _("password ({mechanism})").format(mechanism=mechanism)
        )
        return _("{server}: {security}, logged in as {user} with {method}").format(
            server=_where(settings), security=security, user=settings.user, method=method
        )
    return _("{server}: {security}, no login").format(server=_where(settings), security=security)


def send(
    settings: SmtpSettings, *, envelope_from: str, recipients: Sequence[str], message: bytes
) -> SendResult:
    """Deliver `message` (bytes as `compose` makes them) to `recipients`.

    `envelope_from` may be ``""`` (the null sender, for bounces). Returns the recipients
    refused while others were accepted; raises `PermanentFailure` when the sender, every
    recipient (all with 5xx) or the message was refused, `TemporaryFailure` when trying
    again later may work.
    """
    where = _where(settings)
    originals: dict[str, str] = {}
    try:
        sender = envelope_address(envelope_from) if envelope_from.strip() else ""
        for address in recipients:
            if address.strip():
                originals.setdefault(envelope_address(address), address.strip())
    except Invalid as error:
        raise _permanent(settings, f"{where}: {error.message}") from error
    if not originals:
        raise _permanent(
            settings, _("{server}: the message has no recipients").format(server=where)
        )

    with _session(settings) as client:
        options: list[str] = []
        international = [a for a in (sender, *originals) if not a.isascii()]
        if international:
            if not client.has_extn("smtputf8"):
                raise _permanent(
                    settings,
                    _("{server} does not take the address {address}: it needs SMTPUTF8").format(
                        server=where, address=international[0]
                    ),
                )
            options.append("SMTPUTF8")
        if not message.isascii():
            if not client.has_extn("8bitmime"):
                raise _permanent(
                    settings,
                    _("{server} takes only 7-bit messages (no 8BITMIME)").format(server=where),
                )
            options.append("BODY=8BITMIME")
        limit = client.esmtp_features.get("size", "")
        if limit.isdigit() and 0 < int(limit) < len(message):
            raise _permanent(
                settings,
                _("{server} takes messages up to {limit} MB; this one has {size} MB").format(
                    server=where,
                    limit=f"{int(limit) / 1e6:.1f}",
                    size=f"{len(message) / 1e6:.1f}",
                ),
            )
        try:
            refused = client.sendmail(sender, list(originals), message, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            replies = {
                originals.get(address, address): _reply(code, text)
                for address, (code, text) in error.recipients.items()
            }
            codes = [code for code, _text in error.recipients.values()]
            if all(500 <= code <= 599 for code in codes):
                raise _permanent(
                    settings,
                    _("{server} refused every recipient: {recipients}").format(
                        server=where, recipients=_listed(replies)
                    ),
                    codes[0] if codes else None,
                ) from error
            raise _temporary(
                settings,
                _("{server} did not take the recipients for now: {recipients}").format(
                    server=where, recipients=_listed(replies)
                ),
                next((code for code in codes if not 500 <= code <= 599), None),
            ) from error
        except smtplib.SMTPSenderRefused as error:
            reply = _reply(error.smtp_code, error.smtp_error)
            if 500 <= error.smtp_code <= 599:
                text = _("{server} refused the mail from {address} ({reply})")
            else:
                text = _("{server} did not take the mail from {address} for now ({reply})")
            raise _by_code(
                settings,
                error.smtp_code,
                text.format(server=where, address=sender or "<>", reply=reply),
            ) from error
        except smtplib.SMTPDataError as error:
            reply = _reply(error.smtp_code, error.smtp_error)
            if 500 <= error.smtp_code <= 599:
                text = _("{server} refused the message ({reply})")
            else:
                text = _("{server} did not take the message for now ({reply})")
            raise _by_code(
                settings, error.smtp_code, text.format(server=where, reply=reply)
            ) from error

    result = SendResult()
    for address, (code, answer) in refused.items():
        bucket = result.refused if 500 <= code <= 599 else result.deferred
        bucket[originals.get(address, address)] = _reply(code, answer)
    return result
