"""The credit figures on the credit roles' dashboards: this tenant's
holds, applications, reviews and near-limit customers only."""

from __future__ import annotations

from django.urls import reverse

from otc.tenancy.context import tenant_context
from tests.credit.helpers import set_limit, submitted
from tests.factories import CustomerFactory


def _kpi(body: str, testid: str) -> str:
    return body.split(f'data-testid="kpi-{testid}"', 1)[1][:400]


def test_credit_dashboard_counts_this_tenants_holds(signed_in_client, tenant_a, tenant_b):
    with tenant_context(tenant_a):
        customer = CustomerFactory(number="HOLD-A")
        set_limit(tenant_a, customer, "100")
        submitted(tenant_a, customer, "250.00")  # over the limit: held
        submitted(tenant_a, customer, "60.00")  # over what is left: held
    with tenant_context(tenant_b):
        other = CustomerFactory(number="HOLD-B")
        set_limit(tenant_b, other, "10")
        for _ in range(3):
            submitted(tenant_b, other, "99.00")
    client = signed_in_client(tenant_a, "credit_analyst")
    body = client.get(reverse("web:dashboard", kwargs={"role": "credit_analyst"})).content.decode()
    held = _kpi(body, "credit-held")
    assert '<div class="kpi-value">2</div>' in held
    assert "310.00" in held
    assert "Arrives with the credit module" not in body


def test_collector_sees_no_credit_figures(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "collector")
    body = client.get(reverse("web:dashboard", kwargs={"role": "collector"})).content.decode()
    assert 'data-testid="kpi-credit-held"' not in body
