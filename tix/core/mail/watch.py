"""``tix mail sync --watch``: import at once what arrives, with IMAP IDLE."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from tix.core.config import Settings
from tix.core.db import session_scope
from tix.core.models import MailAccount

log = logging.getLogger("tix.mail")

IDLE_SECONDS = 60.0
"""Each IDLE lasts at most this long, so a stop request is seen within a minute."""
MAX_BACKOFF = 300.0


def watch_account(
    engine: Engine,
    account_id: int,
    settings: Settings,
    stopping: threading.Event,
    *,
    cafile: str | None = None,
) -> None:
    """Sync, wait for new mail, sync again, until ``stopping`` is set. Connection
    trouble is logged and retried after 1, 2, 4 ... up to 300 seconds."""
    from tix.core.mail.imap import Mailbox
    from tix.core.mail.sync import imap_settings, sync_account

    backoff = 1.0
    while not stopping.is_set():
        try:
            sync_account(engine, account_id, settings=settings, cafile=cafile, stop=stopping.is_set)
            with session_scope(engine) as session:
                account = session.get(MailAccount, account_id)
                assert account is not None
                connection = imap_settings(account, cafile=cafile)
            with Mailbox(connection) as box:
                backoff = 1.0
                while not stopping.is_set():
                    if box.wait_for_mail(IDLE_SECONDS):
                        break
        except Exception as error:
            log.warning("account %s: %s; trying again in %.0f s", account_id, error, backoff)
            stopping.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
