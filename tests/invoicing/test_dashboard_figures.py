"""The AR clerk's invoicing figures count this tenant's documents only."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from invoicing import services
from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from tests.factories import CustomerFactory

LINE = services.LineInput(
    description="Service", quantity=Decimal(1), unit_price=Decimal("10"), tax_rate=Decimal(19)
)


def test_ar_clerk_sees_this_tenants_drafts(signed_in_client, tenant_a, tenant_b):
    system = Actor.system("tests")
    with tenant_context(tenant_a):
        customer = CustomerFactory(number="DASH-A")
        for _ in range(2):
            services.invoice_create_draft(
                tenant=tenant_a, actor=system, customer=customer, lines=[LINE]
            )
    with tenant_context(tenant_b):
        other = CustomerFactory(number="DASH-B")
        for _ in range(4):
            services.invoice_create_draft(
                tenant=tenant_b, actor=system, customer=other, lines=[LINE]
            )
    client = signed_in_client(tenant_a, "ar_clerk")
    body = client.get(reverse("web:dashboard", kwargs={"role": "ar_clerk"})).content.decode()
    drafts = body.split('data-testid="kpi-invoices-drafts"', 1)[1][:300]
    assert '<div class="kpi-value">2</div>' in drafts
    assert 'data-testid="kpi-invoices-overdue"' in body
