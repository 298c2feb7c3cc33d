"""Chart layout: a legend sits in its own band above the plot, so it never
covers the first bar or point when those reach the top of the axis."""

from __future__ import annotations

import re
from decimal import Decimal

from reporting.charts import grouped_bar_chart, line_chart


def _legend_baselines(svg: str) -> list[float]:
    return [float(y) for y in re.findall(r"<text x='[\d.]+' y='([\d.]+)'[^>]*>&#9632;", svg)]


def test_grouped_bars_legend_above_the_tallest_bar():
    svg = str(
        grouped_bar_chart(
            ["Class A", "Class B"],
            [("Exposure", [Decimal(500), Decimal(100)]), ("Credit limits", [Decimal(500)] * 2)],
            title="Exposure and limits",
        )
    )
    tops = [float(y) for y in re.findall(r"<rect x='[\d.]+' y='([\d.]+)'", svg)]
    legend = _legend_baselines(svg)
    assert len(legend) == 2
    # the legend's text (11 px high) ends above the highest bar
    assert max(legend) + 4 < min(tops)


def test_line_chart_legend_above_the_highest_point():
    svg = str(
        line_chart(
            ["Jan", "Feb"],
            [("DSO", [Decimal(50), Decimal(20)]), ("BPDSO", [Decimal(10), Decimal(5)])],
            title="DSO",
        )
    )
    points = [float(y) for y in re.findall(r"<circle cx='[\d.]+' cy='([\d.]+)'", svg)]
    assert max(_legend_baselines(svg)) + 4 < min(points)
