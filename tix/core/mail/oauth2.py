"""OAuth2 sign-in for mail accounts: access tokens for IMAP and SMTP (SASL XOAUTH2 and
OAUTHBEARER).

An account gets its access tokens one of two ways:

- ``oauth2_token_cmd``: a command that prints a current access token (``oama``,
  ``mutt_oauth2.py``). tix runs it with a time limit, checks that it printed one token,
  and never shows what it printed.
- The built-in client: ``tix account oauth NAME`` runs the device authorization grant
  (RFC 8628) or, in a browser, the authorization-code grant for native apps (RFC 8252)
  with PKCE (RFC 7636) and a loopback redirect, against the account's provider (Google
  grants the mail scope only to the latter) and keeps the refresh token, never in the
  database: in a file only its owner may read (by default ``tix/oauth2/NAME.json`` in
  the user's config folder, or the file the admin names) or, read-only, in what a
  command the admin names prints. Access tokens are refreshed shortly before they
  expire, and once more when a server refuses one. They are cached in process memory
  and in the same private file, so that each CLI call does not refresh.

:func:`access_token` is the one entry point; :func:`token_source` wraps it for the IMAP
and SMTP code, which never sees the database.

The HTTP client is ``urllib.request`` and the loopback listener ``http.server``: a
device-flow, browser-flow and refresh client is about 300
lines, and no library (authlib, oauthlib, requests-oauthlib) ships one that is shorter
to use; so tix needs no extra dependency for it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import secrets
import shlex
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tix.core.errors import Invalid, Malformed, Unavailable
from tix.core.i18n import _
from tix.core.models import AuthMode, MailAccount

__all__ = [
    "PROVIDERS",
    "BrowserFlow",
    "DeviceCode",
    "Endpoints",
    "OAuth2Error",
    "TokenSource",
    "Tokens",
    "access_token",
    "default_token_path",
    "endpoints",
    "forget_cached",
    "poll_device_flow",
    "refresh",
    "run_token_command",
    "save_tokens",
    "start_browser_flow",
    "start_device_flow",
    "token_source",
    "wait_for_browser",
]

if TYPE_CHECKING:
    from http.server import HTTPServer

log = logging.getLogger("tix.mail")

COMMAND_TIMEOUT = 30.0
"""Seconds a token command (or refresh token command) may take before it is stopped."""
HTTP_TIMEOUT = 30.0
"""Seconds for each request to the provider."""
EXPIRY_MARGIN = 120.0
"""An access token is refreshed when it has less than this many seconds left."""
DEFAULT_LIFETIME = 3600.0
"""Assumed lifetime of an access token whose provider does not say (``expires_in``)."""
SLOW_DOWN_STEP = 5.0
"""Seconds added to the polling interval on each ``slow_down`` (RFC 8628 section 3.5)."""
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
BROWSER_TIMEOUT = 600.0
"""Seconds a browser sign-in may take before tix gives up waiting for it."""
FLOWS = ("device", "browser")

# RFC 6750 b64token: what a bearer token may consist of.
_TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


@dataclass(frozen=True)
class Provider:
    name: str
    device_url: str
    token_url: str
    authorize_url: str
    scopes: str
    needs_secret: bool = False
    """The provider wants a client secret even for installed apps (Google)."""


_MICROSOFT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/"
PROVIDERS: dict[str, Provider] = {
    "microsoft": Provider(
        name="microsoft",
        device_url=_MICROSOFT + "devicecode",
        token_url=_MICROSOFT + "token",
        authorize_url=_MICROSOFT + "authorize",
        scopes="https://outlook.office.com/IMAP.AccessAsUser.All "
        "https://outlook.office.com/SMTP.Send offline_access",
    ),
    "google": Provider(
        name="google",
        device_url="https://oauth2.googleapis.com/device/code",
        token_url="https://oauth2.googleapis.com/token",
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        scopes="https://mail.google.com/",
        needs_secret=True,
    ),
    "custom": Provider(name="custom", device_url="", token_url="", authorize_url="", scopes=""),
}
MICROSOFT_TENANT = "common"


class OAuth2Error(Unavailable):
    """Getting an access token failed; ``message`` is one line that never holds a secret."""

    def __init__(
        self, message: str, *, temporary: bool = False, needs_sign_in: bool = False
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        """The provider or the network failed: trying again later may work."""
        self.needs_sign_in = needs_sign_in
        """The refresh token is no longer good: only a new sign-in helps."""


@dataclass(frozen=True)
class Endpoints:
    """Where and as whom an account's tokens are fetched."""

    provider: str
    client_id: str
    client_secret: str | None
    device_url: str
    token_url: str
    scopes: str
    authorize_url: str = ""


