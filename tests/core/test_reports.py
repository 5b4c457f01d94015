"""The Excel writers: each workbook is written, opened again with openpyxl and read."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.styles import is_date_format

from tix.core import reports
from tix.core.errors import Invalid
from tix.core.i18n import use_language
from tix.core.reports import (
    DocumentLine,
    DocumentSheet,
    TimeRow,
    document_totals,
    write_document_workbook,
    write_times_workbook,
)

HEADERS = [
    "Date",
    "Ticket",
    "Subject",
    "Customer",
    "Project",
    "Hours",
    "User",
    "Billable",
    "Invoice",
    "Note",
]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with use_language("en"):
        yield


def make_rows(count: int) -> list[TimeRow]:
    users = ["Anna Bauer", "bernd Koch", "Clara Weber"]
    return [
        TimeRow(
            work_date=date(2026, 11, 1 + index % 30),
            ticket_number=1040 + index % 4,
            subject=f"Pump {1040 + index % 4} leaks",
            customer=None if index % 4 == 3 else "Kunde GmbH",
            project="Hydraulics" if index % 2 else None,
            user=users[index % 3],
            minutes=15 + 7 * (index % 11),
            billable=index % 5 != 0,
            billed="RE-2026-0001" if index % 6 == 0 else None,
            note=f"checked valve {index}" if index % 3 else "",
        )
        for index in range(count)
    ]


def write(tmp_path: Path, rows: list[TimeRow], **options) -> tuple[int, Path]:
    target = tmp_path / "times.xlsx"
    count = write_times_workbook(
        target, iter(rows), title="Times 01.11.2026 – 30.11.2026", **options
    )
    return count, target


def hours(minutes: int) -> float:
    return minutes / 60


# --- the time report ---------------------------------------------------------------------


def test_the_times_sheet_has_a_styled_frozen_filtered_header(tmp_path: Path) -> None:
    rows = make_rows(25)
    count, target = write(tmp_path, rows)
    assert count == 25
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["Times", "Summary"]
    assert workbook.properties.title == "Times 01.11.2026 – 30.11.2026"
    sheet = workbook["Times"]
    header = sheet[1]
    assert [cell.value for cell in header] == HEADERS
    for cell in header:
        assert cell.font.b
        assert cell.fill.fill_type == "solid"
        assert cell.fill.fgColor.rgb.endswith("DCE6F1")
        assert cell.border.bottom.style == "thin"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:J26"
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.page_setup.fitToWidth == 1
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFGHIJ"}
    assert all(width >= len(text) + 4 for width, text in zip(widths.values(), HEADERS, strict=True))
    assert widths["C"] > widths["B"] and widths["J"] > widths["A"]


def test_cells_are_typed(tmp_path: Path) -> None:
    rows = make_rows(12)
    _count, target = write(tmp_path, rows)
    sheet = load_workbook(target)["Times"]
    for row, cells in zip(rows, sheet.iter_rows(min_row=2, max_row=13), strict=True):
        work_date, ticket, subject, customer, project, hours_cell, user, billable, billed, note = (
            cells
        )
        assert isinstance(work_date.value, datetime)
        assert work_date.value.date() == row.work_date
        assert is_date_format(work_date.number_format)
        assert ticket.value == row.ticket_number and ticket.data_type == "n"
        assert subject.value == row.subject
        assert customer.value == row.customer
        assert project.value == row.project
        assert isinstance(hours_cell.value, float) or hours_cell.value == 1
        assert hours_cell.value == pytest.approx(hours(row.minutes))
        assert hours_cell.number_format == "0.00"
        assert user.value == row.user
        assert billable.value == ("yes" if row.billable else "no")
        assert billed.value == row.billed
        assert note.value == (row.note or None)


def test_the_total_sums_every_hour(tmp_path: Path) -> None:
    rows = make_rows(40)
    _count, target = write(tmp_path, rows)
    sheet = load_workbook(target)["Times"]
    total = sheet[42]
    assert total[0].value == "Total" and total[0].font.b
    assert total[5].value == "=SUM(F2:F41)"
    assert total[5].font.b and total[5].number_format == "0.00"
    summed = sum(sheet.cell(row, 6).value for row in range(2, 42))
    assert summed == pytest.approx(sum(row.minutes for row in rows) / 60)
    assert sheet.max_row == 42


def _summary_blocks(sheet) -> tuple[dict, dict, list, list]:
    """The user and ticket blocks of a Summary sheet: rows by key, and the two totals."""
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[2] == ["User", None, "Hours", "Billable hours"]
    end = next(i for i, row in enumerate(rows) if row[0] == "Total")
    users = {row[0]: (row[2], row[3]) for row in rows[3:end]}
    user_total = rows[end]
    assert rows[end + 1] == [None, None, None, None]
    assert rows[end + 2] == ["Ticket", "Subject", "Hours", "Billable hours"]
    ticket_end = next(i for i, row in enumerate(rows) if i > end and row[0] == "Total")
    tickets = {row[0]: (row[1], row[2], row[3]) for row in rows[end + 3 : ticket_end]}
    return users, tickets, user_total, rows[ticket_end]


def test_the_summary_has_hours_per_user_and_per_ticket(tmp_path: Path) -> None:
    rows = make_rows(50)
    _count, target = write(tmp_path, rows)
    sheet = load_workbook(target)["Summary"]
    assert sheet["A1"].value == "Times 01.11.2026 – 30.11.2026"
    users, tickets, user_total, ticket_total = _summary_blocks(sheet)

    expected_users: dict[str, list[int]] = {}
    expected_tickets: dict[int, list] = {}
    for row in rows:
        sums = expected_users.setdefault(row.user, [0, 0])
        sums[0] += row.minutes
        sums[1] += row.minutes if row.billable else 0
        ticket = expected_tickets.setdefault(row.ticket_number, [row.subject, 0, 0])
        ticket[1] += row.minutes
        ticket[2] += row.minutes if row.billable else 0

    assert list(users) == ["Anna Bauer", "bernd Koch", "Clara Weber"]  # by name, any case
    for user, (minutes, billable) in expected_users.items():
        assert users[user] == (pytest.approx(hours(minutes)), pytest.approx(hours(billable)))
    assert list(tickets) == sorted(expected_tickets)
    for number, (subject, minutes, billable) in expected_tickets.items():
        assert tickets[number] == (
            subject,
            pytest.approx(hours(minutes)),
            pytest.approx(hours(billable)),
        )
    assert user_total == ["Total", None, "=SUM(C4:C6)", "=SUM(D4:D6)"]
    assert ticket_total == ["Total", None, "=SUM(C10:C13)", "=SUM(D10:D13)"]
    assert sum(minutes for minutes, _b in users.values()) == pytest.approx(
        sum(row.minutes for row in rows) / 60
    )
    for row in sheet.iter_rows(min_row=4, min_col=3, max_col=4):
        for cell in row:
            if cell.value is not None and cell.data_type != "s":
                assert cell.number_format == "0.00"


def test_no_rows_make_a_valid_workbook_with_a_zero_total(tmp_path: Path) -> None:
    calls: list[int] = []
    count, target = write(tmp_path, [], progress=calls.append)
    assert count == 0
    assert calls == [0]
    workbook = load_workbook(target)
    sheet = workbook["Times"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet.auto_filter.ref == "A1:J1"
    assert sheet["A2"].value == "Total"
    assert sheet["F2"].value == 0
    assert sheet.max_row == 2
    users, tickets, user_total, ticket_total = _summary_blocks(workbook["Summary"])
    assert users == {} and tickets == {}
    assert user_total[2:] == [0, 0] and ticket_total[2:] == [0, 0]


def test_rows_are_read_lazily_and_progress_is_reported(tmp_path: Path) -> None:
    pulled = 0
    seen_at_progress: list[tuple[int, int]] = []

    def source() -> Iterator[TimeRow]:
        nonlocal pulled
        for row in make_rows(2500):
            pulled += 1
            yield row

    def progress(count: int) -> None:
        seen_at_progress.append((count, pulled))

    target = tmp_path / "times.xlsx"
    assert write_times_workbook(target, source(), title="t", progress=progress) == 2500
    assert seen_at_progress == [(1000, 1000), (2000, 2000), (2500, 2500)]
    assert load_workbook(target)["Times"]["F2502"].value == "=SUM(F2:F2501)"


def test_writes_to_a_stream(tmp_path: Path) -> None:
    stream = io.BytesIO()
    assert write_times_workbook(stream, iter(make_rows(3)), title="t") == 3
    stream.seek(0)
    assert load_workbook(stream)["Times"]["C2"].value == "Pump 1040 leaks"


def test_text_stays_text_and_loses_what_a_workbook_cannot_hold(tmp_path: Path) -> None:
    row = make_rows(1)[0]
    tricky = TimeRow(
        work_date=row.work_date,
        ticket_number=7,
        subject='=HYPERLINK("http://evil.example","click")',
        customer="#N/A",
        project="=1+1",
        user="Eve\x00\x1b",
        minutes=60,
        billable=True,
        billed=None,
        note="line one\nline two\x0c",
    )
    _count, target = write(tmp_path, [tricky, tricky])
    workbook = load_workbook(target)
    sheet = workbook["Times"]
    for row_number in (2, 3):
        assert sheet.cell(row_number, 3).value == tricky.subject
        assert sheet.cell(row_number, 3).data_type == "s"
        assert sheet.cell(row_number, 4).value == "#N/A"
        assert sheet.cell(row_number, 4).data_type == "s"
        assert sheet.cell(row_number, 5).value == "=1+1"
        assert sheet.cell(row_number, 7).value == "Eve"
        assert sheet.cell(row_number, 10).value == "line one\nline two"
    users, tickets, _user_total, _ticket_total = _summary_blocks(workbook["Summary"])
    assert list(users) == ["Eve"]
    assert tickets[7][0] == tricky.subject


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("times.xls", "ending in .xlsx"),
        ("missing/times.xlsx", "does not exist"),
        ("folder.xlsx", "is a folder"),
    ],
)
def test_a_bad_target_is_refused_before_any_work(tmp_path: Path, name: str, message: str) -> None:
    (tmp_path / "folder.xlsx").mkdir()

    def untouched() -> Iterator[TimeRow]:
        raise AssertionError("rows were read")
        yield  # pragma: no cover

    with pytest.raises(Invalid, match=re.escape(message)):
        write_times_workbook(tmp_path / name, untouched(), title="t")


def test_a_failing_source_leaves_no_file(tmp_path: Path) -> None:
    def failing() -> Iterator[TimeRow]:
        yield from make_rows(1500)
        raise RuntimeError("database went away")

    target = tmp_path / "times.xlsx"
    with pytest.raises(RuntimeError, match="database went away"):
        write_times_workbook(target, failing(), title="t")
    assert list(tmp_path.iterdir()) == []


def test_more_rows_than_a_sheet_holds_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "EXCEL_MAX_ROWS", 5)  # header, 3 rows, total
    count, _target = write(tmp_path, make_rows(3))
    assert count == 3
    target = tmp_path / "more.xlsx"
    with pytest.raises(Invalid, match="more than 3 times"):
        write_times_workbook(target, iter(make_rows(4)), title="t")
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["times.xlsx"]


def test_the_core_module_does_not_import_openpyxl() -> None:
    code = "import sys, tix.core.reports; print('openpyxl' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


# --- the document ------------------------------------------------------------------------


def make_document(**changes) -> DocumentSheet:
    values = {
        "kind": "invoice",
        "number": "RE-2026-0001",
        "issued": date(2026, 11, 30),
        "ticket_number": 1042,
        "subject": "Hydraulic pump leaks",
        "customer_name": "Kunde GmbH",
        "customer_lines": ["Kunde GmbH", "Max Mustermann", "Hauptstr. 1", "12345 Musterstadt"],
        "company_lines": ["ACME Service GmbH", "Werkstr. 5", "54321 Beispielstadt"],
        "currency": "EUR",
        "vat_rate": Decimal("19"),
        "lines": [
            DocumentLine(1, "Repair of the pump, " * 8, Decimal("33.333"), "h", Decimal("90.00")),
            DocumentLine(2, "Seal kit", Decimal("2"), "pc", Decimal("14.95")),
            DocumentLine(3, "Small part", Decimal("0.125"), "pc", Decimal("0.20")),
        ],
    }
    values.update(changes)
    return DocumentSheet(**values)


def _cell_decimal(sheet, ref: str) -> Decimal:
    """The value of ``ref``, computing the formulas the document workbook uses."""
    value = sheet[ref].value
    if not (isinstance(value, str) and value.startswith("=")):
        return Decimal(str(value))
    expression = value[1:]
    expression = re.sub(
        r"SUM\(([A-Z])(\d+):[A-Z](\d+)\)",
        lambda m: "(" + "+".join(f"{m[1]}{r}" for r in range(int(m[2]), int(m[3]) + 1)) + ")",
        expression,
    )
    expression = re.sub(r"\b([A-Z]\d+)\b", lambda m: f"cell('{m[1]}')", expression)
    expression = expression.replace("ROUND(", "round_half_up(")

    def round_half_up(number: Decimal, places: int) -> Decimal:
        return number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)

    return eval(  # our own formulas, checked against a strict pattern first
        expression,
        {"cell": lambda ref: _cell_decimal(sheet, ref), "round_half_up": round_half_up},
    )


def _find(sheet, text: str) -> tuple[int, int]:
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text!r} not in the sheet")


def test_document_totals_round_each_line_and_the_vat_half_up() -> None:
    three = [DocumentLine(i, "Work", Decimal("33.333"), "h", Decimal("90.00")) for i in (1, 2, 3)]
    sheet = make_document(lines=three)
    # 33.333 h x 90.00 = 2,999.97 each; VAT 8,999.91 x 19 % = 1,709.9829
    assert document_totals(sheet) == (Decimal("8999.91"), Decimal("1709.98"), Decimal("10709.89"))

    # 1.50 x 19 % = 0.285: half up gives 0.29 (half even would give 0.28)
    half = make_document(lines=[DocumentLine(1, "x", Decimal("1"), "pc", Decimal("1.50"))])
    assert document_totals(half) == (Decimal("1.50"), Decimal("0.29"), Decimal("1.79"))

    # 0.125 x 0.20 = 0.025 -> 0.03 per line; 0.333 h x 95.50 = 31.8015 -> 31.80 per line
    lines = [
        DocumentLine(1, "a", Decimal("0.125"), "pc", Decimal("0.20")),
        DocumentLine(2, "b", Decimal("0.333"), "h", Decimal("95.50")),
        DocumentLine(3, "c", Decimal("0.333"), "h", Decimal("95.50")),
    ]
    net, vat, gross = document_totals(make_document(lines=lines, vat_rate=Decimal("7")))
    assert net == Decimal("63.63")
    assert vat == Decimal("4.45")  # 4.4541
    assert gross == net + vat
    assert all(value.as_tuple().exponent == -2 for value in (net, vat, gross))

    assert document_totals(make_document(lines=[])) == (Decimal("0.00"),) * 3


def test_the_document_is_laid_out_for_print(tmp_path: Path) -> None:
    document = make_document()
    target = tmp_path / "invoice.xlsx"
    write_document_workbook(target, document)
    sheet = load_workbook(target).active

    assert sheet["F1"].value == "ACME Service GmbH" and sheet["F1"].font.b
    assert sheet["F1"].alignment.horizontal == "right"
    customer_row, customer_column = _find(sheet, "Kunde GmbH")
    assert customer_column == 1 and sheet.cell(customer_row, 1).font.b
    assert sheet.cell(customer_row + 1, 1).value == "Max Mustermann"  # the name only once

    title_row, _ = _find(sheet, "Invoice")
    assert sheet.cell(title_row, 1).font.sz >= 16
    number_row, _ = _find(sheet, "Number")
    assert sheet.cell(number_row, 3).value == "RE-2026-0001"
    date_row, _ = _find(sheet, "Date")
    assert sheet.cell(date_row, 3).value == datetime(2026, 11, 30)
    assert is_date_format(sheet.cell(date_row, 3).number_format)
    reference_row, _ = _find(sheet, "Ticket #1042: Hydraulic pump leaks")
    assert f"A{reference_row}:F{reference_row}" in {str(r) for r in sheet.merged_cells.ranges}

    header_row, _ = _find(sheet, "Pos")
    header = [cell.value for cell in sheet[header_row]]
    assert header == ["Pos", "Description", "Quantity", "Unit", "Unit price", "Amount"]
    assert all(cell.font.b for cell in sheet[header_row])
    first = header_row + 1
    for offset, line in enumerate(document.lines):
        row = first + offset
        assert sheet.cell(row, 1).value == line.position
        assert sheet.cell(row, 2).value == line.description
        assert sheet.cell(row, 2).alignment.wrap_text
        assert Decimal(str(sheet.cell(row, 3).value)) == line.quantity
        assert sheet.cell(row, 4).value == line.unit
        assert Decimal(str(sheet.cell(row, 5).value)) == line.unit_price
        assert sheet.cell(row, 6).value == f"=ROUND(C{row}*E{row},2)"
        assert "EUR" in sheet.cell(row, 6).number_format
    # every decimal shows: 33.333 h, 14.95, 0.125 pc, 0.20
    assert sheet.cell(first, 3).number_format == "#,##0.000"
    assert sheet.cell(first + 1, 3).number_format == "#,##0"
    assert sheet.cell(first + 1, 5).number_format == "#,##0.00"

    last = first + len(document.lines) - 1
    net_row, vat_row, gross_row = last + 1, last + 2, last + 3
    assert [sheet.cell(r, 4).value for r in (net_row, vat_row, gross_row)] == [
        "Net",
        "VAT",
        "Gross",
    ]
    assert sheet.cell(net_row, 6).value == f"=SUM(F{first}:F{last})"
    assert sheet.cell(vat_row, 5).value == 19
    assert "%" in sheet.cell(vat_row, 5).number_format
    assert sheet.cell(vat_row, 6).value == f"=ROUND(F{net_row}*E{vat_row}/100,2)"
    assert sheet.cell(gross_row, 6).value == f"=F{net_row}+F{vat_row}"
    assert sheet.cell(gross_row, 6).font.b
    assert all("EUR" in sheet.cell(r, 6).number_format for r in (net_row, vat_row, gross_row))

    computed = tuple(_cell_decimal(sheet, f"F{r}") for r in (net_row, vat_row, gross_row))
    assert computed == document_totals(document)

    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.orientation == "portrait"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_area == f"'{sheet.title}'!$A$1:$F${gross_row}"
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["A"].width


@pytest.mark.parametrize(
    ("kind", "title"),
    [("quote", "Quote"), ("order", "Order confirmation"), ("invoice", "Invoice")],
)
def test_each_kind_has_its_title(kind: str, title: str) -> None:
    stream = io.BytesIO()
    write_document_workbook(stream, make_document(kind=kind, company_lines=[]))
    stream.seek(0)
    sheet = load_workbook(stream).active
    _find(sheet, title)
    assert sheet["A1"].value == "Kunde GmbH"  # no company lines: the customer comes first


def test_a_document_without_lines_totals_zero(tmp_path: Path) -> None:
    target = tmp_path / "quote.xlsx"
    write_document_workbook(target, make_document(kind="quote", lines=[]))
    sheet = load_workbook(target).active
    net_row, _ = _find(sheet, "Net")
    assert sheet.cell(net_row, 6).value == 0
    assert _cell_decimal(sheet, f"F{net_row + 2}") == 0


def test_document_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    lines = [DocumentLine(1, "=2+2", Decimal("1"), "h", Decimal("10"))]
    target = tmp_path / "order.xlsx"
    write_document_workbook(
        target, make_document(kind="order", customer_name="=cmd|x", subject="=x", lines=lines)
    )
    sheet = load_workbook(target).active
    row, column = _find(sheet, "=cmd|x")
    assert sheet.cell(row, column).data_type == "s"
    row, column = _find(sheet, "=2+2")
    assert sheet.cell(row, column).data_type == "s"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "receipt"}, "use quote, order or invoice"),
        ({"currency": "€"}, "three-letter code"),
        ({"vat_rate": Decimal("-1")}, "between 0 and 100"),
        ({"vat_rate": Decimal("NaN")}, "between 0 and 100"),
    ],
)
def test_a_bad_document_is_refused(tmp_path: Path, changes: dict, message: str) -> None:
    target = tmp_path / "bad.xlsx"
    with pytest.raises(Invalid, match=re.escape(message)):
        write_document_workbook(target, make_document(**changes))
    assert not target.exists()
