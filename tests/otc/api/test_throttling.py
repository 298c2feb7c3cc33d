"""Per-key rate limit: 429 problem with Retry-After, one key at a time."""

from __future__ import annotations

import pytest

from otc.api import throttling
from otc.api.throttling import parse_rate


@pytest.fixture
def three_per_minute(settings, monkeypatch):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"},
    }
    # Pin the clock mid-window, so a minute boundary cannot reset the count.
    monkeypatch.setattr(throttling.time, "time", lambda: 1_800_000_030.0)


def test_fourth_request_in_a_minute_is_429(tenant_a, api_client_for, three_per_minute):
    client = api_client_for(tenant_a, "owner")
    for _ in range(3):
        assert client.get("/api/v1/api-keys/").status_code == 200
    response = client.get("/api/v1/api-keys/")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:otc:problem:throttled"
    assert response["Retry-After"] == "30"


def test_each_key_has_its_own_budget(tenant_a, api_client_for, three_per_minute):
    busy, quiet = api_client_for(tenant_a, "owner"), api_client_for(tenant_a, "owner")
    for _ in range(4):
        busy.get("/api/v1/api-keys/")
    assert busy.get("/api/v1/api-keys/").status_code == 429
    assert quiet.get("/api/v1/api-keys/").status_code == 200


def test_unauthenticated_calls_are_refused_before_counting(db, client, three_per_minute):
    for _ in range(5):
        assert client.get("/api/v1/api-keys/").status_code == 401


def test_parse_rate():
    assert parse_rate("1200/min") == (1200, 60)
    assert parse_rate("10/s") == (10, 1)
    assert parse_rate("5/hour") == (5, 3600)
    assert parse_rate("100/day") == (100, 86400)
