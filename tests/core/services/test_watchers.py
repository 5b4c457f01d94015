"""Watchers and notifications: groups expanded, the author never told, internal tickets closed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tix.core.db import session_scope
from tix.core.errors import Conflict, Invalid, NotFound
from tix.core.models import MailAccount, Notification, OutboxMessage
from tix.core.services import messages, notifications, opening, tickets, users, watchers


def _notified(world, login: str) -> list[str]:
    with session_scope(world.engine) as session:
        return [
            n.text for n in notifications.list_notifications(session, world.user(session, login))
        ]


def test_every_watcher_but_the_author_hears_of_each_activity(world, ticket) -> None:
    number = ticket  # bob made it: creator and owner, so he watches
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        ticket = tickets.find_ticket(session, number)
        sales = users.get_group(session, "Sales")
        watchers.add_watcher(session, admin, ticket=ticket, group=sales)  # carl via the group
        watchers.add_watcher(session, admin, ticket=ticket, user=world.user(session, "dora"))
        messages.add_note(session, world.user(session, "carl"), ticket=ticket, body="on it")
    # carl wrote the note: bob, dora (and the admin? not a watcher) hear of it
    assert any("added a note" in text for text in _notified(world, "bob"))
    assert any("added a note" in text for text in _notified(world, "dora"))
    assert not any("added a note" in text for text in _notified(world, "carl"))
    assert _notified(world, "admin") == []
    # the watcher changes themselves were activities too: bob heard of them
    assert sum("changed the watchers" in text for text in _notified(world, "bob")) == 2


def test_group_members_are_notified_and_mail_goes_to_those_who_want_it(world, ticket) -> None:
    number = ticket
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        account = session.get(MailAccount, world.account)
        account.smtp_host = "127.0.0.1"  # an account that can send
        carl = world.user(session, "carl")
        users.update_user(session, carl, user=carl, notify_by_mail=True)
        ticket = tickets.find_ticket(session, number)
        watchers.add_watcher(session, admin, ticket=ticket, group=users.get_group(session, "Sales"))
        messages.add_note(session, world.user(session, "bob"), ticket=ticket, body="Seal ordered")
    with session_scope(world.engine) as session:
        mails = (
            session.execute(select(OutboxMessage).where(OutboxMessage.purpose == "notification"))
            .scalars()
            .all()
        )
    assert [m.mail_to for m in mails] == [["carl@tix.test"], ["carl@tix.test"]]
    assert "Seal ordered" in mails[-1].body
    assert any("added a note" in text for text in _notified(world, "carl"))


def test_internal_tickets_take_no_watchers(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        ticket = opening.open_internal_ticket(
            session, bob, owner=world.user(session, "carl"), subject="Private"
        )
        with pytest.raises(Invalid, match="internal"):
            watchers.add_watcher(session, bob, ticket=ticket, user=world.user(session, "dora"))
        with pytest.raises(Invalid, match="internal"):
            watchers.add_watcher(
                session, bob, ticket=ticket, group=users.get_group(session, "Support")
            )
        messages.reply_to_ticket(session, world.user(session, "carl"), ticket=ticket, body="ok")
    assert any("replied" in text for text in _notified(world, "bob"))
    assert _notified(world, "dora") == []


def test_watching_twice_is_a_conflict_and_removing_stops_notes(world, ticket) -> None:
    number = ticket
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        ticket = tickets.find_ticket(session, number)
        dora = world.user(session, "dora")
        watchers.add_watcher(session, admin, ticket=ticket, user=dora)
        with pytest.raises(Conflict):
            watchers.add_watcher(session, admin, ticket=ticket, user=dora)
        watchers.remove_watcher(session, admin, ticket=ticket, user=dora)
        before = len(
            session.execute(select(Notification).where(Notification.user_id == dora.id)).all()
        )
        messages.add_note(session, admin, ticket=ticket, body="after")
        after = len(
            session.execute(select(Notification).where(Notification.user_id == dora.id)).all()
        )
    assert before == after


def test_marking_read(world, ticket) -> None:
    number = ticket
    with session_scope(world.engine, write=True) as session:
        ticket = tickets.find_ticket(session, number)
        messages.add_note(session, world.user(session, "admin"), ticket=ticket, body="1")
        messages.add_note(session, world.user(session, "admin"), ticket=ticket, body="2")
        bob = world.user(session, "bob")
        first, second = notifications.list_notifications(session, bob)[:2]
        assert notifications.unread_count(session, bob) == 2
        assert notifications.mark_read(session, bob, ids=[first.id]) == 1
        assert notifications.unread_count(session, bob) == 1
        with pytest.raises(NotFound):
            notifications.mark_read(session, world.user(session, "carl"), ids=[second.id])
        assert notifications.mark_read(session, bob, everything=True) == 1
        assert notifications.unread_count(session, bob) == 0
