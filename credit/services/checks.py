"""The credit check: which hold rules an order breaks, as machine-readable
reason codes with a sentence for people. Pure: it reads the figures it is
given and writes nothing, so the decision can be shown, stored and tested
rule by rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from credit.models import CreditPolicy, CreditProfile, HoldReason
from credit.selectors.exposure import Exposure
from credit.services.common import format_money
from otc.customers.models import Customer, CustomerStatus


@dataclass(frozen=True)
class Reason:
    code: HoldReason
    message: str
    amount: Decimal | None = None
    currency: str = ""

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code.value, "message": self.message}
        if self.amount is not None:
            data["amount"] = str(self.amount)
            data["currency"] = self.currency
        return data


@dataclass(frozen=True)
class Decision:
    reasons: list[Reason]
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return not self.reasons


def _limit_reason(
    *,
    code: HoldReason,
    label: str,
    limit: Decimal,
    exposure: Exposure,
    order_base: Decimal,
    policy: CreditPolicy,
) -> Reason | None:
    pending = exposure.pending_orders if policy.count_pending_orders else Decimal(0)
    needed = exposure.total + pending + order_base
    tolerance = Decimal(str(policy.limit_tolerance_percent))
    allowed = limit * (1 + tolerance / 100)
    if needed <= allowed:
        return None
    currency = exposure.currency
    over = needed - limit
    parts = [
        f"{label} {format_money(limit, currency)}",
        f"exposure {format_money(exposure.total, currency)}",
    ]
    if pending:
        parts.append(f"orders awaiting a decision {format_money(pending, currency)}")
    parts.append(f"this order {format_money(order_base, currency)}")
    text = f"Over {label} by {format_money(over, currency)}: " + ", ".join(parts) + "."
    return Reason(code, text, amount=over, currency=currency)


def credit_check(
    *,
    policy: CreditPolicy,
    customer: Customer,
    profile: CreditProfile,
    exposure: Exposure,
    order_base: Decimal,
    today: date,
    group_profile: CreditProfile | None = None,
    group: Exposure | None = None,
) -> Decision:
    """Every rule of the policy against the figures; an empty reason list approves."""
    reasons: list[Reason] = []
    currency = exposure.currency
    if customer.status != CustomerStatus.ACTIVE:
        reasons.append(
            Reason(
                HoldReason.CUSTOMER_INACTIVE,
                f"The customer is {customer.get_status_display().lower()} in the customer master.",
            )
        )
    if policy.check_blocked and profile.is_blocked:
        reasons.append(
            Reason(
                HoldReason.CUSTOMER_BLOCKED,
                f"The customer is blocked for credit: {profile.blocked_reason}",
            )
        )
    if policy.check_review_expired and profile.next_review_date is not None:
        expired_after = profile.next_review_date + timedelta(days=policy.review_grace_days)
        if today > expired_after:
            days = (today - profile.next_review_date).days
            reasons.append(
                Reason(
                    HoldReason.REVIEW_EXPIRED,
                    f"The credit review was due on {profile.next_review_date.isoformat()} "
                    f"({days} days ago).",
                )
            )
    if policy.check_over_limit:
        reason = _limit_reason(
            code=HoldReason.OVER_LIMIT,
            label="limit",
            limit=profile.credit_limit,
            exposure=exposure,
            order_base=order_base,
            policy=policy,
        )
        if reason is not None:
            reasons.append(reason)
    if (
        policy.check_group_limit
        and group is not None
        and group_profile is not None
        and group_profile.group_limit is not None
    ):
        reason = _limit_reason(
            code=HoldReason.GROUP_LIMIT_EXCEEDED,
            label="group limit",
            limit=group_profile.group_limit,
            exposure=group,
            order_base=order_base,
            policy=policy,
        )
        if reason is not None:
            reasons.append(reason)
    if (
        policy.check_overdue
        and exposure.overdue > 0
        and exposure.overdue > Decimal(str(policy.overdue_min_amount))
    ):
        oldest = ""
        if exposure.oldest_due_date is not None:
            oldest = f" (oldest due {(today - exposure.oldest_due_date).days} days ago)"
        reasons.append(
            Reason(
                HoldReason.OVERDUE_ITEMS,
                f"{format_money(exposure.overdue, currency)} is overdue by more than "
                f"{policy.overdue_days} days{oldest}.",
                amount=exposure.overdue,
                currency=currency,
            )
        )
    if profile.risk_class in policy.hold_risk_classes:
        reasons.append(
            Reason(
                HoldReason.HIGH_RISK_CLASS,
                f"Risk class {profile.risk_class}: the policy holds every order of this "
                "class for an analyst.",
            )
        )
    figures: dict[str, Any] = {
        "currency": currency,
        "limit": str(profile.credit_limit),
        "open_ar": str(exposure.open_ar),
        "open_orders": str(exposure.open_orders),
        "pending_orders": str(exposure.pending_orders),
        "overdue": str(exposure.overdue),
        "order_base_amount": str(order_base),
        "risk_class": profile.risk_class,
    }
    if group is not None and group_profile is not None:
        figures["group_limit"] = (
            str(group_profile.group_limit) if group_profile.group_limit is not None else None
        )
        figures["group_exposure"] = str(group.total)
    return Decision(reasons=reasons, figures=figures)
