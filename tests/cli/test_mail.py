"""``tix mail``, ``tix account test|set``, ``tix channel set`` and ``tix worker`` from a shell."""

from __future__ import annotations

import json
import mailbox
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.core.mail.test_ingest import mail
from tests.servers import SmtpServer, free_port


@pytest.fixture
def account(cli, world, dovecot, monkeypatch) -> str:
    address = f"cli-{uuid.uuid4().hex[:10]}@tix.test"
    dovecot.add_user(address, "secret")
    monkeypatch.setenv("CLI_MAIL_PW", "secret")
    result = cli(
        "account",
        "set",
        "support",
        "--address",
        address,
        "--imap-host",
        dovecot.host,
        "--imap-port",
        str(dovecot.port),
        "--imap-user",
        address,
        "--tls",
        "none",
        "--password-env",
        "CLI_MAIL_PW",
        "--json",
    )
    assert result.code == 0, result.stderr
    return address


def test_mail_import_of_eml_files_and_mbox_archives(cli, world, tmp_path: Path) -> None:
    single = tmp_path / "one.eml"
    single.write_bytes(mail(subject="From a file", message_id="file1@example.com"))
    archive = mailbox.mbox(tmp_path / "archive.mbox")
    for index in range(3):
        archive.add(mail(subject=f"Archived {index}"))
    archive.add(single.read_bytes())  # the same mail again: a duplicate
    archive.flush()
    result = cli("mail", "import", str(single), str(tmp_path / "archive.mbox"), "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {
        "messages": 5,
        "imported": 4,
        "new_tickets": 4,
        "duplicates": 1,
        "ignored": 0,
        "unprocessable": 0,
        "kept_nothing": [
            {
                "source": "archive.mbox#4",
                "status": "duplicate",
                "reason": "Message-ID file1@example.com was imported before",
            }
        ],
    }
    again = cli("mail", "import", str(tmp_path / "archive.mbox"), "--json").json()
    assert (again["messages"], again["imported"], again["duplicates"]) == (4, 0, 4)
    assert [item["source"] for item in again["kept_nothing"]] == [
        f"archive.mbox#{number}" for number in (1, 2, 3, 4)
    ]
    assert all("imported before" in item["reason"] for item in again["kept_nothing"])
    told = cli("mail", "import", str(tmp_path / "archive.mbox"))
    assert "4 messages: 0 imported (0 new tickets), 4 duplicates, 0 ignored" in told.stderr
    assert "archive.mbox#1: duplicate: imported before from the same file" in told.stderr
    subjects = sorted(t["subject"] for t in cli("ticket", "list", "--json").json())
    assert subjects == ["Archived 0", "Archived 1", "Archived 2", "From a file"]
    log = cli("mail", "log", "--json").json()
    assert len(log) == 5 and {entry["status"] for entry in log} == {"imported", "duplicate"}
    raw = cli("mail", "raw", str(log[-1]["id"]), "-o", str(tmp_path / "back.eml"))
    assert raw.code == 0 and (tmp_path / "back.eml").read_bytes() == single.read_bytes()
    refused = cli("mail", "log", user="bob")
    assert refused.code == 4 and "only admins" in refused.stderr


def test_the_import_summary_says_one_in_the_singular(cli, world, tmp_path: Path) -> None:
    one = tmp_path / "one.eml"
    one.write_bytes(mail(subject="One question", message_id="question@example.com"))
    told = cli("mail", "import", str(one))
    assert "1 message: 1 imported (1 new ticket), 0 duplicates, 0 ignored" in told.stderr


def test_the_import_summary_counts_in_german(cli, world, german, tmp_path: Path) -> None:
    one = tmp_path / "one.eml"
    one.write_bytes(mail(subject="Eine Frage", message_id="frage@example.com"))
    first = cli("mail", "import", str(one))
    assert "1 Nachricht: 1 importiert (1 neues Ticket), 0 Duplikate, 0 ignoriert" in first.stderr
    again = cli("mail", "import", str(one))
    assert "1 Nachricht: 0 importiert (0 neue Tickets), 1 Duplikat, 0 ignoriert" in again.stderr


