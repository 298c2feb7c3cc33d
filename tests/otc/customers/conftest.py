"""Fixtures for the customer master tests: an actor, members with the roles
that matter here, and a customer in each of the two tenants."""

from __future__ import annotations

import pytest

from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, MembershipFactory, UserFactory


@pytest.fixture
def actor(owner_a):
    return Actor(user=owner_a, label=owner_a.email)


@pytest.fixture
def collector_a(tenant_a):
    user = UserFactory(email="collector@alpha.example", full_name="Cora Collector")
    with tenant_context(tenant_a):
        MembershipFactory(tenant=tenant_a, user=user, role="collector")
    return user


@pytest.fixture
def clerk_a(tenant_a):
    user = UserFactory(email="clerk@alpha.example", full_name="Carl Clerk")
    with tenant_context(tenant_a):
        MembershipFactory(tenant=tenant_a, user=user, role="ar_clerk")
    return user


@pytest.fixture
def collector_b(tenant_b):
    user = UserFactory(email="collector@bravo.example")
    with tenant_context(tenant_b):
        MembershipFactory(tenant=tenant_b, user=user, role="collector")
    return user


@pytest.fixture
def customer_a(tenant_a):
    with tenant_context(tenant_a):
        return CustomerFactory(legal_name="Acme Maschinenbau GmbH", number="A-100")


@pytest.fixture
def customer_b(tenant_b):
    with tenant_context(tenant_b):
        return CustomerFactory(
            legal_name="Bravo Buyer Inc", number="B-100", country="US", external_ref="ERP-B"
        )
