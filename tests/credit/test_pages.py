"""The credit pages: worklist, held order with its decisions, customer
credit page, policy settings; other tenants' ids answer 404."""

from __future__ import annotations

import pytest

from credit.models import CreditApplication, CreditLimitChange, CreditPolicy, CreditProfile, Order
from otc.tenancy.context import tenant_context
from tests.credit.helpers import D, post_invoice, set_limit, submitted
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(in_tenant_a):
    customer = CustomerFactory(legal_name="Hebel Antriebe GmbH")
    set_limit(in_tenant_a, customer, "1000")
    post_invoice(in_tenant_a, customer, "850")
    submitted(in_tenant_a, customer, "100", external_ref="SO-SMALL")
    return submitted(in_tenant_a, customer, "5000", external_ref="SO-HELD")


@pytest.fixture
def theirs(tenant_b):
    with tenant_context(tenant_b):
        customer = CustomerFactory()
        set_limit(tenant_b, customer, "10")
        return submitted(tenant_b, customer, "50")


def test_worklist_shows_held_orders_and_full_customers(signed_in_client, tenant_a, held):
    client = signed_in_client(tenant_a, "credit_analyst")
    page = client.get("/credit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "SO-HELD" in html
    assert "Over limit by EUR 4,950.00" in html
    assert "Hebel Antriebe GmbH" in html
    assert page.context["held_count"] == 1
    assert [o.external_ref for o in page.context["held"]] == ["SO-HELD"]
    assert [p.customer_id for p in page.context["over_utilized"]] == [held.customer_id]


def test_release_from_the_page_and_form_errors(signed_in_client, tenant_a, held):
    client = signed_in_client(tenant_a, "credit_analyst")
    detail = client.get(f"/credit/orders/{held.pk}/")
    assert detail.status_code == 200
    assert b"Release" in detail.content
    too_much = client.post(f"/credit/orders/{held.pk}/release/", {"amount": "5000.01"})
    assert too_much.status_code == 400
    assert "at most the order total, EUR 5,000.00" in too_much.content.decode()
    no_note = client.post(f"/credit/orders/{held.pk}/reject/", {"reject-note": ""})
    assert no_note.status_code == 400
    assert "Write a note" in no_note.content.decode()
    done = client.post(
        f"/credit/orders/{held.pk}/release/", {"amount": "2000", "prepayment_required": "on"}
    )
    assert done.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.released_amount, held.prepayment_required) == (
        "released",
        D("2000"),
        True,
    )
    again = client.post(f"/credit/orders/{held.pk}/reject/", {"reject-note": "late"}, follow=True)
    assert "cannot become rejected" in again.content.decode()


def test_collector_may_not_decide(signed_in_client, tenant_a, held):
    client = signed_in_client(tenant_a, "collector")
    assert client.post(f"/credit/orders/{held.pk}/release/", {}).status_code == 403
    held.refresh_from_db()
    assert held.status == "held"


def test_customer_credit_page_and_limit_change(signed_in_client, tenant_a, held):
    client = signed_in_client(tenant_a, "credit_manager", approval_limit=20_000)
    url = f"/credit/customers/{held.customer_id}/"
    page = client.get(url)
    assert page.status_code == 200
    exposure = page.context["exposure"]
    assert (exposure.open_ar, exposure.open_orders, exposure.pending_orders) == (
        D("850"),
        D("100"),
        D("5000"),
    )
    missing = client.post(url + "limit/", {"kind": "customer", "amount": "5000"})
    assert missing.status_code == 400
    assert "Give a reason" in missing.content.decode()
    above = client.post(url + "limit/", {"kind": "customer", "amount": "25000", "reason": "x"})
    assert "Your approval limit is EUR 20,000.00" in above.content.decode()
    ok = client.post(url + "limit/", {"kind": "customer", "amount": "8000", "reason": "Growth"})
    assert ok.status_code == 302
    assert CreditProfile.objects.get(customer_id=held.customer_id).credit_limit == D("8000")
    assert "Growth" in client.get(url).content.decode()
    assert CreditLimitChange.objects.filter(customer_id=held.customer_id).count() == 2
    blocked = client.post(url + "profile/", {"risk_class": "D", "is_blocked": "on"})
    assert "Say why the customer is blocked" in blocked.content.decode()


def test_policy_page_saves_and_explains_errors(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "credit_manager")
    assert client.get("/credit/policy/").status_code == 200
    data = {
        "check_over_limit": "on",
        "limit_tolerance_percent": "5",
        "check_overdue": "on",
        "overdue_days": "45",
        "overdue_min_amount": "250",
        "review_grace_days": "0",
        "hold_risk_classes": ["D", "E"],
        **{f"review_months_{c}": "12" for c in "ABCDE"},
    }
    bad = client.post("/credit/policy/", {**data, "overdue_days": "-3"})
    assert bad.status_code == 400
    assert "greater than or equal to 0" in bad.content.decode()
    assert client.post("/credit/policy/", data).status_code == 302
    with tenant_context(tenant_a):
        policy = CreditPolicy.objects.get()
    assert (policy.overdue_days, policy.limit_tolerance_percent) == (45, D("5"))
    assert policy.hold_risk_classes == ["D", "E"]
    assert policy.check_blocked is False
    executive = signed_in_client(tenant_a, "executive")
    assert executive.post("/credit/policy/", data).status_code == 403


