"""The customer portal through FastAPI's TestClient, on both database backends.

The fixtures and helpers here (``helpdesk``: three portal customers and their tickets;
``fast_argon2``; ``login`` ...) are shared with test_portal_security.py and
test_portal_browser.py. The app, its TestClient and the live server come from conftest.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from tests.conftest import World
from tix.core import clock
from tix.core.db import session_scope
from tix.core.models import (
    Activity,
    Attempt,
    OutboxMessage,
    PortalSession,
    Ticket,
    TicketFile,
    TicketOrigin,
)
from tix.core.services import (
    accounts,
    channels,
    contacts,
    forms,
    messages,
    opening,
    portal,
    tickets,
)
from tix.core.services.storage import NewFile

PASSWORD = "correct horse battery"
KARLA = "kunde@example.com"
"""Customer A: Karla Kunde of Kunde GmbH (the world's customer)."""
OTTO = "otto@other.example"
"""Customer B: Otto Other, another company."""
KAI = "kai@example.com"
"""Karla's colleague at Kunde GmbH."""
FORM: list[dict[str, Any]] = [
    {"name": "serial", "label": "Serial number", "type": "text", "required": True,
     "help": "On the type plate"},
    {"name": "details", "label": "What happened", "type": "longtext"},
    {"name": "count", "label": "How many", "type": "number"},
    {"name": "since", "label": "Since when", "type": "date"},
    {"name": "urgency", "label": "Urgency", "type": "select", "options": ["low", "high"]},
    {"name": "warranty", "label": "Under warranty", "type": "checkbox"},
    {"name": "photo", "label": "Photo", "type": "file"},
]  # fmt: skip
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

pytestmark = pytest.mark.usefixtures("fast_argon2")


@pytest.fixture
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters, as these tests log in often (0.3 s a time otherwise); the
    core's tests and the browser test use the real ones."""
    from argon2 import PasswordHasher

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(portal, "_hasher", lambda: cheap)
    monkeypatch.setattr(portal, "_DUMMY_HASH", None)


@dataclass
class Helpdesk:
    """A helpdesk with portal customers; numbers and ids of what it holds."""

    world: World
    engine: Engine
    mine: int
    """Karla's ticket (opened in the portal): bob's reply with a file, a note with a file."""
    solved: int
    """Karla's ticket that bob solved."""
    otto: int
    """Otto's ticket, with a file."""
    colleague: int
    """Kai's ticket (Karla's organisation)."""
    internal: int
    """An internal ticket between anna and bob."""
    reply_file: int
    note_file: int
    otto_file: int


@pytest.fixture
def helpdesk(world: World) -> Helpdesk:
    with session_scope(world.engine, write=True) as session:
        anna = world.user(session, "admin")
        bob = world.user(session, "bob")
        support = world.channel(session, "support")
        channels.update_channel(session, anna, channel=support, web=True)
        accounts.add_account(  # a sender for invitations and reset links (never contacted)
            session, anna, name="outgoing", address="help@tix.test", smtp_host="127.0.0.1"
        )
        forms.set_form(session, anna, channel=support, fields=FORM)
        karla = contacts.get_contact(session, KARLA)
        otto = contacts.add_contact(session, anna, address=OTTO, name="Otto Other")
        kai = contacts.add_contact(
            session, anna, address=KAI, name="Kai Kollege", organization="Kunde GmbH"
        )
        for contact in (karla, otto, kai):
            portal.enable(session, anna, contact=contact, password=PASSWORD)

        def opened(contact: Any, subject: str, body: str) -> Ticket:
            return portal.open_ticket(
                session,
                contact,
                channel=support,
                subject=subject,
                body=body,
                values={"serial": "X-1"},
                origin=TicketOrigin.PORTAL,
            )

        mine = opened(karla, "Pump leaks", "The pump in hall 2 leaks.")
        reply = messages.reply_to_ticket(
            session,
            bob,
            ticket=mine,
            body="Please send a photo of the pump.",
            attachments=[NewFile("manual.pdf", b"%PDF-1.4 manual")],
        )
        note = messages.add_note(
            session,
            bob,
            ticket=mine,
            body="SECRET-NOTE: the customer is grumpy",
            attachments=[NewFile("internal.txt", b"staff only")],
        )
        solved = opened(karla, "Invoice question", "Why two invoices?")
        messages.add_solution(session, bob, ticket=solved, body="One was a copy.")
        otto_ticket = opened(otto, "OTTO-SECRET subject", "OTTO-SECRET body")
        otto_reply = messages.reply_to_ticket(
            session,
            bob,
            ticket=otto_ticket,
            body="Otto's answer",
            attachments=[NewFile("otto.pdf", b"%PDF-1.4 otto")],
        )
        colleague = opening.open_request_ticket(
            session, bob, channel=support, customer=kai, subject="Kai's pump", body="Kai calls"
        )
        internal = opening.open_internal_ticket(
            session, anna, owner=bob, subject="INTERNAL-SECRET", body="INTERNAL-SECRET body"
        )
        session.flush()
        files = {
            f.activity_id: f.id
            for f in session.scalars(select(TicketFile)).all()
            if f.activity_id in (reply.id, note.id, otto_reply.id)
        }
        return Helpdesk(
            world,
            world.engine,
            mine.number,
            solved.number,
            otto_ticket.number,
            colleague.number,
            internal.number,
            files[reply.id],  # type: ignore[arg-type]
            files[note.id],  # type: ignore[arg-type]
            files[otto_reply.id],  # type: ignore[arg-type]
        )


def csrf_of(response: Any) -> str:
    found = CSRF.search(response.text)
    assert found, response.text
    return found.group(1)


def login(client: Any, address: str = KARLA, password: str = PASSWORD, **extra: str) -> Any:
    page = client.get("/portal/login")
    return client.post(
        "/portal/login",
        data={"csrf": csrf_of(page), "email": address, "password": password, **extra},
        follow_redirects=False,
    )


def logged_in(client: Any, address: str = KARLA) -> str:
    """Log ``address`` in; the session's CSRF token."""
    assert login(client, address).status_code == 303
    return csrf_of(client.get("/portal/"))


def activity_count(engine: Engine, number: int) -> int:
    with session_scope(engine) as session:
        return int(
            session.execute(
                select(func.count())
                .select_from(Activity)
                .join(Ticket, col(Ticket.id) == col(Activity.ticket_id))
                .where(col(Ticket.number) == number)
            ).scalar_one()
        )


def ticket_state(engine: Engine) -> tuple[int, int, int, list[str]]:
    """Tickets, activities, files, and every ticket's status: to see that nothing changed."""
    with session_scope(engine) as session:
        statuses = session.scalars(select(col(Ticket.status)).order_by(col(Ticket.number))).all()
        return (
            session.execute(select(func.count()).select_from(Ticket)).scalar_one(),
            session.execute(select(func.count()).select_from(Activity)).scalar_one(),
            session.execute(select(func.count()).select_from(TicketFile)).scalar_one(),
            list(statuses),
        )


def status_of(engine: Engine, number: int) -> str:
    with session_scope(engine) as session:
        ticket = tickets.find_ticket(session, number)
        assert ticket is not None
        return ticket.status


def new_ticket_data(csrf: str, **fields: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "channel": "Support",
        "subject": "Display broken",
        "message": "The display stays dark.",
        **{f"field-{name}": value for name, value in fields.items()},
    }


# --- logging in and out ------------------------------------------------------------


def test_login_leads_to_the_customers_own_tickets(client: Any, helpdesk: Helpdesk) -> None:
    assert client.get("/portal/", follow_redirects=False).headers["location"] == (
        "/portal/login?next=/portal/"
    )
    page = client.get("/portal/login")
    assert '<label for="email">E-mail</label>' in page.text
    assert '<label for="password">Password</label>' in page.text
    assert "'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert "<script" not in page.text and "style=" not in page.text

    answer = login(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "tix_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/portal" in cookie
    assert "Secure" not in cookie  # the portal URL is http here

    listing = client.get("/portal/")
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == "no-store"
    for shown in ("Pump leaks", "Invoice question", f"#{helpdesk.mine}", "Karla Kunde"):
        assert shown in listing.text
    for hidden in ("OTTO-SECRET", "INTERNAL-SECRET", "Kai&#39;s pump", "Opened by"):
        assert hidden not in listing.text
    assert "solved" in listing.text  # the status of the solved one


def test_the_session_cookie_is_secure_behind_https(
    make_web_app: Callable[..., Any], helpdesk: Helpdesk
) -> None:
    from fastapi.testclient import TestClient

    app = make_web_app(portal_url="https://help.example.com")
    with TestClient(app, base_url="https://testserver") as client:
        answer = login(client)
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "tix_session=" in c)
        assert "Secure" in cookie


def test_wrong_password_and_unknown_address_get_the_same_answer(
    client: Any, helpdesk: Helpdesk
) -> None:
    wrong = login(client, KARLA, "not the password")
    unknown = login(client, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or the password is not right."
    assert message in wrong.text and message in unknown.text
    assert "tix_session=" not in str(wrong.headers.get_list("set-cookie"))
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_too_many_failed_logins_are_refused_with_429(client: Any, helpdesk: Helpdesk) -> None:
    for attempt in range(10):
        assert login(client, f"guess{attempt}@example.com", "wrong").status_code == 401
    refused = login(client)  # the right password, but this address (IP) tried too often
    assert refused.status_code == 429
    assert "Too many failed logins" in refused.text
    assert "tix_session=" not in str(refused.headers.get_list("set-cookie"))


def test_failed_logins_are_counted_per_address_too(helpdesk: Helpdesk, client: Any) -> None:
    with session_scope(helpdesk.engine, write=True) as session:
        for _attempt in range(10):  # as if from ten other addresses
            portal.count(session, f"portal-login-address:{KARLA}")
    assert login(client).status_code == 429
    assert login(client, OTTO).status_code == 303  # others still get in


def test_logout_ends_the_session(client: Any, helpdesk: Helpdesk) -> None:
    csrf = logged_in(client)
    token = client.cookies.get("tix_session")
    answer = client.post("/portal/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/login"
    assert client.get("/portal/", follow_redirects=False).status_code == 303
    client.cookies.set("tix_session", token, path="/portal")  # the old cookie is dead too
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_an_expired_or_forged_session_goes_back_to_the_login(
    client: Any, helpdesk: Helpdesk
) -> None:
    csrf = logged_in(client)
    later = clock.now() + timedelta(days=15)
    clock.fix_clock(lambda: later)
    try:
        page = client.get(f"/portal/tickets/{helpdesk.mine}", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == f"/portal/login?next=/portal/tickets/{helpdesk.mine}"
        before = ticket_state(helpdesk.engine)
        posted = client.post(
            f"/portal/tickets/{helpdesk.mine}/reply", data={"csrf": csrf, "message": "late"}
        )
        assert posted.status_code == 401
        assert "Your session has ended" in posted.text
        assert ticket_state(helpdesk.engine) == before
    finally:
        clock.fix_clock(None)
    client.cookies.set("tix_session", "forged", path="/portal")
    assert client.get("/portal/", follow_redirects=False).status_code == 303


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(
    client: Any, helpdesk: Helpdesk
) -> None:
    target = f"/portal/tickets/{helpdesk.mine}"
    assert login(client, next=target).headers["location"] == target
    client.cookies.clear()
    for outside in (
        "https://evil.example/",
        "//evil.example/",
        "/portal/../api/v1/",
        "/x",
        "/portal//evil.example",
        "/portal/\\evil.example",
    ):
        assert login(client, next=outside).headers["location"] == "/portal/"
        client.cookies.clear()


# --- CSRF ------------------------------------------------------------------------


def test_posts_without_the_right_token_are_refused_and_store_nothing(
    client: Any, helpdesk: Helpdesk
) -> None:
    engine = helpdesk.engine
    page = client.get("/portal/login")
    for token in (None, "wrong-token-wrong-token"):
        data = {"email": KARLA, "password": PASSWORD} | ({"csrf": token} if token else {})
        refused = client.post("/portal/login", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert "did not come from this site" in refused.text
    with session_scope(engine) as session:
        assert session.execute(select(func.count()).select_from(PortalSession)).scalar_one() == 0
    assert csrf_of(page)

    csrf = logged_in(client)
    before = ticket_state(engine)
    for token in (None, "", "x" * 32, csrf_of(page)):  # the login page's token is not the session's
        extra = {} if token is None else {"csrf": token}
        assert (
            client.post(
                f"/portal/tickets/{helpdesk.mine}/reply", data={"message": "Hello", **extra}
            ).status_code
            == 403
        )
        data = new_ticket_data("", serial="S-1")
        data.pop("csrf")
        assert client.post("/portal/tickets/new", data={**data, **extra}).status_code == 403
        assert client.post("/portal/logout", data=extra).status_code == 403
    assert ticket_state(engine) == before
    assert client.get("/portal/").status_code == 200  # still logged in
    assert csrf  # and the right token works (the other tests use it)


# --- tickets -----------------------------------------------------------------------


def test_organisation_tickets_show_when_the_contact_sees_the_organisation(
    client: Any, helpdesk: Helpdesk
) -> None:
    with session_scope(helpdesk.engine, write=True) as session:
        portal.enable(
            session,
            helpdesk.world.user(session, "admin"),
            contact=contacts.get_contact(session, KARLA),
            sees_organization=True,
        )
    logged_in(client)
    listing = client.get("/portal/").text
    assert "Kai&#39;s pump" in listing and "Opened by" in listing
    assert "your organisation" in listing and ">you<" in listing
    assert f'class="mine" data-number="{helpdesk.mine}"' in listing
    assert f'class="theirs" data-number="{helpdesk.colleague}"' in listing
    assert "OTTO-SECRET" not in listing
    assert client.get(f"/portal/tickets/{helpdesk.colleague}").status_code == 200


def test_the_ticket_page_shows_the_reply_and_its_file_but_never_the_note(
    client: Any, helpdesk: Helpdesk
) -> None:
    logged_in(client)
    page = client.get(f"/portal/tickets/{helpdesk.mine}")
    assert page.status_code == 200
    text = page.text
    for shown in (
        "Pump leaks",
        "The pump in hall 2 leaks.",
        "Please send a photo of the pump.",
        "Bob Support",
        "manual.pdf",
        "Serial number",
        "X-1",
    ):
        assert shown in text
    assert f'href="/portal/tickets/{helpdesk.mine}/files/{helpdesk.reply_file}"' in text
    assert "SECRET-NOTE" not in text and "internal.txt" not in text

    download = client.get(f"/portal/tickets/{helpdesk.mine}/files/{helpdesk.reply_file}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 manual"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in download.headers["content-security-policy"]
    note_file = client.get(f"/portal/tickets/{helpdesk.mine}/files/{helpdesk.note_file}")
    assert note_file.status_code == 404


def test_received_html_is_shown_only_sanitised_and_text_wins(
    client: Any, helpdesk: Helpdesk
) -> None:
    from tix.core.services.messages import add_customer_message

    with session_scope(helpdesk.engine, write=True) as session:
        karla = contacts.get_contact(session, KARLA)
        ticket = tickets.find_ticket(session, helpdesk.mine)
        assert ticket is not None
        add_customer_message(
            session, karla, ticket=ticket, body="", body_html='<b>bold</b><img src=x onerror="x()">'
        )
        add_customer_message(
            session, karla, ticket=ticket, body="<i>as text</i>", body_html="<i>as html</i>"
        )
    logged_in(client)
    text = client.get(f"/portal/tickets/{helpdesk.mine}").text
    assert "<b>bold</b>" in text and "onerror" not in text
    assert "&lt;i&gt;as text&lt;/i&gt;" in text and "as html" not in text


def test_a_reply_reopens_a_solved_ticket(client: Any, helpdesk: Helpdesk) -> None:
    csrf = logged_in(client)
    assert status_of(helpdesk.engine, helpdesk.solved) == "solved"
    page = client.get(f"/portal/tickets/{helpdesk.solved}")
    assert "Writing here opens the ticket again." in page.text
    before = activity_count(helpdesk.engine, helpdesk.solved)

    empty = client.post(
        f"/portal/tickets/{helpdesk.solved}/reply", data={"csrf": csrf, "message": "  "}
    )
    assert empty.status_code == 422 and "is required" in empty.text
    assert activity_count(helpdesk.engine, helpdesk.solved) == before

    answer = client.post(
        f"/portal/tickets/{helpdesk.solved}/reply",
        data={"csrf": csrf, "message": "Still two invoices <script>x</script>"},
        files={"attachment": ("scan.png", b"\x89PNG\r\n\x1a\n fake", "image/png")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/portal/tickets/{helpdesk.solved}?sent=reply#latest"
    assert status_of(helpdesk.engine, helpdesk.solved) == "open"
    page = client.get(answer.headers["location"])
    assert "Your message was sent." in page.text
    assert "Still two invoices &lt;script&gt;" in page.text and "scan.png" in page.text


def test_the_new_ticket_form_shows_the_channel_form(client: Any, helpdesk: Helpdesk) -> None:
    logged_in(client)
    page = client.get("/portal/tickets/new")
    assert page.status_code == 200
    text = page.text
    assert 'name="channel" value="Support"' in text  # the only web channel: no choice needed
    assert '<label for="f-serial">Serial number <span class="required"' in text
    assert 'id="f-serial-help">On the type plate</small>' in text
    assert 'id="f-details" name="field-details" rows="5"' in text  # longtext
    assert 'type="number"' in text and 'type="date"' in text
    assert '<option value="">' in text and "<option>high</option>" in text
    assert 'id="f-warranty" name="field-warranty" type="checkbox"' in text
    assert 'id="f-photo" name="field-photo" type="file"' in text
    assert 'enctype="multipart/form-data"' in text


def test_a_new_ticket_with_a_missing_required_field_stores_nothing_then_succeeds(
    client: Any, helpdesk: Helpdesk
) -> None:
    engine = helpdesk.engine
    csrf = logged_in(client)
    before = ticket_state(engine)

    wrong = client.post(
        "/portal/tickets/new",
        data=new_ticket_data(csrf, details="Since <Monday>", count="many", urgency="high"),
    )
    assert wrong.status_code == 422
    text = wrong.text
    assert "please correct the marked fields" in text
    assert '<span class="error" id="f-serial-error">is required</span>' in text
    assert '<span class="error" id="f-count-error">must be a number</span>' in text
    assert 'aria-invalid="true"' in text
    assert 'value="Display broken"' in text  # what was entered is kept
    assert "Since &lt;Monday&gt;</textarea>" in text
    assert "<option selected>high</option>" in text
    assert ticket_state(engine) == before

    missing_subject = client.post(
        "/portal/tickets/new", data=new_ticket_data(csrf, serial="S-1") | {"subject": " "}
    )
    assert missing_subject.status_code == 422
    assert '<span class="error" id="subject-error">is required</span>' in missing_subject.text
    assert ticket_state(engine) == before

    made = client.post(
        "/portal/tickets/new",
        data=new_ticket_data(
            csrf, serial="S-1", count="2", since="2026-11-02", urgency="high", warranty="yes"
        ),
        files={"field-photo": ("pump.jpg", b"\xff\xd8\xff fake jpeg", "image/jpeg")},
        follow_redirects=False,
    )
    assert made.status_code == 303
    number = int(made.headers["location"].split("/")[-1].split("?")[0])
    with session_scope(engine) as session:
        ticket = tickets.find_ticket(session, number)
        assert ticket is not None
        assert ticket.origin == TicketOrigin.PORTAL
        assert ticket.subject == "Display broken"
        assert ticket.form_values == {
            "serial": "S-1",
            "count": 2,
            "since": "2026-11-02",
            "urgency": "high",
            "warranty": True,
            "photo": "pump.jpg",
        }
    page = client.get(made.headers["location"])
    assert f"your ticket #{number} was opened" in page.text
    assert "pump.jpg" in page.text and "Serial number" in page.text
    assert "Display broken" in client.get("/portal/").text


@pytest.fixture
def small_uploads(make_web_app: Callable[..., Any]) -> Iterator[Any]:
    """A client of an app that takes files of at most 64 KB."""
    from fastapi.testclient import TestClient

    with TestClient(make_web_app(max_file_size=64 * 1024)) as client:
        yield client


def test_uploads_are_limited_in_size_and_type(small_uploads: Any, helpdesk: Helpdesk) -> None:
    engine, client = helpdesk.engine, small_uploads
    csrf = logged_in(client)
    before = ticket_state(engine)
    url = f"/portal/tickets/{helpdesk.mine}/reply"

    too_big = client.post(
        url,
        data={"csrf": csrf, "message": "big"},
        files={"attachment": ("big.pdf", b"x" * (64 * 1024 + 1), "application/pdf")},
    )
    assert too_big.status_code == 422
    assert "big.pdf is too large (64.0 KB): files may be at most 64.0 KB" in too_big.text
    assert "big</textarea>" in too_big.text

    for name in ("run.exe", "page.html", "logo.svg", "noextension"):
        wrong = client.post(
            url,
            data={"csrf": csrf, "message": "typed"},
            files={"attachment": (name, b"data", "application/pdf")},
        )
        assert wrong.status_code == 422, name
        assert "this kind of file is not accepted" in wrong.text

    new = client.post(
        "/portal/tickets/new",
        data=new_ticket_data(csrf, serial="S-2"),
        files={"field-photo": ("photo.heic.exe", b"MZ", "image/heic")},
    )
    assert new.status_code == 422
    assert '<span class="error" id="f-photo-error">' in new.text
    assert "Please choose your files again." not in new.text  # nothing usable was sent

    huge = client.post(
        url,
        data={"csrf": csrf, "message": "huge"},
        files={"attachment": ("huge.pdf", b"x" * (2 * 1024 * 1024), "application/pdf")},
    )
    assert huge.status_code == 413
    assert "together they may be at most 64.0 KB" in huge.text
    assert ticket_state(engine) == before


# --- passwords ---------------------------------------------------------------------


def _mailed_link(engine: Engine) -> str:
    with session_scope(engine) as session:
        bodies = session.scalars(
            select(col(OutboxMessage.body)).order_by(col(OutboxMessage.id))
        ).all()
    links: list[str] = re.findall(r"http://testserver(/portal/password/[\w-]+)", "\n".join(bodies))
    assert links, bodies
    return links[-1]


def test_an_invitation_link_sets_a_password_once(client: Any, helpdesk: Helpdesk) -> None:
    engine = helpdesk.engine
    with session_scope(engine, write=True) as session:
        anna = helpdesk.world.user(session, "admin")
        newbie = contacts.add_contact(session, anna, address="new@example.com", name="Nina New")
        link = portal.invite(session, anna, contact=newbie, base_url="http://testserver")
    path = link.removeprefix("http://testserver")
    page = client.get(path)
    assert page.status_code == 200 and "Set your password" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    csrf = csrf_of(page)

    differ = client.post(path, data={"csrf": csrf, "password": "a" * 12, "repeat": "b" * 12})
    assert differ.status_code == 422 and "The two passwords are not the same." in differ.text
    short = client.post(path, data={"csrf": csrf, "password": "short", "repeat": "short"})
    assert short.status_code == 422 and "the password is too short" in short.text
    assert client.post(path, data={"password": "n" * 12, "repeat": "n" * 12}).status_code == 403

    done = client.post(
        path,
        data={"csrf": csrf, "password": "nina's new password", "repeat": "nina's new password"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/portal/"
    assert "You have no tickets yet." in client.get("/portal/").text  # logged in at once

    client.cookies.clear()
    again = client.get(path)
    assert again.status_code == 400 and "this link is no longer valid" in again.text
    reused = client.post(
        path,
        data={
            "csrf": csrf_of(client.get("/portal/login")),
            "password": "x" * 12,
            "repeat": "x" * 12,
        },
    )
    assert reused.status_code == 400
    assert login(client, "new@example.com", "x" * 12).status_code == 401
    assert login(client, "new@example.com", "nina's new password").status_code == 303


def test_a_reset_never_tells_whether_an_address_has_an_account(
    client: Any, helpdesk: Helpdesk
) -> None:
    engine = helpdesk.engine
    page = client.get("/portal/reset")
    assert '<label for="email">E-mail</label>' in page.text
    csrf = csrf_of(page)
    answers = [
        client.post("/portal/reset", data={"csrf": csrf, "email": address})
        for address in (KARLA, "nobody@example.com", "not an address", "")
    ]
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert "If the address has an account, a link" in answers[0].text
    with session_scope(engine) as session:
        mails = session.scalars(select(col(OutboxMessage.mail_to))).all()
    assert [KARLA] in mails and ["nobody@example.com"] not in mails
    assert client.post("/portal/reset", data={"email": KARLA}).status_code == 403

    path = _mailed_link(engine)
    done = client.post(
        path,
        data={
            "csrf": csrf_of(client.get(path)),
            "password": "a new secret!",
            "repeat": "a new secret!",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    client.cookies.clear()
    assert login(client, KARLA, PASSWORD).status_code == 401
    assert login(client, KARLA, "a new secret!").status_code == 303


def test_reset_requests_are_limited_silently(client: Any, helpdesk: Helpdesk) -> None:
    csrf = csrf_of(client.get("/portal/reset"))
    for _attempt in range(7):
        answer = client.post("/portal/reset", data={"csrf": csrf, "email": KARLA})
        assert answer.status_code == 200 and "If the address has an account" in answer.text
    with session_scope(helpdesk.engine) as session:
        mails = session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.subject).startswith("Reset"))
        ).all()
        attempts = session.execute(select(func.count()).select_from(Attempt)).scalar_one()
    assert len(mails) == 5 and attempts == 14


# --- language and static files -----------------------------------------------------


def test_pages_speak_german_with_accept_language_de(client: Any, helpdesk: Helpdesk) -> None:
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    page = client.get("/portal/login", headers=german)
    assert '<html lang="de">' in page.text
    assert '<label for="email">E-Mail</label>' in page.text
    assert (
        '<html lang="en">'
        in client.get("/portal/login", headers={"Accept-Language": "fr, en"}).text
    )

    logged_in(client)
    new = client.get("/portal/tickets/new", headers=german).text
    assert "Betreff" in new and "Nummer" not in new
    listing = client.get("/portal/", headers=german).text
    assert '<th scope="col">Nummer</th>' in listing and "gelöst" in listing


def test_the_contacts_language_wins_over_the_browser_and_the_switch_over_both(
    client: Any, helpdesk: Helpdesk
) -> None:
    with session_scope(helpdesk.engine, write=True) as session:
        contacts.get_contact(session, KARLA).language = "de"  # no core service sets it yet
    logged_in(client)
    english = {"Accept-Language": "en"}
    assert '<html lang="de">' in client.get("/portal/", headers=english).text
    switch = client.get("/portal/language/en?next=/portal/tickets/new", follow_redirects=False)
    assert switch.status_code == 303 and switch.headers["location"] == "/portal/tickets/new"
    assert '<html lang="en">' in client.get("/portal/", headers=english).text
    outside = client.get("/portal/language/de?next=https://evil.example/", follow_redirects=False)
    assert outside.headers["location"] == "/portal/"
    assert client.get("/portal/language/fr", follow_redirects=False).status_code == 404


def test_the_style_sheet_is_served_under_the_portal(client: Any, helpdesk: Helpdesk) -> None:
    sheet = client.get("/portal/static/portal.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert "default-src 'self'" in sheet.headers["content-security-policy"]


def test_the_templates_carry_no_inline_script_or_style() -> None:
    """The CSP would block them silently: everything goes through /portal/static."""
    from tix.web.portal import TEMPLATES

    pages = sorted(TEMPLATES.glob("*.html"))
    assert len(pages) >= 8
    for template in pages:
        text = template.read_text(encoding="utf-8")
        assert "<script" not in text and "<style" not in text, template.name
        assert not re.search(r"\s(style|on[a-z]+)\s*=", text), template.name
        assert "|safe" not in text.replace(" ", ""), template.name


def test_every_spelling_of_an_address_counts_toward_its_login_limit(
    make_web_app: Callable[..., Any], helpdesk: Helpdesk
) -> None:
    from fastapi.testclient import TestClient

    app = make_web_app()
    spellings = [f"x{n} <{KARLA}>" for n in range(5)] + [
        KARLA.upper(),
        f"Kunde <{KARLA.capitalize()}>",
        f" {KARLA} ",
        f'"Karla" <{KARLA.upper()}>',
        KARLA,
    ]
    for network, spelling in enumerate(spellings):  # each from another network
        with TestClient(app, client=(f"10.0.0.{network + 1}", 50000)) as client:
            assert login(client, spelling, "a guess").status_code == 401
    with TestClient(app, client=("10.0.1.1", 50000)) as client:
        refused = login(client)
        assert refused.status_code == 429 and "Too many failed logins" in refused.text
    with TestClient(app, client=("10.0.1.2", 50000)) as client:
        assert login(client, OTTO).status_code == 303  # others still get in


@pytest.mark.parametrize(
    "address", [f"{KARLA}, {OTTO}", f"{KARLA}\r\nBcc: evil@example.com", f"<{KARLA}> x"]
)
def test_a_login_or_reset_with_more_than_one_address_is_refused(
    client: Any, helpdesk: Helpdesk, address: str
) -> None:
    answer = login(client, address)
    assert answer.status_code == 401
    assert "tix_session=" not in str(answer.headers.get_list("set-cookie"))
    csrf = csrf_of(client.get("/portal/reset"))
    reset = client.post("/portal/reset", data={"csrf": csrf, "email": address})
    assert reset.status_code == 200 and "If the address has an account" in reset.text
    with session_scope(helpdesk.engine) as session:
        resets = select(OutboxMessage).where(col(OutboxMessage.subject).startswith("Reset"))
        assert session.scalars(resets).all() == []
