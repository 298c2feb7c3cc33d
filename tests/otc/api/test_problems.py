"""Every error under /api/v1/ is application/problem+json (RFC 9457)."""

from __future__ import annotations

import pytest

from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context

pytestmark = pytest.mark.urls("tests.otc.api.urls_for_tests")

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "request_id"}


def assert_problem(response, status, type_suffix):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_MEMBERS
    assert body["status"] == status
    assert body["type"] == f"urn:otc:problem:{type_suffix}"
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_unknown_url_under_api_is_a_problem(db, client):
    body = assert_problem(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing/"


def test_unknown_url_with_a_key_is_a_problem(tenant_a, api_client_for):
    assert_problem(api_client_for(tenant_a).get("/api/v1/nothing/here"), 404, "not_found")


def test_id_out_of_bigint_range_is_404_not_500(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    assert_problem(owner.get("/api/v1/api-keys/99999999999999999999999/"), 404, "not_found")
    assert_problem(owner.get("/api/v1/api-keys/0/"), 404, "not_found")


def test_method_not_allowed(tenant_a, api_client_for):
    response = api_client_for(tenant_a, "owner").put("/api/v1/api-keys/", {})
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_post_to_a_read_only_url_is_405_even_without_idempotency_key(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    key = owner.api_key
    response = owner.post(f"/api/v1/api-keys/{key.pk}/", {}, idempotency_key=None)
    assert_problem(response, 405, "method_not_allowed")


def test_unsupported_media_type(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        "/api/v1/test/echo/", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_not_acceptable(tenant_a, api_client_for):
    response = api_client_for(tenant_a).get("/api/v1/test/echo/", HTTP_ACCEPT="text/html")
    assert_problem(response, 406, "not_acceptable")


def test_validation_errors_carry_field_paths(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        "/api/v1/test/echo/",
        {
            "amount": "abc",
            "lines": [
                {"sku": "A", "quantity": 1, "amount": "1.00"},
                {"sku": "B", "quantity": 0, "amount": "1.00", "colour": "red"},
            ],
        },
    )
    body = assert_problem(response, 400, "validation_error")
    fields = {(error["field"], error["code"]) for error in body["errors"]}
    assert ("name", "required") in fields
    assert ("amount", "invalid") in fields
    assert ("lines[1].quantity", "min_value") in fields
    assert ("lines[1].colour", "unknown_field") in fields
    assert not any(error["field"].startswith("lines[0]") for error in body["errors"])


def test_non_object_body_is_a_whole_request_error(tenant_a, api_client_for):
    body = assert_problem(
        api_client_for(tenant_a).post("/api/v1/test/echo/", [1, 2, 3]), 400, "validation_error"
    )
    assert body["errors"][0]["field"] is None


@pytest.mark.parametrize(
    ("kind", "status", "type_suffix"),
    [
        ("not_found", 404, "not_found"),
        ("validation", 422, "validation_failed"),
        ("conflict", 409, "conflict"),
        ("transition", 409, "illegal_transition"),
        ("not_permitted", 403, "not_permitted"),
        ("domain", 422, "domain_error"),
    ],
)
def test_domain_errors_map_to_http_and_roll_back(
    tenant_a, api_client_for, kind, status, type_suffix
):
    response = api_client_for(tenant_a).post(f"/api/v1/test/errors/{kind}/", {})
    body = assert_problem(response, status, type_suffix)
    with tenant_context(tenant_a):
        assert not AuditEvent.objects.filter(action=f"test.before_{kind}").exists()
    if kind == "validation":
        assert {(e["field"], e["message"]) for e in body["errors"]} == {
            ("lines[0].amount", "Too much."),
            (None, "No."),
        }
    if kind == "transition":
        assert body["detail"] == "Cannot go from 'paid' to 'draft'."


def test_crash_is_a_500_problem_without_internals(tenant_a, api_client_for):
    client = api_client_for(tenant_a)
    client.raise_request_exception = False
    response = client.post("/api/v1/test/crash/", {})
    body = assert_problem(response, 500, "server_error")
    assert "boom" not in response.content.decode()
    assert body["instance"] == "/api/v1/test/crash/"
    with tenant_context(tenant_a):
        assert not AuditEvent.objects.filter(action="test.before_crash").exists()


@pytest.mark.parametrize("position", ["abc", "2026-01-01", "99999999999999999999", "1' OR 1=1"])
def test_forged_cursor_is_404_not_500(api_client_for, tenant_a, position):
    import base64
    from urllib.parse import urlencode

    client = api_client_for(tenant_a, role="owner")
    forged = base64.b64encode(urlencode({"p": position}).encode()).decode()
    first = client.get("/api/v1/customers/")
    assert first.status_code == 200  # the route exists: a 404 below is the cursor's
    response = client.get(f"/api/v1/customers/?cursor={forged}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    assert "cursor" in response.json()["detail"].lower()