@dataclass(frozen=True)
class DeviceCode:
    """The answer to a device authorization request (RFC 8628 section 3.2)."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


@dataclass
class Tokens:
    access_token: str
    expires_at: float
    """Unix time the access token expires."""
    refresh_token: str | None = None


# ---------------------------------------------------------------------------- settings


def endpoints(
    account: MailAccount,
    *,
    provider: str | None = None,
    client_id: str | None = None,
    client_secret_env: str | None = None,
    tenant: str | None = None,
    device_url: str | None = None,
    token_url: str | None = None,
    scopes: str | None = None,
    authorize_url: str | None = None,
    flow: str | None = None,
) -> Endpoints:
    """The account's endpoints, with any of its settings overridden by the arguments.

    ``flow``: the sign-in about to run (``device`` or ``browser``), whose URL must then be
    known too; ``None``: just refreshing, which needs only the token URL.
    Raises Invalid naming the missing or wrong setting and the option that fixes it.
    """
    name = account.name
    chosen = (provider if provider is not None else account.oauth2_provider).strip().lower()
    if not chosen:
        raise Invalid(
            _(
                "mail account {name} has no OAuth2 sign-in yet: run `tix account oauth {name} "
                "--provider microsoft|google|custom`, or give a token command with "
                "--oauth2-token-cmd"
            ).format(name=name)
        )
    known = PROVIDERS.get(chosen)
    if known is None:
        raise Malformed(
            _("unknown OAuth2 provider {provider!r}: use microsoft, google or custom").format(
                provider=chosen
            )
        )
    client = (client_id if client_id is not None else account.oauth2_client_id).strip()
    if not client:
        raise Invalid(
            _(
                "mail account {name}: no OAuth2 client id: give --client-id (the application "
                "id of your app registration, see the README)"
            ).format(name=name)
        )
    zone = (tenant if tenant is not None else account.oauth2_tenant).strip() or MICROSOFT_TENANT
    if not re.fullmatch(r"[A-Za-z0-9.\-]+", zone):
        raise Malformed(
            _("{tenant!r} is not a tenant: give a domain or a directory id").format(tenant=zone)
        )
    device = (device_url if device_url is not None else account.oauth2_device_url).strip()
    token = (token_url if token_url is not None else account.oauth2_token_url).strip()
    device = device or known.device_url.format(tenant=zone)
    token = token or known.token_url.format(tenant=zone)
    authorize = (
        authorize_url if authorize_url is not None else account.oauth2_authorize_url
    ).strip() or known.authorize_url.format(tenant=zone)
    flow_url = {"device": "--device-url", "browser": "--authorize-url"}.get(flow or "")
    for option, url in (
        ("--device-url", device),
        ("--authorize-url", authorize),
        ("--token-url", token),
    ):
        if not url:
            if option in ("--token-url", flow_url):
                raise Invalid(_("the custom provider needs {option} URL").format(option=option))
            continue
        if not re.match(r"https?://[^\s/]+", url) or any(c.isspace() for c in url):
            raise Malformed(
                _("{option}: {url!r} is not an http(s) URL").format(option=option, url=url)
            )
    wanted = (
        " ".join((scopes if scopes is not None else account.oauth2_scopes).split()) or known.scopes
    )
    if not wanted:
        raise Invalid(_("the custom provider needs --scopes (e.g. 'mail offline_access')"))
    secret_env = (
        client_secret_env if client_secret_env is not None else account.oauth2_client_secret_env
    ).strip()
    secret = None
    if secret_env:
        secret = os.environ.get(secret_env)
        if not secret:
            raise Invalid(
                _(
                    "mail account {name}: the variable {variable} is not set: export it with the "
                    "OAuth2 client secret"
                ).format(name=name, variable=secret_env)
            )
    elif known.needs_secret:
        raise Invalid(
            _(
                "the {provider} provider needs a client secret: put it in a variable and name "
                "it with --client-secret-env VAR"
            ).format(provider=chosen)
        )
    return Endpoints(
        provider=chosen,
        client_id=client,
        client_secret=secret,
        device_url=device,
        token_url=token,
        scopes=wanted,
        authorize_url=authorize,
    )


# ---------------------------------------------------------------------------- HTTP


def _post(url: str, form: Mapping[str, str], *, what: str) -> tuple[int, dict[str, Any]]:
    """POST ``form`` to ``url``; the HTTP status and the JSON object it answered.

    Network trouble is a temporary OAuth2Error; an answer that is not a JSON object is
    an OAuth2Error too. The answer's contents are never put in a message.
    """
    # urllib.request (http.client, email, ssl) costs ~22 ms: only sign-ins and refreshes pay.
    import urllib.error
    import urllib.parse
    import urllib.request

    data = urllib.parse.urlencode(dict(form)).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
            status, body = response.status, response.read(1_000_000)
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read(1_000_000)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, OSError) and reason.strerror:
            reason = reason.strerror
        raise OAuth2Error(
            _("{what}: cannot reach {url}: {reason}").format(what=what, url=url, reason=reason),
            temporary=True,
        ) from None
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = None
    if not isinstance(answer, dict):
        raise OAuth2Error(
            _("{what}: {url} answered HTTP {status} without a JSON object").format(
                what=what, url=url, status=status
            ),
            temporary=status >= 500,
        )
    return status, answer


def _error_text(answer: Mapping[str, Any]) -> str:
    """The provider's error code and the first line of its description (never a token)."""
    code = str(answer.get("error") or "error")[:60]
    description = str(answer.get("error_description") or "").strip().splitlines()
    first = description[0][:200] if description else ""
    return f"{code}: {first}" if first else code


