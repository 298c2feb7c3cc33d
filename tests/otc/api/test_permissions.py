"""The role matrix, applied to API keys: read_permission / write_permission on
the view, fail closed without them."""

from __future__ import annotations

import pytest

from otc.tenancy.roles import Perm, Role, role_can

pytestmark = pytest.mark.urls("tests.otc.api.urls_for_tests")

KEYS_URL = "/api/v1/api-keys/"
ECHO_URL = "/api/v1/test/echo/"


def test_owner_key_manages_keys_erp_key_does_not(tenant_a, api_client_for):
    assert api_client_for(tenant_a, "owner").get(KEYS_URL).status_code == 200
    response = api_client_for(tenant_a, "erp_integration").get(KEYS_URL)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:otc:problem:permission_denied"
    assert "erp_integration" in body["detail"]
    assert "api_keys.manage" in body["detail"]


def test_read_only_role_may_read_but_not_write(tenant_a, api_client_for):
    auditor = api_client_for(tenant_a, "auditor")
    assert auditor.get(ECHO_URL).status_code == 200
    response = auditor.post(ECHO_URL, {"name": "x", "amount": "1.00"})
    assert response.status_code == 403
    assert "customers.edit" in response.json()["detail"]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_gets_exactly_what_the_matrix_says(tenant_a, api_client_for, role):
    client = api_client_for(tenant_a, role)
    expected_read = 200 if role_can(role, Perm.CUSTOMERS_VIEW) else 403
    expected_write = 201 if role_can(role, Perm.CUSTOMERS_EDIT) else 403
    assert client.get(ECHO_URL).status_code == expected_read
    assert client.post(ECHO_URL, {"name": "x", "amount": "1.00"}).status_code == expected_write


def test_matrix_spot_checks_are_what_an_erp_needs():
    # Guards the test above against a matrix that grants nothing or everything.
    assert role_can(Role.ERP_INTEGRATION, Perm.CUSTOMERS_EDIT)
    assert not role_can(Role.ERP_INTEGRATION, Perm.API_KEYS_MANAGE)
    assert not role_can(Role.EXECUTIVE, Perm.CUSTOMERS_EDIT)


def test_view_without_permission_attributes_is_closed(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")  # owner holds every permission
    for response in (owner.get("/api/v1/test/forgot/"), owner.post("/api/v1/test/forgot/", {})):
        assert response.status_code == 403
        assert "leaked" not in response.json()
        assert response["Content-Type"] == "application/problem+json"


def test_permission_check_comes_before_idempotency(tenant_a, api_client_for):
    # A caller without the right must hear 403, not "send an Idempotency-Key".
    response = api_client_for(tenant_a, "executive").post(ECHO_URL, {}, idempotency_key=None)
    assert response.status_code == 403
