"""Credit policy, credit profiles and limits.

A limit change is kept in the append-only history with who, when and why.
Raising a limit needs an approval limit that covers the new amount (the
membership's `approval_limit`); lowering one never does: restricting credit
is always allowed to those who may edit it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from credit.models import (
    SCORE_FACTORS,
    CreditLimitChange,
    CreditPolicy,
    CreditProfile,
    LimitKind,
    RiskClass,
    ScoreTrigger,
)
from credit.selectors import credit_policy_get
from credit.services.common import actor_approval_limit, format_money
from credit.services.scoring import credit_score_customer
from otc.audit.services import Actor, audit_record, field_changes, snapshot
from otc.customers.models import Customer
from otc.errors import NotPermitted, ValidationFailed
from otc.fx.money import quantize_money
from otc.tenancy.models import Tenant

RATING_GRADES = frozenset({"AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"})

CREDIT_POLICY_FIELDS = [
    "check_over_limit",
    "limit_tolerance_percent",
    "check_overdue",
    "overdue_days",
    "overdue_min_amount",
    "check_blocked",
    "check_review_expired",
    "review_grace_days",
    "check_group_limit",
    "hold_risk_classes",
    "count_pending_orders",
    "review_months",
    "score_weights",
    "class_cutoffs",
    "limit_share",
]
_PROFILE_FIELDS = [
    "risk_class",
    "risk_class_manual",
    "next_review_date",
    "external_rating",
    "external_rating_agency",
]


def credit_profile_ensure(*, tenant: Tenant, customer: Customer) -> CreditProfile:
    """The customer's profile, created with a zero limit when it has none
    (no credit until someone grants it). Safe under concurrent callers."""
    if customer.tenant_id != tenant.pk:
        raise ValidationFailed("The customer belongs to another tenant.")
    profiles = CreditProfile.objects.for_tenant(tenant)
    profile = profiles.filter(customer_id=customer.pk).first()
    if profile is not None:
        return profile
    try:
        with transaction.atomic():
            return profiles.create(tenant=tenant, customer=customer, currency=tenant.base_currency)
    except IntegrityError:
        return profiles.get(customer_id=customer.pk)


def _locked_profile(tenant: Tenant, customer: Customer) -> CreditProfile:
    profile = credit_profile_ensure(tenant=tenant, customer=customer)
    return CreditProfile.objects.for_tenant(tenant).select_for_update().get(pk=profile.pk)


def _check_approval(*, tenant: Tenant, actor: Actor, amount: Decimal) -> None:
    """Whoever raises a limit must hold an approval limit that covers it: a
    person their membership's, an API key its own (the API lets only keys
    whose role may approve credit call this)."""
    own = actor_approval_limit(tenant=tenant, actor=actor)
    if own is None or amount <= own:
        return
    whose = "Your" if actor.user is not None else "This API key's"
    raise NotPermitted(
        f"{whose} approval limit is {format_money(own, tenant.base_currency)}; "
        f"{format_money(amount, tenant.base_currency)} needs someone with a higher "
        "approval limit (a credit manager).",
        code="approval_limit_exceeded",
    )


def credit_limit_set(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    amount: Decimal | None,
    reason: str,
    kind: LimitKind = LimitKind.CUSTOMER,
) -> CreditProfile:
    """Set the customer limit (or, with kind=GROUP, the limit of the group
    this customer heads; None removes a group limit)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the limit changes.", errors={"reason": ["Give a reason for the change."]}
        )
    if amount is None and kind == LimitKind.CUSTOMER:
        raise ValidationFailed(errors={"amount": ["Enter the new limit (0 for no credit)."]})
    if amount is not None:
        if amount < 0:
            raise ValidationFailed(errors={"amount": ["A limit cannot be negative."]})
        amount = quantize_money(amount, tenant.base_currency)
    with transaction.atomic():
        profile = _locked_profile(tenant, customer)
        field = "credit_limit" if kind == LimitKind.CUSTOMER else "group_limit"
        old = getattr(profile, field)
        if amount == old:
            return profile
        if amount is not None and (old is None or amount > old):
            _check_approval(tenant=tenant, actor=actor, amount=amount)
        setattr(profile, field, amount)
        profile.save(update_fields=[field, "updated_at"])
        CreditLimitChange.objects.for_tenant(tenant).create(
            tenant=tenant,
            profile=profile,
            customer=customer,
            kind=kind,
            currency=tenant.base_currency,
            old_limit=old,
            new_limit=amount,
            reason=reason[:500],
            changed_by=actor.user,
            actor_label=actor.label[:200],
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.limit_changed",
            instance=profile,
            changes={
                field: {
                    "before": None if old is None else str(old),
                    "after": None if amount is None else str(amount),
                },
                "reason": reason,
            },
        )
    return profile


