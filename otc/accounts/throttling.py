"""Login throttling: failed sign-ins counted per e-mail address and per IP.

Written here rather than taken from django-axes: axes keeps its lockouts in
database tables of its own (outside our tenancy and row-level security
model), adds an authentication backend and middleware, and its lockout
responses differ for known and unknown accounts unless carefully configured.
What we need is two counters with an expiry, which Redis (the cache) gives
atomically in a few lines, shared by every web process.

Fixed windows: the first failure starts a window of
``LOGIN_FAILURE_WINDOW_SECONDS``; once ``LOGIN_FAILURE_LIMIT`` failures are
counted in it, every attempt for that e-mail or from that IP is refused until
the window ends, whether or not the account exists and whether or not the
password is right.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

THROTTLED_MESSAGE = (
    "Too many failed sign-in attempts. For your security, signing in is paused for "
    "a few minutes. Try again later, or reset your password."
)


def _key(kind: str, value: str) -> str:
    # Hashed so that e-mail addresses never appear in cache keys.
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
    return f"login-failures:{kind}:{digest}"


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted
    # proxy rewrites it, and trusting it would let anyone pick a fresh "IP"
    # per attempt. Deployments behind a proxy set REMOTE_ADDR from it there.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _count(key: str) -> int:
    return int(cache.get(key) or 0)


def login_throttled(*, email: str, ip: str) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    return _count(_key("email", email)) >= limit or _count(_key("ip", ip)) >= limit


def login_failure_record(*, email: str, ip: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key in (_key("email", email), _key("ip", ip)):
        # add() only sets a missing key, so the window starts at the first
        # failure; incr() is atomic in Redis and keeps the key's expiry.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)


def login_failures_clear(*, email: str) -> None:
    # Only the e-mail counter: a success with one account must not wipe the
    # IP counter an attacker builds up while guessing other accounts.
    cache.delete(_key("email", email))
