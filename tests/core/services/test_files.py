"""Files: stored once per content, size-limited, names made safe but readable."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tix.core.db import session_scope
from tix.core.errors import Invalid, NotFound
from tix.core.models import Activity, Blob, TicketFile
from tix.core.services import files, messages, opening, tickets
from tix.core.services.storage import NewFile, check_size, check_sizes


def test_same_content_is_stored_once_and_names_are_safe(world, ticket) -> None:
    photo = b"\xff\xd8\xff" + b"jpeg" * 1000
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        found = tickets.find_ticket(session, ticket)
        stored = files.add_files(
            session,
            bob,
            ticket=found,
            files=[
                NewFile("Lieferschein Müller.pdf", b"%PDF-1.4 x"),
                NewFile("../../etc/passwd", b"root:x"),
                NewFile("photo.jpg", photo),
            ],
        )
        messages.reply_to_ticket(
            session,
            bob,
            ticket=found,
            body="Here it is again",
            attachments=[NewFile("copy.jpg", photo)],
        )
        names = [f.name for f in stored]
        assert names[0] == "Lieferschein Müller.pdf"
        assert "/" not in names[1] and ".." not in names[1].split("_")[0]
        assert session.execute(select(func.count()).select_from(Blob)).scalar_one() == 3
        assert session.execute(select(func.count()).select_from(TicketFile)).scalar_one() == 4
        every = files.ticket_files(session, found)
        assert [f.name for f in every][-1] == "copy.jpg"
        reply = session.execute(select(Activity).where(Activity.kind == "reply")).scalar_one()
        assert every[-1].activity_id == reply.id
        assert files.file_data(session, every[-1]) == photo


def test_too_large_files_are_refused_by_the_one_check_where_they_enter() -> None:
    """The CLI, the TUI, the web and mail check sizes as files come in (the services
    store what they are given): one check, one message."""
    with pytest.raises(Invalid, match=r"^big.bin is too large \(2.0 KB\): files may be at most"):
        check_sizes([NewFile("small.txt", b"ok"), NewFile("big.bin", b"x" * 2000)], 1000)
    with pytest.raises(Invalid, match=r"^big.bin is too large \(1001 B\)"):
        check_size("big.bin", 1001, 1000)
    check_size("fits.bin", 1000, 1000)


def test_files_of_another_ticket_are_not_found(world, ticket) -> None:
    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        first = tickets.find_ticket(session, ticket)
        stored = files.add_files(session, bob, ticket=first, files=[NewFile("a.txt", b"a")])
        other = opening.open_internal_ticket(session, bob, owner=bob, subject="other")
        with pytest.raises(NotFound):
            files.get_file(session, bob, ticket=other, file_id=stored[0].id)


def test_every_file_an_agent_adds_names_its_uploader(world, ticket) -> None:
    """Files added directly, attached to a reply and to a new ticket all say who added
    them (``uploaded_by`` in ``--json``, "By" in the TUI)."""
    from datetime import UTC

    from tix.core.views import ticket_detail

    with session_scope(world.engine, write=True) as session:
        bob = world.user(session, "bob")
        found = tickets.find_ticket(session, ticket)
        files.add_files(session, bob, ticket=found, files=[NewFile("direct.txt", b"d")])
        messages.reply_to_ticket(
            session, bob, ticket=found, body="see", attachments=[NewFile("reply.txt", b"r")]
        )
        made = opening.open_internal_ticket(
            session,
            bob,
            owner=bob,
            subject="With a file",
            body="here",
            attachments=[NewFile("new.txt", b"n")],
        )
        shown = ticket_detail(session, bob, found, UTC).files
        assert [(f.name, f.uploaded_by) for f in shown] == [
            ("direct.txt", "bob"),
            ("reply.txt", "bob"),
        ]
        new = ticket_detail(session, bob, made, UTC).files
        assert [(f.name, f.uploaded_by) for f in new] == [("new.txt", "bob")]
