"""The core of web access: forms, API keys, portal logins and what a customer sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tix.core import clock
from tix.core.db import session_scope
from tix.core.errors import Invalid, NotFound
from tix.core.models import ApiKey, Contact, MailAccount, OutboxMessage, TicketOrigin
from tix.core.services import apikeys, changes, channels, contacts, forms, opening, portal, tickets
from tix.core.services.messages import add_note, reply_to_ticket

TOML_FORM = """
[[field]]
name = "order"
label = "Order number"
type = "text"
required = true

[[field]]
name = "machine"
label = "Machine"
type = "select"
options = ["P-400", "F-220"]

[[field]]
name = "since"
type = "date"

[[field]]
name = "urgent"
type = "checkbox"
"""


def test_forms_are_defined_and_values_checked() -> None:
    fields = forms.parse_definition(TOML_FORM, filename="support.toml")
    assert [f["name"] for f in fields] == ["order", "machine", "since", "urgent"]
    assert forms.parse_definition('[{"name": "x", "type": "number"}]')[0]["type"] == "number"
    with pytest.raises(forms.FormErrors) as raised:
        forms.check_values(fields, {"machine": "X-1", "since": "gestern"})
    assert set(raised.value.errors) == {"order", "machine", "since"}
    values = forms.check_values(
        fields, {"order": " A-17 ", "machine": "P-400", "since": "2026-11-20", "urgent": "on"}
    )
    assert values == {"order": "A-17", "machine": "P-400", "since": "2026-11-20", "urgent": True}
    for broken in (
        '[{"name": "Bad Name"}]',
        '[{"name": "a", "type": "colour"}]',
        '[{"name": "a", "type": "select"}]',
        "not = [toml",
        "[]",
    ):
        with pytest.raises(Invalid):
            forms.parse_definition(broken)


def test_api_keys_are_stored_hashed_and_can_be_revoked(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        key, token = apikeys.create_key(
            session,
            admin,
            name="website",
            agent=world.user(session, "bob"),
            channels=[world.channel(session, "support")],
        )
        assert token.startswith("tix_") and token not in (key.token_hash, key.prefix)
    with session_scope(world.engine, write=True) as session:
        stored = session.execute(select(ApiKey)).scalar_one()
        assert token not in str(stored.model_dump())
        found = apikeys.authenticate(session, token)
        assert found is not None and found[1].login == "bob" and found[0].channels == ["Support"]
        assert apikeys.authenticate(session, token + "x") is None
        assert apikeys.authenticate(session, "Bearer nonsense") is None
        apikeys.revoke_key(session, world.user(session, "admin"), name="website")
        assert apikeys.authenticate(session, token) is None


def world_admin(session):
    from tix.core.services.users import get_user

    return get_user(session, "anna")


def test_portal_login_sessions_and_one_time_links(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        session.get(MailAccount, world.account).smtp_host = "127.0.0.1"
        customer = contacts.find_contact(session, "kunde@example.com")
        with pytest.raises(Invalid, match="too short"):
            portal.enable(session, admin, contact=customer, password="short")
        link = portal.invite(session, admin, contact=customer, base_url="https://help.example")
        assert link.startswith("https://help.example/portal/password/")
        mail = session.execute(select(OutboxMessage)).scalar_one()
        assert mail.mail_to == ["kunde@example.com"] and link in mail.body
    token = link.rsplit("/", 1)[1]
    with session_scope(world.engine, write=True) as session:
        assert (
            portal.authenticate(
                session, address="kunde@example.com", password="correct horse battery"
            )
            is None
        )
        portal.set_password_with_token(session, token=token, password="correct horse battery")
    with session_scope(world.engine, write=True) as session:
        with pytest.raises(Invalid, match="no longer valid"):
            portal.set_password_with_token(session, token=token, password="another password!")
        contact = portal.authenticate(
            session, address="KUNDE@example.com", password="correct horse battery"
        )
        assert contact is not None
        assert portal.authenticate(session, address="kunde@example.com", password="wrong") is None
        assert portal.authenticate(session, address="nobody@example.com", password="x") is None
        cookie, csrf = portal.start_session(session, contact)
        assert csrf and portal.current_session(session, cookie) is not None
        portal.end_session(session, cookie)
        assert portal.current_session(session, cookie) is None
        # links and sessions expire
        cookie, _csrf = portal.start_session(session, contact)
    later = datetime.now(UTC) + timedelta(days=15)
    with clock.use_clock(lambda: later), session_scope(world.engine) as session:
        assert portal.current_session(session, cookie) is None


def test_a_customer_sees_only_their_tickets_and_never_notes(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        karla = contacts.find_contact(session, "kunde@example.com")
        other = contacts.add_contact(
            session,
            admin,
            address="other@kunde.example",
            name="Otto Other",
            organization="Kunde GmbH",
        )
        stranger = contacts.add_contact(
            session, admin, address="x@elsewhere.example", name="Stranger"
        )
        support = world.channel(session, "support")
        channels.update_channel(session, admin, channel=support, web=True)
        otto_ticket = portal.open_ticket(
            session,
            other,
            channel=support,
            subject="Otto's",
            body="Hello",
            values={},
            origin=TicketOrigin.PORTAL,
        )
        found = tickets.find_ticket(session, ticket)
        reply_to_ticket(session, world.user(session, "bob"), ticket=found, body="We are coming")
        add_note(session, world.user(session, "bob"), ticket=found, body="secret note")
        internal = opening.open_internal_ticket(session, admin, owner=admin, subject="Internal")
        karla_id, stranger_id = karla.id, stranger.id
        otto_number, internal_number = otto_ticket.number, internal.number
    zone = clock_zone()
    with session_scope(world.engine, write=True) as session:
        karla = session.get(Contact, karla_id)
        assert [t.number for t in portal.my_tickets(session, karla, zone)] == [ticket]
        view = portal.ticket_view(session, karla, portal.my_ticket(session, karla, ticket), zone)
        bodies = [m["body"] for m in view["messages"]]
        assert bodies == ["Leaks", "We are coming"] and "secret note" not in str(view)
        for number in (otto_number, internal_number, 99999, "abc"):
            with pytest.raises(NotFound):
                portal.my_ticket(session, karla, number)
        karla.sees_organization = True
        assert {t.number for t in portal.my_tickets(session, karla, zone)} == {ticket, otto_number}
        stranger = session.get(Contact, stranger_id)
        assert portal.my_tickets(session, stranger, zone) == []
        changes.change_ticket(
            session,
            world.user(session, "bob"),
            ticket=tickets.find_ticket(session, ticket),
            status="solved",
        )
        portal.reply(session, karla, number=ticket, body="Still broken")
        assert tickets.find_ticket(session, ticket).status == "open"


def clock_zone():
    from tix.core.timeutil import zone

    return zone("Europe/Berlin")


def test_rate_limits_count_within_their_window(world) -> None:
    with session_scope(world.engine, write=True) as session:
        for _ in range(3):
            portal.count(session, "login:1.2.3.4")
        assert portal.too_many(session, "login:1.2.3.4", limit=3, window=timedelta(minutes=5))
        assert not portal.too_many(session, "login:5.6.7.8", limit=3, window=timedelta(minutes=5))
    later = datetime.now(UTC) + timedelta(minutes=6)
    with clock.use_clock(lambda: later), session_scope(world.engine) as session:
        assert not portal.too_many(session, "login:1.2.3.4", limit=3, window=timedelta(minutes=5))
