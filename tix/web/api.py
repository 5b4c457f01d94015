"""The REST API under ``/api/v1/`` (OpenAPI at ``/api/v1/docs``).

Authentication: ``Authorization: Bearer KEY`` with a key from ``tix apikey add``. The
key acts as its agent, whose access rules apply; a key made with ``--channel`` works
only there: a ticket in another channel is not found (404), opening a ticket in or
moving one to another channel is forbidden (403).

Answers are JSON in the shapes of the CLI's ``--json`` (:mod:`tix.core.read_models`). Errors
are ``{"error": {"code", "message"}}`` with a 4xx status; bad input is 422 (with
``fields`` when a channel's form or the request's own fields are wrong), a stale
``version`` 409, a body over 1 MB 413. Lists are objects (``{"tickets": [...],
"next_cursor": ...}``); pass ``next_cursor`` back as ``cursor`` for the next page.

    POST   /tickets                      open a ticket for a customer in a channel
    GET    /tickets                      list (status, channel, owner, mine, search, ...)
    GET    /tickets/{number}             the whole ticket
    PATCH  /tickets/{number}             change fields (``version`` guards against
                                         overwriting someone else's change)
    POST   /tickets/{number}/replies     reply (mailed to the customer)
    POST   /tickets/{number}/notes       internal note
    POST   /tickets/{number}/times       book time
    GET    /contacts   POST /contacts    customers and suppliers
    GET    /times                        booked time with its total
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlmodel import Session
from starlette.exceptions import HTTPException

from tix.core.errors import Forbidden, Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import Channel, Ticket, TicketOrigin
from tix.core.read_models import (
    ActivityResult,
    BookedTime,
    ContactList,
    ContactRow,
    ContactWithAddresses,
    TicketDetail,
    TicketPage,
    TimeList,
    TimeRow,
)
from tix.web.deps import Agent, AgentDep, SessionDep, commit, json_error

MAX_BODY = 1024 * 1024
"""Largest request body the API reads (bytes); bigger ones get 413."""
MAX_TEXT = 100_000
"""Longest message, reply or note (characters)."""
MAX_INT = 2**31 - 1
"""Numbers beyond what the database's integer columns hold are refused up front."""
MAX_LIST = 20
"""Most categories, copies ... one request may name."""

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_requests",
}


# --- input that the database can hold ---------------------------------------------------


def storable(value: str) -> str:
    """Refuse text no database stores faithfully: NUL characters, lone surrogates."""
    if "\x00" in value:
        raise ValueError(_("must not contain NUL characters"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(_("must be valid Unicode text")) from None
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(storable)]
ShortName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(storable)]
Subject = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(storable)]
Address = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(storable)]
Login = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(storable)]
Body = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), AfterValidator(storable)]
Word = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(storable)]
"""A duration or a day as people type them (``1h30m``, ``yesterday``)."""
Status = Literal["new", "open", "waiting", "solved", "closed"]
Color = Literal["red", "orange", "yellow", "green", "blue", "purple", "gray", "none"]
FormValue = Annotated[str, Field(max_length=10_000), AfterValidator(storable)] | int | float | bool


# --- errors in tix's shape ---------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorBody(BaseModel):
    """Every error: a code for programs and a message for people."""

    error: ErrorDetail


async def read_limited_body(request: Request, limit: int) -> bool:
    """Read the body into ``request`` (later reads get it from there); ``False`` when it
    is larger than ``limit`` bytes, without reading the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return False
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return False
        chunks.append(chunk)
    request._body = b"".join(chunks)
    return True


def validation_problems(error: RequestValidationError) -> tuple[str, dict[str, str]]:
    """One message for people and the problems by field, from FastAPI's error list."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ())]
        if problem.get("type") == "json_invalid":
            reason = (problem.get("ctx") or {}).get("error", "")
            return (
                _("the request body is not valid JSON: {reason}").format(reason=reason),
                {},
            )
        if location and location[0] in ("body", "query", "path", "header"):
            location = location[1:]
        field = ".".join(location) or "body"
        fields.setdefault(field, str(problem.get("msg", "is not valid")))
    if fields == {"body": "Field required"}:
        return _("the request needs a JSON body"), {}
    message = "; ".join(f"{field}: {text}" for field, text in itertools.islice(fields.items(), 5))
    return message, fields


