"""The ECB's publishing calendar: euro reference rates appear on TARGET2
business days only (Monday to Friday, except New Year's Day, Good Friday,
Easter Monday, 1 May, 25 and 26 December), around 16:00 Central European
time. Staleness is measured in these days, so a long Easter weekend never
looks like a broken feed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

ECB_TIMEZONE = ZoneInfo("Europe/Berlin")
# The ECB publishes "around 16:00 CET"; before this time today's rates are not due yet.
ECB_PUBLISHED_BY = time(16, 0)


@cache
def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def target_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),
            easter - timedelta(days=2),
            easter + timedelta(days=1),
            date(year, 5, 1),
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_target_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in target_holidays(day.year)


def target_business_days_between(earlier: date, later: date) -> int:
    """Business days after `earlier` up to and including `later` (0 when
    `later` is not after `earlier`)."""
    count = 0
    day = earlier + timedelta(days=1)
    while day <= later:
        count += is_target_business_day(day)
        day += timedelta(days=1)
    return count


def last_target_business_day(on: date) -> date:
    day = on
    while not is_target_business_day(day):
        day -= timedelta(days=1)
    return day


def latest_publication_due(now: datetime) -> date:
    """The newest rate date the ECB should have published by `now`."""
    local = now.astimezone(ECB_TIMEZONE)
    today = local.date()
    if local.time() < ECB_PUBLISHED_BY:
        today -= timedelta(days=1)
    return last_target_business_day(today)
