"""Excel workbooks for people: the time report and the printable document (Beleg).

Pure functions: they take plain rows and write an ``.xlsx`` file or stream, nothing
else. The time report streams (openpyxl's write-only mode), so a report of a million
rows needs no more memory than the sums per user and per ticket.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, BinaryIO

from tix.core.errors import Invalid
from tix.core.i18n import _

__all__ = [
    "DocumentLine",
    "DocumentSheet",
    "TimeRow",
    "document_totals",
    "write_document_workbook",
    "write_times_workbook",
]

EXCEL_MAX_ROWS = 1_048_576
"""Rows of one Excel sheet; the time report spends two of them on its header and total."""

PROGRESS_EVERY = 1000
"""Rows between two calls of the time report's progress callback."""

DATE_FORMAT = "mm-dd-yy"
"""Excel's built-in short date (format 14): shown in the reader's own locale, as
30.11.2026 in Germany and 11/30/2026 in the US, whatever openpyxl calls it."""

HOURS_FORMAT = "0.00"
CENTS = Decimal("0.01")

_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters that an .xlsx file cannot hold (tab and line breaks it can)."""

_ERROR_CODES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
_HEADER_FILL = "DCE6F1"
_RULE_COLOR = "7F7F7F"


@dataclass(frozen=True, slots=True)
class TimeRow:
    """One time entry, as the time report shows it."""

    work_date: date
    ticket_number: int
    subject: str
    customer: str | None
    """The customer's name; ``None`` for internal tickets."""
    project: str | None
    user: str
    """The user's display name."""
    minutes: int
    billable: bool
    billed: str | None
    """Number of the document it was invoiced on (``RE-2026-0001``), or ``None``."""
    note: str


@dataclass(frozen=True, slots=True)
class DocumentLine:
    position: int
    description: str
    quantity: Decimal
    unit: str
    """``h``, ``pc`` …"""
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class DocumentSheet:
    """A quote, order confirmation or invoice, ready to be laid out."""

    kind: str
    """``quote``, ``order`` or ``invoice``."""
    number: str
    issued: date
    ticket_number: int
    subject: str
    customer_name: str
    customer_lines: list[str]
    """Organisation, address lines, e-mail: whatever is known, in print order."""
    company_lines: list[str]
    """The issuing company's name and address lines (may be empty)."""
    currency: str
    """ISO 4217 code: ``EUR``."""
    vat_rate: Decimal
    """Percent: ``Decimal("19")``."""
    lines: list[DocumentLine]


# --- the time report ---------------------------------------------------------------------


_TIMES_COLUMNS = "ABCDEFGHIJ"
_HOURS_COLUMN = "F"


def _times_headers() -> list[tuple[str, float]]:
    """Column headers of the Times sheet with their widths (in characters)."""
    return [
        (_("Date"), 11),
        (_("Ticket"), 8),
        (_("Subject"), 40),
        (_("Customer"), 24),
        (_("Project"), 18),
        (_("Hours"), 8),
        (_("User"), 20),
        (_("Billable"), 9),
        (_("Invoice"), 14),
        (_("Note"), 50),
    ]


