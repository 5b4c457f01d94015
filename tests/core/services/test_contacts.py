"""Contacts: changed in place, bad values refused without a partial change, and the
language a contact is written to in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tix.core.db import session_scope
from tix.core.errors import Invalid, NotFound
from tix.core.i18n import _
from tix.core.models import Organization
from tix.core.services import contacts


def test_a_contact_is_changed_in_place(world) -> None:
    with session_scope(world.engine, write=True) as session:
        contact = contacts.get_contact(session, "KUNDE@example.com")
        contacts.update_contact(
            session, None, contact, name="Karla K.", kind="supplier", organization="Kunde AG"
        )
    with session_scope(world.engine, write=True) as session:
        contact = contacts.get_contact(session, "kunde@example.com")
        organization = session.get(Organization, contact.organization_id)
        assert (contact.name, contact.kind, organization.name) == (
            "Karla K.",
            "supplier",
            "Kunde AG",
        )
        contacts.update_contact(session, None, contact, organization="", language="de")
    with session_scope(world.engine) as session:
        contact = contacts.get_contact(session, "kunde@example.com")
        assert (contact.organization_id, contact.language, contact.name) == (None, "de", "Karla K.")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "fr"}, "unknown language 'fr': use en or de"),
        ({"kind": "partner"}, "unknown contact kind 'partner': use customer or supplier"),
        ({"name": "  "}, "the contact name must not be empty"),
    ],
)
def test_a_bad_value_changes_nothing(world, change: dict[str, str], message: str) -> None:
    with session_scope(world.engine) as session:
        before = contacts.get_contact(session, "kunde@example.com").organization_id
    with pytest.raises(Invalid, match=message), session_scope(world.engine, write=True) as session:
        contact = contacts.get_contact(session, "kunde@example.com")
        contacts.update_contact(session, None, contact, organization="Neu GmbH", **change)
    with session_scope(world.engine) as session:
        contact = contacts.get_contact(session, "kunde@example.com")
        assert contact.organization_id == before and contact.language == ""
        assert contact.name == "Karla Kunde" and contact.kind == "customer"
        made = session.execute(select(Organization).where(Organization.name == "Neu GmbH"))
        assert made.first() is None


def test_an_unknown_address_is_not_found(world) -> None:
    with (
        pytest.raises(NotFound, match=r"`tix contact add nobody@example\.com"),
        session_scope(world.engine) as session,
    ):
        contacts.get_contact(session, "nobody@example.com")


def test_text_made_for_a_contact_is_in_its_language(world) -> None:
    with session_scope(world.engine, write=True) as session:
        contact = contacts.get_contact(session, "kunde@example.com")
        with contacts.speaking(contact):
            assert _("Reply") == "Reply"  # no language of its own: the default
        contact.language = "de"
        with contacts.speaking(contact):
            assert _("Reply") == "Antworten"
        assert _("Reply") == "Reply"
