"""``tix ticket merge|split|link|unlink``: tickets that belong together."""

from __future__ import annotations

from typing import Annotated

import typer

from tix.cli import context
from tix.cli.commands.ticket import NumberArgument, _detail, app
from tix.cli.output import JsonOption, emit, say
from tix.core.i18n import _, ngettext

OtherArgument = Annotated[
    str, typer.Argument(help=_("The other ticket's number, e.g. 1043."), metavar="OTHER")
]


@app.command(
    "merge",
    help=_(
        "Merge a ticket into another: its activities, files, times, watchers and mail "
        "threads move to the target, it is closed and points to the target. Mail that "
        "answers it later lands on the target. Internal and channel tickets never merge, "
        "nor tickets of different customers unless --other-customer.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix ticket merge 1042 --into 1038"
    ),
)
def merge(
    number: NumberArgument,
    into: Annotated[
        str,
        typer.Option("--into", help=_("The ticket to merge into."), metavar="TARGET"),
    ],
    other_customer: Annotated[
        bool,
        typer.Option(
            "--other-customer",
            help=_(
                "Merge although the customers differ (the same person writing from two "
                "addresses): the target's customer sees every message in the portal."
            ),
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    from tix.core.read_models.links import MergeView
    from tix.core.services import tickets
    from tix.core.services.merging import merge_tickets

    with context.session(write=True) as session:
        actor = context.acting(session)
        source = tickets.get_ticket(session, actor, number)
        target = tickets.get_ticket(session, actor, into)
        result = merge_tickets(
            session, actor, source=source, target=target, other_customer=other_customer
        )
        view = MergeView(
            source=source.number,
            target=target.number,
            activities=result.activities,
            files=result.files,
            times=result.times,
            watchers=result.watchers,
        )
    emit(
        view.model_dump(mode="json"),
        lambda: say(
            _("Merged #{source} into #{target}: {moved}.").format(
                source=view.source,
                target=view.target,
                moved=", ".join(
                    [
                        ngettext("{n} activity", "{n} activities", view.activities).format(
                            n=view.activities
                        ),
                        ngettext("{n} file", "{n} files", view.files).format(n=view.files),
                        ngettext("{n} time entry", "{n} time entries", view.times).format(
                            n=view.times
                        ),
                        ngettext("{n} watcher", "{n} watchers", view.watchers).format(
                            n=view.watchers
                        ),
                    ]
                ),
            )
        ),
    )


@app.command(
    "split",
    help=_(
        "Split activities off into a new ticket (same customer, channel and kind), a child "
        "of this one: the activity numbered SEQ (see `tix ticket show N --json`, `seq`) "
        "and every later one, or with --only just that one. Their files go with them, "
        "and answers to their mails thread to the new ticket.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix ticket split 1042 --activity 7\n"
        '  tix ticket split 1042 --activity 7 --only --subject "Second pump"'
    ),
)
def split(
    number: NumberArgument,
    activity: Annotated[
        int,
        typer.Option("--activity", help=_("The activity's number (seq)."), metavar="SEQ"),
    ],
    only: Annotated[
        bool, typer.Option("--only", help=_("Move just that activity, not the later ones."))
    ] = False,
    subject: Annotated[
        str | None,
        typer.Option(
            "--subject",
            help=_("Subject of the new ticket (default: the activity's or the ticket's)."),
            metavar="TEXT",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    from tix.core.services import tickets
    from tix.core.services.merging import split_ticket

    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        result = split_ticket(
            session, actor, ticket=ticket, seq=activity, only=only, subject=subject
        )
        data = _detail(session, actor, result.new_ticket)
        moved = result.activities
    emit(
        data,
        lambda: say(
            ngettext(
                "Moved {n} activity of #{number} to the new ticket #{new} (a child of #{number}).",
                "Moved {n} activities of #{number} to the new ticket #{new} "
                "(a child of #{number}).",
                moved,
            ).format(n=moved, number=ticket.number, new=data["number"])
        ),
    )


@app.command(
    "link",
    help=_(
        "Link two tickets. --kind says what the first is to the second: parent, child, "
        "duplicate or related. Both tickets list the link; a parent shows in `ticket "
        "list` how many of its children are still open.\n"
        "\n"
        "\b\n"
        "Examples:\n"
        "  tix ticket link 1042 1043 --kind parent     # 1043 is a child of 1042\n"
        "  tix ticket link 1050 1042 --kind duplicate  # 1050 is a duplicate of 1042"
    ),
)
def link(
    number: NumberArgument,
    other: OtherArgument,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help=_("What N is to OTHER: parent, child, duplicate or related."),
            metavar="KIND",
        ),
    ] = "related",
    json_output: JsonOption = False,
) -> None:
    from tix.core.labels import relation_label
    from tix.core.read_models.links import LinkChange
    from tix.core.services import links, tickets

    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        second = tickets.get_ticket(session, actor, other)
        made = links.link_tickets(session, actor, ticket=ticket, other=second, kind=kind)
        assert ticket.id is not None
        relation = links.relation(made, ticket.id)
        view = LinkChange(ticket=ticket.number, other=second.number, relation=relation, linked=True)
    emit(
        view.model_dump(mode="json"),
        lambda: say(
            _("#{number} is now {relation} #{other}.").format(
                number=view.ticket,
                relation=relation_label(relation),
                other=view.other,
            )
        ),
    )


@app.command(
    "unlink",
    help=_(
        "Remove the link between two tickets (whatever its kind).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  tix ticket unlink 1042 1043"
    ),
)
def unlink(number: NumberArgument, other: OtherArgument, json_output: JsonOption = False) -> None:
    from tix.core.read_models.links import LinkChange
    from tix.core.services import links, tickets

    with context.session(write=True) as session:
        actor = context.acting(session)
        ticket = tickets.get_ticket(session, actor, number)
        second = tickets.get_ticket(session, actor, other)
        relation = links.unlink_tickets(session, actor, ticket=ticket, other=second)
        view = LinkChange(
            ticket=ticket.number, other=second.number, relation=relation, linked=False
        )
    emit(
        view.model_dump(mode="json"),
        lambda: say(
            _("Removed the link between #{number} and #{other}.").format(
                number=view.ticket, other=view.other
            )
        ),
    )
