"""``tix apikey``, ``tix form``, ``tix webform``, ``tix channel set --web`` and ``tix serve``."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select, text

from tix.core.db import session_scope
from tix.core.models import Channel
from tix.core.services import apikeys

FORM_TOML = """
[[field]]
name = "order"
label = "Order number"
required = true

[[field]]
name = "machine"
label = "Machine"
type = "select"
options = ["P-400", "F-220"]

[[field]]
name = "photo"
label = "Photo of the type plate"
type = "file"
"""


def test_api_keys_are_shown_once_and_only_their_hash_is_stored(cli, world) -> None:
    made = cli("apikey", "add", "website", "--agent", "bob", "--channel", "Support", "--json")
    assert made.code == 0, made.stderr
    token = made.json()["token"]
    assert token.startswith("tix_") and len(token) > 40
    assert made.json() == {
        "name": "website",
        "token": token,
        "agent": "bob",
        "channels": ["Support"],
    }

    plain = cli("apikey", "add", "script")
    assert plain.code == 0, plain.stderr
    second = plain.stdout.strip()
    assert second.startswith("tix_") and "\n" not in second  # stdout: the key alone
    assert "only time it is shown" in plain.stderr

    listed = cli("apikey", "list", "--json")
    assert listed.code == 0
    keys = {key["name"]: key for key in listed.json()}
    assert set(keys) == {"website", "script"}
    assert keys["website"]["agent"] == "bob" and keys["website"]["channels"] == ["Support"]
    assert keys["script"]["agent"] == "anna" and keys["script"]["channels"] is None
    assert keys["website"]["prefix"] == token[:12] and not keys["website"]["revoked"]
    assert token not in listed.stdout and second not in listed.stdout
    table = cli("apikey", "list")
    assert "website" in table.stdout and token not in table.stdout

    with session_scope(world.engine, write=True) as session:
        rows = session.execute(text("SELECT * FROM api_keys")).all()
        assert len(rows) == 2
        dump = " ".join(str(value) for row in rows for value in row)
        assert token not in dump and second not in dump and token[12:] not in dump
        found = apikeys.authenticate(session, token)
        assert found is not None and found[1].login == "bob"

    assert cli("apikey", "add", "website", "--json").code == 5  # the name is taken
    assert cli("apikey", "add", "mine", user="bob").code == 4  # admins only
    assert cli("apikey", "list", user="bob").code == 4
    assert cli("apikey", "add", "x", "--agent", "nobody").code == 3
    assert cli("apikey", "add", "x", "--channel", "Nowhere").code == 3

    revoked = cli("apikey", "revoke", "website", "--json")
    assert revoked.code == 0 and revoked.json() == {"name": "website", "revoked": True}
    assert {k["name"]: k["revoked"] for k in cli("apikey", "list", "--json").json()} == {
        "website": True,
        "script": False,
    }
    with session_scope(world.engine) as session:
        assert apikeys.authenticate(session, token) is None
        assert apikeys.authenticate(session, second) is not None
    missing = cli("apikey", "revoke", "nothing")
    assert missing.code == 3 and "tix apikey list" in missing.stderr


def test_forms_are_set_from_toml_or_json_and_shown(cli, world, tmp_path: Path) -> None:
    definition = tmp_path / "support.toml"
    definition.write_text(FORM_TOML)
    saved = cli("form", "set", "Support", str(definition), "--json")
    assert saved.code == 0, saved.stderr
    assert [f["name"] for f in saved.json()["fields"]] == ["order", "machine", "photo"]
    shown = cli("form", "show", "Support", "--json").json()
    assert shown["channel"] == "Support" and shown["web"] is False
    assert shown["fields"][0] == {
        "name": "order",
        "label": "Order number",
        "type": "text",
        "required": True,
        "options": [],
        "help": "",
    }
    assert shown["fields"][1]["options"] == ["P-400", "F-220"]
    table = cli("form", "show", "Support")
    assert "Order number" in table.stdout and "P-400, F-220" in table.stdout

    broken = tmp_path / "broken.toml"
    for content, words in (
        ("[[field]\nname = 'x'", "cannot be read"),
        ('[[field]]\nname = "Bad Name"', "lower-case letters"),
        ('[[field]]\nname = "a"\ntype = "colour"', "unknown type 'colour'"),
        ('[[field]]\nname = "a"\ntype = "select"', "a select needs options"),
        ("title = 'no fields'", "needs a list of fields"),
    ):
        broken.write_text(content)
        refused = cli("form", "set", "Support", str(broken))
        assert refused.code == 1 and words in refused.stderr, (content, refused.stderr)
        assert "Traceback" not in refused.stderr
    for path, words in (
        (tmp_path / "missing.toml", "check the path given as FILE"),
        (tmp_path, "is a folder: give a file as FILE"),
    ):
        refused = cli("form", "set", "Support", str(path))
        assert refused.code == 2 and words in refused.stderr, refused.stderr
    broken.write_bytes("[[field]]\nname = 'größe'".encode("latin-1"))
    refused = cli("form", "set", "Support", str(broken))
    assert refused.code == 2 and "is not UTF-8 text: save it as UTF-8" in refused.stderr
    assert len(cli("form", "show", "Support", "--json").json()["fields"]) == 3  # unchanged

    as_json = tmp_path / "sales.json"
    as_json.write_text(json.dumps({"fields": [{"name": "budget", "type": "number"}]}))
    assert cli("form", "set", "Sales", str(as_json), "--json").json()["fields"][0]["type"] == (
        "number"
    )
    assert cli("form", "set", "Sales", "--clear", "--json").json()["fields"] == []
    empty = cli("form", "show", "Sales")
    assert empty.code == 0 and "has no form" in empty.stderr and empty.stdout == ""
    assert cli("form", "set", "Sales").code == 2  # neither a file nor --clear
    assert cli("form", "set", "Support", str(definition), user="bob").code == 4
    assert cli("form", "show", "Nowhere").code == 3


def test_channels_take_web_tickets_from_allowed_sites(cli, world) -> None:
    set_web = cli(
        "channel",
        "set",
        "Support",
        "--web",
        "--allowed-origin",
        "https://www.Kunde.example/",
        "--allowed-origin",
        "http://localhost:8000",
        "--json",
    )
    assert set_web.code == 0, set_web.stderr
    assert set_web.json()["web"] is True
    assert set_web.json()["allowed_origins"] == [
        "https://www.kunde.example",
        "http://localhost:8000",
    ]
    shown = cli("form", "show", "Support", "--json").json()
    assert shown["web"] is True and shown["allowed_origins"][0] == "https://www.kunde.example"
    for bad in ("www.kunde.example", "https://www.kunde.example/contact", "ftp://x.example"):
        refused = cli("channel", "set", "Support", "--allowed-origin", bad)
        assert refused.code == 2 and "not a web site origin" in refused.stderr, bad
    off = cli("channel", "set", "Support", "--no-web", "--json")
    assert off.json()["web"] is False
    assert off.json()["allowed_origins"] == ["https://www.kunde.example", "http://localhost:8000"]
    with session_scope(world.engine) as session:
        support = session.execute(select(Channel).where(Channel.name == "Support")).scalar_one()
        assert support.web is False


def test_the_webform_snippet(cli, world, tmp_path: Path, monkeypatch) -> None:
    definition = tmp_path / "support.toml"
    definition.write_text(FORM_TOML)
    assert cli("form", "set", "Support", str(definition)).code == 0
    refused = cli("webform", "snippet", "Support")
    assert refused.code == 1 and "tix channel set Support --web" in refused.stderr
    assert refused.stdout == ""
    assert cli("webform", "snippet", "Nowhere").code == 3

    assert cli("channel", "set", "Support", "--web").code == 0
    monkeypatch.setenv("TIX_PORTAL_URL", "https://help.example.com/")
    made = cli("webform", "snippet", "Support")
    assert made.code == 0, made.stderr
    html = made.stdout
    assert 'action="https://help.example.com/form/Support"' in html
    assert 'enctype="multipart/form-data"' in html  # the form has a file field
    for name in ("name", "email", "subject", "message", "order", "machine", "photo"):
        assert f'name="{name}"' in html, name
    assert '<input name="website" tabindex="-1" autocomplete="off">' in html
    assert 'aria-hidden="true"' in html and "left:-10000px" in html
    assert "<option>P-400</option>" in html and 'type="file"' in html
    as_json = cli("webform", "snippet", "Support", "--json").json()
    assert as_json["channel"] == "Support" and as_json["html"] == html
    assert as_json["language"] == "en"  # the default owner speaks no other
    assert "Your name" in html and "Send" in html and 'name="form_language" value="en"' in html

    german = cli("webform", "snippet", "Support", "--language", "de")
    assert german.code == 0, german.stderr
    for label in ("Ihr Name", "E-Mail", "Betreff", "Nachricht", "Senden"):
        assert f">{label}<" in german.stdout, label
    assert "Your name" not in german.stdout and 'value="de"' in german.stdout
    assert cli("user", "set", "bob", "--language", "de").code == 0
    assert cli("channel", "set", "Support", "--default-owner", "bob").code == 0
    default = cli("webform", "snippet", "Support", "--json").json()
    assert default["language"] == "de" and ">Betreff<" in default["html"]
    wrong = cli("webform", "snippet", "Support", "--language", "fr")
    assert wrong.code == 2 and "use en or de" in wrong.stderr and wrong.stdout == ""


def test_serve_has_help(cli) -> None:
    result = cli("serve", "--help")
    assert result.code == 0
    for words in ("/api/v1/", "/form/", "/portal/", "--port", "--host", "TIX_PORTAL_URL"):
        assert words in result.stdout, words