def _form(point: Endpoints, **extra: str) -> dict[str, str]:
    form = {"client_id": point.client_id, **extra}
    if point.client_secret:
        form["client_secret"] = point.client_secret
    return form


def _tokens(answer: Mapping[str, Any], *, what: str, now: float) -> Tokens:
    token = answer.get("access_token")
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise OAuth2Error(_("{what}: the answer holds no usable access token").format(what=what))
    lifetime = answer.get("expires_in")
    try:
        seconds = float(lifetime) if lifetime is not None else DEFAULT_LIFETIME
    except (TypeError, ValueError):
        seconds = DEFAULT_LIFETIME
    refresh_token = answer.get("refresh_token")
    return Tokens(
        access_token=token,
        expires_at=now + seconds,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
    )


# ---------------------------------------------------------------------------- device flow


def start_device_flow(point: Endpoints) -> DeviceCode:
    """Ask for a device code (RFC 8628 section 3.1)."""
    what = _("sign-in")
    status, answer = _post(point.device_url, _form(point, scope=point.scopes), what=what)
    if status != 200 or "error" in answer:
        raise OAuth2Error(
            _("{what}: the provider refused the request ({error})").format(
                what=what, error=_error_text(answer)
            )
        )
    try:
        device_code = str(answer["device_code"])
        user_code = str(answer["user_code"])
        # Google says verification_url, RFC 8628 verification_uri.
        uri = str(answer.get("verification_uri") or answer["verification_url"])
        expires_in = float(answer.get("expires_in") or 900)
        interval = float(answer.get("interval") or 5)
    except (KeyError, TypeError, ValueError):
        raise OAuth2Error(
            _("{what}: the provider's answer lacks the device code or the address").format(
                what=what
            )
        ) from None
    complete = answer.get("verification_uri_complete")
    return DeviceCode(
        device_code=device_code,
        user_code=user_code,
        verification_uri=uri,
        verification_uri_complete=str(complete) if complete else None,
        expires_in=expires_in,
        interval=max(interval, 0.0),
    )


