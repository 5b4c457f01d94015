"""The customer portal (``/portal/``): customers log in, follow their tickets and open new
ones through the forms an admin gave the web channels.

Pages are plain HTML (Jinja2, autoescaped) that work without JavaScript; the strict CSP
of :mod:`tix.web.app` allows only this site's own style sheet. Every form carries a CSRF
token: the login session's for logged-in customers, a double-submit cookie for the forms
before login. A customer reaches only what :mod:`tix.core.services.portal` lets them see;
anything else is "not found", whether it exists or not.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from tix.core import errors, timeutil
from tix.core.i18n import LANGUAGES, _, ngettext, use_language
from tix.core.labels import status_label
from tix.core.models import Channel, Contact, TicketOrigin
from tix.core.services import forms, intake
from tix.core.services import portal as portal_service
from tix.core.services.storage import NewFile, human_size
from tix.web.deps import (
    CSRF_COOKIE,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    PreLoginForm,
    TooLarge,
    Visitor,
    VisitorForm,
    client_ip,
    current_visitor,
    session,
    settings_of,
)
from tix.web.deps import page_language as _language
from tix.web.uploads import UploadRefused, check_upload

log = logging.getLogger("tix.web.portal")

router = APIRouter(include_in_schema=False)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "portal"
STATIC = HERE / "static"

COOKIE_PATH = "/portal"

LOGIN_LIMIT = 10
LOGIN_WINDOW = timedelta(minutes=15)
RESET_LIMIT_ADDRESS = 5
RESET_LIMIT_IP = 20
RESET_WINDOW = timedelta(hours=1)

MAX_SUBJECT = 200
MAX_MESSAGE = 100_000
MAX_ID = 2**31 - 1
"""Numbers beyond the database's integers name nothing (and must not reach the query)."""

SAFE_INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)
"""Types a download keeps; anything else goes out as application/octet-stream."""


@dataclass
class Upload:
    """A file sent with a form: its safe name, bytes and checked type."""

    field: str
    name: str
    data: bytes
    content_type: str


@dataclass
class Problems:
    """What is wrong with a post, by input name (``""``: the whole form)."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


# --- templates, language, cookies ----------------------------------------------------------


@cache
def templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(_=_, ngettext=ngettext, status_label=status_label)
    environment.filters.update(when=when, sanitized=sanitized, size=human_size)
    return environment


def when(value: str | None) -> str:
    """An ISO 8601 time (already in the portal's zone) as people read it."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def sanitized(html: str | None) -> Markup:
    """Received HTML, cleaned again here before it is marked safe."""
    from tix.core.mail.html import sanitize_html  # nh3 and the cleaner: only ticket pages

    return Markup(sanitize_html(html or ""))  # sanitised right here


def _cookie(
    response: Response, request: Request, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
    )


def _forget(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.secure_cookies),
    )


def _render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    visitor: Visitor | None = None,
    **context: Any,
) -> HTMLResponse:
    language = getattr(request.state, "language", None) or _language(request)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    with use_language(language):
        html = (
            templates()
            .get_template(template)
            .render(
                request=request,
                visitor=visitor,
                lang=language,
                languages=[
                    (code, f"/portal/language/{code}?next={quote(path)}") for code in LANGUAGES
                ],
                **context,
            )
        )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, error: errors.TixError, status: int) -> Response:
    """A TixError on a portal path as a page (called by the app's error handler)."""
    if isinstance(error, LoginRequired):
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(
                f"/portal/login?next={quote(target)}", status_code=303
            )
        else:
            response = _render(request, "error.html", status=401, message=error.message, login=True)
        if SESSION_COOKIE in request.cookies:
            _forget(response, request, SESSION_COOKIE)
        return response
    if isinstance(error, TooLarge):
        status = 413
    return _render(request, "error.html", status=status, message=error.message)


def mount_static(app: FastAPI) -> None:
    app.mount("/portal/static", StaticFiles(directory=STATIC), name="portal-static")


# --- dependencies ------------------------------------------------------------------------


