"""Opening and working tickets through the one write path."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tix.core.db import session_scope
from tix.core.errors import Conflict, Invalid, NotFound
from tix.core.models import Activity, ActivityKind, MailAccount, OutboxMessage, Ticket
from tix.core.services import contacts, messages, opening, projects, tickets
from tix.core.services.activities import append_activity
from tix.core.services.changes import CLEAR, TicketChanges, change_ticket
from tix.core.timeutil import zone
from tix.core.views import ticket_detail

UTC_ZONE = zone("UTC")


def _count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def _detail(world, number: int, login: str = "admin") -> dict:
    with session_scope(world.engine) as session:
        user = world.user(session, login)
        found = tickets.get_ticket(session, user, number)
        return ticket_detail(session, user, found, UTC_ZONE).model_dump(mode="json")


def _open_mail_ticket(session, world, **fields):
    """A mail ticket bob opens in Support from the world's account."""
    return opening.open_mail_ticket(
        session,
        world.user(session, "bob"),
        account=session.get(MailAccount, world.account),
        channel=world.channel(session, "support"),
        **fields,
    )


def test_a_display_name_with_a_comma_is_one_recipient(world) -> None:
    with session_scope(world.engine, write=True) as session:
        number = _open_mail_ticket(
            session,
            world,
            to=['"Müller, Hans" <hans@kunde.example>; einkauf@kunde.example'],
            cc=["Chef <chef@kunde.example>, Chef <chef@kunde.example>"],
            subject="Angebot",
            body="Anbei das Angebot.",
        ).number
        mail = session.execute(select(OutboxMessage)).scalars().one()
        assert mail.mail_to == ["hans@kunde.example", "einkauf@kunde.example"]
        assert mail.mail_cc == ["chef@kunde.example"]
    customer = _detail(world, number)["customer"]
    assert customer["address"] == "hans@kunde.example"
    assert customer["name"] == "Müller, Hans"


def test_a_mail_ticket_sends_its_first_mail_at_once(world) -> None:
    with session_scope(world.engine, write=True) as session:
        ticket = _open_mail_ticket(
            session,
            world,
            to=["Neu Kunde <neu@kunde.example>"],
            cc=["chef@kunde.example"],
            bcc=["archiv@tix.test"],
            subject="Your quote",
            body="Here is the quote.",
            priority=7,
            categories=["Sales", "Quote"],
        )
        number = ticket.number
        queued = session.execute(select(OutboxMessage)).scalars().all()
    assert len(queued) == 1
    mail = queued[0]
    assert mail.mail_to == ["neu@kunde.example"]
    assert mail.mail_cc == ["chef@kunde.example"] and mail.mail_bcc == ["archiv@tix.test"]
    assert mail.subject == f"[Ticket#{number}] Your quote"
    assert mail.mail_from == "tix Support <support@tix.test>"
    assert mail.message_id.endswith("@tix.test")
    data = _detail(world, number)
    assert data["kind"] == "mail" and data["status"] == "open" and data["owner"] == "bob"
    assert data["customer"]["address"] == "neu@kunde.example"
    assert data["customer"]["name"] == "Neu Kunde"
    assert data["categories"] == ["Quote", "Sales"] and data["priority"] == 7
    first = data["first_message"]
    assert first is not None and first["kind"] == "reply" and first["body"] == "Here is the quote."
    assert first["message_id"] == mail.message_id
    assert [w["user"] for w in data["watchers"]] == ["bob"]


