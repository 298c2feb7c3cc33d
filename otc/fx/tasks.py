"""The daily ECB refresh (scheduled in CELERY_BEAT_SCHEDULE).

Idempotent by construction: the import is an upsert keyed on source,
currency and date, so a retried task, the catch-up run or two workers
fetching the same file change nothing the second time. A network error is
retried with exponential backoff; a malformed feed is not (the same bytes
would fail again) and waits for the next scheduled run. Every failure is on
the feed's health record before the task ends, and anything that leaves the
rates unhealthy is logged at ERROR for whoever watches the logs.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.utils import timezone

from otc.fx.calendar import latest_publication_due
from otc.fx.ecb import EcbFeedError
from otc.fx.providers import FeedUnavailableError
from otc.fx.selectors import ecb_feed_status
from otc.fx.services import ecb_rates_refresh

logger = logging.getLogger(__name__)

MAX_RETRIES = 6
# 1, 2, 4, 8, 16, 32 minutes: about an hour of trying before the catch-up
# run takes over. No jitter: one beat schedules one refresh, there is no herd.
BACKOFF_FACTOR_SECONDS = 60
BACKOFF_MAX_SECONDS = 45 * 60


def _log_if_unhealthy() -> None:
    status = ecb_feed_status()
    if status.is_stale or status.latest_rate_date is None:
        logger.error("ECB rate feed alert: %s", " ".join(status.alerts))


@shared_task(bind=True, name="otc.fx.tasks.refresh_ecb_rates", max_retries=MAX_RETRIES)
def refresh_ecb_rates(self: Any, only_if_behind: bool = False) -> str:
    """Fetch settings.ECB_DAILY_URL and import it. With `only_if_behind`
    (the catch-up run) nothing is fetched when the newest due publication
    is already stored."""
    if only_if_behind:
        latest = ecb_feed_status().latest_rate_date
        if latest is not None and latest >= latest_publication_due(timezone.now()):
            return f"up to date: rates of {latest.isoformat()} stored"
    location = settings.ECB_DAILY_URL
    try:
        result = ecb_rates_refresh(location=location, timeout=settings.ECB_FETCH_TIMEOUT_SECONDS)
    except FeedUnavailableError as error:
        retries: int = self.request.retries
        if error.retryable and retries < MAX_RETRIES:
            countdown = get_exponential_backoff_interval(
                factor=BACKOFF_FACTOR_SECONDS,
                retries=retries,
                maximum=BACKOFF_MAX_SECONDS,
                full_jitter=False,
            )
            logger.warning(
                "ECB rate refresh failed (attempt %d of %d), retrying in %d s: %s",
                retries + 1,
                MAX_RETRIES + 1,
                countdown,
                error,
            )
            raise self.retry(exc=error, countdown=countdown) from error
        logger.error("ECB rate refresh failed, no rate changed: %s", error)
        _log_if_unhealthy()
        return f"failed: {error}"
    except EcbFeedError as error:
        logger.error("ECB rate feed is malformed, no rate changed: %s", error)
        _log_if_unhealthy()
        return f"malformed feed: {error}"
    _log_if_unhealthy()
    return f"imported {result.rates} rates, {result.first_date} to {result.last_date}"