def _is_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _query_names(dependant: Any) -> dict[str, bool]:
    """The query parameters a route takes, and whether each may be repeated."""
    names = {
        param.alias: _repeatable(param.field_info.annotation) for param in dependant.query_params
    }
    for sub in dependant.dependencies:
        names.update(_query_names(sub))
    return names


def _repeatable(annotation: Any) -> bool:
    choices = get_args(annotation) if get_origin(annotation) in (Union, UnionType) else ()
    return any(
        get_origin(choice) in (list, tuple, set) or choice in (list, tuple, set)
        for choice in choices or (annotation,)
    )


class ApiRoute(APIRoute):
    """A route that refuses unknown query parameters, limits the body, and gives the
    framework's errors (validation, missing key) tix's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        parameters = _query_names(self.dependant)
        known = sorted(parameters)

        async def guarded(request: Request) -> Response:
            given = request.query_params
            unknown = sorted(set(given) - set(known))
            if unknown:  # a misspelt filter must not silently list everything
                return json_error(
                    422,
                    "invalid",
                    _("unknown parameter {name!r}: use {names}").format(
                        name=unknown[0], names=", ".join(known) or "none"
                    ),
                )
            twice = sorted(n for n in set(given) if not parameters[n] and len(given.getlist(n)) > 1)
            if twice:
                return json_error(422, "invalid", _("give {name} only once").format(name=twice[0]))
            if not await read_limited_body(request, MAX_BODY):
                return json_error(
                    413,
                    "too_large",
                    _("the request is too large: at most {limit} bytes").format(limit=MAX_BODY),
                )
            if _is_json(request) and not _is_utf8(await request.body()):
                return json_error(
                    422,
                    "invalid",
                    _("the request body is not valid JSON: {reason}").format(
                        reason="not UTF-8 text"
                    ),
                )
            try:
                return await handler(request)
            except RequestValidationError as error:
                message, fields = validation_problems(error)
                extra = {"fields": fields} if fields else {}
                return json_error(422, "invalid", message, **extra)
            except HTTPException as error:
                response = json_error(
                    error.status_code, ERROR_CODES.get(error.status_code, "error"), error.detail
                )
                response.headers.update(error.headers or {})
                return response

        return guarded


router = APIRouter(
    route_class=ApiRoute,
    responses={
        "4XX": {"model": ErrorBody, "description": "The request was refused; the body says why."}
    },
)


# --- who is asking: tix.web.deps (SessionDep, AgentDep) -----------------------------

NumberPath = Annotated[int, Path(ge=1, le=MAX_INT, description="The ticket number.")]


def _ticket(active: Session, who: Agent, number: int) -> Ticket:
    from tix.core.permissions import require_see
    from tix.core.services import tickets

    ticket = tickets.find_ticket(active, number)
    if ticket is not None and who.channels is not None:
        channel = active.get(Channel, ticket.channel_id) if ticket.channel_id else None
        if channel is None or channel.name not in who.channels:
            ticket = None
    if ticket is None:
        raise NotFound(_("no ticket #{number}: see `tix ticket list`").format(number=number))
    require_see(active, who.user, ticket)
    return ticket


def _channel(active: Session, who: Agent, name: str) -> Channel:
    """The channel named ``name``, if the key may use it."""
    from tix.core.services import channels

    found = channels.get_channel(active, name)
    if who.channels is not None and found.name not in who.channels:
        raise Forbidden(
            _("this API key may use only the channels {channels}, not {channel}").format(
                channels=", ".join(sorted(who.channels)), channel=found.name
            )
        )
    return found


def _channel_ids(active: Session, who: Agent, name: str | None) -> list[int | None]:
    """The channels a list looks in: the one asked for, else the key's (``[None]``:
    every channel the user may see)."""
    from tix.core.services import channels

    if name is not None:
        return [_channel(active, who, name).id]
    if who.channels is None:
        return [None]
    found = (channels.find_channel(active, channel) for channel in sorted(who.channels))
    return [channel.id for channel in found if channel is not None]


def _detail(active: Session, who: Agent, ticket: Ticket) -> TicketDetail:
    from tix.core.details import ticket_detail

    return ticket_detail(active, who.user, ticket, who.zone)


# --- tickets -------------------------------------------------------------------------------


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Address
    name: Annotated[str, Field(max_length=200), AfterValidator(storable)] = ""


class NewTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: ShortName
    subject: Subject
    body: Body
    customer: Customer
    values: dict[Annotated[str, Field(max_length=40)], FormValue | None] = Field(
        default_factory=dict,
        max_length=50,
        description="Values for the channel's form (`tix form show CHANNEL`).",
    )
    priority: int = Field(default=5, ge=1, le=9, description="1 (low) to 9 (very high).")
    categories: list[ShortName] = Field(default_factory=list, max_length=MAX_LIST)


@router.post(
    "/tickets",
    status_code=201,
    response_model=TicketDetail,
    summary="Open a ticket for a customer",
)
def create_ticket(active: SessionDep, who: AgentDep, new: NewTicket) -> Any:
    """The customer (made a contact if new) opens the ticket in the channel, as from the
    web form; the channel's form, if it has one, is checked first."""
    from tix.core import validation
    from tix.core.permissions import channel_ids
    from tix.core.services import forms, intake

    channel = _channel(active, who, new.channel)
    if not who.user.is_admin and channel.id not in channel_ids(active, who.user):
        raise Forbidden(
            _("you ({login}) have no access to channel {channel}: ask an admin").format(
                login=who.user.login, channel=channel.name
            )
        )
    subject = validation.subject(new.subject)
    if not new.body.strip():
        raise Invalid(_("the message must not be empty"))
    try:
        values = intake.check_form(channel, new.values)
    except forms.FormErrors as problem:  # before anything is written
        return json_error(422, problem.code, problem.message, fields=problem.errors)
    address = validation.email_address(new.customer.email)
    ticket = intake.open_ticket(
        active,
        intake.customer(active, address=address, name=new.customer.name),
        channel=channel,
        subject=subject,
        body=new.body,
        origin=TicketOrigin.API,
        address=address,
        priority=new.priority,
        categories=new.categories,
        details={"api_key": who.key, "agent": who.user.login},
        form_values=values or None,
    )
    commit(active)  # the next ticket need not wait while this one's answer is read
    return _detail(active, who, ticket)