def send_through(cli, smtp: SmtpServer) -> None:
    """The support account sends through ``smtp`` (plain SMTP on 127.0.0.1)."""
    result = cli(
        "account",
        "set",
        "support",
        "--smtp-host",
        smtp.host,
        "--smtp-port",
        str(smtp.port),
        "--smtp-tls",
        "none",
    )
    assert result.code == 0, result.stderr


def test_mail_sync_and_send_from_the_cli(cli, world, dovecot, account) -> None:
    dovecot.deliver(account, mail(subject="Via IMAP", message_id="cli1@example.com"))
    synced = cli("mail", "sync", "--json")
    assert synced.code == 0, synced.stderr
    assert synced.json()[0]["imported"] == 1
    number = cli("ticket", "list", "--json").json()[0]["number"]
    assert cli("ticket", "reply", str(number), "--body", "Thanks!").code == 0
    with SmtpServer() as smtp:
        send_through(cli, smtp)
        sent = cli("mail", "send", "--json")
        assert sent.json()["sent"] == 1, sent.stdout
        assert smtp.wait_for(1)[0].rcpt_tos == ["kunde@example.com"]
        tested = cli("account", "test", "support", "--json")
        assert tested.code == 0, tested.stdout
        assert tested.json()["imap"]["ok"] and tested.json()["smtp"]["ok"]
    worker = cli("worker", "--once", "--json")
    assert worker.code == 0 and worker.json()["synced"][0]["imported"] == 0


def test_bad_mail_settings_give_one_line(cli, world, dovecot, account, monkeypatch) -> None:
    monkeypatch.setenv("CLI_MAIL_PW", "wrong")
    wrong = cli("mail", "sync")
    assert wrong.code == 1
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "mail account support" in wrong.stderr and "login refused" in wrong.stderr
    monkeypatch.setenv("CLI_MAIL_PW", "secret")
    cli("account", "set", "support", "--imap-folder", "Nowhere")
    missing = cli("mail", "sync")
    assert missing.code == 1 and "folder 'Nowhere' does not exist" in missing.stderr
    cli("account", "set", "support", "--imap-folder", "INBOX", "--imap-port", str(free_port()))
    unreachable = cli("mail", "sync")
    assert unreachable.code == 1 and "connection refused" in unreachable.stderr
    tested = cli("account", "test", "support")
    assert tested.code == 1 and "IMAP: FAILED" in tested.stderr
    monkeypatch.delenv("CLI_MAIL_PW")
    unset = cli("mail", "sync")
    assert unset.code == 1 and "CLI_MAIL_PW is not set" in unset.stderr
    assert cli("ticket", "list", "--json").json() == []


def test_channel_acknowledgement_settings(cli, world, tmp_path: Path) -> None:
    body = tmp_path / "ack.md"
    body.write_text("Hallo {name}, Ticket #{number} ist angelegt.", encoding="utf-8")
    result = cli(
        "channel",
        "set",
        "Support",
        "--ack",
        "--ack-subject",
        "Eingang: {subject}",
        "--ack-body-file",
        str(body),
        "--json",
    )
    assert result.code == 0, result.stderr
    assert result.json()["acknowledge"] is True
    refused = cli("channel", "set", "Support", "--no-ack", user="bob")
    assert refused.code == 4
    missing = cli("channel", "set", "Support", "--ack-body-file", str(tmp_path / "nope.md"))
    assert missing.code == 2 and "check the path given as --ack-body-file" in missing.stderr


