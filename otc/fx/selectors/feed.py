"""How the ECB feed is doing, for the FX page and the dashboards.

The alert is read, not sent: the health record says what the last refresh
did, and staleness is judged at read time against the ECB's calendar, so a
feed that silently stopped (no worker, no beat) shows as stale even though
nothing recorded an error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from otc.fx.calendar import latest_publication_due, target_business_days_between
from otc.fx.models import ExchangeRate, RateFeedHealth, RateSource


@dataclass(frozen=True)
class FeedStatus:
    source: str
    latest_rate_date: date | None
    # ECB publications due since the latest rate date that we do not hold.
    business_days_behind: int | None
    stale_after_business_days: int
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_success_rates: int
    last_error_at: datetime | None
    last_error: str
    consecutive_failures: int
    alerts: tuple[str, ...]

    @property
    def is_alert(self) -> bool:
        return bool(self.alerts)

    @property
    def is_stale(self) -> bool:
        return (
            self.business_days_behind is not None
            and self.business_days_behind > self.stale_after_business_days
        )

    @property
    def last_attempt_failed(self) -> bool:
        return self.last_error_at is not None and (
            self.last_success_at is None or self.last_error_at > self.last_success_at
        )


def stale_after_business_days() -> int:
    return int(settings.ECB_STALE_AFTER_BUSINESS_DAYS)


def ecb_feed_status(*, now: datetime | None = None) -> FeedStatus:
    """The ECB feed's health and its alerts (empty when all is well)."""
    now = now or timezone.now()
    health = RateFeedHealth.objects.filter(source=RateSource.ECB).first()
    latest = health.latest_rate_date if health is not None else None
    if latest is None:
        # Rates imported before the health record existed still count.
        latest = (
            ExchangeRate.objects.filter(source=RateSource.ECB)
            .order_by("-rate_date")
            .values_list("rate_date", flat=True)
            .first()
        )
    behind = (
        target_business_days_between(latest, latest_publication_due(now))
        if latest is not None
        else None
    )
    status = FeedStatus(
        source=RateSource.ECB.value,
        latest_rate_date=latest,
        business_days_behind=behind,
        stale_after_business_days=stale_after_business_days(),
        last_attempt_at=health.last_attempt_at if health else None,
        last_success_at=health.last_success_at if health else None,
        last_success_rates=health.last_success_rates if health else 0,
        last_error_at=health.last_error_at if health else None,
        last_error=health.last_error if health else "",
        consecutive_failures=health.consecutive_failures if health else 0,
        alerts=(),
    )
    alerts: list[str] = []
    if latest is None:
        alerts.append(
            "No ECB reference rates are stored: conversions without a manual rate fail. "
            "Import a history with `manage.py import_ecb_rates` or wait for the daily refresh."
        )
    elif status.is_stale:
        alerts.append(
            f"The newest ECB rates are from {latest:%d %b %Y}: {behind} ECB publications are "
            "missing. Conversions fall back to older rates and fail a week after the last one."
        )
    if status.last_attempt_failed:
        alerts.append(
            f"The last ECB refresh failed ({status.consecutive_failures} attempt"
            f"{'s' if status.consecutive_failures != 1 else ''} in a row): {status.last_error}"
        )
    return replace(status, alerts=tuple(alerts))
