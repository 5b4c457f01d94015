"""One intake for customer tickets: mail, the portal and the web form open them alike."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.core.mail.test_ingest import mail
from tix.core.db import session_scope
from tix.core.errors import Invalid
from tix.core.mail.ingest import ingest
from tix.core.models import (
    Activity,
    Contact,
    MailAccount,
    OutboxMessage,
    Ticket,
    TicketOrigin,
)
from tix.core.services import channels, contacts, forms, intake, portal

SUBJECT = "Pump P-400 leaks"
BODY = "Since Monday the pump in hall 2 leaks oil.\n"


@pytest.fixture
def support(world) -> None:
    """Support takes web tickets and acknowledges every new one."""
    with session_scope(world.engine, write=True) as session:
        channels.update_channel(
            session,
            world.user(session, "admin"),
            channel=world.channel(session, "support"),
            web=True,
            acknowledge=True,
        )


def _opened(session, number: int) -> dict[str, Any]:
    """What a customer's new ticket is made of, the way of opening aside."""
    ticket = session.execute(select(Ticket).where(Ticket.number == number)).scalar_one()
    first = session.get(Activity, ticket.first_activity_id)
    customer = session.get(Contact, ticket.customer_id)
    [ack] = (
        session.execute(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))
        .scalars()
        .all()
    )
    return {
        "ticket": (
            ticket.subject,
            ticket.kind,
            ticket.status,
            ticket.priority,
            ticket.channel_id,
            ticket.owner_id,
            ticket.account_id,
            ticket.customer_id,
        ),
        "customer": (customer.name, contacts.primary_address(session, customer)),
        "first": (first.kind, first.body.strip(), first.author_contact_id, first.subject),
        "ack": (
            ack.purpose,
            ack.mail_from,
            ack.mail_to,
            ack.subject.replace(str(number), "N"),
            ack.body.replace(str(number), "N"),
            ack.account_id,
        ),
    }


def test_mail_the_portal_and_the_web_form_open_the_same_ticket(world, support) -> None:
    with session_scope(world.engine, write=True) as session:
        _record, by_mail = ingest(
            session,
            mail(
                subject=SUBJECT,
                body=BODY,
                sender="Maria Roth <maria.roth@Kunde.example>",
                message_id="first@kunde.example",
            ),
            channel=world.channel(session, "support"),
            account=session.get(MailAccount, world.account),
            source="test",
        )
        assert by_mail.ticket is not None
        from_mail = by_mail.ticket.number
    with session_scope(world.engine, write=True) as session:
        maria = portal.contact_for_web(session, address="maria.roth@kunde.example", name="x")
        from_portal = portal.open_ticket(
            session,
            maria,
            channel=world.channel(session, "support"),
            subject=SUBJECT,
            body=BODY,
            values={},
            origin=TicketOrigin.PORTAL,
        ).number
    with session_scope(world.engine, write=True) as session:
        from_form = intake.open_ticket(
            session,
            intake.customer(session, address="MARIA.ROTH@kunde.example", name="Maria Roth"),
            channel=world.channel(session, "support"),
            subject=SUBJECT,
            body=BODY,
            origin=TicketOrigin.WEBFORM,
        ).number
    with session_scope(world.engine) as session:
        mailed, posted, formed = (_opened(session, n) for n in (from_mail, from_portal, from_form))
        origins = [
            session.execute(select(Ticket.origin).where(Ticket.number == n)).scalar_one()
            for n in (from_mail, from_portal, from_form)
        ]
        acks_in_reply_to = [
            session.execute(
                select(OutboxMessage.in_reply_to)
                .join(Ticket, Ticket.id == OutboxMessage.ticket_id)
                .where(Ticket.number == n)
            ).scalar_one()
            for n in (from_mail, from_portal, from_form)
        ]
        made = session.execute(select(Contact).where(Contact.name == "Maria Roth")).scalars()
        assert len(made.all()) == 1  # made by the mail, found by the others
    assert mailed == posted == formed
    assert mailed["customer"] == ("Maria Roth", "maria.roth@kunde.example")
    assert mailed["ack"][:4] == (
        "acknowledgement",
        "tix Support <support@tix.test>",
        ["maria.roth@kunde.example"],
        f"[Ticket#N] We have received your request: {SUBJECT}",
    )
    assert origins == ["mail", "portal", "webform"]
    assert acks_in_reply_to == ["first@kunde.example", None, None]  # answers the mail