def test_two_workers_at_once_import_and_send_each_mail_once(
    cli, world, dovecot, account, db_url
) -> None:
    """Two `tix worker --once` processes on one database: every mail becomes one ticket,
    every queued reply goes out once."""
    for index in range(30):
        dovecot.deliver(account, mail(subject=f"Worker race {index}"))
    with SmtpServer() as smtp:
        send_through(cli, smtp)
        for index in range(10):
            cli(
                "ticket",
                "new",
                "--kind",
                "mail",
                "--account",
                "support",
                "--channel",
                "Support",
                "--to",
                f"race{index}@kunde.example",
                "--subject",
                f"Offer {index}",
                "--body",
                "Text",
            )
        env = dict(os.environ, TIX_DATABASE_URL=db_url, TIX_USER="anna")
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "tix", "worker", "--once", "--json"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        rounds = [json.loads(worker.communicate(timeout=120)[0]) for worker in workers]
        assert all(worker.returncode == 0 for worker in workers)
        imported = sum(r["imported"] for one in rounds for r in one["synced"])
        sent = sum(one["sent"].get("sent", 0) for one in rounds)
        assert imported == 30 and sent == 10
        smtp.wait_for(10)
        recipients = sorted(r for m in smtp.messages for r in m.rcpt_tos)
    assert recipients == sorted(f"race{i}@kunde.example" for i in range(10))
    subjects = [t["subject"] for t in cli("ticket", "list", "--limit", "1000", "--json").json()]
    assert sorted(s for s in subjects if s.startswith("Worker race")) == sorted(
        f"Worker race {i}" for i in range(30)
    )


