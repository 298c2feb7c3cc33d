"""Periodic credit reviews.

The beat runs `credit_reviews_schedule` daily per tenant: profiles without a
review date get one by their class's interval (CreditPolicy.review_months,
e.g. A yearly ... E monthly), and every profile whose date falls within the
lead time gets an open review in the worklist. Completing a review records
the decision (confirm, raise, lower, block), applies it through the same
services as everywhere (a raise needs the approval limit) and sets the next
date by the class.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from credit.models import (
    CreditProfile,
    CreditReview,
    LimitKind,
    ReviewDecision,
    ReviewStatus,
    RiskClass,
)
from credit.selectors import credit_policy_get, customer_exposure
from credit.services.profiles import (
    credit_limit_set,
    credit_profile_block,
    credit_profile_update,
)
from credit.services.scoring import credit_score_customer
from otc.audit.services import Actor, audit_record
from otc.errors import IllegalTransition, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

LEAD_DAYS = 14


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter
    (31 Jan + 1 month = 28/29 Feb). Written here rather than pulling in
    python-dateutil for one function."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_interval_months(*, tenant: Tenant, risk_class: str) -> int:
    months = credit_policy_get(tenant=tenant).review_months or {}
    return int(months.get(risk_class, 12))


def credit_reviews_schedule(*, tenant: Tenant, today: date | None = None) -> int:
    """Date the unscheduled profiles and open the reviews falling due within
    the lead time. Idempotent: a second run the same day creates nothing."""
    today = today or tenant_today(tenant)
    policy = credit_policy_get(tenant=tenant)
    profiles = CreditProfile.objects.for_tenant(tenant)
    with transaction.atomic():
        for risk in RiskClass.values:
            months = int((policy.review_months or {}).get(risk, 12))
            profiles.filter(next_review_date__isnull=True, risk_class=risk).update(
                next_review_date=add_months(today, months)
            )
        open_review = CreditReview.objects.for_tenant(tenant).filter(
            customer_id=OuterRef("customer_id"), status=ReviewStatus.OPEN
        )
        due = (
            profiles.filter(next_review_date__lte=today + timedelta(days=LEAD_DAYS))
            .exclude(Exists(open_review))
            .values_list("customer_id", "next_review_date", "risk_class", "credit_limit")
        )
        created = CreditReview.objects.for_tenant(tenant).bulk_create(
            [
                CreditReview(
                    tenant=tenant,
                    customer_id=customer_id,
                    due_date=due_date or today,
                    risk_class=risk,
                    limit_before=limit,
                    currency=tenant.base_currency,
                )
                for customer_id, due_date, risk, limit in due
            ],
            ignore_conflicts=True,
        )
    return len(created)


def credit_review_complete(
    *,
    tenant: Tenant,
    actor: Actor,
    review: CreditReview,
    decision: str,
    note: str,
    new_limit: Decimal | None = None,
    risk_class: str | None = None,
) -> CreditReview:
    if decision not in ReviewDecision.values:
        raise ValidationFailed(errors={"decision": ["Choose confirm, raise, lower or block."]})
    note = (note or "").strip()
    errors: dict[str, list[str]] = {}
    if not note:
        errors["note"] = ["Summarise the review: it stays in the customer's history."]
    if decision in (ReviewDecision.INCREASE, ReviewDecision.DECREASE) and new_limit is None:
        errors["new_limit"] = ["Enter the new limit."]
    if errors:
        raise ValidationFailed(
            "The review was not completed: fix the marked fields.", errors=errors
        )
    with transaction.atomic():
        review = (
            CreditReview.objects.for_tenant(tenant)
            .select_related("customer")
            .select_for_update(of=("self",))
            .get(pk=review.pk)
        )
        if review.status != ReviewStatus.OPEN:
            raise IllegalTransition(
                "This review is completed already.", current=review.status, requested="completed"
            )
        customer = review.customer
        if (
            decision == ReviewDecision.INCREASE
            and new_limit is not None
            and new_limit <= review.limit_before
        ):
            raise ValidationFailed(
                errors={"new_limit": ["A raise must be above the current limit."]}
            )
        if (
            decision == ReviewDecision.DECREASE
            and new_limit is not None
            and new_limit >= review.limit_before
        ):
            raise ValidationFailed(errors={"new_limit": ["A cut must be below the current limit."]})
        if new_limit is not None and decision in (ReviewDecision.INCREASE, ReviewDecision.DECREASE):
            credit_limit_set(
                tenant=tenant,
                actor=actor,
                customer=customer,
                amount=new_limit,
                reason=f"{review}: {note}",
                kind=LimitKind.CUSTOMER,
            )
        if decision == ReviewDecision.BLOCK:
            credit_profile_block(
                tenant=tenant, actor=actor, customer=customer, reason=f"{review}: {note}"
            )
        score = credit_score_customer(tenant=tenant, actor=actor, customer=customer)
        final_class = risk_class or score.risk_class
        today = tenant_today(tenant)
        next_date = add_months(today, review_interval_months(tenant=tenant, risk_class=final_class))
        credit_profile_update(
            tenant=tenant,
            actor=actor,
            customer=customer,
            risk_class=risk_class,
            next_review_date=next_date,
        )
        exposure = customer_exposure(tenant=tenant, customer=customer, today=today)
        review.status = ReviewStatus.COMPLETED
        review.decision = decision
        review.new_limit = new_limit
        review.note = note
        review.next_review_date = next_date
        review.snapshot = {
            "score": score.score,
            "risk_class": score.risk_class,
            "score_breakdown": score.breakdown,
            "exposure": str(exposure.total),
            "overdue": str(exposure.overdue),
        }
        review.completed_by, review.completed_at = actor.user, timezone.now()
        review.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.review_completed",
            instance=review,
            changes={
                "decision": decision,
                "new_limit": None if new_limit is None else str(new_limit),
                "next_review_date": next_date.isoformat(),
                "score": score.score,
            },
        )
    return review
