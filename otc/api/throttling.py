"""Per-key rate limit: a fixed window counted in Redis.

DRF's SimpleRateThrottle keeps a list of timestamps and writes it back
(read-modify-write), which loses counts when several web processes serve one
key at once. An atomic INCR on a key per window is exact across processes
and costs one round trip (INCR and EXPIRE pipelined). The rate comes from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]`` (e.g. "1200/min").
"""

from __future__ import annotations

import functools
import time
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from otc.api.models import ApiKey

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'1200/min' -> (1200, 60); the period is read by its first letter, as in DRF."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


@functools.cache
def _counter_store() -> redis.Redis:
    """One client (and connection pool) per process, on the cache's Redis.

    Not the cache API: Django's Redis cache builds a new client for every
    call and its incr() is two round trips, several milliseconds on a path
    every API request takes.
    """
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])


class ApiKeyRateThrottle(BaseThrottle):
    scope = "api_key"

    def __init__(self) -> None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.num_requests: int | None = None
        self.duration: int | None = None
        if rate:
            self.num_requests, self.duration = parse_rate(str(rate))
        self._wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey) or not self.num_requests or not self.duration:
            return True
        now = time.time()
        window = int(now // self.duration)
        # The cache's key prefix keeps deployments (and test workers) sharing
        # one Redis apart. Re-setting the expiry on every call only keeps a
        # finished window's key a little longer: the window is in its name.
        key = cache.make_key(f"throttle:{self.scope}:{api_key.pk}:{window}")
        pipeline = _counter_store().pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, self.duration + 1)
        count, _ = pipeline.execute()
        if count <= self.num_requests:
            return True
        self._wait = (window + 1) * self.duration - now
        return False

    def wait(self) -> float | None:
        return self._wait or None
