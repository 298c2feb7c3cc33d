"""The rounding rule of invoicing, on awkward values (no database needed)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from invoicing.totals import compute_totals, line_net, tax_summary
from tests.invoicing.factories import line

D = Decimal


def test_eur_line_net_rounds_half_up_once_per_line():
    assert line_net(
        quantity=D(1), unit_price=D("0.005"), discount_percent=D(0), currency="EUR"
    ) == D("0.01")
    assert line_net(
        quantity=D(1), unit_price=D("0.0049"), discount_percent=D(0), currency="EUR"
    ) == D("0.00")
    assert (
        line_net(quantity=D("3"), unit_price=D("0.335"), discount_percent=D(0), currency="EUR")
        == D("1.01")  # 1.005 -> 1.01, half-up, not banker's 1.00
    )


def test_negative_amounts_round_away_from_zero():
    assert line_net(
        quantity=D(1), unit_price=D("-0.005"), discount_percent=D(0), currency="EUR"
    ) == D("-0.01")


def test_discount_is_rounded_on_the_rounded_base():
    # base = round(3 * 3.335 = 10.005) = 10.01; discount = round(1.001) = 1.00;
    # net = 9.01 (a single rounding of 9.0045 would give 9.00).
    totals = compute_totals([line("3.335", "3", discount="10")], currency="EUR")
    assert totals.line_nets == (D("9.01"),)
    # 9.01 * 19 % = 1.7119 -> 1.71
    assert (totals.net, totals.tax, totals.gross) == (D("9.01"), D("1.71"), D("10.72"))


def test_jpy_has_no_decimals():
    totals = compute_totals([line("333.5", "3", rate="10")], currency="JPY")
    # 1000.5 -> 1001 yen; tax 100.1 -> 100 yen
    assert (totals.net, totals.tax, totals.gross) == (D("1001"), D("100"), D("1101"))
    assert totals.gross.as_tuple().exponent == 0


def test_kwd_has_three_decimals():
    totals = compute_totals([line("1.2345", "1", rate="5")], currency="KWD")
    # 1.2345 -> 1.235; tax 0.06175 -> 0.062
    assert (totals.net, totals.tax, totals.gross) == (D("1.235"), D("0.062"), D("1.297"))


def test_tax_is_computed_per_rate_on_the_sum_not_per_line():
    totals = compute_totals([line("0.99") for _ in range(100)], currency="EUR")
    # Per line 0.1881 would round to 0.19 each (19.00 in all); per rate it is
    # 99.00 * 19 % = 18.81.
    assert totals.net == D("99.00")
    assert totals.tax == D("18.81")
    assert totals.gross == D("117.81")
    assert len(totals.tax_groups) == 1


def test_tax_half_cent_on_the_group_sum_rounds_up():
    # Five lines of 0.01 at 10 %: 0.05 * 10 % = 0.005 -> 0.01.
    totals = compute_totals([line("0.01", rate="10") for _ in range(5)], currency="EUR")
    assert (totals.net, totals.tax, totals.gross) == (D("0.05"), D("0.01"), D("0.06"))


def test_summary_groups_by_category_and_rate_highest_rate_first():
    totals = compute_totals(
        [
            line("100.00", rate="7"),
            line("10.10", rate="19"),
            line("50.00", rate="0", category="AE"),
            line("20.05", rate="19.00"),
            line("5.00", rate="7.0"),
        ],
        currency="EUR",
    )
    summary = [(g.category, g.rate, g.net, g.tax) for g in totals.tax_groups]
    assert summary == [
        ("S", D("19.00"), D("30.15"), D("5.73")),  # 5.7285 -> 5.73
        ("S", D("7.00"), D("105.00"), D("7.35")),
        ("AE", D("0.00"), D("50.00"), D("0.00")),
    ]
    assert totals.net == D("185.15")
    assert totals.tax == D("13.08")
    assert totals.gross == totals.net + totals.tax == D("198.23")


def test_tax_summary_from_stored_nets_matches_compute_totals():
    lines = [line("19.99", "7", rate="19"), line("0.333", "3", rate="7", discount="2.5")]
    totals = compute_totals(lines, currency="EUR")
    pairs = zip(lines, totals.line_nets, strict=True)
    again = tax_summary(
        ((item.tax_category, item.tax_rate, net) for item, net in pairs), currency="EUR"
    )
    assert again == totals.tax_groups


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("EUR", D("0.01")), ("JPY", D("1")), ("KWD", D("0.005")), ("CLF", D("0.0050"))],
)
def test_half_of_the_minor_unit_rounds_up_in_every_currency(currency, expected):
    price = {"EUR": "0.005", "JPY": "0.5", "KWD": "0.0045", "CLF": "0.00495"}[currency]
    assert (
        line_net(quantity=D(1), unit_price=D(price), discount_percent=D(0), currency=currency)
        == expected
    )