def _outbox(world) -> list[tuple[str, list[str]]]:
    with session_scope(world.engine) as session:
        return [
            (m.purpose, m.mail_to)
            for m in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()
        ]


def test_the_acknowledgement_goes_where_the_customer_wrote_from(world, support) -> None:
    with session_scope(world.engine, write=True) as session:
        karla = contacts.find_contact(session, "kunde@example.com")
        contacts.add_contact_address(session, None, contact=karla, address="karla@privat.example")
        found = intake.customer(session, address="Karla@Privat.example", name="Someone Else")
        assert (found.id, found.name) == (karla.id, "Karla Kunde")
        support_channel = world.channel(session, "support")
        for address, acknowledge in (
            ("karla@privat.example", True),
            (None, True),
            ("karla@privat.example", False),
        ):
            intake.open_ticket(
                session,
                found,
                channel=support_channel,
                subject=SUBJECT,
                body=BODY,
                origin=TicketOrigin.API,
                address=address,
                acknowledge=acknowledge,
            )
    assert _outbox(world) == [
        ("acknowledgement", ["karla@privat.example"]),
        ("acknowledgement", ["kunde@example.com"]),  # the primary address
    ]


def test_acknowledgements_stop_after_the_daily_limit(world, support) -> None:
    with session_scope(world.engine, write=True) as session:
        karla = contacts.find_contact(session, "kunde@example.com")
        for _ in range(intake.ACK_LIMIT_PER_DAY + 2):
            intake.open_ticket(
                session,
                karla,
                channel=world.channel(session, "support"),
                subject=SUBJECT,
                body=BODY,
                origin=TicketOrigin.PORTAL,
            )
        assert session.execute(select(Ticket)).scalars().all()[-1].number
    assert len(_outbox(world)) == intake.ACK_LIMIT_PER_DAY


def test_no_acknowledgement_where_the_channel_gives_none(world) -> None:
    with session_scope(world.engine, write=True) as session:
        intake.open_ticket(
            session,
            contacts.find_contact(session, "kunde@example.com"),
            channel=world.channel(session, "support"),
            subject=SUBJECT,
            body=BODY,
            origin=TicketOrigin.API,
        )
    assert _outbox(world) == []


@pytest.mark.parametrize(
    "address", ["not an address", "a@example.com, b@example.com", "a@example.com\r\nBcc: e@x.org"]
)
def test_a_bad_customer_address_makes_no_contact(world, address: str) -> None:
    with session_scope(world.engine, write=True) as session:
        with pytest.raises(Invalid):
            intake.customer(session, address=address, name="Eve")
        assert session.execute(select(Contact).where(Contact.name == "Eve")).first() is None


def test_the_form_is_checked_before_anything_is_written(world) -> None:
    form = [
        {"name": "serial", "label": "Serial number", "type": "text", "required": True},
        {"name": "since", "label": "Since", "type": "date"},
    ]
    with session_scope(world.engine, write=True) as session:
        channel = world.channel(session, "support")
        forms.set_form(session, world.user(session, "admin"), channel=channel, fields=form)
        with pytest.raises(forms.FormErrors) as wrong:
            intake.check_form(channel, {"since": "yesterday-ish", "colour": "red"})
        assert set(wrong.value.errors) == {"serial", "since", "colour"}
        assert intake.check_form(channel, {"serial": " A-1 ", "since": "2026-11-30"}) == {
            "serial": "A-1",
            "since": "2026-11-30",
        }
