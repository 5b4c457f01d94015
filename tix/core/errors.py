"""Errors the core raises. Each user interface turns them into its own form.

Every error carries a message for people that names the problem and, where there is
one, the fix. The CLI maps the kind to an exit code, the web API to an HTTP status,
the TUI to a notification.
"""

from __future__ import annotations


class TixError(Exception):
    """Base of every error the core raises on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Invalid(TixError):
    """The input is malformed or breaks a rule; nothing was changed."""

    code = "invalid"


class Malformed(Invalid):
    """A given value cannot be read as what it names (a number, date, duration,
    address, choice ...): the caller asked wrongly, so the CLI calls it a usage error."""


class NotFound(TixError):
    """A named thing (ticket, user, channel ...) does not exist."""

    code = "not_found"


class Forbidden(TixError):
    """The acting user may not see or do this."""

    code = "forbidden"


class Conflict(TixError):
    """Someone else changed the thing since it was read, or it already exists."""

    code = "conflict"


class NotInitialised(TixError):
    """The database has no tix schema yet, or an older one."""

    code = "not_initialised"


class SchemaTooNew(TixError):
    """The database was made by a newer tix."""

    code = "schema_too_new"


class Unavailable(TixError):
    """A server tix needs (database, mail server) cannot be reached."""

    code = "unavailable"