@dataclass(frozen=True)
class _Cursor:
    updated_at: datetime | None
    id: int


def _encode_cursor(row: Any, *, searching: bool) -> str:
    data = [None if searching else row.updated_at.isoformat(), row.id]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _decode_cursor(text: str, *, searching: bool) -> _Cursor:
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        moment, ticket_id = raw
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            raise ValueError(ticket_id)
        if (moment is None) != searching:
            raise ValueError(moment)
        return _Cursor(None if moment is None else datetime.fromisoformat(moment), ticket_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid(
            _("the cursor is not valid: pass next_cursor from the previous page unchanged")
        ) from None


@router.get("/tickets", summary="List tickets")
def list_tickets(
    active: SessionDep,
    who: AgentDep,
    status: Annotated[
        list[Status | Literal["all"]] | None,
        Query(max_length=6, description="Repeatable; default: all but closed."),
    ] = None,
    channel: Annotated[
        str | None, Query(min_length=1, max_length=100), AfterValidator(storable)
    ] = None,
    owner: Annotated[
        str | None, Query(min_length=1, max_length=64), AfterValidator(storable)
    ] = None,
    mine: Annotated[bool, Query(description="Only tickets the key's user owns.")] = False,
    category: Annotated[
        str | None, Query(min_length=1, max_length=100), AfterValidator(storable)
    ] = None,
    kind: Literal["internal", "mail", "request"] | None = None,
    search: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Words in subject or activities; newest first.",
        ),
        AfterValidator(storable),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="next_cursor of the previous page."),
    ] = None,
) -> TicketPage:
    from tix.core.services import users
    from tix.core.views import Cursor, TicketFilter
    from tix.core.views import list_tickets as page_of

    searching = bool(search and search.strip())
    after = _decode_cursor(cursor, searching=searching) if cursor else None
    statuses = tuple(status or ())
    filters = TicketFilter(
        mine=mine,
        statuses=tuple(s for s in statuses if s != "all"),
        all_statuses="all" in statuses,
        owner_id=users.get_user(active, owner).id if owner else None,
        category=category,
        kind=kind,
        search=search if searching else None,
    )
    start = Cursor(after.updated_at, after.id) if after else None
    rows = []
    places = _channel_ids(active, who, channel)
    for channel_id in places:
        rows.extend(
            page_of(
                active, who.user, replace(filters, channel_id=channel_id), limit=limit, after=start
            )
        )
    if len(places) > 1:  # each channel's page is in order; merge them
        rows.sort(key=(lambda r: (r.id,)) if searching else (lambda r: (r.updated_at, r.id)))
        rows = rows[::-1][:limit]
    more = len(rows) == limit
    return TicketPage(
        tickets=[row.view(who.zone) for row in rows],
        next_cursor=_encode_cursor(rows[-1], searching=searching) if more else None,
    )


