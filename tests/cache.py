"""Emptying the cache in a test without touching other test workers' keys.

``cache.clear()`` is FLUSHDB on the Redis cache: it would also delete the
sessions and counters of the other xdist workers sharing that Redis database,
signing them out in the middle of their tests. This deletes only the keys of
this worker's prefix (settings/test.py gives each worker its own).
"""

from __future__ import annotations

import redis
from django.conf import settings


def clear_own_cache() -> None:
    config = settings.CACHES["default"]
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config['KEY_PREFIX']}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
