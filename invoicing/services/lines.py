"""Invoice lines as services take them, and the checks every line passes.

Callers (API, HTML, bulk, other apps) hand over ``LineInput`` values; the
services check them all and report every problem at once under the field
path people can act on (``lines[3].quantity``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from invoicing.models import (
    AMOUNT_DECIMALS,
    AMOUNT_DIGITS,
    PERCENT_DECIMALS,
    PRICE_DECIMALS,
    PRICE_DIGITS,
    QUANTITY_DECIMALS,
    QUANTITY_DIGITS,
    InvoiceLine,
    TaxCategory,
)
from invoicing.totals import Totals, compute_totals
from otc.errors import ValidationFailed
from otc.tenancy.models import Tenant

MAX_LINES = 1000
_UNIT_CODE = re.compile(r"^[A-Z0-9]{2,3}$")
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal(0)
    tax_category: str = TaxCategory.STANDARD
    discount_percent: Decimal = Decimal(0)
    unit: str = "C62"
    product_code: str = ""
    order_line_id: int | None = None  # the order line it bills, if any

    @classmethod
    def from_line(cls, line: InvoiceLine) -> LineInput:
        return cls(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            tax_category=line.tax_category,
            discount_percent=line.discount_percent,
            unit=line.unit,
            product_code=line.product_code,
            order_line_id=line.order_line_id,
        )


def _decimal_problem(value: Decimal, *, digits: int, decimals: int) -> str | None:
    if not value.is_finite():
        return "Enter a number."
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101  (finite numbers have an int exponent)
    if -exponent > decimals:
        return f"Use at most {decimals} decimal places."
    if abs(value) >= Decimal(10) ** (digits - decimals):
        return "The number is too large."
    return None


def _number_problems(line: LineInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    if problem := _decimal_problem(
        line.quantity, digits=QUANTITY_DIGITS, decimals=QUANTITY_DECIMALS
    ):
        problems["quantity"] = problem
    elif line.quantity == 0:
        problems["quantity"] = "Enter a quantity other than zero."
    if problem := _decimal_problem(line.unit_price, digits=PRICE_DIGITS, decimals=PRICE_DECIMALS):
        problems["unit_price"] = problem
    if problem := _decimal_problem(line.discount_percent, digits=5, decimals=PERCENT_DECIMALS):
        problems["discount_percent"] = problem
    elif not Decimal(0) <= line.discount_percent < _HUNDRED:
        problems["discount_percent"] = "Enter a discount from 0 up to (not including) 100 %."
    return problems


def _tax_problem(line: LineInput) -> str | None:
    """Rate and category must agree: EN 16931 taxes only the standard
    category and wants every 0 % line to say why it is 0 %."""
    if problem := _decimal_problem(line.tax_rate, digits=5, decimals=PERCENT_DECIMALS):
        return problem
    if not Decimal(0) <= line.tax_rate < _HUNDRED:
        return "Enter a tax rate from 0 up to (not including) 100 %."
    if line.tax_category == TaxCategory.STANDARD and line.tax_rate == 0:
        return (
            "A standard-rated line needs a rate above 0 %; for 0 % choose why "
            "(zero rated, exempt, reverse charge, export...)."
        )
    exempt = line.tax_category in TaxCategory.values and line.tax_category != TaxCategory.STANDARD
    if exempt and line.tax_rate != 0:
        return (
            f"'{TaxCategory(line.tax_category).label}' lines carry 0 % tax; "
            "use the standard category for a taxed line."
        )
    return None


def _line_problems(line: LineInput) -> dict[str, str]:
    problems = _number_problems(line)
    description = line.description.strip()
    if not description:
        problems["description"] = "Describe what is invoiced."
    elif len(description) > 500:
        problems["description"] = "Keep the description to 500 characters."
    if line.tax_category not in TaxCategory.values:
        problems["tax_category"] = f"Choose a tax category: {', '.join(TaxCategory.values)}."
    if problem := _tax_problem(line):
        problems["tax_rate"] = problem
    if not _UNIT_CODE.match(line.unit or ""):
        problems["unit"] = "Use a unit code such as C62 (piece), HUR (hour) or KGM (kilogram)."
    if len(line.product_code) > 64:
        problems["product_code"] = "Keep the product code to 64 characters."
    return problems


def validate_lines(lines: Sequence[LineInput], *, currency: str) -> Totals:
    """Every line checked (all problems reported together), then priced."""
    errors: dict[str, list[str]] = {}
    if len(lines) > MAX_LINES:
        errors["lines"] = [f"An invoice holds at most {MAX_LINES} lines."]
    for index, line in enumerate(lines):
        for field, message in _line_problems(line).items():
            errors[f"lines[{index}].{field}"] = [message]
    if errors:
        raise ValidationFailed("Some invoice lines need fixing.", errors=errors)
    totals = compute_totals(lines, currency=currency)
    limit = Decimal(10) ** (AMOUNT_DIGITS - AMOUNT_DECIMALS)
    for index, net in enumerate(totals.line_nets):
        if abs(net) >= limit:
            errors[f"lines[{index}].quantity"] = ["Quantity times price is too large for one line."]
    if not errors and (abs(totals.net) >= limit or abs(totals.gross) >= limit):
        errors["lines"] = ["The invoice total is too large."]
    if errors:
        raise ValidationFailed("Some invoice lines need fixing.", errors=errors)
    return totals


def build_lines(
    *, tenant: Tenant, invoice_id: int, lines: Sequence[LineInput], totals: Totals
) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            tenant=tenant,
            invoice_id=invoice_id,
            position=position,
            product_code=line.product_code.strip(),
            description=line.description.strip(),
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            tax_rate=line.tax_rate,
            tax_category=line.tax_category,
            line_net=net,
            order_line_id=line.order_line_id,
        )
        for position, (line, net) in enumerate(zip(lines, totals.line_nets, strict=True), start=1)
    ]
