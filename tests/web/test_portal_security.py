"""No customer reaches what is not theirs, by any portal route.

Karla (customer A) is logged in and tries every route that names a ticket on Otto's
ticket (customer B), on an internal ticket, on her colleague's ticket (her organisation,
which she is not allowed to see), and on numbers that do not exist: always 404 with the
same page, and nothing changes. Without a login, every page sends to the login (GET) or
answers 401 (anything else).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_portal import (
    KARLA,
    OTTO,
    Helpdesk,
    csrf_of,
    fast_argon2,
    helpdesk,
    logged_in,
    ticket_state,
)
from tix.core.db import session_scope
from tix.core.services import contacts, portal

__all__ = ["fast_argon2", "helpdesk"]  # fixtures shared with test_portal.py

pytestmark = pytest.mark.usefixtures("fast_argon2")

TICKET_ROUTES = {
    ("GET", "/portal/tickets/{number}"),
    ("POST", "/portal/tickets/{number}/reply"),
    ("GET", "/portal/tickets/{number}/files/{file_id}"),
}
LOGGED_IN_ROUTES = TICKET_ROUTES | {
    ("GET", "/portal/"),
    ("GET", "/portal/tickets/new"),
    ("POST", "/portal/tickets/new"),
    ("POST", "/portal/logout"),
}
PUBLIC_ROUTES = {
    ("GET", "/portal/login"),
    ("POST", "/portal/login"),
    ("GET", "/portal/reset"),
    ("POST", "/portal/reset"),
    ("GET", "/portal/password/{token}"),
    ("POST", "/portal/password/{token}"),
    ("GET", "/portal/language/{code}"),
}
MALFORMED = ["0", "-1", "abc", "1.0", "%20", "99999999999999999999999", "1%2F..%2F2"]


def test_these_tests_know_every_portal_route(client: Any) -> None:
    from tix.web.portal import router

    routes = {
        (method, "/portal" + getattr(route, "path", ""))
        for route in router.routes
        for method in getattr(route, "methods", ())
        if method != "HEAD"
    }
    assert routes == LOGGED_IN_ROUTES | PUBLIC_ROUTES
    assert client.get("/portal/login").status_code == 200  # and the app serves them there


def _attempts(helpdesk: Helpdesk, csrf: str, number: str) -> list[tuple[str, Any]]:
    """(what, how) for every route that names a ticket, on ``number``."""
    files = (helpdesk.otto_file, helpdesk.note_file, helpdesk.reply_file, "abc")
    attempts: list[tuple[str, Any]] = [
        (f"GET ticket {number}", lambda c: c.get(f"/portal/tickets/{number}")),
        (
            f"POST reply {number}",
            lambda c: c.post(
                f"/portal/tickets/{number}/reply",
                data={"csrf": csrf, "message": "I was not here"},
                files={"attachment": ("x.pdf", b"%PDF-1.4 x", "application/pdf")},
            ),
        ),
    ]
    for file_id in files:
        attempts.append(
            (
                f"GET file {file_id} of {number}",
                lambda c, file_id=file_id: c.get(f"/portal/tickets/{number}/files/{file_id}"),
            )
        )
    return attempts


def test_a_customer_never_reaches_another_customers_or_internal_tickets(
    client: Any, helpdesk: Helpdesk
) -> None:
    csrf = logged_in(client, KARLA)
    before = ticket_state(helpdesk.engine)
    targets = [helpdesk.otto, helpdesk.internal, helpdesk.colleague, 999_999, *MALFORMED]
    pages: dict[str, str] = {}
    for target in targets:
        for what, attempt in _attempts(helpdesk, csrf, str(target)):
            answer = attempt(client)
            assert answer.status_code == 404, what
            assert "OTTO-SECRET" not in answer.text and "INTERNAL-SECRET" not in answer.text
            if what.startswith("GET ticket"):
                pages[str(target)] = answer.text.replace(str(target), "N")
    # Another's ticket and a number that does not exist look exactly alike.
    assert pages[str(helpdesk.otto)] == pages[str(helpdesk.internal)] == pages["999999"]

    # Her own ticket with another's file, or with the file of a note: not found either.
    for file_id in (helpdesk.otto_file, helpdesk.note_file, 0, "-1"):
        answer = client.get(f"/portal/tickets/{helpdesk.mine}/files/{file_id}")
        assert answer.status_code == 404, file_id

    listing = client.get("/portal/").text
    for hidden in ("OTTO-SECRET", "INTERNAL-SECRET", "Kai&#39;s pump"):
        assert hidden not in listing
    for number in (helpdesk.otto, helpdesk.internal, helpdesk.colleague):
        assert f"/portal/tickets/{number}" not in listing

    # A new ticket goes only to a web channel: not to Sales, by link or by post.
    page = client.get("/portal/tickets/new")
    assert "Sales" not in page.text
    assert client.get("/portal/tickets/new?channel=Sales").status_code == 404
    posted = client.post(
        "/portal/tickets/new",
        data={
            "csrf": csrf,
            "channel": "Sales",
            "subject": "In",
            "message": "Sneaking in",
            "field-serial": "S",
        },
    )
    assert posted.status_code == 404
    assert ticket_state(helpdesk.engine) == before

    # The owner of the ticket does reach it: the 404s above are not an accident.
    client.cookies.clear()
    logged_in(client, OTTO)
    assert client.get(f"/portal/tickets/{helpdesk.otto}").status_code == 200
    assert client.get(f"/portal/tickets/{helpdesk.otto}/files/{helpdesk.otto_file}").content == (
        b"%PDF-1.4 otto"
    )


def test_seeing_the_organisation_opens_the_colleagues_tickets_and_nothing_else(
    client: Any, helpdesk: Helpdesk
) -> None:
    with session_scope(helpdesk.engine, write=True) as session:
        portal.enable(
            session,
            helpdesk.world.user(session, "admin"),
            contact=contacts.get_contact(session, KARLA),
            sees_organization=True,
        )
    csrf = logged_in(client, KARLA)
    assert client.get(f"/portal/tickets/{helpdesk.colleague}").status_code == 200
    before = ticket_state(helpdesk.engine)
    for target in (helpdesk.otto, helpdesk.internal):
        for what, attempt in _attempts(helpdesk, csrf, str(target)):
            assert attempt(client).status_code == 404, what
    assert ticket_state(helpdesk.engine) == before


@pytest.mark.parametrize("cookie", [None, "forged-session-token"])
def test_without_a_login_every_page_leads_to_the_login_and_every_post_gets_401(
    client: Any, helpdesk: Helpdesk, cookie: str | None
) -> None:
    if cookie:
        client.cookies.set("tix_session", cookie, path="/portal")
    csrf = csrf_of(client.get("/portal/login"))  # a token, for what it is worth
    before = ticket_state(helpdesk.engine)
    pages = [
        "/portal/",
        "/portal/tickets/new",
        "/portal/tickets/new?channel=Support",
        f"/portal/tickets/{helpdesk.mine}",
        f"/portal/tickets/{helpdesk.otto}",
        f"/portal/tickets/{helpdesk.mine}/files/{helpdesk.reply_file}",
        "/portal/tickets/999999",
    ]
    for page in pages:
        answer = client.get(page, follow_redirects=False)
        assert answer.status_code == 303, page
        assert answer.headers["location"].startswith("/portal/login?next=/portal/"), page
    posts = [
        (f"/portal/tickets/{helpdesk.mine}/reply", {"message": "anonymous"}),
        (f"/portal/tickets/{helpdesk.otto}/reply", {"message": "anonymous"}),
        (
            "/portal/tickets/new",
            {"channel": "Support", "subject": "S", "message": "M", "field-serial": "1"},
        ),
        ("/portal/logout", {}),
    ]
    for url, data in posts:
        answer = client.post(url, data={"csrf": csrf, **data}, follow_redirects=False)
        assert answer.status_code == 401, url
        assert "Your session has ended" in answer.text
    assert ticket_state(helpdesk.engine) == before
