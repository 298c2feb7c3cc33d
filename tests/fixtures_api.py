"""Fixtures for REST API tests: a client holding a real API key.

Use it from any test module once tests/conftest.py lists this file in
``pytest_plugins``::

    def test_list(api_client_for, tenant_a):
        client = api_client_for(tenant_a)                 # role erp_integration
        owner = api_client_for(tenant_a, role="owner")
        response = client.post("/api/v1/customers/", {...})   # Idempotency-Key added
        client.post(url, data, idempotency_key="fixed-key")    # a chosen key
        client.post(url, data, idempotency_key=None)           # no header at all
        client.api_key, client.plaintext_key                   # the key behind it

Requests go out as JSON unless ``format=`` or ``content_type=`` says otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from otc.api.models import ApiKey
from otc.api.services import api_key_create
from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Role

_AUTO = object()


class OtcAPIClient(APIClient):
    """An APIClient that speaks JSON and sends a fresh Idempotency-Key with
    every POST unless told otherwise."""

    default_format = "json"
    api_key: ApiKey
    plaintext_key: str

    def post(  # type: ignore[override]
        self,
        path: str,
        data: Any = None,
        *,
        format: str | None = None,  # noqa: A002  (APIClient's own parameter name)
        content_type: str | None = None,
        follow: bool = False,
        idempotency_key: Any = _AUTO,
        **extra: Any,
    ) -> Any:
        if idempotency_key is _AUTO:
            extra.setdefault("HTTP_IDEMPOTENCY_KEY", str(uuid.uuid4()))
        elif idempotency_key is not None:
            extra["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return super().post(
            path, data, format=format, content_type=content_type, follow=follow, **extra
        )


def issue_api_key(
    tenant: Tenant,
    role: str | Role = Role.ERP_INTEGRATION,
    name: str = "",
    approval_limit: Decimal = Decimal(0),
) -> tuple[ApiKey, str]:
    with tenant_context(tenant):
        issued = api_key_create(
            tenant=tenant,
            actor=Actor.system("tests"),
            name=name or f"Test key ({Role(role).value})",
            role=role,
            approval_limit=approval_limit,
        )
    return issued.api_key, issued.plaintext


def client_with_key(plaintext: str) -> OtcAPIClient:
    client = OtcAPIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


ApiClientFor = Callable[..., OtcAPIClient]


@pytest.fixture
def api_client_for(db: None) -> ApiClientFor:
    """Factory: ``api_client_for(tenant, role="erp_integration")`` issues a
    real API key in that tenant and returns a client sending it."""

    def make(
        tenant: Tenant,
        role: str | Role = Role.ERP_INTEGRATION,
        *,
        name: str = "",
        approval_limit: str = "0",
    ) -> OtcAPIClient:
        api_key, plaintext = issue_api_key(tenant, role, name, Decimal(approval_limit))
        client = client_with_key(plaintext)
        client.api_key = api_key
        client.plaintext_key = plaintext
        return client

    return make
