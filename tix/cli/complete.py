"""Shell completion of values from the database: logins, channels, accounts,
categories, groups, projects, statuses and recent ticket numbers.

Completion runs on every Tab, so it answers from the database driver alone (sqlite3
from the standard library, or psycopg), never through SQLAlchemy and SQLModel
(~400 ms of imports). Which values an option takes is read from its name (and an
argument's metavar) here, in one place, so every command completes alike.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from contextlib import closing
from typing import Any

#: How many values a Tab offers at most.
LIMIT = 20
TICKET_STATUSES = ("new", "open", "waiting", "solved", "closed")
IMPORT_STATUSES = ("imported", "duplicate", "ignored", "unprocessable")


def completion_words() -> list[str]:
    """The words typed so far after ``tix`` (bash's COMP_WORDS, the others' args)."""
    if "COMP_WORDS" in os.environ:
        words = _split(os.environ["COMP_WORDS"])
        current = int(os.environ.get("COMP_CWORD", len(words)))
        return words[1:current]
    return _split(os.environ.get("_TYPER_COMPLETE_ARGS", ""))[1:]


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an open quote while typing
        return text.split()


def attach(command: Any, help_option_names: list[str], path: tuple[str, ...] = ()) -> None:
    """Give the options and arguments of ``command`` and its sub-commands their values."""
    from tix.cli.helptext import HelpNames

    help_option = command.get_help_option(HelpNames(help_option_names))
    for param in [*command.params, *([help_option] if help_option else [])]:
        # Completion needs the words typed, not their values: leaving Typer's
        # conversion out spares its pydantic import (~90 ms) on every Tab.
        param.process_value = _as_typed
        values = _values_for(path, param)
        if values is not None:
            param._custom_shell_complete = values  # what Typer's autocompletion= sets
    for name, sub in getattr(command, "commands", {}).items():
        attach(sub, help_option_names, (*path, name))


def _as_typed(ctx: Any, value: Any) -> Any:
    return value


Values = Callable[[Any, Any, str], list[str]]


def _values_for(path: tuple[str, ...], param: Any) -> Values | None:
    noun = path[0] if path else ""
    if getattr(param, "param_type_name", "") == "argument":
        metavar = param.metavar or param.name.upper()
        if metavar in ("N", "N..."):  # one ticket, or many (ticket set, ticket note)
            return _tickets
        if metavar == "LOGIN":
            return _query("SELECT login FROM users WHERE active ORDER BY login")
        if metavar == "GROUP":
            return _query("SELECT name FROM groups ORDER BY name")
        if metavar == "CHANNEL" or (noun == "channel" and metavar == "NAME"):
            return _query("SELECT name FROM channels ORDER BY name")
        if noun == "account" and metavar == "NAME":
            return _query("SELECT name FROM mail_accounts ORDER BY name")
        return None
    options = set(getattr(param, "opts", ()))
    if options & {"--as", "--owner", "--user", "--for", "--agent", "--default-owner"}:
        return _query("SELECT login FROM users WHERE active ORDER BY login")
    if "--channel" in options:
        return _query("SELECT name FROM channels ORDER BY name")
    if "--account" in options:
        return _query("SELECT name FROM mail_accounts ORDER BY name")
    if options & {"--category", "--add-category", "--remove-category"}:
        return _query("SELECT name FROM categories ORDER BY name")
    if "--group" in options:
        return _query("SELECT name FROM groups ORDER BY name")
    if "--project" in options:
        return _query("SELECT name FROM projects ORDER BY name")
    if options & {"--ticket", "--from-ticket"}:
        return _tickets
    if "--status" in options:
        if path == ("mail", "log"):
            return _fixed(IMPORT_STATUSES)
        return _fixed((*TICKET_STATUSES, "all") if path[-1:] == ("list",) else TICKET_STATUSES)
    if "--format" in options:
        from tix.cli.output import FORMATS

        return _fixed(FORMATS)
    if "--kind" in options:
        if noun == "contact":
            return _fixed(("customer", "supplier"))
        return _fixed(("internal", "mail", "request"))
    return None


def _fixed(choices: tuple[str, ...]) -> Values:
    def values(ctx: Any, param: Any, incomplete: str) -> list[str]:
        return [choice for choice in choices if choice.startswith(incomplete.lower())]

    return values


def _query(sql: str) -> Values:
    """The values ``sql`` reads that start with what is typed (case-insensitive)."""

    def values(ctx: Any, param: Any, incomplete: str) -> list[str]:
        start = incomplete.casefold()
        found = [str(v) for (v,) in _rows(ctx, sql)]
        return [value for value in found if value.casefold().startswith(start)][:LIMIT]

    return values


def _tickets(ctx: Any, param: Any, incomplete: str) -> list[str]:
    """The numbers of the tickets changed last that start with the digits typed
    (others' internal tickets left out).

    Few digits match many tickets: the newest changes are read until enough match. More
    digits match few: those are picked by number (the unique index), then ordered.
    """
    digits = incomplete.lstrip("#")
    if digits and not digits.isdigit():
        return []
    me = _acting_login(ctx)
    if len(digits) < 3:
        where = "CAST(t.number AS TEXT) LIKE {p}"
        params: tuple[Any, ...] = (digits + "%", me, me)
    else:
        where = (
            "("
            + " OR ".join(
                f"t.number BETWEEN {int(digits) * 10**k} AND {(int(digits) + 1) * 10**k - 1}"
                for k in range(13 - len(digits))
            )
            + ")"
        )
        params = (me, me)
    sql = (
        f"SELECT t.number FROM tickets t WHERE {where} AND (t.kind != 'internal' "
        "OR t.owner_id = (SELECT id FROM users WHERE login = {p}) "
        "OR t.creator_user_id = (SELECT id FROM users WHERE login = {p})) "
        f"ORDER BY t.updated_at DESC LIMIT {LIMIT}"
    )
    return [str(number) for (number,) in _rows(ctx, sql, params)]


def _acting_login(ctx: Any) -> str:
    given = ctx.find_root().params.get("as_login") if ctx is not None else None
    if given:
        return str(given)
    import getpass

    return os.environ.get("TIX_USER") or getpass.getuser()


def _rows(ctx: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows ``sql`` reads from the configured database ({p}: a parameter); none
    when it cannot be read: completion offers nothing rather than an error."""
    try:
        url = _database_url(ctx)
        if url.startswith("sqlite"):
            import sqlite3

            path = url.split(":///", 1)[1] if ":///" in url else ""
            if not path or not os.path.exists(path):
                return []
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as db:
                return db.execute(sql.format(p="?"), params).fetchall()
        import psycopg  # ~100 ms more: only a PostgreSQL database needs it

        plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(plain, connect_timeout=2) as db:
            return db.execute(sql.format(p="%s"), params).fetchall()
    except Exception:  # completion never shows a traceback in the shell
        return []


def _database_url(ctx: Any) -> str:
    from tix.core.config import load_settings

    given = ctx.find_root().params.get("database") if ctx is not None else None
    return str(load_settings(database_url=given).resolved_database_url)
