"""Writing exchange rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from otc.audit.services import Actor, audit_record
from otc.fx.ecb import EcbRate, parse_ecb_feed
from otc.fx.models import ExchangeRate, ManualExchangeRate, RateSource
from otc.tenancy.models import Tenant


@dataclass(frozen=True)
class RateImportResult:
    rates: int
    first_date: date
    last_date: date


def ecb_rates_import(*, content: bytes) -> RateImportResult:
    """Parse a whole ECB feed, then upsert it in one transaction.

    Parsing first means a malformed or truncated feed raises EcbFeedError
    before anything is written; the upsert makes a repeated import (a retried
    task, the daily file fetched twice) change nothing.
    """
    rates: list[EcbRate] = parse_ecb_feed(content)
    rows = [
        ExchangeRate(
            source=RateSource.ECB,
            rate_date=rate.rate_date,
            base_currency="EUR",
            quote_currency=rate.currency,
            rate=rate.rate,
        )
        for rate in rates
    ]
    with transaction.atomic():
        ExchangeRate.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["source", "quote_currency", "rate_date"],
            update_fields=["rate", "imported_at"],
        )
    dates = [rate.rate_date for rate in rates]
    return RateImportResult(rates=len(rows), first_date=min(dates), last_date=max(dates))


def manual_rate_set(
    *,
    tenant: Tenant,
    actor: Actor,
    rate_date: date,
    from_currency: str,
    to_currency: str,
    rate: Decimal,
    note: str = "",
) -> ManualExchangeRate:
    """Create or replace the tenant's own rate for a pair and date."""
    if from_currency == to_currency:
        raise ValueError("A rate needs two different currencies.")
    if rate <= 0:
        raise ValueError("A rate must be positive.")
    with transaction.atomic():
        existing = (
            ManualExchangeRate.objects.for_tenant(tenant)
            .select_for_update()
            .filter(rate_date=rate_date, from_currency=from_currency, to_currency=to_currency)
            .first()
        )
        before = {"rate": existing.rate if existing else None}
        manual, _ = ManualExchangeRate.objects.for_tenant(tenant).update_or_create(
            tenant=tenant,
            rate_date=rate_date,
            from_currency=from_currency,
            to_currency=to_currency,
            defaults={"rate": rate, "note": note, "created_by": actor.user},
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="fx.manual_rate_set",
            instance=manual,
            changes={
                "rate": {"before": str(before["rate"]) if existing else None, "after": str(rate)}
            },
        )
    return manual
