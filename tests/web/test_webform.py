"""The web form endpoint through the real app, on both database backends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import World
from tix.core.db import session_scope
from tix.core.models import Activity, Attempt, Contact, OutboxMessage, Ticket, TicketFile
from tix.core.services import channels, contacts, forms, users

SITE = "https://www.kunde.example"
FORM = [
    {"name": "serial", "label": "Serial number", "type": "text", "required": True},
    {"name": "machine", "label": "Machine", "type": "select", "options": ["P-400", "F-220"]},
    {"name": "since", "label": "Since", "type": "date"},
    {"name": "urgent", "label": "Urgent", "type": "checkbox"},
    {"name": "photo", "label": "Photo", "type": "file"},
]
POST = {
    "name": "Maria Roth",
    "email": "maria@roth.example",
    "subject": "Pump leaks",
    "message": "The pump in hall 2 leaks.\nSince Monday.",
    "serial": "SN-4711",
    "machine": "P-400",
    "since": "2026-11-02",
    "urgent": "yes",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JSON_HEADERS = {"Accept": "application/json"}


@pytest.fixture
def web_support(world: World) -> None:
    """Support takes web tickets from www.kunde.example, acknowledges them, has FORM."""
    with session_scope(world.engine, write=True) as session:
        anna = users.get_user(session, "anna")
        support = channels.get_channel(session, "Support")
        channels.update_channel(
            session, anna, channel=support, web=True, acknowledge=True, allowed_origins=[SITE]
        )
        forms.set_form(session, anna, channel=support, fields=FORM)


def stored(world: World) -> dict[str, int]:
    with session_scope(world.engine) as session:
        return {
            model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Ticket, Contact, TicketFile)
        }


def ticket_of(world: World, number: int) -> tuple[Ticket, str, list[OutboxMessage]]:
    with session_scope(world.engine) as session:
        found = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
        address = contacts.primary_address(session, session.get(Contact, found.customer_id))
        mails = list(
            session.execute(select(OutboxMessage).where(OutboxMessage.ticket_id == found.id))
            .scalars()
            .all()
        )
        return found, address, mails


def test_a_form_post_opens_a_ticket_and_thanks_the_visitor(client, world, web_support) -> None:
    before = stored(world)
    response = client.post("/form/Support", data=POST, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/form/Support/thanks?ticket=")
    number = int(response.headers["location"].split("ticket=")[1].split("&")[0])
    assert response.headers["location"].endswith("&lang=en")  # no language asked: English
    page = client.get(response.headers["location"], headers={"Referer": SITE + "/contact"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert f"#{number}" in page.text and f'href="{SITE}/contact"' in page.text

    ticket, address, mails = ticket_of(world, number)
    assert (ticket.origin, ticket.status, ticket.kind) == ("webform", "new", "mail")
    assert ticket.subject == "Pump leaks" and address == "maria@roth.example"
    assert ticket.form_values == {
        "serial": "SN-4711",
        "machine": "P-400",
        "since": "2026-11-02",
        "urgent": True,
    }
    assert [(m.purpose, m.mail_to) for m in mails] == [("acknowledgement", ["maria@roth.example"])]
    after = stored(world)
    assert after["Ticket"] == before["Ticket"] + 1 and after["Contact"] == before["Contact"] + 1


def test_a_json_post_gets_the_number_only(client, world, web_support) -> None:
    body = dict(POST, email="Kunde@Example.com", urgent=False)
    response = client.post("/form/Support", json=body)
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"received", "number"}
    ticket, address, _mails = ticket_of(world, response.json()["number"])
    assert address == "kunde@example.com"  # the existing contact, not a new one
    assert ticket.form_values is not None and ticket.form_values["urgent"] is False
    with session_scope(world.engine) as session:
        karla = contacts.find_contact(session, "kunde@example.com")
        assert ticket.customer_id == karla.id and karla.name == "Karla Kunde"


def test_the_honeypot_pretends_and_stores_nothing(client, world, web_support) -> None:
    before = stored(world)
    robot = client.post("/form/Support", json=dict(POST, website="http://spam.example"))
    assert robot.status_code == 201 and robot.json() == {"received": True, "number": None}
    form = client.post("/form/Support", data=dict(POST, website="x"), follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/form/Support/thanks?lang=en"
    assert "received your request" in client.get(form.headers["location"]).text
    assert stored(world) == before


def test_posts_are_limited_per_address_and_per_network(
    client, world, web_support, make_web_app
) -> None:
    from fastapi.testclient import TestClient

    for _ in range(5):
        assert client.post("/form/Support", json=POST).status_code == 201
    sixth = client.post("/form/Support", json=POST)
    assert sixth.status_code == 429 and sixth.headers["retry-after"] == "3600"
    assert "maria@roth.example" in sixth.json()["error"]["message"]
    for index in range(5):
        other = dict(POST, email=f"other{index}@roth.example")
        assert client.post("/form/Support", json=other).status_code == 201
    eleventh = client.post("/form/Support", json=dict(POST, email="new@roth.example"))
    assert eleventh.status_code == 429 and eleventh.headers["retry-after"] == "600"
    page = client.post("/form/Support", data=dict(POST, email="new@roth.example"))
    assert page.status_code == 429 and "too many requests" in page.text
    # the counts live in the database: another process (another app) sees them
    with TestClient(make_web_app()) as second:
        assert second.post("/form/Support", json=POST).status_code == 429
    assert stored(world)["Ticket"] == 10


def test_the_address_limit_counts_every_spelling_of_an_address(client, world, web_support) -> None:
    spellings = [
        "Maria@Roth.example",
        "MARIA@ROTH.EXAMPLE",
        "maria@roth.example",
        "Maria Roth <maria@ROTH.example>",
        "mAria@roth.example",
    ]
    for spelling in spellings:
        assert client.post("/form/Support", json=dict(POST, email=spelling)).status_code == 201
    sixth = client.post("/form/Support", json=dict(POST, email="MARIA@roth.example"))
    assert sixth.status_code == 429 and sixth.headers["retry-after"] == "3600"
    assert stored(world)["Ticket"] == 5


@pytest.mark.parametrize(
    "address", ["maria@roth.example, evil@example.com", "maria@roth.example\r\nBcc: evil@x.example"]
)
def test_more_than_one_address_is_refused_not_cut_off(
    client, world, web_support, address: str
) -> None:
    before = stored(world)
    answer = client.post("/form/Support", json=dict(POST, email=address))
    assert answer.status_code == 422
    assert "is not one e-mail address" in answer.json()["error"]["fields"]["email"]
    page = client.post("/form/Support", data=dict(POST, email=address))
    assert page.status_code == 422 and "is not one e-mail address" in page.text
    assert stored(world) == before


def test_a_subject_with_control_characters_is_refused(client, world, web_support) -> None:
    before = stored(world)
    for control in ("\x1b[2J", "\x9b2J"):
        answer = client.post("/form/Support", json=dict(POST, subject=f"Pump{control} leaks"))
        assert answer.status_code == 422, answer.text
        assert "control character" in answer.json()["error"]["message"]
    assert stored(world) == before


def test_a_message_keeps_no_control_characters(client, world, web_support) -> None:
    text = "Leaks\x1b]0;owned\x07 since\x9b2J Monday.\r\n\tHall 2"
    answer = client.post("/form/Support", json=dict(POST, message=text))
    assert answer.status_code == 201, answer.text
    with session_scope(world.engine) as session:
        stored_body = session.scalars(select(Activity.body)).one()
    assert stored_body == "Leaks]0;owned since2J Monday.\r\n\tHall 2"


def test_the_limits_come_from_the_environment(client, world, web_support, monkeypatch) -> None:
    monkeypatch.setenv("TIX_WEBFORM_PER_IP", "2")
    monkeypatch.setenv("TIX_WEBFORM_PER_ADDRESS", "not a number")  # ignored: the default
    for index in range(2):
        assert (
            client.post("/form/Support", json=dict(POST, email=f"a{index}@x.example")).status_code
            == 201
        )
    assert client.post("/form/Support", json=POST).status_code == 429
    with session_scope(world.engine) as session:
        assert session.execute(select(func.count()).select_from(Attempt)).scalar_one() == 4


def test_cors_only_for_the_channels_sites(client, world, web_support) -> None:
    asked = {"Origin": SITE, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    allowed = client.options("/form/Support", headers=asked)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SITE
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert allowed.headers["vary"] == "Origin"
    denied = client.options("/form/Support", headers=dict(asked, Origin="https://evil.example"))
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers
    assert client.options("/form/Support", headers={}).status_code == 403

    before = stored(world)
    refused = client.post("/form/Support", json=POST, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    assert "--allowed-origin https://evil.example" in refused.json()["error"]["message"]
    null = client.post("/form/Support", data=POST, headers={"Origin": "null"})
    assert null.status_code == 403 and "text/html" in null.headers["content-type"]
    assert stored(world) == before

    posted = client.post("/form/Support", json=POST, headers={"Origin": SITE})
    assert posted.status_code == 201 and posted.headers["access-control-allow-origin"] == SITE
    wrong = client.post("/form/Support", json={"name": "x"}, headers={"Origin": SITE})
    assert wrong.status_code == 422 and wrong.headers["access-control-allow-origin"] == SITE
    own = client.post("/form/Support", json=POST, headers={"Origin": "http://testserver"})
    assert own.status_code == 201 and "access-control-allow-origin" not in own.headers
    assert "*" not in str(posted.headers.get("access-control-allow-origin"))


def test_only_web_channels_take_posts(client, world, web_support) -> None:
    for path in ("/form/Sales", "/form/Nowhere"):
        response = client.post(path, json=POST)
        assert response.status_code == 404 and "takes tickets from the web" in response.text
        assert client.options(path, headers={"Origin": SITE}).status_code == 404
    page = client.post("/form/Sales", data=POST)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert stored(world)["Ticket"] == 0


def test_missing_and_wrong_fields_are_named(client, world, web_support) -> None:
    before = stored(world)
    response = client.post("/form/Support", json={"machine": "X-1", "since": "yesterday"})
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"name", "email", "subject", "message", "serial", "machine", "since"}
    assert fields["name"] == "is required" and "P-400" in fields["machine"]
    bad_email = client.post("/form/Support", json=dict(POST, email="<script>x"))
    assert "not an e-mail address" in bad_email.json()["error"]["fields"]["email"]
    page = client.post("/form/Support", data=dict(POST, email="<script>alert(1)</script>"))
    assert page.status_code == 422 and "text/html" in page.headers["content-type"]
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    too_long = client.post("/form/Support", json=dict(POST, subject="s" * 501))
    assert "at most 500" in too_long.json()["error"]["fields"]["subject"]
    for unstorable in ("nul\x00", "lone \ud800 surrogate"):
        odd = client.post(
            "/form/Support",
            content=json.dumps(dict(POST, message=unstorable, serial=unstorable)),
            headers={"Content-Type": "application/json"},
        )
        assert odd.status_code == 422 and set(odd.json()["error"]["fields"]) == {
            "message",
            "serial",
        }
    nested = client.post("/form/Support", json=dict(POST, serial={"a": 1}))
    assert nested.status_code == 422 and "serial" in nested.json()["error"]["fields"]
    for raw, status in ((b"{broken", 422), (b"[1, 2]", 422)):
        sent = client.post(
            "/form/Support", content=raw, headers={"Content-Type": "application/json"}
        )
        assert sent.status_code == status and sent.json()["error"]["message"]
    plain = client.post("/form/Support", content=b"hello", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert stored(world) == before


def test_files_are_checked_for_size_and_type(world, web_support, make_web_app) -> None:
    from fastapi.testclient import TestClient

    with TestClient(make_web_app(max_file_size=2000)) as client:
        sent = client.post(
            "/form/Support",
            data=POST,
            files={"photo": ("../../etc/pump.png", PNG, "image/png")},
            headers=JSON_HEADERS,
        )
        assert sent.status_code == 201, sent.text
        ticket, _address, _mails = ticket_of(world, sent.json()["number"])
        assert ticket.form_values is not None and ticket.form_values["photo"] == "pump.png"
        with session_scope(world.engine) as session:
            stored_file = session.execute(
                select(TicketFile).where(TicketFile.ticket_id == ticket.id)
            ).scalar_one()
            assert (stored_file.name, stored_file.content_type) == ("pump.png", "image/png")
        before = stored(world)
        for name, data, status in (
            ("big.png", PNG + b"\x00" * 3000, 413),
            ("tool.exe", b"MZ\x90\x00", 415),
            ("drawing.svg", b"<svg onload=alert(1)>", 415),
            ("fake.pdf", b"MZ not a pdf", 415),
            ("notes.txt", b"binary\x00data", 415),
        ):
            refused = client.post(
                "/form/Support",
                data=POST,
                files={"photo": (name, data, "application/octet-stream")},
                headers=JSON_HEADERS,
            )
            assert refused.status_code == status, (name, refused.text)
            assert name in refused.json()["error"]["message"]
        accepted_types = client.post(
            "/form/Support",
            data=dict(POST, email="b@x.example"),
            files={"photo": ("notes.txt", "Grüße\n".encode(), "text/plain")},
            headers=JSON_HEADERS,
        )
        assert accepted_types.status_code == 201
        assert stored(world)["Ticket"] == before["Ticket"] + 1
        huge = client.post(
            "/form/Support",
            data=POST,
            files={"photo": ("pump.png", PNG + b"\x00" * 1_100_000, "image/png")},
            headers=JSON_HEADERS,
        )
        assert huge.status_code == 413


def test_bodies_over_a_megabyte_are_refused(client, world, web_support) -> None:
    response = client.post("/form/Support", data=dict(POST, message="x" * 1_100_000))
    assert response.status_code == 413 and "too large" in response.text
    as_json = client.post("/form/Support", json=dict(POST, message="x" * 60_000))
    assert as_json.status_code == 422 and "message" in as_json.json()["error"]["fields"]
    assert stored(world)["Ticket"] == 0


def test_the_snippet_posts_to_this_endpoint(client, world, web_support, live_server) -> None:
    """The HTML from `tix webform snippet`, filled in as a browser would post it, to the
    real server over HTTP."""
    import re

    import httpx

    from tix.web.snippet import snippet

    html = snippet(
        base_url=live_server, channel="Support", form=forms.check_definition(FORM), language="en"
    )
    action = re.search(r'action="([^"]+)"', html)
    assert action is not None and action.group(1) == f"{live_server}/form/Support"
    names = set(re.findall(r'name="([a-z_]+)"', html))
    assert names == {
        "name",
        "email",
        "subject",
        "message",
        "website",
        "form_language",
        *(f["name"] for f in FORM),
    }
    files: dict[str, Any] = {"photo": ("pump.png", PNG, "image/png")}
    response = httpx.post(
        action.group(1), data=dict(POST, website=""), files=files, headers={"Origin": SITE}
    )
    assert response.status_code == 303, response.text
    assert response.headers["access-control-allow-origin"] == SITE
    thanks = httpx.get(live_server + response.headers["location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.text


def test_broken_posts_get_a_clear_4xx(client, world, web_support) -> None:
    broken = client.post(
        "/form/Support",
        content=b'--xyz\r\nContent-Disposition: form-data; name="name"\r\n\r\nMaria',
        headers={"Content-Type": "multipart/form-data; boundary=xyz", **JSON_HEADERS},
    )
    assert broken.status_code in (400, 422) and broken.json()["error"]["message"], broken.text
    no_boundary = client.post(
        "/form/Support", content=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400 and "text/html" in no_boundary.headers["content-type"]
    crowded = client.post(
        "/form/Support", data={f"f{i}": "x" for i in range(150)}, headers=JSON_HEADERS
    )
    assert crowded.status_code == 400 and "Too many fields" in crowded.json()["error"]["message"]
    many_files = client.post(
        "/form/Support",
        data=POST,
        files=[("photo", (f"p{i}.png", PNG, "image/png")) for i in range(11)],
        headers=JSON_HEADERS,
    )
    assert many_files.status_code == 400, many_files.text
    long_name = client.post("/form/" + "x" * 101, json=POST)
    assert long_name.status_code == 422 and long_name.json()["error"]["code"] == "invalid"
    bad_number = client.get("/form/Support/thanks", params={"ticket": "abc"})
    assert bad_number.status_code == 422 and "text/html" in bad_number.headers["content-type"]
    assert stored(world)["Ticket"] == 0


def test_answer_pages_follow_the_browser_and_keep_internal_facts_to_admins(
    client, world, web_support
) -> None:
    german = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
    # An old snippet without form_language: the browser's language.
    missing = client.post("/form/Support", data=dict(POST, serial=""), headers=german)
    assert missing.status_code == 422 and '<html lang="de">' in missing.text
    assert "Ihre Anfrage wurde nicht gesendet" in missing.text
    assert "<strong>Serial number</strong>: ist erforderlich" in missing.text
    assert 'href="/portal/static/portal.css"' in missing.text
    # The form's own language wins over the browser's.
    english = client.post(
        "/form/Support", data=dict(POST, serial="", form_language="en"), headers=german
    )
    assert "<strong>Serial number</strong>: is required" in english.text
    # Which channels exist, or what an admin must set, is not the visitor's business.
    for path, headers in (
        ("/form/Sales", german),
        ("/form/Support", {**german, "Origin": "https://elsewhere.example"}),
    ):
        page = client.post(path, data=POST, headers=headers)
        assert page.status_code in (403, 404) and "text/html" in page.headers["content-type"]
        assert "Dieses Formular kann gerade keine Anfragen annehmen" in page.text
        for internal in ("Sales", "Support", "tix channel", "takes tickets", "elsewhere"):
            assert internal not in page.text, internal
    # Scripts still get the admin's reason in JSON.
    assert "takes tickets from the web" in client.post("/form/Sales", json=POST).text
    thanks = client.get("/form/Support/thanks?ticket=7&lang=de")
    assert "Wir haben Ihre Anfrage als Ticket #7" in thanks.text and 'lang="de"' in thanks.text
