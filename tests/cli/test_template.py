"""``tix template`` and ``tix ticket reply|note|solve --template``."""

from __future__ import annotations

from pathlib import Path


def test_add_list_show_set_and_remove(cli, world, ticket, tmp_path: Path) -> None:
    added = cli(
        "template", "add", "greeting", "--body", "Hello {{ customer.first_name }},", "--json"
    )
    assert added.code == 0, added.stderr
    assert added.json() == {
        "name": "greeting",
        "channel": None,
        "languages": ["any"],
        "texts": {"any": "Hello {{ customer.first_name }},"},
    }
    german = tmp_path / "gruss.md"
    german.write_text("Hallo {{ customer.first_name }},\n", encoding="utf-8")
    assert (
        cli("template", "add", "greeting", "--language", "de", "--body-file", str(german)).code == 0
    )
    assert cli("template", "add", "rma", "--channel", "Support", "--body", "Send it back").code == 0

    listed = cli("template", "list", "--json").json()
    assert [(row["name"], row["channel"], row["languages"]) for row in listed] == [
        ("greeting", None, ["any", "de"]),
        ("rma", "Support", ["any"]),
    ]
    tsv = cli("template", "list")  # piped: tab-separated under a header
    assert tsv.stdout.splitlines() == [
        "name\tchannel\tlanguages",
        "greeting\t\tany,de",
        "rma\tSupport\tany",
    ]
    carl = cli("template", "list", "--json", user="carl").json()
    assert [row["name"] for row in carl] == ["greeting"]  # not Support's

    assert cli("template", "show", "greeting", "--language", "de").stdout == (
        "Hallo {{ customer.first_name }},\n"
    )
    filled = cli("template", "show", "greeting", "--ticket", str(ticket), "--json")
    assert filled.json()["rendered"] == "Hello Karla,"

    changed = cli(
        "template",
        "set",
        "greeting",
        "--language",
        "de",
        "--body",
        "Moin {{ customer.first_name }}",
    )
    assert changed.code == 0, changed.stderr
    renamed = cli("template", "set", "rma", "--channel", "Support", "--rename", "return", "--json")
    assert renamed.json()["name"] == "return"
    assert cli("template", "remove", "greeting", "--language", "de").code == 0
    assert cli("template", "list", "--json").json()[0]["languages"] == ["any"]
    assert cli("template", "remove", "return", "--channel", "Support").code == 0
    assert [row["name"] for row in cli("template", "list", "--json").json()] == ["greeting"]


def test_reply_note_and_solve_start_with_a_template(cli, world, ticket) -> None:
    cli("template", "add", "greeting", "--body", "Hello {{ customer.first_name }},")
    cli(
        "template",
        "add",
        "greeting",
        "--language",
        "de",
        "--body",
        "Hallo {{ customer.first_name }},",
    )
    replied = cli(
        "ticket",
        "reply",
        str(ticket),
        "--template",
        "greeting",
        "--body",
        "it ships today.",
        "--json",
        user="bob",
    )
    assert replied.code == 0, replied.stderr
    assert replied.json()["body"] == "Hello Karla,\n\nit ships today."
    cli("contact", "set", "kunde@example.com", "--language", "de")
    noted = cli("ticket", "note", str(ticket), "--template", "greeting", "--json", user="bob")
    assert noted.code == 0, noted.stderr
    assert noted.json()["body"] == "Hallo Karla,"
    solved = cli(
        "ticket",
        "solve",
        str(ticket),
        "--template",
        "greeting",
        "--body-file",
        "-",
        "--json",
        user="bob",
        stdin="Fixed.\n",
    )
    assert solved.json()["body"] == "Hallo Karla,\n\nFixed."


def test_bad_input_gives_one_line_and_the_right_exit_code(cli, world, ticket) -> None:
    cli("template", "add", "greeting", "--body", "Hello")
    cases = [
        (("template", "add", "x", "--body", "{{ customer.nmae }}"), 1, "customer.nmae"),
        (("template", "add", "x", "--body", "{{ ''.__class__ }}"), 1, "__class__"),
        (("template", "add", "x", "--body", "{% if %}"), 1, "line 1"),
        (("template", "add", "x", "--body", "y", "--language", "fr"), 2, "fr"),
        (("template", "add", "greeting", "--body", "again"), 5, "tix template set"),
        (("template", "add", "x", "--channel", "Nowhere", "--body", "y"), 3, "Nowhere"),
        (("template", "add", "x"), 2, "--body"),
        (("template", "show", "missing"), 3, "tix template list"),
        (("template", "set", "greeting"), 2, "--body"),
        (("template", "set", "greeting", "--language", "de", "--body", "x"), 3, "German"),
        (("template", "remove", "missing"), 3, "missing"),
        (("ticket", "reply", str(ticket), "--template", "missing"), 3, "missing"),
    ]
    for args, code, text in cases:
        result = cli(*args)
        assert result.code == code, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.count("\n") <= 2
    refused = cli("template", "add", "x", "--body", "y", user="bob")
    assert refused.code == 4 and "--channel" in refused.stderr
    listed = cli("template", "list", "--json").json()
    assert [(row["name"], row["texts"]) for row in listed] == [("greeting", {"any": "Hello"})]
