"""Many tickets at once: ``tix ticket set 1001 1002 --status closed``, ``tix ticket note
- --body …`` with the numbers on standard input.

Standard input (``-``) takes what the other commands print, so lists pipe straight in:

- numbers separated by white space or line breaks (``1042``, ``#1042``);
- JSON: numbers, or objects with a ``number`` (``tix ticket list --json``, its
  ``--format jsonl``, or whatever ``jq`` makes of them), alone or in arrays;
- the tab-separated lines ``tix ticket list`` prints when piped: a header line naming
  the fields, one of them ``number``.

An object (or a line) that also carries the ticket's ``version`` changes the ticket only
if it is still at that version: a ticket someone changed since it was listed is skipped
and named, as ``--if-version`` does for one ticket.

Every number is read before the first ticket is changed: an unreadable one changes
nothing (exit 2). Nothing on standard input is nothing to do (exit 0), as for a cron job
whose list came out empty. The exit code is 0 only when every ticket was done; otherwise the code
of what the refused tickets have in common (3 not found, 4 forbidden, 5 conflict), or 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import typer

from tix.cli import context
from tix.cli.output import ExitCode, emit, say, state
from tix.core.i18n import _, ngettext

if TYPE_CHECKING:
    from tix.core.read_models.bulk import BulkResult
    from tix.core.services.bulk_actions import Progress, Target
    from tix.core.services.changes import TicketChanges

STDIN = "-"

EXIT_CODES = {
    "not_found": ExitCode.NOT_FOUND,
    "forbidden": ExitCode.FORBIDDEN,
    "conflict": ExitCode.CONFLICT,
}


def is_bulk(numbers: list[str]) -> bool:
    """Whether the command acts on many tickets: more than one number, or ``-``."""
    return len(numbers) != 1 or numbers[0] == STDIN


def read_targets(numbers: list[str]) -> list[Target]:
    """The tickets named on the command line, ``-`` read from standard input; each once.

    Raises :class:`typer.BadParameter` (exit 2) for anything that is no ticket number.
    """
    from tix.core.errors import Malformed
    from tix.core.services.bulk_actions import targets

    found: list[Target | str] = []
    for word in numbers:
        if word == STDIN:
            found.extend(parse_numbers(sys.stdin.read()))
        else:
            found.append(word)
    try:
        chosen = targets(found)
    except Malformed as error:
        raise typer.BadParameter(error.message) from None
    if not chosen:  # an empty list piped in (nothing solved today): nothing to do
        say(_("No ticket numbers on standard input: nothing changed."))
    return chosen


def parse_numbers(text: str) -> list[Target]:
    """The tickets in ``text`` (see the module's description)."""
    lines = text.splitlines()
    header = [cell.strip() for cell in lines[0].split("\t")] if lines else []
    if "number" in header and not text.lstrip().startswith(("[", "{")):
        return list(_from_table(header, lines[1:]))
    return list(_from_words(text))


def _target(number: object, version: object, line: int) -> Target:
    from tix.core.errors import Malformed
    from tix.core.services.bulk_actions import Target
    from tix.core.validation import ticket_number

    try:
        if isinstance(number, bool) or not isinstance(number, (int, str)):
            raise Malformed(str(number))
        parsed = ticket_number(number)
        if version in (None, ""):
            return Target(parsed)
        if isinstance(version, bool) or not str(version).strip().isdigit():
            raise Malformed(str(version))
        return Target(parsed, int(str(version).strip()))
    except Malformed:
        raise typer.BadParameter(
            _(
                "line {line} of standard input: {value} is not a ticket number: write it like "
                "1042 or #1042, or as JSON with a number (and version)"
            ).format(line=line, value=json.dumps(number, ensure_ascii=False, default=str))
        ) from None


def _from_table(header: list[str], rows: list[str]) -> Iterator[Target]:
    number_at = header.index("number")
    version_at = header.index("version") if "version" in header else None
    for line, row in enumerate(rows, start=2):
        if not row.strip():
            continue
        cells = row.split("\t")
        number = cells[number_at] if number_at < len(cells) else ""
        version = cells[version_at] if version_at is not None and version_at < len(cells) else None
        yield _target(number.strip(), version, line)


def _from_words(text: str) -> Iterator[Target]:
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        if text[position] in '[{"':
            try:
                value, position = decoder.raw_decode(text, position)
            except json.JSONDecodeError as error:
                raise typer.BadParameter(
                    _("line {line} of standard input is not valid JSON: {reason}").format(
                        line=error.lineno, reason=error.msg
                    )
                ) from None
            yield from _from_json(value, line)
        else:
            end = position
            while end < len(text) and text[end] not in " \t\r\n,":
                end += 1
            yield _target(text[position:end], None, line)
            position = end


def _from_json(value: Any, line: int) -> Iterator[Target]:
    if isinstance(value, list):
        for item in value:
            yield from _from_json(item, line)
    elif isinstance(value, dict):
        if "number" not in value:
            raise typer.BadParameter(
                _(
                    'line {line} of standard input: a JSON object without "number": give '
                    "tickets as `tix ticket list --json` prints them"
                ).format(line=line)
            )
        yield _target(value["number"], value.get("version"), line)
    else:
        yield _target(value, None, line)


def run(
    targets: list[Target],
    action: Callable[[Progress | None], list[BulkResult]],
    *,
    done: Callable[[int], str],
    label: str,
) -> None:
    """Run ``action`` over ``targets`` with a progress bar, print each result (``--json``:
    the list of them) and a summary naming every refused ticket; exit with the code of
    the failures (0 when none)."""
    from tix.cli.progress import progress
    from tix.core.services.bulk_actions import failure_code

    with progress(label) as report:
        results = action(report)
    data = [result.model_dump(mode="json") for result in results]
    emit(data, lambda: _summary(results, done))
    code = failure_code(results)
    if code is None:
        return
    refused = [result for result in results if not result.ok]
    if state.json:
        sys.stderr.write(
            "tix: "
            + _("{count} of {total} tickets refused: {numbers}").format(
                count=len(refused),
                total=len(results),
                numbers=", ".join(f"#{result.number}" for result in refused),
            )
            + "\n"
        )
    raise typer.Exit(EXIT_CODES.get(code, ExitCode.ERROR))


def _summary(results: list[BulkResult], done: Callable[[int], str]) -> None:
    worked = [result for result in results if result.ok and (result.changes or result.activities)]
    idle = [result for result in results if result.ok and not (result.changes or result.activities)]
    refused = [result for result in results if not result.ok]
    if worked:
        say(done(len(worked)))
    if idle:
        say(
            ngettext(
                "Nothing to change on {count} ticket: {numbers}",
                "Nothing to change on {count} tickets: {numbers}",
                len(idle),
            ).format(count=len(idle), numbers=_numbers(idle))
        )
    if refused:
        sys.stderr.write(
            _("Refused {count} of {total} tickets:").format(count=len(refused), total=len(results))
            + "\n"
        )
        for result in refused:
            assert result.error is not None
            sys.stderr.write(f"  #{result.number}: {result.error.message}\n")


def _numbers(results: list[BulkResult], most: int = 10) -> str:
    shown = ", ".join(f"#{result.number}" for result in results[:most])
    return shown + (" …" if len(results) > most else "")


def engine_and_login() -> tuple[Any, str]:
    """The database and the acting login, checked (an unknown user stops here, exit 3)."""
    with context.session() as session:
        context.acting(session)
    return context.engine(), context.acting_login()


def change(numbers: list[str], changes: TicketChanges, *, if_version: int | None) -> None:
    """``tix ticket set`` on many tickets."""
    from tix.core.services.bulk_actions import change_tickets

    if if_version is not None:
        raise typer.BadParameter(
            _(
                "--if-version is one ticket's version: give one number, or pipe the JSON of "
                "`tix ticket list --json`, whose versions are checked ticket by ticket"
            )
        )
    chosen = read_targets(numbers)
    engine, login = engine_and_login()
    run(
        chosen,
        lambda report: change_tickets(engine, login, chosen, changes, progress=report),
        done=lambda count: ngettext(
            "Changed {count} ticket.", "Changed {count} tickets.", count
        ).format(count=count),
        label=_("Changing"),
    )


def note(
    numbers: list[str],
    body: str | None,
    body_file: str | None,
    attach: list[str] | None,
    template: str | None,
) -> None:
    """``tix ticket note`` on many tickets: the same note (and files) on each."""
    from tix.cli.output import read_body, read_files
    from tix.core.services.bulk_actions import note_tickets

    if template is not None:
        raise typer.BadParameter(
            _("--template fills in one ticket: give one number, or the text with --body")
        )
    if STDIN in numbers and body_file == STDIN:
        raise typer.BadParameter(
            _("standard input gives either the numbers or the text: give the text with --body")
        )
    text = read_body(body, body_file)
    assert text is not None
    chosen = read_targets(numbers)
    attachments = read_files(attach or [], max_size=context.settings().max_file_size)
    engine, login = engine_and_login()
    run(
        chosen,
        lambda report: note_tickets(
            engine, login, chosen, body=text, attachments=attachments, progress=report
        ),
        done=lambda count: ngettext(
            "Added the note to {count} ticket.", "Added the note to {count} tickets.", count
        ).format(count=count),
        label=_("Adding notes"),
    )
