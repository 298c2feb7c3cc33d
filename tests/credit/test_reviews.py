"""Periodic reviews: scheduled by class, opened by the daily run (once),
completed with a decision that routes by approval limit and sets the next
date; worklist, page and API, other tenants untouched."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from credit.models import CreditProfile, CreditReview
from credit.services import (
    add_months,
    credit_profile_update,
    credit_review_complete,
    credit_reviews_schedule,
)
from credit.tasks import schedule_reviews
from otc.audit.services import Actor
from otc.errors import IllegalTransition, NotPermitted, ValidationFailed
from otc.tenancy.context import tenant_context
from tests.credit.helpers import SYSTEM, D, set_limit, today_of
from tests.factories import CustomerFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_schedule_by_class_and_open_due_reviews_once(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    today = today_of(tenant)
    low, high, due = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for customer in (low, high, due):
        set_limit(tenant, customer, "10000")
    credit_profile_update(tenant=tenant, actor=SYSTEM, customer=low, risk_class="A")
    credit_profile_update(tenant=tenant, actor=SYSTEM, customer=high, risk_class="E")
    credit_profile_update(
        tenant=tenant, actor=SYSTEM, customer=due, next_review_date=today + timedelta(days=3)
    )
    with tenant_context(tenant_b):
        theirs = CustomerFactory()
        set_limit(tenant_b, theirs, "5")
    assert credit_reviews_schedule(tenant=tenant) == 1
    profiles = {p.customer_id: p.next_review_date for p in CreditProfile.objects.all()}
    assert profiles[low.pk] == add_months(today, 12)  # A: yearly
    assert profiles[high.pk] == add_months(today, 1)  # E: monthly
    review = CreditReview.objects.get()
    assert (review.customer_id, review.due_date, review.limit_before) == (
        due.pk,
        today + timedelta(days=3),
        D("10000"),
    )
    assert schedule_reviews(tenant.pk) == 0  # the beat ran twice: nothing new
    with tenant_context(tenant_b):
        assert CreditReview.objects.count() == 0


def _open_review(tenant):
    customer = CustomerFactory()
    set_limit(tenant, customer, "10000")
    credit_profile_update(
        tenant=tenant, actor=SYSTEM, customer=customer, next_review_date=today_of(tenant)
    )
    credit_reviews_schedule(tenant=tenant)
    return customer, CreditReview.objects.get(customer=customer)


def test_complete_with_a_raise_needs_the_approval_limit(in_tenant_a):
    tenant = in_tenant_a
    customer, review = _open_review(tenant)
    analyst = MembershipFactory(role="credit_analyst", approval_limit=15_000)
    actor = Actor(user=analyst.user, label=analyst.user.email)
    with pytest.raises(ValidationFailed) as error:
        credit_review_complete(
            tenant=tenant, actor=actor, review=review, decision="increase", note=""
        )
    assert set(error.value.errors) == {"note", "new_limit"}
    with pytest.raises(NotPermitted):
        credit_review_complete(
            tenant=tenant,
            actor=actor,
            review=review,
            decision="increase",
            new_limit=D("20000"),
            note="Pays well",
        )
    done = credit_review_complete(
        tenant=tenant,
        actor=actor,
        review=review,
        decision="increase",
        new_limit=D("15000"),
        note="Pays well",
        risk_class="B",
    )
    profile = CreditProfile.objects.get(customer=customer)
    assert (profile.credit_limit, profile.risk_class) == (D("15000.00"), "B")
    assert profile.next_review_date == add_months(today_of(tenant), 12) == done.next_review_date
    assert done.snapshot["score"] is not None
    with pytest.raises(IllegalTransition):
        credit_review_complete(
            tenant=tenant, actor=actor, review=done, decision="confirm", note="again"
        )


def test_worklist_page_api_and_other_tenant(signed_in_client, api_client_for, tenant_a, tenant_b):
    with tenant_context(tenant_b):
        _, theirs = _open_review(tenant_b)
    with tenant_context(tenant_a):
        customer, review = _open_review(tenant_a)
    analyst = signed_in_client(tenant_a, "credit_analyst", approval_limit=50_000)
    page = analyst.get("/credit/reviews/")
    assert [r.pk for r in page.context["listing"].page] == [review.pk]
    missing = analyst.post(f"/credit/reviews/{review.pk}/", {"decision": "decrease", "note": "x"})
    assert "Enter the new limit." in missing.content.decode()
    done = analyst.post(
        f"/credit/reviews/{review.pk}/",
        {"decision": "decrease", "new_limit": "6000", "note": "Slower payer"},
    )
    assert done.status_code == 302
    assert analyst.get(f"/credit/reviews/{theirs.pk}/").status_code == 404
    api = api_client_for(tenant_a, role="credit_manager")
    listed = api.get("/api/v1/credit-reviews/").json()["results"]
    assert [(r["id"], r["status"], r["new_limit"]) for r in listed] == [
        (review.pk, "completed", "6000.00")
    ]
    assert api.get(f"/api/v1/credit-reviews/{theirs.pk}/").status_code == 404
    assert (
        api.post(
            f"/api/v1/credit-reviews/{theirs.pk}/complete/", {"decision": "block", "note": "x"}
        ).status_code
        == 404
    )
    with tenant_context(tenant_b):
        fresh = CreditReview.objects.get(pk=theirs.pk)
        assert (fresh.status, fresh.decision) == ("open", "")
    with tenant_context(tenant_a):
        assert CreditProfile.objects.get(customer=customer).credit_limit == D("6000.00")
