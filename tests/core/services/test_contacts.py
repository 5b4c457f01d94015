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


def test_two_workers_making_the_same_new_sender_neither_wait_nor_fail(world, backend) -> None:
    """Two mail imports at once from one new sender, on PostgreSQL: the second finds the
    contact the first made, while the first's transaction is still open."""
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    import threading

    first = session_scope(world.engine, write=True)
    session = first.__enter__()
    try:
        made = contacts.new_contacts(session, [("neu@kunde.example", "Neu")], apart=True)[0]
        second: list[object] = []

        def other_worker() -> None:
            try:
                with session_scope(world.engine, write=True) as other:
                    found = contacts.new_contacts(
                        other,
                        [("NEU@kunde.example", "Neu"), ("zwei@kunde.example", "")],
                        apart=True,
                    )
                    second.append([(c.id, c.name) for c in found])
            except Exception as error:
                second.append(error)

        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(timeout=10)
        waited = thread.is_alive()
    finally:
        first.__exit__(None, None, None)
    thread.join()
    assert not waited, "the second import waited for the first one's transaction"
    assert len(second) == 1 and isinstance(second[0], list), second
    neu, zwei = second[0]
    assert neu == (made.id, "Neu") and zwei[1] == "zwei"
    with session_scope(world.engine) as session:
        assert contacts.find_contact(session, "neu@kunde.example").id == made.id
