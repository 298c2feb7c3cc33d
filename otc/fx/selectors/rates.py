"""Exchange rates: which rate applies to a pair on a date, and conversion.

Lookup order for `from -> to` on a date:
1. the tenant's manual rate for that pair (or its inverse), on the date or
   the latest before it within the fallback window;
2. ECB reference rates, triangulated through EUR (the ECB quotes EUR -> X
   only), on the date or the last business day before it within the window.
Weekends and holidays have no ECB rate, hence the fallback window.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet

from otc.fx.models import ExchangeRate, ManualExchangeRate, RateSource
from otc.fx.money import currency_name, quantize_money
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


# --- many rates at once (pages, API) -----------------------------------------------
# The functions below give, for many currencies or many dates at once, exactly
# the quotes fx_rate gives one at a time (tests compare them), from a couple
# of queries instead of three per rate.


def _quantized(value: Decimal) -> Decimal:
    return value.quantize(RATE_PRECISION)


def _latest_ecb_rates(on: date) -> dict[str, tuple[Decimal, date]]:
    """EUR -> currency for every currency the ECB quoted within the fallback
    window before `on`, the newest per currency."""
    rows = (
        ExchangeRate.objects.filter(
            source=RateSource.ECB,
            rate_date__lte=on,
            rate_date__gte=on - timedelta(days=FALLBACK_DAYS),
        )
        .order_by("quote_currency", "-rate_date")
        .distinct("quote_currency")
        .values_list("quote_currency", "rate", "rate_date")
    )
    latest = {str(currency): (rate, rate_date) for currency, rate, rate_date in rows}
    if latest:
        latest[ECB_BASE] = (Decimal(1), on)
    return latest


@dataclass(frozen=True)
class BaseRate:
    """One currency against the tenant's base currency, as fx_rate gives it."""

    currency: str
    base_currency: str
    per_base: Decimal  # 1 base currency = per_base currency
    to_base: Decimal  # 1 currency = to_base base currency
    rate_date: date
    source: str  # "manual" or "ECB"
    via_eur: bool  # an ECB cross rate, triangulated through EUR

    @property
    def name(self) -> str:
        return currency_name(self.currency)


def rates_to_base(*, tenant: Tenant, on: date) -> list[BaseRate]:
    """Every currency OTC can convert to the tenant's base currency on `on`
    (ECB currencies and the tenant's manual pairs with the base), by code."""
    base = str(tenant.base_currency)
    earliest = on - timedelta(days=FALLBACK_DAYS)
    manual_rows = (
        ManualExchangeRate.objects.for_tenant(tenant)
        .filter(rate_date__lte=on, rate_date__gte=earliest)
        .filter(Q(from_currency=base) | Q(to_currency=base))
        .order_by("-rate_date", "-id")
    )
    manual: dict[str, ManualExchangeRate] = {}
    for manual_row in manual_rows:
        from_base = str(manual_row.from_currency) == base
        counter = str(manual_row.to_currency if from_base else manual_row.from_currency)
        manual.setdefault(counter, manual_row)  # newest first: the first one wins, as in fx_rate
    ecb = _latest_ecb_rates(on)
    rates: list[BaseRate] = []
    for currency in sorted((set(manual) | set(ecb)) - {base}):
        row = manual.get(currency)
        if row is not None:
            direct = str(row.from_currency) == currency
            rates.append(
                BaseRate(
                    currency=currency,
                    base_currency=base,
                    per_base=_quantized(Decimal(1) / row.rate if direct else row.rate),
                    to_base=_quantized(row.rate if direct else Decimal(1) / row.rate),
                    rate_date=row.rate_date,
                    source="manual",
                    via_eur=False,
                )
            )
        elif base in ecb:
            (eur_to_currency, currency_date), (eur_to_base, base_date) = ecb[currency], ecb[base]
            rates.append(
                BaseRate(
                    currency=currency,
                    base_currency=base,
                    per_base=_quantized(eur_to_currency / eur_to_base),
                    to_base=_quantized(eur_to_base / eur_to_currency),
                    rate_date=min(currency_date, base_date),
                    source=RateSource.ECB.value,
                    via_eur=ECB_BASE not in {currency, base},
                )
            )
    return rates


@dataclass(frozen=True)
class PublishedRate:
    """A rate as it was published or entered: the ECB's EUR -> X, or one of
    the tenant's manual rates."""

    source: str
    rate_date: date
    from_currency: str
    to_currency: str
    rate: Decimal
    note: str = ""


