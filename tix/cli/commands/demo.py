"""``tix demo``: a working helpdesk at once, on the embedded SQLite default."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.output import JsonOption, emit, say
from tix.core.i18n import _

app = typer.Typer()


@app.command(
    "demo",
    help=_(
        "Fill an empty database with a demo company's helpdesk: six agents in "
        "two groups, three channels, about fifty contacts and 200 tickets. You "
        "become an admin agent.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix demo && tix ticket list --mine"
    ),
)
def demo(
    tickets: Annotated[
        int,
        typer.Option(
            "--tickets", help=_("How many tickets to make."), min=1, max=5000, metavar="N"
        ),
    ] = 200,
    seed: Annotated[
        int, typer.Option("--seed", help=_("Random seed (same seed, same data)."), metavar="N")
    ] = 7,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=_("Show no progress bar."))] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.cli.progress import progress
    from tix.core.db import session_scope
    from tix.core.migrate import upgrade
    from tix.demo import build_demo

    engine = context.engine(check=False)
    upgrade(engine)
    with (
        session_scope(engine, write=True) as session,
        progress(_("Making tickets"), quiet=quiet) as report,
    ):
        summary = build_demo(
            session,
            operator_login=context.acting_login(),
            seed=seed,
            ticket_count=tickets,
            progress=report,
        )
    url = engine.url.render_as_string(hide_password=True)
    data = {
        "database": url,
        "users": summary.users,
        "groups": summary.groups,
        "channels": summary.channels,
        "contacts": summary.contacts,
        "tickets": summary.tickets,
        "activities": summary.activities,
        "you": summary.operator,
        "portal": {"address": summary.portal_address, "password": summary.portal_password},
    }

    def human() -> None:
        say(_("Demo helpdesk ready in {url}:").format(url=url))
        say(
            _(
                "  {users} agents, {channels} channels, {contacts} contacts, {tickets} tickets "
                "with {activities} activities."
            ).format(**data)
        )
        say(_("You act as {you} (an admin). Try:").format(you=summary.operator))
        for example in (
            "tix tui",
            "tix ticket list",
            "tix ticket list --mine --status open",
            "tix ticket list --search Hydraulik",
            "tix ticket show 1001",
            'tix ticket note 1001 --body "Ersatzteil ist bestellt"',
            "tix --as ben ticket list --mine",
        ):
            say(f"  {example}")
        say(
            _(
                "The customer portal: `tix serve`, then http://127.0.0.1:8080/portal/ with "
                "{address} / {password}"
            ).format(address=summary.portal_address, password=summary.portal_password)
        )

    emit(data, human)