def credit_profile_update(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    risk_class: str | None = None,
    next_review_date: date | None = None,
    clear_review_date: bool = False,
    external_rating: str | None = None,
    external_rating_agency: str | None = None,
) -> CreditProfile:
    """Change what a person decides about a profile. A risk class set here
    overrides the scorecard's ("" hands the class back to the scorecard);
    a new external rating rescores the customer at once."""
    if risk_class and risk_class not in RiskClass.values:
        raise ValidationFailed(errors={"risk_class": ["Choose a risk class from A to E."]})
    if external_rating is not None:
        external_rating = external_rating.strip().upper()
        if external_rating and external_rating.rstrip("+-") not in RATING_GRADES:
            raise ValidationFailed(
                errors={
                    "external_rating": [
                        "Enter an agency grade such as AAA, AA+, BBB- or D (empty for none)."
                    ]
                }
            )
    with transaction.atomic():
        profile = _locked_profile(tenant, customer)
        before = snapshot(profile, _PROFILE_FIELDS)
        if risk_class:
            profile.risk_class = risk_class
            profile.risk_class_manual = True
        elif risk_class == "":
            profile.risk_class_manual = False
        if external_rating is not None:
            profile.external_rating = external_rating
        if external_rating_agency is not None:
            profile.external_rating_agency = external_rating_agency.strip()[:60]
        if next_review_date is not None:
            profile.next_review_date = next_review_date
        elif clear_review_date:
            profile.next_review_date = None
        changes = field_changes(before=before, after=snapshot(profile, _PROFILE_FIELDS))
        if changes:
            profile.save(update_fields=[*_PROFILE_FIELDS, "updated_at"])
            audit_record(
                tenant=tenant,
                actor=actor,
                action="credit.profile_updated",
                instance=profile,
                changes=changes,
            )
        if "external_rating" in changes or (risk_class == "" and "risk_class_manual" in changes):
            credit_score_customer(
                tenant=tenant, actor=actor, customer=customer, trigger=ScoreTrigger.EVENT
            )
            profile.refresh_from_db()
    return profile


