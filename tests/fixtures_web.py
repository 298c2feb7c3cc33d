"""Fixtures for HTML tests: a browser session signed in as a member of a
tenant with a given role.

Use it from any test module once tests/conftest.py lists this file in
``pytest_plugins``::

    def test_page(signed_in_client, tenant_a):
        client = signed_in_client(tenant_a, "credit_analyst")
        assert client.get("/").status_code == 302
        client.user, client.membership  # the member behind the session
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.test import Client

from otc.tenancy.context import tenant_context
from otc.tenancy.middleware import SESSION_TENANT_KEY
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Role
from tests.factories import UserFactory

_sequence = itertools.count(1)

SignedInClient = Callable[..., Client]


def sign_in(client: Client, membership: Membership) -> Client:
    """Sign `client` in as the membership's user, working in its tenant."""
    client.force_login(membership.user)
    session = client.session
    session[SESSION_TENANT_KEY] = membership.tenant_id
    session.save()
    client.user = membership.user  # type: ignore[attr-defined]
    client.membership = membership  # type: ignore[attr-defined]
    return client


@pytest.fixture
def signed_in_client(db: None) -> SignedInClient:
    """Factory: ``signed_in_client(tenant, role, approval_limit=..., email=...)``
    creates a user with an active membership and returns a signed-in Client
    (with ``.user`` and ``.membership``). Each call is a new person."""

    def make(
        tenant: Tenant,
        role: str | Role,
        *,
        approval_limit: Decimal | int = 0,
        email: str | None = None,
    ) -> Client:
        role = Role(role)
        user = UserFactory(email=email or f"{role.value}-{next(_sequence)}@{tenant.slug}.example")
        with tenant_context(tenant):
            membership = Membership.objects.for_tenant(tenant).create(
                tenant=tenant, user=user, role=role.value, approval_limit=approval_limit
            )
        return sign_in(Client(), membership)

    return make


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in-process. Work enqueued with ``delay_on_commit``
    still waits for a commit: wrap the request in
    ``django_capture_on_commit_callbacks(execute=True)`` to run it."""
    from otc.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
