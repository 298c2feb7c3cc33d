"""The AR open-item ledger: the single source of truth for what a customer owes.

- OpenItem: one receivable or credit document (invoice, memo, payment,
  deduction, write-off). Debit items (the customer owes) carry a positive
  amount, credit items a negative one, so a customer's balance is the plain
  sum of open amounts. Amount, currency, rate and dates never change once
  posted; only the open amount and status move, and only through
  applications.
- Application: how much of a credit item settles a debit item, in both
  currencies, with the realised FX difference. Never edited: a mistake is
  undone by a reversing application.
- Posting / PostingLine: the balanced journal behind every change (base
  currency sums to zero per posting, checked by the database at commit).
  Append-only.

Amounts are Decimal columns beside an explicit currency column rather than
django-money fields: the ledger is read a million rows at a time by aging
and reports, and three amounts share one currency per row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from otc.tenancy.models import Tenant, TenantOwnedModel

AMOUNT_DIGITS, AMOUNT_DECIMALS = 18, 4  # up to four minor units (CLF), stored exactly
RATE_DIGITS, RATE_DECIMALS = 20, 10


def amount_field(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, **kwargs)


class ItemKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    DEBIT_MEMO = "debit_memo", "Debit memo"
    DEDUCTION = "deduction", "Deduction"
    CREDIT_MEMO = "credit_memo", "Credit memo"
    PAYMENT = "payment", "Payment (unapplied cash)"
    WRITE_OFF = "write_off", "Write-off"
    REVERSAL = "reversal", "Reversal"
    # Money paid back to the customer (an outgoing payment), created by the
    # ledger's refund posting and settled at once against the credit it repays.
    REFUND = "refund", "Refund (outgoing payment)"


DEBIT_KINDS = frozenset({ItemKind.INVOICE, ItemKind.DEBIT_MEMO, ItemKind.DEDUCTION})
CREDIT_KINDS = frozenset({ItemKind.CREDIT_MEMO, ItemKind.PAYMENT, ItemKind.WRITE_OFF})


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class OpenItem(TenantOwnedModel):
    # Every index of this table leads with the tenant; an index of the tenant
    # alone only costs inserts, and the planner wrongly prefers it (it is in
    # physical order) over (tenant, customer, ...) for one customer's items
    # once other tenants' rows are many: a credit check read 55,000 rows for
    # 5,000 (33 ms instead of 5 ms).
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    # Read one tenant's customer at a time, through (tenant, customer, ...)
    # below; an index of the customer alone only cost every posting.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="ledger_items", db_index=False
    )
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    number = models.CharField(max_length=64)
    currency = CurrencyField()
    amount = amount_field()
    # Locked on the document date: base = round(amount * fx_rate).
    fx_rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS)
    base_amount = amount_field()
    open_amount = amount_field()
    open_base_amount = amount_field()
    document_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    closed_on = models.DateField(null=True, blank=True)
    # The document this item stands for, e.g. ("invoicing.invoice", "42").
    source_type = models.CharField(max_length=64, blank=True)
    source_id = models.CharField(max_length=64, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_item_amount_not_zero"),
            # Open amounts stay on the item's side of zero and never exceed it:
            # nothing is ever over-applied.
            models.CheckConstraint(
                condition=(
                    Q(amount__gt=0) & Q(open_amount__gte=0) & Q(open_amount__lte=models.F("amount"))
                )
                | (
                    Q(amount__lt=0) & Q(open_amount__lte=0) & Q(open_amount__gte=models.F("amount"))
                ),
                name="ledger_item_open_within_amount",
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & ~Q(open_amount=0) & Q(closed_on__isnull=True))
                | (Q(status="closed") & Q(open_amount=0) & Q(closed_on__isnull=False)),
                name="ledger_item_status_matches_open",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["invoice", "debit_memo", "deduction"]) | Q(amount__gt=0),
                name="ledger_item_debit_kinds_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["credit_memo", "payment", "write_off"]) | Q(amount__lt=0),
                name="ledger_item_credit_kinds_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "customer", "due_date"],
                name="ledger_item_open_due_idx",
                condition=Q(status="open"),
            ),
            models.Index(
                fields=["tenant", "customer", "document_date"], name="ledger_item_cust_date_idx"
            ),
            models.Index(
                fields=["tenant", "source_type", "source_id"], name="ledger_item_source_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} {self.amount} {self.currency}"

    @property
    def is_debit(self) -> bool:
        return self.amount > 0


class ApplicationKind(models.TextChoices):
    CASH = "cash", "Cash applied"
    CREDIT_MEMO = "credit_memo", "Credit memo applied"
    WRITE_OFF = "write_off", "Write-off"
    REVERSAL = "reversal", "Item reversal"
    DEDUCTION = "deduction", "Deduction settled"
    REFUND = "refund", "Refund paid out"


class Application(TenantOwnedModel):
    """`amount` of the debit item settled by `credit_amount` of the credit item.

    Positive for an application, negative for the reversal of one (which
    points at it through `reverses`). Base amounts are what each side's
    open base amount went down by; their difference is the realised FX
    gain (positive) or loss (negative) in the tenant's base currency.
    """

    kind = models.CharField(max_length=16, choices=ApplicationKind.choices)
    debit_item = models.ForeignKey(
        OpenItem, on_delete=models.PROTECT, related_name="debit_applications"
    )
    credit_item = models.ForeignKey(
        OpenItem, on_delete=models.PROTECT, related_name="credit_applications"
    )
    amount = amount_field()
    credit_amount = amount_field()
    debit_base_amount = amount_field()
    credit_base_amount = amount_field()
    fx_gain_base = amount_field()
    effective_date = models.DateField()
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    posting = models.OneToOneField("Posting", on_delete=models.PROTECT, related_name="application")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_application_not_zero"),
            models.CheckConstraint(
                condition=Q(
                    fx_gain_base=models.F("credit_base_amount") - models.F("debit_base_amount")
                ),
                name="ledger_application_fx_is_difference",
            ),
            models.CheckConstraint(
                condition=(Q(amount__gt=0) & Q(reverses__isnull=True))
                | (Q(amount__lt=0) & Q(reverses__isnull=False)),
                name="ledger_application_negative_only_as_reversal",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "debit_item", "effective_date"], name="ledger_app_debit_idx"
            ),
            models.Index(
                fields=["tenant", "credit_item", "effective_date"], name="ledger_app_credit_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} on {self.effective_date}"


class Account(models.TextChoices):
    """The few accounts the AR sub-ledger posts to; the GL maps them."""

    RECEIVABLE = "receivable", "Accounts receivable"
    BILLING_CLEARING = "billing_clearing", "Billing clearing (revenue and tax)"
    CASH_CLEARING = "cash_clearing", "Cash clearing"
    WRITE_OFF_EXPENSE = "write_off_expense", "Write-off expense"
    FX_GAIN_LOSS = "fx_gain_loss", "Realised FX gain/loss"


class Posting(TenantOwnedModel):
    # Led by ledger_posting_tenant_id_idx; an index of the tenant alone only
    # cost every posting (and tempts the planner, see OpenItem).
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    effective_date = models.DateField()
    memo = models.CharField(max_length=300)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        # The tenant's latest posting in one probe (ledger_version, which
        # keys the dashboards' caches), however busy other tenants are.
        indexes = [models.Index(fields=["tenant", "id"], name="ledger_posting_tenant_id_idx")]

    def __str__(self) -> str:
        return f"Posting {self.pk} {self.effective_date}: {self.memo}"


class PostingLine(TenantOwnedModel):
    # Led by ledger_line_posting_idx; an index of the tenant alone only cost
    # every posting (and tempts the planner, see OpenItem).
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=24, choices=Account.choices)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    open_item = models.ForeignKey(
        OpenItem, null=True, blank=True, on_delete=models.PROTECT, related_name="posting_lines"
    )
    currency = CurrencyField()
    amount = amount_field()  # signed: debit positive, credit negative
    base_amount = amount_field()

    class Meta:
        indexes = [models.Index(fields=["tenant", "posting"], name="ledger_line_posting_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.base_amount}"


# --- summaries the database keeps for reporting ----------------------------------------


class BalanceSide(models.TextChoices):
    DEBIT = "debit", "Receivable (invoices, debit memos)"
    DEDUCTION = "deduction", "Deduction"
    CREDIT = "credit", "Unapplied credit (payments, credit memos)"


def empty_rows_index(name: str, *zero_fields: str) -> models.Index:
    """The summary rows that have just dropped to zero, which the triggers
    delete at the end of each statement: an index that is empty between
    statements. It gives those DELETEs an exact, cheap lookup; without it
    the planner may walk (tenant, side, aging_date), which for a billing run
    on one due date means every customer's row for each inserted item."""
    return models.Index(
        fields=["tenant", "customer"],
        name=name,
        condition=models.Q(**dict.fromkeys(zero_fields, 0)),
    )


