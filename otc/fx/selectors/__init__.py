"""Reading exchange rates (``rates``), the health of the ECB feed (``feed``)
and the month-end revaluation of open items (``revaluation``, imported from
its module: it reads the ledger, which itself converts through this package).

The names most callers need are importable from here."""

from otc.fx.selectors.feed import FeedStatus, ecb_feed_status
from otc.fx.selectors.rates import (
    ECB_BASE,
    FALLBACK_DAYS,
    RATE_PRECISION,
    BaseRate,
    PublishedRate,
    RateOnDay,
    RateQuote,
    RateUnavailableError,
    fx_convert,
    fx_rate,
    fx_rate_history,
    latest_ecb_rate_date,
    manual_rate_list,
    rates_on,
    rates_to_base,
)

__all__ = [
    "ECB_BASE",
    "FALLBACK_DAYS",
    "RATE_PRECISION",
    "BaseRate",
    "FeedStatus",
    "PublishedRate",
    "RateOnDay",
    "RateQuote",
    "RateUnavailableError",
    "ecb_feed_status",
    "fx_convert",
    "fx_rate",
    "fx_rate_history",
    "latest_ecb_rate_date",
    "manual_rate_list",
    "rates_on",
    "rates_to_base",
]
