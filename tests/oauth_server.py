"""A small, real OAuth2 authorization server for the tests (stdlib HTTP, in-process).

It speaks what tix and Dovecot need, over real HTTP on 127.0.0.1:

- `POST /device`: device authorization (RFC 8628 §3.1);
- `GET /authorize`: the authorization-code grant for native apps (RFC 6749 §4.1, RFC 8252)
  with PKCE (RFC 7636, S256 only) and a loopback `redirect_uri`;
- `POST /token`: the device-code grant (RFC 8628 §3.4, §3.5), the authorization-code grant
  (checking code, client, redirect_uri and the PKCE verifier) and the refresh-token grant
  (RFC 6749 §6), with error answers shaped as in RFC 6749 §5.2;
- `POST /introspect`: token introspection (RFC 7662), which Dovecot's oauth2 passdb calls;
- `GET /verify`, `GET /authorize`: tiny HTML pages where a person would sign in.

Nobody signs in here: a test plays the person with `approve()` or `deny()` (device flow),
`approve_next_authorization()` or `deny_next_authorization()` (browser), and can hand
out tokens directly with `issue()`. Every control method is thread-safe, so a test can
approve from its own thread while the code under test polls.

One server serves the whole test session (the `oauth_server` fixture); `reset()`, called
before every test, forgets device flows, counters and recorded requests and restores the
settings the server was made with, so a test sees only its own traffic.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from tests.servers import HOST, ServerError, register_live, unregister_live

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
"""RFC 8628 §6.1: consonants only, so no code spells a word and none is mistyped."""
POLL_SLACK = 0.01
"""Seconds a poll may come early and still count as waiting the interval (clock jitter)."""


class OAuthError(Exception):
    """An error answer: `error` and `error_description` as JSON, with an HTTP status."""

    def __init__(self, error: str, description: str, status: int = HTTPStatus.BAD_REQUEST):
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


@dataclass
class DeviceFlow:
    """One device authorization, from `POST /device` until its code is used or dies."""

    device_code: str
    user_code: str
    client_id: str
    scope: str
    expires_at: float
    """`time.monotonic()` after which the codes are expired."""
    interval: float
    state: str = "pending"
    """pending, approved, denied, expired or used."""
    username: str | None = None
    last_poll: float | None = None
    forced_slow_downs: int = 0


@dataclass
class AuthorizationCode:
    """A code `GET /authorize` handed out, until `POST /token` redeems it (once)."""

    client_id: str
    redirect_uri: str
    code_challenge: str
    scope: str
    username: str
    expires_at: float
    """`time.monotonic()` after which the code is no longer accepted."""
    used: bool = False


@dataclass
class AccessToken:
    username: str
    scope: str
    client_id: str | None
    expires_at: float
    """`time.monotonic()` after which the token is no longer accepted."""
    issued_at: float = field(default_factory=time.time)
    lifetime: float = 0.0


@dataclass
class RefreshToken:
    username: str
    scope: str
    client_id: str | None
    """The client the token was issued to; None (from `issue()`) lets any client use it."""
    revoked: bool = False


class OAuthServer:
    """An OAuth2 authorization server on 127.0.0.1 (a free port) in a daemon thread.

    - `client_secret`: when given, `POST /token` requires it (form field or HTTP Basic)
      and answers 401 `invalid_client` without it; otherwise clients are public.
    - `device_expires_in`, `device_interval`: seconds (floats allowed) for new device
      flows; polls faster than the interval get `slow_down`.
    - `access_lifetime`: seconds new access tokens from `/token` live.
    - `rotate_refresh_tokens`: a refresh grant also returns a new refresh token, and the
      old one stops working.

    Counters: `device_requests`, `token_requests` (every `POST /token`, polls included),
    `refresh_requests` (refresh grants), `introspections`. `requests` records each
    POST as (path, form fields), `authorizations` the parameters of each `GET /authorize`.
    """

    host = HOST

    def __init__(
        self,
        *,
        client_secret: str | None = None,
        device_expires_in: float = 600,
        device_interval: float = 1,
        access_lifetime: float = 3600,
        rotate_refresh_tokens: bool = False,
    ) -> None:
        self._defaults: dict[str, Any] = {
            "client_secret": client_secret,
            "device_expires_in": device_expires_in,
            "device_interval": device_interval,
            "access_lifetime": access_lifetime,
            "rotate_refresh_tokens": rotate_refresh_tokens,
        }
        self.client_secret = client_secret
        self.device_expires_in = device_expires_in
        self.device_interval = device_interval
        self.access_lifetime = access_lifetime
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.port = 0
        self.device_requests = 0
        self.token_requests = 0
        self.refresh_requests = 0
        self.introspections = 0
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.authorizations: list[dict[str, str]] = []
        self._lock = threading.Condition()
        self._flows: dict[str, DeviceFlow] = {}  # by device code
        self._unclaimed: collections.deque[str] = collections.deque()  # user codes
        self._decisions: collections.deque[str | None] = collections.deque()  # username or deny
        self._codes: dict[str, AuthorizationCode] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise ServerError("the OAuth server is not running")
        return f"http://{HOST}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + "/token"

    @property
    def device_url(self) -> str:
        return self.url + "/device"

    @property
    def authorize_url(self) -> str:
        return self.url + "/authorize"

    @property
    def introspect_url(self) -> str:
        return self.url + "/introspect"

    @property
    def verify_url(self) -> str:
        return self.url + "/verify"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        if self._httpd is not None:
            raise ServerError("the OAuth server is already running")
        httpd = ThreadingHTTPServer((HOST, 0), _Handler)
        httpd.daemon_threads = True
        httpd.oauth = self  # type: ignore[attr-defined]  # read by _Handler
        self.port = int(httpd.server_address[1])
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        register_live(self)
        return self

    def stop(self) -> None:
        """Stop serving and close the port. Safe to call twice."""
        unregister_live(self)
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reset(self) -> None:
        """Forget device flows, counters and requests; restore the settings made at start.

        Issued access and refresh tokens stay valid.
        """
        with self._lock:
            for name, value in self._defaults.items():
                setattr(self, name, value)
            self._flows.clear()
            self._unclaimed.clear()
            self._decisions.clear()
            self._codes.clear()
            self.device_requests = self.token_requests = 0
            self.refresh_requests = self.introspections = 0
            self.requests = []
            self.authorizations = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ test controls

    def approve(self, user_code: str, username: str) -> None:
        """The person behind `user_code` signs in as `username` and allows access.

        Raises KeyError for an unknown code, ValueError when the flow is no longer pending
        (denied, expired or used); a flow that ran out of time just stays expired.
        """
        with self._lock:
            flow = self._pending_flow(user_code)
            flow.state, flow.username = "approved", username

    def deny(self, user_code: str) -> None:
        """The person declines: the next poll gets `access_denied`."""
        with self._lock:
            self._pending_flow(user_code).state = "denied"

    def expire(self, user_code: str) -> None:
        """The codes expire now: the next poll gets `expired_token`."""
        with self._lock:
            self._flow_by_user_code(user_code).state = "expired"

    def slow_down_next(self, user_code: str) -> None:
        """The next poll for this flow gets `slow_down`, however slow it was."""
        with self._lock:
            self._flow_by_user_code(user_code).forced_slow_downs += 1

    def pending_user_codes(self) -> list[str]:
        """User codes of the flows that wait for approval, oldest first."""
        now = time.monotonic()
        with self._lock:
            return [
                flow.user_code
                for flow in self._flows.values()
                if flow.state == "pending" and now < flow.expires_at
            ]

    def wait_for_device_request(self, timeout: float = 10.0) -> str:
        """Wait until a device flow is started and return its user code.

        Each flow is returned once, oldest first, also when it started before this call.
        """
        with self._lock:
            if not self._lock.wait_for(lambda: bool(self._unclaimed), timeout):
                raise TimeoutError(f"no device authorization request within {timeout} s")
            return self._unclaimed.popleft()

    def approve_next_authorization(self, username: str) -> None:
        """The next `GET /authorize` signs in as `username`, allows access and redirects
        with a code (as the person at the browser would); until then it shows a page."""
        with self._lock:
            self._decisions.append(username)

    def deny_next_authorization(self) -> None:
        """The next `GET /authorize` redirects with `error=access_denied`."""
        with self._lock:
            self._decisions.append(None)

    def issue(self, username: str, *, lifetime: float = 3600, scope: str = "") -> tuple[str, str]:
        """An access token (living `lifetime` seconds) and a refresh token for `username`."""
        with self._lock:
            access = self._new_access(username, scope, None, lifetime)
            refresh = self._new_refresh(username, scope, None)
            return access, refresh

    def revoke_refresh(self, refresh_token: str) -> None:
        """The refresh token stops working (as after a password change or admin action)."""
        with self._lock:
            self._refresh_token(refresh_token).revoked = True

    def expire_access(self, access_token: str) -> None:
        """The access token expires now."""
        with self._lock:
            token = self._access.get(access_token)
            if token is None:
                raise KeyError("unknown access token")
            token.expires_at = time.monotonic()

    def is_valid(self, access_token: str) -> str | None:
        """The user of a live access token, else None."""
        with self._lock:
            token = self._access.get(access_token)
            if token is None or time.monotonic() >= token.expires_at:
                return None
            return token.username

    # ------------------------------------------------------------------ endpoints

    def handle_device(self, form: dict[str, str]) -> dict[str, Any]:
        client_id = _required(form, "client_id")
        with self._lock:
            self.device_requests += 1
            user_code = self._new_user_code()
            flow = DeviceFlow(
                device_code=secrets.token_urlsafe(24),
                user_code=user_code,
                client_id=client_id,
                scope=form.get("scope", ""),
                expires_at=time.monotonic() + self.device_expires_in,
                interval=self.device_interval,
            )
            self._flows[flow.device_code] = flow
            self._unclaimed.append(user_code)
            self._lock.notify_all()
            return {
                "device_code": flow.device_code,
                "user_code": user_code,
                "verification_uri": self.verify_url,
                "verification_uri_complete": f"{self.verify_url}?user_code={user_code}",
                "expires_in": self.device_expires_in,
                "interval": self.device_interval,
            }

    def handle_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        with self._lock:
            self.token_requests += 1
            client_id = self._authenticate_client(form, basic)
            grant_type = _required(form, "grant_type")
            if grant_type == DEVICE_CODE_GRANT:
                return self._device_code_grant(form, client_id)
            if grant_type == "authorization_code":
                return self._authorization_code_grant(form, client_id)
            if grant_type == "refresh_token":
                self.refresh_requests += 1
                return self._refresh_grant(form, client_id)
            raise OAuthError(
                "unsupported_grant_type", f"grant_type {grant_type!r} is not supported here"
            )

    def handle_authorize(self, query: dict[str, str]) -> str | None:
        """The address to redirect the browser to, or None to show the sign-in page.

        Raises OAuthError for a request that must not be redirected (RFC 6749 §4.1.2.1: an
        unknown client or a redirect_uri that is not a loopback address).
        """
        client_id = _required(query, "client_id")
        redirect_uri = _required(query, "redirect_uri")
        target = urllib.parse.urlsplit(redirect_uri)
        if target.scheme != "http" or target.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise OAuthError("invalid_request", "redirect_uri must be a loopback http address")
        with self._lock:
            self.authorizations.append(dict(query))
            state = query.get("state")
            problem = None
            if query.get("response_type") != "code":
                problem = ("unsupported_response_type", "response_type must be code")
            elif query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
                problem = ("invalid_request", "PKCE with code_challenge_method S256 is required")
            if problem is None and not self._decisions:
                return None  # the person has not decided yet: the page stays
            if problem is None:
                username = self._decisions.popleft()
                if username is None:
                    problem = ("access_denied", "the user declined the request")
            params: dict[str, str]
            if problem is not None:
                params = {"error": problem[0], "error_description": problem[1]}
            else:
                assert username is not None
                code = "ac-" + secrets.token_urlsafe(24)
                self._codes[code] = AuthorizationCode(
                    client_id=client_id,
                    redirect_uri=redirect_uri,
                    code_challenge=query["code_challenge"],
                    scope=query.get("scope", ""),
                    username=username,
                    expires_at=time.monotonic() + 600,
                )
                params = {"code": code}
            if state is not None:
                params["state"] = state
            separator = "&" if target.query else "?"
            return redirect_uri + separator + urllib.parse.urlencode(params)

    def handle_introspect(self, form: dict[str, str]) -> dict[str, Any]:
        token = _required(form, "token")
        with self._lock:
            self.introspections += 1
            access = self._access.get(token)
            now = time.monotonic()
            if access is None or now >= access.expires_at:
                return {"active": False}
            answer: dict[str, Any] = {
                "active": True,
                "username": access.username,
                "token_type": "Bearer",
                "exp": int(time.time() + (access.expires_at - now)),
                "iat": int(access.issued_at),
            }
            if access.scope:
                answer["scope"] = access.scope
            if access.client_id:
                answer["client_id"] = access.client_id
            return answer

    def record(self, path: str, form: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((path, dict(form)))

    # ------------------------------------------------------------------ internals

    def _authenticate_client(self, form: dict[str, str], basic: tuple[str, str] | None) -> str:
        """The client id of the request; checks the secret when the server has one."""
        secret: str | None
        if basic is not None:
            client_id, secret = basic
            if form.get("client_id", client_id) != client_id:
                raise OAuthError("invalid_request", "two different client ids were sent")
        else:
            client_id, secret = _required(form, "client_id"), form.get("client_secret")
        if self.client_secret is not None:
            if secret is None:
                raise OAuthError(
                    "invalid_client", "client_secret is missing", HTTPStatus.UNAUTHORIZED
                )
            if not secrets.compare_digest(secret, self.client_secret):
                raise OAuthError(
                    "invalid_client", "client_secret is wrong", HTTPStatus.UNAUTHORIZED
                )
        return client_id

    def _device_code_grant(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        flow = self._flows.get(_required(form, "device_code"))
        if flow is None or flow.client_id != client_id:
            raise OAuthError("invalid_grant", "the device code is unknown")
        now = time.monotonic()
        last_poll, flow.last_poll = flow.last_poll, now
        if flow.state == "used":
            raise OAuthError("invalid_grant", "the device code was already used")
        if flow.state == "expired" or now >= flow.expires_at:
            flow.state = "expired"
            raise OAuthError("expired_token", "the device code has expired; start again")
        if flow.state == "denied":
            raise OAuthError("access_denied", "the user declined the request")
        if flow.forced_slow_downs:
            flow.forced_slow_downs -= 1
            raise OAuthError("slow_down", "polled too often; wait longer between polls")
        if last_poll is not None and now - last_poll + POLL_SLACK < flow.interval:
            raise OAuthError("slow_down", "polled too often; wait longer between polls")
        if flow.state == "pending":
            raise OAuthError("authorization_pending", "the user has not signed in yet")
        assert flow.username is not None  # approved
        flow.state = "used"
        return self._token_answer(flow.username, flow.scope, client_id, new_refresh=True)

    def _authorization_code_grant(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        code = self._codes.get(_required(form, "code"))
        if code is None or code.used or time.monotonic() >= code.expires_at:
            raise OAuthError("invalid_grant", "the code is unknown, used or expired")
        code.used = True  # once, also when this attempt fails (RFC 6749 §4.1.2)
        if code.client_id != client_id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization's")
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, code.code_challenge):
            raise OAuthError("invalid_grant", "the PKCE code_verifier does not match")
        return self._token_answer(code.username, code.scope, client_id, new_refresh=True)

    def _refresh_grant(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        refresh_token = _required(form, "refresh_token")
        token = self._refresh.get(refresh_token)
        if token is None or token.revoked:
            raise OAuthError("invalid_grant", "the refresh token is unknown or was revoked")
        if token.client_id is not None and token.client_id != client_id:
            raise OAuthError("invalid_grant", "the refresh token was issued to another client")
        if self.rotate_refresh_tokens:
            token.revoked = True
        # RFC 6749 §6: a server that keeps the refresh token need not send it again.
        return self._token_answer(
            token.username, token.scope, token.client_id, new_refresh=self.rotate_refresh_tokens
        )

    def _token_answer(
        self, username: str, scope: str, client_id: str | None, *, new_refresh: bool
    ) -> dict[str, Any]:
        lifetime = self.access_lifetime
        answer: dict[str, Any] = {
            "access_token": self._new_access(username, scope, client_id, lifetime),
            "token_type": "Bearer",
            "expires_in": int(lifetime) if float(lifetime).is_integer() else lifetime,
            "scope": scope,
        }
        if new_refresh:
            answer["refresh_token"] = self._new_refresh(username, scope, client_id)
        return answer

    def _new_access(self, username: str, scope: str, client_id: str | None, lifetime: float) -> str:
        token = "at-" + secrets.token_urlsafe(24)
        self._access[token] = AccessToken(
            username, scope, client_id, time.monotonic() + lifetime, lifetime=lifetime
        )
        return token

    def _new_refresh(self, username: str, scope: str, client_id: str | None) -> str:
        token = "rt-" + secrets.token_urlsafe(24)
        self._refresh[token] = RefreshToken(username, scope, client_id)
        return token

    def _new_user_code(self) -> str:
        taken = {flow.user_code for flow in self._flows.values()}
        while True:
            letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
            code = f"{letters[:4]}-{letters[4:]}"
            if code not in taken:
                return code

    def _flow_by_user_code(self, user_code: str) -> DeviceFlow:
        wanted = _normalize_user_code(user_code)
        for flow in self._flows.values():
            if _normalize_user_code(flow.user_code) == wanted:
                return flow
        raise KeyError(f"no device flow with user code {user_code!r}")

    def _pending_flow(self, user_code: str) -> DeviceFlow:
        flow = self._flow_by_user_code(user_code)
        if flow.state != "pending":
            raise ValueError(f"the device flow {user_code} is {flow.state}, not pending")
        return flow

    def _refresh_token(self, refresh_token: str) -> RefreshToken:
        token = self._refresh.get(refresh_token)
        if token is None:
            raise KeyError("unknown refresh token")
        return token


def _normalize_user_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())


def _required(form: dict[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise OAuthError("invalid_request", f"the parameter {name} is missing")
    return value


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    server_version = "tix-test-oauth/1"
    protocol_version = "HTTP/1.1"

    @property
    def oauth(self) -> OAuthServer:
        return self.server.oauth  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test output is no place for an access log (or tokens in URLs)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/verify":
            code = html.escape(query.get("user_code", ""))
            text = f"Code: <b id=user-code>{code}</b>" if code else "Enter the code shown."
            self._send_html(_PAGE.format(title="Sign in to your device", text=text))
        elif url.path == "/authorize":
            try:
                location = self.oauth.handle_authorize(query)
            except OAuthError as error:
                text = html.escape(f"{error.error}: {error.description}")
                self._send_html(_PAGE.format(title="Sign-in error", text=text), error.status)
                return
            if location is not None:
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            client = html.escape(query.get("client_id", ""))
            self._send_html(_PAGE.format(title="Sign in", text=f"Client: {client}"))
        else:
            self._send_json({"error": "not_found"}, HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            form = self._read_form()
            self.oauth.record(path, form)
            if path == "/device":
                answer = self.oauth.handle_device(form)
            elif path == "/token":
                answer = self.oauth.handle_token(form, self._basic_credentials())
            elif path == "/introspect":
                answer = self.oauth.handle_introspect(form)
            else:
                self._send_json({"error": "not_found"}, HTTPStatus.NOT_FOUND)
                return
        except OAuthError as error:
            body = {"error": error.error, "error_description": error.description}
            headers = {}
            if error.status == HTTPStatus.UNAUTHORIZED:
                headers["WWW-Authenticate"] = 'Basic realm="tix-test"'
            self._send_json(body, error.status, headers)
            return
        self._send_json(answer)

    def _read_form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        content_type = self.headers.get_content_type()
        if body and content_type != "application/x-www-form-urlencoded":
            raise OAuthError(
                "invalid_request", f"send application/x-www-form-urlencoded, not {content_type}"
            )
        pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
        form: dict[str, str] = {}
        for name, value in pairs:
            if name in form:  # RFC 6749 §3.1: parameters must not be repeated
                raise OAuthError("invalid_request", f"the parameter {name} is repeated")
            form[name] = value
        return form

    def _basic_credentials(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            client_id, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(
                "invalid_client", "the Basic credentials are garbled", HTTPStatus.UNAUTHORIZED
            ) from None
        return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)

    def _send_json(
        self,
        body: dict[str, Any],
        status: int = HTTPStatus.OK,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(ConnectionError):
            self.wfile.write(data)

    def _send_html(self, page: str, status: int = HTTPStatus.OK) -> None:
        data = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(ConnectionError):
            self.wfile.write(data)