class CustomerBalance(TenantOwnedModel):
    """What each customer has open, per currency and side: a few rows per
    customer, kept by statement-level triggers on ledger_openitem (migration
    0003), so reports rank a million items' customers without reading them.
    Never written by the application."""

    # Led by the unique key; an index of the tenant alone only cost every
    # posting the triggers fold in here.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, related_name="+"
    )
    currency = CurrencyField()
    side = models.CharField(max_length=10, choices=BalanceSide.choices)
    open_amount = amount_field()
    open_base_amount = amount_field()
    item_count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "currency", "side"], name="ledger_custbal_uniq"
            )
        ]
        indexes = [empty_rows_index("ledger_custbal_empty_idx", "item_count")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.side} {self.open_amount} {self.currency}"


class AgingBalance(TenantOwnedModel):
    """Open amounts per customer, currency, side and aging date (the due
    date, or the document date for items without one), kept like
    CustomerBalance: one customer's aging today is a handful of index rows."""

    # Led by the unique key; an index of the tenant alone only cost every
    # posting the triggers fold in here.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, related_name="+"
    )
    currency = CurrencyField()
    side = models.CharField(max_length=10, choices=BalanceSide.choices)
    aging_date = models.DateField()
    open_amount = amount_field()
    open_base_amount = amount_field()
    item_count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "currency", "side", "aging_date"],
                name="ledger_agingbal_uniq",
            )
        ]
        # What falls due in a window, whoever owes it (the forecast backtest).
        indexes = [
            models.Index(fields=["tenant", "side", "aging_date"], name="ledger_agingbal_date_idx"),
            empty_rows_index("ledger_agingbal_empty_idx", "item_count"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.aging_date} {self.open_amount} {self.currency}"


class AgingChange(TenantOwnedModel):
    """How the open amounts (and the number of open items) of one
    AgingBalance key changed on one effective date: +amount on an item's
    document date, -applied on each application's effective date (never
    before the document date), and the item count moving as items close or
    reopen. Summing a key's rows up to a date gives what was open at the end
    of that date, so a past aging is AgingBalance minus the changes after it.
    Kept by statement-level triggers on ledger_openitem and
    ledger_application (migration 0004); never written by the application."""

    # Led by the unique key; an index of the tenant alone only cost every
    # posting the triggers fold in here.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, related_name="+"
    )
    currency = CurrencyField()
    side = models.CharField(max_length=10, choices=BalanceSide.choices)
    aging_date = models.DateField()
    effective_date = models.DateField()
    open_amount = amount_field()
    open_base_amount = amount_field()
    item_count = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "currency", "side", "aging_date", "effective_date"],
                name="ledger_agingchange_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "effective_date"], name="ledger_agingchange_eff_idx"),
            empty_rows_index(
                "ledger_agingchange_empty_idx", "open_amount", "open_base_amount", "item_count"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.aging_date} {self.effective_date} {self.open_amount}"


