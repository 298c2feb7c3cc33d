"""How an invoice adds up: the one rounding rule of invoicing.

Every amount is rounded half-up (0.5 away from zero) to the minor unit of
the document currency (JPY 0 decimals, EUR 2, KWD 3), with
``otc.fx.money.quantize_money``:

1. Line base = round(quantity * unit price).
   Line discount = round(line base * discount % / 100).
   Line net = line base - line discount.
   Two roundings, so every figure printed on the line adds up (base, minus
   the discount shown, is the net) and the discount is exactly the line
   allowance EN 16931 e-invoices carry (BT-136 = BT-137 * BT-138 / 100).
2. Tax per group = round(sum of the line nets of that group * rate / 100).
   A group is one tax category and rate (19 % standard, 7 % standard,
   0 % reverse charge...); tax is never computed per line, so 100 lines at
   19 % carry exactly the tax of their sum (EN 16931 BR-CO-17).
3. Net = sum of the line nets; tax = sum of the group taxes; gross = net + tax.
   Sums of rounded amounts are exact, so nothing is rounded again.

The same functions serve the services (stored totals), the HTML line editor
(live preview) and the tax summary; ``invoicing.documents`` states the same
rule for the PDFs and e-invoices, so all of them agree to the minor unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from otc.fx.money import quantize_money

HUNDRED = Decimal(100)
RATE_STEP = Decimal("0.01")


class PricedLine(Protocol):
    """What a line needs to be priced: a model row or a validated input."""

    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def discount_percent(self) -> Decimal: ...
    @property
    def tax_rate(self) -> Decimal: ...
    @property
    def tax_category(self) -> str: ...


@dataclass(frozen=True)
class TaxGroup:
    """One row of the tax summary."""

    category: str
    rate: Decimal
    net: Decimal
    tax: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass(frozen=True)
class Totals:
    currency: str
    line_nets: tuple[Decimal, ...]
    tax_groups: tuple[TaxGroup, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal


def line_base(*, quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    return quantize_money(quantity * unit_price, currency)


def line_discount(*, base: Decimal, discount_percent: Decimal, currency: str) -> Decimal:
    if not discount_percent:
        return Decimal(0)
    return quantize_money(base * discount_percent / HUNDRED, currency)


def line_net(
    *, quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, currency: str
) -> Decimal:
    """Step 1 of the rule."""
    base = line_base(quantity=quantity, unit_price=unit_price, currency=currency)
    return base - line_discount(base=base, discount_percent=discount_percent, currency=currency)


def tax_summary(
    groups: Iterable[tuple[str, Decimal, Decimal]], *, currency: str
) -> tuple[TaxGroup, ...]:
    """Step 2: (category, rate, line net) triples grouped and taxed, ordered
    by rate (highest first) then category, as documents print them."""
    sums: dict[tuple[str, Decimal], Decimal] = {}
    for category, rate, net in groups:
        key = (category, rate.quantize(RATE_STEP))
        sums[key] = sums.get(key, Decimal(0)) + net
    ordered = sorted(sums.items(), key=lambda item: (-item[0][1], item[0][0]))
    return tuple(
        TaxGroup(
            category=category,
            rate=rate,
            net=quantize_money(net, currency),
            tax=quantize_money(net * rate / HUNDRED, currency),
        )
        for (category, rate), net in ordered
    )


def compute_totals(lines: Sequence[PricedLine], *, currency: str) -> Totals:
    nets = tuple(
        line_net(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            currency=currency,
        )
        for line in lines
    )
    groups = tax_summary(
        ((line.tax_category, line.tax_rate, net) for line, net in zip(lines, nets, strict=True)),
        currency=currency,
    )
    net = quantize_money(sum(nets, Decimal(0)), currency)
    tax = quantize_money(sum((group.tax for group in groups), Decimal(0)), currency)
    return Totals(
        currency=currency,
        line_nets=nets,
        tax_groups=groups,
        net=net,
        tax=tax,
        gross=net + tax,
    )
