"""Text modules: global or per channel, in German and English, for those who may use them."""

from __future__ import annotations

import pytest

from tix.core.db import session_scope
from tix.core.errors import Conflict, Forbidden, Malformed, NotFound
from tix.core.services import contacts, signatures, text_modules, tickets


def _add(world, name: str, body: str, *, channel=None, language=None, as_user="admin") -> None:
    with session_scope(world.engine, write=True) as session:
        text_modules.add_text_module(
            session,
            world.user(session, as_user),
            name=name,
            body=body,
            channel=world.channel(session, channel) if channel else None,
            language=language,
        )


def _use(world, name: str, number: int, *, as_user="bob") -> str:
    with session_scope(world.engine) as session:
        agent = world.user(session, as_user)
        found = tickets.get_ticket(session, agent, number)
        return text_modules.use_text_module(session, agent, name, ticket=found)


def test_a_text_module_is_filled_in_for_the_ticket(world, ticket) -> None:
    _add(
        world,
        "greeting",
        "Hello {{ customer.first_name }} ({{ customer.name }}, {{ customer.email }}),\n"
        "about #{{ ticket.number }} {{ ticket.subject }} in {{ channel.name }}:\n"
        "{{ agent.name }}",
    )
    assert _use(world, "greeting", ticket) == (
        f"Hello Karla (Karla Kunde, kunde@example.com),\nabout #{ticket} Pump in Support:\n"
        "Bob Support"
    )


def test_the_customers_language_wins_then_the_agents(world, ticket) -> None:
    _add(world, "greeting", "Hello {{ customer.first_name }},", language="en")
    _add(world, "greeting", "Hallo {{ customer.first_name }},", language="de")
    assert _use(world, "greeting", ticket) == "Hello Karla,"  # nobody speaks German yet
    with session_scope(world.engine, write=True) as session:
        world.user(session, "bob").language = "de"
    assert _use(world, "greeting", ticket) == "Hallo Karla,"  # the agent's
    with session_scope(world.engine, write=True) as session:
        contacts.find_contact(session, "kunde@example.com").language = "en"
    assert _use(world, "greeting", ticket) == "Hello Karla,"  # the customer's first


def test_a_variant_for_any_language_is_the_fallback(world, ticket) -> None:
    _add(world, "thanks", "Danke!", language="de")
    _add(world, "thanks", "Thanks! / Danke!")
    assert _use(world, "thanks", ticket) == "Thanks! / Danke!"
    with session_scope(world.engine, write=True) as session:
        contacts.find_contact(session, "kunde@example.com").language = "de"
    assert _use(world, "thanks", ticket) == "Danke!"


def test_the_channels_module_wins_and_others_channels_stay_hidden(world, ticket) -> None:
    _add(world, "sign-off", "Global")
    _add(world, "sign-off", "Support's", channel="support")
    _add(world, "offer", "Sales only", channel="sales")
    assert _use(world, "sign-off", ticket) == "Support's"
    with pytest.raises(NotFound, match="offer"):
        _use(world, "offer", ticket)
    with session_scope(world.engine) as session:
        bob, carl = world.user(session, "bob"), world.user(session, "carl")
        assert [
            (i.name, i.channel.name if i.channel else None)
            for i in text_modules.list_text_modules(session, bob)
        ] == [
            ("sign-off", None),
            ("sign-off", "Support"),
        ]
        assert [i.name for i in text_modules.list_text_modules(session, carl)] == [
            "offer",
            "sign-off",
        ]


def test_the_agents_signature_can_be_part_of_a_text(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        signatures.set_signature(
            session, bob, signatures.SignatureOwner(user=bob), body="Bob, {{ channel.name }}"
        )
    _add(world, "close", "Closing this.\n\n{{ agent.signature }}")
    assert _use(world, "close", ticket) == "Closing this.\n\nBob, Support"


def test_who_may_manage_which_modules(world) -> None:
    with pytest.raises(Forbidden, match="only admins"):
        _add(world, "x", "text", as_user="bob")
    _add(world, "rma", "Send it back", channel="support", as_user="bob")  # his channel
    with pytest.raises(Forbidden, match="Sales"):
        _add(world, "rma", "Send it back", channel="sales", as_user="bob")
    with pytest.raises(Conflict, match="set"):
        _add(world, "RMA", "again", channel="support", as_user="bob")
    with pytest.raises(Malformed, match="language"):
        _add(world, "y", "text", language="fr")
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        support = world.channel(session, "support")
        changed = text_modules.set_text_module(
            session, bob, name="rma", channel=support, body="Send it to us", new_name="return"
        )
        assert (changed.name, changed.variants[""].body) == ("return", "Send it to us")
        with pytest.raises(NotFound):
            text_modules.remove_text_module(session, bob, name="rma", channel=support)
        text_modules.remove_text_module(session, bob, name="return", channel=support)
        assert text_modules.list_text_modules(session, bob) == []
