"""The one upload policy (:mod:`tix.web.uploads`) through real HTTP: the portal and the web
form refuse the same files, by size, name and content, with the same words, and store
nothing of the post."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import World
from tests.web import test_portal, test_webform
from tests.web.test_portal import Helpdesk, logged_in, new_ticket_data, ticket_state
from tests.web.test_webform import JSON_HEADERS, POST, stored

# The portal's and the web form's own fixtures, for the same posts to both.
fast_argon2 = test_portal.fast_argon2
helpdesk = test_portal.helpdesk
web_support = test_webform.web_support
pytestmark = pytest.mark.usefixtures("fast_argon2")

LIMIT = 2000
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48
NOT_ACCEPTED = ": this kind of file is not accepted"
REFUSED = [
    # (name, content, what the refusal says after the name, the web form's status)
    ("invoice.pdf", EXE, NOT_ACCEPTED, 415),  # a program renamed .pdf
    ("photo.png", b"GIF89a" + b"\x00" * 32, NOT_ACCEPTED, 415),  # content of another type
    ("photo.heic", b"\x00\x00\x00\x18ftypavif" + b"\x00" * 16, NOT_ACCEPTED, 415),
    ("notes.txt", b"text\x00with a NUL", NOT_ACCEPTED, 415),
    ("setup.exe", EXE, NOT_ACCEPTED, 415),  # a name not on the list
    ("drawing.svg", b"<svg onload=alert(1)>", NOT_ACCEPTED, 415),
    ("big.pdf", b"%PDF-1.7\n" + b"x" * LIMIT, " is too large (", 413),
]
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 32


@pytest.fixture
def small_client(make_web_app: Callable[..., Any]) -> Any:
    from fastapi.testclient import TestClient

    with TestClient(make_web_app(max_file_size=LIMIT)) as test_client:
        yield test_client


@pytest.mark.parametrize(("name", "data", "says", "status"), REFUSED)
def test_the_portal_refuses_by_size_name_and_content(
    small_client: Any, helpdesk: Helpdesk, name: str, data: bytes, says: str, status: int
) -> None:
    csrf = logged_in(small_client)
    before = ticket_state(helpdesk.engine)
    reply = small_client.post(
        f"/portal/tickets/{helpdesk.mine}/reply",
        data={"csrf": csrf, "message": "see the file"},
        files={"attachment": (name, data, "application/pdf")},
    )
    assert reply.status_code == 422
    assert f"{name}{says}" in html.unescape(reply.text)
    new = small_client.post(
        "/portal/tickets/new",
        data=new_ticket_data(csrf, serial="S-1"),
        files={"field-photo": (name, data, "image/png")},
    )
    assert new.status_code == 422
    assert f"{name}{says}" in html.unescape(new.text)
    assert ticket_state(helpdesk.engine) == before


@pytest.mark.parametrize(("name", "data", "says", "status"), REFUSED)
def test_the_web_form_refuses_by_size_name_and_content(
    small_client: Any,
    world: World,
    web_support: None,
    name: str,
    data: bytes,
    says: str,
    status: int,
) -> None:
    before = stored(world)
    refused = small_client.post(
        "/form/Support",
        data=POST,
        files={"photo": (name, data, "image/png")},
        headers=JSON_HEADERS,
    )
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["message"].startswith(f"{name}{says}")
    assert stored(world) == before


def test_both_take_a_heic_photo_as_image_heic(
    small_client: Any, world: World, web_support: None
) -> None:
    from sqlalchemy import select

    from tix.core.db import session_scope
    from tix.core.models import TicketFile

    sent = small_client.post(
        "/form/Support",
        data=POST,
        files={"photo": ("pump.heic", HEIC, "application/octet-stream")},
        headers=JSON_HEADERS,
    )
    assert sent.status_code == 201, sent.text
    with session_scope(world.engine) as session:
        stored_file = session.execute(select(TicketFile)).scalar_one()
        assert (stored_file.name, stored_file.content_type) == ("pump.heic", "image/heic")


def test_the_portal_takes_a_heic_photo(small_client: Any, helpdesk: Helpdesk) -> None:
    csrf = logged_in(small_client)
    files_before = ticket_state(helpdesk.engine)[2]
    reply = small_client.post(
        f"/portal/tickets/{helpdesk.mine}/reply",
        data={"csrf": csrf, "message": "the photo"},
        files={"attachment": ("pump.heic", HEIC, "image/heic")},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    assert ticket_state(helpdesk.engine)[2] == files_before + 1
