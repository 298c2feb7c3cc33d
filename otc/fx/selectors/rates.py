"""Exchange rates: which rate applies to a pair on a date, and conversion.

Lookup order for `from -> to` on a date:
1. the tenant's manual rate for that pair (or its inverse), on the date or
   the latest before it within the fallback window;
2. ECB reference rates, triangulated through EUR (the ECB quotes EUR -> X
   only), on the date or the last business day before it within the window.
Weekends and holidays have no ECB rate, hence the fallback window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from otc.fx.models import ExchangeRate, ManualExchangeRate, RateSource
from otc.fx.money import quantize_money
from otc.tenancy.models import Tenant

ECB_BASE = "EUR"
FALLBACK_DAYS = 7
RATE_PRECISION = Decimal("1E-10")


class RateUnavailableError(LookupError):
    """No rate for the pair on or shortly before the date."""


@dataclass(frozen=True)
class RateQuote:
    from_currency: str
    to_currency: str
    rate: Decimal  # 1 from_currency = rate to_currency
    rate_date: date  # the date of the rate actually used (may precede the asked date)
    source: str  # "identity", "manual" or "ECB"


def _manual_rate(
    *, tenant: Tenant, from_currency: str, to_currency: str, on: date
) -> RateQuote | None:
    earliest = on - timedelta(days=FALLBACK_DAYS)
    candidates = (
        ManualExchangeRate.objects.for_tenant(tenant)
        .filter(rate_date__lte=on, rate_date__gte=earliest)
        .filter(
            from_currency__in=[from_currency, to_currency],
            to_currency__in=[from_currency, to_currency],
        )
        .order_by("-rate_date", "-id")
    )
    manual = candidates.first()
    if manual is None:
        return None
    rate = manual.rate if manual.from_currency == from_currency else Decimal(1) / manual.rate
    return RateQuote(
        from_currency, to_currency, rate.quantize(RATE_PRECISION), manual.rate_date, "manual"
    )


def _ecb_rate_from_eur(currency: str, on: date) -> tuple[Decimal, date]:
    if currency == ECB_BASE:
        return Decimal(1), on
    row = (
        ExchangeRate.objects.filter(
            source=RateSource.ECB,
            quote_currency=currency,
            rate_date__lte=on,
            rate_date__gte=on - timedelta(days=FALLBACK_DAYS),
        )
        .order_by("-rate_date")
        .values_list("rate", "rate_date")
        .first()
    )
    if row is None:
        raise RateUnavailableError(
            f"No ECB rate for {currency} on {on.isoformat()} or the {FALLBACK_DAYS} days before."
        )
    return row[0], row[1]


def fx_rate(*, tenant: Tenant, from_currency: str, to_currency: str, on: date) -> RateQuote:
    if from_currency == to_currency:
        return RateQuote(from_currency, to_currency, Decimal(1), on, "identity")
    manual = _manual_rate(
        tenant=tenant, from_currency=from_currency, to_currency=to_currency, on=on
    )
    if manual is not None:
        return manual
    eur_to_from, from_date = _ecb_rate_from_eur(from_currency, on)
    eur_to_to, to_date = _ecb_rate_from_eur(to_currency, on)
    rate = (eur_to_to / eur_to_from).quantize(RATE_PRECISION)
    return RateQuote(
        from_currency, to_currency, rate, min(from_date, to_date), RateSource.ECB.value
    )


def fx_convert(
    *, tenant: Tenant, amount: Decimal, from_currency: str, to_currency: str, on: date
) -> tuple[Decimal, RateQuote]:
    """`amount` in `to_currency`, rounded to its minor unit, and the rate used."""
    quote = fx_rate(tenant=tenant, from_currency=from_currency, to_currency=to_currency, on=on)
    return quantize_money(amount * quote.rate, to_currency), quote


def latest_ecb_rate_date() -> date | None:
    return (
        ExchangeRate.objects.filter(source=RateSource.ECB)
        .order_by("-rate_date")
        .values_list("rate_date", flat=True)
        .first()
    )
