"""Idempotency under real concurrency: separate threads, separate database
connections, real COMMITs."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from otc.api import key_views
from otc.api.models import ApiKey
from otc.tenancy.context import tenant_context
from tests.factories import TenantFactory
from tests.fixtures_api import client_with_key, issue_api_key

pytestmark = pytest.mark.usefixtures("committed_db")

KEYS_URL = "/api/v1/api-keys/"


def _post(plaintext: str, body: dict, key: str, barrier: threading.Barrier | None = None):
    try:
        client = client_with_key(plaintext)
        if barrier is not None:
            barrier.wait(timeout=10)
        return client.post(KEYS_URL, body, idempotency_key=key)
    finally:
        connections.close_all()  # each thread opened its own connection


def test_five_parallel_retries_create_exactly_one_key():
    tenant = TenantFactory(slug="parallel")
    other = TenantFactory(slug="parallel-other")
    _, plaintext = issue_api_key(tenant, "owner")
    issue_api_key(other, "owner", name="ERP integration")
    barrier = threading.Barrier(5)
    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [
            pool.submit(_post, plaintext, {"name": "ERP integration"}, "same-key", barrier)
            for _ in range(5)
        ]
        responses = [future.result(timeout=60) for future in futures]

    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [response.json() for response in responses if response.status_code == 201]
    assert created, statuses
    assert len({body["id"] for body in created}) == 1
    fresh = [
        response
        for response in responses
        if response.status_code == 201 and "Idempotent-Replayed" not in response
    ]
    assert len(fresh) == 1
    with tenant_context(tenant):
        assert ApiKey.objects.filter(name="ERP integration").count() == 1
    with tenant_context(other):
        assert ApiKey.objects.filter(name="ERP integration").count() == 1  # untouched

    # After the dust settles every retry gets the same answer.
    replay = _post(plaintext, {"name": "ERP integration"}, "same-key")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == created[0]["id"]


def test_retry_while_the_first_is_running_is_409(monkeypatch):
    tenant = TenantFactory(slug="inflight")
    _, plaintext = issue_api_key(tenant, "owner")
    started, release = threading.Event(), threading.Event()
    real_create = key_views.api_key_create

    def slow_create(**kwargs):
        started.set()
        assert release.wait(timeout=10)
        return real_create(**kwargs)

    monkeypatch.setattr(key_views, "api_key_create", slow_create)
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(_post, plaintext, {"name": "Slow"}, "inflight-key")
        assert started.wait(timeout=10)
        retry = _post(plaintext, {"name": "Slow"}, "inflight-key")
        release.set()
        first_response = first.result(timeout=30)

    assert retry.status_code == 409
    assert retry.json()["type"] == "urn:otc:problem:idempotency_key_in_use"
    assert first_response.status_code == 201
    after = _post(plaintext, {"name": "Slow"}, "inflight-key")
    assert after.status_code == 201
    assert after["Idempotent-Replayed"] == "true"
    with tenant_context(tenant):
        assert ApiKey.objects.filter(name="Slow").count() == 1