def test_a_request_ticket_records_the_call_and_mails_only_the_replies(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        customer = contacts.find_contact(session, "kunde@example.com")
        ticket = opening.open_request_ticket(
            session,
            admin,
            channel=world.channel(session, "support"),
            customer=customer,
            subject="Call: printer",
            body="Customer called: printer broken",
        )
        assert _count(session, OutboxMessage) == 0
        messages.reply_to_ticket(session, admin, ticket=ticket, body="We will send a technician.")
        mail = session.execute(select(OutboxMessage)).scalar_one()
        number = ticket.number
    assert mail.mail_to == ["kunde@example.com"]
    data = _detail(world, number)
    assert data["first_message"]["body"] == "Customer called: printer broken"
    assert data["first_message"]["details"] == {"on_behalf_of": "kunde@example.com"}
    assert [a["kind"] for a in data["activities"]] == ["message", "reply"]


def test_replies_thread_to_the_customers_last_mail(world) -> None:
    with session_scope(world.engine, write=True) as session:
        customer = contacts.find_contact(session, "kunde@example.com")
        ticket = opening.open_customer_ticket(
            session,
            customer,
            channel=world.channel(session, "support"),
            subject="Help",
            body="My machine is broken",
            mail=messages.MailFacts(
                message_id="first@kunde.example", mail_from="Karla <karla.privat@kunde.example>"
            ),
        )
        assert ticket.status == "new" and ticket.owner_id == world.bob
        bob = world.user(session, "bob")
        messages.reply_to_ticket(session, bob, ticket=ticket, body="Which machine?")
        messages.add_customer_message(
            session,
            customer,
            ticket=ticket,
            body="The big one",
            mail=messages.MailFacts(
                message_id="second@kunde.example",
                in_reply_to="x",
                mail_from="karla.privat@kunde.example",
            ),
        )
        messages.reply_to_ticket(session, bob, ticket=ticket, body="On our way.")
        mails = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    first, second = mails
    assert first.mail_to == ["karla.privat@kunde.example"]  # the sender, not the stored address
    assert first.in_reply_to == "first@kunde.example"
    assert first.references == ["first@kunde.example"]
    assert first.subject.startswith("Re: [Ticket#")
    assert second.in_reply_to == "second@kunde.example"
    assert second.references == ["first@kunde.example", first.message_id, "second@kunde.example"]


def test_notes_are_never_mailed_and_solutions_solve(world) -> None:
    with session_scope(world.engine, write=True) as session:
        customer = contacts.find_contact(session, "kunde@example.com")
        ticket = opening.open_customer_ticket(
            session,
            customer,
            channel=world.channel(session, "support"),
            subject="Help",
            body="Broken",
            mail=messages.MailFacts(message_id="m1@kunde.example", mail_from="kunde@example.com"),
        )
        bob = world.user(session, "bob")
        messages.add_note(session, bob, ticket=ticket, body="internal remark")
        assert _count(session, OutboxMessage) == 0
        messages.add_solution(session, bob, ticket=ticket, body="Replaced the part.")
        assert ticket.status == "solved"
        assert _count(session, OutboxMessage) == 1
        # the customer answers: the solved ticket opens again
        messages.add_customer_message(session, customer, ticket=ticket, body="Still broken!")
        assert ticket.status == "open"
        number = ticket.number
    kinds = [
        (a["kind"], a.get("field"), a.get("new")) for a in _detail(world, number)["activities"]
    ]
    assert kinds == [
        ("message", None, None),
        ("note", None, None),
        ("solution", None, None),
        ("change", "status", "solved"),
        ("message", None, None),
        ("change", "status", "open"),
    ]


def test_the_first_message_replaces_the_subject_and_is_pinned(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin, bob = world.user(session, "admin"), world.user(session, "bob")
        ticket = opening.open_internal_ticket(session, admin, owner=bob, subject="Placeholder")
        assert ticket.first_activity_id is None
        messages.add_note(session, bob, ticket=ticket, body="a note is no message")
        assert ticket.first_activity_id is None
        first = append_activity(
            session,
            ticket,
            kind=ActivityKind.REPLY,
            author=bob,
            body="The printer on floor 2 is jammed",
            subject="Printer jammed on floor 2",
        )
        messages.reply_to_ticket(session, admin, ticket=ticket, body="Thanks")
        number, first_id = ticket.number, first.id
    data = _detail(world, number)
    assert data["subject"] == "Printer jammed on floor 2"
    assert data["first_message"]["id"] == first_id
    assert data["first_message"]["body"] == "The printer on floor 2 is jammed"
    change = next(a for a in data["activities"] if a["kind"] == "change")
    assert (change["field"], change["old"], change["new"]) == (
        "subject",
        "Placeholder",
        "Printer jammed on floor 2",
    )


def test_changes_are_recorded_with_old_and_new_values(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        projects.add_project(session, admin, name="Hall 3")
        customer = contacts.find_contact(session, "kunde@example.com")
        ticket = opening.open_request_ticket(
            session,
            admin,
            channel=world.channel(session, "support"),
            customer=customer,
            subject="Call",
            body="Called",
            categories=["Phone"],
        )
        change_ticket(
            session,
            admin,
            ticket=ticket,
            status="waiting",
            channel=world.channel(session, "sales"),
            owner=world.user(session, "carl"),
            priority=9,
            subject="Call back",
            color="red",
            project=projects.get_project(session, "hall 3"),
            add_categories=["Urgent"],
            remove_categories=["phone"],
        )
        number = ticket.number
    data = _detail(world, number)
    changes = {
        (a["field"], a["old"], a["new"]) for a in data["activities"] if a["kind"] == "change"
    }
    assert changes == {
        ("status", "open", "waiting"),
        ("channel", "Support", "Sales"),
        ("owner", "anna", "carl"),
        ("priority", "5", "9"),
        ("subject", "Call", "Call back"),
        ("color", None, "red"),
        ("project", None, "Hall 3"),
        ("category", None, "Urgent"),
        ("category", "Phone", None),
    }
    assert data["categories"] == ["Urgent"] and data["project"] == "Hall 3"
    assert {w["user"] for w in data["watchers"]} == {"anna", "carl"}  # the new owner watches
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        ticket = tickets.get_ticket(session, admin, number)
        change_ticket(session, admin, ticket=ticket, color="none", project=CLEAR)
    data = _detail(world, number)
    assert data["color"] is None and data["project"] is None


def test_changes_given_by_name_are_resolved_by_the_service(world) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        projects.add_project(session, admin, name="Hall 3")
        ticket = opening.open_request_ticket(
            session,
            admin,
            channel=world.channel(session, "support"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            subject="Call",
            body="Called",
            categories=["Phone"],
        )
        number = ticket.number
        made = change_ticket(
            session,
            admin,
            ticket=ticket,
            changes=TicketChanges(
                status="waiting",
                channel="Sales",
                owner="carl",
                priority="very high",
                subject="Call back",
                color="red",
                project="hall 3",
                add_categories=["Urgent"],
                remove_categories=["phone"],
            ),
        )
    assert len(made) == 9
    data = _detail(world, number)
    assert (data["status"], data["channel"], data["owner"]) == ("waiting", "Sales", "carl")
    assert (data["priority"], data["subject"], data["color"]) == (9, "Call back", "red")
    assert data["project"] == "Hall 3" and data["categories"] == ["Urgent"]
    for clear in ("none", "", " None ", CLEAR):
        with session_scope(world.engine, write=True) as session:
            admin = world.user(session, "admin")
            ticket = tickets.get_ticket(session, admin, number)
            ticket.color, ticket.project_id = "red", projects.get_project(session, "Hall 3").id
            change_ticket(
                session,
                admin,
                ticket=ticket,
                changes=TicketChanges(color=clear, project=clear, channel="", owner=""),
            )
        data = _detail(world, number)
        assert (data["color"], data["project"]) == (None, None), clear
        assert (data["channel"], data["owner"]) == ("Sales", "carl")  # empty: left alone


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"channel": "Nowhere"}, NotFound, "no channel 'Nowhere'"),
        ({"owner": "nobody"}, NotFound, "no user 'nobody'"),
        ({"project": "Nothing"}, NotFound, "no project 'Nothing'"),
        ({"priority": "urgentish"}, Invalid, "unknown priority"),
    ],
)
def test_a_name_that_finds_nothing_changes_nothing(
    world, changes: dict, error: type, message: str
) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        opened = opening.open_request_ticket(
            session,
            admin,
            channel=world.channel(session, "support"),
            customer=contacts.find_contact(session, "kunde@example.com"),
            subject="Keep me",
            body="Called",
        )
        number, version = opened.number, opened.version
    with pytest.raises(error, match=message), session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        change_ticket(
            session,
            admin,
            ticket=tickets.get_ticket(session, admin, number),
            changes=TicketChanges(status="waiting", color="red", **changes),
        )
    data = _detail(world, number)
    assert (data["status"], data["color"], data["version"]) == ("open", None, version)
    assert [a for a in data["activities"] if a["kind"] == "change"] == []


