"""Periodic credit reviews: created ahead of each profile's review date by
the beat, worked from the review worklist, completed with a decision that
sets the next date by risk class."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from credit.models.common import amount_field
from credit.models.profiles import RiskClass
from otc.tenancy.models import TenantOwnedModel


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"


class ReviewDecision(models.TextChoices):
    CONFIRM = "confirm", "Confirm the limit"
    INCREASE = "increase", "Raise the limit"
    DECREASE = "decrease", "Lower the limit"
    BLOCK = "block", "Block for credit"


class CreditReview(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_reviews"
    )
    due_date = models.DateField()
    status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    risk_class = models.CharField(max_length=1, choices=RiskClass.choices)
    limit_before = amount_field()
    currency = models.CharField(max_length=3)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices, blank=True)
    new_limit = amount_field(null=True, blank=True)
    note = models.TextField(blank=True)
    next_review_date = models.DateField(null=True, blank=True)
    # Score and exposure when the review was completed.
    snapshot = models.JSONField(default=dict, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            # The beat may run twice: one review per customer and due date, one open at a time.
            models.UniqueConstraint(
                fields=["tenant", "customer", "due_date"], name="creditreview_cust_due_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "customer"],
                condition=Q(status="open"),
                name="creditreview_one_open_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"], name="creditreview_worklist_idx"),
            models.Index(fields=["tenant", "updated_at"], name="creditreview_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"Credit review #{self.pk}"
