"""Shell completion offers values from the database, not only command names."""

from __future__ import annotations

import pytest

from tix.cli.app import run
from tix.core.db import session_scope


@pytest.fixture
def tab(cli, monkeypatch, capsys):
    """What bash offers after ``typed`` and Tab (as the user ``TIX_USER`` is)."""

    def complete(typed: str, user: str = "anna") -> list[str]:
        words = typed.split()
        current = len(words) if typed.endswith(" ") else len(words) - 1
        monkeypatch.setenv("_TIX_COMPLETE", "complete_bash")
        monkeypatch.setenv("COMP_WORDS", typed)
        monkeypatch.setenv("COMP_CWORD", str(current))
        monkeypatch.setenv("TIX_USER", user)
        capsys.readouterr()
        try:
            assert run([]) == 0
        finally:
            monkeypatch.delenv("_TIX_COMPLETE")
        out, err = capsys.readouterr()
        assert err == ""
        return out.split()

    return complete


def test_values_come_from_the_database(tab, world, ticket) -> None:
    assert tab("tix ticket list --owner ") == ["anna", "bob", "carl", "dora"]
    assert tab("tix ticket list --owner B") == ["bob"]
    assert tab("tix --as ") == ["anna", "bob", "carl", "dora"]
    assert tab("tix watch add 1 --user c") == ["carl"]
    assert tab("tix ticket list --channel ") == ["Sales", "Support"]
    assert tab("tix ticket new --kind mail --account ") == ["support"]
    assert tab("tix account test ") == ["support"]
    assert tab("tix channel set S") == ["Sales", "Support"]
    assert tab("tix group member add ") == ["Sales", "Support"]
    assert tab("tix ticket list --status ") == [
        "new",
        "open",
        "waiting",
        "solved",
        "closed",
        "all",
    ]
    assert tab("tix ticket set 1 --status w") == ["waiting"]
    assert tab("tix mail log --status ") == ["imported", "duplicate", "ignored", "unprocessable"]
    assert tab("tix contact list --kind ") == []  # contact list has no --kind
    assert tab("tix contact add a@b.example --kind ") == ["customer", "supplier"]
    assert tab("tix ti") == ["ticket", "time"]
    assert tab("tix user list --format ") == ["table", "tsv", "csv", "json", "jsonl"]


def test_categories_and_projects(cli, tab, ticket) -> None:
    assert cli("ticket", "set", str(ticket), "--add-category", "Hardware").code == 0
    assert cli("project", "new", "Pumps", "--from-ticket", str(ticket)).code == 0
    assert tab("tix ticket list --category ") == ["Hardware"]
    assert tab("tix ticket set 1 --remove-category h") == ["Hardware"]
    assert tab("tix time list --project ") == ["Pumps"]


def test_ticket_numbers_are_the_recently_changed_ones_you_may_see(cli, tab, world, ticket) -> None:
    made = cli(
        "ticket", "new", "--kind", "internal", "--owner", "bob", "--subject", "Bob's", user="bob"
    )
    assert made.code == 0, made.stderr
    private = str(ticket + 1)
    assert tab("tix ticket show ") == [str(ticket)]
    assert tab("tix ticket show ", user="bob") == [private, str(ticket)]
    assert cli("ticket", "note", str(ticket), "--body", "later").code == 0
    assert tab("tix ticket show ", user="bob") == [str(ticket), private]
    assert tab("tix ticket show #" + str(ticket)[:2], user="bob") == [str(ticket), private]
    assert tab("tix ticket show " + str(ticket), user="bob") == [str(ticket)]
    assert tab("tix time list --ticket " + str(ticket)[:3]) == [str(ticket)]
    assert tab("tix ticket show 9") == []
    assert tab("tix ticket show x") == []


def test_no_database_offers_nothing(tab, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TIX_DATABASE_URL", f"sqlite:///{tmp_path}/missing.db")
    assert tab("tix ticket list --owner ") == []
    assert not (tmp_path / "missing.db").exists()
    assert tab("tix ti") == ["ticket", "time"]


def test_the_numbers_of_many_tickets(cli, tab, world) -> None:
    """Numbers above 999 picked by range: 1000-1099 and 10000-10999 start with 10."""
    from tix.core.models import Ticket

    with session_scope(world.engine, write=True) as session:
        for number in (1005, 1099, 10500, 1100, 99):
            session.add(
                Ticket(
                    number=number,
                    kind="request",
                    status="open",
                    subject="Made for completion",
                    channel_id=world.support,
                    owner_id=world.bob,
                )
            )
    assert sorted(tab("tix ticket show 10")) == ["1005", "10500", "1099"]
    assert sorted(tab("tix ticket show 100")) == ["1005"]
    assert tab("tix ticket show 1100") == ["1100"]