def poll_device_flow(
    point: Endpoints,
    device: DeviceCode,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Tokens:
    """Poll the token endpoint until the user has approved or denied, or the code expired.

    Handles ``authorization_pending`` (wait), ``slow_down`` (wait 5 s longer each time),
    ``expired_token`` and ``access_denied`` (RFC 8628 section 3.5).
    """
    what = _("sign-in")
    interval = device.interval
    deadline = clock() + device.expires_in
    while True:
        sleep(interval)
        now = clock()
        status, answer = _post(
            point.token_url,
            _form(point, grant_type=DEVICE_GRANT, device_code=device.device_code),
            what=what,
        )
        error = answer.get("error")
        if status == 200 and not error:
            tokens = _tokens(answer, what=what, now=now)
            if tokens.refresh_token is None:
                raise OAuth2Error(
                    _(
                        "{what}: the provider gave no refresh token: add the scope "
                        "offline_access (--scopes)"
                    ).format(what=what)
                )
            return tokens
        if error == "authorization_pending":
            pass
        elif error == "slow_down":
            interval += SLOW_DOWN_STEP
        elif error == "expired_token":
            raise OAuth2Error(
                _("{what}: the code expired before it was entered: run the command again").format(
                    what=what
                )
            )
        elif error in ("access_denied", "authorization_declined"):
            raise OAuth2Error(
                _("{what}: access was denied at the provider: nothing was changed").format(
                    what=what
                )
            )
        else:
            raise OAuth2Error(
                _("{what}: the provider refused ({error})").format(
                    what=what, error=_error_text(answer)
                )
            )
        if clock() + interval > deadline:
            raise OAuth2Error(
                _("{what}: the code expired before it was entered: run the command again").format(
                    what=what
                )
            )


# ---------------------------------------------------------------------------- browser flow


@dataclass
class _Reply:
    """What the browser that brought the redirect is told, once tix knows."""

    done: threading.Event = field(default_factory=threading.Event)
    text: str = ""


@dataclass(frozen=True)
class _Answer:
    """A redirect's parameters, from the loopback listener or pasted by the user."""

    query: Mapping[str, str]
    reply: _Reply | None = None


@dataclass
class BrowserFlow:
    """A browser sign-in (RFC 8252 with PKCE) waiting for its redirect: open ``url``.

    Close it (or use it as a context manager) to stop the loopback listener.
    """

    url: str
    """The authorization address the user opens in a browser."""
    redirect_uri: str
    state: str
    verifier: str
    """The PKCE code verifier (RFC 7636 section 4.1); only its hash leaves tix before the
    code is exchanged."""
    answers: queue.Queue[_Answer]
    server: HTTPServer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> BrowserFlow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _page(text: str) -> bytes:
    import html

    title = html.escape(_("tix sign-in"))
    return (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body><p>{html.escape(text)}</p></body></html>\n"
    ).encode()


def _listener(answers: queue.Queue[_Answer]) -> HTTPServer:
    """An HTTP server on 127.0.0.1 (a free port) that hands each redirect to ``answers``
    and answers the browser once the sign-in has finished."""
    # http.server (socketserver, http.client, email) costs ~15 ms: only sign-ins pay.
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        server_version = "tix"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the address holds the code: it goes into no log

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path != "/" or not ({"code", "error"} & query.keys()):
                self._send(404, _("This is not a tix sign-in address."))
                return
            reply = _Reply()
            answers.put(_Answer(query=query, reply=reply))
            reply.done.wait(HTTP_TIMEOUT + 10)
            self._send(200, reply.text or _("tix is still busy: see its terminal."))

        def _send(self, status: int, text: str) -> None:
            page = _page(text)
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(page)

    try:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    except OSError as error:
        raise OAuth2Error(
            _("sign-in: cannot listen on 127.0.0.1: {reason}").format(
                reason=error.strerror or error
            )
        ) from None
    server.daemon_threads = True
    server.block_on_close = False  # a browser that came too late does not hold up the end
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    ).start()
    return server


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start_browser_flow(point: Endpoints, *, login_hint: str = "") -> BrowserFlow:
    """Listen on a loopback port and build the authorization address for the browser
    (RFC 8252 section 7.3, PKCE with S256)."""
    import urllib.parse

    answers: queue.Queue[_Answer] = queue.Queue()
    server = _listener(answers)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 wants 43 to 128
    params = {
        "client_id": point.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": point.scopes,
        "state": state,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    if point.provider == "google":
        # Without these Google gives no refresh token (or none on a second sign-in).
        params.update(access_type="offline", prompt="consent")
    if login_hint:
        params["login_hint"] = login_hint
    separator = "&" if "?" in point.authorize_url else "?"
    url = point.authorize_url + separator + urllib.parse.urlencode(params)
    return BrowserFlow(
        url=url,
        redirect_uri=redirect_uri,
        state=state,
        verifier=verifier,
        answers=answers,
        server=server,
    )


def _read_pasted(stream: IO[str], answers: queue.Queue[_Answer], stop: threading.Event) -> None:
    """Hand every line typed or pasted on ``stream`` to ``answers`` until ``stop`` is set
    or the stream ends."""
    import select

    def hand_over(line: str) -> None:
        line = line.strip()
        if line:
            answers.put(_Answer(query=_pasted_query(line)))

    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):
        descriptor = -1
    if descriptor < 0:  # not a file (a test's StringIO): it never blocks
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                if stop.is_set():
                    return
                hand_over(line)
        return
    pending = b""
    while not stop.is_set():
        try:
            ready, _w, _x = select.select([descriptor], [], [], 0.2)
            if not ready:
                continue
            chunk = os.read(descriptor, 65536)
        except (OSError, ValueError):
            return
        if not chunk:
            hand_over(pending.decode("utf-8", "replace"))
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            hand_over(raw.decode("utf-8", "replace"))


