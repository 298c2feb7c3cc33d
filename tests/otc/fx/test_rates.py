"""Importing rates and converting with them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.audit.models import AuditEvent
from otc.audit.services import Actor
from otc.fx.ecb import EcbFeedError
from otc.fx.models import ExchangeRate, ManualExchangeRate
from otc.fx.money import minor_units, quantize_money
from otc.fx.selectors import RateUnavailableError, fx_convert, fx_rate
from otc.fx.services import ecb_rates_import, manual_rate_set
from otc.tenancy.context import tenant_context
from tests.samples import sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def hist_90d():
    return ecb_rates_import(content=sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes())


def test_import_is_idempotent(hist_90d):
    assert hist_90d.rates == 2080
    assert (hist_90d.first_date, hist_90d.last_date) == (date(2019, 9, 2), date(2019, 11, 29))
    again = ecb_rates_import(content=sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes())
    assert again.rates == 2080
    assert ExchangeRate.objects.count() == 2080


def test_malformed_feed_changes_no_rate(hist_90d):
    before = ExchangeRate.objects.get(quote_currency="USD", rate_date=date(2019, 11, 29)).rate
    broken = (
        b'<E xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>'
        b"<Cube time='2019-11-29'><Cube currency='USD' rate='9.99'/>"
        b"<Cube currency='JPY' rate='oops'/></Cube></Cube></E>"
    )
    with pytest.raises(EcbFeedError):
        ecb_rates_import(content=broken)
    assert (
        ExchangeRate.objects.get(quote_currency="USD", rate_date=date(2019, 11, 29)).rate == before
    )
    assert ExchangeRate.objects.count() == 2080


def test_triangulation_through_eur(hist_90d, tenant_a):
    # 2019-11-29: 1 EUR = 1.0982 USD, 1 EUR = 0.85225 GBP
    quote = fx_rate(tenant=tenant_a, from_currency="USD", to_currency="GBP", on=date(2019, 11, 29))
    assert quote.rate == (Decimal("0.85225") / Decimal("1.0982")).quantize(Decimal("1E-10"))
    assert quote.source == "ECB"
    amount, _ = fx_convert(
        tenant=tenant_a,
        amount=Decimal("1000.00"),
        from_currency="USD",
        to_currency="GBP",
        on=date(2019, 11, 29),
    )
    assert amount == Decimal("776.04")


def test_direct_and_inverse_eur_rates(hist_90d, tenant_a):
    usd, _ = fx_convert(
        tenant=tenant_a,
        amount=Decimal("100.00"),
        from_currency="EUR",
        to_currency="USD",
        on=date(2019, 11, 29),
    )
    eur, _ = fx_convert(
        tenant=tenant_a,
        amount=Decimal("109.82"),
        from_currency="USD",
        to_currency="EUR",
        on=date(2019, 11, 29),
    )
    assert usd == Decimal("109.82")
    assert eur == Decimal("100.00")


def test_weekend_falls_back_to_last_business_day(hist_90d, tenant_a):
    saturday = date(2019, 11, 30)
    quote = fx_rate(tenant=tenant_a, from_currency="EUR", to_currency="USD", on=saturday)
    assert quote.rate_date == date(2019, 11, 29)
    assert quote.rate == Decimal("1.0982")


def test_no_rate_far_beyond_the_feed(hist_90d, tenant_a):
    with pytest.raises(RateUnavailableError, match="No ECB rate for USD"):
        fx_rate(tenant=tenant_a, from_currency="EUR", to_currency="USD", on=date(2020, 3, 1))


def test_manual_rate_overrides_for_its_tenant_only(hist_90d, tenant_a, tenant_b, owner_a):
    day = date(2019, 11, 29)
    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=Actor(user=owner_a, label=owner_a.email),
            rate_date=day,
            from_currency="EUR",
            to_currency="USD",
            rate=Decimal("1.1000"),
            note="bank rate",
        )
        assert fx_rate(
            tenant=tenant_a, from_currency="EUR", to_currency="USD", on=day
        ).rate == Decimal("1.1")
        inverse = fx_rate(tenant=tenant_a, from_currency="USD", to_currency="EUR", on=day)
        assert inverse.source == "manual"
        assert inverse.rate == Decimal("0.9090909091")
        assert AuditEvent.objects.filter(action="fx.manual_rate_set").count() == 1
    with tenant_context(tenant_b):
        assert ManualExchangeRate.objects.count() == 0
        quote = fx_rate(tenant=tenant_b, from_currency="EUR", to_currency="USD", on=day)
        assert (quote.rate, quote.source) == (Decimal("1.0982"), "ECB")


def test_manual_rate_set_replaces_same_day(tenant_a, owner_a):
    day = date(2026, 1, 5)
    actor = Actor(user=owner_a, label=owner_a.email)
    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=actor,
            rate_date=day,
            from_currency="EUR",
            to_currency="CHF",
            rate=Decimal("0.93"),
        )
        manual_rate_set(
            tenant=tenant_a,
            actor=actor,
            rate_date=day,
            from_currency="EUR",
            to_currency="CHF",
            rate=Decimal("0.94"),
        )
        assert list(ManualExchangeRate.objects.values_list("rate", flat=True)) == [Decimal("0.94")]
        with pytest.raises(ValueError, match="positive"):
            manual_rate_set(
                tenant=tenant_a,
                actor=actor,
                rate_date=day,
                from_currency="EUR",
                to_currency="CHF",
                rate=Decimal("0"),
            )


@pytest.mark.parametrize(
    ("currency", "digits", "amount", "rounded"),
    [
        ("EUR", 2, Decimal("10.005"), Decimal("10.01")),
        ("EUR", 2, Decimal("-10.005"), Decimal("-10.01")),
        ("JPY", 0, Decimal("1234.5"), Decimal("1235")),
        ("KWD", 3, Decimal("1.2345"), Decimal("1.235")),
        ("CLF", 4, Decimal("1.23455"), Decimal("1.2346")),
    ],
)
def test_minor_units_and_half_up_rounding(currency, digits, amount, rounded):
    assert minor_units(currency) == digits
    assert quantize_money(amount, currency) == rounded
