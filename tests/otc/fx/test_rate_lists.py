"""Rates for many currencies or many days at once give exactly what fx_rate
gives one at a time, manual rates included, and never another tenant's."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from otc.audit.services import Actor
from otc.fx.selectors import (
    fx_rate,
    fx_rate_history,
    manual_rate_list,
    rates_on,
    rates_to_base,
)
from otc.fx.services import ecb_rates_import, manual_rate_set
from otc.tenancy.context import tenant_context
from tests.samples import sample

pytestmark = pytest.mark.django_db

FRIDAY = date(2019, 11, 29)
SYSTEM = Actor.system("test")


@pytest.fixture
def hist_90d():
    return ecb_rates_import(content=sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes())


def _manual(tenant, day, from_currency, to_currency, rate, note=""):
    with tenant_context(tenant):
        return manual_rate_set(
            tenant=tenant,
            actor=SYSTEM,
            rate_date=day,
            from_currency=from_currency,
            to_currency=to_currency,
            rate=Decimal(rate),
            note=note,
        )


def test_rates_to_a_euro_base(hist_90d, tenant_a):
    with tenant_context(tenant_a):
        rates = {rate.currency: rate for rate in rates_to_base(tenant=tenant_a, on=FRIDAY)}
    assert len(rates) == 32
    usd = rates["USD"]
    assert (usd.per_base, usd.to_base) == (Decimal("1.0982"), Decimal("0.9105809506"))
    assert (usd.rate_date, usd.source, usd.via_eur) == (FRIDAY, "ECB", False)
    assert usd.name == "US Dollar"
    assert "EUR" not in rates


def test_rates_to_a_dollar_base_are_crossed_through_eur(hist_90d, tenant_b):
    with tenant_context(tenant_b):
        rates = {rate.currency: rate for rate in rates_to_base(tenant=tenant_b, on=FRIDAY)}
    # 1 EUR = 1.0982 USD = 0.85225 GBP
    assert rates["EUR"].to_base == Decimal("1.0982")
    assert rates["EUR"].via_eur is False
    gbp = rates["GBP"]
    assert gbp.per_base == Decimal("0.7760426152")  # 0.85225 / 1.0982
    assert gbp.to_base == Decimal("1.2885890290")  # 1.0982 / 0.85225
    assert gbp.via_eur is True
    assert "USD" not in rates


@pytest.mark.parametrize("day", [FRIDAY, date(2019, 11, 30), date(2019, 12, 5), date(2019, 12, 7)])
def test_every_listed_rate_is_what_fx_rate_gives(hist_90d, tenant_a, tenant_b, day):
    _manual(tenant_a, date(2019, 11, 27), "EUR", "USD", "1.2000", "bank")
    _manual(tenant_a, date(2019, 11, 28), "CHF", "EUR", "0.9100")
    _manual(tenant_a, date(2019, 11, 28), "AED", "EUR", "0.2475")  # the ECB has no AED
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            listed = rates_to_base(tenant=tenant, on=day)
            for rate in listed:
                base = str(tenant.base_currency)
                to_base = fx_rate(
                    tenant=tenant, from_currency=rate.currency, to_currency=base, on=day
                )
                per_base = fx_rate(
                    tenant=tenant, from_currency=base, to_currency=rate.currency, on=day
                )
                assert (rate.to_base, rate.rate_date, rate.source) == (
                    to_base.rate,
                    to_base.rate_date,
                    to_base.source,
                ), rate.currency
                assert rate.per_base == per_base.rate, rate.currency
    with tenant_context(tenant_a):
        sources = {rate.currency: rate.source for rate in rates_to_base(tenant=tenant_a, on=FRIDAY)}
    assert (sources["USD"], sources["CHF"], sources["AED"], sources["GBP"]) == (
        "manual",
        "manual",
        "manual",
        "ECB",
    )


def test_another_tenants_manual_rates_never_show(hist_90d, tenant_a, tenant_b):
    _manual(tenant_a, FRIDAY, "USD", "EUR", "0.5000", "secret contract rate")
    with tenant_context(tenant_b):
        listed = rates_on(tenant=tenant_b, on=FRIDAY)
        assert all(rate.source == "ECB" for rate in listed)
        eur = next(r for r in rates_to_base(tenant=tenant_b, on=FRIDAY) if r.currency == "EUR")
        assert (eur.to_base, eur.source) == (Decimal("1.0982"), "ECB")
        assert manual_rate_list(tenant=tenant_b).count() == 0
    with tenant_context(tenant_a):
        assert [r.note for r in rates_on(tenant=tenant_a, on=FRIDAY) if r.source == "manual"] == [
            "secret contract rate"
        ]


def test_rates_on_a_date_for_one_currency(hist_90d, tenant_a):
    _manual(tenant_a, date(2019, 11, 25), "USD", "EUR", "0.9000")
    _manual(tenant_a, date(2019, 11, 26), "EUR", "USD", "1.1200")  # newer, other direction
    _manual(tenant_a, date(2019, 11, 26), "EUR", "GBP", "0.8600")
    with tenant_context(tenant_a):
        usd = rates_on(tenant=tenant_a, on=date(2019, 11, 30), currency="USD")
    assert [(r.source, r.rate_date, r.from_currency, r.to_currency, r.rate) for r in usd] == [
        ("ECB", FRIDAY, "EUR", "USD", Decimal("1.0982")),
        ("manual", date(2019, 11, 26), "EUR", "USD", Decimal("1.12")),
    ]


def test_history_matches_fx_rate_day_by_day(hist_90d, tenant_a):
    _manual(tenant_a, date(2019, 10, 15), "GBP", "USD", "1.3000")
    start, end = date(2019, 10, 1), date(2019, 10, 31)
    with tenant_context(tenant_a):
        history = fx_rate_history(
            tenant=tenant_a, from_currency="USD", to_currency="GBP", start=start, end=end
        )
        assert [point.day for point in history][:3] == [
            date(2019, 10, 1),
            date(2019, 10, 2),
            date(2019, 10, 3),
        ]
        for point in history:
            assert point.quote == fx_rate(
                tenant=tenant_a, from_currency="USD", to_currency="GBP", on=point.day
            )
        manual_days = [point.day for point in history if point.quote.source == "manual"]
    # The manual rate rules its own day and the six business days of its week after.
    assert manual_days == [date(2019, 10, 15) + timedelta(days=n) for n in (0, 1, 2, 3, 6, 7)]
    assert {point.quote.rate_date for point in history if point.quote.source == "manual"} == {
        date(2019, 10, 15)
    }
    assert history[-1].day == date(2019, 10, 31)


def test_history_refuses_nonsense():
    with pytest.raises(ValueError, match="two different currencies"):
        fx_rate_history(
            tenant=None, from_currency="USD", to_currency="USD", start=FRIDAY, end=FRIDAY
        )
    with pytest.raises(ValueError, match="on or after its start"):
        fx_rate_history(
            tenant=None, from_currency="USD", to_currency="EUR", start=FRIDAY, end=date(2019, 1, 1)
        )
