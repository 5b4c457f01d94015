"""Working a ticket from the CLI: time, watchers, files, alarms, notifications, documents,
projects, user settings; each with its bad input."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook


@pytest.fixture
def ticket(cli, world) -> int:
    result = cli(
        "ticket",
        "new",
        "--kind",
        "request",
        "--channel",
        "Support",
        "--customer",
        "kunde@example.com",
        "--subject",
        "Pump leaks",
        "--body",
        "Please come",
        "--json",
    )
    assert result.code == 0, result.stderr
    return int(result.json()["number"])


def test_time_book_list_and_export(cli, ticket, tmp_path: Path) -> None:
    booked = cli(
        "time", "book", str(ticket), "1h30m", "--on", "2026-11-02", "--note", "Seal", "--json"
    )
    assert booked.code == 0, booked.stderr
    assert booked.json()["minutes"] == 90 and booked.json()["date"] == "2026-11-02"
    assert (
        cli(
            "time", "book", str(ticket), "1,5h", "--on", "03.11.2026", "--no-billable", "--json"
        ).code
        == 0
    )
    assert (
        cli("time", "book", str(ticket), "0:20", "--on", "2026-12-01", "--json", user="bob").code
        == 0
    )
    listed = cli("time", "list", "--json").json()
    assert [(t["user"], t["minutes"], t["billable"]) for t in listed] == [
        ("anna", 90, True),
        ("anna", 90, False),
        ("bob", 20, True),
    ]
    assert (
        len(cli("time", "list", "--from", "01.11.2026", "--to", "2026-11-30", "--json").json()) == 2
    )
    assert len(cli("time", "list", "--billable", "--json").json()) == 2
    assert len(cli("time", "list", "--user", "bob", "--json").json()) == 1
    human = cli("time", "list", "--format", "table")
    assert "Total: 3:20 h in 3 entries" in human.stderr

    target = tmp_path / "times.xlsx"
    exported = cli("time", "export", str(target), "--json")
    assert exported.code == 0, exported.stderr
    assert exported.json()["rows"] == 3
    book = load_workbook(target)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    data, total = rows[:3], rows[3]
    assert isinstance(data[0][0], datetime | date)
    hours = [row[5] for row in data]
    assert hours == [1.5, 1.5, pytest.approx(0.3333, abs=1e-3)]
    assert str(total[5]).startswith("=SUM(F2:F4")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    summary = book.worksheets[1]
    values = [row for row in summary.iter_rows(values_only=True) if any(row)]
    flat = [cell for row in values for cell in row if cell is not None]
    assert "Anna Admin" in flat and "Bob Support" in flat
    again = cli("time", "export", str(target))
    assert again.code == 5 and "--force" in again.stderr


def test_watch_file_alarm_and_notify(cli, ticket, tmp_path: Path) -> None:
    assert cli("watch", "add", str(ticket), "--group", "Sales", "--json").code == 0
    assert {"group": "Sales"} in cli("watch", "list", str(ticket), "--json").json()
    # carl (in Sales) now sees the ticket and hears of new activities
    assert cli("ticket", "note", str(ticket), "--body", "Seal ordered").code == 0
    notes = cli("notify", "list", "--unread", "--json", user="carl").json()
    assert any("added a note" in n["text"] for n in notes)
    assert all(n["ticket"] == ticket for n in notes)
    assert cli("notify", "read", "--all", "--json", user="carl").json()["marked"] == len(notes)
    assert cli("notify", "list", "--unread", "--json", user="carl").json() == []

    photo = tmp_path / "Foto Pumpe.jpg"
    photo.write_bytes(b"\xff\xd8\xff data")
    added = cli("file", "add", str(ticket), str(photo), "--json")
    assert added.code == 0, added.stderr
    file_id = added.json()[0]["id"]
    listed = cli("file", "list", str(ticket), "--json").json()
    assert [f["name"] for f in listed] == ["Foto Pumpe.jpg"]
    out = tmp_path / "copy.jpg"
    assert cli("file", "get", str(ticket), str(file_id), "-o", str(out)).code == 0
    assert out.read_bytes() == photo.read_bytes()
    replied = cli(
        "ticket", "reply", str(ticket), "--body", "see attachment", "--attach", str(photo), "--json"
    )
    assert replied.json()["attachments"][0]["name"] == "Foto Pumpe.jpg"
    listed = cli("file", "list", str(ticket), "--json").json()
    assert [f["uploaded_by"] for f in listed] == ["anna", "anna"]  # added, and with the reply
    assert "anna" in cli("file", "list", str(ticket)).stdout  # the "By" column

    alarm = cli(
        "alarm", "add", str(ticket), "--at", "+2h", "--note", "Call back", "--for", "bob", "--json"
    )
    assert alarm.code == 0, alarm.stderr
    assert cli("alarm", "list", "--json", user="bob").json()[0]["note"] == "Call back"
    assert cli("alarm", "list", "--due", "--json", user="bob").json() == []
    assert cli("alarm", "run", "--json").json() == []  # not due yet


def test_document_list_names_the_type_in_the_users_language(cli, ticket, german) -> None:
    made = cli("document", "new", str(ticket), "--type", "quote", "--line", "Dichtung;2;9,95;Stk")
    assert made.code == 0, made.stderr
    listed = cli("document", "list", "--format", "table").stdout
    assert "Angebot" in listed and "quote" not in listed


def test_documents_and_projects(cli, ticket, tmp_path: Path) -> None:
    cli("time", "book", str(ticket), "2h", "--json")
    made = cli(
        "document",
        "new",
        str(ticket),
        "--type",
        "invoice",
        "--from-times",
        "--line",
        "Seal kit;1;19,90;pc",
        "--json",
    )
    assert made.code == 0, made.stderr
    data = made.json()
    assert data["number"].startswith("RE-") and data["net"] == "199.90"
    assert data["gross"] == "237.88"
    again = cli("document", "new", str(ticket), "--type", "invoice", "--from-times")
    assert again.code == 1 and "nothing to put on the document" in again.stderr
    assert [d["number"] for d in cli("document", "list", "--json").json()] == [data["number"]]
    assert "Invoice" in cli("document", "list", "--format", "table").stdout
    target = tmp_path / "invoice.xlsx"
    assert cli("document", "export", data["number"], str(target)).code == 0
    sheet = load_workbook(target).active
    texts = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert data["number"] in " ".join(texts) and "Karla Kunde" in " ".join(texts)

    project = cli("project", "new", "Hall 3", "--from-ticket", str(ticket), "--json")
    assert project.code == 0, project.stderr
    listed = cli("project", "list", "--json").json()
    assert listed == [{"name": "Hall 3", "tickets": 1, "open": 1, "minutes": 120, "hours": 2.0}]
    shown = cli("ticket", "show", str(ticket), "--json").json()
    assert shown["project"] == "Hall 3"
    assert {"time", "document", "project", "file"} >= {
        a["kind"] for a in shown["activities"] if a["kind"] in ("time", "document", "project")
    }
    assert cli("ticket", "list", "--project", "Hall 3", "--json").json()[0]["project"] == "Hall 3"


def test_user_settings(cli, world) -> None:
    own = cli(
        "user",
        "set",
        "bob",
        "--notify-by-mail",
        "--timezone",
        "Europe/Berlin",
        "--json",
        user="bob",
    )
    assert own.code == 0, own.stderr
    assert own.json()["notify_by_mail"] is True and own.json()["timezone"] == "Europe/Berlin"
    refused = cli("user", "set", "bob", "--hourly-rate", "120", user="bob")
    assert refused.code == 4 and "only admins" in refused.stderr
    assert (
        cli("user", "set", "bob", "--hourly-rate", "120,50", "--json").json()["hourly_rate"]
        == "120.50"
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["time", "book", "{t}", "0m"], 2, "duration"),
        (["time", "book", "{t}", "--", "-1h"], 2, "duration"),
        (["time", "book", "{t}", "90"], 2, "90m"),
        (["time", "book", "{t}", "1h", "--on", "someday"], 2, "someday"),
        (["time", "list", "--from", "31.02.2026"], 2, "31.02.2026"),
        (
            ["alarm", "add", "{t}", "--at", "2020-01-01 09:00", "--note", "x"],
            1,
            "not in the future",
        ),
        (["alarm", "add", "{t}", "--at", "whenever", "--note", "x"], 2, "whenever"),
        (["file", "add", "{t}", "/no/such/file.pdf"], 1, "no file /no/such/file.pdf"),
        (["file", "add", "{t}", "{dir}"], 1, "is not a file"),
        (["ticket", "reply", "{t}", "--body", "x", "--attach", "/no/such.pdf"], 1, "no file"),
        (["document", "new", "{t}", "--type", "invoice", "--from-times"], 1, "nothing to put"),
        (["document", "new", "{t}", "--type", "bill", "--line", "a;1;1"], 2, "quote, order"),
        (["document", "new", "{t}", "--type", "quote", "--line", "broken"], 2, "document line"),
        (["watch", "add", "{t}", "--user", "ghost"], 3, "no user 'ghost'"),
        (["watch", "add", "{t}"], 2, "--user LOGIN or --group GROUP"),
        (["notify", "read", "999"], 3, "no notification 999"),
        (["project", "new", "  "], 1, "must not be empty"),
    ],
)
def test_bad_input_changes_nothing(cli, ticket, tmp_path, args, code, message) -> None:
    before = cli("ticket", "show", str(ticket), "--json").json()
    result = cli(*[a.format(t=ticket, dir=tmp_path) for a in args])
    assert result.code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert cli("ticket", "show", str(ticket), "--json").json() == before


def test_watchers_on_internal_tickets_are_refused(cli, world) -> None:
    made = cli(
        "ticket", "new", "--kind", "internal", "--owner", "bob", "--subject", "Private", "--json"
    ).json()
    result = cli("watch", "add", str(made["number"]), "--user", "carl")
    assert result.code == 1 and "internal" in result.stderr


def test_too_large_files_are_refused(cli, ticket, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TIX_MAX_FILE_SIZE", "100")
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 101)
    result = cli("file", "add", str(ticket), str(big))
    assert result.code == 1 and "too large (101 B)" in result.stderr
    assert cli("file", "list", str(ticket), "--json").json() == []
