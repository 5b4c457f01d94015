"""The API's typed answers: every response is documented in the OpenAPI schema, and the
ticket the API gives is the one ``tix ticket show --json`` prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_api import NEW

METHODS = ("get", "post", "put", "patch", "delete")


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = spec["components"]["schemas"][name]
    return schema


def test_every_answer_of_every_path_has_a_schema(client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    answers = [
        (method.upper(), path, status, response)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if method in METHODS
        for status, response in operation["responses"].items()
        if status.startswith("2")
    ]
    assert len(answers) >= 9  # every operation of the API answers with a 2xx
    untyped = []
    for method, path, status, response in answers:
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        resolved = _resolve(schema, spec)
        if not resolved.get("properties"):  # {} or a bare "object" says nothing
            untyped.append(f"{method} {path} {status}")
    assert untyped == []
    detail = spec["components"]["schemas"]["TicketDetail"]
    assert {"number", "activities", "watchers", "times", "files", "alarms"} <= set(
        detail["required"]
    )
    activity = spec["components"]["schemas"]["ActivityView"]
    assert "from" in activity["properties"] and "from_" not in activity["properties"]
    assert "field" not in activity["required"]  # only changes have it


def test_a_ticket_from_the_api_is_the_one_the_cli_prints(
    cli, client, auth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIX_TIMEZONE", "Europe/Berlin")  # the web app's, from its settings
    created = client.post("/api/v1/tickets", headers=auth, json=NEW)
    assert created.status_code == 201, created.text
    number = str(created.json()["number"])
    reply = {"body": "We send a technician.", "cc": ["chef@kunde.example"]}
    assert client.post(f"/api/v1/tickets/{number}/replies", headers=auth, json=reply).is_success
    note = {"body": "Customer since 2019"}
    assert client.post(f"/api/v1/tickets/{number}/notes", headers=auth, json=note).is_success
    booked = {"duration": "45m", "note": "call"}
    assert client.post(f"/api/v1/tickets/{number}/times", headers=auth, json=booked).is_success
    change = {"status": "waiting", "color": "red", "add_categories": ["Oil"]}
    assert client.patch(f"/api/v1/tickets/{number}", headers=auth, json=change).is_success
    assert cli("watch", "add", number, "--group", "Sales", user="bob").code == 0
    photo = tmp_path / "Foto Pumpe.jpg"
    photo.write_bytes(b"\xff\xd8\xff data")
    assert cli("file", "add", number, str(photo), user="bob").code == 0
    alarm = ("alarm", "add", number, "--at", "+2h", "--note", "Call back", "--for", "bob")
    assert cli(*alarm, user="bob").code == 0

    from_api = client.get(f"/api/v1/tickets/{number}", headers=auth)
    assert from_api.status_code == 200, from_api.text
    shown = cli("ticket", "show", number, "--json", user="bob")
    assert shown.code == 0, shown.stderr
    assert shown.json() == from_api.json()
    # the same keys in the same order: the CLI's text is the API's answer, indented
    assert shown.stdout == json.dumps(from_api.json(), ensure_ascii=False, indent=2) + "\n"
    detail = shown.json()
    kinds = {a["kind"] for a in detail["activities"]}
    assert {"message", "reply", "note", "change", "time"} <= kinds
    by_kind = {a["kind"]: a for a in detail["activities"]}
    assert {"from", "to", "cc", "delivery", "attachments"} <= set(by_kind["reply"])
    assert "field" not in by_kind["reply"]
    assert {"field", "old", "new"} <= set(by_kind["change"])
    assert not {"from", "delivery", "attachments", "field"} & set(by_kind["note"])
    assert detail["watchers"] == [{"user": "bob"}, {"group": "Sales"}]
    assert [len(detail[key]) for key in ("times", "files", "alarms")] == [1, 1, 1]

    listed = cli("ticket", "list", "--json", user="bob").json()
    page = client.get("/api/v1/tickets", headers=auth).json()["tickets"]
    assert [row for row in listed if row["number"] == int(number)] == [
        row for row in page if row["number"] == int(number)
    ]


def test_contacts_keep_their_keys_in_order(client, auth) -> None:
    new = {"email": "eva@example.org", "name": "Eva Hartmann", "organization": "Hartmann KG"}
    added = client.post("/api/v1/contacts", headers=auth, json=new)
    assert added.status_code == 201, added.text
    assert list(added.json()) == ["name", "address", "kind", "organization", "addresses"]
    listed = client.get("/api/v1/contacts", headers=auth, params={"search": "Hartmann"})
    assert [list(row) for row in listed.json()["contacts"]] == [
        ["name", "address", "addresses", "kind", "organization"]
    ]
