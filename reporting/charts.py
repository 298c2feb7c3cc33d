"""Server-rendered SVG charts: the same markup on the dashboard, the report
pages and (WeasyPrint renders inline SVG) in PDFs. No JavaScript, no
external assets; every label is escaped; sizes are in the viewBox so the
charts scale with their container.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
# Charts with a legend keep a band above the plot for it, so the legend
# never sits on the first bar or point when those reach the top.
LEGEND_TOP = 36
LEGEND_BASELINE = 20
FONT = "font-family='system-ui, sans-serif' font-size='11'"
AGING_COLOURS = ("#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#d84315", "#b71c1c", "#6a1b9a")
BAR_COLOUR = "#1565c0"
LINE_COLOURS = ("#1565c0", "#6a1b9a", "#2e7d32")


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    colour: str = BAR_COLOUR
    note: str = ""  # the tooltip


def _nice_max(value: Decimal) -> Decimal:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return Decimal(1)
    exponent = len(str(int(value))) - 1
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        candidate = step * Decimal(10) ** exponent
        if candidate >= value:
            return candidate
    return Decimal(10) ** (exponent + 1)  # pragma: no cover


def _short(value: Decimal) -> str:
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if magnitude >= 1_000:
        # 1.5k, not "2k" twice on one axis.
        thousands = value / 1_000
        return (
            f"{thousands:.0f}k"
            if magnitude >= 10_000 or thousands % 1 == 0
            else f"{thousands:.1f}k"
        )
    return f"{value:.0f}" if magnitude >= 10 else f"{value:.1f}"


def _frame(title: str, body: list[str]) -> SafeString:
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {WIDTH} {HEIGHT}' "
        f"role='img' aria-label='{escape(title)}' class='chart' "
        "preserveAspectRatio='xMidYMid meet'>"
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )
    return mark_safe(svg)  # noqa: S308  (every text in it is escaped above)


def _axis(maximum: Decimal, unit: str, top: int = TOP) -> list[str]:
    parts = []
    plot_height = HEIGHT - top - BOTTOM
    for step in range(5):
        value = maximum * step / 4
        y = top + plot_height - plot_height * step / 4
        parts.append(
            f"<line x1='{LEFT}' x2='{WIDTH - RIGHT}' y1='{y:.1f}' y2='{y:.1f}' "
            "stroke='#e0e0e0' stroke-width='1'/>"
            f"<text x='{LEFT - 6}' y='{y + 4:.1f}' text-anchor='end' {FONT} fill='#555'>"
            f"{escape(_short(value))}{escape(unit)}</text>"
        )
    return parts


def bar_chart(bars: Sequence[Bar], *, title: str, unit: str = "") -> SafeString:
    """Vertical bars from zero (negative values are drawn as zero)."""
    maximum = _nice_max(max((bar.value for bar in bars), default=Decimal(0)))
    body = _axis(maximum, unit)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(bars))
    every = max(1, len(bars) // 13 + (1 if len(bars) > 13 else 0))
    for index, bar in enumerate(bars):
        value = max(bar.value, Decimal(0))
        height = float(value / maximum) * plot_height
        x = LEFT + index * slot + slot * 0.15
        y = TOP + plot_height - height
        body.append(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='{slot * 0.7:.1f}' height='{height:.1f}' "
            f"fill='{escape(bar.colour)}'><title>{escape(bar.note or bar.label)}</title></rect>"
        )
        if index % every == 0:
            body.append(
                f"<text x='{x + slot * 0.35:.1f}' y='{HEIGHT - BOTTOM + 16}' text-anchor='middle' "
                f"{FONT} fill='#333'>{escape(bar.label)}</text>"
            )
    return _frame(title, body)


def aging_chart(labels: Sequence[str], amounts: Sequence[Decimal], *, currency: str) -> SafeString:
    """The aging buckets as bars coloured from current (green) to oldest (red)."""
    colours = (*AGING_COLOURS[: len(labels) - 1], AGING_COLOURS[-1])
    bars = [
        Bar(
            label,
            amount,
            colours[min(index, len(colours) - 1)],
            f"{label}: {amount:,.2f} {currency}",
        )
        for index, (label, amount) in enumerate(zip(labels, amounts, strict=True))
    ]
    return bar_chart(bars, title=f"Aging in {currency}")


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal | None]]],
    *,
    title: str,
    unit: str = "",
) -> SafeString:
    """One or more lines over the same labels; None leaves a gap."""
    values = [v for _, points in series for v in points if v is not None]
    maximum = _nice_max(max(values, default=Decimal(0)))
    body = _axis(maximum, unit, LEGEND_TOP)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - LEGEND_TOP - BOTTOM
    step = plot_width / max(1, len(labels) - 1)
    every = max(1, -(-len(labels) // 12))
    last = len(labels) - 1
    for index, label in enumerate(labels):
        if index % every == 0:
            # The last point sits on the right edge: its label ends there
            # rather than running past the chart.
            anchor = "end" if index == last and last > 0 else "middle"
            body.append(
                f"<text x='{LEFT + index * step:.1f}' y='{HEIGHT - BOTTOM + 16}' "
                f"text-anchor='{anchor}' {FONT} fill='#333'>{escape(label)}</text>"
            )
    for number, (name, points) in enumerate(series):
        colour = LINE_COLOURS[number % len(LINE_COLOURS)]
        path: list[str] = []
        for index, value in enumerate(points):
            if value is None:
                path.append("")
                continue
            x = LEFT + index * step
            y = LEGEND_TOP + plot_height - float(max(value, Decimal(0)) / maximum) * plot_height
            path.append(f"{x:.1f},{y:.1f}")
            body.append(
                f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{colour}'>"
                f"<title>{escape(f'{name} {labels[index]}: {value}{unit}')}</title></circle>"
            )
        for segment in " ".join(path).split("  "):
            if segment.strip():
                body.append(
                    f"<polyline points='{segment.strip()}' fill='none' stroke='{colour}' "
                    "stroke-width='2'/>"
                )
        body.append(
            f"<text x='{LEFT + 8 + number * 160}' y='{LEGEND_BASELINE}' {FONT} fill='{colour}'>"
            f"&#9632; {escape(name)}</text>"
        )
    return _frame(title, body)


def grouped_bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal]]],
    *,
    title: str,
    unit: str = "",
    captions: Sequence[str] = (),
) -> SafeString:
    """Two or three series side by side per label (e.g. exposure against
    limit per risk class), with a legend and an optional caption above each
    group (e.g. the utilisation)."""
    values = [value for _, points in series for value in points]
    maximum = _nice_max(max(values, default=Decimal(0)))
    body = _axis(maximum, unit, LEGEND_TOP)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - LEGEND_TOP - BOTTOM
    slot = plot_width / max(1, len(labels))
    width = slot * 0.7 / max(1, len(series))
    for index, label in enumerate(labels):
        left = LEFT + index * slot + slot * 0.15
        for number, (name, points) in enumerate(series):
            value = max(points[index], Decimal(0))
            height = float(value / maximum) * plot_height
            colour = LINE_COLOURS[number % len(LINE_COLOURS)]
            tooltip = f"{label} {name}: {points[index]:,.2f}{unit}"
            body.append(
                f"<rect x='{left + number * width:.1f}' "
                f"y='{LEGEND_TOP + plot_height - height:.1f}' "
                f"width='{width:.1f}' height='{height:.1f}' fill='{colour}'>"
                f"<title>{escape(tooltip)}</title></rect>"
            )
        centre = left + slot * 0.35
        body.append(
            f"<text x='{centre:.1f}' y='{HEIGHT - BOTTOM + 16}' text-anchor='middle' "
            f"{FONT} fill='#333'>{escape(label)}</text>"
        )
        if index < len(captions) and captions[index]:
            body.append(
                f"<text x='{centre:.1f}' y='{HEIGHT - BOTTOM + 30}' text-anchor='middle' "
                f"{FONT} fill='#555'>{escape(captions[index])}</text>"
            )
    for number, (name, _) in enumerate(series):
        body.append(
            f"<text x='{LEFT + 8 + number * 160}' y='{LEGEND_BASELINE}' {FONT} "
            f"fill='{LINE_COLOURS[number % len(LINE_COLOURS)]}'>&#9632; {escape(name)}</text>"
        )
    return _frame(title, body)
