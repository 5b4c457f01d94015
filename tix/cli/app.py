"""The root ``tix`` command: global options, sub-commands, and the one place where
errors become exit codes and one-line messages."""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Annotated

import typer

from tix import __version__
from tix.cli import context
from tix.cli.helptext import polish, usage_message
from tix.cli.output import ExitCode, error_line, state
from tix.core.i18n import _

#: Command groups: name -> (module, attribute, help). A command's module is imported
#: only when that command runs: building every command's options takes ~2 ms each, so
#: `tix --help` lists placeholders and `tix ticket ...` loads the ticket commands alone.
GROUPS: dict[str, tuple[str, str, str]] = {
    "db": ("tix.cli.commands.admin", "db_app", _("Upgrade or back up the database.")),
    "user": ("tix.cli.commands.user", "app", _("Staff users (agents and admins).")),
    "group": ("tix.cli.commands.group", "app", _("User groups; channels grant access to groups.")),
    "channel": (
        "tix.cli.commands.channel",
        "app",
        _("Channels: where tickets are handled and who sees them."),
    ),
    "contact": ("tix.cli.commands.contact", "app", _("Contacts: customers and suppliers.")),
    "account": ("tix.cli.commands.account", "app", _("Mail accounts (IMAP in, SMTP out).")),
    "ticket": ("tix.cli.commands.ticket", "app", _("Open, list, show and work tickets.")),
    "time": (
        "tix.cli.commands.time",
        "app",
        _("Book time on tickets, list it, export an Excel report."),
    ),
    "watch": ("tix.cli.commands.watch", "app", _("Who is told about a ticket's activities.")),
    "file": ("tix.cli.commands.file", "app", _("Files on tickets.")),
    "alarm": ("tix.cli.commands.alarm", "app", _("Reminders about tickets.")),
    "notify": ("tix.cli.commands.notify", "app", _("Your notifications.")),
    "document": (
        "tix.cli.commands.document",
        "app",
        _("Quotes, order confirmations and invoices from tickets."),
    ),
    "project": ("tix.cli.commands.project", "app", _("Projects that tickets belong to.")),
    "sla": (
        "tix.cli.commands.sla",
        "app",
        _("SLA policies: first-response and solution targets in business hours."),
    ),
    "calendar": (
        "tix.cli.commands.sla",
        "calendar_app",
        _("Business calendars: open hours, public holidays and closed days for SLAs."),
    ),
    "signature": (
        "tix.cli.commands.signature",
        "app",
        _("Signatures of channels, mail accounts and agents under outgoing mail."),
    ),
    "template": (
        "tix.cli.commands.template",
        "app",
        _("Text modules: named texts with variables for replies, notes and new tickets."),
    ),
    "mail": (
        "tix.cli.commands.mail",
        "app",
        _("Fetch mail into tickets, send the outbox, import mail archives."),
    ),
    "apikey": ("tix.cli.commands.web", "apikey_app", _("Keys for the web API.")),
    "form": (
        "tix.cli.commands.web",
        "form_app",
        _("The fields customers fill in when opening a ticket."),
    ),
    "webform": (
        "tix.cli.commands.web",
        "webform_app",
        _("The contact form for your own web site."),
    ),
    "view": ("tix.cli.commands.view", "app", _("Saved filters of the ticket list (views).")),
    "config": ("tix.cli.commands.config", "app", _("Show the settings and where each comes from.")),
    "report": (
        "tix.cli.commands.report",
        "app",
        _("Reports: tickets in and solved, response times, SLAs, load, as charts or Excel."),
    ),
}
#: Single top-level commands: name -> (module, attribute of a Typer holding it, help).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": (
        "tix.cli.commands.admin",
        "app",
        _("Create or upgrade the database, and make the first admin."),
    ),
    "demo": ("tix.cli.commands.demo", "app", _("Fill an empty database with a demo helpdesk.")),
    "worker": (
        "tix.cli.commands.worker",
        "app",
        _("Sync mail, send the outbox and fire alarms in a loop."),
    ),
    "tui": ("tix.cli.commands.tui", "app", _("Open the terminal UI.")),
    "serve": (
        "tix.cli.commands.web",
        "serve_app",
        _("Serve the web API, the web form and the customer portal."),
    ),
}
HELP_OPTIONS = ["-h", "--help"]
#: Root options that take a value (the word after them is not a command).
_VALUE_OPTIONS = ("--as", "--db")


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"tix {__version__}\n")
        raise typer.Exit()


