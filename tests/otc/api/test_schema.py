"""The OpenAPI schema is valid OpenAPI 3 and describes what clients need."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate


@pytest.fixture
def schema(db, client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_yaml_is_served_too(db, client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"openapi:" in response.content


def test_schema_documents_bearer_auth(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    operation = schema["paths"]["/api/v1/api-keys/"]["get"]
    assert {"ApiKeyAuth": []} in operation["security"]


def test_schema_documents_idempotency_key_on_post(schema):
    post = schema["paths"]["/api/v1/api-keys/"]["post"]
    header = next(p for p in post["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header"
    assert header["required"] is True
    get = schema["paths"]["/api/v1/api-keys/"]["get"]
    assert all(p["name"] != "Idempotency-Key" for p in get.get("parameters", []))


def test_schema_documents_problem_responses(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "request_id", "errors"} <= set(
        problem["properties"]
    )
    post = schema["paths"]["/api/v1/api-keys/"]["post"]
    assert "201" in post["responses"]
    for code in ("400", "401", "403", "409", "413", "415", "422", "429"):
        content = post["responses"][code]["content"]
        assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    assert "Retry-After" in post["responses"]["429"]["headers"]
    detail = schema["paths"]["/api/v1/api-keys/{api_key_id}/"]["get"]
    assert "404" in detail["responses"]


def test_docs_page_works_offline(db, client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
