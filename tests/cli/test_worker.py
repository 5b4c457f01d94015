"""``tix worker`` beside other workers on one PostgreSQL."""

from __future__ import annotations

import pytest

from tix.core.db import session_scope
from tix.core.mail.sync import account_lock
from tix.core.models import MailAccount


def test_an_account_another_worker_syncs_is_not_counted_as_synced(cli, world, backend) -> None:
    if backend != "postgresql":
        pytest.skip("only PostgreSQL locks an account for one worker")
    with session_scope(world.engine, write=True) as session:
        account = session.get(MailAccount, world.account)
        account.imap_host, account.imap_port, account.tls = "127.0.0.1", 1, "none"
    with account_lock(world.engine, world.account) as free:  # another worker has it
        assert free
        told = cli("worker", "--once")
        data = cli("worker", "--once", "--json")
    assert told.code == 0, told.stderr
    assert "Accounts synced: 0," in told.stderr
    assert data.json()["synced"] == [
        {
            "account": "support",
            "fetched": 0,
            "imported": 0,
            "new_tickets": 0,
            "duplicates": 0,
            "ignored": 0,
            "unprocessable": 0,
            "locked": True,
        }
    ]
    assert data.json()["errors"] == []
