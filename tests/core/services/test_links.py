"""Links between tickets: each side sees its own relation, pairs link once, no cycles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tix.core.db import session_scope
from tix.core.errors import Conflict, Forbidden, Invalid, NotFound
from tix.core.models import Activity, TicketStatus
from tix.core.services import contacts, links, opening
from tix.core.services.changes import change_ticket
from tix.core.views import children_counts


def _request(session, world, subject: str, channel: str = "support", owner: str = "bob"):
    return opening.open_request_ticket(
        session,
        world.user(session, "admin"),
        channel=world.channel(session, channel),
        customer=contacts.find_contact(session, "kunde@example.com"),
        owner=world.user(session, owner),
        subject=subject,
        body="text",
    )


def _relations(session, world, ticket, login: str = "bob") -> list[tuple[str, int]]:
    return [
        (x.relation, x.number)
        for x in links.ticket_links(session, world.user(session, login), ticket)
    ]


@pytest.mark.parametrize(
    ("kind", "mine", "theirs"),
    [
        ("parent", "parent", "child"),
        ("child", "child", "parent"),
        ("duplicate", "duplicate", "original"),
        ("related", "related", "related"),
    ],
)
def test_each_ticket_sees_the_link_from_its_side(world, kind, mine, theirs) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        first, second = _request(session, world, "A"), _request(session, world, "B")
        links.link_tickets(session, bob, ticket=first, other=second, kind=kind)
        assert _relations(session, world, first) == [(mine, second.number)]
        assert _relations(session, world, second) == [(theirs, first.number)]
        recorded = session.execute(
            select(Activity.new_value).where(
                Activity.ticket_id == second.id, Activity.field == "link"
            )
        ).scalar_one()
        assert recorded == f"{theirs}:{first.number}"


def test_unlink_removes_the_link_from_both_and_records_it(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        first, second = _request(session, world, "A"), _request(session, world, "B")
        links.link_tickets(session, bob, ticket=first, other=second, kind="parent")
        links.unlink_tickets(session, bob, ticket=second, other=first)
        assert _relations(session, world, first) == _relations(session, world, second) == []
        old = session.execute(
            select(Activity.old_value)
            .where(Activity.ticket_id == first.id, Activity.field == "link")
            .order_by(Activity.seq.desc())
            .limit(1)
        ).scalar_one()
        assert old == f"parent:{second.number}"
        with pytest.raises(NotFound):
            links.unlink_tickets(session, bob, ticket=second, other=first)


def test_a_pair_links_once_never_to_itself_and_never_in_a_circle(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        a, b, c = (_request(session, world, name) for name in "ABC")
        links.link_tickets(session, bob, ticket=a, other=b, kind="parent")
        links.link_tickets(session, bob, ticket=b, other=c, kind="parent")
        with pytest.raises(Conflict):
            links.link_tickets(session, bob, ticket=b, other=a, kind="related")
        with pytest.raises(Invalid):
            links.link_tickets(session, bob, ticket=a, other=a, kind="related")
        with pytest.raises(Invalid):
            links.link_tickets(session, bob, ticket=c, other=a, kind="parent")
        with pytest.raises(Invalid):
            links.link_tickets(session, bob, ticket=a, other=c, kind="child")
        with pytest.raises(Invalid):
            links.link_tickets(session, bob, ticket=a, other=c, kind="sibling")


def test_links_only_between_tickets_the_actor_sees_and_only_visible_ones_are_shown(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        anna = world.user(session, "admin")
        mine = _request(session, world, "Support")
        theirs = _request(session, world, "Sales", channel="sales", owner="carl")
        with pytest.raises(Forbidden):
            links.link_tickets(session, bob, ticket=mine, other=theirs, kind="related")
        links.link_tickets(session, anna, ticket=mine, other=theirs, kind="related")
        assert _relations(session, world, mine, "bob") == []
        assert _relations(session, world, mine, "admin") == [("related", theirs.number)]


def test_a_parent_counts_its_open_children(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        parent = _request(session, world, "Parent")
        children = [_request(session, world, f"Child {n}") for n in range(3)]
        for child in children:
            links.link_tickets(session, bob, ticket=child, other=parent, kind="child")
        change_ticket(session, bob, ticket=children[0], status=TicketStatus.CLOSED)
        change_ticket(session, bob, ticket=children[1], status=TicketStatus.SOLVED)
        counts = children_counts(session, [parent.id, children[2].id])
        assert counts == {parent.id: (1, 3)}
