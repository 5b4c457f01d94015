"""``tix worker``: the background work in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import JsonOption, emit, say
from tix.core.i18n import _

app = typer.Typer()


@app.command(
    "worker",
    help=_(
        "Sync every account's mail, send the outbox, fire due alarms and warn of SLA "
        "deadlines, every INTERVAL "
        "seconds, until stopped (SIGTERM or Ctrl-C finish the current step first). Several "
        "workers may share one PostgreSQL database.\n\n\b\nExamples:\n"
        "  tix worker --interval 60\n  tix worker --once --json"
    ),
)
def worker(
    interval: Annotated[
        float,
        typer.Option("--interval", help=_("Seconds between rounds."), metavar="SECONDS", min=1),
    ] = 60,
    once: Annotated[bool, typer.Option("--once", help=_("One round, then exit."))] = False,
    json_output: JsonOption = False,
) -> None:
    import logging
    import signal
    import sys
    import threading

    from tix.core.worker import run_forever, run_round

    engine = context.engine()
    settings = context.settings()
    if once:
        done = run_round(engine, settings)
        data = done.to_json()
        emit(
            data,
            lambda: say(
                _(
                    "Accounts synced: {accounts}, mails sent: {sent}, alarms fired: {alarms}, "
                    "SLA warnings sent: {warnings}."
                ).format(
                    # an account another worker had at the time was not synced here
                    accounts=sum(1 for report in done.synced if not report["locked"]),
                    sent=done.sent.get("sent", 0),
                    alarms=done.alarms,
                    warnings=done.sla_warnings,
                )
            ),
        )
        return
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_args: stopping.set())
    try:
        run_forever(engine, settings, interval=interval, stopping=stopping)
    except KeyboardInterrupt:
        stopping.set()
