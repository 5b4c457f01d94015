"""``tix report``: the figures of the known helpdesk of tests/core/reporting as JSON, CSV,
TSV and tables with terminal charts; an Excel workbook with native charts that
LibreOffice opens; a report mailed through the outbox and a real SMTP server."""

from __future__ import annotations

import csv
import email
import io
import re
import shutil
import subprocess
import sys
import zipfile
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.core.reporting.test_figures import NOW, Desk, at, build_desk
from tests.servers import SmtpServer, require
from tix.core.db import session_scope
from tix.core.models import MailAccount, OutboxMessage

PERIOD = ("--from", "26.10.2024", "--to", "03.11.2024")


@pytest.fixture
def desk(world: Any) -> Desk:
    return build_desk(world)


@pytest.fixture
def berlin_cli(cli: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TIX_TIMEZONE", "Europe/Berlin")
    return cli


def run(cli: Any, *args: str, user: str | None = None) -> Any:
    with at(NOW):
        return cli("report", *args, user=user)


def test_volume_as_json_is_the_read_model(berlin_cli: Any, desk: Desk) -> None:
    result = run(berlin_cli, "volume", *PERIOD, "--period", "week", "--json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["scope"] == {
        "start": "2024-10-26",
        "end": "2024-11-03",
        "period": "week",
        "timezone": "Europe/Berlin",
    }
    assert [
        (b["start"], b["opened"], b["solved"], b["reopened"], b["backlog"]) for b in data["buckets"]
    ] == [("2024-10-26", 1, 0, 0, 2), ("2024-10-28", 4, 4, 1, 3)]
    assert (data["backlog_start"], data["backlog_end"]) == (1, 3)


def test_csv_tsv_and_fields(berlin_cli: Any, desk: Desk) -> None:
    result = run(berlin_cli, "volume", *PERIOD, "--csv")
    assert result.code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["start", "end", "opened", "solved", "reopened", "backlog"]
    assert rows[2] == ["2024-10-27", "2024-10-27", "1", "0", "0", "2"]
    assert len(rows) == 10
    # piped without a format: tab-separated, no chart
    result = run(berlin_cli, "agents", *PERIOD)
    assert result.stdout.splitlines() == [
        "login\tname\topen_tickets\ttouched\tminutes",
        "bob\tBob Support\t2\t6\t90",
        "anna\tAnna Admin\t0\t1\t45",
    ]
    result = run(berlin_cli, "response", *PERIOD, "--fields", "channel,measure,basis,tickets")
    assert result.stdout.splitlines()[:3] == [
        "channel\tmeasure\tbasis\ttickets",
        "\tfirst_response\tbusiness\t3",
        "\tfirst_response\twall\t1",
    ]


def test_tables_draw_charts_only_on_a_terminal(
    berlin_cli: Any, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(berlin_cli, "volume", *PERIOD, "--format", "table")
    assert result.code == 0, result.stderr
    assert "Tickets 26.10.2024 – 03.11.2024" not in result.stdout  # English dates: ISO
    assert "Tickets 2024-10-26 – 2024-11-03" in result.stdout
    assert "▁" not in result.stdout and "█" not in result.stdout  # piped: no chart
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    lines = plain(run(berlin_cli, "volume", *PERIOD).stdout).splitlines()
    # a sparkline per series, one character a day, lowest to highest
    assert "Opened   ▁███▁█▁▁█  0–1" in lines
    assert "Solved   ▁▁███▁█▁▁  0–1" in lines
    assert "Backlog  ▁▅▅▅▁█▅▅█  1–3" in lines
    lines = plain(run(berlin_cli, "agents", *PERIOD).stdout).splitlines()
    bob = next(line for line in lines if line.startswith("Bob Support"))
    anna = next(line for line in lines if line.startswith("Anna Admin"))
    # bars against the most (6): anna's 1 is a sixth of bob's
    assert bob.count("█") == 50
    assert anna.rstrip().endswith("█" * 8 + "▍")


def plain(text: str) -> str:
    """``text`` without the terminal's colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_overview_and_sla_in_words(berlin_cli: Any, desk: Desk) -> None:
    result = run(berlin_cli, "overview", *PERIOD, "--format", "table")
    assert result.code == 0, result.stderr
    assert "First response (business hours): median" in result.stdout
    assert "3h" in result.stdout  # the median first response
    result = run(berlin_cli, "sla", *PERIOD, "--format", "table")
    assert "Compliance: 67% of the decided targets met (4 of 6)." in result.stderr
    result = run(berlin_cli, "overview", *PERIOD, "--csv")
    rows = dict(csv.reader(io.StringIO(result.stdout)))
    assert rows["opened"] == "5" and rows["mail_out"] == "3"
    assert rows["first_response_business_median_seconds"] == "10800.0"


def test_bad_input_is_one_line_and_a_usage_code(berlin_cli: Any, desk: Desk) -> None:
    cases = [
        (("volume", "--period", "year"), 2, "unknown period 'year'"),
        (("volume", "--from", "03.11.2024", "--to", "26.10.2024"), 2, "swap --from and --to"),
        (("volume", "--from", "someday"), 2, "someday"),
        (("volume", "--channel", "Nowhere"), 3, "Nowhere"),
        (("volume", "--category", "Nothing"), 3, "no category Nothing"),
        (("volume", "--organisation", "ACME"), 3, "no organisation ACME"),
        (("volume", "--kind", "fax"), 2, "fax"),
        (("overview", "--xlsx", "report.txt"), 1, ".xlsx"),
        (("overview", "--mail-to", "a@b.c, d@e.f"), 1, "not one e-mail address"),
        (("overview", "--mail-to", "lead@example.com"), 1, "no mail account can send mail"),
        (("overview", "--mail-to", "lead@example.com", "--account", "nope"), 3, "nope"),
        (
            ("overview", "--mail-to", "lead@example.com", "--xlsx", "/no/such/folder/r.xlsx"),
            1,
            "/no/such/folder",
        ),
    ]
    for args, code, text in cases:
        result = run(berlin_cli, *args)
        assert result.code == code, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    with session_scope(desk.world.engine) as session:
        queued = session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()
    assert queued == 4  # the four replies; no report was queued


def _workbook(path: Path) -> Any:
    from openpyxl import load_workbook

    return load_workbook(path)


def _charts(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(name for name in archive.namelist() if name.startswith("xl/charts/chart"))


def test_xlsx_has_a_sheet_per_report_typed_cells_and_native_charts(
    berlin_cli: Any, desk: Desk, tmp_path: Path
) -> None:
    from openpyxl.chart import BarChart, LineChart

    from tix.core import reporting
    from tix.core.reporting import ReportScope
    from tix.core.reporting.workbook import report_workbook

    target = tmp_path / "week.xlsx"
    result = run(berlin_cli, "overview", *PERIOD, "--xlsx", str(target), "--json")
    assert result.code == 0, result.stderr
    assert result.json() == {"file": str(target), "mail_to": [], "queued": []}
    book = _workbook(target)
    assert book.sheetnames == [
        "Overview",
        "Volume",
        "Response",
        "SLA",
        "Agents",
        "Categories",
        "Mail",
    ]
    volume = book["Volume"]
    assert volume["A5"].value == datetime(2024, 10, 26)
    assert volume["A5"].number_format == "mm-dd-yy"
    assert [volume.cell(row=r, column=3).value for r in range(5, 14)] == [0, 1, 1, 1, 0, 1, 0, 0, 1]
    assert volume["F13"].value == 3  # backlog on 3 November
    response = book["Response"]
    assert response["A5"].value == "All channels"
    assert response["E5"].value == pytest.approx(3.0)  # median first response, hours
    assert len(_charts(target)) == 8  # two on Volume, one on every other sheet
    # The charts and their data references (openpyxl does not read charts back in)
    with at(NOW), session_scope(desk.world.engine) as session:
        scope = ReportScope(
            start=date(2024, 10, 26),
            end=date(2024, 11, 3),
            viewer=desk.world.user(session, "admin"),
            zone="Europe/Berlin",
        )
        built = report_workbook([reporting.volume(session, scope), reporting.sla(session, scope)])
    bars, line = built["Volume"]._charts
    assert isinstance(bars, BarChart) and isinstance(line, LineChart)
    refs = [series.val.numRef.f for series in bars.series]
    assert refs == ["'Volume'!$C$5:$C$13", "'Volume'!$D$5:$D$13", "'Volume'!$E$5:$E$13"]
    assert bars.series[0].cat.numRef.f == "'Volume'!$A$5:$A$13"
    assert [series.val.numRef.f for series in line.series] == ["'Volume'!$F$5:$F$13"]
    [stacked] = built["SLA"]._charts
    assert isinstance(stacked, BarChart) and stacked.grouping == "stacked"
    assert [series.val.numRef.f for series in stacked.series] == [
        "'SLA'!$D$5:$D$6",
        "'SLA'!$E$5:$E$6",
        "'SLA'!$F$5:$F$6",
    ]


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        require("LibreOffice (soffice)", "not installed: scripts/install-deps installs it")
    return found


def _convert(soffice: str, source: Path, to: str, out: Path) -> Path:
    profile = out / "profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            to,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out / f"{source.stem}.{to.split(':')[0]}"


def test_libreoffice_opens_the_workbook_with_its_charts(
    berlin_cli: Any, desk: Desk, tmp_path: Path
) -> None:
    soffice = _soffice()
    target = tmp_path / "report.xlsx"
    assert run(berlin_cli, "overview", *PERIOD, "--xlsx", str(target)).code == 0
    pdf = _convert(soffice, target, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    # Saved again by LibreOffice, the workbook still holds every chart: it read them.
    again = _convert(soffice, target, "xlsx", tmp_path / "again")
    assert len(_charts(again)) == len(_charts(target)) == 8


def test_mail_to_queues_the_workbook_and_the_worker_sends_it(
    berlin_cli: Any, desk: Desk, tmp_path: Path
) -> None:
    from tix.core.mail.delivery import deliver

    with SmtpServer() as smtp:
        with session_scope(desk.world.engine, write=True) as session:
            account = session.get(MailAccount, desk.world.account)
            assert account is not None
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
        result = run(
            berlin_cli, "overview", *PERIOD, "--period", "week", "--mail-to", "lead@example.com"
        )
        assert result.code == 0, result.stderr
        assert "Queued the report to lead@example.com; the worker sends it." in result.stderr
        assert deliver(desk.world.engine).sent == 1  # the replies were sent before
        [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["lead@example.com"]
    message = email.message_from_bytes(mail.data, policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "tix report overview: 2024-10-26 – 2024-11-03"
    assert message["Auto-Submitted"] == "auto-generated"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    assert "Opened: 5" in body and "Backlog: 1 at the start, 3 at the end" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "tix-overview-2024-10-26-2024-11-03.xlsx"
    workbook = tmp_path / "mailed.xlsx"
    workbook.write_bytes(attachment.get_content())
    assert _workbook(workbook).sheetnames[0] == "Overview"
    assert len(_charts(workbook)) == 8


@pytest.fixture
def fresh_report_module() -> Any:
    """The command's help is translated when its module is imported (once per process
    in real use): import it again in the language of the test."""
    sys.modules.pop("tix.cli.commands.report", None)
    yield
    sys.modules.pop("tix.cli.commands.report", None)


def test_a_deferred_recipient_gets_the_workbook_too(berlin_cli: Any, desk: Desk) -> None:
    """A server that defers one recipient: the retry to them carries the attachment (a
    report's mail exists only as the bytes composed when it was queued)."""
    from datetime import timedelta

    from tix.core import clock
    from tix.core.mail.delivery import deliver

    with SmtpServer(tempfail_rcpt={"later@example.com"}) as smtp:
        with session_scope(desk.world.engine, write=True) as session:
            account = session.get(MailAccount, desk.world.account)
            assert account is not None
            account.smtp_host, account.smtp_port, account.smtp_tls = smtp.host, smtp.port, "none"
        args = ("--mail-to", "lead@example.com", "--mail-to", "later@example.com")
        assert run(berlin_cli, "mail", *PERIOD, *args).code == 0
        assert deliver(desk.world.engine).sent == 1
        [first] = smtp.wait_for(1)
        assert first.rcpt_tos == ["lead@example.com"]
        smtp.tempfail_rcpt = set()
        later = clock.now() + timedelta(minutes=2)
        with clock.use_clock(lambda: later):
            assert deliver(desk.world.engine, now=later).sent == 1
        second = smtp.wait_for(2)[1]
    assert second.rcpt_tos == ["later@example.com"]
    assert second.data == first.data  # the same message, attachment and all
    message = email.message_from_bytes(second.data, policy=default_policy)
    [attachment] = list(message.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_filename() == "tix-mail-2024-10-26-2024-11-03.xlsx"


def test_help_has_examples_in_english_and_german(
    cli: Any, german: None, fresh_report_module: None
) -> None:
    result = cli("report", "volume", "--help")
    assert result.code == 0
    text = " ".join(result.stdout.split())
    assert "Eröffnete, gelöste und wiedereröffnete Tickets pro Tag" in text
    assert "Beispiele: tix report volume --period week --channel Support" in text


def test_help_in_english(cli: Any, fresh_report_module: None) -> None:
    result = cli("report", "--help")
    assert result.code == 0
    for name in ("overview", "volume", "response", "sla", "agents", "categories", "mail"):
        assert name in result.stdout
    result = cli("report", "overview", "--help")
    text = " ".join(result.stdout.split())
    assert "Examples: tix report overview --from 01.11.2026 --to 30.11.2026" in text
    assert "--mail-to" in text and "--xlsx" in text and "--csv" in text
