"""Idempotency-Key on POST: replay, mismatch, in-progress, release, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otc.api.idempotency import (
    Claim,
    idempotency_begin,
    request_fingerprint,
)
from otc.api.models import ApiKey, IdempotencyKey
from otc.api.tasks import purge_expired_idempotency_keys
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context

pytestmark = pytest.mark.urls("tests.otc.api.urls_for_tests")

KEYS_URL = "/api/v1/api-keys/"
ECHO_URL = "/api/v1/test/echo/"
ECHO_BODY = b'{"name": "replay me", "amount": "12.50"}'


def _echo_events(tenant) -> int:
    with tenant_context(tenant):
        return AuditEvent.objects.filter(action="test.echo").count()


def test_post_without_key_is_400(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        ECHO_URL, {"name": "x", "amount": "1"}, idempotency_key=None
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "urn:otc:problem:idempotency_key_missing"
    assert "Idempotency-Key" in body["detail"]
    assert _echo_events(tenant_a) == 0


def test_get_needs_no_key(tenant_a, api_client_for):
    assert api_client_for(tenant_a).get(ECHO_URL).status_code == 200


def test_retry_replays_the_first_response(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    first = client.post(
        ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key="order-1"
    )
    second = client.post(
        ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key="order-1"
    )
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Location"] == first["Location"] == "/api/v1/test/echo/1/"
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert second["X-Request-ID"] != first["X-Request-ID"]
    assert _echo_events(tenant_a) == 1


def test_create_api_key_twice_with_one_key_creates_one_and_never_stores_the_secret(
    tenant_a, api_client_for
):
    owner = api_client_for(tenant_a, "owner")
    first = owner.post(KEYS_URL, {"name": "SAP"}, idempotency_key="create-sap")
    second = owner.post(KEYS_URL, {"name": "SAP"}, idempotency_key="create-sap")
    assert first.status_code == second.status_code == 201
    assert first.json()["key"].startswith(first.json()["prefix"] + "_")
    assert second.json() == {**first.json(), "key": None}
    with tenant_context(tenant_a):
        assert ApiKey.objects.filter(name="SAP").count() == 1
        stored = IdempotencyKey.objects.get(key="create-sap")
    assert first.json()["key"].encode() not in bytes(stored.response_body)


def test_same_key_different_body_is_422(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    client.post(ECHO_URL, {"name": "a", "amount": "1"}, idempotency_key="k")
    response = client.post(ECHO_URL, {"name": "b", "amount": "1"}, idempotency_key="k")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:otc:problem:idempotency_key_reused"
    assert _echo_events(tenant_a) == 1


def test_same_key_different_path_is_422(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    owner.post(ECHO_URL, {"name": "a", "amount": "1"}, idempotency_key="k")
    response = owner.post(KEYS_URL, {"name": "a", "amount": "1"}, idempotency_key="k")
    assert response.status_code == 422


def test_keys_are_scoped_to_the_api_key(tenant_a, tenant_b, api_client_for):
    one, two = api_client_for(tenant_a), api_client_for(tenant_a)
    other_tenant = api_client_for(tenant_b)
    for client in (one, two, other_tenant):
        response = client.post(
            ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key="shared"
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response
    assert _echo_events(tenant_a) == 2
    assert _echo_events(tenant_b) == 1


def test_a_retry_while_the_first_runs_is_409(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    with tenant_context(tenant_a):
        claim = idempotency_begin(
            tenant=tenant_a,
            api_key=client.api_key,
            key="busy",
            method="POST",
            path=ECHO_URL,
            body=ECHO_BODY,
        )
    assert isinstance(claim, Claim)
    response = client.post(
        ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key="busy"
    )
    assert response.status_code == 409
    assert response.json()["type"] == "urn:otc:problem:idempotency_key_in_use"
    assert _echo_events(tenant_a) == 0


def test_a_claim_abandoned_by_a_dead_process_is_taken_over(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    with tenant_context(tenant_a):
        idempotency_begin(
            tenant=tenant_a,
            api_key=client.api_key,
            key="orphan",
            method="POST",
            path=ECHO_URL,
            body=ECHO_BODY,
        )
        IdempotencyKey.objects.filter(key="orphan").update(
            locked_at=timezone.now() - timedelta(minutes=6)
        )
    response = client.post(
        ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key="orphan"
    )
    assert response.status_code == 201
    assert _echo_events(tenant_a) == 1


def test_server_errors_release_the_key(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    client.raise_request_exception = False
    assert client.post("/api/v1/test/crash/", {}, idempotency_key="crashy").status_code == 500
    with tenant_context(tenant_a):
        assert not IdempotencyKey.objects.filter(key="crashy").exists()
    again = client.post("/api/v1/test/crash/", {}, idempotency_key="crashy")
    assert again.status_code == 500
    assert "Idempotent-Replayed" not in again


def test_client_errors_are_stored_and_replayed(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    first = client.post(ECHO_URL, {"amount": "1"}, idempotency_key="invalid-once")
    second = client.post(ECHO_URL, {"amount": "1"}, idempotency_key="invalid-once")
    assert first.status_code == second.status_code == 400
    assert second["Idempotent-Replayed"] == "true"
    assert second["Content-Type"] == "application/problem+json"
    assert second.json()["errors"] == first.json()["errors"]


def test_a_failed_operation_keeps_none_of_its_writes_but_its_answer(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    first = client.post("/api/v1/test/errors/conflict/", {}, idempotency_key="conflict-1")
    second = client.post("/api/v1/test/errors/conflict/", {}, idempotency_key="conflict-1")
    assert first.status_code == second.status_code == 409
    assert second["Idempotent-Replayed"] == "true"
    with tenant_context(tenant_a):
        assert not AuditEvent.objects.filter(action="test.before_conflict").exists()


def test_an_expired_key_counts_as_new(tenant_a, api_client_for, settings):
    client = api_client_for(tenant_a)
    client.post(ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key="old")
    with tenant_context(tenant_a):
        IdempotencyKey.objects.filter(key="old").update(
            created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(seconds=1)
        )
    different = client.post(ECHO_URL, {"name": "new", "amount": "1"}, idempotency_key="old")
    assert different.status_code == 201
    assert "Idempotent-Replayed" not in different
    assert _echo_events(tenant_a) == 2


def test_purge_task_deletes_expired_keys_of_every_tenant(
    tenant_a, tenant_b, api_client_for, settings
):
    clients = {tenant_a: api_client_for(tenant_a), tenant_b: api_client_for(tenant_b)}
    for tenant, client in clients.items():
        for key in ("old", "fresh"):
            client.post(ECHO_URL, ECHO_BODY, content_type="application/json", idempotency_key=key)
        with tenant_context(tenant):
            IdempotencyKey.objects.filter(key="old").update(
                created_at=timezone.now() - settings.IDEMPOTENCY_KEY_TTL - timedelta(minutes=1)
            )
    assert purge_expired_idempotency_keys() == 2
    for tenant in clients:
        with tenant_context(tenant):
            assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert purge_expired_idempotency_keys() == 0


def test_fingerprint_covers_method_path_and_body():
    base = request_fingerprint(method="POST", path="/a/", body=b"{}")
    assert base == request_fingerprint(method="post", path="/a/", body=b"{}")
    assert base != request_fingerprint(method="PUT", path="/a/", body=b"{}")
    assert base != request_fingerprint(method="POST", path="/b/", body=b"{}")
    assert base != request_fingerprint(method="POST", path="/a/?x=1", body=b"{}")
    assert base != request_fingerprint(method="POST", path="/a/", body=b"{ }")
