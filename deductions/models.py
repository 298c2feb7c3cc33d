"""Deductions: amounts a customer did not pay and says (or does not say) why.

A deduction is opened by cash application for a short payment (the rest
moves off the invoice onto a ledger DEDUCTION item: the customer still owes
it, the invoice closes), raised by hand as a dispute of an invoice or one of
its lines, and then worked through one transition table
(``deductions.services.transitions``) to resolutions that each post through
the ledger: credit memo, re-bill, reinstatement, write-off.

Reason codes are per tenant (a default set of ten is seeded on first use);
the mapping table turns a customer's claim code or remittance wording into
one of them, and learns from analysts' decisions.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from deductions.models_returns import (
    Refund,
    RefundExport,
    RefundStatus,
    ReturnAuthorisation,
    ReturnLine,
    ReturnSettlement,
    ReturnStatus,
)
from otc.ledger.models import amount_field
from otc.tenancy.models import TenantOwnedModel

# Returns and refunds are kept in their own module; importing them here
# registers them with the app and lets other apps import them from here.
__all__ = [
    "Refund",
    "RefundExport",
    "RefundStatus",
    "ReturnAuthorisation",
    "ReturnLine",
    "ReturnSettlement",
    "ReturnStatus",
]


class ReasonCategory(models.TextChoices):
    PRICING = "pricing", "Pricing"
    LOGISTICS = "logistics", "Logistics"
    QUALITY = "quality", "Quality"
    TRADE = "trade", "Trade promotion"
    TAX = "tax", "Tax"
    RETURNS = "returns", "Returns"
    TERMS = "terms", "Payment terms"
    COMPLIANCE = "compliance", "Compliance"
    UNKNOWN = "unknown", "Unknown"


class OwnerTeam(models.TextChoices):
    SALES = "sales", "Sales"
    LOGISTICS = "logistics", "Logistics"
    QUALITY = "quality", "Quality"
    TRADE_MARKETING = "trade_marketing", "Trade marketing"
    TAX = "tax", "Tax"
    CUSTOMER_SERVICE = "customer_service", "Customer service"
    ACCOUNTS_RECEIVABLE = "accounts_receivable", "Accounts receivable"


class ReasonCode(TenantOwnedModel):
    """Why a customer deducted, as this tenant names it."""

    code = models.CharField(max_length=32)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=16, choices=ReasonCategory.choices)
    owner_team = models.CharField(max_length=24, choices=OwnerTeam.choices)
    research_sla_days = models.PositiveSmallIntegerField(default=10)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="reason_code_tenant_code_uniq"),
            models.CheckConstraint(
                condition=Q(research_sla_days__gte=1, research_sla_days__lte=365),
                name="reason_code_sla_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MappingSource(models.TextChoices):
    CLAIM_CODE = "claim_code", "Customer claim code"
    REMITTANCE_TEXT = "remittance_text", "Remittance text contains"


class ReasonMapping(TenantOwnedModel):
    """A customer's claim code (exact) or a phrase in the remittance text
    (contained) that means one of our reason codes. Patterns are stored
    upper-case and trimmed; lookups compare the same way."""

    source = models.CharField(max_length=16, choices=MappingSource.choices)
    pattern = models.CharField(max_length=100)
    reason = models.ForeignKey(ReasonCode, on_delete=models.PROTECT, related_name="mappings")
    # Recorded from an analyst's decision rather than typed in.
    learned = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source", "pattern"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "pattern"], name="reason_mapping_uniq"
            ),
            models.CheckConstraint(condition=~Q(pattern=""), name="reason_mapping_pattern_set"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.pattern} -> {self.reason.code}"


class DeductionStatus(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_RESEARCH = "in_research", "In research"
    WAITING_CUSTOMER = "waiting_customer", "Waiting on customer"
    WAITING_INTERNAL = "waiting_internal", "Waiting internally"
    VALID = "valid", "Validated: valid"
    INVALID = "invalid", "Validated: invalid"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Statuses in which a deduction is still someone's work.
OPEN_STATUSES = frozenset(
    {
        DeductionStatus.NEW,
        DeductionStatus.ASSIGNED,
        DeductionStatus.IN_RESEARCH,
        DeductionStatus.WAITING_CUSTOMER,
        DeductionStatus.WAITING_INTERNAL,
        DeductionStatus.VALID,
        DeductionStatus.INVALID,
    }
)


class DeductionSource(models.TextChoices):
    SHORT_PAYMENT = "short_payment", "Short payment"
    DISPUTE = "dispute", "Invoice dispute"


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
    # A dispute of one line of the invoice (raised by hand).
    invoice_line = models.ForeignKey(
        "invoicing.InvoiceLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deductions",
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
    # What the customer said: their claim code and remittance wording.
    reason_code = models.CharField(max_length=32, blank=True)
    reason_text = models.CharField(max_length=300, blank=True)
    # Our reason, mapped from what the customer said or set by an analyst.
    reason = models.ForeignKey(
        ReasonCode, null=True, blank=True, on_delete=models.PROTECT, related_name="deductions"
    )
    source = models.CharField(
        max_length=16, choices=DeductionSource.choices, default=DeductionSource.SHORT_PAYMENT
    )
    status = models.CharField(
        max_length=16, choices=DeductionStatus.choices, default=DeductionStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deductions_owned",
    )
    owner_team = models.CharField(max_length=24, choices=OwnerTeam.choices, blank=True)
    research_due = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
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
            # The analyst queue's orderings and filters (bench/deductions_queue.py).
            models.Index(fields=["tenant", "created_at", "id"], name="deduction_queue_age_idx"),
            models.Index(fields=["tenant", "amount", "id"], name="deduction_queue_value_idx"),
            models.Index(fields=["tenant", "research_due", "id"], name="deduction_queue_due_idx"),
            models.Index(
                fields=["tenant", "reason", "created_at"], name="deduction_queue_reason_idx"
            ),
            models.Index(
                fields=["tenant", "owner", "created_at"], name="deduction_queue_owner_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Deduction {self.open_item.number} {self.amount} {self.currency}"

    @property
    def open_amount(self) -> Decimal:
        """What is still open, read from the ledger item (the one truth)."""
        return self.open_item.open_amount


class ResolutionKind(models.TextChoices):
    CREDIT_MEMO = "credit_memo", "Credit memo (valid)"
    REBILL = "rebill", "Re-bill to the customer (invalid)"
    REINSTATE = "reinstate", "Reinstate on the invoice (invalid)"
    WRITE_OFF = "write_off", "Write-off"


class ResolutionStatus(models.TextChoices):
    POSTED = "posted", "Posted"
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"
    REJECTED = "rejected", "Rejected"


class DeductionResolution(TenantOwnedModel):
    """One part of a deduction's outcome; a deduction is resolved when its
    posted resolutions add up to its amount. A write-off above the
    requester's approval limit waits (reserving its amount) for a manager."""

    deduction = models.ForeignKey(Deduction, on_delete=models.PROTECT, related_name="resolutions")
    kind = models.CharField(max_length=16, choices=ResolutionKind.choices)
    status = models.CharField(max_length=16, choices=ResolutionStatus.choices)
    amount = amount_field()
    currency = CurrencyField()
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    credit_memo = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The ledger item a re-bill posted (a debit memo item the customer owes).
    rebill_item = models.ForeignKey(
        "ledger.OpenItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    auto = models.BooleanField(default=False)  # by the tenant's auto write-off rule
    idempotency_key = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="resolution_amount_positive"),
            models.UniqueConstraint(
                fields=["tenant", "deduction", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="resolution_idempotency_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "kind"], name="resolution_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"


class DeductionPolicy(TenantOwnedModel):
    """Per tenant: deductions up to `auto_write_off_limit` (base currency)
    whose reason is among `auto_write_off_reasons` are written off as soon as
    they are opened, by the system, and logged. A limit of 0 turns it off."""

    auto_write_off_limit = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Reason codes (their `code`), so the rule reads like the tenant wrote it.
    auto_write_off_reasons = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="deduction_policy_tenant_uniq"),
            models.CheckConstraint(
                condition=Q(auto_write_off_limit__gte=0), name="deduction_policy_limit_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Deduction policy of tenant {self.tenant_id}"


def attachment_path(instance: DeductionAttachment, filename: str) -> str:
    return f"deductions/{instance.tenant_id}/{instance.deduction_id}/{filename}"


class DeductionAttachment(TenantOwnedModel):
    """Proof of delivery, remittance images, claims: stored through Django's
    storage, so S3 works in production."""

    deduction = models.ForeignKey(Deduction, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