def _pasted_query(line: str) -> dict[str, str]:
    """The parameters of a pasted address (or of just its query part)."""
    import urllib.parse

    text = line.strip().strip("<>\"'")
    query = urllib.parse.urlsplit(text).query if "?" in text else text
    try:
        return dict(urllib.parse.parse_qsl(query.split("#")[0]))
    except ValueError:
        return {}


def wait_for_browser(
    point: Endpoints,
    flow: BrowserFlow,
    *,
    paste: IO[str] | None = None,
    timeout: float | None = None,
) -> Tokens:
    """Wait for the redirect (at the listener, or an address pasted on ``paste``: whichever
    comes first), check it and exchange its code (with the PKCE verifier) for tokens.

    ``timeout``: seconds to wait (default :data:`BROWSER_TIMEOUT`)."""
    what = _("sign-in")
    if timeout is None:
        timeout = BROWSER_TIMEOUT
    stop = threading.Event()
    if paste is not None:
        threading.Thread(target=_read_pasted, args=(paste, flow.answers, stop), daemon=True).start()
    reply: _Reply | None = None
    try:
        try:
            answer = flow.answers.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise OAuth2Error(
                _(
                    "{what}: the browser brought no answer within {seconds:g} s: run the "
                    "command again"
                ).format(what=what, seconds=round(timeout, 1))
            ) from None
        reply = answer.reply
        try:
            tokens = _redeem(point, flow, answer.query, what=what)
        except OAuth2Error as error:
            if reply is not None:
                reply.text = _("tix could not sign in: {reason}").format(reason=error.message)
            raise
        if reply is not None:
            reply.text = _("tix is signed in, you may close this tab.")
        return tokens
    finally:
        stop.set()
        if reply is not None:
            reply.done.set()
        # Any other browser still waiting hears that this sign-in is over.
        while True:
            try:
                other = flow.answers.get_nowait().reply
            except queue.Empty:
                break
            if other is not None:
                other.text = _("This sign-in is over: see tix's terminal.")
                other.done.set()


