"""One long-running process for the background work: sync mail, send the outbox,
fire alarms, on a schedule; stops cleanly between steps when asked."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.models import MailAccount

log = logging.getLogger("tix.worker")


@dataclass
class Round:
    synced: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, Any] = field(default_factory=dict)
    alarms: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "synced": self.synced,
            "sent": self.sent,
            "alarms": self.alarms,
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


def run_round(
    engine: Engine,
    settings: Settings,
    *,
    cafile: str | None = None,
    stop: Callable[[], bool] | None = None,
) -> Round:
    """Sync every account, send what is due, fire due alarms. A failing step is logged
    and the others still run."""
    from tix.core.mail.delivery import deliver
    from tix.core.mail.sync import sync_account
    from tix.core.services.alarms import fire_due_alarms

    done = Round()
    for account_id in syncable_accounts(engine):
        if stop is not None and stop():
            return done
        try:
            report = sync_account(engine, account_id, settings=settings, cafile=cafile, stop=stop)
            done.synced.append(report.to_json())
        except Exception as error:
            log.error("sync of account %s failed: %s", account_id, error)
            done.errors.append(str(error))
    try:
        done.sent = deliver(engine, cafile=cafile).to_json()
    except Exception as error:
        log.error("sending failed: %s", error)
        done.errors.append(str(error))
    try:
        with session_scope(engine, write=True) as session:
            done.alarms = len(fire_due_alarms(session))
    except Exception as error:
        log.error("alarms failed: %s", error)
        done.errors.append(str(error))
    return done


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
