"""Fixtures for invoicing: two tenants (A in EUR, B in USD), a customer in
each, 2/10 net 30 terms and USD rates on two dates for A."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.audit.services import Actor
from otc.fx.services import manual_rate_set
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory, PaymentTermsFactory

JAN = date(2026, 1, 5)
FEB = date(2026, 2, 5)


@pytest.fixture
def actor(owner_a):
    return Actor(user=owner_a, label=owner_a.email)


@pytest.fixture
def terms_a(tenant_a):
    with tenant_context(tenant_a):
        return PaymentTermsFactory(
            code="2-10-NET30",
            name="2 % 10 days, net 30",
            net_days=30,
            discount_percent=Decimal("2.00"),
            discount_days=10,
        )


@pytest.fixture
def customer_a(tenant_a, terms_a):
    with tenant_context(tenant_a):
        return CustomerFactory(
            number="A-100", legal_name="Acme Maschinenbau GmbH", payment_terms=terms_a
        )


@pytest.fixture
def customer_b(tenant_b):
    with tenant_context(tenant_b):
        return CustomerFactory(number="B-100", legal_name="Bravo Buyer Inc", country="US")


@pytest.fixture
def usd_rates_a(tenant_a):
    """1 USD = 0.90 EUR on 2026-01-05, 0.85 EUR on 2026-02-05 (manual rates)."""
    with tenant_context(tenant_a):
        for day, rate in ((JAN, "0.90"), (FEB, "0.85")):
            manual_rate_set(
                tenant=tenant_a,
                actor=Actor.system("tests"),
                rate_date=day,
                from_currency="USD",
                to_currency="EUR",
                rate=Decimal(rate),
            )