def test_changes_come_as_one_value_or_as_keywords_not_both(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        with pytest.raises(TypeError):
            change_ticket(
                session,
                admin,
                ticket=tickets.get_ticket(session, admin, ticket),
                changes=TicketChanges(status="waiting"),
                priority=9,
            )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"priority": 0}, "priority 0"),
        ({"priority": 10}, "priority 10"),
        ({"status": "done"}, "unknown status"),
        ({"subject": "   "}, "must not be empty"),
        ({"color": "pink"}, "unknown color"),
        ({"remove_categories": ["nope"]}, "no category"),
        ({"status": "closed", "priority": 42}, "priority 42"),
    ],
)
def test_bad_changes_change_nothing(world, changes: dict, message: str) -> None:
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        ticket = opening.open_internal_ticket(session, admin, owner=admin, subject="Keep me")
        number, version = ticket.number, ticket.version
    with pytest.raises(Invalid, match=message), session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        change_ticket(session, admin, ticket=tickets.get_ticket(session, admin, number), **changes)
    data = _detail(world, number)
    assert data["status"] == "open" and data["priority"] == 5 and data["subject"] == "Keep me"
    assert data["version"] == version and data["activities"] == []


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"subject": ""}, Invalid, "subject must not be empty"),
        ({"priority": 0}, Invalid, "priority 0 is out of range"),
        ({"to": ["not-an-address"]}, Invalid, "not an e-mail address"),
        ({"body": "  "}, Invalid, "must not be empty"),
    ],
)
def test_bad_new_tickets_write_nothing(world, arguments: dict, error: type, message: str) -> None:
    values = {"subject": "Quote", "body": "Hello", "to": ["x@kunde.example"], "priority": 5}
    values.update(arguments)
    with pytest.raises(error, match=message), session_scope(world.engine, write=True) as session:
        opening.open_mail_ticket(
            session,
            world.user(session, "bob"),
            account=session.get(MailAccount, world.account),
            channel=world.channel(session, "support"),
            **values,
        )
    with session_scope(world.engine) as session:
        assert _count(session, Ticket) == 0
        assert _count(session, Activity) == 0
        assert _count(session, OutboxMessage) == 0
        assert contacts.find_contact(session, "x@kunde.example") is None


