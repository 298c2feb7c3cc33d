"""The stored totals (invoicing.totals) and the printed/e-invoice figures
(invoicing.documents) follow one rounding rule: for any lines, both give the
same line nets and the same tax per category and rate, to the minor unit."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.documents.model import Line, TaxCategory, line_net_amount, tax_subtotals_for
from invoicing.totals import compute_totals
from tests.invoicing.factories import line

quantities = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10_000), places=4)
prices = st.decimals(min_value=Decimal(0), max_value=Decimal(100_000), places=6)
discounts = st.decimals(min_value=Decimal(0), max_value=Decimal("99.99"), places=2)
rates = st.sampled_from([Decimal(19), Decimal(7), Decimal("5.5"), Decimal("20.00")])
currencies = st.sampled_from(["EUR", "JPY", "KWD", "USD"])


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(quantities, prices, discounts, rates), min_size=1, max_size=8),
    currency=currencies,
)
def test_line_nets_and_tax_summary_agree(rows, currency):
    ours = compute_totals(
        [
            line(price, quantity, rate=rate, discount=discount)
            for quantity, price, discount, rate in rows
        ],
        currency=currency,
    )
    theirs_nets = tuple(
        line_net_amount(quantity, price, discount, currency)
        for quantity, price, discount, _ in rows
    )
    assert ours.line_nets == theirs_nets
    printed = tax_subtotals_for(
        [
            Line(
                position=index,
                description="x",
                quantity=quantity,
                unit_code="C62",
                unit_price=price,
                tax_rate=rate,
                tax_category=TaxCategory.STANDARD,
                line_net=net,
                discount_percent=discount,
            )
            for index, ((quantity, price, discount, rate), net) in enumerate(
                zip(rows, theirs_nets, strict=True), start=1
            )
        ],
        currency,
    )
    assert [(g.rate, g.net, g.tax) for g in ours.tax_groups] == [
        (s.rate, s.taxable_amount, s.tax_amount) for s in printed
    ]
