"""``tix mail``: fetch mail into tickets, send the outbox, import archives, see the log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tix.cli import context
from tix.cli.output import (
    FieldsOption,
    FormatOption,
    JsonOption,
    emit,
    emit_rows,
    say,
    table,
    writable,
)
from tix.core.i18n import _, ngettext

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(no_args_is_help=True)


def _accounts(engine: Engine, name: str | None) -> list[int]:
    from tix.core.db import session_scope
    from tix.core.services import accounts
    from tix.core.worker import syncable_accounts

    if name is None:
        return syncable_accounts(engine)
    with session_scope(engine) as session:
        account = accounts.get_account(session, name)
        assert account.id is not None
        return [account.id]


@app.command(
    "sync",
    help=_(
        "Fetch new mail from the accounts' IMAP folders into tickets. Nothing is flagged on "
        "the server before it is safely stored; nothing is imported twice.\n\n\b\nExamples:\n"
        "  tix mail sync\n  tix mail sync --account support --since 2026-11-01\n"
        "  tix mail sync --watch"
    ),
)
def sync(
    account: Annotated[
        str | None, typer.Option("--account", help=_("Only this account."), metavar="ACCOUNT")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help=_("On the first sync, only mail from this day on."), metavar="DATE"
        ),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help=_("Keep running and import new mail as it arrives."))
    ] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.mail.sync import sync_account
    from tix.core.timeparse import parse_day

    engine = context.engine()
    settings = context.settings()
    first_day = parse_day(since, today=context.today()) if since else None
    ids = _accounts(engine, account)
    if not ids:
        from tix.core.errors import Invalid

        raise Invalid(
            _(
                "no account to sync: add one with an IMAP server and a channel "
                "(`tix account add NAME --address ADDR --imap-host HOST --channel C`)"
            )
        )
    if watch:
        _watch(engine, ids, settings)
        return
    from tix.cli.progress import progress

    reports = []
    for account_id in ids:
        with progress(_("Importing")) as report_progress:
            report = sync_account(
                engine, account_id, settings=settings, since=first_day, progress=report_progress
            )
        reports.append(report.to_json())

    def human() -> None:
        for r in reports:
            say(_("{account}: {counts}").format(account=r["account"], counts=_counts(r)))

    emit(reports, human)


def _counts(report: dict[str, Any]) -> str:
    """What an import did, each number with its noun in the right number."""
    imported, new, duplicates = report["imported"], report["new_tickets"], report["duplicates"]
    ignored, unprocessable = report["ignored"], report["unprocessable"]
    return _("{imported} ({new_tickets}), {duplicates}, {ignored}, {unprocessable}").format(
        imported=ngettext("{n} imported", "{n} imported", imported).format(n=imported),
        new_tickets=ngettext("{n} new ticket", "{n} new tickets", new).format(n=new),
        duplicates=ngettext("{n} duplicate", "{n} duplicates", duplicates).format(n=duplicates),
        ignored=ngettext("{n} ignored", "{n} ignored", ignored).format(n=ignored),
        unprocessable=ngettext("{n} unprocessable", "{n} unprocessable", unprocessable).format(
            n=unprocessable
        ),
    )


def _watch(engine: Engine, ids: list[int], settings: Any) -> None:
    """Sync each account, then wait for new mail with IMAP IDLE; reconnect with growing
    pauses when the connection drops. Stops on Ctrl-C or SIGTERM."""
    import signal
    import threading

    from tix.core.mail.watch import watch_account

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
    threads = [
        threading.Thread(
            target=watch_account,
            args=(engine, account_id, settings, stopping),
            daemon=True,
            name=f"watch-{account_id}",
        )
        for account_id in ids
    ]
    for thread in threads:
        thread.start()
    say(_("Watching {count} accounts; Ctrl-C stops.").format(count=len(ids)))
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        stopping.set()
    for thread in threads:
        thread.join(timeout=30)


@app.command(
    "send",
    help=_(
        "Send the outbox now: what is due, with retries for temporary failures.\n\n\b\n"
        "Example:\n  tix mail send --json"
    ),
)
def send(json_output: JsonOption = False) -> None:
    from tix.core.mail.delivery import DeliveryReport, deliver

    engine = context.engine()
    total = DeliveryReport()
    while True:
        report = deliver(engine)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.errors += report.errors
        if report.sent + report.retrying + report.failed == 0:
            break
    data = total.to_json()
    emit(
        data,
        lambda: say(
            _("{sent} sent, {retrying} to retry, {failed} failed.").format(**data)
            + ("\n" + "\n".join(sorted(set(total.errors))) if total.errors else "")
        ),
    )


@app.command(
    "import",
    help=_(
        "Import .eml files or mbox archives into tickets, as if they had come by IMAP "
        "(for moving from another system). Without --account or --channel: the only account, "
        "else the only channel.\n\n\b\nExample:\n  tix mail import archive.mbox --channel Support"
    ),
)
def import_(
    paths: Annotated[list[Path], typer.Argument(help=_("The files."), metavar="FILE...")],
    account: Annotated[
        str | None, typer.Option("--account", help=_("As mail of this account."), metavar="ACCOUNT")
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option("--channel", help=_("New tickets go to this channel."), metavar="CHANNEL"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_("Show no progress bar."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.cli.progress import progress
    from tix.core.mail.importer import import_files

    settings = context.settings()
    engine = context.engine()
    with progress(_("Importing"), quiet=quiet) as report_progress:
        report = import_files(
            engine,
            paths,
            account=account,
            channel=channel,
            settings=settings,
            progress=report_progress,
            waiting=_say_waiting,
        )
    data = report.to_json()

    def human() -> None:
        messages = ngettext("{count} message", "{count} messages", data["messages"]).format(
            count=data["messages"]
        )
        say(_("{messages}: {counts}").format(messages=messages, counts=_counts(data)))
        kept_nothing = data["kept_nothing"]
        for item in kept_nothing[:SHOWN_REASONS]:
            say(f"  {item['source']}: {status_label(item['status'])}: {item['reason']}")
        if len(kept_nothing) > SHOWN_REASONS:
            say(
                _("  … and {count} more: see `tix mail log`").format(
                    count=len(kept_nothing) - SHOWN_REASONS
                )
            )

    emit(data, human)


SHOWN_REASONS = 10
"""Messages an import names with the reason it kept nothing of them; the rest are in
the mail log."""


def status_label(status: str) -> str:
    """An import status in the user's language."""
    labels = {
        "imported": _("imported"),
        "duplicate": _("duplicate"),
        "ignored": _("ignored"),
        "unprocessable": _("unprocessable"),
    }
    return labels.get(status, status)


