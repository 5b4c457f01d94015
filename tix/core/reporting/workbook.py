"""Reports as an Excel workbook: one sheet per report, typed cells (dates as dates,
counts as numbers, durations as hours) and native Excel charts, so the file opens with
its pictures in place (Excel, LibreOffice) and can be forwarded as it is.

Pure: it takes the read models and writes a file or stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from tix.core.i18n import _
from tix.core.read_models.reports import (
    AgentsReport,
    CategoriesReport,
    DurationFigure,
    MailReport,
    Overview,
    ResponseReport,
    SlaReport,
    VolumeReport,
)
from tix.core.reports import (
    DATE_FORMAT,
    HOURS_FORMAT,
    _checked_path,
    _clean,
    _keep_text,
    _save,
    _sheet_title,
)

Report = (
    Overview
    | VolumeReport
    | ResponseReport
    | SlaReport
    | AgentsReport
    | CategoriesReport
    | MailReport
)

_HEADER_FILL = "DCE6F1"
_PERCENT_FORMAT = "0.0%"
_CHART_WIDTH = 24.0
_CHART_HEIGHT = 9.0


def measure_text(measure: str) -> str:
    return _("First response") if measure == "first_response" else _("Solution")


def basis_text(basis: str) -> str:
    return _("business hours") if basis == "business" else _("wall-clock hours")


def figure_label(figure: DurationFigure) -> str:
    """``First response (business hours)``: what a duration figure measures."""
    return f"{measure_text(figure.measure)} ({basis_text(figure.basis)})"


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 4)


def check_target(target: Path) -> None:
    """Refuse a target that cannot be written (no .xlsx, a folder, no such folder)
    before any work is done."""
    _checked_path(target)


def write_report_workbook(target: Path | BinaryIO, reports: Sequence[Report]) -> None:
    """Write ``reports`` to ``target`` (an ``.xlsx`` path or a binary stream)."""
    path = _checked_path(target)
    _save(report_workbook(reports), target, path)


def report_workbook(reports: Sequence[Report]) -> Any:
    """An openpyxl workbook of ``reports``, a sheet each, with their charts."""
    # openpyxl costs ~116 ms to import: only the commands that write workbooks pay it.
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for report in reports:
        if isinstance(report, Overview):
            _overview(book, report)
        elif isinstance(report, VolumeReport):
            _volume(book, report)
        elif isinstance(report, ResponseReport):
            _response(book, report)
        elif isinstance(report, SlaReport):
            _sla(book, report)
        elif isinstance(report, AgentsReport):
            _agents(book, report)
        elif isinstance(report, CategoriesReport):
            _categories(book, report)
        else:
            _mail(book, report)
    return book


# --- sheets ---------------------------------------------------------------------------


def _sheet(book: Any, title: str, report: Any, headers: Sequence[str]) -> Any:
    """A sheet with a title line, the period and a styled header row (row 4)."""
    from openpyxl.styles import Font, PatternFill

    sheet = book.create_sheet(title=_sheet_title(title))
    scope = report.scope
    sheet["A1"] = title
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = scope.start
    sheet["A2"].number_format = DATE_FORMAT
    sheet["B2"] = scope.end
    sheet["B2"].number_format = DATE_FORMAT
    sheet["C2"] = scope.timezone
    fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=4, column=column, value=header)
        cell.font = Font(bold=True)
        cell.fill = fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(12, len(header) + 2)
    sheet.freeze_panes = "A5"
    return sheet


def _rows(sheet: Any, rows: Sequence[Sequence[Any]], formats: Sequence[str | None]) -> None:
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(
                row=5 + offset,
                column=column,
                value=_clean(value) if isinstance(value, str) else value,
            )
            _keep_text(cell)
            number_format = formats[column - 1] if column - 1 < len(formats) else None
            if number_format is not None and value is not None:
                cell.number_format = number_format


def _anchor(sheet: Any, columns: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(columns + 2)}4"


def _chart(kind: str, title: str, y_title: str, *, stacked: bool = False) -> Any:
    from openpyxl.chart import BarChart, LineChart

    chart: Any = LineChart() if kind == "line" else BarChart()
    if kind == "bar":
        chart.type = "col"
        if stacked:
            chart.grouping = "stacked"
            chart.overlap = 100
    chart.title = title
    chart.y_axis.title = y_title
    chart.width = _CHART_WIDTH
    chart.height = _CHART_HEIGHT
    chart.legend.position = "b"
    # openpyxl hides axes unless told (delete=False keeps them drawn in LibreOffice too)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    return chart


def _add_series(sheet: Any, chart: Any, *, first_column: int, last_column: int, count: int) -> None:
    """Series from columns ``first_column``..``last_column`` (titles from the header),
    categories from column A."""
    from openpyxl.chart import Reference

    data = Reference(sheet, min_col=first_column, max_col=last_column, min_row=4, max_row=4 + count)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, max_col=1, min_row=5, max_row=4 + count))


def _overview(book: Any, report: Overview) -> None:
    sheet = _sheet(book, _("Overview"), report, [_("Figure"), _("Value")])
    rows: list[tuple[str, Any, str | None]] = [
        (_("Opened"), report.opened, "0"),
        (_("Solved"), report.solved, "0"),
        (_("Reopened"), report.reopened, "0"),
        (_("Backlog at the start"), report.backlog_start, "0"),
        (_("Backlog at the end"), report.backlog_end, "0"),
    ]
    for figure in report.response:
        label = figure_label(figure)
        rows.append(
            (_("{figure}: median (h)").format(figure=label), hours(figure.median_seconds), "0.00")
        )
        rows.append(
            (
                _("{figure}: 90th percentile (h)").format(figure=label),
                hours(figure.p90_seconds),
                "0.00",
            )
        )
    rows += [
        (_("SLA targets met"), report.sla_met, "0"),
        (_("SLA targets breached"), report.sla_breached, "0"),
        (_("SLA targets running"), report.sla_running, "0"),
        (_("SLA compliance"), report.sla_compliance, _PERCENT_FORMAT),
        (_("Mails in"), report.mail_in, "0"),
        (_("Mails out"), report.mail_out, "0"),
    ]
    _rows(sheet, [(label, value) for label, value, _f in rows], [None, None])
    for offset, (_label, value, number_format) in enumerate(rows):
        if value is not None and number_format is not None:
            sheet.cell(row=5 + offset, column=2).number_format = number_format
    sheet.column_dimensions["A"].width = 48
    chart = _chart("bar", _("Tickets"), _("Tickets"))
    from openpyxl.chart import Reference

    chart.add_data(Reference(sheet, min_col=2, max_col=2, min_row=5, max_row=9))
    chart.set_categories(Reference(sheet, min_col=1, max_col=1, min_row=5, max_row=9))
    chart.legend = None
    sheet.add_chart(chart, "D4")


def _volume(book: Any, report: VolumeReport) -> None:
    headers = [_("From"), _("To"), _("Opened"), _("Solved"), _("Reopened"), _("Backlog")]
    sheet = _sheet(book, _("Volume"), report, headers)
    rows = [(b.start, b.end, b.opened, b.solved, b.reopened, b.backlog) for b in report.buckets]
    _rows(sheet, rows, [DATE_FORMAT, DATE_FORMAT, "0", "0", "0", "0"])
    count = len(rows)
    chart = _chart("bar", _("Tickets opened, solved and reopened"), _("Tickets"))
    _add_series(sheet, chart, first_column=3, last_column=5, count=count)
    sheet.add_chart(chart, _anchor(sheet, len(headers)))
    backlog = _chart("line", _("Backlog"), _("Tickets not done"))
    _add_series(sheet, backlog, first_column=6, last_column=6, count=count)
    sheet.add_chart(backlog, f"{_anchor(sheet, len(headers))[:-1]}24")


def _response(book: Any, report: ResponseReport) -> None:
    headers = [
        _("Channel"),
        _("Measure"),
        _("Basis"),
        _("Tickets"),
        _("Median (h)"),
        _("90th percentile (h)"),
    ]
    sheet = _sheet(book, _("Response"), report, headers)
    rows = [
        (
            figure.channel if figure.channel is not None else _("All channels"),
            measure_text(figure.measure),
            basis_text(figure.basis),
            figure.tickets,
            hours(figure.median_seconds),
            hours(figure.p90_seconds),
        )
        for figure in report.figures
    ]
    _rows(sheet, rows, [None, None, None, "0", HOURS_FORMAT, HOURS_FORMAT])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 18
    sheet.column_dimensions["C"].width = 20
    chart = _chart("bar", _("Response and solution times"), _("Hours"))
    _add_series(sheet, chart, first_column=5, last_column=6, count=len(rows))
    # The categories name channel and measure: A and B together.
    from openpyxl.chart import Reference

    chart.set_categories(Reference(sheet, min_col=1, max_col=2, min_row=5, max_row=4 + len(rows)))
    sheet.add_chart(chart, _anchor(sheet, len(headers)))


def _sla(book: Any, report: SlaReport) -> None:
    headers = [
        _("Channel"),
        _("Priority"),
        _("Target"),
        _("Met"),
        _("Breached"),
        _("Running"),
    ]
    sheet = _sheet(book, _("SLA"), report, headers)
    rows = [
        (
            row.channel if row.channel is not None else "",
            row.priority,
            measure_text(row.target),
            row.met,
            row.breached,
            row.running,
        )
        for row in report.rows
    ]
    _rows(sheet, rows, [None, "0", None, "0", "0", "0"])
    summary = 6 + len(rows)
    sheet.cell(row=summary, column=1, value=_("SLA compliance"))
    cell = sheet.cell(row=summary, column=2, value=report.compliance)
    cell.number_format = _PERCENT_FORMAT
    chart = _chart("bar", _("SLA targets"), _("Tickets"), stacked=True)
    _add_series(sheet, chart, first_column=4, last_column=6, count=len(rows))
    from openpyxl.chart import Reference

    chart.set_categories(Reference(sheet, min_col=1, max_col=3, min_row=5, max_row=4 + len(rows)))
    sheet.add_chart(chart, _anchor(sheet, len(headers)))


def _agents(book: Any, report: AgentsReport) -> None:
    headers = [_("Agent"), _("Name"), _("Open tickets"), _("Tickets touched"), _("Hours booked")]
    sheet = _sheet(book, _("Agents"), report, headers)
    rows = [
        (row.login, row.name, row.open_tickets, row.touched, round(row.minutes / 60, 2))
        for row in report.agents
    ]
    _rows(sheet, rows, [None, None, "0", "0", HOURS_FORMAT])
    sheet.column_dimensions["B"].width = 24
    chart = _chart("bar", _("Load per agent"), _("Tickets"))
    _add_series(sheet, chart, first_column=3, last_column=4, count=len(rows))
    sheet.add_chart(chart, _anchor(sheet, len(headers)))


def _categories(book: Any, report: CategoriesReport) -> None:
    headers = [
        _("Category"),
        _("Tickets"),
        _("Customer"),
        _("Tickets"),
        _("Organisation"),
        _("Tickets"),
    ]
    sheet = _sheet(book, _("Categories"), report, headers)
    length = max(len(report.categories), len(report.customers), len(report.organisations))
    rows: list[list[Any]] = []
    for index in range(length):
        row: list[Any] = []
        for found in (report.categories, report.customers, report.organisations):
            row += [found[index].name, found[index].tickets] if index < len(found) else [None, None]
        rows.append(row)
    _rows(sheet, rows, [None, "0", None, "0", None, "0"])
    for letter in ("A", "C", "E"):
        sheet.column_dimensions[letter].width = 28
    chart = _chart("bar", _("Top categories"), _("Tickets"))
    from openpyxl.chart import Reference

    count = len(report.categories)
    chart.add_data(
        Reference(sheet, min_col=2, max_col=2, min_row=4, max_row=4 + count),
        titles_from_data=True,
    )
    chart.set_categories(Reference(sheet, min_col=1, max_col=1, min_row=5, max_row=4 + count))
    chart.legend = None
    sheet.add_chart(chart, _anchor(sheet, len(headers)))


def _mail(book: Any, report: MailReport) -> None:
    headers = [_("From"), _("To"), _("Mails in"), _("Mails out")]
    sheet = _sheet(book, _("Mail"), report, headers)
    rows = [(b.start, b.end, b.incoming, b.outgoing) for b in report.buckets]
    _rows(sheet, rows, [DATE_FORMAT, DATE_FORMAT, "0", "0"])
    chart = _chart("line", _("Mail in and out"), _("Mails"))
    _add_series(sheet, chart, first_column=3, last_column=4, count=len(rows))
    sheet.add_chart(chart, _anchor(sheet, len(headers)))