def root(
    as_login: Annotated[
        str | None,
        typer.Option(
            "--as",
            help=_("Act as this tix user (default: $TIX_USER, else your login name)."),
            metavar="LOGIN",
            show_default=False,
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=_("Database URL (default: $TIX_DATABASE_URL, else the SQLite file)."),
            metavar="URL",
            show_default=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help=_("Show the full traceback of unexpected errors."))
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help=_("Print the version and exit."), callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    context.options.as_login = as_login
    context.options.database_url = database
    context.options.debug = debug


def requested_command(argv: list[str]) -> str | None:
    """The command word in ``argv`` (after the root options), if any."""
    return _requested(argv)[0]


def _requested(argv: list[str]) -> tuple[str | None, str | None]:
    """The command word and the word after it (a group's sub-command), if any."""
    skip = False
    words: list[str] = []
    for word in argv:
        if skip:
            skip = False
        elif not words and word in _VALUE_OPTIONS:
            skip = True
        elif not word.startswith("-"):
            words.append(word)
            if len(words) == 2:
                break
        elif words:
            break  # options of the command: no sub-command word follows
    return (words[0] if words else None, words[1] if len(words) > 1 else None)


def _only(group: typer.Typer, name: str | None) -> typer.Typer:
    """``group`` with just the sub-command ``name`` (building each costs ~3 ms).

    Without a known ``name`` (``tix ticket --help``, a typo) the whole group is kept,
    so that help and "no such command" list every sub-command.
    """
    chosen = [
        info
        for info in group.registered_commands
        if info.name == name
        or (
            info.name is None
            and info.callback is not None
            and info.callback.__name__.replace("_", "-") == name
        )
    ]
    if not chosen:
        return group
    slim = typer.Typer(no_args_is_help=True)
    slim.registered_commands = chosen
    slim.registered_groups = [g for g in group.registered_groups if g.name == name]
    return slim


def build_app(argv: list[str] | None = None, *, everything: bool = False) -> typer.Typer:
    """The root app with the requested command loaded (``everything``: all of them)."""
    app = typer.Typer(
        name="tix",
        help=_(
            "tix — a helpdesk that lives in the terminal.\n\n"
            "Tickets from mail, phone and the web, worked in a TUI or scripted from here. "
            "Every command takes --json for scripts."
        ),
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": HELP_OPTIONS},
    )
    app.callback()(root)
    wanted, sub_command = _requested(argv if argv is not None else sys.argv[1:])
    if everything:
        wanted = sub_command = None
    for name, (module, attribute, help_text) in GROUPS.items():
        if everything or name == wanted:
            group = getattr(import_module(module), attribute)
            app.add_typer(_only(group, sub_command), name=name, help=help_text)
        else:
            app.add_typer(typer.Typer(), name=name, help=help_text)
    for name, (module, attribute, help_text) in COMMANDS.items():
        if everything or name == wanted:
            app.add_typer(getattr(import_module(module), attribute))
        else:
            app.command(name, help=help_text)(_placeholder)
    return app


def _command_path(argv: list[str]) -> str:
    """``tix`` and the command words in ``argv``, for a usage error that names no command."""
    first, second = _requested(argv)
    if first in GROUPS and second is not None:
        return f"tix {first} {second}"
    return f"tix {first}" if first in GROUPS or first in COMMANDS else "tix"


def _placeholder() -> None:
    """Stands in for a command in the root's help; never runs."""


def _exit_code(error: BaseException) -> ExitCode:
    from tix.core import errors
    from tix.core.config import BadSetting

    if isinstance(error, BadSetting):
        return ExitCode.USAGE
    if isinstance(error, errors.Malformed):
        return ExitCode.USAGE  # a value that cannot be read is asked wrongly, as in Click
    if isinstance(error, errors.NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(error, errors.Forbidden):
        return ExitCode.FORBIDDEN
    if isinstance(error, errors.Conflict):
        return ExitCode.CONFLICT
    return ExitCode.ERROR


def _unexpected(error: BaseException) -> int:
    """Log the traceback, print one line with where to find it."""
    if context.options.debug:
        import traceback

        traceback.print_exception(error)
        return ExitCode.ERROR
    where = _log_traceback(error)
    hint = _("details in {path}").format(path=where) if where else _("run again with --debug")
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    error_line("internal", _("unexpected error: {error} ({hint})").format(error=first, hint=hint))
    return ExitCode.ERROR


def _log_traceback(error: BaseException) -> str | None:
    import logging

    try:
        path = context.settings().resolved_log_file
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except Exception:
        return None
    logger = logging.getLogger("tix.cli")
    logger.addHandler(handler)
    try:
        logger.error("unexpected error in %s", " ".join(sys.argv), exc_info=error)
    finally:
        logger.removeHandler(handler)
        handler.close()
    return str(path)


def run(argv: list[str] | None = None) -> int:
    """Run tix with ``argv`` and return the exit code (no traceback ever escapes)."""
    from tix.core.errors import TixError

    state.reset()
    # A run builds only the requested command; completion the one being typed.
    completing = "_TIX_COMPLETE" in os.environ
    if completing:
        from tix.cli.complete import completion_words

        app = build_app(completion_words())
    else:
        app = build_app(argv)
    try:
        root_command = typer.main.get_command(app)
        if completing:
            from tix.cli.complete import attach

            attach(root_command, HELP_OPTIONS)
        else:
            polish(root_command, HELP_OPTIONS)
        result = root_command.main(args=argv, prog_name="tix", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except SystemExit as done:  # shell completion ends with sys.exit()
        return done.code if isinstance(done.code, int) else ExitCode.ERROR
    except typer.Abort:
        error_line("aborted", _("aborted"))
        return 130
    except typer.TyperException as error:  # usage errors (typer's own click)
        if type(error).__name__ == "NoArgsIsHelpError":  # a group without its command
            sys.stderr.write(str(getattr(error, "message", "")) + "\n")
            return ExitCode.USAGE
        message = usage_message(error)
        command = getattr(getattr(error, "ctx", None), "command_path", None) or _command_path(
            argv if argv is not None else sys.argv[1:]
        )
        misplaced = getattr(error, "option_name", None)
        if misplaced in (*_VALUE_OPTIONS, "--debug") and command != "tix":
            error_line(
                "usage",
                _(
                    "{option} is an option of tix itself: put it before the command, as in "
                    "`tix {option} … {command}`"
                ).format(option=misplaced, command=command.removeprefix("tix ")),
            )
            return ExitCode.USAGE
        error_line(
            "usage",
            _("{message} (see `{command} --help`)").format(message=message, command=command),
        )
        return ExitCode.USAGE
    except TixError as error:
        error_line(error.code, error.message)
        return _exit_code(error)
    except KeyboardInterrupt:
        error_line("aborted", _("interrupted"))
        return 130
    except BrokenPipeError:
        return ExitCode.ERROR
    except Exception as error:
        known = _wrap_database_error(error)
        if isinstance(known, TixError):
            error_line(known.code, known.message)
            return _exit_code(known)
        return _unexpected(error)
    finally:
        context.reset()
    return int(result) if isinstance(result, int) else ExitCode.OK


def _wrap_database_error(error: Exception) -> Exception:
    """Database errors a user can act on, as TixErrors (as the core's session scope gives
    them); others unchanged."""
    from tix.core.db import database_error

    return database_error(error) or error


def main() -> None:
    code = run()
    sys.stdout.flush()
    sys.exit(code)
