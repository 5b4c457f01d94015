"""The REST API through the real app (FastAPI's TestClient), on both database backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import World
from tests.web.conftest import make_key
from tix.core.db import session_scope
from tix.core.models import ApiKey, Contact, OutboxMessage, Ticket, TimeEntry
from tix.core.services import apikeys, channels, contacts, forms, opening, users

NEW = {
    "channel": "Support",
    "subject": "Pump P-400 leaks",
    "body": "Since Monday the pump in hall 2 leaks oil.",
    "customer": {"email": "Maria.Roth@Kunde.example", "name": "Maria Roth"},
    "priority": 7,
    "categories": ["Hardware"],
}


def counts(world: World) -> tuple[int, int, int]:
    """Tickets, contacts and outbox mails in the database."""
    with session_scope(world.engine) as session:
        return tuple(  # type: ignore[return-value]
            session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Ticket, Contact, OutboxMessage)
        )


def error_of(response: Any, status: int) -> dict[str, Any]:
    """The error body of ``response``, after checking its status and shape."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"], error
    return dict(error)


def test_requests_without_a_valid_key_are_refused(client, world, api_key) -> None:
    attempts = [
        {},
        {"Authorization": "Bearer tix_not-a-key"},
        {"Authorization": "Bearer " + api_key + "x"},
        {"Authorization": "Basic " + api_key},
        {"Authorization": api_key},
    ]
    for headers in attempts:
        response = client.get("/api/v1/tickets", headers=headers)
        assert error_of(response, 401)["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
    assert "tix apikey add" in client.get("/api/v1/tickets").json()["error"]["message"]
    good = {"Authorization": f"Bearer {api_key}"}
    assert client.get("/api/v1/tickets", headers=good).status_code == 200
    with session_scope(world.engine, write=True) as session:
        assert session.execute(select(ApiKey.last_used_at)).scalar_one() is not None
        apikeys.revoke_key(session, users.get_user(session, "anna"), name="test-bob")
    revoked = client.post("/api/v1/tickets", headers=good, json=NEW)
    assert error_of(revoked, 401)["message"] == "the API key is unknown or revoked"
    assert counts(world)[0] == 0


def test_the_api_opens_a_ticket_as_a_mail_does(client, world, auth) -> None:
    """The same request by mail and by the API: one contact, the same ticket and the
    same acknowledgement (the API goes through the one intake)."""
    from tests.core.mail.test_ingest import mail
    from tests.core.services.test_intake import _opened
    from tix.core.mail.ingest import ingest
    from tix.core.models import MailAccount

    with session_scope(world.engine, write=True) as session:
        support = channels.get_channel(session, "Support")
        anna = users.get_user(session, "anna")
        channels.update_channel(session, anna, channel=support, acknowledge=True)
        _record, by_mail = ingest(
            session,
            mail(
                subject=NEW["subject"],
                body=NEW["body"],
                sender="Maria Roth <maria.roth@kunde.example>",
            ),
            channel=support,
            account=session.get(MailAccount, world.account),
            source="test",
        )
        assert by_mail.ticket is not None
        from_mail = by_mail.ticket.number
    same = {**NEW, "customer": {"email": "maria.roth@kunde.example", "name": "M. Roth"}}
    posted = client.post("/api/v1/tickets", headers=auth, json={**same, "priority": 5})
    assert posted.status_code == 201, posted.text
    with session_scope(world.engine) as session:
        by_api = _opened(session, posted.json()["number"])
        assert by_api == _opened(session, from_mail)
        assert by_api["ack"][2] == ["maria.roth@kunde.example"]


def test_a_ticket_from_creation_to_a_stale_change(client, world, auth) -> None:
    created = client.post("/api/v1/tickets", headers=auth, json=NEW)
    assert created.status_code == 201, created.text
    ticket = created.json()
    number = ticket["number"]
    assert ticket["customer"] == {
        "name": "Maria Roth",
        "address": "maria.roth@kunde.example",
        "kind": "customer",
        "organization": None,
    }
    assert (ticket["channel"], ticket["owner"], ticket["status"]) == ("Support", "bob", "new")
    assert (ticket["priority"], ticket["categories"], ticket["origin"]) == (
        7,
        ["Hardware"],
        "api",
    )
    assert ticket["first_message"]["body"] == NEW["body"]
    assert ticket["first_message"]["details"] == {"api_key": "test-bob", "agent": "bob"}

    shown = client.get(f"/api/v1/tickets/{number}", headers=auth)
    assert shown.status_code == 200 and shown.json()["subject"] == NEW["subject"]

    replied = client.post(
        f"/api/v1/tickets/{number}/replies",
        headers=auth,
        json={"body": "We send a technician.", "cc": ["chef@kunde.example"]},
    )
    assert replied.status_code == 201, replied.text
    assert replied.json()["kind"] == "reply" and replied.json()["status"] == "open"
    assert replied.json()["to"] == ["maria.roth@kunde.example"]
    with session_scope(world.engine) as session:
        mail = session.execute(
            select(OutboxMessage).where(OutboxMessage.purpose == "reply")
        ).scalar_one()
        assert mail.mail_to == ["maria.roth@kunde.example"]
        assert mail.mail_cc == ["chef@kunde.example"]
        assert f"[Ticket#{number}]" in mail.subject or str(number) in mail.subject

    noted = client.post(
        f"/api/v1/tickets/{number}/notes", headers=auth, json={"body": "Customer since 2019"}
    )
    assert noted.status_code == 201 and noted.json()["internal"] is True
    mails = counts(world)[2]

    version = client.get(f"/api/v1/tickets/{number}", headers=auth).json()["version"]
    changed = client.patch(
        f"/api/v1/tickets/{number}",
        headers=auth,
        json={"status": "waiting", "color": "red", "add_categories": ["Oil"], "version": version},
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["status"], after["color"], after["categories"]) == (
        "waiting",
        "red",
        ["Hardware", "Oil"],
    )
    assert after["version"] > version
    stale = client.patch(
        f"/api/v1/tickets/{number}", headers=auth, json={"status": "closed", "version": version}
    )
    assert error_of(stale, 409)["code"] == "conflict"
    assert "reload it" in stale.json()["error"]["message"]
    final = client.get(f"/api/v1/tickets/{number}", headers=auth).json()
    assert final["status"] == "waiting" and final["version"] == after["version"]
    assert counts(world)[2] == mails  # notes and changes mail nobody


def _numbers(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [row["number"] for row in response.json()["tickets"]]


def test_lists_filter_and_page_by_cursor(client, world, auth, ticket) -> None:
    made = []
    for index in range(5):
        body = dict(
            NEW, subject=f"Question {index}", body=f"Body {index} zebra" if index % 2 else "x"
        )
        made.append(client.post("/api/v1/tickets", headers=auth, json=body).json()["number"])
    client.patch(f"/api/v1/tickets/{made[0]}", headers=auth, json={"status": "closed"})
    client.patch(f"/api/v1/tickets/{made[1]}", headers=auth, json={"owner": "carl"})

    everything = _numbers(client.get("/api/v1/tickets", headers=auth))
    assert made[0] not in everything and set(everything) == {ticket, *made[1:]}
    assert _numbers(client.get("/api/v1/tickets", headers=auth, params={"status": ["closed"]})) == [
        made[0]
    ]
    assert set(_numbers(client.get("/api/v1/tickets", headers=auth, params={"status": "all"}))) == {
        ticket,
        *made,
    }
    assert _numbers(client.get("/api/v1/tickets", headers=auth, params={"owner": "carl"})) == [
        made[1]
    ]
    assert made[1] not in _numbers(
        client.get("/api/v1/tickets", headers=auth, params={"mine": True})
    )
    assert set(
        _numbers(client.get("/api/v1/tickets", headers=auth, params={"search": "zebra"}))
    ) == {made[1], made[3]}
    assert _numbers(client.get("/api/v1/tickets", headers=auth, params={"channel": "Sales"})) == []
    assert _numbers(client.get("/api/v1/tickets", headers=auth, params={"kind": "request"})) == [
        ticket
    ]

    for search in (None, "question"):
        seen: list[int] = []
        cursor = None
        for _page in range(10):
            params: dict[str, Any] = {"limit": 2, "status": "all"}
            if search:
                params["search"] = search
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/tickets", headers=auth, params=params).json()
            seen += [row["number"] for row in page["tickets"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        expected = [*made, ticket] if search is None else made
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen)), search

    for params in (
        {"cursor": "nonsense"},
        {"limit": 0},
        {"limit": 1001},
        {"status": "lost"},
        {"owner": "nobody"},
        {"owner": ""},
        {"stauts": "open"},
        [("search", "pump"), ("search", "oil")],
    ):
        response = client.get("/api/v1/tickets", headers=auth, params=params)
        assert response.status_code in (404, 422), (params, response.text)
        assert response.json()["error"]["message"]
    misspelt = client.get("/api/v1/tickets", headers=auth, params={"stauts": "open"})
    assert "unknown parameter 'stauts'" in error_of(misspelt, 422)["message"]
    twice = client.get("/api/v1/tickets", headers=auth, params=[("owner", "bob"), ("owner", "x")])
    assert error_of(twice, 422)["message"] == "give owner only once"
    bad_cursor = client.get("/api/v1/tickets", headers=auth, params={"cursor": "nonsense"})
    assert "cursor" in error_of(bad_cursor, 422)["message"]


def test_keys_limited_to_channels_see_and_change_only_those(client, world, ticket) -> None:
    token = make_key(world, "sales-only", login="anna", channels=("Sales",))
    headers = {"Authorization": f"Bearer {token}"}
    everywhere = {"Authorization": f"Bearer {make_key(world, 'all', login='anna')}"}
    sales = client.post("/api/v1/tickets", headers=headers, json=dict(NEW, channel="Sales"))
    assert sales.status_code == 201, sales.text
    number = sales.json()["number"]

    assert error_of(client.get(f"/api/v1/tickets/{ticket}", headers=headers), 404)
    assert client.get(f"/api/v1/tickets/{ticket}", headers=everywhere).status_code == 200
    assert _numbers(client.get("/api/v1/tickets", headers=headers)) == [number]
    assert set(_numbers(client.get("/api/v1/tickets", headers=everywhere))) == {ticket, number}
    listed = client.get("/api/v1/tickets", headers=headers, params={"channel": "Support"})
    assert error_of(listed, 403)["code"] == "forbidden"
    before = counts(world)
    refused = client.post("/api/v1/tickets", headers=headers, json=NEW)
    assert "Sales" in error_of(refused, 403)["message"]
    moved = client.patch(f"/api/v1/tickets/{number}", headers=headers, json={"channel": "Support"})
    assert error_of(moved, 403)
    for path in ("replies", "notes"):
        assert error_of(
            client.post(f"/api/v1/tickets/{ticket}/{path}", headers=headers, json={"body": "x"}),
            404,
        )
    assert error_of(
        client.post(f"/api/v1/tickets/{ticket}/times", headers=headers, json={"duration": "1h"}),
        404,
    )
    assert counts(world) == before
    assert client.get(f"/api/v1/tickets/{number}", headers=headers).json()["channel"] == "Sales"


def test_agents_keep_their_access_rules(client, world, auth, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        anna = users.get_user(session, "anna")
        internal = opening.open_internal_ticket(
            session, anna, owner=anna, subject="Salaries", body="confidential"
        ).number
    forbidden = client.get(f"/api/v1/tickets/{internal}", headers=auth)
    assert error_of(forbidden, 403)["code"] == "forbidden"
    assert "confidential" not in forbidden.text
    assert internal not in _numbers(
        client.get("/api/v1/tickets", headers=auth, params={"status": "all"})
    )
    assert error_of(
        client.post(f"/api/v1/tickets/{internal}/notes", headers=auth, json={"body": "x"}), 403
    )
    assert error_of(client.get("/api/v1/tickets/999999", headers=auth), 404)
    # dora is in no group: she cannot open tickets in Support
    dora = {"Authorization": f"Bearer {make_key(world, 'dora', login='dora')}"}
    assert error_of(client.post("/api/v1/tickets", headers=dora, json=NEW), 403)
    assert error_of(client.get(f"/api/v1/tickets/{ticket}", headers=dora), 403)
    assert _numbers(client.get("/api/v1/tickets", headers=dora)) == []


def test_contacts_and_times(client, world, auth, ticket) -> None:
    added = client.post(
        "/api/v1/contacts",
        headers=auth,
        json={"email": "Lea@Lieferant.example", "name": "Lea Lieferant", "kind": "supplier",
              "organization": "Lieferant AG"},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json() == {
        "name": "Lea Lieferant",
        "address": "lea@lieferant.example",
        "kind": "supplier",
        "organization": "Lieferant AG",
        "addresses": ["lea@lieferant.example"],
    }
    again = client.post(
        "/api/v1/contacts", headers=auth, json={"email": "lea@lieferant.example", "name": "L"}
    )
    assert error_of(again, 409)["code"] == "conflict"
    found = client.get("/api/v1/contacts", headers=auth, params={"search": "lieferant"}).json()
    assert [c["name"] for c in found["contacts"]] == ["Lea Lieferant"]
    everyone = client.get("/api/v1/contacts", headers=auth).json()["contacts"]
    assert {c["address"] for c in everyone} == {"kunde@example.com", "lea@lieferant.example"}

    booked = client.post(
        f"/api/v1/tickets/{ticket}/times",
        headers=auth,
        json={"duration": "1h30m", "date": "2025-03-02", "note": "On site", "billable": False},
    )
    assert booked.status_code == 201, booked.text
    assert {k: booked.json()[k] for k in ("minutes", "date", "user", "billable")} == {
        "minutes": 90,
        "date": "2025-03-02",
        "user": "bob",
        "billable": False,
    }
    client.post(f"/api/v1/tickets/{ticket}/times", headers=auth, json={"duration": "45m"})
    listed = client.get("/api/v1/times", headers=auth, params={"ticket": ticket}).json()
    assert listed["total_minutes"] == 135 and len(listed["times"]) == 2
    march = client.get(
        "/api/v1/times", headers=auth, params={"from": "2025-03-01", "to": "31.03.2025"}
    ).json()
    assert [t["minutes"] for t in march["times"]] == [90] and march["total_minutes"] == 90
    assert client.get("/api/v1/times", headers=auth, params={"user": "carl"}).json() == {
        "times": [],
        "total_minutes": 0,
    }
    for wrong in ({"duration": "90"}, {"duration": "25h"}, {"duration": "1h", "date": "someday"}):
        refused = client.post(f"/api/v1/tickets/{ticket}/times", headers=auth, json=wrong)
        assert error_of(refused, 422)["code"] == "invalid", wrong
    swapped = client.get(
        "/api/v1/times", headers=auth, params={"from": "2026-12-01", "to": "2026-11-01"}
    )
    assert error_of(swapped, 422)
    with session_scope(world.engine) as session:
        assert session.execute(select(func.count()).select_from(TimeEntry)).scalar_one() == 2


@pytest.fixture
def support_form(world: World) -> None:
    with session_scope(world.engine, write=True) as session:
        forms.set_form(
            session,
            users.get_user(session, "anna"),
            channel=channels.get_channel(session, "Support"),
            fields=[
                {"name": "order", "label": "Order number", "type": "text", "required": True},
                {"name": "machine", "type": "select", "options": ["P-400", "F-220"]},
            ],
        )


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"priority": 0}, 422, "priority"),
        ({"priority": 10}, 422, "priority"),
        ({"subject": ""}, 422, "subject"),
        ({"subject": "   "}, 422, "subject must not be empty"),
        ({"body": " \n "}, 422, "message must not be empty"),
        ({"customer": {"email": "not an address"}}, 422, "not an e-mail address"),
        (
            {"customer": {"email": "a@example.com\r\nBcc: evil@example.com"}},
            422,
            "not one e-mail address",
        ),
        ({"customer": {"email": "a@example.com, b@example.com"}}, 422, "not one e-mail address"),
        (
            {"values": {"order": "A-1", "colour": "red"}},
            422,
            "colour: is not a field of this form",
        ),
        ({"customer": {}}, 422, "customer.email"),
        ({"channel": "Nowhere"}, 404, "no channel 'Nowhere'"),
        ({"values": {"machine": "P-400"}}, 422, "order: is required"),
        ({"values": {"order": "A-1", "machine": "X"}}, 422, "must be one of"),
        ({"surprise": 1}, 422, "surprise"),
        ({"categories": ["x" * 101]}, 422, "categories.0"),
        ({"subject": "nul\x00byte"}, 422, "NUL"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    client, world, auth, support_form, change, status, words
) -> None:
    before = counts(world)
    body = {**NEW, "values": {"order": "A-1"}, **change}
    response = client.post("/api/v1/tickets", headers=auth, json=body)
    assert words in error_of(response, status)["message"]
    assert counts(world) == before


def test_form_errors_come_by_field(client, world, auth, support_form) -> None:
    response = client.post(
        "/api/v1/tickets", headers=auth, json=dict(NEW, values={"machine": "X-9"})
    )
    error = error_of(response, 422)
    assert set(error["fields"]) == {"order", "machine"}
    assert error["fields"]["order"] == "is required"
    made = client.post("/api/v1/tickets", headers=auth, json=dict(NEW, values={"order": "A-17"}))
    assert made.status_code == 201 and made.json()["form_values"] == {"order": "A-17"}


def test_oversized_and_malformed_bodies(client, world, auth, ticket) -> None:
    big = dict(NEW, body="x" * 1_100_000)
    assert error_of(client.post("/api/v1/tickets", headers=auth, json=big), 413)["code"] == (
        "too_large"
    )
    huge = "y" * 100_001
    assert error_of(
        client.post(f"/api/v1/tickets/{ticket}/notes", headers=auth, json={"body": huge}), 422
    )
    for raw in (b"{not json", b'{"channel": ', b"\xff\xfe", b"[1, 2]", b'"text"', b"null"):
        response = client.post(
            "/api/v1/tickets",
            headers={**auth, "Content-Type": "application/json"},
            content=raw,
        )
        assert error_of(response, 422)["code"] == "invalid", raw
    malformed = client.post(
        "/api/v1/tickets", headers={**auth, "Content-Type": "application/json"}, content=b"{x"
    )
    assert "not valid JSON" in malformed.json()["error"]["message"]
    empty = client.post(
        "/api/v1/tickets", headers={**auth, "Content-Type": "application/json"}, content=b""
    )
    assert "JSON body" in error_of(empty, 422)["message"]
    assert counts(world)[0] == 1


def test_changes_are_checked(client, world, auth, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        contacts.add_contact(
            session, users.get_user(session, "anna"), address="x@y.example", name="X"
        )
    for change, status in (
        ({"priority": 0}, 422),
        ({"status": "lost"}, 422),
        ({"owner": "nobody"}, 404),
        ({"channel": "Nowhere"}, 404),
        ({"project": "Nothing"}, 404),
        ({"remove_categories": ["Never"]}, 422),
        ({"color": "pink"}, 422),
        ({"version": -1}, 422),
    ):
        response = client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json=change)
        assert error_of(response, status), change
    moved = client.patch(
        f"/api/v1/tickets/{ticket}", headers=auth, json={"channel": "Sales", "priority": 9}
    )
    assert moved.status_code == 200 and moved.json()["channel"] == "Sales"
    assert client.patch(f"/api/v1/tickets/{ticket}", headers=auth, json={}).status_code == 200


def test_the_docs_and_schema_are_served(client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in schema["paths"]
    assert not any(path.startswith("/form") for path in schema["paths"])
    assert "ApiKey" in schema["components"]["securitySchemes"]
    assert client.get("/api/v1/docs").status_code == 200


def test_many_clients_at_once_over_real_http(world, live_server, auth) -> None:
    """uvicorn begins and ends a request's database block in different worker threads;
    with four clients at once every request is answered and every ticket stored."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    before = counts(world)[0]

    def create(client_number: int) -> list[int]:
        made = []
        with httpx.Client(base_url=live_server, headers=auth, timeout=30) as http:
            for index in range(40):
                body = dict(NEW, customer={"email": f"c{client_number}-{index}@kunde.example"})
                response = http.post("/api/v1/tickets", json=body)
                assert response.status_code == 201, response.text
                made.append(response.json()["number"])
        return made

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = [n for made in pool.map(create, range(4)) for n in made]
    assert len(set(numbers)) == 160
    assert counts(world)[0] == before + 160