def _say_waiting() -> None:
    """On stderr even with --json: stdout stays data, and a wait should not look like a
    hang to whoever watches."""
    import sys

    print(_("waiting for another tix process that is writing to the database …"), file=sys.stderr)


@app.command(
    "log",
    help=_(
        "List the mail the import has seen, newest first (--status unprocessable: what "
        "could not be read).\n\n\b\nExample:\n  tix mail log --status unprocessable"
    ),
)
def log_(
    status: Annotated[
        str | None,
        typer.Option(
            "--status", help=_("imported, duplicate, ignored or unprocessable."), metavar="STATUS"
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help=_("At most N."), metavar="N", min=1, max=10000)
    ] = 50,
    json_output: JsonOption = False,
    output_format: FormatOption = None,
    only_fields: FieldsOption = None,
) -> None:
    from tix.core.mail.importer import import_log

    with context.session() as session:
        actor = context.acting(session)
        data = import_log(session, actor, status=status, limit=limit, zone=context.zone(actor))
    emit_rows(
        data,
        lambda: table(
            ["ID", _("When"), _("Status"), "#", _("Source"), _("Reason")],
            [
                (
                    d["id"],
                    str(d["created_at"])[:16].replace("T", " "),
                    status_label(d["status"]),
                    d["ticket"],
                    d["source"],
                    d["reason"],
                )
                for d in data
            ],
            empty=_("No mail imported yet."),
            wide=5,
        ),
        fields=(
            "id",
            "status",
            "ticket",
            "source",
            "uid",
            "message_id",
            "size",
            "reason",
            "created_at",
        ),
        default=("id", "created_at", "status", "ticket", "source", "reason"),
    )


@app.command(
    "raw",
    help=_(
        "Save the original bytes of an imported mail (from `tix mail log`).\n\n\b\n"
        "Example:\n  tix mail raw 17 -o broken.eml"
    ),
)
def raw(
    import_id: Annotated[int, typer.Argument(help=_("The import's ID."), metavar="ID")],
    output: Annotated[
        str, typer.Option("-o", "--output", help=_("A file, or - for stdout."), metavar="PATH")
    ] = "-",
    force: Annotated[bool, typer.Option("--force", help=_("Overwrite the file."))] = False,
    json_output: JsonOption = False,
) -> None:
    import sys

    from tix.core.mail.importer import raw_message

    with context.session() as session:
        data = raw_message(session, context.acting(session), import_id)
    if output == "-":
        sys.stdout.buffer.write(data)
        return
    target = writable(Path(output), force=force)
    target.write_bytes(data)
    emit(
        {"file": str(target), "bytes": len(data)},
        lambda: say(_("Saved {file} ({size} bytes).").format(file=target, size=len(data))),
    )
