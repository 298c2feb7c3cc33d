"""/api/v1/api-keys/: an owner's integration lists, issues, reads and revokes keys."""

from __future__ import annotations

import pytest

from otc.api.models import ApiKey
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from tests.fixtures_api import client_with_key, issue_api_key

KEYS_URL = "/api/v1/api-keys/"


@pytest.fixture
def owner(tenant_a, api_client_for):
    return api_client_for(tenant_a, "owner", name="Owner automation")


def test_issue_a_key_and_use_it(owner, tenant_a):
    response = owner.post(KEYS_URL, {"name": "  SAP prod  "})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "SAP prod"
    assert body["role"] == "erp_integration"
    assert body["status"] == "active"
    assert body["created_by"] is None  # issued by a key, not a person
    assert response["Location"] == f"{KEYS_URL}{body['id']}/"
    with tenant_context(tenant_a):
        stored = ApiKey.objects.get(pk=body["id"])
    assert body["key"] not in (stored.secret_hash, stored.prefix)
    assert stored.secret_hash != body["key"]
    erp = client_with_key(body["key"])
    assert erp.get(KEYS_URL).status_code == 403  # erp role: not a key manager


def test_list_filters_and_paginates(owner, tenant_a):
    issue_api_key(tenant_a, name="Alpha one")
    revoked, _ = issue_api_key(tenant_a, name="Alpha two")
    owner.post(f"{KEYS_URL}{revoked.pk}/revoke/")
    everything = owner.get(KEYS_URL).json()
    assert [row["name"] for row in everything["results"]] == [
        "Alpha two",
        "Alpha one",
        "Owner automation",
    ]
    active = owner.get(KEYS_URL, {"status": "active"}).json()["results"]
    assert {row["name"] for row in active} == {"Alpha one", "Owner automation"}
    # With a space: a key's random base-36 prefix can itself contain "two".
    found = owner.get(KEYS_URL, {"search": "a two"}).json()["results"]
    assert [row["status"] for row in found] == ["revoked"]
    page = owner.get(KEYS_URL, {"page_size": 2}).json()
    assert len(page["results"]) == 2
    rest = owner.get(page["next"]).json()
    assert [row["name"] for row in rest["results"]] == ["Owner automation"]
    bad = owner.get(KEYS_URL, {"status": "maybe"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "status"


def test_detail_and_revoke(owner, tenant_a):
    target, plaintext = issue_api_key(tenant_a, name="Old ERP")
    detail = owner.get(f"{KEYS_URL}{target.pk}/")
    assert detail.status_code == 200
    assert detail.json()["prefix"] == target.prefix
    assert "key" not in detail.json()
    assert "secret_hash" not in detail.json()

    revoked = owner.post(f"{KEYS_URL}{target.pk}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    assert client_with_key(plaintext).get(KEYS_URL).status_code == 401

    again = owner.post(f"{KEYS_URL}{target.pk}/revoke/")
    assert again.status_code == 200
    with tenant_context(tenant_a):
        assert (
            AuditEvent.objects.filter(action="api_key.revoked", object_id=str(target.pk)).count()
            == 1
        )


def test_invalid_create_input(owner):
    response = owner.post(KEYS_URL, {"name": "", "role": "superuser"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"name", "role"}
    blank = owner.post(KEYS_URL, {"name": "   "})
    assert blank.status_code in (400, 422)
    assert blank.json()["errors"][0]["field"] == "name"


def test_other_tenant_cannot_see_or_revoke(owner, tenant_b):
    foreign, foreign_plaintext = issue_api_key(tenant_b, name="Bravo ERP")
    assert owner.get(f"{KEYS_URL}{foreign.pk}/").status_code == 404
    assert owner.post(f"{KEYS_URL}{foreign.pk}/revoke/").status_code == 404
    assert "Bravo ERP" not in owner.get(KEYS_URL).content.decode()
    with tenant_context(tenant_b):
        assert ApiKey.objects.get(pk=foreign.pk).revoked_at is None
    assert client_with_key(foreign_plaintext).get("/api/v1/api-keys/").status_code == 403


def test_a_key_is_issued_with_an_approval_limit(owner, tenant_a):
    response = owner.post(
        KEYS_URL, {"name": "Bureau sync", "role": "credit_manager", "approval_limit": "25000"}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["role"], body["approval_limit"]) == ("credit_manager", "25000.00")
    assert owner.get(f"{KEYS_URL}{body['id']}/").json()["approval_limit"] == "25000.00"
    default = owner.post(KEYS_URL, {"name": "SAP prod"}).json()
    assert default["approval_limit"] == "0.00"
    negative = owner.post(KEYS_URL, {"name": "Bad", "approval_limit": "-1"})
    assert negative.status_code == 400
    assert [e["field"] for e in negative.json()["errors"]] == ["approval_limit"]
    with tenant_context(tenant_a):
        assert not ApiKey.objects.filter(name="Bad").exists()
        event = AuditEvent.objects.get(action="api_key.created", object_id=str(body["id"]))
    assert event.changes["approval_limit"]["after"] == "25000.00"
