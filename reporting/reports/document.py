"""What a report file holds, independent of its format: a title, KPI tiles,
charts (the dashboard's SVG) and tables of typed cells. The PDF shows all of
it; a workbook gets a sheet per table; a CSV is the main (first) table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.utils.safestring import SafeString

from reporting.presentation import KpiTile

Cell = str | int | Decimal | date | None


class CellKind(StrEnum):
    TEXT = "text"
    MONEY = "money"  # in the column's currency, or the row's `currency_column`
    INTEGER = "integer"
    DAYS = "days"  # one decimal
    PERCENT = "percent"  # 0-100, one decimal
    DATE = "date"


@dataclass(frozen=True)
class Column:
    title: str
    kind: CellKind = CellKind.TEXT
    currency: str = ""  # MONEY: fixed currency; "" = the row's currency column
    # MONEY with no fixed currency: index of the row's currency column.
    currency_column: int | None = None


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    totals: list[list[Cell]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Chart:
    title: str
    svg: SafeString
    note: str = ""


@dataclass
class ReportDocument:
    title: str
    subtitle: str
    file_stem: str  # the download's name without extension
    currency: str  # the report's base currency
    tiles: list[KpiTile] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