def _redeem(point: Endpoints, flow: BrowserFlow, query: Mapping[str, str], *, what: str) -> Tokens:
    if "code" not in query and "error" not in query:
        raise OAuth2Error(
            _(
                "{what}: the pasted address holds no code: copy the whole address from the "
                "browser's address bar after signing in (it contains code=)"
            ).format(what=what)
        )
    if not secrets.compare_digest(query.get("state", "").encode(), flow.state.encode()):
        raise OAuth2Error(
            _(
                "{what}: the answer does not belong to this sign-in (its state differs): "
                "run the command again"
            ).format(what=what)
        )
    error = query.get("error")
    if error == "access_denied":
        raise OAuth2Error(
            _("{what}: access was denied at the provider: nothing was changed").format(what=what)
        )
    if error or not query.get("code"):
        raise OAuth2Error(
            _("{what}: the provider refused ({error})").format(what=what, error=_error_text(query))
        )
    now = time.time()
    status, answer = _post(
        point.token_url,
        _form(
            point,
            grant_type="authorization_code",
            code=query["code"],
            redirect_uri=flow.redirect_uri,
            code_verifier=flow.verifier,
        ),
        what=what,
    )
    if status != 200 or "error" in answer:
        raise OAuth2Error(
            _("{what}: the provider refused the code ({error})").format(
                what=what, error=_error_text(answer)
            )
        )
    tokens = _tokens(answer, what=what, now=now)
    if tokens.refresh_token is None:
        raise OAuth2Error(
            _(
                "{what}: the provider gave no refresh token: add the scope "
                "offline_access (--scopes)"
            ).format(what=what)
        )
    return tokens


def refresh(point: Endpoints, refresh_token: str, *, account: str) -> Tokens:
    """A new access token (and maybe a new refresh token) for ``refresh_token``."""
    what = _("mail account {name}").format(name=account)
    now = time.time()
    status, answer = _post(
        point.token_url,
        _form(point, grant_type="refresh_token", refresh_token=refresh_token, scope=point.scopes),
        what=what,
    )
    error = answer.get("error")
    if status == 200 and not error:
        return _tokens(answer, what=what, now=now)
    if error in ("invalid_grant", "interaction_required", "consent_required"):
        raise OAuth2Error(
            _(
                "{what}: the provider no longer accepts the refresh token ({error}): run "
                "`tix account oauth {name}` again"
            ).format(what=what, error=_error_text(answer), name=account),
            needs_sign_in=True,
        )
    raise OAuth2Error(
        _("{what}: refreshing the access token failed ({error})").format(
            what=what, error=_error_text(answer)
        ),
        temporary=status >= 500 or status == 429,
    )


# ---------------------------------------------------------------------------- commands


def run_token_command(command: str, *, what: str, timeout: float | None = None) -> str:
    """Run ``command`` and return the one token it printed; never shows that output."""
    limit = COMMAND_TIMEOUT if timeout is None else timeout
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise Invalid(
            _("{what}: the command cannot be parsed: {error}").format(what=what, error=error)
        ) from None
    if not argv:
        raise Invalid(_("{what}: the command is empty").format(what=what))
    try:
        result = subprocess.run(
            argv,
            capture_output=True,
            timeout=limit,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise OAuth2Error(
            _("{what}: the command did not finish within {seconds:g} s").format(
                what=what, seconds=limit
            ),
            temporary=True,
        ) from None
    except OSError as error:
        raise OAuth2Error(
            _("{what}: the command cannot be run: {reason}").format(
                what=what, reason=error.strerror or error
            )
        ) from None
    output = result.stdout.decode("utf-8", "replace")
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1].strip()[:160] if lines else ""
        # What it wrote to stdout could be a token: it never goes into the message.
        if reason and any(part and part in reason for part in output.split()):
            reason = ""
        text = _("{what}: the command exited with {code}").format(what=what, code=result.returncode)
        raise OAuth2Error(f"{text}: {reason}" if reason else text)
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if not lines:
        raise OAuth2Error(_("{what}: the command printed nothing").format(what=what))
    if len(lines) > 1 or not _TOKEN.match(lines[0]):
        raise OAuth2Error(
            _(
                "{what}: the command printed something that is not a token: it must print "
                "just the token, on one line"
            ).format(what=what)
        )
    return lines[0]


# ---------------------------------------------------------------------------- the store


def default_token_path(account_name: str) -> Path:
    """``<user config dir>/tix/oauth2/NAME.json`` (``TIX_CONFIG``'s folder when set)."""
    from tix.core.config import config_path

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", account_name)
    return config_path().parent / "oauth2" / f"{safe}.json"


def token_path(account: MailAccount) -> Path:
    """The file that keeps the account's refresh token (and caches access tokens)."""
    if account.oauth2_refresh_token_file:
        return Path(account.oauth2_refresh_token_file).expanduser()
    return default_token_path(account.name)


