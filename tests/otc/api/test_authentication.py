"""Bearer API keys: who gets in, and into which tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otc.api.keys import generate_key
from otc.api.models import ApiKey
from otc.api.services import api_key_revoke
from otc.audit.models import AuditEvent
from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from tests.fixtures_api import client_with_key, issue_api_key

KEYS_URL = "/api/v1/api-keys/"


def assert_unauthenticated(response):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["type"].startswith("urn:otc:problem:")
    return body


def test_missing_header_is_401(db, client):
    body = assert_unauthenticated(client.get(KEYS_URL))
    assert body["type"] == "urn:otc:problem:not_authenticated"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer not-a-key",
        "Bearer otc_live_abcdefgh_" + "x" * 40,  # well-formed, never issued
        "Bearer a b",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer otc_live_ABCDEFGH_" + "x" * 40,
    ],
)
def test_bad_credentials_are_401(db, client, header):
    assert_unauthenticated(client.get(KEYS_URL, HTTP_AUTHORIZATION=header))


def test_non_ascii_header_is_401(db, client):
    assert_unauthenticated(client.get(KEYS_URL, HTTP_AUTHORIZATION="Bearer cl\u00e9"))


def test_right_prefix_wrong_secret_is_401(tenant_a, client):
    api_key, plaintext = issue_api_key(tenant_a, "owner")
    forged = generate_key(prefix=api_key.prefix).plaintext
    assert forged != plaintext
    assert_unauthenticated(client.get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {forged}"))


def test_valid_key_is_accepted_and_marks_last_used(tenant_a):
    api_key, plaintext = issue_api_key(tenant_a, "owner")
    assert api_key.last_used_at is None
    response = client_with_key(plaintext).get(KEYS_URL)
    assert response.status_code == 200
    with tenant_context(tenant_a):
        api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_last_used_is_written_at_most_once_a_minute(tenant_a):
    api_key, plaintext = issue_api_key(tenant_a, "owner")
    client = client_with_key(plaintext)
    client.get(KEYS_URL)
    with tenant_context(tenant_a):
        first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    client.get(KEYS_URL)
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first
        ApiKey.objects.filter(pk=api_key.pk).update(
            last_used_at=timezone.now() - timedelta(minutes=2)
        )
    client.get(KEYS_URL)
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(pk=api_key.pk).last_used_at > first


def test_revoked_key_is_401(tenant_a):
    api_key, plaintext = issue_api_key(tenant_a, "owner")
    client = client_with_key(plaintext)
    assert client.get(KEYS_URL).status_code == 200
    with tenant_context(tenant_a):
        api_key_revoke(tenant=tenant_a, actor=Actor.system("test"), api_key=api_key)
    body = assert_unauthenticated(client.get(KEYS_URL))
    assert "revoked" in body["detail"]


def test_key_of_a_deactivated_tenant_is_401(tenant_a):
    _, plaintext = issue_api_key(tenant_a, "owner")
    tenant_a.is_active = False
    tenant_a.save(update_fields=["is_active"])
    assert_unauthenticated(client_with_key(plaintext).get(KEYS_URL))


def test_a_key_only_ever_sees_its_own_tenant(tenant_a, tenant_b):
    key_a, plaintext_a = issue_api_key(tenant_a, "owner", name="Alpha ERP")
    key_b, _ = issue_api_key(tenant_b, "owner", name="Bravo ERP")
    client = client_with_key(plaintext_a)

    listed = client.get(KEYS_URL).json()["results"]
    assert [row["id"] for row in listed] == [key_a.pk]

    missing = client.get(f"{KEYS_URL}999999999/")
    foreign = client.get(f"{KEYS_URL}{key_b.pk}/")
    assert missing.status_code == foreign.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k not in ("instance", "request_id")}  # noqa: E731
    assert strip(missing.json()) == strip(foreign.json())

    revoke = client.post(f"{KEYS_URL}{key_b.pk}/revoke/")
    assert revoke.status_code == 404
    with tenant_context(tenant_b):
        assert ApiKey.objects.get(pk=key_b.pk).revoked_at is None
        assert not AuditEvent.objects.filter(action="api_key.revoked").exists()


def test_request_carries_tenant_and_key_for_the_audit_trail(tenant_a):
    api_key, plaintext = issue_api_key(tenant_a, "owner")
    response = client_with_key(plaintext).post(
        KEYS_URL, {"name": "Created by API"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 201, response.json()
    with tenant_context(tenant_a):
        event = AuditEvent.objects.get(
            action="api_key.created", object_id=str(response.json()["id"])
        )
    assert event.actor_api_key_id == api_key.pk
    assert api_key.prefix in event.actor_label
    assert event.actor_user is None
    assert event.request_id == response["X-Request-ID"]


def test_the_keys_tenant_does_not_outlive_the_call(tenant_a):
    # Called without middleware (as some tests do), the view itself must put
    # the context back, or the next test would run as tenant A.
    from rest_framework.test import APIRequestFactory

    from otc.api.key_views import ApiKeyListApi
    from otc.tenancy.context import current_tenant

    _, plaintext = issue_api_key(tenant_a, "owner")
    request = APIRequestFactory().get(KEYS_URL, HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert current_tenant() is None
    response = ApiKeyListApi.as_view()(request)
    assert response.status_code == 200
    assert current_tenant() is None