@router.get("/tickets/{number}", summary="Show a ticket")
def show_ticket(active: SessionDep, who: AgentDep, number: NumberPath) -> TicketDetail:
    """The whole ticket, as `tix ticket show N --json` gives it."""
    return _detail(active, who, _ticket(active, who, number))


class TicketChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    channel: ShortName | None = None
    owner: Login | None = None
    priority: int | None = Field(default=None, ge=1, le=9)
    subject: Subject | None = None
    color: Color | None = Field(default=None, description="none removes the color mark.")
    project: Annotated[str, Field(max_length=200), AfterValidator(storable)] | None = Field(
        default=None, description="A project's name; empty or none unlinks it."
    )
    add_categories: list[ShortName] = Field(default_factory=list, max_length=MAX_LIST)
    remove_categories: list[ShortName] = Field(default_factory=list, max_length=MAX_LIST)
    version: int | None = Field(
        default=None,
        ge=0,
        le=MAX_INT,
        description="The version you read; someone else's change since gives 409.",
    )


@router.patch("/tickets/{number}", summary="Change a ticket")
def change_ticket(
    active: SessionDep, who: AgentDep, number: NumberPath, change: TicketChange
) -> TicketDetail:
    from tix.core.services import changes

    ticket = _ticket(active, who, number)
    changes.change_ticket(
        active,
        who.user,
        ticket=ticket,
        expected_version=change.version,
        changes=changes.TicketChanges(
            status=change.status,
            # the key may be kept to some channels: checked here, where keys are known
            channel=_channel(active, who, change.channel) if change.channel else None,
            owner=change.owner,
            priority=change.priority,
            subject=change.subject,
            color=change.color,
            project=change.project,
            add_categories=change.add_categories,
            remove_categories=change.remove_categories,
        ),
    )
    return _detail(active, who, ticket)


class NewReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body
    cc: list[Address] = Field(default_factory=list, max_length=MAX_LIST)


class NewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Body


def _activity(active: Session, who: Agent, ticket: Ticket, activity: Any) -> ActivityResult:
    from tix.core.details import activity_result

    return activity_result(active, who.user, ticket, activity, who.zone)


@router.post("/tickets/{number}/replies", status_code=201, summary="Reply")
def reply(active: SessionDep, who: AgentDep, number: NumberPath, new: NewReply) -> ActivityResult:
    """On mail and request tickets the reply is e-mailed to the customer (queued in the
    outbox, sent by `tix mail send` or the worker)."""
    from tix.core.services import messages

    ticket = _ticket(active, who, number)
    activity = messages.reply_to_ticket(active, who.user, ticket=ticket, body=new.body, cc=new.cc)
    return _activity(active, who, ticket, activity)


@router.post("/tickets/{number}/notes", status_code=201, summary="Add an internal note")
def note(active: SessionDep, who: AgentDep, number: NumberPath, new: NewNote) -> ActivityResult:
    """Never mailed, never shown to customers."""
    from tix.core.services import messages

    ticket = _ticket(active, who, number)
    activity = messages.add_note(active, who.user, ticket=ticket, body=new.body)
    return _activity(active, who, ticket, activity)


# --- time ------------------------------------------------------------------------------------


