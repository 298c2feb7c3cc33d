"""rows_update writes each row's own values, typed as its columns (text,
NULLs, foreign keys), and never touches another tenant's rows."""

from __future__ import annotations

import pytest

from otc.customers.models import Customer, PaymentTerms
from otc.tenancy.context import tenant_context
from otc.tenancy.managers import rows_update

pytestmark = pytest.mark.django_db


def _customer(tenant, number):
    return Customer.objects.for_tenant(tenant).create(
        tenant=tenant, number=number, legal_name=f"Customer {number}", country="DE", currency="EUR"
    )


def test_each_row_gets_its_values_and_other_tenants_rows_stay(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        foreign = _customer(tenant_b, "B-1")
    with tenant_context(tenant_a):
        terms = PaymentTerms.objects.for_tenant(tenant_a).create(
            tenant=tenant_a, code="N30", name="Net 30", net_days=30
        )
        first, second = _customer(tenant_a, "A-1"), _customer(tenant_a, "A-2")
        first.legal_name, first.payment_terms = "Acme Tools AG", terms
        second.legal_name, second.payment_terms = "Bolt & Co", None
        foreign.legal_name = "Changed"
        rows_update(
            tenant=tenant_a, objs=[first, second, foreign], fields=["legal_name", "payment_terms"]
        )
        rows = dict(Customer.objects.for_tenant(tenant_a).values_list("number", "legal_name"))
        assert rows == {"A-1": "Acme Tools AG", "A-2": "Bolt & Co"}
        assert Customer.objects.for_tenant(tenant_a).get(pk=first.pk).payment_terms_id == terms.pk
        assert Customer.objects.for_tenant(tenant_a).get(pk=second.pk).payment_terms_id is None
    with tenant_context(tenant_b):
        assert Customer.objects.for_tenant(tenant_b).get(pk=foreign.pk).legal_name == "Customer B-1"
