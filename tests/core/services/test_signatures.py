"""Signatures under outgoing mail: account over channel, the agent's own above, never on
notes, on acknowledgements only when the channel's signature says so."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tix.core.db import session_scope
from tix.core.errors import Forbidden, Invalid, NotFound
from tix.core.models import Activity, MailAccount, OutboxMessage, TicketOrigin
from tix.core.services import channels, contacts, intake, messages, opening, tickets
from tix.core.services.signatures import (
    SignatureOwner,
    remove_signature,
    set_signature,
    signed,
    ticket_signature,
)

CHANNEL_SIGNATURE = "{{ channel.name }} team, ACME GmbH"
ACCOUNT_SIGNATURE = "ACME GmbH · {{ account.address }}"


def _outbox_bodies(world) -> list[tuple[str, str]]:
    with session_scope(world.engine) as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        return [(row.purpose, row.body) for row in rows]


def _set(world, *, channel=None, account=None, user=None, body: str, **options) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        owner = SignatureOwner(
            channel=world.channel(session, channel) if channel else None,
            account=session.get(MailAccount, world.account) if account else None,
            user=world.user(session, user) if user else None,
        )
        set_signature(session, admin, owner, body=body, **options)


def _reply(world, number: int, body: str = "The part is on its way.", *, as_user="bob") -> None:
    with session_scope(world.engine, write=True) as session:
        agent = world.user(session, as_user)
        found = tickets.get_ticket(session, agent, number)
        messages.reply_to_ticket(session, agent, ticket=found, body=body)


def test_a_reply_is_signed_with_the_channels_signature_and_the_activity_is_not(
    world, ticket
) -> None:
    _set(world, channel="support", body=CHANNEL_SIGNATURE)
    _reply(world, ticket)
    [(purpose, body)] = _outbox_bodies(world)
    assert purpose == "reply"
    assert body == "The part is on its way.\n\n-- \nSupport team, ACME GmbH\n"
    with session_scope(world.engine) as session:
        reply = (
            session.execute(
                select(Activity).where(Activity.kind == "reply").order_by(Activity.id.desc())
            )
            .scalars()
            .first()
        )
        assert reply.body == "The part is on its way."


def test_the_accounts_signature_wins_over_the_channels(world, ticket) -> None:
    _set(world, channel="support", body=CHANNEL_SIGNATURE)
    _set(world, account=True, body=ACCOUNT_SIGNATURE)
    _reply(world, ticket)
    assert _outbox_bodies(world)[0][1].endswith("-- \nACME GmbH · support@tix.test\n")
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        remove_signature(session, admin, SignatureOwner(account=session.get(MailAccount, 1)))
    _reply(world, ticket)
    assert _outbox_bodies(world)[1][1].endswith("-- \nSupport team, ACME GmbH\n")


def test_the_agents_own_signature_goes_above_or_where_the_channel_places_it(world, ticket) -> None:
    _set(world, user="bob", body="Kind regards,\n{{ agent.name }}\n{{ agent.email }}")
    _reply(world, ticket)
    assert _outbox_bodies(world)[0][1].endswith("-- \nKind regards,\nBob Support\nbob@tix.test\n")
    _set(world, channel="support", body=CHANNEL_SIGNATURE)
    _reply(world, ticket)
    assert _outbox_bodies(world)[1][1].endswith(
        "-- \nKind regards,\nBob Support\nbob@tix.test\n\nSupport team, ACME GmbH\n"
    )
    _set(world, channel="support", body="ACME GmbH\n\n{{ agent.signature }}")
    _reply(world, ticket)
    assert _outbox_bodies(world)[2][1].endswith(
        "-- \nACME GmbH\n\nKind regards,\nBob Support\nbob@tix.test\n"
    )


def test_solutions_and_new_mail_tickets_are_signed_notes_are_not(world, ticket) -> None:
    _set(world, channel="support", body=CHANNEL_SIGNATURE)
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        found = tickets.get_ticket(session, bob, ticket)
        messages.add_note(session, bob, ticket=found, body="Called the customer")
        messages.add_solution(session, bob, ticket=found, body="Replaced the seal.")
        opening.open_mail_ticket(
            session,
            bob,
            account=session.get(MailAccount, world.account),
            channel=world.channel(session, "support"),
            to=["kunde@example.com"],
            subject="Your order",
            body="It ships today.",
        )
    assert _outbox_bodies(world) == [
        ("reply", "Replaced the seal.\n\n-- \nSupport team, ACME GmbH\n"),
        ("new", "It ships today.\n\n-- \nSupport team, ACME GmbH\n"),
    ]


def test_acknowledgements_are_signed_only_when_the_signature_says_so(world) -> None:
    with session_scope(world.engine, write=True) as session:
        channels.update_channel(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "support"),
            acknowledge=True,
        )
    _set(world, channel="support", body=CHANNEL_SIGNATURE)
    _set(world, user="bob", body="Bob")

    def open_one() -> str:
        with session_scope(world.engine, write=True) as session:
            intake.open_ticket(
                session,
                contacts.find_contact(session, "kunde@example.com"),
                channel=world.channel(session, "support"),
                subject="Pump",
                body="Leaks",
                origin=TicketOrigin.PORTAL,
            )
        return _outbox_bodies(world)[-1][1]

    assert "-- " not in open_one()
    _set(world, channel="support", body=CHANNEL_SIGNATURE, acknowledgements=True)
    # the channel's signature, never an agent's: nobody wrote it
    assert open_one().endswith("\n\n-- \nSupport team, ACME GmbH\n")


def test_the_signature_stands_above_a_quoted_message() -> None:
    body = "Thanks, done.\n\nOn Monday, Karla wrote:\n> It leaks\n>\n> Karla\n"
    assert signed(body, "Bob") == (
        "Thanks, done.\n\n-- \nBob\n\nOn Monday, Karla wrote:\n> It leaks\n>\n> Karla\n"
    )
    assert signed("> only a quote", "Bob") == "-- \nBob\n\n> only a quote\n"
    assert signed("Text: with a colon", "Bob") == "Text: with a colon\n\n-- \nBob\n"
    assert signed("Text", None) == "Text"


def test_who_may_set_which_signature(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        set_signature(session, bob, SignatureOwner(user=bob), body="Bob")  # his own
        with pytest.raises(Forbidden):
            set_signature(session, bob, SignatureOwner(user=world.user(session, "carl")), body="x")
        with pytest.raises(Forbidden, match="only admins"):
            set_signature(
                session, bob, SignatureOwner(channel=world.channel(session, "support")), body="x"
            )
        with pytest.raises(Invalid, match=r"unknown variable agent\.nme"):
            set_signature(session, bob, SignatureOwner(user=bob), body="{{ agent.nme }}")
        with pytest.raises(Invalid, match="must not be empty"):
            set_signature(session, bob, SignatureOwner(user=bob), body="  \n")
        with pytest.raises(NotFound):
            remove_signature(session, bob, SignatureOwner(user=world.user(session, "bob")))
            remove_signature(session, bob, SignatureOwner(user=world.user(session, "bob")))


def test_a_ticket_without_signatures_goes_out_unsigned(world, ticket) -> None:
    with session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        assert ticket_signature(session, bob, tickets.get_ticket(session, bob, ticket)) is None
    _reply(world, ticket)
    assert _outbox_bodies(world) == [("reply", "The part is on its way.")]