def test_an_unknown_ticket_is_not_found(world) -> None:
    with session_scope(world.engine) as session, pytest.raises(NotFound, match="#4242"):
        tickets.get_ticket(session, world.user(session, "admin"), "#4242")


def test_a_change_based_on_a_stale_read_is_a_conflict(world) -> None:
    """Agent A loads the ticket; agent B changes it; A's save must not overwrite B's."""
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        ticket = opening.open_internal_ticket(session, admin, owner=admin, subject="Shared")
        number, seen_by_a = ticket.number, ticket.version
    with session_scope(world.engine, write=True) as session:  # B
        admin = world.user(session, "admin")
        change_ticket(
            session,
            admin,
            ticket=tickets.get_ticket(session, admin, number),
            priority=8,
            expected_version=seen_by_a,
        )
    with (
        pytest.raises(Conflict, match="changed by someone else"),
        session_scope(world.engine, write=True) as session,
    ):  # A, with what it saw
        admin = world.user(session, "admin")
        change_ticket(
            session,
            admin,
            ticket=tickets.get_ticket(session, admin, number),
            priority=2,
            expected_version=seen_by_a,
        )
    assert _detail(world, number)["priority"] == 8


def test_concurrent_writers_do_not_lose_updates(world) -> None:
    """Many threads append to one ticket at once: every activity lands, numbered in order."""
    with session_scope(world.engine, write=True) as session:
        admin = world.user(session, "admin")
        number = opening.open_internal_ticket(session, admin, owner=admin, subject="Busy").number
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            with session_scope(world.engine, write=True) as session:
                admin = world.user(session, "admin")
                ticket = tickets.get_ticket(session, admin, number)
                messages.add_note(session, admin, ticket=ticket, body=f"note {index}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    data = _detail(world, number)
    assert sorted(a["body"] for a in data["activities"]) == sorted(f"note {i}" for i in range(8))
    assert [a["seq"] for a in data["activities"]] == list(range(1, 9))


def test_ticket_numbers_stay_unique_under_concurrent_creation(world) -> None:
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            for _ in range(5):
                with session_scope(world.engine, write=True) as session:
                    admin = world.user(session, "admin")
                    ticket = opening.open_internal_ticket(
                        session, admin, owner=admin, subject="Race"
                    )
                    with lock:
                        numbers.append(ticket.number)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == 30 and len(set(numbers)) == 30
    assert sorted(numbers) == list(range(1001, 1031))


def test_internal_tickets_have_no_channel_and_send_no_mail(world) -> None:
    with session_scope(world.engine, write=True) as session:
        bob, carl = world.user(session, "bob"), world.user(session, "carl")
        ticket = opening.open_internal_ticket(
            session, bob, owner=carl, subject="Lunch", body="Pizza?"
        )
        messages.reply_to_ticket(session, carl, ticket=ticket, body="Yes")
        assert _count(session, OutboxMessage) == 0
        with pytest.raises(Invalid, match="internal"):
            change_ticket(session, bob, ticket=ticket, channel=world.channel(session, "support"))
        with pytest.raises(Invalid, match="never mailed"):
            messages.reply_to_ticket(session, bob, ticket=ticket, body="x", cc=["a@b.example"])
