"""Returns (RMA) and refunds: the two ways goods or money go back to a customer.

A return authorisation names issued invoice lines and quantities; it is
authorised, the goods are received (some accepted, the rest rejected with a
note), the accepted part is credited with a credit memo through invoicing,
and the customer chooses a refund or to keep the credit on account. Each
step goes through one transition table (``deductions.services.returns``).

A refund pays a customer's unapplied cash or credit balance (a payment or
credit memo open item) back: within the requester's approval limit it is
approved at once, above it it waits for a manager; on approval it is posted
to the ledger as an outgoing payment, and EUR refunds are exported in a
SEPA credit transfer file (pain.001) once, batch by batch.

Imported by ``deductions.models`` so Django registers these models with the app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from otc.ledger.models import amount_field
from otc.tenancy.models import TenantOwnedModel

QUANTITY_DIGITS, QUANTITY_DECIMALS = 15, 4  # as invoice lines count them


def _quantity(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(
        max_digits=QUANTITY_DIGITS,
        decimal_places=QUANTITY_DECIMALS,
        **kwargs,  # type: ignore[arg-type]
    )


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    AUTHORISED = "authorised", "Authorised"
    RECEIVED = "received", "Goods received"
    CREDITED = "credited", "Credited"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class ReturnSettlement(models.TextChoices):
    REFUND = "refund", "Refund to the customer"
    ON_ACCOUNT = "on_account", "Keep as credit on account"


class ReturnAuthorisation(TenantOwnedModel):
    number = models.CharField(max_length=32)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="return_authorisations"
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="return_authorisations"
    )
    reason = models.ForeignKey(
        "deductions.ReasonCode", on_delete=models.PROTECT, related_name="returns"
    )
    currency = CurrencyField()
    status = models.CharField(
        max_length=16, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED
    )
    note = models.CharField(max_length=500, blank=True)
    receipt_note = models.CharField(max_length=500, blank=True)
    credit_memo = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settlement = models.CharField(max_length=16, choices=ReturnSettlement.choices, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authorised_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="return_number_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="return_idempotency_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="return_status_idx"),
            models.Index(fields=["tenant", "invoice"], name="return_invoice_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(TenantOwnedModel):
    """One invoice line being returned: `quantity` asked for and authorised;
    on receipt `accepted_quantity` is credited, the rest was rejected."""

    rma = models.ForeignKey(ReturnAuthorisation, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(
        "invoicing.InvoiceLine", on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = _quantity()
    accepted_quantity = _quantity(null=True, blank=True)
    rejected_quantity = _quantity(null=True, blank=True)
    rejection_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["invoice_line__position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "rma", "invoice_line"], name="return_line_uniq"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="return_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(accepted_quantity__isnull=True)
                | (
                    Q(accepted_quantity__gte=0)
                    & Q(rejected_quantity__gte=0)
                    & Q(quantity=models.F("accepted_quantity") + models.F("rejected_quantity"))
                ),
                name="return_line_received_adds_up",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "invoice_line"], name="return_line_inv_line_idx")]

    def __str__(self) -> str:
        return f"{self.rma_id} line {self.invoice_line_id} x {self.quantity}"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PENDING_APPROVAL = "pending_approval", "Waiting for approval"
    APPROVED = "approved", "Approved (paid in the ledger)"
    EXPORTED = "exported", "Exported to the bank"
    REJECTED = "rejected", "Rejected"


class RefundExport(TenantOwnedModel):
    """One SEPA credit transfer file (pain.001) with the refunds it pays."""

    message_id = models.CharField(max_length=35)
    execution_date = models.DateField()
    currency = CurrencyField()
    total = amount_field()
    count = models.PositiveIntegerField()
    xml = models.TextField()
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "message_id"], name="refund_export_msg_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="refund_export_idempotency_uniq",
            ),
        ]

    def __str__(self) -> str:
        return self.message_id


class Refund(TenantOwnedModel):
    number = models.CharField(max_length=32)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="refunds"
    )
    # The payment or credit memo item whose open credit is paid back.
    credit_item = models.ForeignKey(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="refunds"
    )
    # The outgoing payment the approval posted (kind REFUND).
    refund_item = models.OneToOneField(
        "ledger.OpenItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rma = models.ForeignKey(
        ReturnAuthorisation, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = amount_field()
    currency = CurrencyField()
    status = models.CharField(
        max_length=20, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    # The customer's account, as python-stdnum's compact form.
    payee_name = models.CharField(max_length=70)
    payee_iban = models.CharField(max_length=34)
    payee_bic = models.CharField(max_length=11, blank=True)
    note = models.CharField(max_length=140, blank=True)
    export = models.ForeignKey(
        RefundExport, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(fields=["tenant", "number"], name="refund_number_uniq"),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="refund_idempotency_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"], name="refund_status_idx"),
            models.Index(fields=["tenant", "credit_item", "status"], name="refund_credit_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.amount} {self.currency}"
