from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.fx.services import manual_rate_set
from otc.tenancy.context import tenant_context

SYSTEM = Actor.system("test")


def make_customer(tenant, number: str, name: str = "", currency: str = "EUR") -> Customer:
    return Customer.objects.for_tenant(tenant).create(
        tenant=tenant,
        number=number,
        legal_name=name or f"Customer {number}",
        country="DE",
        currency=currency,
    )


@pytest.fixture
def ledger_a(tenant_a):
    """Tenant A (base EUR) with a customer and USD rates on two dates:
    1 USD = 0.90 EUR on 2026-01-05, 0.85 EUR on 2026-02-05."""
    with tenant_context(tenant_a):
        customer = make_customer(tenant_a, "C-100", "Acme Tools AG")
        for day, rate in ((date(2026, 1, 5), "0.90"), (date(2026, 2, 5), "0.85")):
            manual_rate_set(
                tenant=tenant_a,
                actor=SYSTEM,
                rate_date=day,
                from_currency="USD",
                to_currency="EUR",
                rate=Decimal(rate),
            )
        yield tenant_a, customer
