"""Per-key rate limit: a fixed window counted in Redis.

DRF's SimpleRateThrottle keeps a list of timestamps and writes it back
(read-modify-write), which loses counts when several web processes serve one
key at once. An atomic INCR on a key per window is exact across processes
and costs one round trip. The rate comes from
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]`` (e.g. "1200/min").
"""

from __future__ import annotations

import time
from typing import Any

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
        key = f"throttle:{self.scope}:{api_key.pk}:{window}"
        # add() creates the counter with an expiry only if it is missing, so
        # the window's key disappears by itself.
        cache.add(key, 0, timeout=self.duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=self.duration + 1)
            count = 1
        if count <= self.num_requests:
            return True
        self._wait = (window + 1) * self.duration - now
        return False

    def wait(self) -> float | None:
        return self._wait or None
