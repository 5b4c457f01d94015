"""``tix signature``: set, show, list and remove, and the signature in the mail that
leaves through ``tix mail send``."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_mail import send_through
from tests.servers import SmtpServer


def test_set_show_list_and_remove(cli, world, tmp_path: Path) -> None:
    footer = tmp_path / "footer.md"
    footer.write_text("**ACME GmbH** · {{ channel.name }}\n", encoding="utf-8")
    saved = cli("signature", "set", "Support", "--body-file", str(footer), "--json")
    assert saved.code == 0, saved.stderr
    assert saved.json()["kind"] == "channel" and saved.json()["name"] == "Support"
    assert saved.json()["body"] == "**ACME GmbH** · {{ channel.name }}"
    stdin = cli(
        "signature",
        "set",
        "--account",
        "support",
        "--body-file",
        "-",
        "--acknowledgements",
        stdin="ACME · {{ account.address }}",
    )
    assert stdin.code == 0, stdin.stderr
    own = cli("signature", "set", "--mine", "--body", "Bob", user="bob")
    assert own.code == 0, own.stderr

    shown = cli("signature", "show", "--account", "support")
    assert shown.stdout == "ACME · {{ account.address }}\n"
    listed = cli("signature", "list", "--json").json()
    assert [(row["kind"], row["name"], row["acknowledgements"]) for row in listed] == [
        ("channel", "Support", False),
        ("account", "support", True),
        ("user", "bob", False),
    ]
    tsv = cli("signature", "list", "--fields", "kind,name")
    assert tsv.stdout.splitlines() == [
        "kind\tname",
        "channel\tSupport",
        "account\tsupport",
        "user\tbob",
    ]

    removed = cli("signature", "remove", "--account", "support", "--json")
    assert removed.code == 0 and removed.json()["name"] == "support"
    gone = cli("signature", "show", "--account", "support")
    assert gone.code == 3
    assert gone.stderr.count("\n") == 1 and "tix signature set" in gone.stderr


def test_the_signature_a_ticket_gets_is_shown_filled_in(cli, world, ticket) -> None:
    assert cli("signature", "show", "--ticket", str(ticket)).stdout.startswith(
        f"Mail on #{ticket} goes out without a signature."
    )
    cli("signature", "set", "Support", "--body", "{{ channel.name }} · {{ agent.name }}")
    cli("signature", "set", "--mine", "--body", "Cheers, {{ agent.first_name }}", user="bob")
    shown = cli("signature", "show", "--ticket", str(ticket), "--json", user="bob")
    assert shown.json() == {
        "ticket": ticket,
        "signature": "Cheers, Bob\n\nSupport · Bob Support",
    }


def test_bad_input_gives_one_line_and_the_right_exit_code(cli, world) -> None:
    cases = [
        (("signature", "set", "--body", "x"), 2, "name one signature"),
        (("signature", "set", "Support", "--account", "support", "--body", "x"), 2, "name one"),
        (("signature", "set", "Support"), 2, "--body"),
        (("signature", "set", "Nowhere", "--body", "x"), 3, "Nowhere"),
        (("signature", "set", "Support", "--body", "{{ agent.nmae }}"), 1, "agent.nmae"),
        (("signature", "set", "Support", "--body", "{{ ''.__class__ }}"), 1, "__class__"),
    ]
    for args, code, text in cases:
        result = cli(*args)
        assert result.code == code, (args, result.stderr)
        assert text in result.stderr
        assert "Traceback" not in result.stderr and result.stderr.count("\n") <= 2
    refused = cli("signature", "set", "Support", "--body", "x", user="bob")
    assert refused.code == 4 and "only admins" in refused.stderr
    others = cli("signature", "set", "--user", "carl", "--body", "x", user="bob")
    assert others.code == 4
    assert cli("signature", "list", "--json").json() == []  # nothing was changed


def test_the_mail_the_customer_receives_is_signed_in_text_and_html(cli, world, ticket) -> None:
    cli("signature", "set", "Support", "--body", "**ACME GmbH**\n{{ agent.name }}")
    replied = cli(
        "ticket",
        "reply",
        str(ticket),
        "--body",
        "The part is on its way.\n\n> Where is it?",
        user="bob",
    )
    assert replied.code == 0, replied.stderr
    with SmtpServer() as smtp:
        send_through(cli, smtp)
        assert cli("mail", "send", "--json").json()["sent"] == 1
        message = smtp.wait_for(1)[0].message()
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert text == (
        "The part is on its way.\n\n-- \n**ACME GmbH**\nBob Support\n\n> Where is it?\n"
    )
    assert "<strong>ACME GmbH</strong><br />\nBob Support" in html
    assert html.index("ACME GmbH") < html.index("<blockquote>")
