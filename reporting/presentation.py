"""Turning report figures into what the pages and the dashboard show: KPI
tiles with their trend, and the charts built from the selectors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import SafeString

from reporting.charts import Bar, bar_chart, line_chart
from reporting.selectors.forecast import CashForecast
from reporting.selectors.kpis import KPI_DEFINITIONS, KpiDefinition, MonthFigures


@dataclass(frozen=True)
class KpiTile:
    definition: KpiDefinition
    value: Decimal | None
    previous: Decimal | None
    direction: str  # "up", "down", "flat" or "" (no comparison)
    is_better: bool | None  # None: unchanged or not comparable

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "flat": "▶"}.get(self.direction, "")

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def kpi_tiles(months: list[MonthFigures]) -> list[KpiTile]:
    """The running month's KPIs against the month before."""
    latest = months[-1].kpis if months else {}
    previous = months[-2].kpis if len(months) > 1 else {}
    tiles = []
    for definition in KPI_DEFINITIONS:
        value = latest.get(definition.key)
        before = previous.get(definition.key)
        direction = ""
        better: bool | None = None
        if value is not None and before is not None:
            if value > before:
                direction = "up"
            elif value < before:
                direction = "down"
            else:
                direction = "flat"
            if direction in ("up", "down"):
                better = (direction == "up") == (definition.better == "higher")
        tiles.append(KpiTile(definition, value, before, direction, better))
    return tiles


def dso_trend_chart(months: list[MonthFigures]) -> SafeString:
    labels = [m.month.strftime("%b %y") for m in months]
    return line_chart(
        labels,
        [
            ("DSO countback", [m.kpis.get("dso_countback") for m in months]),
            ("DSO simple", [m.kpis.get("dso_simple") for m in months]),
            ("Best possible DSO", [m.kpis.get("bpdso") for m in months]),
        ],
        title="DSO trend (days)",
        unit="",
    )


def forecast_chart(forecast: CashForecast) -> SafeString:
    bars = [
        Bar(
            week.start.strftime("%d %b"),
            week.base,
            note=f"Week of {week.start:%d %b}: {week.base:,.2f} {forecast.base_currency}",
        )
        for week in forecast.weeks
    ]
    return bar_chart(bars, title=f"Expected receipts per week ({forecast.base_currency})")
