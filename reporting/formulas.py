"""The receivables KPIs as pure functions of their inputs: no database, no
dates beyond day counts, Decimal in and Decimal out. Each says what it
answers; tests pin every one to a hand-worked example.

Days are rounded to one decimal, percentages to one decimal; None means the
figure is undefined for these inputs (no sales, nothing to collect), which
the pages show as "n/a" rather than a misleading zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")
HUNDRED = Decimal(100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return _round(part / whole * HUNDRED)


def countback_dso(
    *, receivables: Decimal, periods: Sequence[tuple[Decimal, int]]
) -> Decimal | None:
    """Days sales outstanding by the countback method: walk back through
    the periods (newest first, each (sales, days)), consuming the
    receivables with each period's sales; the days of every fully consumed
    period count whole, the last one pro rata. If the receivables outlast
    every period given, the result is all their days (a lower bound).

    AR 212,000 against 100,000 / 80,000 / 70,000 in 30-day months:
    30 + 30 + 32,000 / 70,000 x 30 = 73.7 days."""
    if receivables <= 0:
        return Decimal(0) if periods else None
    remaining = receivables
    days = Decimal(0)
    for sales, period_days in periods:
        if sales <= 0:
            days += period_days
            continue
        if remaining <= sales:
            return _round(days + remaining / sales * period_days)
        remaining -= sales
        days += period_days
    return _round(days) if periods else None


def simple_dso(*, receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """Receivables / sales of the period x days in the period."""
    if sales <= 0:
        return None
    return _round(receivables / sales * days)


def best_possible_dso(*, current_receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    """The DSO if every customer paid on its due date: only the receivables
    not yet due / sales x days."""
    return simple_dso(receivables=current_receivables, sales=sales, days=days)


def average_days_delinquent(
    *, dso: Decimal | None, best_possible: Decimal | None
) -> Decimal | None:
    """DSO - best possible DSO: the days the book is late on average."""
    if dso is None or best_possible is None:
        return None
    return _round(dso - best_possible)


def weighted_days_late(payments: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """Amount-weighted days late of payments (amount, days after due date;
    early payments count negative): sum(amount x days) / sum(amount)."""
    total = sum((amount for amount, _ in payments), Decimal(0))
    if total <= 0:
        return None
    return _round(sum((amount * days for amount, days in payments), Decimal(0)) / total)


def collection_effectiveness_index(
    *,
    opening_receivables: Decimal,
    sales: Decimal,
    closing_receivables: Decimal,
    closing_current: Decimal,
) -> Decimal | None:
    """How much of what could be collected in the period was collected, %:
    (opening + sales - closing) / (opening + sales - closing current) x 100."""
    collectible = opening_receivables + sales - closing_current
    if collectible <= 0:
        return None
    return _ratio(opening_receivables + sales - closing_receivables, collectible)


def percent_current(*, current: Decimal, total: Decimal) -> Decimal | None:
    """Share of the receivables not yet due, %."""
    return _ratio(current, total) if total > 0 else None


def days_deductions_outstanding(
    *, open_deductions: Decimal, sales: Decimal, days: int
) -> Decimal | None:
    """Open deductions / sales of the period x days: how many days of sales
    sit in unresolved short payments."""
    return simple_dso(receivables=open_deductions, sales=sales, days=days)


def average_days(durations: Sequence[int]) -> Decimal | None:
    """Mean of day counts, e.g. the deduction cycle time (days from a
    deduction's opening to its resolution)."""
    if not durations:
        return None
    return _round(Decimal(sum(durations)) / len(durations))


def bad_debt_ratio(*, written_off: Decimal, sales: Decimal) -> Decimal | None:
    """Written off / sales of the same period, %."""
    return _ratio(written_off, sales) if sales > 0 else None


def credit_utilisation(*, exposure: Decimal, credit_limit: Decimal) -> Decimal | None:
    """Exposure / credit limit, %."""
    return _ratio(exposure, credit_limit) if credit_limit > 0 else None


def auto_match_rate(*, automatic: int, total: int) -> Decimal | None:
    """Payments applied without a person / all payments, %."""
    return _ratio(Decimal(automatic), Decimal(total)) if total > 0 else None


def collector_effectiveness(*, collected: Decimal, assigned: Decimal) -> Decimal | None:
    """Collected in the period / overdue assigned at its start, %."""
    return _ratio(collected, assigned) if assigned > 0 else None
