"""Payments, bank statements and cash application.

How money in becomes money applied:

- ``BankStatement`` / ``BankStatementLine``: what the bank reported, one row
  per parsed transaction. A line carries a fingerprint that is unique per
  tenant, so an entry that arrives again (the intraday report and then the
  day's statement, or the same file uploaded twice) is recognised and
  creates nothing. A whole statement is recognised by (account, statement
  id) or by the file's SHA-256.
- ``Payment``: one incoming payment (from a bank line, the API or manual
  entry). It is *unidentified* until a customer is known and then posted to
  the ledger as a PAYMENT open item (unapplied cash). An unidentified
  payment is not a ledger item because ledger items belong to a customer;
  until then the money sits in the bank's cash clearing, which the GL
  reconciles against the statement. Applied / partially applied follow the
  ledger: the payment's item open amount is the truth.
- ``MatchProposal``: what the engine (or a person) suggests doing with one
  payment: which items to settle with how much, what stays on account, what
  becomes a deduction or a small write-off, with a confidence and an
  explanation a clerk can read. Proposals above the tenant's threshold are
  applied automatically.
- ``CashAllocation``: what applying a proposal did in the ledger, one row per
  ledger application (cash, discount, tolerance write-off, deduction), so a
  payment's applications can be listed and reversed together.
- ``PayerAccount`` / ``PayerAlias``: what the engine learned from people:
  this IBAN pays for that customer, this name on the statement is that
  customer.
- ``CashApplicationPolicy``: per-tenant thresholds and tolerances.
- ``CsvMappingProfile``: a tenant's saved description of its bank's CSV.
- ``Remittance`` / ``RemittanceLine``: remittance advices (EDI 820, CSV),
  linked to their payment.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from otc.ledger.models import amount_field
from otc.tenancy.models import TenantOwnedModel


class CashApplicationPolicy(TenantOwnedModel):
    """A tenant's rules for automatic cash application. Tenants without a
    row get the defaults of the fields (``cash_policy_get``)."""

    # Proposals at or above this confidence (0-100) are applied without a person.
    auto_apply_threshold = models.PositiveSmallIntegerField(default=90)
    # A difference up to min(amount, percent of the invoice) is written off.
    tolerance_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("5"))
    tolerance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0.50"))
    # A payment in another currency matches within this much of the converted amount.
    fx_tolerance_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("1.00")
    )
    # Days after the discount date a discount is still accepted (bank float).
    discount_grace_days = models.PositiveSmallIntegerField(default=3)
    max_subset_size = models.PositiveSmallIntegerField(default=5)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "cash application policies"
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="cashpolicy_tenant_uniq"),
            models.CheckConstraint(
                condition=Q(auto_apply_threshold__lte=100), name="cashpolicy_threshold_range"
            ),
            models.CheckConstraint(
                condition=Q(max_subset_size__gte=1) & Q(max_subset_size__lte=8),
                name="cashpolicy_subset_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Cash application policy (auto at {self.auto_apply_threshold})"


class CsvMappingProfile(TenantOwnedModel):
    """A saved ``CsvColumnMapping`` (its fields as JSON) under a name."""

    name = models.CharField(max_length=100)
    mapping = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="csvmapping_tenant_name_uniq")
        ]

    def __str__(self) -> str:
        return self.name


class StatementStatus(models.TextChoices):
    IMPORTED = "imported", "Imported, matching pending"
    MATCHED = "matched", "Matched"


class BankStatement(TenantOwnedModel):
    format = models.CharField(max_length=16)
    account = models.CharField(max_length=64)
    statement_id = models.CharField(max_length=140)
    currency = CurrencyField()
    created_on = models.DateField(null=True, blank=True)
    from_date = models.DateField(null=True, blank=True)
    to_date = models.DateField(null=True, blank=True)
    opening_balance = amount_field(null=True, blank=True)
    closing_balance = amount_field(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=StatementStatus.choices, default=StatementStatus.IMPORTED
    )
    line_count = models.PositiveIntegerField(default=0)
    payment_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_label = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "account", "statement_id"],
                name="bankstatement_tenant_acct_id_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "file_sha256"], name="bankstatement_sha_idx"),
            models.Index(fields=["tenant", "imported_at"], name="bankstatement_imported_idx"),
        ]

    def __str__(self) -> str:
        return f"Statement {self.statement_id} ({self.account})"


class LineKind(models.TextChoices):
    PAYMENT = "payment", "Incoming payment"
    RETURN = "return", "Returned payment"
    DEBIT = "debit", "Outgoing / charge"


class BankStatementLine(TenantOwnedModel):
    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=LineKind.choices)
    amount = amount_field()
    currency = CurrencyField()
    booking_date = models.DateField(null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    bank_reference = models.CharField(max_length=140, blank=True)
    end_to_end_id = models.CharField(max_length=140, blank=True)
    payer_name = models.CharField(max_length=200, blank=True)
    payer_account = models.CharField(max_length=64, blank=True)
    remittance_text = models.TextField(blank=True)
    structured_references = ArrayField(models.CharField(max_length=140), default=list)
    transaction_code = models.CharField(max_length=32, blank=True)
    return_reason = models.CharField(max_length=35, blank=True)
    charges = amount_field(default=Decimal(0))
    location = models.CharField(max_length=120, blank=True)
    payment = models.ForeignKey(
        "Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    # What the import did with a line that made no payment (returns, debits).
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "fingerprint"], name="bankline_tenant_fingerprint_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "statement", "position"], name="bankline_pos_idx")
        ]

    def __str__(self) -> str:
        return f"Line {self.position} {self.amount} {self.currency}"


class PaymentStatus(models.TextChoices):
    UNIDENTIFIED = "unidentified", "Unidentified"
    UNAPPLIED = "unapplied", "Unapplied"
    PARTIALLY_APPLIED = "partially_applied", "Partially applied"
    APPLIED = "applied", "Applied"
    RETURNED = "returned", "Returned"
    REFUNDED = "refunded", "Refunded"
    REVERSED = "reversed", "Reversed"


OPEN_PAYMENT_STATUSES = (
    PaymentStatus.UNIDENTIFIED,
    PaymentStatus.UNAPPLIED,
    PaymentStatus.PARTIALLY_APPLIED,
)


class PaymentSource(models.TextChoices):
    BANK = "bank", "Bank statement"
    API = "api", "API"
    MANUAL = "manual", "Manual entry"


class Payment(TenantOwnedModel):
    external_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    source = models.CharField(max_length=8, choices=PaymentSource.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    open_item = models.OneToOneField(
        "ledger.OpenItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment",
    )
    number = models.CharField(max_length=64)
    amount = amount_field()
    currency = CurrencyField()
    value_date = models.DateField()
    payer_name = models.CharField(max_length=200, blank=True)
    payer_account = models.CharField(max_length=64, blank=True)
    payer_bic = models.CharField(max_length=11, blank=True)
    bank_reference = models.CharField(max_length=140, blank=True)
    end_to_end_id = models.CharField(max_length=140, blank=True)
    remittance_text = models.TextField(blank=True)
    structured_references = ArrayField(models.CharField(max_length=140), default=list)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNIDENTIFIED
    )
    # The best proposal's confidence and explanation, for the queue.
    match_confidence = models.PositiveSmallIntegerField(null=True, blank=True)
    match_summary = models.CharField(max_length=500, blank=True)
    matched_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=140, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-value_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="payment_tenant_external_ref_uniq",
            ),
            models.UniqueConstraint(fields=["tenant", "number"], name="payment_tenant_number_uniq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(external_ref=""), name="payment_external_ref_null_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(status="unidentified")
                | Q(status="returned")
                | Q(status="refunded")
                | Q(status="reversed")
                | Q(customer__isnull=False),
                name="payment_identified_has_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "value_date"], name="payment_status_idx"),
            models.Index(fields=["tenant", "updated_at"], name="payment_updated_idx"),
            models.Index(fields=["tenant", "customer"], name="payment_customer_idx"),
            models.Index(fields=["tenant", "end_to_end_id"], name="payment_e2e_idx"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.number} {self.amount} {self.currency}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"
    REVERSED = "reversed", "Applied, then reversed"


class MatchProposal(TenantOwnedModel):
    """One way to apply a payment. ``allocations`` is a list of
    ``{"item_id", "number", "amount" (item currency), "payment_amount"
    (payment currency), "discount", "write_off"}``; ``deduction`` is
    ``{"item_id", "amount", "reason_code", "reason_text"}`` or empty."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="proposals")
    rank = models.PositiveSmallIntegerField(default=1)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confidence = models.PositiveSmallIntegerField()
    explanation = models.TextField()
    reasons = models.JSONField(default=list)
    allocations = models.JSONField(default=list)
    on_account = amount_field(default=Decimal(0))
    deduction = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    by_engine = models.BooleanField(default=True)  # False: a person built it by hand
    auto_applied = models.BooleanField(default=False)
    # Set when a person reverses or corrects an automatic application.
    corrected = models.BooleanField(default=False)
    learned = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payment", "status", "rank"]
        indexes = [
            models.Index(fields=["tenant", "payment", "status"], name="proposal_payment_idx"),
            models.Index(fields=["tenant", "decided_at"], name="proposal_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"Proposal {self.rank} for {self.payment_id} ({self.confidence})"


class AllocationKind(models.TextChoices):
    CASH = "cash", "Cash applied"
    DISCOUNT = "discount", "Early-payment discount"
    WRITE_OFF = "write_off", "Tolerance write-off"
    DEDUCTION = "deduction", "Deduction opened"


class CashAllocation(TenantOwnedModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    proposal = models.ForeignKey(
        MatchProposal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=AllocationKind.choices)
    invoice_item = models.ForeignKey("ledger.OpenItem", on_delete=models.PROTECT, related_name="+")
    amount = amount_field()  # in the invoice item's currency
    payment_amount = amount_field(default=Decimal(0))  # cash only, in the payment's currency
    application = models.OneToOneField(
        "ledger.Application", on_delete=models.PROTECT, related_name="cash_allocation"
    )
    deduction = models.ForeignKey(
        "deductions.Deduction", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["payment", "id"]
        indexes = [
            models.Index(fields=["tenant", "payment"], name="cashalloc_payment_idx"),
            models.Index(fields=["tenant", "invoice_item"], name="cashalloc_item_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class PayerAccount(TenantOwnedModel):
    """A bank account (IBAN, compact and upper case) that pays for a customer."""

    account = models.CharField(max_length=64)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="payer_accounts"
    )
    learned_from_payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "account"], name="payeraccount_tenant_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.account} -> {self.customer_id}"


class PayerAlias(TenantOwnedModel):
    """A payer name as banks spell it (normalized) that means a customer."""

    alias = models.CharField(max_length=200)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="payer_aliases"
    )
    learned_from_payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "alias"], name="payeralias_tenant_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.alias} -> {self.customer_id}"


class Remittance(TenantOwnedModel):
    format = models.CharField(max_length=16)
    payer_name = models.CharField(max_length=200, blank=True)
    payment_reference = models.CharField(max_length=140, blank=True)
    payment_amount = amount_field(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    payment_date = models.DateField(null=True, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="remittances"
    )
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "payment_reference"], name="remittance_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"Remittance {self.payment_reference}"


class RemittanceLine(TenantOwnedModel):
    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    reference = models.CharField(max_length=140)
    paid_amount = amount_field(null=True, blank=True)
    invoice_amount = amount_field(null=True, blank=True)
    discount_amount = amount_field(null=True, blank=True)
    adjustment_amount = amount_field(null=True, blank=True)
    adjustment_reason = models.CharField(max_length=140, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["remittance", "position"]

    def __str__(self) -> str:
        return f"{self.reference} {self.paid_amount}"


# Collections (dunning, activities, promises, priorities) keep their models in
# their own module; importing them here registers them with the app.
from collections_app.assignment.models import (  # noqa: E402, F401
    CollectorOverride,
    CollectorRule,
)
from collections_app.dunning.models import (  # noqa: E402, F401
    CollectionActivity,
    CollectionPriority,
    DunningCharge,
    DunningLetter,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    DunningRun,
    DunningSettings,
    DunningTemplate,
    PromiseItem,
    PromiseToPay,
    StatementDelivery,
)
from collections_app.strategies.models import (  # noqa: E402, F401
    CollectionStrategy,
    CollectionTask,
    StrategyRunDay,
    StrategyStep,
)
