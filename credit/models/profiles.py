"""Credit policy (per tenant), credit profile (per customer) and the
append-only history of limit changes.

Limits and exposure are in the tenant's base currency: the ledger keeps every
open item's base amount, so exposure is a sum, never a live conversion.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from credit.models.common import amount_field
from otc.tenancy.models import TenantOwnedModel


class RiskClass(models.TextChoices):
    A = "A", "A — minimal risk"
    B = "B", "B — low risk"
    C = "C", "C — moderate risk"
    D = "D", "D — high risk"
    E = "E", "E — very high risk"


def default_hold_classes() -> list[str]:
    return [RiskClass.E.value]


def default_review_months() -> dict[str, int]:
    return {"A": 12, "B": 12, "C": 6, "D": 3, "E": 1}


def default_score_weights() -> dict[str, int]:
    return {
        "days_late": 25,
        "late_share": 15,
        "trend": 10,
        "overdue_now": 15,
        "dishonoured": 10,
        "financials": 15,
        "external_rating": 10,
        "relationship_age": 5,
        "disputes": 10,
    }


def default_class_cutoffs() -> dict[str, int]:
    """The lowest score of each class; below D's cut-off is E."""
    return {"A": 80, "B": 65, "C": 50, "D": 35}


def default_limit_share() -> dict[str, str]:
    """Recommended limit as a share of the last twelve months' sales, by class."""
    return {"A": "0.25", "B": "0.20", "C": "0.15", "D": "0.08", "E": "0"}


class CreditPolicy(TenantOwnedModel):
    """The tenant's hold rules: which checks run on order submission and
    with which thresholds. One row per tenant, created with defaults on first use."""

    check_over_limit = models.BooleanField(default=True)
    # An order may overrun the limit by this share before it is held (0 = none).
    limit_tolerance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    check_overdue = models.BooleanField(default=True)
    overdue_days = models.PositiveSmallIntegerField(default=30)
    # Overdue items below this total (base currency) do not hold an order.
    overdue_min_amount = amount_field(default=0)
    check_blocked = models.BooleanField(default=True)
    check_review_expired = models.BooleanField(default=True)
    review_grace_days = models.PositiveSmallIntegerField(default=0)
    check_group_limit = models.BooleanField(default=True)
    hold_risk_classes = ArrayField(
        models.CharField(max_length=1, choices=RiskClass.choices),
        default=default_hold_classes,
        blank=True,
    )
    # Held and submitted orders count against the limit of later orders, so
    # splitting or re-entering a held order cannot get it past the check.
    count_pending_orders = models.BooleanField(default=True)
    # Months between periodic reviews per risk class.
    review_months = models.JSONField(default=default_review_months)
    # The scorecard: factor weights (0 drops a factor), class cut-offs and
    # the recommended limit per class as a share of annual sales.
    score_weights = models.JSONField(default=default_score_weights)
    class_cutoffs = models.JSONField(default=default_class_cutoffs)
    limit_share = models.JSONField(default=default_limit_share)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "credit policies"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="creditpolicy_tenant_uniq"),
            models.CheckConstraint(
                condition=Q(limit_tolerance_percent__gte=0) & Q(limit_tolerance_percent__lt=100),
                name="creditpolicy_tolerance_range",
            ),
            models.CheckConstraint(
                condition=Q(overdue_min_amount__gte=0), name="creditpolicy_overdue_min_not_neg"
            ),
        ]

    def __str__(self) -> str:
        return f"Credit policy of tenant {self.tenant_id}"


class CreditProfile(TenantOwnedModel):
    """A customer's credit standing. `group_limit` is set on the parent
    account of a customer group and caps the exposure of the parent and
    everyone below it together. The row is also the lock every credit
    decision for the customer takes."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_profile"
    )
    currency = CurrencyField()
    credit_limit = amount_field(default=0)
    group_limit = amount_field(null=True, blank=True)
    risk_class = models.CharField(max_length=1, choices=RiskClass.choices, default=RiskClass.C)
    next_review_date = models.DateField(null=True, blank=True)
    is_blocked = models.BooleanField(default=False)
    blocked_reason = models.CharField(max_length=500, blank=True)
    # Set when a person chose the risk class: the nightly score then leaves it alone.
    risk_class_manual = models.BooleanField(default=False)
    # An agency grade (AAA ... D), entered or imported, and who gave it.
    external_rating = models.CharField(max_length=8, blank=True)
    external_rating_agency = models.CharField(max_length=60, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    recommended_limit = amount_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "customer"], name="creditprofile_cust_uniq"),
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="creditprofile_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(group_limit__isnull=True) | Q(group_limit__gte=0),
                name="creditprofile_group_limit_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(is_blocked=False) | ~Q(blocked_reason=""),
                name="creditprofile_block_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "updated_at"], name="creditprofile_updated_idx"),
            models.Index(fields=["tenant", "next_review_date"], name="creditprofile_review_idx"),
        ]

    def __str__(self) -> str:
        return f"Credit profile of customer {self.customer_id}"


class LimitKind(models.TextChoices):
    CUSTOMER = "customer", "Customer limit"
    GROUP = "group", "Group limit"


class CreditLimitChange(TenantOwnedModel):
    """One change of a limit, kept forever (append-only table)."""

    profile = models.ForeignKey(CreditProfile, on_delete=models.PROTECT, related_name="changes")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=LimitKind.choices, default=LimitKind.CUSTOMER)
    currency = CurrencyField()
    old_limit = amount_field(null=True, blank=True)
    new_limit = amount_field(null=True, blank=True)
    reason = models.CharField(max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "customer", "created_at"], name="creditlimit_cust_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.old_limit} → {self.new_limit} {self.currency}"
