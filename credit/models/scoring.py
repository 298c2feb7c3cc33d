"""The risk scorecard's output: one row per computed score, kept as history
(append-only) with the breakdown and the inputs it was computed from, so
every score shown can be explained and every decision that used it
reconstructed."""

from __future__ import annotations

from django.db import models

from credit.models.common import amount_field
from credit.models.profiles import RiskClass
from otc.tenancy.models import TenantOwnedModel

# The scorecard's factors, in display order, with what each measures.
SCORE_FACTORS = {
    "days_late": "Average days late (amount-weighted, 12 months)",
    "late_share": "Share of payments made late (12 months)",
    "trend": "Payment trend (3 vs 6 vs 12 months)",
    "overdue_now": "Overdue share of open receivables today",
    "dishonoured": "Dishonoured payments (12 months)",
    "financials": "Financial statements (ratios)",
    "external_rating": "External rating",
    "relationship_age": "Relationship age",
    "disputes": "Open disputes and deductions share",
}


class ScoreTrigger(models.TextChoices):
    NIGHTLY = "nightly", "Nightly rescoring"
    EVENT = "event", "After a change"
    MANUAL = "manual", "Recomputed by a person"


class CreditScore(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_scores"
    )
    score = models.PositiveSmallIntegerField()
    risk_class = models.CharField(max_length=1, choices=RiskClass.choices)
    # [{"factor", "label", "input", "points", "weight", "contribution"}], in display order.
    breakdown = models.JSONField(default=list)
    # The raw figures the factors were computed from (base currency amounts as strings).
    inputs = models.JSONField(default=dict)
    recommended_limit = amount_field(null=True, blank=True)
    currency = models.CharField(max_length=3)
    trigger = models.CharField(max_length=8, choices=ScoreTrigger.choices)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-computed_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "customer", "computed_at"], name="creditscore_cust_idx")
        ]

    def __str__(self) -> str:
        return f"Score {self.score} ({self.risk_class})"
