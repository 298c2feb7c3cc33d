"""Writing a ReportDocument as a file.

- PDF: WeasyPrint with the tenant's branding (the letterhead, logo and
  colours of its dunning letters and statements) and the dashboard's SVG
  charts.
- XLSX: openpyxl, a sheet per table; numbers stay numbers with a number
  format (money to the currency's minor unit), dates are dates, the header
  row is frozen.
- CSV: the document's first table, money to the currency's minor unit.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from collections_app.services import branding_context, html_to_pdf
from otc.fx.money import minor_units, quantize_money
from otc.tenancy.models import Tenant
from reporting.reports.document import Cell, CellKind, Column, ReportDocument, Table

SHEET_TITLE_MAX = 31  # Excel's limit
COLUMN_WIDTH_MAX = 60
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _currency(column: Column, row: list[Cell]) -> str:
    if column.currency:
        return column.currency
    if column.currency_column is not None:
        return str(row[column.currency_column] or "")
    return ""


def _plain(column: Column, value: Cell, row: list[Cell]) -> str:
    """A cell as text a machine reads back: 1234.50, 2026-01-31."""
    if value is None:
        return ""
    if column.kind == CellKind.MONEY and isinstance(value, Decimal):
        currency = _currency(column, row)
        return str(quantize_money(value, currency) if currency else value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _shown(column: Column, value: Cell, row: list[Cell]) -> str:
    """A cell as people read it in the PDF: 1,234.50, 31 Jan 2026."""
    if value is None:
        return "-"
    if column.kind == CellKind.MONEY and isinstance(value, Decimal):
        currency = _currency(column, row)
        places = minor_units(currency) if currency else 2
        return f"{quantize_money(value, currency) if currency else value:,.{places}f}"
    if column.kind == CellKind.PERCENT:
        return f"{value}%"
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if isinstance(value, int) and column.kind == CellKind.INTEGER:
        return f"{value:,}"
    return str(value)


# --- CSV ---------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() hands the line back (csv + streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(columns: list[Column], rows: Iterable[list[Cell]]) -> Iterator[str]:
    """The header and each row as one CSV line, lazily (for streaming)."""
    writer = csv.writer(_Echo())
    yield writer.writerow([column.title for column in columns])
    for row in rows:
        yield writer.writerow(
            [_plain(column, value, row) for column, value in zip(columns, row, strict=True)]
        )


def to_csv(document: ReportDocument) -> bytes:
    table = document.tables[0]
    text = "".join(csv_lines(table.columns, [*table.rows, *table.totals]))
    return text.encode("utf-8")


# --- XLSX --------------------------------------------------------------------


def _number_format(column: Column, row: list[Cell]) -> str:
    if column.kind == CellKind.MONEY:
        currency = _currency(column, row)
        places = minor_units(currency) if currency else 2
        return "#,##0" + ("." + "0" * places if places else "")
    if column.kind in (CellKind.DAYS, CellKind.PERCENT):
        return "0.0"
    if column.kind == CellKind.INTEGER:
        return "#,##0"
    if column.kind == CellKind.DATE:
        return "yyyy-mm-dd"
    return "General"


def _xlsx_value(column: Column, value: Cell, row: list[Cell]) -> Any:
    if column.kind == CellKind.MONEY and isinstance(value, Decimal):
        currency = _currency(column, row)
        return quantize_money(value, currency) if currency else value
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_SHEET_FORBIDDEN).strip()[:SHEET_TITLE_MAX] or "Sheet"
    name, number = base, 2
    while name.lower() in used:
        suffix = f" {number}"
        name, number = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, number + 1
    used.add(name.lower())
    return name


def _write_table(workbook: Workbook, table: Table, used: set[str]) -> None:
    sheet = workbook.create_sheet(_sheet_title(table.title, used))
    sheet.append([column.title for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E5E7EB")
    sheet.freeze_panes = "A2"
    widths = [len(column.title) for column in table.columns]
    for row_number, row in enumerate([*table.rows, *table.totals], start=2):
        for index, (column, value) in enumerate(zip(table.columns, row, strict=True)):
            cell = sheet.cell(
                row=row_number, column=index + 1, value=_xlsx_value(column, value, row)
            )
            cell.number_format = _number_format(column, row)
            if row_number - 2 >= len(table.rows):
                cell.font = Font(bold=True)
            widths[index] = max(widths[index], len(_shown(column, value, row)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, COLUMN_WIDTH_MAX)


def to_xlsx(document: ReportDocument) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in document.tables:
        _write_table(workbook, table, used)
    if document.tiles:
        _write_table(
            workbook,
            Table(
                "KPIs",
                [Column("KPI"), Column("Value", CellKind.DAYS), Column("Unit"), Column("Formula")],
                [
                    [t.definition.label, t.value, t.definition.unit, t.definition.formula]
                    for t in document.tiles
                ],
            ),
            used,
        )
    workbook.properties.title = f"{document.title} {document.subtitle}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF ---------------------------------------------------------------------


def _pdf_table(table: Table) -> dict[str, Any]:
    def cells(row: list[Cell]) -> list[dict[str, Any]]:
        return [
            {"text": _shown(column, value, row), "numeric": column.kind != CellKind.TEXT}
            for column, value in zip(table.columns, row, strict=True)
        ]

    return {
        "title": table.title,
        "note": table.note,
        "columns": [
            {"title": column.title, "numeric": column.kind != CellKind.TEXT}
            for column in table.columns
        ],
        "rows": [cells(row) for row in table.rows],
        "totals": [cells(row) for row in table.totals],
    }


def to_pdf(*, tenant: Tenant, document: ReportDocument) -> bytes:
    stamp = timezone.localtime(timezone=ZoneInfo(tenant.timezone)).strftime("%d %b %Y %H:%M %Z")
    html = render_to_string(
        "reporting/report_pdf.html",
        {
            **branding_context(tenant),
            "document": document,
            "tables": [_pdf_table(table) for table in document.tables],
            "generated": stamp,
            "wide": any(len(table.columns) > 8 for table in document.tables),
        },
    )
    return html_to_pdf(html)
