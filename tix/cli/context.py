"""What every command needs: settings, the database and the acting user.

The root callback stores the global options here; commands call :func:`database`
and :func:`acting` instead of building engines or reading the environment.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date, tzinfo

    from sqlalchemy import Engine
    from sqlmodel import Session

    from tix.core.config import Settings
    from tix.core.models import User


@dataclass
class Globals:
    as_login: str | None = None
    database_url: str | None = None
    debug: bool = False


options = Globals()
_cache: dict[str, object] = {}


def settings() -> Settings:
    if "settings" not in _cache:
        from tix.core.config import load_settings

        _cache["settings"] = load_settings(database_url=options.database_url)
    return _cache["settings"]  # type: ignore[return-value]


def engine(*, check: bool = True) -> Engine:
    """The engine for the configured database; ``check`` refuses a missing or foreign schema."""
    key = f"engine:{check}"
    if key not in _cache:
        from tix.core.db import check_schema, engine_for

        made = _cache.get("engine:False") or engine_for(settings())
        if check:
            check_schema(made)  # type: ignore[arg-type]
        _cache[key] = made
    return _cache[key]  # type: ignore[return-value]


def acting_login() -> str:
    if options.as_login:
        return options.as_login
    return os.environ.get("TIX_USER") or getpass.getuser()


@contextmanager
def session(*, write: bool = False) -> Iterator[Session]:
    from tix.core.db import session_scope

    with session_scope(engine(), write=write) as active:
        yield active


def acting(active: Session) -> User:
    from tix.core.services.users import acting_user

    return acting_user(active, acting_login())


def zone(user: User | None = None) -> tzinfo:
    from tix.core.timeutil import zone as make_zone

    return make_zone((user.timezone if user else "") or settings().timezone)


def reset() -> None:
    """Forget cached state (tests run many commands in one process)."""
    for value in _cache.values():
        dispose = getattr(value, "dispose", None)
        if dispose is not None:
            dispose()
    _cache.clear()
    options.as_login = None
    options.database_url = None
    options.debug = False


def today(user: User | None = None) -> date:
    """The date in the user's time zone."""
    from datetime import datetime

    return datetime.now(zone(user)).date()
