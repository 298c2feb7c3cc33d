"""Settings → API keys in the browser."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from otc.api.models import ApiKey
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from tests.fixtures_api import client_with_key, issue_api_key

LIST_URL = "/settings/api-keys/"
NEW_URL = "/settings/api-keys/new/"


@pytest.fixture
def owner_client(tenant_a, signed_in_client):
    return signed_in_client(tenant_a, "owner", email="keys-owner@alpha.example")


def test_list_shows_this_tenants_keys_only(owner_client, tenant_a, tenant_b):
    issue_api_key(tenant_a, name="Alpha SAP")
    issue_api_key(tenant_b, name="Bravo Oracle")
    response = owner_client.get(LIST_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alpha SAP" in page
    assert "Bravo Oracle" not in page
    assert "otc_live_" in page  # the prefix
    assert 'data-testid="api-key-table"' in page


def test_list_filters_and_sorts(owner_client, tenant_a):
    issue_api_key(tenant_a, name="Zulu")
    gone, _ = issue_api_key(tenant_a, name="Yankee")
    with tenant_context(tenant_a):
        from otc.api.services import api_key_revoke
        from otc.audit.services import Actor

        api_key_revoke(tenant=tenant_a, actor=Actor.system(), api_key=gone)
    active = owner_client.get(LIST_URL, {"status": "active"}).content.decode()
    assert "Zulu" in active
    assert "Yankee" not in active
    searched = owner_client.get(LIST_URL, {"q": "yank"}).content.decode()
    assert "Yankee" in searched
    assert "Zulu" not in searched
    by_name = owner_client.get(LIST_URL, {"sort": "name"}).content.decode()
    assert by_name.index("Yankee") < by_name.index("Zulu")
    by_name_desc = owner_client.get(LIST_URL, {"sort": "-name"}).content.decode()
    assert by_name_desc.index("Zulu") < by_name_desc.index("Yankee")
    empty = owner_client.get(LIST_URL, {"q": "nothing-like-this"}).content.decode()
    assert "No API keys match" in empty


def test_create_shows_the_key_once(owner_client, tenant_a):
    form = owner_client.get(NEW_URL)
    assert form.status_code == 200
    response = owner_client.post(NEW_URL, {"name": "NetSuite", "role": "erp_integration"})
    assert response.status_code == 302
    created_url = response["Location"]
    page = owner_client.get(created_url)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "You will not see this key again" in html
    assert "data-copy-target" in html
    plaintext = re.search(r'value="(otc_live_[a-z0-9]{8}_[A-Za-z0-9]{40})"', html).group(1)

    assert client_with_key(plaintext).get("/api/v1/api-keys/").status_code == 403  # erp role
    with tenant_context(tenant_a):
        api_key = ApiKey.objects.get(name="NetSuite")
        assert api_key.created_by == owner_client.user
        event = AuditEvent.objects.get(action="api_key.created")
        assert event.actor_user == owner_client.user
        assert plaintext not in str(event.changes)

    again = owner_client.get(created_url).content.decode()
    assert plaintext not in again
    assert "cannot be shown again" in again


def test_create_with_errors_says_what_to_fix(owner_client, tenant_a):
    response = owner_client.post(NEW_URL, {"name": "   ", "role": "nonsense"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html
    assert "Give the key a name" in html
    with tenant_context(tenant_a):
        assert not ApiKey.objects.exists()


def test_revoke_asks_then_revokes(owner_client, tenant_a):
    api_key, plaintext = issue_api_key(tenant_a, name="Retiring ERP")
    url = f"/settings/api-keys/{api_key.pk}/revoke/"
    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert "Retiring ERP" in confirm.content.decode()
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None  # GET changes nothing
    response = owner_client.post(url)
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    with tenant_context(tenant_a):
        revoked = ApiKey.objects.get(pk=api_key.pk)
    assert revoked.revoked_at is not None
    assert revoked.revoked_by == owner_client.user
    assert client_with_key(plaintext).get("/api/v1/api-keys/").status_code == 401


def test_other_tenants_key_is_404_and_stays_active(owner_client, tenant_b):
    foreign, plaintext = issue_api_key(tenant_b, "owner", name="Bravo key")
    for url in (
        f"/settings/api-keys/{foreign.pk}/revoke/",
        f"/settings/api-keys/{foreign.pk}/created/",
    ):
        assert owner_client.get(url).status_code == 404
    assert owner_client.post(f"/settings/api-keys/{foreign.pk}/revoke/").status_code == 404
    assert owner_client.get("/settings/api-keys/999999999/revoke/").status_code == 404
    with tenant_context(tenant_b):
        assert ApiKey.objects.get(pk=foreign.pk).revoked_at is None
        assert not AuditEvent.objects.filter(action="api_key.revoked").exists()
    assert client_with_key(plaintext).get("/api/v1/api-keys/").status_code == 200


@pytest.mark.parametrize("role", ["ar_clerk", "credit_manager", "auditor", "executive"])
def test_only_key_managers_get_in(tenant_a, signed_in_client, role):
    client = signed_in_client(tenant_a, role)
    api_key, _ = issue_api_key(tenant_a, name="Hands off")
    assert client.get(LIST_URL).status_code == 403
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, {"name": "sneaky", "role": "owner"}).status_code == 403
    assert client.post(f"/settings/api-keys/{api_key.pk}/revoke/").status_code == 403
    with tenant_context(tenant_a):
        assert not ApiKey.objects.filter(name="sneaky").exists()
        assert ApiKey.objects.get(pk=api_key.pk).revoked_at is None


def test_signed_out_visitors_are_sent_to_sign_in(db, client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_key_is_issued_with_an_approval_limit_from_the_page(owner_client, tenant_a):
    assert 'name="approval_limit"' in owner_client.get(NEW_URL).content.decode()
    response = owner_client.post(
        NEW_URL, {"name": "Bureau sync", "role": "credit_manager", "approval_limit": "1500"}
    )
    assert response.status_code == 302
    assert "Approval limit" in owner_client.get(response["Location"]).content.decode()
    refused = owner_client.post(NEW_URL, {"name": "Bad", "approval_limit": "-5"})
    assert refused.status_code == 200
    assert "approval_limit" in refused.context["form"].errors
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(name="Bureau sync").approval_limit == Decimal("1500.00")
        assert not ApiKey.objects.filter(name="Bad").exists()
    listing = owner_client.get(LIST_URL).content.decode()
    assert "Approval limit" in listing
