"""Deductions: amounts a customer did not pay and says (or does not say) why.

This is the minimum cash application needs: when a payment falls short of an
invoice, the rest moves off the invoice onto a ledger DEDUCTION item (the
customer still owes it, the invoice closes) and a `Deduction` row records
which invoice and which payment it came from and the payer's reason. The
investigation workflow (assign, dispute, resolve by credit memo or
write-off, recover) is a later issue; its states are already in the table
so it extends rather than replaces this.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from otc.ledger.models import amount_field
from otc.tenancy.models import TenantOwnedModel


class DeductionStatus(models.TextChoices):
    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    VALID = "valid", "Valid (to be credited)"
    INVALID = "invalid", "Invalid (to be collected)"
    RESOLVED = "resolved", "Resolved"
    CANCELLED = "cancelled", "Cancelled"


class DeductionSource(models.TextChoices):
    SHORT_PAYMENT = "short_payment", "Short payment"


class Deduction(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="deductions"
    )
    open_item = models.OneToOneField(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="deduction"
    )
    invoice_item = models.ForeignKey(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="deductions_taken"
    )
    payment_item = models.ForeignKey(
        "ledger.OpenItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deductions_opened",
    )
    amount = amount_field()
    currency = CurrencyField()
    reason_code = models.CharField(max_length=32, blank=True)
    reason_text = models.CharField(max_length=300, blank=True)
    source = models.CharField(
        max_length=16, choices=DeductionSource.choices, default=DeductionSource.SHORT_PAYMENT
    )
    status = models.CharField(
        max_length=16, choices=DeductionStatus.choices, default=DeductionStatus.NEW
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deduction_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="deduction_status_idx"),
            models.Index(fields=["tenant", "customer"], name="deduction_customer_idx"),
            models.Index(fields=["tenant", "payment_item"], name="deduction_payment_idx"),
        ]

    def __str__(self) -> str:
        return f"Deduction {self.open_item.number} {self.amount} {self.currency}"
