"""The web form: ``POST /form/CHANNEL`` from the company's own web site.

A visitor's post opens a ticket in CHANNEL with them as the contact (made if new), the
channel's form values checked, and the channel's acknowledgement queued. The channel
must take tickets from the web (``tix channel set CHANNEL --web``); ``tix webform
snippet CHANNEL`` prints a form to paste.

Requests: form-encoded, multipart (when the form has file fields) or JSON, with
``name``, ``email``, ``subject``, ``message`` and the form's fields. ``website`` is a
honeypot: filled in, the post pretends to succeed and stores nothing.

Answers: JSON requests get JSON (201 ``{"received": true, "number": N}``; errors
``{"error": {"code", "message", "fields"?}}``); form posts are redirected (303) to a
thank-you page, or get an error page. Both pages have the portal's look and speak the
form's language (its hidden ``form_language`` field), else the browser's
(Accept-Language), else the channel's; they name fields by their labels and tell the
visitor only what the visitor can act on (not which channels exist or what an admin
must set).

Cross-origin: browsers send ``Origin`` with every post. A post from a site not in the
channel's allowed origins (``tix channel set CHANNEL --allowed-origin URL``; tix's own
address is always allowed) is refused with 403; allowed sites get the CORS headers
(the ``Origin`` echoed, never ``*``) and their preflight ``OPTIONS`` is answered.

Limits:
  body          1 MB; with files, 1 MB more than ``TIX_MAX_FILE_SIZE`` (413)
  files         each at most ``TIX_MAX_FILE_SIZE`` (413); images, PDF, text and office
                documents, checked by name and content (415)
  rate          counted in the database, so they hold across processes and restarts (429):
                ``TIX_WEBFORM_PER_IP``       posts from one IP address per 10 minutes [10]
                ``TIX_WEBFORM_PER_ADDRESS``  posts from one e-mail address per hour [5]
                (read on each request; a value that is not a positive number is ignored)
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from tix.core import errors
from tix.core.db import session_scope
from tix.core.i18n import _, normal_language, use_language
from tix.core.models import Channel, TicketOrigin
from tix.core.services.forms import FormErrors
from tix.web.api import ERROR_CODES, read_limited_body, storable, validation_problems
from tix.web.deps import accepted_language, client_ip, settings_of, status_for
from tix.web.uploads import UploadRefused, check_upload

MAX_BODY = 1024 * 1024
"""Largest post without files (bytes)."""
MAX_FILES = 10
MAX_FIELDS = 100
MAX_MESSAGE = 50_000
HONEYPOT = "website"
DEFAULT_PER_IP = 10
IP_WINDOW = timedelta(minutes=10)
DEFAULT_PER_ADDRESS = 5
ADDRESS_WINDOW = timedelta(hours=1)


class Refused(Exception):
    """A post that is answered with an error; nothing of it is stored."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = ERROR_CODES.get(status, "error")
        self.message = message
        self.fields = fields or {}
        self.headers = dict(headers or {})
        self.labels = dict(labels or {})
        """The fields' labels by name, for the page."""


def _wants_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").lower()
    if "json" in content_type.split(";")[0]:
        return True
    accept = request.headers.get("accept", "").lower()
    return "application/json" in accept and "text/html" not in accept


def _cors(request: Request) -> dict[str, str]:
    origin: str | None = getattr(request.state, "cors_origin", None)
    if origin is None:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


SHOWN_TO_VISITORS = {413, 415, 422, 429}
"""Refusals whose message the visitor can act on (too large, wrong file, a field to
correct, try later); other messages speak of channels and settings, for admins."""


def _browser_language(request: Request) -> str | None:
    return accepted_language(request.headers.get("accept-language", ""))


def _page_language(request: Request) -> str:
    return getattr(request.state, "page_language", None) or _browser_language(request) or "en"


def _page(request: Request, status: int, **values: Any) -> HTMLResponse:
    """An answer page in the portal's look, in the page's language."""
    from tix.web.portal import templates

    language = _page_language(request)
    with use_language(language):
        html = (
            templates()
            .get_template("webform.html")
            .render(lang=language, root=request.scope.get("root_path", ""), **values)
        )
    return HTMLResponse(html, status_code=status)


def _refusal(request: Request, refusal: Refused) -> Response:
    headers = {**refusal.headers, **_cors(request)}
    if _wants_json(request):
        extra: dict[str, Any] = {"fields": refusal.fields} if refusal.fields else {}
        return JSONResponse(
            {"error": {"code": refusal.code, "message": refusal.message, **extra}},
            status_code=refusal.status,
            headers=headers,
        )
    with use_language(_page_language(request)):
        if refusal.status in SHOWN_TO_VISITORS:
            message = refusal.message
            hint = _("Go back, correct the form and send it again.")
        elif refusal.status >= 500:
            message = _("Your request could not be stored just now: please send it again later.")
            hint = ""
        else:
            message = _(
                "This form cannot take requests at the moment: please write to us by e-mail."
            )
            hint = ""
        problems = [
            (refusal.labels.get(name, name), problem) for name, problem in refusal.fields.items()
        ]
        response = _page(
            request,
            refusal.status,
            title=_("Your request was not sent"),
            refused=True,
            message=message,
            problems=problems,
            hint=hint,
            back="",
        )
    response.headers.update(headers)
    return response