class NewTime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration: Word = Field(description="1h30m, 90m, 1.5h or 1:30.")
    date: Word | None = Field(
        default=None, description="The day worked: 2026-11-27, yesterday ...; default today."
    )
    note: Annotated[str, Field(max_length=1000), AfterValidator(storable)] = ""
    billable: bool = True


@router.post("/tickets/{number}/times", status_code=201, summary="Book time on a ticket")
def book_time(active: SessionDep, who: AgentDep, number: NumberPath, new: NewTime) -> BookedTime:
    from tix.core.services import times
    from tix.core.timeparse import parse_day, parse_duration

    minutes = parse_duration(new.duration)
    work_date = parse_day(new.date, today=who.today()) if new.date else who.today()
    ticket = _ticket(active, who, number)
    entry = times.book_time(
        active,
        who.user,
        ticket=ticket,
        minutes=minutes,
        work_date=work_date,
        note=new.note,
        billable=new.billable,
    )
    return BookedTime(
        id=entry.id,
        ticket=ticket.number,
        user=who.user.login,
        date=entry.work_date.isoformat(),
        minutes=entry.minutes,
        hours=round(entry.minutes / 60, 2),
        note=entry.note,
        billable=entry.billable,
    )


@router.get("/times", summary="List booked time")
def list_times(
    active: SessionDep,
    who: AgentDep,
    ticket: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    user: Annotated[
        str | None, Query(min_length=1, max_length=64), AfterValidator(storable)
    ] = None,
    start: Annotated[
        str | None,
        Query(alias="from", min_length=1, max_length=100, description="From this day on."),
        AfterValidator(storable),
    ] = None,
    end: Annotated[
        str | None,
        Query(
            alias="to", min_length=1, max_length=100, description="Up to and including this day."
        ),
        AfterValidator(storable),
    ] = None,
    billable: bool | None = None,
    channel: Annotated[
        str | None, Query(min_length=1, max_length=100), AfterValidator(storable)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> TimeList:
    """Time on the tickets the key may see, oldest first, with the total of all that
    match (``limit`` cuts the list, not the total)."""
    from tix.core.services import times, users
    from tix.core.timeparse import parse_day

    filters = times.TimeFilter(
        ticket_id=_ticket(active, who, ticket).id if ticket is not None else None,
        user_id=users.get_user(active, user).id if user else None,
        date_from=parse_day(start, today=who.today()) if start else None,
        date_to=parse_day(end, today=who.today()) if end else None,
        billable=billable,
    )
    rows: list[Any] = []
    total = 0
    places = [None] if ticket is not None else _channel_ids(active, who, channel)
    for channel_id in places:
        narrowed = replace(filters, channel_id=channel_id)
        rows.extend(itertools.islice(times.iter_times(active, who.user, narrowed), limit))
        total += times.total_minutes(active, who.user, narrowed)
    if len(places) > 1:
        rows = sorted(rows, key=lambda row: (row.work_date, row.id))[:limit]
    return TimeList(
        times=[TimeRow.model_validate(row.to_json()) for row in rows], total_minutes=total
    )


# --- contacts --------------------------------------------------------------------------------


class NewContact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Address
    name: Name
    kind: Literal["customer", "supplier"] = "customer"
    organization: Name | None = None


@router.get("/contacts", summary="List contacts")
def list_contacts(
    active: SessionDep,
    who: AgentDep,
    search: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Part of a name, address or organisation."),
        AfterValidator(storable),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> ContactList:
    from tix.core.services import contacts

    return ContactList(
        contacts=[
            ContactRow(
                name=info.contact.name,
                address=info.addresses[0] if info.addresses else None,
                addresses=info.addresses,
                kind=info.contact.kind,
                organization=info.organization,
            )
            for info in contacts.list_contacts(active, search=search, limit=limit)
        ]
    )


@router.post("/contacts", status_code=201, summary="Add a contact")
def add_contact(active: SessionDep, who: AgentDep, new: NewContact) -> ContactWithAddresses:
    from tix.core.details import contact_view
    from tix.core.services import contacts

    contact = contacts.add_contact(
        active,
        who.user,
        address=new.email,
        name=new.name,
        kind=new.kind,
        organization=new.organization,
    )
    view = contact_view(active, contact)
    assert view is not None
    return ContactWithAddresses(**dict(view), addresses=contacts.addresses_of(active, contact))