def rates_on(*, tenant: Tenant, on: date, currency: str = "") -> list[PublishedRate]:
    """The rates fx_rate chooses from on `on`: the newest ECB rate of each
    currency and the newest manual rate of each of the tenant's pairs (either
    direction) within the fallback window; with `currency`, only those
    involving it."""
    published = [
        PublishedRate(RateSource.ECB.value, rate_date, ECB_BASE, quote, rate)
        for quote, (rate, rate_date) in sorted(_latest_ecb_rates(on).items())
        if quote != ECB_BASE
    ]
    manual_rows = ManualExchangeRate.objects.for_tenant(tenant).filter(
        rate_date__lte=on, rate_date__gte=on - timedelta(days=FALLBACK_DAYS)
    )
    if currency:
        manual_rows = manual_rows.filter(Q(from_currency=currency) | Q(to_currency=currency))
        published = [
            rate for rate in published if currency in (rate.from_currency, rate.to_currency)
        ]
    seen: set[frozenset[str]] = set()
    for row in manual_rows.order_by("-rate_date", "-id"):
        pair = frozenset({str(row.from_currency), str(row.to_currency)})
        if pair in seen:
            continue
        seen.add(pair)
        published.append(
            PublishedRate(
                "manual",
                row.rate_date,
                str(row.from_currency),
                str(row.to_currency),
                row.rate,
                row.note,
            )
        )
    return published


# A history longer than this is a download, not a page.
HISTORY_MAX_DAYS = 366 * 5


@dataclass(frozen=True)
class RateOnDay:
    day: date
    quote: RateQuote  # what fx_rate gives on `day` (its rate_date may be earlier)


def fx_rate_history(
    *, tenant: Tenant, from_currency: str, to_currency: str, start: date, end: date
) -> list[RateOnDay]:
    """The rate fx_rate gives for the pair on each day in [start, end] that
    has a rate of its own (an ECB publication or a manual rate), oldest first."""
    if from_currency == to_currency:
        raise ValueError("A rate history needs two different currencies.")
    if end < start:
        raise ValueError("The history must end on or after its start.")
    if (end - start).days > HISTORY_MAX_DAYS:
        raise ValueError(f"A rate history covers at most {HISTORY_MAX_DAYS} days.")
    earliest = start - timedelta(days=FALLBACK_DAYS)
    pair = [from_currency, to_currency]
    manual = list(
        ManualExchangeRate.objects.for_tenant(tenant)
        .filter(rate_date__lte=end, rate_date__gte=earliest)
        .filter(from_currency__in=pair, to_currency__in=pair)
        .order_by("-rate_date", "-id")
    )
    quoted = [code for code in pair if code != ECB_BASE]
    ecb: dict[str, list[tuple[date, Decimal]]] = {code: [] for code in quoted}
    for code, rate_date, rate in (
        ExchangeRate.objects.filter(
            source=RateSource.ECB,
            quote_currency__in=quoted,
            rate_date__lte=end,
            rate_date__gte=earliest,
        )
        .order_by("rate_date")
        .values_list("quote_currency", "rate_date", "rate")
    ):
        ecb[str(code)].append((rate_date, rate))

    def ecb_from_eur(code: str, on: date) -> tuple[Decimal, date] | None:
        if code == ECB_BASE:
            return Decimal(1), on
        series = ecb[code]
        index = bisect_right(series, on, key=lambda point: point[0])
        if index == 0 or series[index - 1][0] < on - timedelta(days=FALLBACK_DAYS):
            return None
        return series[index - 1][1], series[index - 1][0]

    days = {row.rate_date for row in manual} | {day for series in ecb.values() for day, _ in series}
    history: list[RateOnDay] = []
    for day in sorted(day for day in days if start <= day <= end):
        window_start = day - timedelta(days=FALLBACK_DAYS)
        row = next((m for m in manual if window_start <= m.rate_date <= day), None)
        if row is not None:
            rate = row.rate if str(row.from_currency) == from_currency else Decimal(1) / row.rate
            quote = RateQuote(from_currency, to_currency, _quantized(rate), row.rate_date, "manual")
            history.append(RateOnDay(day, quote))
            continue
        from_side, to_side = ecb_from_eur(from_currency, day), ecb_from_eur(to_currency, day)
        if from_side is None or to_side is None:
            continue
        quote = RateQuote(
            from_currency,
            to_currency,
            _quantized(to_side[0] / from_side[0]),
            min(from_side[1], to_side[1]),
            RateSource.ECB.value,
        )
        history.append(RateOnDay(day, quote))
    return history


def manual_rate_list(*, tenant: Tenant) -> QuerySet[ManualExchangeRate]:
    """The tenant's own rates, unordered (lists sort them)."""
    return ManualExchangeRate.objects.for_tenant(tenant).select_related("created_by")
