"""The root ``tix`` command: global options, sub-commands, and the one place where
errors become exit codes and one-line messages."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tix import __version__
from tix.cli import context
from tix.cli.commands import account, admin, channel, contact, demo, group, ticket, user
from tix.cli.output import ExitCode, error_line, state
from tix.core.i18n import _

app = typer.Typer(
    name="tix",
    help=_(
        "tix — a helpdesk that lives in the terminal.\n\n"
        "Tickets from mail, phone and the web, worked in a TUI or scripted from here. "
        "Every command takes --json for scripts."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"tix {__version__}\n")
        raise typer.Exit()


@app.callback()
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


app.add_typer(admin.app)
app.add_typer(admin.db_app, name="db")
app.add_typer(demo.app)
app.add_typer(user.app, name="user")
app.add_typer(group.app, name="group")
app.add_typer(channel.app, name="channel")
app.add_typer(contact.app, name="contact")
app.add_typer(account.app, name="account")
app.add_typer(ticket.app, name="ticket")


def _exit_code(error: BaseException) -> ExitCode:
    from tix.core import errors

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

    state.json = False
    try:
        result = app(args=argv, prog_name="tix", standalone_mode=False)
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.Abort:
        error_line("aborted", _("aborted"))
        return 130
    except typer.TyperException as error:  # usage errors (typer's own click)
        format_message = getattr(error, "format_message", None)
        message = format_message() if format_message else str(error)
        command = getattr(getattr(error, "ctx", None), "command_path", "tix")
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
    """Database errors a user can act on, as TixErrors; others unchanged."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from tix.core.errors import Conflict, Unavailable

    if isinstance(error, StaleDataError):
        return Conflict(_("the ticket was changed by someone else meanwhile: try again"))
    if isinstance(error, OperationalError):
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return Unavailable(_("the database failed: {reason}").format(reason=reason))
    return error


def main() -> None:
    code = run()
    sys.stdout.flush()
    sys.exit(code)
