"""One long-running process for the background work: sync mail, send the outbox,
fire alarms, warn of SLA deadlines, on a schedule; stops cleanly between steps when asked.

OAuth2 accounts refresh their access tokens by themselves as they sign in. One whose
token can no longer be refreshed (or whose fresh token the server refuses) is marked
(``auth_problem``), logged and told to the admins once, not on every round; the mark
goes with the next successful sign-in.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from tix.core import clock
from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.i18n import _, use_language
from tix.core.models import MailAccount, NotificationKind, User

log = logging.getLogger("tix.worker")


@dataclass
class Round:
    synced: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, Any] = field(default_factory=dict)
    alarms: int = 0
    sla_warnings: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "synced": self.synced,
            "sent": self.sent,
            "alarms": self.alarms,
            "sla_warnings": self.sla_warnings,
            "errors": self.errors,
        }


def syncable_accounts(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return [
            account_id
            for account_id in session.execute(
                select(col(MailAccount.id))
                .where(col(MailAccount.imap_host) != "", col(MailAccount.channel_id).is_not(None))
                .order_by(col(MailAccount.id))
            ).scalars()
            if account_id is not None
        ]


_rounds = itertools.count(os.getpid())


def in_turn(account_ids: list[int]) -> list[int]:
    """``account_ids`` starting at another account in each round and in each process, so
    that workers started together do not all try the same account first. One that finds
    an account locked goes on to the next (:func:`~tix.core.mail.sync.account_lock`):
    N workers spread over N accounts, and every account is tried by each round."""
    if not account_ids:
        return []
    start = next(_rounds) % len(account_ids)
    return account_ids[start:] + account_ids[:start]


def run_round(
    engine: Engine,
    settings: Settings,
    *,
    cafile: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> Round:
    """Sync every account, send what is due, fire due alarms, warn of SLA deadlines near
    or missed. A failing step is logged and the others still run."""
    from tix.core.mail.delivery import deliver
    from tix.core.mail.sync import sync_account
    from tix.core.services.alarms import fire_due_alarms
    from tix.core.services.sla import warn_before_breaches

    done = Round()
    for account_id in in_turn(syncable_accounts(engine)):
        if stop is not None and stop():
            return done
        try:
            report = sync_account(engine, account_id, settings=settings, cafile=cafile, stop=stop)
            done.synced.append(report.to_json())
            if not report.locked:
                note_sign_in(engine, account_id, None)
        except Exception as error:
            done.errors.append(str(error))
            if needs_sign_in(error):
                note_sign_in(engine, account_id, str(error))
            else:
                log.error("sync of account %s failed: %s", account_id, error)
    try:
        delivered = deliver(engine, cafile=cafile)
        done.sent = delivered.to_json()
        for account_id, problem in delivered.sign_in_problems.items():
            note_sign_in(engine, account_id, problem)
        for account_id in delivered.signed_in - set(delivered.sign_in_problems):
            note_sign_in(engine, account_id, None)
    except Exception as error:
        log.error("sending failed: %s", error)
        done.errors.append(str(error))
    try:
        with session_scope(engine, write=True) as session:
            done.alarms = len(fire_due_alarms(session))
    except Exception as error:
        log.error("alarms failed: %s", error)
        done.errors.append(str(error))
    try:
        with session_scope(engine, write=True) as session:
            done.sla_warnings = len(warn_before_breaches(session))
    except Exception as error:
        log.error("SLA warnings failed: %s", error)
        done.errors.append(str(error))
    return done


def needs_sign_in(error: BaseException) -> bool:
    """Whether only a person can fix ``error``: a refresh token the provider no longer
    takes, or a fresh token the server refuses."""
    return bool(getattr(error, "needs_sign_in", False))


def note_sign_in(engine: Engine, account_id: int, problem: str | None) -> None:
    """Record whether an OAuth2 account can sign in (``problem`` None: it can). A new
    problem is logged and told to every active admin in-app once; its end is logged."""
    from tix.core.services.accounts import record_auth_problem
    from tix.core.services.notifications import notify_user

    with session_scope(engine) as session:  # most rounds change nothing: no write lock
        account = session.get(MailAccount, account_id)
        if account is None or (account.auth_problem is None) == (problem is None):
            return
    with session_scope(engine, write=True) as session:
        account = session.get(MailAccount, account_id)
        if account is None:
            return
        if not record_auth_problem(
            session, account_id=account_id, problem=problem, now=clock.now()
        ):
            return
        name = account.name
        if problem is None:
            log.warning("mail account %s signs in again", name)
            return
        log.error("sign-in stopped working: %s", problem)
        admins = session.execute(
            select(User).where(col(User.is_admin).is_(True), col(User.active).is_(True))
        ).scalars()
        for admin in admins:
            with use_language(admin.language or None):
                text = _("Sign-in stopped working: {problem}").format(problem=problem)
            notify_user(session, admin, kind=NotificationKind.ACCOUNT, text=text)


def run_forever(
    engine: Engine,
    settings: Settings,
    *,
    interval: float,
    stopping: threading.Event,
    cafile: str | None = None,
) -> None:
    """Rounds every ``interval`` seconds until ``stopping`` is set."""
    log.info("worker started (every %s s)", interval)
    while not stopping.is_set():
        done = run_round(engine, settings, cafile=cafile, stop=stopping.is_set)
        log.info("round: %s", done.to_json())
        stopping.wait(interval)
    log.info("worker stopped")
