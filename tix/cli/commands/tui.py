"""``tix tui``: the terminal UI."""

from __future__ import annotations

import typer

from tix.cli import context
from tix.cli.output import JsonOption
from tix.core.i18n import _

app = typer.Typer()


@app.command(
    "tui",
    help=_(
        "Open the terminal UI: the ticket list and the tabbed ticket view. Works over SSH; "
        "Ctrl+P opens the command palette, Ctrl+Q quits.\n\n\b\nExample:\n  tix --as ben tui"
    ),
)
def tui(json_output: JsonOption = False) -> None:
    if json_output:
        raise typer.BadParameter(
            _(
                "the terminal UI is interactive and has no JSON output: for scripts use the "
                "other commands, e.g. `tix ticket list --json`"
            )
        )
    # Textual costs ~210 ms to import: only this command pays for it.
    from tix.core.config import load_settings
    from tix.tui.app import TixApp
    from tix.tui.backend import Backend

    backend = Backend.open(
        load_settings(database_url=context.options.database_url), context.acting_login()
    )
    TixApp(backend).run()