def _pre_login_token(request: Request) -> str:
    """The double-submit token for the forms before login (kept from the cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if 20 <= len(token) <= 100 and token.isascii() else secrets.token_urlsafe(24)


def _with_pre_login_token(request: Request, response: Response, token: str) -> Response:
    if request.cookies.get(CSRF_COOKIE) != token:
        _cookie(response, request, CSRF_COOKIE, token, max_age=None)
    return response


def _safe_next(value: object) -> str:
    """A place in the portal to go after login; anything else is the ticket list."""
    if not isinstance(value, str):
        return "/portal/"
    parts = urlsplit(value)
    if (
        parts.scheme
        or parts.netloc
        or not value.startswith("/portal/")
        or "\\" in value
        or "//" in value
        or "/." in value
        or "%2e" in value.lower()
        or any(ord(char) < 32 for char in value)
        or value.startswith(("/portal/static/", "/portal/language/", "/portal/logout"))
    ):
        return "/portal/"
    return value


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _start(request: Request, db: Session, contact: Contact, target: str) -> Response:
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        portal_service.end_session(db, old)
    token, _csrf = portal_service.start_session(db, contact)
    response = _redirect(target)
    lifetime = int(portal_service.SESSION_LIFETIME.total_seconds())
    _cookie(response, request, SESSION_COOKIE, token, max_age=lifetime)
    return response


# --- uploads ------------------------------------------------------------------------


def _uploads(form: FormData, names: list[str], max_size: int, problems: Problems) -> list[Upload]:
    """The files posted under ``names``, each checked by the upload policy
    (:func:`tix.web.uploads.check_upload`) and all together for size (problems by field)."""
    found: list[Upload] = []
    total = 0
    for name in names:
        for item in form.getlist(name):
            if not isinstance(item, UploadFile) or not item.filename:
                continue
            data = item.file.read()  # the whole post is at most max_file_size + FORM_SLACK
            if not data:
                continue
            try:
                checked = check_upload(item.filename, data, max_size)
            except UploadRefused as refused:
                problems.add(name, refused.message)
                continue
            total += len(data)
            if total > max_size:
                problems.add(
                    name,
                    _("The files are too large: together they may be at most {limit}.").format(
                        limit=human_size(max_size)
                    ),
                )
                continue
            found.append(Upload(name, checked.name, checked.data, checked.content_type))
    return found


def _new_files(uploads: list[Upload]) -> list[NewFile]:
    return [NewFile(u.name, u.data, content_type=u.content_type) for u in uploads]


# --- logging in and out ------------------------------------------------------------------


def _login_page(
    request: Request,
    *,
    email: str = "",
    next_url: str = "/portal/",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = _pre_login_token(request)
    response = _render(
        request,
        "login.html",
        status=status,
        csrf=token,
        email=email,
        next_url=next_url,
        error=error,
    )
    return _with_pre_login_token(request, response, token)


@router.get("/login")
def login_form(request: Request, db: Session = Depends(session)) -> Response:
    token = request.cookies.get(SESSION_COOKIE, "")
    found = portal_service.current_session(db, token) if token else None
    _language(request, found[1] if found else None)
    next_url = _safe_next(request.query_params.get("next"))
    if found is not None:
        return _redirect(next_url)
    return _login_page(request, next_url=next_url)


@router.post("/login")
def login(request: Request, form: PreLoginForm, db: Session = Depends(session)) -> Response:
    with use_language(_language(request)):
        address = _text(form, "email").strip()[:320]
        password = _text(form, "password")
        next_url = _safe_next(form.get("next"))
        keys = (
            f"portal-login-ip:{client_ip(request)}",
            portal_service.address_limit_key("portal-login-address", address),
        )
        if any(
            portal_service.too_many(db, key, limit=LOGIN_LIMIT, window=LOGIN_WINDOW) for key in keys
        ):
            return _login_page(
                request,
                email=address,
                next_url=next_url,
                status=429,
                error=_(
                    "Too many failed logins. Wait a quarter of an hour, or set a new "
                    "password with the link below."
                ),
            )
        contact = portal_service.authenticate(db, address=address, password=password)
        if contact is None:
            for key in keys:
                portal_service.count(db, key)
            return _login_page(
                request,
                email=address,
                next_url=next_url,
                status=401,
                error=_("The e-mail address or the password is not right."),
            )
        request.state.language = _language(request, contact)
        return _start(request, db, contact, next_url)


@router.post("/logout")
def logout(
    request: Request,
    form: VisitorForm,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        portal_service.end_session(db, request.cookies.get(SESSION_COOKIE, ""))
        response = _redirect("/portal/login")
        _forget(response, request, SESSION_COOKIE)
        return response


@router.get("/language/{code}")
def switch_language(code: str, request: Request) -> Response:
    """Remember a language for this browser (a preference: no token needed)."""
    if code not in LANGUAGES:
        with use_language(_language(request)):
            raise errors.NotFound(_("no such language"))
    response = _redirect(_safe_next(request.query_params.get("next")))
    _cookie(response, request, LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600)
    return response


# --- passwords ---------------------------------------------------------------------------


@router.get("/reset")
def reset_form(request: Request) -> Response:
    _language(request)
    token = _pre_login_token(request)
    response = _render(request, "reset.html", csrf=token, email="")
    return _with_pre_login_token(request, response, token)


@router.post("/reset")
def reset(request: Request, form: PreLoginForm, db: Session = Depends(session)) -> Response:
    with use_language(_language(request)):
        address = _text(form, "email").strip()[:320]
        if address:
            keys = (
                (f"portal-reset-ip:{client_ip(request)}", RESET_LIMIT_IP),
                (
                    portal_service.address_limit_key("portal-reset-address", address),
                    RESET_LIMIT_ADDRESS,
                ),
            )
            limited = any(
                portal_service.too_many(db, key, limit=limit, window=RESET_WINDOW)
                for key, limit in keys
            )
            if not limited:
                try:
                    portal_service.request_reset(
                        db, address=address, base_url=settings_of(request).portal_url
                    )
                except errors.TixError as error:
                    # The answer stays the same: it must not tell who has an account.
                    db.rollback()
                    log.warning("portal: no reset link sent: %s", error)
            for key, _limit in keys:
                portal_service.count(db, key)
        return _render(
            request,
            "message.html",
            title=_("Reset your password"),
            message=_(
                "If the address has an account, a link to set a new password is on its way. "
                "It works once, for two hours."
            ),
        )


def _password_page(
    request: Request, token: str, *, error: str | None = None, status: int = 200
) -> Response:
    csrf = _pre_login_token(request)
    response = _render(
        request,
        "password.html",
        status=status,
        csrf=csrf,
        token=token,
        error=error,
        min_length=portal_service.MIN_PASSWORD,
    )
    return _with_pre_login_token(request, response, csrf)


def _invalid_link(request: Request, error: errors.TixError) -> Response:
    return _render(
        request,
        "message.html",
        status=400,
        title=_("Set your password"),
        message=error.message,
        reset_link=True,
    )


@router.get("/password/{token}")
def password_form(token: str, request: Request, db: Session = Depends(session)) -> Response:
    with use_language(_language(request)):
        try:
            contact = portal_service.token_contact(db, token)
        except errors.Invalid as error:
            return _invalid_link(request, error)
        request.state.language = _language(request, contact)
        response = _password_page(request, token)
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


@router.post("/password/{token}")
def set_password(
    token: str,
    request: Request,
    form: PreLoginForm,
    db: Session = Depends(session),
) -> Response:
    with use_language(_language(request)):
        password = _text(form, "password")
        try:
            contact = portal_service.token_contact(db, token)
        except errors.Invalid as error:
            return _invalid_link(request, error)
        request.state.language = _language(request, contact)
        with use_language(request.state.language):
            if password != _text(form, "repeat"):
                return _password_page(
                    request, token, status=422, error=_("The two passwords are not the same.")
                )
            try:
                contact = portal_service.set_password_with_token(db, token=token, password=password)
            except errors.Invalid as error:
                db.rollback()
                return _password_page(request, token, status=422, error=error.message)
            return _start(request, db, contact, "/portal/")


# --- tickets ------------------------------------------------------------------------


def _zone(request: Request) -> tzinfo:
    return timeutil.zone(settings_of(request).timezone)


@router.get("/")
def ticket_list(
    request: Request,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        tickets = portal_service.my_tickets(db, visitor.contact, _zone(request))
        return _render(
            request,
            "tickets.html",
            visitor=visitor,
            tickets=tickets,
            organisation=visitor.contact.sees_organization
            and visitor.contact.organization_id is not None,
        )


def _channel_choice(db: Session, name: str | None) -> tuple[list[Channel], Channel | None]:
    channels = portal_service.portal_channels(db)
    if name:
        return channels, portal_service.web_channel(db, name)
    return channels, channels[0] if len(channels) == 1 else None


def _field_input(name: str) -> str:
    """Form fields get a prefix, so an admin's field can never clash with ours."""
    return f"field-{name}"


