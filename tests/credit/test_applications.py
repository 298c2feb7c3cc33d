"""Credit applications: statements and ratios, the workflow, routing by the
approver's approval limit with escalation, the decision snapshot, the API
and other tenants' ids."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credit.models import CreditApplication, CreditProfile
from credit.services import (
    application_ratios,
    credit_application_approve,
    credit_application_create,
    credit_application_start_review,
    credit_score_customer,
)
from otc.audit.models import AuditEvent
from otc.audit.services import Actor
from otc.errors import IllegalTransition, ValidationFailed
from otc.tenancy.context import tenant_context
from tests.credit.helpers import SYSTEM, D
from tests.factories import CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db

STATEMENTS = {
    "revenue": D("12000000"),
    "net_income": D("540000"),
    "ebit": D("900000"),
    "interest_expense": D("150000"),
    "current_assets": D("3000000"),
    "inventory": D("1200000"),
    "current_liabilities": D("2000000"),
    "total_liabilities": D("4500000"),
    "equity": D("3000000"),
}


def person(role, limit):
    membership = MembershipFactory(role=role, approval_limit=limit)
    return Actor(user=membership.user, label=membership.user.email)


def test_ratios_and_the_financials_factor(in_tenant_a):
    tenant = in_tenant_a
    customer = CustomerFactory()
    application = credit_application_create(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        requested_limit=D("50000"),
        submit=True,
        **STATEMENTS,
    )
    ratios = application_ratios(application)
    assert (ratios.current_ratio, ratios.quick_ratio, ratios.debt_to_equity) == (
        D("1.50"),
        D("0.90"),
        D("1.50"),
    )
    assert (ratios.interest_cover, ratios.net_margin) == (D("6.00"), D("4.5"))
    score = credit_score_customer(tenant=tenant, actor=SYSTEM, customer=customer)
    financials = next(r for r in score.breakdown if r["factor"] == "financials")
    # current 67, debt/equity 60, interest cover 100, margin 63: mean 72.5 -> 72
    assert financials["points"] == 72
    assert "current ratio 1.50" in financials["input"]
    # No sales with us yet: sized from a tenth of the applicant's revenue.
    assert score.recommended_limit > 0


def test_routing_by_approval_limit_with_escalation(in_tenant_a):
    tenant = in_tenant_a
    analyst, manager = person("credit_analyst", 25_000), person("credit_manager", 250_000)
    customer = CustomerFactory()
    application = credit_application_create(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        requested_limit=D("40000"),
        submit=True,
        trade_references=[{"name": "Stahl AG", "years": 6}],
        **STATEMENTS,
    )
    assert application.kind == "new_customer"
    with pytest.raises(IllegalTransition):
        credit_application_approve(tenant=tenant, actor=analyst, application=application)
    application = credit_application_start_review(
        tenant=tenant, actor=analyst, application=application
    )
    escalated = credit_application_approve(
        tenant=tenant, actor=analyst, application=application, note="Good references"
    )
    assert (escalated.status, escalated.escalated) == ("under_review", True)
    assert escalated.recommended_limit == D("40000.00")
    assert CreditProfile.objects.filter(customer=customer, credit_limit__gt=0).count() == 0
    approved = credit_application_approve(
        tenant=tenant, actor=manager, application=escalated, approved_limit=D("35000")
    )
    assert (approved.status, approved.approved_limit) == ("approved", D("35000.00"))
    assert CreditProfile.objects.get(customer=customer).credit_limit == D("35000.00")
    snapshot = approved.decision_snapshot
    assert set(snapshot) >= {"score", "risk_class", "score_breakdown", "ratios", "exposure"}
    assert snapshot["ratios"]["current_ratio"] == "1.50"
    actions = list(
        AuditEvent.objects.filter(object_type="credit.creditapplication")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "credit.application_created",
        "credit.application_submitted",
        "credit.application_review_started",
        "credit.application_escalated",
        "credit.application_approved",
    ]


def test_bad_statements_are_refused(in_tenant_a):
    with pytest.raises(ValidationFailed) as error:
        credit_application_create(
            tenant=in_tenant_a,
            actor=SYSTEM,
            customer=CustomerFactory(),
            requested_limit=D("-1"),
            inventory=D("-5"),
            trade_references=[{"name": " "}],
        )
    assert set(error.value.errors) == {"requested_limit", "inventory", "trade_references[0].name"}
    assert CreditApplication.objects.count() == 0


def test_api_workflow_and_other_tenants(api_client_for, tenant_a, tenant_b):
    with tenant_context(tenant_b):
        theirs = credit_application_create(
            tenant=tenant_b,
            actor=SYSTEM,
            customer=CustomerFactory(),
            requested_limit=D("9"),
            submit=True,
        )
    with tenant_context(tenant_a):
        customer = CustomerFactory()
    erp = api_client_for(tenant_a)
    manager = api_client_for(tenant_a, role="credit_manager", approval_limit="50000")
    created = erp.post(
        "/api/v1/credit-applications/",
        {
            "customer_id": customer.pk,
            "requested_limit": "20000.00",
            "revenue": "1000000",
            "net_income": "50000",
            "trade_references": [{"name": "Walzwerk GmbH", "years": 3, "limit": "15000"}],
        },
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["status"], data["kind"], data["requested_limit"]) == (
        "submitted",
        "new_customer",
        "20000.00",
    )
    assert data["ratios"]["net_margin"] == "5.0"
    url = f"/api/v1/credit-applications/{data['id']}"
    assert erp.post(f"{url}/approve/", {}).status_code == 403
    assert manager.post(f"{url}/start-review/").json()["status"] == "under_review"
    approved = manager.post(f"{url}/approve/", {"approved_limit": "15000"}).json()
    assert (approved["status"], approved["approved_limit"]) == ("approved", "15000.00")
    profile = manager.get(f"/api/v1/credit-profiles/{customer.pk}/").json()
    assert profile["credit_limit"] == "15000.00"
    unknown = erp.post(
        "/api/v1/credit-applications/", {"customer_id": 10**12, "requested_limit": "1"}
    )
    assert unknown.status_code == 422
    for method, path in [
        ("get", f"/api/v1/credit-applications/{theirs.pk}/"),
        ("post", f"/api/v1/credit-applications/{theirs.pk}/start-review/"),
        ("post", f"/api/v1/credit-applications/{theirs.pk}/reject/"),
    ]:
        response = getattr(manager, method)(path, {"note": "x"} if method == "post" else None)
        assert response.status_code == 404
    foreign = erp.post(
        "/api/v1/credit-applications/", {"customer_id": theirs.customer_id, "requested_limit": "1"}
    )
    assert foreign.status_code == 422
    listing = manager.get("/api/v1/credit-applications/").json()["results"]
    assert [a["id"] for a in listing] == [data["id"]]
    with tenant_context(tenant_b):
        assert CreditApplication.objects.get().status == "submitted"
        assert CreditApplication.objects.count() == 1


def test_decimal_statements_keep_cents(in_tenant_a):
    application = credit_application_create(
        tenant=in_tenant_a,
        actor=SYSTEM,
        customer=CustomerFactory(),
        requested_limit=Decimal("1234.567"),
    )
    assert application.requested_limit == D("1234.57")