def test_other_tenants_pages_are_404(signed_in_client, tenant_a, theirs):
    client = signed_in_client(tenant_a, "credit_manager", approval_limit=10**6)
    assert client.get(f"/credit/orders/{theirs.pk}/").status_code == 404
    assert client.post(f"/credit/orders/{theirs.pk}/release/", {}).status_code == 404
    assert client.get(f"/credit/customers/{theirs.customer_id}/").status_code == 404
    limit = {"kind": "customer", "amount": "1", "reason": "x"}
    assert client.post(f"/credit/customers/{theirs.customer_id}/limit/", limit).status_code == 404
    assert theirs.external_ref is None
    assert client.get("/credit/orders/").context["listing"].page.paginator.count == 0
    with tenant_context(theirs.tenant):
        assert Order.objects.get(pk=theirs.pk).status == "held"
        assert CreditProfile.objects.get(customer_id=theirs.customer_id).credit_limit == D("10")


def test_customer_page_shows_the_score_and_recomputes(signed_in_client, tenant_a, held):
    client = signed_in_client(tenant_a, "credit_analyst")
    url = f"/credit/customers/{held.customer_id}/"
    assert "Not scored yet" in client.get(url).content.decode()
    assert client.post(url + "rescore/").status_code == 302
    page = client.get(url)
    html = page.content.decode()
    assert page.context["score"] is not None
    assert "Average days late (amount-weighted, 12 months)" in html
    assert f"Risk score: {page.context['score'].score} / 100" in html


def test_application_filed_and_decided_on_the_pages(signed_in_client, tenant_a):
    with tenant_context(tenant_a):
        customer = CustomerFactory(number="K-APP")
    analyst = signed_in_client(tenant_a, "credit_analyst", approval_limit=10_000)
    manager = signed_in_client(tenant_a, "credit_manager", approval_limit=100_000)
    bad = analyst.post(
        "/credit/applications/new/", {"customer_number": "NOPE", "requested_limit": "20000"}
    )
    assert bad.status_code == 400
    assert "No customer has the number NOPE" in bad.content.decode()
    bad_refs = analyst.post(
        "/credit/applications/new/",
        {
            "customer_number": "K-APP",
            "requested_limit": "20000",
            "references": "Stahl; x; many",
        },
    )
    assert "Line 1: years known must be a whole number" in bad_refs.content.decode()
    created = analyst.post(
        "/credit/applications/new/",
        {
            "customer_number": "K-APP",
            "requested_limit": "20000",
            "current_assets": "300",
            "current_liabilities": "200",
            "references": "Stahl AG; Frau Meier; 6; 15000; pays on time",
        },
    )
    assert created.status_code == 302
    with tenant_context(tenant_a):
        application = CreditApplication.objects.get()
    url = f"/credit/applications/{application.pk}/"
    assert "Applications to decide" in analyst.get("/credit/").content.decode()
    assert analyst.post(url + "start-review/").status_code == 302
    escalated = analyst.post(url + "approve/", {"approved_limit": ""}, follow=True)
    assert "escalated" in escalated.content.decode()
    page = manager.get(url)
    assert "1.50" in page.content.decode()  # current ratio 300 / 200
    assert manager.post(url + "approve/", {"approved_limit": "18000"}).status_code == 302
    with tenant_context(tenant_a):
        application.refresh_from_db()
        assert (application.status, application.approved_limit) == ("approved", D("18000.00"))
        assert CreditProfile.objects.get(customer=customer).credit_limit == D("18000.00")
    assert "Taken on these figures" in manager.get(url).content.decode()


def test_enter_an_order_by_hand(signed_in_client, tenant_a):
    with tenant_context(tenant_a):
        customer = CustomerFactory(number="K-PHONE")
        set_limit(tenant_a, customer, "1000")
    clerk = signed_in_client(tenant_a, "credit_analyst")
    management = {"lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "0"}
    bad = clerk.post(
        "/credit/orders/new/",
        {
            **management,
            "customer_number": "K-PHONE",
            "lines-0-description": "Bearing",
            "lines-0-quantity": "-2",
            "lines-0-unit_price": "10",
        },
    )
    assert bad.status_code == 400
    assert "Line 1, quantity: The quantity must be greater than zero." in bad.content.decode()
    done = clerk.post(
        "/credit/orders/new/",
        {
            **management,
            "customer_number": "K-PHONE",
            "external_ref": "PHONE-1",
            "lines-0-description": "Bearing",
            "lines-0-quantity": "3",
            "lines-0-unit_price": "400",
        },
        follow=True,
    )
    assert "on credit hold" in done.content.decode()
    with tenant_context(tenant_a):
        order = Order.objects.get(external_ref="PHONE-1")
        assert (order.status, order.total_amount) == ("held", D("1200.00"))
        assert order.hold_reasons[0]["message"].startswith("Over limit by EUR 200.00")