def _new_ticket_page(
    request: Request,
    visitor: Visitor,
    channels: list[Channel],
    channel: Channel | None,
    *,
    subject: str = "",
    message: str = "",
    values: Mapping[str, str] | None = None,
    problems: Problems | None = None,
    files_dropped: bool = False,
    status: int = 200,
) -> Response:
    return _render(
        request,
        "new_ticket.html",
        status=status,
        visitor=visitor,
        channels=channels,
        channel=channel,
        fields=(channel.form or []) if channel else [],
        field_input=_field_input,
        subject=subject,
        message=message,
        values=values or {},
        errors=problems.by_field if problems else {},
        files_dropped=files_dropped,
        max_size=human_size(settings_of(request).max_file_size),
    )


@router.get("/tickets/new")
def new_ticket_form(
    request: Request,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        channels, channel = _channel_choice(db, request.query_params.get("channel"))
        return _new_ticket_page(request, visitor, channels, channel)


def _required_text(
    problems: Problems, name: str, value: str, *, limit: int, one_line: bool = False
) -> str:
    """``value`` checked as a required text of at most ``limit`` characters."""
    if one_line:
        value = " ".join(value.split())
    if not value.strip():
        problems.add(name, _("is required"))
    elif len(value) > limit:
        problems.add(name, _("is too long: at most {limit} characters").format(limit=limit))
    return value


@dataclass
class NewTicketPost:
    """A posted new ticket, checked: what to store, or what to show again."""

    subject: str
    message: str
    entered: dict[str, str]
    """The form fields as typed (file fields aside), to fill the form in again."""
    values: dict[str, Any]
    """The form fields typed and checked by :func:`intake.check_form`."""
    uploads: list[Upload]
    problems: Problems


def _check_new_ticket(form: FormData, channel: Channel, max_size: int) -> NewTicketPost:
    problems = Problems()
    subject = _required_text(
        problems, "subject", _text(form, "subject"), limit=MAX_SUBJECT, one_line=True
    )
    message = _required_text(problems, "message", _text(form, "message"), limit=MAX_MESSAGE)
    fields = channel.form or []
    file_fields = [f["name"] for f in fields if f["type"] == "file"]
    uploads = _uploads(
        form, ["attachment", *(_field_input(name) for name in file_fields)], max_size, problems
    )
    entered = {
        f["name"]: _text(form, _field_input(f["name"])) for f in fields if f["type"] != "file"
    }
    sent_files = {
        name: next((u.name for u in uploads if u.field == _field_input(name)), "")
        for name in file_fields
    }
    values: dict[str, Any] = {}
    try:
        values = intake.check_form(channel, entered, files=sent_files)
    except forms.FormErrors as wrong:
        for name, text in wrong.errors.items():
            problems.add(_field_input(name), text)
    return NewTicketPost(subject, message, entered, values, uploads, problems)


@router.post("/tickets/new")
def new_ticket(
    request: Request,
    form: VisitorForm,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        channels, channel = _channel_choice(db, _text(form, "channel") or None)
        if channel is None:
            return _new_ticket_page(request, visitor, channels, None)
        max_size = settings_of(request).max_file_size
        post = _check_new_ticket(form, channel, max_size)
        if not post.problems:
            try:
                ticket = portal_service.open_ticket(
                    db,
                    visitor.contact,
                    channel=channel,
                    subject=post.subject,
                    body=post.message,
                    values=post.values,
                    origin=TicketOrigin.PORTAL,
                    attachments=_new_files(post.uploads),
                )
                return _redirect(f"/portal/tickets/{ticket.number}?sent=new")
            except errors.Invalid as error:
                db.rollback()
                post.problems.add("", error.message)
        return _new_ticket_page(
            request,
            visitor,
            channels,
            channel,
            subject=post.subject,
            message=post.message,
            values=post.entered,
            problems=post.problems,
            files_dropped=bool(post.uploads),
            status=422,
        )


def _ticket_number(number: str) -> int:
    """A ticket number from the path; anything else is "not found" like another's ticket.

    (The core's ``validation.ticket_number`` lets numbers beyond the integer columns
    through, which PostgreSQL refuses with an error instead of finding nothing.)
    """
    cleaned = number.strip().removeprefix("#")
    if not (cleaned.isascii() and cleaned.isdigit() and 0 < int(cleaned) <= MAX_ID):
        raise errors.NotFound(_("no ticket #{number} of yours").format(number=number))
    return int(cleaned)


def _form_details(db: Session, view: dict[str, Any], channel_id: int | None) -> list[Any]:
    """The form values of a ticket with the labels of its channel's form, when known."""
    values: dict[str, Any] = view.get("form_values") or {}
    if not values:
        return []
    labels: dict[str, str] = {}
    for channel in portal_service.portal_channels(db):
        if channel.id == channel_id:
            labels = {f["name"]: f["label"] for f in channel.form or []}
    return [(labels.get(name, name.replace("_", " ")), value) for name, value in values.items()]


def _ticket_page(
    request: Request,
    visitor: Visitor,
    db: Session,
    number: str,
    *,
    message: str = "",
    problems: Problems | None = None,
    status: int = 200,
) -> Response:
    ticket = portal_service.my_ticket(db, visitor.contact, _ticket_number(number))
    view = portal_service.ticket_view(db, visitor.contact, ticket, _zone(request))
    sent = request.query_params.get("sent")
    return _render(
        request,
        "ticket.html",
        status=status,
        visitor=visitor,
        ticket=view,
        details=_form_details(db, view, ticket.channel_id),
        sent=sent if sent in ("new", "reply") else None,
        message=message,
        errors=problems.by_field if problems else {},
        max_size=human_size(settings_of(request).max_file_size),
    )


@router.get("/tickets/{number}")
def ticket_page(
    number: str,
    request: Request,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        return _ticket_page(request, visitor, db, number)


@router.post("/tickets/{number}/reply")
def reply(
    number: str,
    request: Request,
    form: VisitorForm,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        ticket = portal_service.my_ticket(db, visitor.contact, _ticket_number(number))
        settings = settings_of(request)
        problems = Problems()
        message = _required_text(problems, "message", _text(form, "message"), limit=MAX_MESSAGE)
        uploads = _uploads(form, ["attachment"], settings.max_file_size, problems)
        if not problems:
            try:
                portal_service.reply(
                    db,
                    visitor.contact,
                    number=ticket.number,
                    body=message,
                    attachments=_new_files(uploads),
                )
            except errors.Invalid as error:
                db.rollback()
                problems.add("", error.message)
        if problems:
            return _ticket_page(
                request, visitor, db, number, message=message, problems=problems, status=422
            )
        return _redirect(f"/portal/tickets/{ticket.number}?sent=reply#latest")


def _attachment(name: str) -> str:
    """A Content-Disposition that makes browsers save the file under its (safe) name."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


@router.get("/tickets/{number}/files/{file_id}")
def download(
    number: str,
    file_id: str,
    visitor: Visitor = Depends(current_visitor),
    db: Session = Depends(session),
) -> Response:
    with use_language(visitor.language):
        ticket_number = _ticket_number(number)
        if not (file_id.isascii() and file_id.isdigit() and 0 < int(file_id) <= MAX_ID):
            raise errors.NotFound(_("no such file"))
        found, data = portal_service.my_file(db, visitor.contact, ticket_number, int(file_id))
        content_type = found.content_type.lower()
        if content_type not in SAFE_INLINE_TYPES:
            content_type = "application/octet-stream"
        return Response(
            data,
            media_type=content_type,
            headers={
                "Content-Disposition": _attachment(found.name),
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, no-store",
            },
        )