def test_mail_import_says_it_waits_for_another_writer(cli, world, backend, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL writers wait on rows, not on the whole database")
    import sqlite3

    (tmp_path / "one.eml").write_bytes(mail(subject="Waited for"))
    holder = sqlite3.connect(cli.db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, e.g. a long `tix demo`
    importing = subprocess.Popen(
        [sys.executable, "-m", "tix", "mail", "import", str(tmp_path / "one.eml"), "--json"],
        env={**os.environ, "TIX_DATABASE_URL": cli.db_url, "TIX_USER": "anna"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert importing.stderr is not None
    told = importing.stderr.readline()
    holder.execute("ROLLBACK")
    holder.close()
    out, err = importing.communicate(timeout=60)
    assert told.strip() == "waiting for another tix process that is writing to the database …"
    assert importing.returncode == 0, err
    assert json.loads(out)["imported"] == 1


def test_channel_setting_for_follow_ups_from_strangers(cli, world) -> None:
    assert cli("channel", "list", "--json").json()[0]["stranger_follow_ups"] == "attach"
    result = cli("channel", "set", "Support", "--stranger-follow-ups", "new", "--json")
    assert result.code == 0, result.stderr
    assert result.json()["stranger_follow_ups"] == "new"
    listed = {c["name"]: c["stranger_follow_ups"] for c in cli("channel", "list", "--json").json()}
    assert listed == {"Sales": "attach", "Support": "new"}
    wrong = cli("channel", "set", "Support", "--stranger-follow-ups", "drop", "--ack")
    assert wrong.code == 2  # a value that cannot be read: a usage error
    said = wrong.stderr.strip().splitlines()
    assert len(said) == 1
    assert said[0].endswith(
        "unknown choice 'drop' for follow-ups from strangers: use attach or new"
    )
    unchanged = cli("channel", "list", "--json").json()
    assert [(c["stranger_follow_ups"], c["name"]) for c in unchanged] == [
        ("attach", "Sales"),
        ("new", "Support"),
    ]
    assert "--stranger-follow-ups new" in cli("channel", "set", "--help").stdout


def test_a_strangers_follow_up_through_imap(cli, world, dovecot, account) -> None:
    """Mail synced from a real IMAP server: a stranger's answer with the ticket's tag is a
    third party's message that reopens nothing; with the channel set to `new` it opens a
    ticket of its own."""
    dovecot.deliver(account, mail(subject="Pump broken", message_id="start@kunde.example"))
    assert cli("mail", "sync", "--json").json()[0]["imported"] == 1
    number = cli("ticket", "list", "--json").json()[0]["number"]
    assert cli("ticket", "set", str(number), "--status", "waiting").code == 0
    tagged = f"Re: [Ticket#{number}] Pump broken"
    dovecot.deliver(
        account, mail(sender="Fritz Fremd <fremd@elsewhere.example>", subject=tagged, body="Hi!")
    )
    assert cli("mail", "sync", "--json").json()[0]["imported"] == 1
    shown = cli("ticket", "show", str(number), "--json").json()
    assert shown["status"] == "waiting"
    stranger = shown["activities"][-1]
    assert (stranger["from"], stranger["third_party"]) == (
        "Fritz Fremd <fremd@elsewhere.example>",
        True,
    )
    human = cli("ticket", "show", str(number))
    assert human.code == 0 and "[from a third party]" in human.stdout

    assert cli("channel", "set", "Support", "--stranger-follow-ups", "new").code == 0
    dovecot.deliver(account, mail(sender="fremd@elsewhere.example", subject=tagged, body="Again"))
    assert cli("mail", "sync", "--json").json()[0]["new_tickets"] == 1
    opened = [t for t in cli("ticket", "list", "--json").json() if t["number"] != number]
    assert [t["customer"]["address"] for t in opened] == ["fremd@elsewhere.example"]
    first = cli("ticket", "show", str(opened[0]["number"]), "--json").json()["first_message"]
    assert first["details"]["follow_up_of"] == number
    assert cli("ticket", "show", str(number), "--json").json()["status"] == "waiting"


def test_ticket_show_marks_automatic_mail_and_what_was_not_delivered(cli, world, german) -> None:
    from tests.core.mail.test_ingest import _ingest, _sent_reply, dsn

    _status, number, _id = _ingest(world, mail(message_id="start@kunde.example"))
    tag = f"[Ticket#{number}]"
    reply_id = _sent_reply(world, number, "Welches Modell?")
    _ingest(world, dsn(reply_id))
    _ingest(world, mail(subject=f"Abwesend: {tag}", headers={"Auto-Submitted": "auto-replied"}))
    _ingest(world, mail(subject=f"{tag} Neuigkeiten", headers={"List-Id": "<news.example>"}))
    _ingest(world, mail(sender="fremd@elsewhere.example", subject=f"Re: {tag}", body="Ich auch"))
    shown = cli("ticket", "show", str(number))
    assert shown.code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for mark in (
        "[Unzustellbarkeitsmeldung]",
        "[automatische Antwort]",
        "[Mail einer Liste]",
        "[von Dritten]",
        "[nicht zugestellt: kunde@example.com: 550 5.1.1",
    ):
        assert any(mark in line for line in lines), mark
    data = cli("ticket", "show", str(number), "--json").json()
    assert [a["automatic"] for a in data["activities"] if a["kind"] == "message"] == [
        None,
        "bounce",
        "auto_reply",
        "list",
        None,
    ]
    reply = next(a for a in data["activities"] if a.get("message_id") == reply_id)
    assert reply["delivery"]["status"] == "failed"


def test_mail_import_stops_with_one_line_when_the_database_stays_locked(
    cli, world, backend, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL writers wait on rows, not on the whole database")
    import sqlite3

    for number in (1, 2):
        (tmp_path / f"{number}.eml").write_bytes(mail(subject=f"Locked {number}"))
    holder = sqlite3.connect(cli.db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # held longer than the busy timeout
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tix", "mail", "import", "1.eml", "2.eml"],
            cwd=tmp_path,
            env={**os.environ, "TIX_DATABASE_URL": cli.db_url, "TIX_USER": "anna"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "waiting for another tix process that is writing to the database …",
        "tix: another tix process kept the database locked, so 1.eml#1 and the messages "
        "after it were not imported (0 of 2 done): run the same import again when it has "
        "finished, done messages are skipped",
    ]
    assert cli("ticket", "list", "--json").json() == []