class WebFormRoute(APIRoute):
    """Limits the body and answers every refusal as JSON or as a page, as asked."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            with use_language(_page_language(request)):
                return await answer(request)

        async def answer(request: Request) -> Response:
            try:
                limit = MAX_BODY
                if request.headers.get("content-type", "").lower().startswith("multipart/"):
                    limit += settings_of(request).max_file_size
                if not await read_limited_body(request, limit):
                    raise Refused(
                        413,
                        _("the request is too large: at most {limit} bytes").format(limit=limit),
                    )
                return await handler(request)
            except Refused as refusal:
                return _refusal(request, refusal)
            except FormErrors as problem:
                return _refusal(request, Refused(422, problem.message, fields=problem.errors))
            except errors.TixError as error:
                return _refusal(request, Refused(status_for(error), error.message))
            except RequestValidationError as error:
                message, fields = validation_problems(error)
                return _refusal(request, Refused(422, message, fields=fields))
            except HTTPException as error:
                return _refusal(
                    request, Refused(error.status_code, str(error.detail), headers=error.headers)
                )

        return guarded


router = APIRouter(route_class=WebFormRoute, include_in_schema=False)
ChannelPath = Annotated[str, Path(min_length=1, max_length=100)]


# --- reading a post ------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    content_type: str


@dataclass
class Submission:
    """What a visitor sent: the values by name, and the files by field."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)


async def read_submission(request: Request) -> Submission:
    """The post's values, from form-encoded, multipart or JSON bodies."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as error:
            raise Refused(
                422, _("the request body is not valid JSON: {reason}").format(reason=error)
            ) from None
        if not isinstance(data, dict):
            raise Refused(422, _("send the form's fields as one JSON object"))
        return Submission(values=data)
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise Refused(
            415,
            _(
                "send the form as application/x-www-form-urlencoded, multipart/form-data "
                "or application/json"
            ),
        )
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_BODY)
    try:
        submission = Submission()
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if value.filename and name not in submission.files:
                    submission.files[name] = Upload(
                        value.filename, data, value.content_type or "application/octet-stream"
                    )
            else:
                submission.values.setdefault(name, value)
        return submission
    finally:
        await form.close()


# --- checking it -----------------------------------------------------------------------------


def _limit(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _check_origin(request: Request, channel: Channel) -> None:
    """Refuse a post from a web site the channel does not allow."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser, or an old one: nothing to check
    own = {_origin_of(settings_of(request).portal_url), _origin_of(str(request.base_url))}
    if origin.lower() in own:
        return
    if origin not in (channel.allowed_origins or []):
        raise Refused(403, _not_allowed(origin, channel))
    request.state.cors_origin = origin


def _not_allowed(origin: str, channel: Channel) -> str:
    return _(
        "the web site {origin} may not post to channel {channel}: an admin allows it with "
        "`tix channel set {channel} --allowed-origin {origin}`"
    ).format(origin=origin, channel=channel.name)


def _text(values: Mapping[str, Any], name: str, problems: dict[str, str], limit: int) -> str:
    value = values.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems[name] = _("is required")
        return ""
    if not isinstance(value, str) or not _storable(value):
        problems[name] = _("must be a text")
        return ""
    if len(value) > limit:
        problems[name] = _("is too long: at most {limit} characters").format(limit=limit)
    return value


def _storable(value: str) -> bool:
    try:
        storable(value)
    except ValueError:
        return False
    return True