def _check_private(path: Path, *, what: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise OAuth2Error(
            _("{what}: cannot read {path}: {reason}").format(
                what=what, path=path, reason=error.strerror or error
            )
        ) from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise OAuth2Error(
            _(
                "{what}: {path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`"
            ).format(what=what, path=path, mode=stat.S_IMODE(info.st_mode))
        )


def _read_store(path: Path, *, what: str) -> tuple[dict[str, Any], bool]:
    """The file's contents and whether it is tix's JSON (else it held just a token)."""
    _check_private(path, what=what)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise OAuth2Error(
            _("{what}: cannot read {path}: {reason}").format(
                what=what, path=path, reason=error.strerror or error
            )
        ) from None
    except UnicodeDecodeError:
        raise OAuth2Error(
            _("{what}: {path} holds no refresh token: run `tix account oauth` again").format(
                what=what, path=path
            )
        ) from None
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise OAuth2Error(
                _("{what}: {path} is damaged: run `tix account oauth` again").format(
                    what=what, path=path
                )
            )
        return data, True
    if not stripped or len(stripped.split()) != 1:
        raise OAuth2Error(
            _("{what}: {path} holds no refresh token: run `tix account oauth` again").format(
                what=what, path=path
            )
        )
    return {"refresh_token": stripped}, False


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def save_tokens(path: Path, tokens: Tokens, *, plain: bool = False) -> None:
    """Keep ``tokens`` in ``path`` (mode 0600); ``plain``: just the refresh token, as the
    admin's own file had it."""
    if plain:
        if tokens.refresh_token:
            _write_private(path, tokens.refresh_token + "\n")
        return
    data: dict[str, Any] = {
        "access_token": tokens.access_token,
        "expires_at": tokens.expires_at,
    }
    if tokens.refresh_token:
        data["refresh_token"] = tokens.refresh_token
    _write_private(path, json.dumps(data, indent=2) + "\n")


def check_writable(path: Path, *, what: str) -> None:
    """Refuse, before a sign-in starts, a place the refresh token could not be kept."""
    folder = path.parent
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise Invalid(
            _("{what}: cannot write to {folder}: choose another --refresh-token-file").format(
                what=what, folder=folder
            )
        )
    if path.is_dir():
        raise Invalid(
            _("{what}: {path} is a folder: give a file as --refresh-token-file").format(
                what=what, path=path
            )
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise Invalid(
            _("{what}: cannot write to {path}: choose another --refresh-token-file").format(
                what=what, path=path
            )
        )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Only one process at a time refreshes the account's tokens (a provider that hands out
    a new refresh token with each refresh would refuse the loser's old one)."""
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = open(path.with_name(f".{path.name}.lock"), "a")  # noqa: SIM115
    except OSError:
        yield  # a read-only folder: no lock, the refresh still works
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------- access tokens

_memory: dict[tuple[str, str], Tokens] = {}
_memory_lock = threading.Lock()


def forget_cached(account_name: str | None = None) -> None:
    """Drop the access tokens this process keeps (all, or one account's)."""
    with _memory_lock:
        for key in list(_memory):
            if account_name is None or key[0] == account_name:
                del _memory[key]


def _fresh(tokens: Tokens | None, now: float) -> bool:
    return tokens is not None and tokens.expires_at - EXPIRY_MARGIN > now


def access_token(
    account: MailAccount,
    *,
    force_refresh: bool = False,
    command_timeout: float | None = None,
) -> str:
    """A current access token for ``account`` (``auth`` = ``oauth2``).

    From its token command, else from the cache while it has over two minutes left,
    else refreshed with the kept refresh token. ``force_refresh``: the server refused
    the last token, get a new one whatever its expiry says.
    """
    what = _("mail account {name}").format(name=account.name)
    if account.oauth2_token_cmd:
        return run_token_command(
            account.oauth2_token_cmd,
            what=_("mail account {name}: the token command").format(name=account.name),
            timeout=command_timeout,
        )
    point = endpoints(account)
    path = token_path(account)
    key = (account.name, f"{point.token_url} {point.client_id} {path}")
    now = time.time()
    with _memory_lock:
        cached = _memory.get(key)
    if not force_refresh and _fresh(cached, now):
        assert cached is not None
        return cached.access_token
    with _locked(path):
        stored: dict[str, Any] = {}
        plain = False
        if account.oauth2_refresh_token_cmd:
            refresh_token = run_token_command(
                account.oauth2_refresh_token_cmd,
                what=_("mail account {name}: the refresh token command").format(name=account.name),
                timeout=command_timeout,
            )
            if path.exists():
                with contextlib.suppress(OAuth2Error):
                    stored, _json = _read_store(path, what=what)
        else:
            try:
                stored, is_json = _read_store(path, what=what)
            except FileNotFoundError:
                raise OAuth2Error(
                    _(
                        "{what}: no refresh token in {path}: sign in with `tix account oauth "
                        "{name}`"
                    ).format(what=what, path=path, name=account.name),
                    needs_sign_in=True,
                ) from None
            plain = not is_json
            refresh_token = str(stored.get("refresh_token") or "")
            if not refresh_token:
                raise OAuth2Error(
                    _(
                        "{what}: {path} holds no refresh token: run `tix account oauth` again"
                    ).format(what=what, path=path),
                    needs_sign_in=True,
                )
        # Another process may have refreshed meanwhile: its token is as good as a new
        # one. Not when the server just refused a token: then only a refresh helps.
        if not force_refresh and "access_token" in stored:
            try:
                from_file = Tokens(
                    access_token=str(stored["access_token"]),
                    expires_at=float(stored.get("expires_at") or 0),
                )
            except (TypeError, ValueError):
                from_file = None
            if from_file is not None and _fresh(from_file, now):
                with _memory_lock:
                    _memory[key] = from_file
                return from_file.access_token
        tokens = refresh(point, refresh_token, account=account.name)
        kept = Tokens(
            access_token=tokens.access_token,
            expires_at=tokens.expires_at,
            refresh_token=tokens.refresh_token or refresh_token,
        )
        if account.oauth2_refresh_token_cmd:
            # The refresh token lives elsewhere (read-only): cache just the access token.
            kept.refresh_token = None
            plain = False
        try:
            save_tokens(path, kept, plain=plain)
        except OSError as error:
            # The access token works all the same; but a provider that hands out a new
            # refresh token with each refresh needs the new one kept: say so.
            if kept.refresh_token not in (None, refresh_token):
                log.warning(
                    "%s: cannot keep the new refresh token in %s: %s",
                    what,
                    path,
                    error.strerror or error,
                )
    with _memory_lock:
        _memory[key] = kept
    return kept.access_token


def store_signed_in(account: MailAccount, tokens: Tokens, *, path: Path | None = None) -> Path:
    """Keep the tokens a sign-in gave for ``account``; returns the file."""
    target = path or token_path(account)
    save_tokens(target, tokens)
    forget_cached(account.name)
    return target


# ---------------------------------------------------------------------------- for IMAP/SMTP


@dataclass(frozen=True)
class TokenSource:
    """What the IMAP and SMTP code calls for a token: ``source(force_refresh)``."""

    fetch: Callable[[bool], str]
    account: str
    from_command: bool
    """Tokens come from the admin's token command (a refused one: fix the command)."""

    def __call__(self, force_refresh: bool = False) -> str:
        return self.fetch(force_refresh)

    def refused_hint(self) -> str:
        """What to do when the server refuses a fresh token."""
        if self.from_command:
            return _(
                "the token was refused by the server: check that the token command gives a "
                "token for this mailbox (and its scopes)"
            )
        return _(
            "the token was refused by the server: run `tix account oauth {name}` again"
        ).format(name=self.account)


def token_source(account: MailAccount) -> TokenSource | None:
    """The account's token source; ``None`` for password accounts."""
    if account.auth != AuthMode.OAUTH2:
        return None
    snapshot = MailAccount.model_validate(account.model_dump())

    def fetch(force_refresh: bool) -> str:
        return access_token(snapshot, force_refresh=force_refresh)

    return TokenSource(
        fetch=fetch, account=account.name, from_command=bool(account.oauth2_token_cmd)
    )
