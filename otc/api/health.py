"""``/healthz`` for load balancers and monitoring.

- database: ``SELECT 1``;
- redis: PING with a one-second timeout (cache, sessions and the Celery
  broker all live there);
- worker: the beat-scheduled task ``record_worker_heartbeat`` stamps the time
  in Redis every 30 s; older than two minutes (or never) means no worker is
  consuming the queue.

200 while database and Redis answer, even with a stale worker ("degraded":
the site still serves people, only background work waits); 503 otherwise,
so a load balancer takes the instance out of rotation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

HEARTBEAT_CACHE_KEY = "worker-heartbeat"
HEARTBEAT_STALE_AFTER = timedelta(minutes=2)
PROBE_TIMEOUT_SECONDS = 1.0


def record_heartbeat(now: datetime | None = None) -> None:
    moment = now or timezone.now()
    cache.set(HEARTBEAT_CACHE_KEY, moment.isoformat(), timeout=24 * 3600)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def redis_ok() -> bool:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def last_heartbeat() -> datetime | None:
    try:
        stamp = cache.get(HEARTBEAT_CACHE_KEY)
    except (redis.RedisError, OSError):
        return None
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def health_report(now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    now = now or timezone.now()
    database = database_ok()
    redis_up = redis_ok()
    heartbeat = last_heartbeat() if redis_up else None
    worker_fresh = heartbeat is not None and now - heartbeat <= HEARTBEAT_STALE_AFTER
    if not (database and redis_up):
        status_text, http_status = "down", 503
    elif not worker_fresh:
        status_text, http_status = "degraded", 200
    else:
        status_text, http_status = "ok", 200
    return http_status, {
        "status": status_text,
        "checks": {
            "database": "ok" if database else "down",
            "redis": "ok" if redis_up else "down",
            "worker": "ok" if worker_fresh else ("stale" if heartbeat else "unknown"),
        },
        "worker_last_seen": heartbeat.isoformat() if heartbeat else None,
        "time": now.isoformat(),
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    http_status, body = health_report()
    return JsonResponse(body, status=http_status)
