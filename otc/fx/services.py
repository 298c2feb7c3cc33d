"""Writing exchange rates and the health of the feeds they come from."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.errors import ValidationFailed
from otc.fx.ecb import EcbFeedError, EcbRate, parse_ecb_feed
from otc.fx.models import (
    RATE_DECIMALS,
    RATE_DIGITS,
    ExchangeRate,
    ManualExchangeRate,
    RateFeedHealth,
    RateSource,
)
from otc.fx.money import is_known_currency
from otc.fx.providers import FeedUnavailableError, fetch_feed
from otc.tenancy.models import Tenant

logger = logging.getLogger(__name__)

# The last words of an error message kept on the health record: enough to
# say what broke, short enough for a dashboard.
_ERROR_MESSAGE_LIMIT = 2000


@dataclass(frozen=True)
class RateImportResult:
    rates: int
    first_date: date
    last_date: date


def _health_locked(source: str) -> RateFeedHealth:
    """The source's health row, created on first use and locked, so two
    workers recording at once never lose an update."""
    RateFeedHealth.objects.get_or_create(source=source)
    return RateFeedHealth.objects.select_for_update().get(source=source)


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
    dates = [rate.rate_date for rate in rates]
    last_date = max(dates)
    with transaction.atomic():
        ExchangeRate.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["source", "quote_currency", "rate_date"],
            update_fields=["rate", "imported_at"],
        )
        health = _health_locked(RateSource.ECB)
        # An old history file imported after the daily refresh must not
        # make the feed look older than it is.
        if health.latest_rate_date is None or last_date > health.latest_rate_date:
            health.latest_rate_date = last_date
            health.save(update_fields=["latest_rate_date"])
    return RateImportResult(rates=len(rows), first_date=min(dates), last_date=last_date)


def feed_refresh_succeeded(*, source: str, result: RateImportResult) -> RateFeedHealth:
    with transaction.atomic():
        health = _health_locked(source)
        now = timezone.now()
        health.last_attempt_at = now
        health.last_success_at = now
        health.last_success_rates = result.rates
        health.consecutive_failures = 0
        health.save(
            update_fields=[
                "last_attempt_at",
                "last_success_at",
                "last_success_rates",
                "consecutive_failures",
            ]
        )
    return health


def feed_refresh_failed(*, source: str, message: str) -> RateFeedHealth:
    """Record a failed attempt; the rates already stored stay as they were."""
    with transaction.atomic():
        health = _health_locked(source)
        now = timezone.now()
        health.last_attempt_at = now
        health.last_error_at = now
        health.last_error = message[:_ERROR_MESSAGE_LIMIT]
        health.consecutive_failures += 1
        health.save(
            update_fields=["last_attempt_at", "last_error_at", "last_error", "consecutive_failures"]
        )
    return health


def ecb_rates_refresh(*, location: str, timeout: float) -> RateImportResult:
    """Fetch the ECB feed at `location`, import it and record how it went.

    Raises FeedUnavailableError (check `.retryable`) when the feed cannot be
    read and EcbFeedError when it is malformed; either way the failure is
    on the health record first and no stored rate has changed.
    """
    try:
        content = fetch_feed(location, timeout=timeout)
        result = ecb_rates_import(content=content)
    except (FeedUnavailableError, EcbFeedError) as error:
        kind = "malformed feed" if isinstance(error, EcbFeedError) else "feed unavailable"
        feed_refresh_failed(source=RateSource.ECB, message=f"{kind}: {error}")
        raise
    feed_refresh_succeeded(source=RateSource.ECB, result=result)
    return result


class ManualRateError(ValidationFailed, ValueError):
    """A manual rate the service refuses; `errors` names the field. Also a
    ValueError, as the service raised before it had field errors."""


def _check_manual_rate(*, from_currency: str, to_currency: str, rate: Decimal) -> None:
    errors: dict[str, list[str]] = {}
    for field, code in (("from_currency", from_currency), ("to_currency", to_currency)):
        if not is_known_currency(code):
            errors[field] = [f"'{code}' is not an ISO 4217 currency code, e.g. EUR or USD."]
    if from_currency == to_currency and not errors:
        errors["to_currency"] = ["A rate needs two different currencies."]
    if not rate.is_finite() or rate <= 0:
        errors["rate"] = ["A rate must be a positive number."]
    else:
        exponent = rate.normalize().as_tuple().exponent  # 1.50000 has two decimals
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        integer_digits = rate.adjusted() + 1 if rate >= 1 else 0
        max_integer_digits = RATE_DIGITS - RATE_DECIMALS
        if decimals > RATE_DECIMALS or integer_digits > max_integer_digits:
            message = (
                f"A rate has at most {max_integer_digits} digits before and "
                f"{RATE_DECIMALS} after the decimal point."
            )
            errors["rate"] = [message]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ManualRateError(first, errors=errors)


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
    _check_manual_rate(from_currency=from_currency, to_currency=to_currency, rate=rate)
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


@dataclass(frozen=True)
class ManualRateInput:
    """One manual rate of a batch: 1 `from_currency` = `rate` `to_currency`."""

    rate_date: date
    from_currency: str
    to_currency: str
    rate: Decimal
    note: str = ""


def manual_rates_set_many(
    *, tenant: Tenant, actor: Actor, rates: Sequence[ManualRateInput]
) -> list[ManualExchangeRate]:
    """Create or replace many of the tenant's own rates at once (a bank's
    rate sheet, months of a contract rate), exactly as ``manual_rate_set``
    would one by one: the same checks, one audit event per rate with the
    rate it replaced. A few statements in all. All or nothing: the first bad
    rate raises ManualRateError naming its position, and nothing is written."""
    seen: set[tuple[date, str, str]] = set()
    for index, entry in enumerate(rates):
        try:
            _check_manual_rate(
                from_currency=entry.from_currency, to_currency=entry.to_currency, rate=entry.rate
            )
        except ManualRateError as error:
            raise ManualRateError(
                f"Rate {index + 1} ({entry.rate_date.isoformat()} {entry.from_currency}/"
                f"{entry.to_currency}): {error.detail}",
                errors={
                    f"rates[{index}].{name}": messages for name, messages in error.errors.items()
                },
            ) from error
        key = (entry.rate_date, entry.from_currency, entry.to_currency)
        if key in seen:
            raise ManualRateError(
                f"Rate {index + 1}: {entry.from_currency}/{entry.to_currency} on "
                f"{entry.rate_date.isoformat()} appears twice in the batch.",
                errors={f"rates[{index}].rate_date": ["This pair and date appear twice."]},
            )
        seen.add(key)
    if not rates:
        return []
    with transaction.atomic():
        dates = {entry.rate_date for entry in rates}
        existing = {
            (row.rate_date, str(row.from_currency), str(row.to_currency)): row.rate
            for row in ManualExchangeRate.objects.for_tenant(tenant)
            .select_for_update()
            .filter(rate_date__gte=min(dates), rate_date__lte=max(dates))
            .filter(
                from_currency__in={entry.from_currency for entry in rates},
                to_currency__in={entry.to_currency for entry in rates},
            )
        }
        saved = ManualExchangeRate.objects.for_tenant(tenant).bulk_create(
            [
                ManualExchangeRate(
                    tenant=tenant,
                    rate_date=entry.rate_date,
                    from_currency=entry.from_currency,
                    to_currency=entry.to_currency,
                    rate=entry.rate,
                    note=entry.note,
                    created_by=actor.user,
                )
                for entry in rates
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["tenant", "from_currency", "to_currency", "rate_date"],
            update_fields=["rate", "note", "created_by"],
        )
        audit_record_many(
            tenant=tenant,
            actor=actor,
            entries=[
                AuditEntry(
                    action="fx.manual_rate_set",
                    instance=manual,
                    changes={
                        "rate": {"before": _before(existing, entry), "after": str(entry.rate)}
                    },
                )
                for manual, entry in zip(saved, rates, strict=True)
            ],
        )
    return saved


def _before(existing: dict[tuple[date, str, str], Decimal], entry: ManualRateInput) -> str | None:
    rate = existing.get((entry.rate_date, entry.from_currency, entry.to_currency))
    return None if rate is None else str(rate)
