"""The risk scorecard: every factor from the ledger, weights and cut-offs
per tenant, the breakdown stored with the score, manual classes kept,
nightly rescoring by batch and once per night."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credit.models import CreditProfile, CreditScore
from credit.services import (
    credit_policy_update,
    credit_profile_update,
    credit_rescore_tenant,
    credit_score_customer,
)
from credit.tasks import rescore_tenant
from otc.audit.models import AuditEvent
from otc.errors import ValidationFailed
from otc.ledger.models import ApplicationKind, ItemKind
from otc.ledger.services import ledger_application_reverse, ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.credit.helpers import SYSTEM, D, today_of
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _item(tenant, customer, kind, amount, *, days_ago, due_in=None, number):
    today = today_of(tenant)
    return ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=kind,
        number=number,
        currency="EUR",
        amount=D(amount),
        document_date=today - timedelta(days=days_ago),
        due_date=None if due_in is None else today - timedelta(days=days_ago) + timedelta(due_in),
    )


def late_payer(tenant):
    """Paid one invoice 20 days late, one invoice open and not due yet."""
    customer = CustomerFactory()
    paid = _item(tenant, customer, ItemKind.INVOICE, "100000", days_ago=70, due_in=30, number="I1")
    _item(tenant, customer, ItemKind.INVOICE, "50000", days_ago=5, due_in=30, number="I2")
    cash = _item(tenant, customer, ItemKind.PAYMENT, "100000", days_ago=20, number="P1")
    application = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=paid.pk,
        credit_item_id=cash.pk,
        amount=D("100000"),
        effective_date=today_of(tenant) - timedelta(days=20),
        kind=ApplicationKind.CASH,
    )
    return customer, application


def test_score_breakdown_to_the_point(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    customer, _ = late_payer(tenant)
    score = credit_score_customer(tenant=tenant, actor=SYSTEM, customer=customer)
    points = {row["factor"]: (row["input"], row["points"]) for row in score.breakdown}
    assert points["days_late"] == ("20.0 days", 67)  # 100 - 20 * 100 / 60
    assert points["late_share"][1] == 0  # everything was paid late
    assert points["trend"] == ("3 m 20.0 / 6 m 20.0 / 12 m 20.0 days", 50)
    assert points["overdue_now"] == ("0.0 % of EUR 50,000.00", 100)
    assert points["dishonoured"] == ("0", 100)
    assert points["external_rating"] == ("none on file", None)
    assert points["relationship_age"] == ("0.2 years", 4)  # 70 days
    assert points["disputes"][1] == 100
    # Weighted mean of the factors with data (rating has none): 5,695 / 90.
    assert score.score == 63
    assert score.risk_class == "C"
    assert score.recommended_limit == D("22000")  # 150,000 sales x 15 %, whole thousands
    assert score.inputs["paid"] == "100000.0000"
    profile = CreditProfile.objects.get(customer=customer)
    assert (profile.score, profile.risk_class, profile.recommended_limit) == (63, "C", D("22000"))
    assert AuditEvent.objects.filter(action="credit.risk_class_scored").count() == 0  # C was C
    with tenant_context(tenant_b):
        assert CreditScore.objects.count() == 0


def test_dishonoured_payment_and_external_rating(in_tenant_a):
    tenant = in_tenant_a
    customer, application = late_payer(tenant)
    ledger_application_reverse(
        tenant=tenant,
        actor=SYSTEM,
        application_id=application.pk,
        effective_date=today_of(tenant),
        reason="Cheque bounced",
    )
    score = credit_score_customer(tenant=tenant, actor=SYSTEM, customer=customer)
    points = {row["factor"]: row["points"] for row in score.breakdown}
    assert points["dishonoured"] == 60
    assert points["days_late"] is None  # the reversed payment no longer counts as paid
    profile = credit_profile_update(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        external_rating="bbb+",
        external_rating_agency="S&P",
    )
    latest = CreditScore.objects.filter(customer=customer).first()
    assert {r["factor"]: r["input"] for r in latest.breakdown}["external_rating"] == "BBB+ (S&P)"
    assert profile.score == latest.score
    with pytest.raises(ValidationFailed) as error:
        credit_profile_update(tenant=tenant, actor=SYSTEM, customer=customer, external_rating="Q")
    assert "agency grade" in error.value.errors["external_rating"][0]


def test_weights_and_cutoffs_come_from_the_policy(in_tenant_a):
    tenant = in_tenant_a
    customer, _ = late_payer(tenant)
    credit_policy_update(
        tenant=tenant,
        actor=SYSTEM,
        score_weights={"days_late": 1},
        class_cutoffs={"A": 90, "B": 80, "C": 70, "D": 60},
    )
    score = credit_score_customer(tenant=tenant, actor=SYSTEM, customer=customer)
    assert (score.score, score.risk_class) == (67, "D")
    assert AuditEvent.objects.filter(action="credit.risk_class_scored").count() == 1
    with pytest.raises(ValidationFailed) as error:
        credit_policy_update(
            tenant=tenant, actor=SYSTEM, class_cutoffs={"A": 10, "B": 80, "C": 70, "D": 60}
        )
    assert error.value.errors["class_cutoffs"][0].startswith("Cut-offs fall from A to D")


def test_manual_class_survives_rescoring_until_handed_back(in_tenant_a):
    tenant = in_tenant_a
    customer, _ = late_payer(tenant)
    credit_profile_update(tenant=tenant, actor=SYSTEM, customer=customer, risk_class="A")
    credit_rescore_tenant(tenant=tenant, actor=SYSTEM)
    profile = CreditProfile.objects.get(customer=customer)
    assert (profile.risk_class, profile.score) == ("A", 63)
    profile = credit_profile_update(tenant=tenant, actor=SYSTEM, customer=customer, risk_class="")
    assert (profile.risk_class, profile.risk_class_manual) == ("C", False)


def test_nightly_rescoring_in_batches_once_per_night(in_tenant_a, tenant_b):
    tenant = in_tenant_a
    customers = [CustomerFactory() for _ in range(5)]
    with tenant_context(tenant_b):
        CustomerFactory()
    batches = []
    assert (
        credit_rescore_tenant(tenant=tenant, actor=SYSTEM, batch_size=2, progress=batches.append)
        == 5
    )
    assert batches == [2, 4, 5]
    assert CreditProfile.objects.filter(customer__in=customers, score__isnull=False).count() == 5
    assert rescore_tenant(tenant.pk, "2026-01-01-test") == 5
    assert rescore_tenant(tenant.pk, "2026-01-01-test") == 0  # a duplicated beat tick
    assert CreditScore.objects.count() == 10
    with tenant_context(tenant_b):
        assert CreditProfile.objects.count() == 0


def test_rescore_after_an_event_runs_after_commit(
    in_tenant_a, eager_tasks, django_capture_on_commit_callbacks
):
    from credit.services import credit_score_refresh_later

    tenant = in_tenant_a
    customer, _ = late_payer(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        credit_score_refresh_later(tenant=tenant, customer_ids=[customer.pk, customer.pk])
        assert CreditScore.objects.count() == 0  # nothing before the commit
    score = CreditScore.objects.get()
    assert (score.customer_id, score.trigger, score.score) == (customer.pk, "event", 63)
