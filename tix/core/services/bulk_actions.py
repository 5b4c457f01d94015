"""One action on many tickets: change fields, add a note, merge into one ticket.

Every ticket goes through the same service as a single change
(:func:`~tix.core.services.changes.change_ticket`,
:func:`~tix.core.services.messages.add_note`, the merge service), with its checks, its
activities and its notifications. Each ticket is changed wholly or not at all (a
savepoint of its own): one refused ticket (not found, not visible, changed by someone
else since it was read, a rule broken) is named in the results and undoes nothing of
the others.

The tickets are committed in batches of :data:`BATCH` rather than one transaction each:
a commit per ticket costs about twice the work of a bulk change of 1,000, and one
transaction for all would keep every other writer (the mail sync, other agents) waiting
until the end. A batch holds the database for a fraction of a second, and progress is
reported after each.

Input that is wrong for every ticket alike (an unknown owner, a priority of 12, an empty
note) is refused before the first ticket, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from tix.core import validation
from tix.core.db import session_scope
from tix.core.errors import Conflict, NotFound, TixError
from tix.core.i18n import _
from tix.core.models import Activity, ActivityKind, Ticket, User
from tix.core.read_models.bulk import BulkError, BulkFieldChange, BulkResult
from tix.core.services.activities import lock, lock_many
from tix.core.services.changes import TicketChanges, change_ticket, check_changes
from tix.core.services.storage import NewFile

if TYPE_CHECKING:
    from tix.core.views import TicketFilter


BATCH = 100
"""Tickets per transaction."""

Progress = Callable[[int, int], None]
"""Called after each committed batch with (tickets done, tickets in all)."""

Action = Callable[[Session, User, Ticket, "int | None"], list[Activity]]
"""What to do to one ticket: (session, actor, ticket, expected version) -> activities."""


@dataclass(frozen=True)
class Target:
    """A ticket to act on, by number; with ``version``, only if it is still at that
    version (what the user saw): changed by someone else since, it is skipped."""

    number: int
    version: int | None = None


def targets(numbers: Iterable[int | str | Target]) -> list[Target]:
    """Numbers (``1042``, ``#1042``) or targets, each ticket once, in the order given."""
    seen: dict[int, Target] = {}
    for given in numbers:
        target = given if isinstance(given, Target) else Target(validation.ticket_number(given))
        seen.setdefault(target.number, target)
    return list(seen.values())


def matching(session: Session, actor: User, filters: TicketFilter) -> list[tuple[int, Target]]:
    """Every ticket the list shows ``actor`` for ``filters``, all pages, in its order: (id,
    the ticket as a target at the version seen now)."""
    from tix.core.views import MAX_PAGE, ticket_page

    found: list[tuple[int, Target]] = []
    after = None
    while True:
        page = ticket_page(session, actor, filters, limit=MAX_PAGE, after=after)
        found += [(row.id, Target(row.number, row.version)) for row in page.rows]
        after = page.next_cursor(filters)
        if after is None:
            return found


def change_tickets(
    engine: Engine,
    login: str,
    tickets: Sequence[Target],
    changes: TicketChanges,
    *,
    progress: Progress | None = None,
) -> list[BulkResult]:
    """Make ``changes`` on each ticket, as ``login``; one result per ticket, in order."""

    def prepare(session: Session) -> Action:
        resolved = check_changes(session, changes)

        def change(
            session: Session, actor: User, ticket: Ticket, version: int | None
        ) -> list[Activity]:
            return change_ticket(
                session, actor, ticket=ticket, changes=resolved, expected_version=version
            )

        return change

    return _each(engine, login, tickets, prepare, progress)


def note_tickets(
    engine: Engine,
    login: str,
    tickets: Sequence[Target],
    *,
    body: str,
    attachments: Sequence[NewFile] = (),
    progress: Progress | None = None,
) -> list[BulkResult]:
    """Add the same internal note (and files) to each ticket, as ``login``."""
    from tix.core.services.messages import add_note

    body = validation.body(body, what=_("the note"))

    def prepare(session: Session) -> Action:
        def note(
            session: Session, actor: User, ticket: Ticket, version: int | None
        ) -> list[Activity]:
            require_version(session, ticket, version)
            return [add_note(session, actor, ticket=ticket, body=body, attachments=attachments)]

        return note

    return _each(engine, login, tickets, prepare, progress)


def merge_tickets_into(
    engine: Engine,
    login: str,
    tickets: Sequence[Target],
    *,
    into: int | str,
    other_customer: bool = False,
    progress: Progress | None = None,
) -> list[BulkResult]:
    """Merge each ticket into the ticket numbered ``into`` (see
    :func:`~tix.core.services.merging.merge_tickets`), as ``login``. A target that is
    not there or not visible refuses them all, before the first."""
    from tix.core.services.merging import merge_tickets
    from tix.core.services.tickets import get_ticket
    from tix.core.services.users import acting_user

    number = validation.ticket_number(into)

    def prepare(session: Session) -> Action:
        target = get_ticket(session, acting_user(session, login), number)

        def merge(
            session: Session, actor: User, ticket: Ticket, version: int | None
        ) -> list[Activity]:
            require_version(session, ticket, version)
            before = ticket.activity_seq
            merge_tickets(
                session, actor, source=ticket, target=target, other_customer=other_customer
            )
            return list(
                session.execute(
                    select(Activity)
                    .where(col(Activity.ticket_id) == ticket.id, col(Activity.seq) > before)
                    .order_by(col(Activity.seq))
                ).scalars()
            )

        return merge

    return _each(engine, login, tickets, prepare, progress)


def require_version(session: Session, ticket: Ticket, expected: int | None) -> None:
    """Lock ``ticket``; if ``expected`` is given and the ticket has moved on since, raise
    :class:`Conflict` (nothing written)."""
    lock(session, ticket)
    if expected is not None and ticket.version != expected:
        raise Conflict(
            _(
                "ticket #{number} was changed by someone else (version {current}, you had "
                "{expected}): reload it and try again"
            ).format(number=ticket.number, current=ticket.version, expected=expected)
        )


def failure_code(results: Sequence[BulkResult]) -> str | None:
    """The error code the refused tickets share (``None``: none refused; ``error``: they
    differ), for an exit code that tells the kind of failure."""
    codes = {result.error.code for result in results if result.error is not None}
    if not codes:
        return None
    return codes.pop() if len(codes) == 1 else "error"


def _each(
    engine: Engine,
    login: str,
    tickets: Sequence[Target],
    prepare: Callable[[Session], Action],
    progress: Progress | None,
) -> list[BulkResult]:
    """Run the action ``prepare`` makes (once per transaction: it resolves names to
    this session's models, and raises for input no ticket could take) on each ticket."""
    from tix.core.services.users import acting_user

    results: list[BulkResult] = []
    total = len(tickets)
    if not tickets:
        return results
    for start in range(0, total, BATCH):
        batch = tickets[start : start + BATCH]
        with session_scope(engine, write=True) as session:
            actor = acting_user(session, login)
            action = prepare(session)
            ids = session.execute(
                select(col(Ticket.id)).where(col(Ticket.number).in_([t.number for t in batch]))
            ).scalars()
            # Read and locked at once, not one by one as each change would.
            found = {ticket.number: ticket for ticket in lock_many(session, list(ids))}
            for target in batch:
                results.append(_one(session, actor, found.get(target.number), target, action))
        if progress is not None:
            progress(min(start + BATCH, total), total)
    return results


def _one(
    session: Session, actor: User, ticket: Ticket | None, target: Target, action: Action
) -> BulkResult:
    if ticket is None:
        error: TixError = NotFound(
            _("no ticket #{number}: see `tix ticket list`").format(number=target.number)
        )
        return _refused(target, error)
    savepoint = session.begin_nested()
    try:
        activities = action(session, actor, ticket, target.version)
    except TixError as refused:
        savepoint.rollback()
        return _refused(target, refused)
    savepoint.commit()
    return BulkResult(
        number=target.number,
        ok=True,
        error=None,
        changes=[
            BulkFieldChange(field=a.field or "", old=a.old_value, new=a.new_value)
            for a in activities
            if a.kind == ActivityKind.CHANGE
        ],
        activities=[a.id for a in activities if a.id is not None],
        version=ticket.version,
    )


def _refused(target: Target, error: TixError) -> BulkResult:
    return BulkResult(
        number=target.number,
        ok=False,
        error=BulkError(code=error.code, message=error.message),
        changes=[],
        activities=[],
        version=None,
    )