class ReceivableFlow(TenantOwnedModel):
    """What was billed on the debit side (invoices, debit memos, deductions)
    and what was applied to it, in base currency, per day: one row per
    (currency, the debit item's kind, document and aging date, flow,
    effective date), without the customer. Monthly receivables, sales and
    collections for the whole book (reporting's KPIs) are sums over a few
    ten thousand such rows instead of every item and application.

    `flow` is "billed" (the item's base amount on its document date) or the
    kind of an application (its debit base amount on its effective date).
    Rows are appended by statement-level triggers on ledger_openitem and
    ledger_application (migration 0007), never updated in place: a tenant-
    wide total row would make every posting of the same day wait for the
    other's commit. `receivable_flows_compact` (otc.ledger.summaries) folds
    a tenant's rows into one per key now and then; readers always sum."""

    currency = CurrencyField()
    item_kind = models.CharField(max_length=16, choices=ItemKind.choices)
    document_date = models.DateField()
    aging_date = models.DateField()
    flow = models.CharField(max_length=16)
    effective_date = models.DateField()
    base_amount = amount_field()

    def __str__(self) -> str:
        return f"{self.flow} {self.effective_date} {self.base_amount} {self.currency}"


class CustomerCashDay(TenantOwnedModel):
    """Cash applied to one customer's debit items on one effective date
    (applications of kind cash with a positive amount), in base currency,
    with the amount-weighted days late: sum(applied x (effective date - the
    item's due date)). A customer's recent payment habit (reporting's cash
    forecast) is then a sum over its days instead of a join of every
    application to its item. Appended and compacted like ReceivableFlow."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, related_name="+"
    )
    effective_date = models.DateField()
    base_amount = amount_field()
    # amount x days: wider than an amount
    late_base_amount = models.DecimalField(max_digits=24, decimal_places=AMOUNT_DECIMALS)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "effective_date"], name="ledger_custcash_date_idx")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.effective_date} {self.base_amount}"
