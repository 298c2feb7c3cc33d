"""Credit ratios from the financial statements of a credit application."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from credit.models import CreditApplication


@dataclass(frozen=True)
class Ratios:
    current_ratio: Decimal | None
    quick_ratio: Decimal | None
    debt_to_equity: Decimal | None
    interest_cover: Decimal | None
    net_margin: Decimal | None  # percent
    revenue: Decimal | None

    def as_json(self) -> dict[str, str | None]:
        return {k: (None if v is None else str(v)) for k, v in vars(self).items()}


def _div(a: Decimal | None, b: Decimal | None, places: str = "0.01") -> Decimal | None:
    if a is None or b is None or b == 0:
        return None
    return (a / b).quantize(Decimal(places))


def application_ratios(application: CreditApplication) -> Ratios:
    """The usual credit ratios from the statements; None where a line is missing."""
    a = application
    quick = None
    if a.current_assets is not None and a.inventory is not None:
        quick = _div(a.current_assets - a.inventory, a.current_liabilities)
    margin = _div(a.net_income, a.revenue, "0.0001")
    return Ratios(
        current_ratio=_div(a.current_assets, a.current_liabilities),
        quick_ratio=quick,
        debt_to_equity=_div(a.total_liabilities, a.equity),
        interest_cover=_div(a.ebit, a.interest_expense),
        net_margin=None if margin is None else (margin * 100).quantize(Decimal("0.1")),
        revenue=a.revenue,
    )
