"""/healthz: database, Redis and worker heartbeat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from otc.api import health
from otc.api.tasks import record_worker_heartbeat


@pytest.fixture(autouse=True)
def _no_heartbeat():
    cache.delete(health.HEARTBEAT_CACHE_KEY)
    yield
    cache.delete(health.HEARTBEAT_CACHE_KEY)


def test_all_up_with_a_fresh_heartbeat_is_ok(db, client):
    record_worker_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "redis": "ok", "worker": "ok"}
    assert body["worker_last_seen"] is not None


def test_no_worker_ever_is_degraded_but_200(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == "unknown"


def test_stale_heartbeat_is_degraded(db, client):
    health.record_heartbeat(timezone.now() - timedelta(minutes=3))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["worker"] == "stale"


def test_redis_down_is_503(db, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"]["redis"] == "down"
    assert body["checks"]["database"] == "ok"


def test_database_down_is_503(db, client, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "down"


def test_healthz_needs_no_login_and_is_not_cached(db, client):
    response = client.get("/healthz")
    assert response.status_code in (200, 503)
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405