def write_times_workbook(
    target: Path | BinaryIO,
    rows: Iterable[TimeRow],
    *,
    title: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the time report for ``rows`` to ``target``; returns the number of rows written.

    Sheet "Times" lists every row with a styled, frozen header, an autofilter and a
    total; sheet "Summary" has the hours per user and per ticket. ``title`` (e.g. the
    period) is the workbook's title, the summary's heading and the printed page header.
    ``rows`` is read once, lazily. ``progress`` gets the count so far every 1,000 rows
    and once at the end.
    """
    path = _checked_path(target)
    # openpyxl costs ~116 ms to import: only the commands that export pay for it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    title = _clean(title)
    bold = Font(bold=True)
    rule = Side(style="thin", color=_RULE_COLOR)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    total_border = Border(top=rule)
    yes, no = _("yes"), _("no")

    workbook = Workbook(write_only=True)
    workbook.properties.title = title
    sheet = workbook.create_sheet(_sheet_title(_("Times")))
    summary = workbook.create_sheet(_sheet_title(_("Summary")))
    try:
        headers = _times_headers()
        for letter, (header, width) in zip(_TIMES_COLUMNS, headers, strict=True):
            # room for the autofilter's drop-down button next to the header
            sheet.column_dimensions[letter].width = max(width, len(header) + 4)
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        _print_setup(sheet, landscape=True)
        sheet.oddHeader.center.text = title[:200].replace("&", "&&")
        sheet.oddFooter.right.text = _("Page &P of &N")

        def header_cell(text: str, *, numeric: bool = False) -> Any:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cell.fill = header_fill
            cell.border = Border(bottom=rule)
            cell.alignment = Alignment(horizontal="right" if numeric else "left")
            return cell

        sheet.append(
            [
                header_cell(text, numeric=letter in "BF")
                for letter, (text, _w) in zip(_TIMES_COLUMNS, headers, strict=True)
            ]
        )

        # Two styled cells serve every row: openpyxl writes a row as it is appended.
        date_cell = WriteOnlyCell(sheet)
        date_cell.number_format = DATE_FORMAT
        hours_cell = WriteOnlyCell(sheet)
        hours_cell.number_format = HOURS_FORMAT
        text_of = _TextCells(sheet)
        text = text_of.cached
        note_text = text_of.fresh

        per_user: dict[str, list[int]] = {}  # user -> [minutes, billable minutes]
        per_ticket: dict[int, list[Any]] = {}  # number -> [subject, minutes, billable minutes]
        limit = EXCEL_MAX_ROWS - 2
        count = 0
        append = sheet.append
        for row in rows:
            count += 1
            if count > limit:
                raise Invalid(
                    _(
                        "the report has more than {limit} times, more than an Excel sheet "
                        "holds: narrow it down, e.g. by date or user"
                    ).format(limit=f"{limit:,}")
                )
            minutes = row.minutes
            billable = row.billable
            billable_minutes = minutes if billable else 0
            date_cell.value = row.work_date
            hours_cell.value = minutes / 60
            customer = row.customer
            project = row.project
            billed = row.billed
            note = row.note
            append(
                [
                    date_cell,
                    row.ticket_number,
                    text(row.subject),
                    text(customer) if customer else None,
                    text(project) if project else None,
                    hours_cell,
                    text(row.user),
                    yes if billable else no,
                    text(billed) if billed else None,
                    note_text(note) if note else None,
                ]
            )
            user_sums = per_user.get(row.user)
            if user_sums is None:
                per_user[row.user] = [minutes, billable_minutes]
            else:
                user_sums[0] += minutes
                user_sums[1] += billable_minutes
            ticket_sums = per_ticket.get(row.ticket_number)
            if ticket_sums is None:
                per_ticket[row.ticket_number] = [row.subject, minutes, billable_minutes]
            else:
                ticket_sums[1] += minutes
                ticket_sums[2] += billable_minutes
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)

        last = count + 1
        sheet.append(
            [
                _styled(WriteOnlyCell(sheet, value=_("Total")), font=bold, border=total_border),
                *(_styled(WriteOnlyCell(sheet), border=total_border) for _c in range(4)),
                _styled(
                    WriteOnlyCell(
                        sheet, value=f"=SUM({_HOURS_COLUMN}2:{_HOURS_COLUMN}{last})" if count else 0
                    ),
                    font=bold,
                    border=total_border,
                    number_format=HOURS_FORMAT,
                ),
                *(_styled(WriteOnlyCell(sheet), border=total_border) for _c in range(4)),
            ]
        )
        sheet.auto_filter.ref = f"A1:{_TIMES_COLUMNS[-1]}{last}"

        _write_summary(
            summary,
            title=title,
            per_user=per_user,
            per_ticket=per_ticket,
            text=text_of,
        )
        _save(workbook, target, path)
    except BaseException:
        _discard(workbook)
        raise
    if progress is not None and (count == 0 or count % PROGRESS_EVERY):
        progress(count)
    return count


def _write_summary(
    sheet: Any,
    *,
    title: str,
    per_user: dict[str, list[int]],
    per_ticket: dict[int, list[Any]],
    text: _TextCells,
) -> None:
    """Hours per user, then hours per ticket, each with a header and a total.

    User names stand in column A and run on into the empty column B, so the hours of
    both blocks share columns C and D.
    """
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    bold = Font(bold=True)
    rule = Side(style="thin", color=_RULE_COLOR)
    fill = PatternFill("solid", fgColor=_HEADER_FILL)
    header_border = Border(bottom=rule)
    total_border = Border(top=rule)
    right = Alignment(horizontal="right")
    hours, billable_hours = _("Hours"), _("Billable hours")
    widths = {"A": 10.0, "B": 50.0, "C": 10.0, "D": 14.0}
    widths["C"] = max(widths["C"], len(hours) + 2)
    widths["D"] = max(widths["D"], len(billable_hours) + 2)
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width
    _print_setup(sheet, landscape=False)

    def header(labels: list[str | None]) -> list[Any]:
        return [
            _styled(
                WriteOnlyCell(sheet, value=label),
                font=bold,
                fill=fill,
                border=header_border,
                alignment=right if column >= 2 else None,
            )
            for column, label in enumerate(labels)
        ]

    # As on the Times sheet: two styled cells serve every row.
    hours_cell = _styled(WriteOnlyCell(sheet), number_format=HOURS_FORMAT)
    billable_cell = _styled(WriteOnlyCell(sheet), number_format=HOURS_FORMAT)

    def total(first: int, last: int) -> list[Any]:
        sums = [f"=SUM({c}{first}:{c}{last})" if last >= first else 0 for c in "CD"]
        return [
            _styled(WriteOnlyCell(sheet, value=_("Total")), font=bold, border=total_border),
            _styled(WriteOnlyCell(sheet), border=total_border),
            *(
                _styled(
                    WriteOnlyCell(sheet, value=value),
                    font=bold,
                    border=total_border,
                    number_format=HOURS_FORMAT,
                )
                for value in sums
            ),
        ]

    heading = _styled(WriteOnlyCell(sheet, value=title), font=Font(bold=True, size=14))
    _keep_text(heading)
    sheet.append([heading])
    sheet.append([])
    sheet.append(header([_("User"), None, hours, billable_hours]))
    first = 4
    for user in sorted(per_user, key=lambda name: (name.casefold(), name)):
        minutes, billable = per_user[user]
        hours_cell.value, billable_cell.value = minutes / 60, billable / 60
        sheet.append([text.cached(user), None, hours_cell, billable_cell])
    sheet.append(total(first, first + len(per_user) - 1))
    sheet.append([])
    sheet.append(header([_("Ticket"), _("Subject"), hours, billable_hours]))
    first = first + len(per_user) + 3
    for number in sorted(per_ticket):
        subject, minutes, billable = per_ticket[number]
        hours_cell.value, billable_cell.value = minutes / 60, billable / 60
        sheet.append([number, text.cached(subject), hours_cell, billable_cell])
    sheet.append(total(first, first + len(per_ticket) - 1))


class _TextCells:
    """Text as the time report writes it: legal in a workbook, and never a formula.

    openpyxl refuses control characters and takes text that starts with ``=`` for a
    formula; a subject like ``=HYPERLINK(…)`` from a web form must stay text. Such text
    goes into a cell of number format Text. Names and subjects repeat on many rows, so
    :meth:`cached` remembers what it made of them.
    """

    _CACHE_LIMIT = 50_000

    def __init__(self, sheet: Any) -> None:
        self._sheet = sheet
        self._cache: dict[str, Any] = {}

    def fresh(self, value: str) -> Any:
        if _ILLEGAL_CHARACTERS.search(value):
            value = _ILLEGAL_CHARACTERS.sub("", value)
        if (value[:1] == "=" and len(value) > 1) or value in _ERROR_CODES:
            from openpyxl.cell import WriteOnlyCell

            # A styled cell: openpyxl takes a fresh cell after it, so it can be reused.
            cell = WriteOnlyCell(self._sheet, value=value)
            cell.data_type = "s"
            cell.number_format = "@"
            return cell
        return value or None

    def cached(self, value: str) -> Any:
        cache = self._cache
        made = cache.get(value)
        if made is None:
            if len(cache) >= self._CACHE_LIMIT:
                cache.clear()
            made = cache[value] = self.fresh(value)
        return made


def _styled(
    cell: Any,
    *,
    font: Any = None,
    fill: Any = None,
    border: Any = None,
    alignment: Any = None,
    number_format: str | None = None,
) -> Any:
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def _print_setup(sheet: Any, *, landscape: bool) -> None:
    """A4, as wide as the paper, as many pages down as it takes."""
    sheet.page_setup.paperSize = 9  # A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


# --- the document ------------------------------------------------------------------------


def document_totals(sheet: DocumentSheet) -> tuple[Decimal, Decimal, Decimal]:
    """Net, VAT and gross of ``sheet`` in cents, as its workbook computes them.

    Each line's amount is rounded to cents (half up), net is their sum, VAT is net times
    the rate rounded to cents (half up), gross is net plus VAT.
    """
    net = sum((_line_amount(line) for line in sheet.lines), Decimal("0.00"))
    vat = (net * sheet.vat_rate / 100).quantize(CENTS, ROUND_HALF_UP)
    return net, vat, net + vat


def _line_amount(line: DocumentLine) -> Decimal:
    return (line.quantity * line.unit_price).quantize(CENTS, ROUND_HALF_UP)


def _document_title(kind: str) -> str:
    if kind == "quote":
        return _("Quote")
    if kind == "order":
        return _("Order confirmation")
    if kind == "invoice":
        return _("Invoice")
    raise Invalid(
        _("unknown document kind {kind!r}: use quote, order or invoice").format(kind=kind)
    )


def _check_document(sheet: DocumentSheet) -> None:
    _document_title(sheet.kind)
    if not re.fullmatch(r"[A-Z]{3}", sheet.currency):
        raise Invalid(
            _("currency {currency!r} is not a three-letter code such as EUR").format(
                currency=sheet.currency
            )
        )
    if not sheet.vat_rate.is_finite() or not 0 <= sheet.vat_rate <= 100:
        raise Invalid(
            _("VAT rate {rate} is not a percentage between 0 and 100").format(rate=sheet.vat_rate)
        )
    for line in sheet.lines:
        if not (line.quantity.is_finite() and line.unit_price.is_finite()):
            raise Invalid(
                _("position {position} needs a quantity and a unit price").format(
                    position=line.position
                )
            )


def write_document_workbook(target: Path | BinaryIO, sheet: DocumentSheet) -> None:
    """Write ``sheet`` as a one-page-wide, printable A4 workbook to ``target``.

    Company top right, customer top left, title, number, date and ticket reference,
    then the lines with their amounts and net, VAT and gross as formulas.
    """
    path = _checked_path(target)
    _check_document(sheet)
    # openpyxl costs ~116 ms to import: only the commands that export pay for it.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    title = _document_title(sheet.kind)
    bold = Font(bold=True)
    rule = Side(style="thin", color=_RULE_COLOR)
    money = f'#,##0.00 "{sheet.currency}"'
    right = Alignment(horizontal="right")
    top = Alignment(vertical="top")

    workbook = Workbook()
    ws = workbook.active
    ws.title = _clean(_sheet_title(sheet.number or title))
    workbook.properties.title = _clean(f"{title} {sheet.number}".strip())
    for letter, width in zip("ABCDEF", (6, 46, 10, 8, 14, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.sheet_view.showGridLines = False

    row = 1
    for index, text_line in enumerate(sheet.company_lines):
        cell = ws.cell(row, 6, _clean(text_line))
        cell.alignment = right  # right-aligned text runs on to the left
        if index == 0:
            cell.font = bold
        _keep_text(cell)
        row += 1
    if sheet.company_lines:
        row += 1

    customer = [sheet.customer_name, *(x for x in sheet.customer_lines if x != sheet.customer_name)]
    for index, text_line in enumerate(x for x in customer if x):
        cell = ws.cell(row, 1, _clean(text_line))
        if index == 0:
            cell.font = bold
        _keep_text(cell)
        row += 1
    row += 2

    ws.cell(row, 1, title).font = Font(bold=True, size=18)
    ws.row_dimensions[row].height = 26
    row += 2
    for label, value, number_format in (
        (_("Number"), _clean(sheet.number), None),
        (_("Date"), sheet.issued, DATE_FORMAT),
    ):
        ws.cell(row, 1, label).font = bold
        cell = ws.cell(row, 3, value)
        cell.alignment = Alignment(horizontal="left")
        if number_format:
            cell.number_format = number_format
        _keep_text(cell)
        row += 1
    reference = _("Ticket #{number}: {subject}").format(
        number=sheet.ticket_number, subject=_clean(sheet.subject)
    )
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    cell = ws.cell(row, 1, reference)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    _keep_text(cell)
    ws.row_dimensions[row].height = 15 * max(1, math.ceil(len(reference) / 95))
    row += 2

    header_row = row
    fill = PatternFill("solid", fgColor=_HEADER_FILL)
    headers = (_("Pos"), _("Description"), _("Quantity"), _("Unit"), _("Unit price"), _("Amount"))
    for column, text in enumerate(headers, 1):
        cell = ws.cell(row, column, text)
        cell.font = bold
        cell.fill = fill
        cell.border = Border(bottom=rule)
        cell.alignment = Alignment(
            horizontal="left" if column in (2, 4) else "right", vertical="top"
        )
    row += 1

    first_line = row
    for line in sheet.lines:
        ws.cell(row, 1, line.position).alignment = Alignment(horizontal="right", vertical="top")
        cell = ws.cell(row, 2, _clean(line.description))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        _keep_text(cell)
        cell = ws.cell(row, 3, line.quantity)
        cell.number_format = _exact_format(line.quantity, "#,##0", minimum=0)
        cell.alignment = top
        cell = ws.cell(row, 4, _clean(line.unit))
        cell.alignment = top
        _keep_text(cell)
        cell = ws.cell(row, 5, line.unit_price)
        cell.number_format = _exact_format(line.unit_price, "#,##0", minimum=2)
        cell.alignment = top
        cell = ws.cell(row, 6, f"=ROUND(C{row}*E{row},2)")
        cell.number_format = money
        cell.alignment = top
        row += 1
    last_line = row - 1
    for column in range(1, 7):
        ws.cell(row, column).border = Border(top=rule)

    net_row, vat_row, gross_row = row, row + 1, row + 2
    ws.cell(net_row, 4, _("Net"))
    ws.cell(net_row, 6, f"=SUM(F{first_line}:F{last_line})" if sheet.lines else 0)
    ws.cell(vat_row, 4, _("VAT"))
    rate = ws.cell(vat_row, 5, sheet.vat_rate)
    rate.number_format = 'General" %"'
    ws.cell(vat_row, 6, f"=ROUND(F{net_row}*E{vat_row}/100,2)")
    ws.cell(gross_row, 4, _("Gross")).font = bold
    ws.cell(gross_row, 6, f"=F{net_row}+F{vat_row}").font = bold
    for total_row in (net_row, vat_row, gross_row):
        ws.cell(total_row, 6).number_format = money
    for column in (4, 5, 6):
        ws.cell(gross_row, column).border = Border(top=rule, bottom=Side(style="double"))

    ws.print_area = f"A1:F{gross_row}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    _print_setup(ws, landscape=False)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.left.text = _clean(f"{title} {sheet.number}").replace("&", "&&")
    ws.oddFooter.right.text = _("Page &P of &N")
    _save(workbook, target, path)


def _exact_format(value: Decimal, integer: str, *, minimum: int) -> str:
    """A number format that shows every decimal ``value`` has, and at least ``minimum``."""
    exponent = value.normalize().as_tuple().exponent
    decimals = max(minimum, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
    return f"{integer}.{'0' * decimals}" if decimals else integer


def _keep_text(cell: Any) -> None:
    """Text that looks like a formula or an error code stays text."""
    if isinstance(cell.value, str) and (cell.value[:1] == "=" or cell.value in _ERROR_CODES):
        cell.data_type = "s"
        cell.number_format = "@"


def _sheet_title(text: str) -> str:
    """``text`` as an Excel sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31] or "Sheet"