def credit_profile_block(
    *, tenant: Tenant, actor: Actor, customer: Customer, reason: str
) -> CreditProfile:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(errors={"reason": ["Say why the customer is blocked."]})
    with transaction.atomic():
        profile = _locked_profile(tenant, customer)
        profile.is_blocked = True
        profile.blocked_reason = reason[:500]
        profile.save(update_fields=["is_blocked", "blocked_reason", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.blocked",
            instance=profile,
            changes={"is_blocked": {"before": False, "after": True}, "reason": reason},
        )
    return profile


def credit_profile_unblock(
    *, tenant: Tenant, actor: Actor, customer: Customer, reason: str = ""
) -> CreditProfile:
    with transaction.atomic():
        profile = _locked_profile(tenant, customer)
        if not profile.is_blocked:
            return profile
        old_reason = profile.blocked_reason
        profile.is_blocked = False
        profile.blocked_reason = ""
        profile.save(update_fields=["is_blocked", "blocked_reason", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="credit.unblocked",
            instance=profile,
            changes={
                "is_blocked": {"before": True, "after": False},
                "blocked_reason": {"before": old_reason, "after": ""},
                "reason": reason,
            },
        )
    return profile


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _percent(value: Any) -> tuple[Any, str | None]:
    number = _decimal(value)
    ok = number is not None and 0 <= number < 100
    return number, None if ok else "Enter a value from 0 up to (not including) 100."


def _amount(value: Any) -> tuple[Any, str | None]:
    number = _decimal(value)
    return number, None if number is not None and number >= 0 else "Enter 0 or more."


def _days(value: Any) -> tuple[Any, str | None]:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3650
    return value, None if ok else "Enter a whole number of days from 0 to 3650."


def _flag(value: Any) -> tuple[Any, str | None]:
    return value, None if isinstance(value, bool) else "Choose yes or no."


def _classes(value: Any) -> tuple[Any, str | None]:
    classes = sorted(set(value or []))
    unknown = [c for c in classes if c not in RiskClass.values]
    return classes, f"Unknown risk class: {', '.join(unknown)}. Use A to E." if unknown else None


def _review_months(value: Any) -> tuple[Any, str | None]:
    months = dict(value or {})
    ok = set(months) == set(RiskClass.values) and all(
        isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 60 for m in months.values()
    )
    return months, None if ok else "Give every class A to E a review interval of 1 to 60 months."


def _weights(value: Any) -> tuple[Any, str | None]:
    weights = dict(value or {})
    ok = any(weights.values()) and all(
        name in SCORE_FACTORS and isinstance(w, int) and not isinstance(w, bool) and 0 <= w <= 100
        for name, w in weights.items()
    )
    return weights, None if ok else "Give each factor a weight from 0 to 100, one above 0 at least."


def _cutoffs(value: Any) -> tuple[Any, str | None]:
    cuts = dict(value or {})
    try:
        ordered = [int(cuts[c]) for c in ("A", "B", "C", "D")]
    except (KeyError, TypeError, ValueError):
        ordered = []
    ok = len(ordered) == 4 and ordered == sorted(ordered, reverse=True)
    ok = ok and ordered[-1] >= 1 and ordered[0] <= 100
    return cuts, None if ok else "Cut-offs fall from A to D, between 1 and 100 (A highest)."


def _shares(value: Any) -> tuple[Any, str | None]:
    shares = {risk: _decimal((value or {}).get(risk, "")) for risk in RiskClass.values}
    ok = all(share is not None and 0 <= share <= 1 for share in shares.values())
    cleaned = {risk: str(share) for risk, share in shares.items()}
    return cleaned, None if ok else "Give each class a share of annual sales from 0 to 1."


_POLICY_VALIDATORS: dict[str, Callable[[Any], tuple[Any, str | None]]] = {
    "check_over_limit": _flag,
    "limit_tolerance_percent": _percent,
    "check_overdue": _flag,
    "overdue_days": _days,
    "overdue_min_amount": _amount,
    "check_blocked": _flag,
    "check_review_expired": _flag,
    "review_grace_days": _days,
    "check_group_limit": _flag,
    "hold_risk_classes": _classes,
    "count_pending_orders": _flag,
    "review_months": _review_months,
    "score_weights": _weights,
    "class_cutoffs": _cutoffs,
    "limit_share": _shares,
}


def credit_policy_update(*, tenant: Tenant, actor: Actor, **values: Any) -> CreditPolicy:
    unknown = set(values) - set(CREDIT_POLICY_FIELDS)
    if unknown:
        raise ValidationFailed(errors={name: ["Not a policy setting."] for name in unknown})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        cleaned[name], problem = _POLICY_VALIDATORS[name](value)
        if problem:
            errors[name] = [problem]
    if errors:
        raise ValidationFailed("The policy was not saved: fix the marked settings.", errors=errors)
    with transaction.atomic():
        policy = credit_policy_get(tenant=tenant)
        policy = CreditPolicy.objects.for_tenant(tenant).select_for_update().get(pk=policy.pk)
        before = snapshot(policy, CREDIT_POLICY_FIELDS)
        for name, value in cleaned.items():
            setattr(policy, name, value)
        if "overdue_min_amount" in cleaned:
            policy.overdue_min_amount = quantize_money(
                policy.overdue_min_amount, tenant.base_currency
            )
        changes = field_changes(before=before, after=snapshot(policy, CREDIT_POLICY_FIELDS))
        if changes:
            policy.save()
            audit_record(
                tenant=tenant,
                actor=actor,
                action="credit.policy_updated",
                instance=policy,
                changes=changes,
            )
    return policy