def _form_values(values: Mapping[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    """The values a form field may take: texts, numbers and true/false."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        scalar = isinstance(value, bool | int | float) or value is None
        if scalar or (isinstance(value, str) and _storable(value)):
            clean[name] = value
        else:
            problems[name] = _("must be a text")
    return clean


def _check_file(sent: Upload, max_size: int) -> Upload:
    """The upload as the upload policy takes it (:func:`tix.web.uploads.check_upload`):
    a safe name and the type its extension and content agree on; else 413 or 415."""
    try:
        checked = check_upload(sent.name, sent.data, max_size)
    except UploadRefused as refused:
        raise Refused(413 if refused.too_large else 415, refused.message) from None
    return Upload(checked.name, checked.data, checked.content_type)


def _too_many(message: str, window: timedelta) -> Refused:
    return Refused(429, message, headers={"Retry-After": str(int(window.total_seconds()))})


def _accept(session: Session, request: Request, channel: Channel, sent: Submission) -> int | None:
    """Open the ticket; its number (``None`` for a robot caught by the honeypot)."""
    from tix.core import validation
    from tix.core.services import intake, portal
    from tix.core.services.storage import NewFile
    from tix.web.snippet import standard_labels

    settings = settings_of(request)
    _check_origin(request, channel)
    ip_key = f"webform:ip:{client_ip(request)}"
    if portal.too_many(
        session, ip_key, limit=_limit("TIX_WEBFORM_PER_IP", DEFAULT_PER_IP), window=IP_WINDOW
    ):
        raise _too_many(
            _("too many requests from your network: try again in a few minutes"), IP_WINDOW
        )
    trap = sent.values.get(HONEYPOT)
    if trap not in (None, "", False):
        portal.count(session, ip_key)
        return None
    problems: dict[str, str] = {}
    visitor = _text(sent.values, "name", problems, 200)
    address = _text(sent.values, "email", problems, 254)
    subject = _text(sent.values, "subject", problems, 500)
    message = _text(sent.values, "message", problems, MAX_MESSAGE)
    if "email" not in problems:
        try:
            address = validation.email_address(address)
        except errors.Invalid as error:
            problems["email"] = error.message
    form = channel.form or []
    file_fields = {f["name"] for f in form if f["type"] == "file"}
    uploads = {
        field_name: _check_file(upload, settings.max_file_size)
        for field_name, upload in sent.files.items()
        if field_name in file_fields
    }
    values = _form_values(
        {k: v for k, v in sent.values.items() if k in {f["name"] for f in form}}, problems
    )
    try:
        checked = intake.check_form(
            channel, values, files={k: upload.name for k, upload in uploads.items()}
        )
    except FormErrors as wrong:
        problems.update({k: v for k, v in wrong.errors.items() if k not in problems})
        checked = {}
    if problems:
        labels = {**standard_labels(), **{f["name"]: f["label"] for f in form}}
        first, problem = next(iter(problems.items()))
        raise Refused(422, f"{labels.get(first, first)}: {problem}", fields=problems, labels=labels)
    address_key = portal.address_limit_key("webform:address", address)
    if portal.too_many(
        session,
        address_key,
        limit=_limit("TIX_WEBFORM_PER_ADDRESS", DEFAULT_PER_ADDRESS),
        window=ADDRESS_WINDOW,
    ):
        raise _too_many(
            _("too many requests from {address}: try again in an hour").format(address=address),
            ADDRESS_WINDOW,
        )
    contact = portal.contact_for_web(session, address=address, name=visitor)
    ticket = portal.open_ticket(
        session,
        contact,
        channel=channel,
        subject=subject,
        body=message,
        values=checked,
        origin=TicketOrigin.WEBFORM,
        attachments=[NewFile(u.name, u.data, u.content_type) for u in uploads.values()],
    )
    portal.count(session, ip_key)
    portal.count(session, address_key)
    return ticket.number


# --- routes ------------------------------------------------------------------------------------


@router.post("/{channel}")
def submit(
    request: Request, channel: ChannelPath, sent: Annotated[Submission, Depends(read_submission)]
) -> Response:
    from tix.core.services import portal
    from tix.web.snippet import LANGUAGE_FIELD, channel_language

    form_language = sent.values.get(LANGUAGE_FIELD)
    with session_scope(request.app.state.engine, write=True) as session:
        found = portal.web_channel(session, channel)
        language = (
            (normal_language(form_language) if isinstance(form_language, str) else None)
            or _browser_language(request)
            or channel_language(session, found)
            or "en"
        )
        request.state.page_language = language
        with use_language(language):
            number = _accept(session, request, found, sent)
    if _wants_json(request):
        return JSONResponse(
            {"received": True, "number": number}, status_code=201, headers=_cors(request)
        )
    thanks = request.scope.get("root_path", "") + str(
        request.app.url_path_for("webform_thanks", channel=channel)
    )
    thanks += (f"?ticket={number}&" if number is not None else "?") + f"lang={language}"
    return RedirectResponse(thanks, status_code=303, headers=_cors(request))


@router.options("/{channel}")
def preflight(request: Request, channel: ChannelPath) -> Response:
    """The browser's question before a cross-origin JSON post: allowed sites only."""
    from tix.core.services import portal

    origin = request.headers.get("origin")
    with session_scope(request.app.state.engine) as session:
        found = portal.web_channel(session, channel)
        allowed = found.allowed_origins or []
        if origin is None or origin not in allowed:
            raise Refused(403, _not_allowed(origin or "null", found))
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Accept",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


@router.get("/{channel}/thanks", name="webform_thanks")
def thanks(
    request: Request,
    channel: ChannelPath,
    ticket: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    lang: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Where a form post lands: a thank-you page in the form's language (a link back if
    the browser says from where)."""
    request.state.page_language = normal_language(lang or "") or _browser_language(request)
    with use_language(_page_language(request)):
        message = (
            _("We received your request as ticket #{number} and will answer by e-mail.").format(
                number=ticket
            )
            if ticket is not None
            else _("We received your request and will answer by e-mail.")
        )
        referer = request.headers.get("referer", "")
        back = referer if urlsplit(referer).scheme in ("http", "https") else ""
        return _page(request, 200, title=_("Thank you"), refused=False, message=message, back=back)
