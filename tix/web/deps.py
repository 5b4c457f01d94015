"""What the routes need, as FastAPI dependencies: the request's database session, the
settings, the client's address, the API key's agent, the portal's visitor and its CSRF
check. Routers take them from here and never import the app module (a test asserts it).

- ``SessionDep``: a session for the request, committed when the route returns; database
  errors leave it as the core's one-line TixErrors (:func:`tix.core.db.session_scope`).
- ``SettingsDep``: the settings the app was made with.
- ``AgentDep``: the user an API key (``Authorization: Bearer``) acts as.
- ``VisitorDep``: the customer logged in to the portal (else :class:`LoginRequired`).
- ``PreLoginForm`` / ``VisitorForm``: a portal post whose CSRF token was checked
  (the double-submit cookie before login, the login session's token after).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from tix.core import errors
from tix.core.config import Settings
from tix.core.db import database_error, session_scope
from tix.core.i18n import LANGUAGES, _, use_language
from tix.core.models import Contact, User
from tix.core.services.storage import human_size
from tix.web.uploads import FORM_SLACK, MAX_UPLOADS

STATUS = {
    errors.Invalid: 422,
    errors.NotFound: 404,
    errors.Forbidden: 403,
    errors.Conflict: 409,
    errors.Unavailable: 503,
    errors.NotInitialised: 503,
    errors.SchemaTooNew: 503,
}


def status_for(error: errors.TixError) -> int:
    """The HTTP status of a TixError."""
    for kind, code in STATUS.items():
        if isinstance(error, kind):
            return code
    return 400


def json_error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


# --- the request ------------------------------------------------------------------------


def session(request: Request) -> Iterator[Session]:
    """A read-write session for one request, committed when the route returns."""
    with session_scope(request.app.state.engine, write=request.method != "GET") as active:
        yield active


SessionDep = Annotated[Session, Depends(session, scope="function")]


def commit(active: Session) -> None:
    """Commit the request's work now, before the answer is read and built, so that the
    locks it took (the ticket counter's row, on PostgreSQL) are not held meanwhile;
    a database error leaves it as :func:`tix.core.db.session_scope` says it."""
    try:
        active.commit()
    except Exception as error:
        translated = database_error(error)
        if translated is not None:
            raise translated from error
        raise


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(settings_of)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# --- the API's agent ----------------------------------------------------------------------

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `tix apikey add`: `Authorization: Bearer tix_...`",
)


@dataclass(frozen=True)
class Agent:
    """The user an API key acts as, and what the key limits it to."""

    user: User
    key: str
    channels: frozenset[str] | None
    """Channel names the key may use; ``None``: every channel the user may."""
    zone: tzinfo

    def today(self) -> date:
        return datetime.now(self.zone).date()


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def current_agent(
    request: Request,
    active: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Agent:
    from tix.core.services import apikeys
    from tix.core.timeutil import zone

    if credentials is None:
        raise _unauthorized(
            _(
                "give an API key: Authorization: Bearer KEY (an admin makes one with "
                "`tix apikey add`)"
            )
        )
    found = apikeys.authenticate(active, credentials.credentials)
    if found is None:
        raise _unauthorized(_("the API key is unknown or revoked"))
    if request.method == "GET" and active.dirty:
        # The key's last use is recorded; a reading request does that in a short write
        # of its own, so that its own transaction stays a reader (SQLite).
        active.rollback()
        with session_scope(request.app.state.engine, write=True) as writer:
            apikeys.authenticate(writer, credentials.credentials)
    key, user = found
    where = zone(user.timezone or settings_of(request).timezone)
    return Agent(user, key.name, frozenset(key.channels) if key.channels else None, where)


AgentDep = Annotated[Agent, Depends(current_agent)]


# --- the portal's visitor -----------------------------------------------------------------

SESSION_COOKIE = "tix_session"
CSRF_COOKIE = "tix_csrf"
"""The double-submit token of the forms before login (login, reset, set password)."""
LANGUAGE_COOKIE = "tix_lang"


class LoginRequired(errors.TixError):
    """No valid portal session: a GET goes to the login page, anything else gets 401."""

    code = "login_required"


class TooLarge(errors.Invalid):
    """A post bigger than the portal reads at all (413)."""

    code = "too_large"


@dataclass(frozen=True)
class Visitor:
    """A logged-in customer in this request."""

    contact: Contact
    csrf: str
    language: str


def accepted_language(header: str) -> str | None:
    """The first of our languages in an Accept-Language header, by weight."""
    choices: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _semicolon, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        code = tag.strip().lower()[:2]
        if code in LANGUAGES and weight > 0:
            choices.append((-weight, index, code))
    return min(choices)[2] if choices else None


def language_for(request: Request, contact: Contact | None) -> str:
    """The language of a page: the choice made with the switch in this browser, else the
    contact's stored language, else the browser's Accept-Language, else English."""
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    stored = (contact.language if contact is not None else "")[:2].lower()
    if stored in LANGUAGES:
        return stored
    return accepted_language(request.headers.get("accept-language", "")) or "en"


def page_language(request: Request, contact: Contact | None = None) -> str:
    """:func:`language_for`, kept on the request for the page (and its error page)."""
    language = language_for(request, contact)
    request.state.language = language
    return language


async def posted_form(request: Request) -> FormData:
    """The posted form, refused unread when it is larger than the portal accepts."""
    limit = settings_of(request).max_file_size + FORM_SLACK
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > limit:
        with use_language(page_language(request)):
            raise TooLarge(
                _("The files are too large: together they may be at most {limit}.").format(
                    limit=human_size(settings_of(request).max_file_size)
                )
            )
    return await request.form(max_files=MAX_UPLOADS, max_fields=200)


def current_visitor(request: Request, db: Session = Depends(session)) -> Visitor:
    from tix.core.services import portal as portal_service

    token = request.cookies.get(SESSION_COOKIE, "")
    found = portal_service.current_session(db, token) if token else None
    language = page_language(request, found[1] if found else None)
    if found is None:
        with use_language(language):
            raise LoginRequired(_("Your session has ended. Please log in again."))
    portal_session, contact = found
    return Visitor(contact=contact, csrf=portal_session.csrf_token, language=language)


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


def check_token(given: object, expected: str | None) -> None:
    """Refuse a post whose CSRF token is not the expected one."""
    if (
        not isinstance(given, str)
        or not expected
        or not secrets.compare_digest(given.encode(), expected.encode())
    ):
        raise errors.Forbidden(
            _(
                "This form has expired or did not come from this site. Reload the page "
                "and send it again."
            )
        )


def pre_login_form(request: Request, form: FormData = Depends(posted_form)) -> FormData:
    """A post before login whose token matches the double-submit cookie."""
    with use_language(page_language(request)):
        check_token(form.get("csrf"), request.cookies.get(CSRF_COOKIE))
    return form


def visitor_form(
    form: FormData = Depends(posted_form), visitor: Visitor = Depends(current_visitor)
) -> FormData:
    """A logged-in customer's post whose token is the login session's."""
    with use_language(visitor.language):
        check_token(form.get("csrf"), visitor.csrf)
    return form


PreLoginForm = Annotated[FormData, Depends(pre_login_form)]
VisitorForm = Annotated[FormData, Depends(visitor_form)]
