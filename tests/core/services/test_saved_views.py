"""Saved views: named filters of the ticket list, one set per agent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tix.core.db import session_scope
from tix.core.errors import Conflict, Invalid, Malformed, NotFound
from tix.core.models import SavedView
from tix.core.services import saved_views
from tix.core.services.saved_views import ViewSpec, parse_priority_range
from tix.core.views import TicketFilter

URGENT = ViewSpec(unassigned=True, min_priority=7, channel="Support", sort="-priority")


def _count(world) -> int:
    with session_scope(world.engine) as session:
        return session.execute(select(func.count()).select_from(SavedView)).scalar_one()


def test_a_view_is_saved_listed_resolved_and_removed(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        saved_views.save_view(session, bob, name="  Urgent,   nobody on it ", spec=URGENT)
        saved_views.save_view(session, bob, name="all mine", spec=ViewSpec(mine=True))
    with session_scope(world.engine) as session:
        bob = world.user(session, "bob")
        assert [v.name for v in saved_views.list_views(session, bob)] == [
            "all mine",
            "Urgent, nobody on it",
        ]
        view = saved_views.get_view(session, bob, "urgent, NOBODY on it")
        assert view.filters == {
            "unassigned": True,
            "min_priority": 7,
            "channel": "Support",
            "sort": "-priority",
        }
        spec = saved_views.view_spec(view)
        assert spec == URGENT
        assert saved_views.resolve_spec(session, spec) == TicketFilter(
            unassigned=True, min_priority=7, channel_id=world.support, sort="-priority"
        )
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        assert saved_views.remove_view(session, bob, "ALL MINE") == "all mine"
        with pytest.raises(NotFound) as caught:
            saved_views.remove_view(session, bob, "all mine")
        assert "tix view list" in caught.value.message
    assert _count(world) == 1


def test_views_belong_to_their_agent(world) -> None:
    with session_scope(world.engine, write=True) as session:
        saved_views.save_view(session, world.user(session, "bob"), name="Mine", spec=URGENT)
        # carl may have a view of the same name: his own
        saved_views.save_view(
            session, world.user(session, "carl"), name="mine", spec=ViewSpec(mine=True)
        )
    with session_scope(world.engine) as session:
        assert [v.name for v in saved_views.list_views(session, world.user(session, "dora"))] == []
        carls = saved_views.get_view(session, world.user(session, "carl"), "Mine")
        assert saved_views.view_spec(carls) == ViewSpec(mine=True)
        with pytest.raises(NotFound):
            saved_views.get_view(session, world.user(session, "dora"), "mine")


def test_a_name_taken_is_a_conflict_unless_replaced(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        saved_views.save_view(session, bob, name="Urgent", spec=URGENT)
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        with pytest.raises(Conflict) as caught:
            saved_views.save_view(session, bob, name="urgent", spec=ViewSpec(mine=True))
        assert "--replace" in caught.value.message
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        saved_views.save_view(session, bob, name="urgent", spec=ViewSpec(mine=True), replace=True)
    with session_scope(world.engine) as session:
        (view,) = saved_views.list_views(session, world.user(session, "bob"))
        assert view.name == "urgent" and view.filters == {"mine": True}


@pytest.mark.parametrize(
    ("name", "spec", "error", "message"),
    [
        ("x", ViewSpec(channel="Nowhere"), NotFound, "no channel 'Nowhere'"),
        ("x", ViewSpec(owner="ghost"), NotFound, "no user 'ghost'"),
        ("x", ViewSpec(customer="who@example.org"), NotFound, "who@example.org"),
        ("x", ViewSpec(sort="size"), Malformed, "unknown sort"),
        ("x", ViewSpec(statuses=("done",)), Malformed, "unknown status"),
        ("x", ViewSpec(color="pink"), Malformed, "unknown color"),
        ("x", ViewSpec(min_priority=10), Malformed, "out of range"),
        (" ", ViewSpec(mine=True), Invalid, "must not be empty"),
        ("a\x1b[2J", ViewSpec(mine=True), Invalid, "control character"),
        ("v" * 81, ViewSpec(mine=True), Invalid, "too long"),
    ],
)
def test_a_view_that_cannot_work_is_not_saved(world, name, spec, error, message) -> None:
    with session_scope(world.engine, write=True) as session, pytest.raises(error) as caught:
        saved_views.save_view(session, world.user(session, "bob"), name=name, spec=spec)
    assert message in caught.value.message
    assert _count(world) == 0


def test_a_view_keeps_the_sla_filters(world) -> None:
    spec = ViewSpec(breached=True, due_within="1d 4h", channel="Support")
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        view = saved_views.save_view(session, bob, name="Late", spec=spec)
        assert view.filters == {"channel": "Support", "breached": True, "due_within": "1d 4h"}
        assert saved_views.resolve_spec(session, saved_views.view_spec(view)) == TicketFilter(
            channel_id=world.support, breached=True, due_within=12 * 60
        )
        with pytest.raises(Malformed) as caught:
            saved_views.save_view(session, bob, name="Soon", spec=ViewSpec(due_within="soon"))
        assert "is no business time" in caught.value.message
    assert spec.describe() == "channel: Support · SLA breached · SLA due within 1d 4h"
    assert _count(world) == 1


def test_a_spec_keeps_what_filters_and_reads_what_a_newer_tix_wrote() -> None:
    spec = ViewSpec(statuses=("open", "waiting"), color="none", search="pump")
    assert spec.to_json() == {"statuses": ["open", "waiting"], "color": "none", "search": "pump"}
    assert ViewSpec.from_json({**spec.to_json(), "watched_by": "bob"}) == spec
    assert ViewSpec().to_json() == {} and ViewSpec().empty


def test_options_refine_a_view() -> None:
    view = ViewSpec(statuses=("waiting",), channel="Support", sort="-priority")
    assert view.refined(ViewSpec(color="red")) == ViewSpec(
        statuses=("waiting",), channel="Support", sort="-priority", color="red"
    )
    assert view.refined(ViewSpec(all_statuses=True)) == ViewSpec(
        all_statuses=True, channel="Support", sort="-priority"
    )
    assert view.refined(ViewSpec(statuses=("open",), sort="number")).statuses == ("open",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", (7, 7)), ("7+", (7, None)), ("3-5", (3, 5)), (" 1 - 9 ", (1, 9)), ("very high", (9, 9))],
)
def test_priority_ranges(text, expected) -> None:
    assert parse_priority_range(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("x", "is no priority"), ("5-3", "runs backwards"), ("0+", "out of range"), ("", "")],
)
def test_priority_ranges_that_cannot_be_read(text, message) -> None:
    with pytest.raises(Malformed) as caught:
        parse_priority_range(text)
    assert message in caught.value.message


def test_the_description_names_every_filter() -> None:
    text = ViewSpec(
        statuses=("open",), mine=True, owner="bob", min_priority=3, max_priority=5, color="red"
    ).describe()
    assert text == "status: open · mine · owner: bob · priority: 3-5 · color: red"
    assert ViewSpec().describe() == "all but closed tickets"
