"""Bad input is the caller's problem, never a 500: garbage of many shapes,
sent to a real endpoint and to one with nested, typed fields."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from otc.api.models import ApiKey
from otc.tenancy.context import tenant_context

pytestmark = pytest.mark.urls("tests.otc.api.urls_for_tests")

ENDPOINTS = ["/api/v1/test/echo/", "/api/v1/api-keys/"]

GARBAGE_BODIES: list[bytes] = [
    b"",
    b"{",
    b"}",
    b"[",
    b"null",
    b"true",
    b"0",
    b"-1e999999",
    b'"just a string"',
    b"[1, 2, 3]",
    b"{'single': 'quotes'}",
    b'{"name": NaN, "amount": 1}',
    b'{"name": Infinity, "amount": -Infinity}',
    b'{"name": "x", "amount": 1e999999}',
    b'{"name": "x", "amount": 123456789012345678901234567890}',
    b'{"name": "x", "amount": ' + b"9" * 5000 + b"}",
    b'{"name": "x", "amount": "1.005"}',
    b'{"name": "x", "amount": "   "}',
    b'{"name": "x", "amount": "0x1F"}',
    b'{"name": "x", "amount": "1,50"}',
    b'{"name": "x", "amount": "NaN"}',
    b'{"name": "x", "amount": "-Infinity"}',
    b'{"name": "x", "amount": true}',
    b'{"name": "x", "amount": [1]}',
    b'{"name": "x", "amount": {"value": 1}}',
    b'{"name": null, "amount": null}',
    b'{"name": 12, "amount": "1"}',
    b'{"name": ["x"], "amount": "1"}',
    b'{"name": {"first": "x"}, "amount": "1"}',
    b'{"name": "' + b"x" * 10_000 + b'", "amount": "1"}',
    b'{"name": "\\u0000", "amount": "1"}',
    b'{"name": "\\ud800", "amount": "1"}',
    b'{"name": "x", "amount": "1", "due": "2024-02-30"}',
    b'{"name": "x", "amount": "1", "due": "yesterday"}',
    b'{"name": "x", "amount": "1", "due": 20240101}',
    b'{"name": "x", "amount": "1", "currency": "XXX"}',
    b'{"name": "x", "amount": "1", "currency": ["EUR"]}',
    b'{"name": "x", "amount": "1", "tags": "not-a-list"}',
    b'{"name": "x", "amount": "1", "tags": [null, 1, {}]}',
    b'{"name": "x", "amount": "1", "lines": {"sku": "A"}}',
    b'{"name": "x", "amount": "1", "lines": [null]}',
    b'{"name": "x", "amount": "1", "lines": [[]]}',
    b'{"name": "x", "amount": "1", "lines": [{"sku": "A", "quantity": "many", "amount": "x"}]}',
    b'{"name": "x", "amount": "1", "lines": [{"sku": "A", "quantity": 1.5, "amount": 1}]}',
    b'{"name": "x", "amount": "1", "lines": [{"sku": "A", "quantity": 99999999999999999999999}]}',
    b'{"name": "x", "role": "superuser"}',
    b'{"name": "x", "role": 7}',
    b'{"name": "x", "role": null}',
    b'{"name": "x", "unknown": 1, "also_unknown": {"deep": [1]}}',
    b'{"": "", "name": "x"}',
    b'{"name": "x", "name": "y", "amount": "1"}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"\xff\xfe\x00\x00garbage",
    b"\xc3\x28",
    b'\xef\xbb\xbf{"name": "bom", "amount": "1"}',
    b"\x00" * 64,
]

CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=nonsense",
    "application/json; charset=utf-16",
    "text/plain",
    "application/xml",
    "multipart/form-data; boundary=xyz",
    "application/x-www-form-urlencoded",
    "",
    ";;;",
]


def assert_client_error(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code


def test_garbage_bodies_never_cause_a_server_error(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    for url in ENDPOINTS:
        for body in GARBAGE_BODIES:
            response = owner.post(url, body, content_type="application/json")
            assert response.status_code < 500, (url, body[:80], response.content[:300])
            if response.status_code >= 400:
                assert_client_error(response)


def test_garbage_content_types_never_cause_a_server_error(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    for url in ENDPOINTS:
        for content_type in CONTENT_TYPES:
            for body in (b'{"name": "x", "amount": "1"}', b"\x00garbage"):
                response = owner.post(url, body, content_type=content_type)
                assert response.status_code < 500, (url, content_type, response.content[:300])


def test_garbage_headers_never_cause_a_server_error(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    for key in ["", " ", "x" * 256, "tab\there", "caf\u00e9", "\x7f"]:
        response = owner.post(
            "/api/v1/test/echo/", {"name": "x", "amount": "1"}, idempotency_key=key
        )
        assert_client_error(response)
    anonymous = APIClient()
    for header in ["Bearer \x00", "Bearer " + "x" * 10_000, "bearer", "\u00e9", "Bearer \u00e9"]:
        response = anonymous.get("/api/v1/api-keys/", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
    for query in [
        "?cursor=garbage",
        "?page_size=-1",
        "?page_size=abc",
        "?status=maybe",
        "?search=" + "x" * 500,
    ]:
        response = owner.get("/api/v1/api-keys/" + query)
        assert response.status_code < 500, (query, response.content[:300])


def test_garbage_did_not_write_anything(tenant_a, api_client_for):
    owner = api_client_for(tenant_a, "owner")
    for body in GARBAGE_BODIES:
        owner.post("/api/v1/api-keys/", body, content_type="application/json")
    with tenant_context(tenant_a):
        names = set(ApiKey.objects.values_list("name", flat=True))
    # Only bodies with a valid name and role create keys; no garbage slipped in.
    assert names <= {owner.api_key.name, "x", "bom"}


def test_malformed_json_is_400_parse_error(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        "/api/v1/test/echo/", b'{"name": ', content_type="application/json"
    )
    assert_client_error(response)
    assert response.status_code == 400
    assert response.json()["type"] == "urn:otc:problem:parse_error"


def test_deep_nesting_is_400(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        "/api/v1/test/echo/", b"[" * 100_000 + b"]" * 100_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_unknown_fields_are_rejected_by_name(tenant_a, api_client_for):
    response = api_client_for(tenant_a, "owner").post(
        "/api/v1/api-keys/", {"name": "x", "colour": "red", "secret_hash": "abc"}
    )
    assert response.status_code == 400
    unknown = {e["field"] for e in response.json()["errors"] if e["code"] == "unknown_field"}
    assert unknown == {"colour", "secret_hash"}


def test_wrong_types_are_400_with_the_field(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        "/api/v1/test/echo/", {"name": "x", "amount": {"value": 1}, "tags": "a"}
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"amount", "tags"}


@pytest.mark.parametrize("method", ["post", "patch"])
def test_oversized_body_is_413(tenant_a, api_client_for, settings, method):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({"name": "x" * 2_000, "amount": "1"})
    response = getattr(api_client_for(tenant_a), method)(
        "/api/v1/test/echo/", body, content_type="application/json"
    )
    assert_client_error(response)
    assert response.status_code == 413
    assert response.json()["type"] == "urn:otc:problem:payload_too_large"


def test_amounts_keep_every_digit(tenant_a, api_client_for):
    response = api_client_for(tenant_a).post(
        "/api/v1/test/echo/",
        b'{"name": "x", "amount": 1234567890123456.78, "lines": [{"sku": "A", "quantity": 1, '
        b'"amount": 0.10}]}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # Through a float these would read 1234567890123456.8 (and fail max_digits).
    assert body["amount"] == "1234567890123456.78"
    assert body["lines"][0]["amount"] == "0.10"
