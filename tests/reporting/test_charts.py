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


def test_line_chart_last_label_ends_at_the_right_edge():
    labels = [f"M{month:02d} 26" for month in range(1, 13)]
    svg = str(line_chart(labels, [("DSO", [Decimal(40)] * 12)], title="DSO"))
    anchors = re.findall(r"text-anchor='(\w+)'[^>]*>(M\d\d 26)<", svg)
    assert anchors[-1] == ("end", "M12 26")  # not centred past the chart's edge
    assert {anchor for anchor, _ in anchors[:-1]} == {"middle"}
