"""Credit applications: a new customer's first limit or a limit change,
with the financial statements and trade references behind it, decided by
someone whose approval limit covers the amount."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from credit.models.common import amount_field
from otc.tenancy.models import TenantOwnedModel


class ApplicationKind(models.TextChoices):
    NEW_CUSTOMER = "new_customer", "New customer"
    LIMIT_CHANGE = "limit_change", "Limit change"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    MORE_INFO_NEEDED = "more_info_needed", "More information needed"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# Statement lines an applicant may give, in the tenant's base currency.
STATEMENT_FIELDS = (
    "revenue",
    "net_income",
    "ebit",
    "interest_expense",
    "current_assets",
    "inventory",
    "current_liabilities",
    "total_liabilities",
    "equity",
)


class CreditApplication(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_applications"
    )
    kind = models.CharField(max_length=16, choices=ApplicationKind.choices)
    status = models.CharField(
        max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    currency = models.CharField(max_length=3)  # the tenant's base currency
    requested_limit = amount_field()
    current_limit = amount_field(default=0)
    approved_limit = amount_field(null=True, blank=True)
    justification = models.TextField(blank=True)
    # Financial statements (one fiscal year), base currency; any may be missing.
    fiscal_year_end = models.DateField(null=True, blank=True)
    revenue = amount_field(null=True, blank=True)
    net_income = amount_field(null=True, blank=True)
    ebit = amount_field(null=True, blank=True)
    interest_expense = amount_field(null=True, blank=True)
    current_assets = amount_field(null=True, blank=True)
    inventory = amount_field(null=True, blank=True)
    current_liabilities = amount_field(null=True, blank=True)
    total_liabilities = amount_field(null=True, blank=True)
    equity = amount_field(null=True, blank=True)
    statements_file = models.FileField(upload_to="credit-statements/%Y/", blank=True)
    # Trade references: a list of objects with name, contact, years, limit, experience.
    trade_references = models.JSONField(default=list, blank=True)
    # The approval limit a decision needs (the requested amount) and whether a
    # reviewer below it passed the application up.
    escalated = models.BooleanField(default=False)
    recommended_limit = amount_field(null=True, blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    # Score, ratios and exposure at the time of the decision.
    decision_snapshot = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_limit__gte=0), name="creditapp_requested_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(approved_limit__isnull=True) | Q(approved_limit__gte=0),
                name="creditapp_approved_not_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="creditapp_status_idx"),
            models.Index(fields=["tenant", "customer"], name="creditapp_customer_idx"),
            models.Index(fields=["tenant", "updated_at"], name="creditapp_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"Credit application #{self.pk}"