# --- files -------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return _ILLEGAL_CHARACTERS.sub("", text)


def _checked_path(target: Path | BinaryIO) -> Path | None:
    """``target`` as a path to write, checked before any work; ``None`` for a stream."""
    if not isinstance(target, (str, Path)):
        return None
    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        raise Invalid(
            _("{file}: an Excel workbook needs a file name ending in .xlsx").format(file=path)
        )
    if path.is_dir():
        raise Invalid(_("{file} is a folder: name a file ending in .xlsx").format(file=path))
    if not path.parent.is_dir():
        raise Invalid(_("the folder {folder} does not exist").format(folder=path.parent))
    return path


def _save(workbook: Any, target: Path | BinaryIO, path: Path | None) -> None:
    """Save ``workbook``; a file appears complete or not at all."""
    if path is None:
        workbook.save(target)
        return
    partial = path.with_name(path.name + ".partial")
    try:
        workbook.save(partial)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise Invalid(
            _("cannot write {file}: {reason}").format(file=path, reason=error.strerror or error)
        ) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _discard(workbook: Any) -> None:
    """Remove the temporary files of a write-only workbook that will not be saved."""
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            if not sheet.closed:
                sheet.close()
        with contextlib.suppress(Exception):
            writer.close()
        with contextlib.suppress(Exception):
            writer.cleanup()
