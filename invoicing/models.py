"""Invoices, credit memos and debit memos, their lines, and gap-free numbering.

Data and constraints only. What may happen to a document (issue, cancel,
credit) lives in ``invoicing.services``; what is owed on it lives in the AR
ledger (``otc.ledger``): an issued document points at its ledger open item,
and its status follows the open amount there.

Amounts are Decimal columns beside the document's one currency column, as in
the ledger (several amounts share a currency; reports read many rows), with
four decimal places so every ISO minor unit (KWD 3, CLF 4) is stored exactly.
The services quantize every stored amount to the currency's minor unit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from djmoney.models.fields import CurrencyField

from otc.tenancy.models import Tenant, TenantOwnedModel

AMOUNT_DIGITS, AMOUNT_DECIMALS = 18, 4
RATE_DIGITS, RATE_DECIMALS = 20, 10
QUANTITY_DIGITS, QUANTITY_DECIMALS = 18, 4
PRICE_DIGITS, PRICE_DECIMALS = 18, 6
PERCENT_DIGITS, PERCENT_DECIMALS = 5, 2


def amount_field(**kwargs: Any) -> models.DecimalField:
    return models.DecimalField(max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_DECIMALS, **kwargs)


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", "Invoice"
    CREDIT_MEMO = "credit_memo", "Credit memo"
    DEBIT_MEMO = "debit_memo", "Debit memo"


# The series a document is numbered in unless the caller names another.
DEFAULT_SERIES: dict[str, str] = {
    InvoiceKind.INVOICE: "INV",
    InvoiceKind.CREDIT_MEMO: "CRN",
    InvoiceKind.DEBIT_MEMO: "DBN",
}


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


# A credit memo is not paid but used up: the same states, read differently.
CREDIT_MEMO_STATUS_LABELS: dict[str, str] = {
    InvoiceStatus.ISSUED: "Issued (unused)",
    InvoiceStatus.PARTIALLY_PAID: "Partially applied",
    InvoiceStatus.PAID: "Fully applied",
}


class InvoiceOrigin(models.TextChoices):
    MANUAL = "manual", "Entered in OTC"
    API = "api", "Created over the API"
    IMPORT = "import", "Imported open balance"
    ORDER = "order", "Invoiced from a sales order"


class TaxCategory(models.TextChoices):
    """VAT category codes of EN 16931 (UNTDID 5305), as e-invoices need them:
    a 0 % line must say *why* it is 0 % (zero-rated, exempt, reverse charge...)."""

    STANDARD = "S", "Standard rate"
    ZERO = "Z", "Zero rated"
    EXEMPT = "E", "Exempt from tax"
    REVERSE_CHARGE = "AE", "Reverse charge"
    INTRA_COMMUNITY = "K", "Intra-community supply (EU)"
    EXPORT = "G", "Export outside the EU"


class Invoice(TenantOwnedModel):
    # Indexed as the first column of the indexes in Meta: an index of the
    # tenant alone cost every issue, and the planner read a whole tenant's
    # documents through it to lock a batch of a thousand by id.
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=False, editable=False)
    kind = models.CharField(max_length=16, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    status = models.CharField(
        max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    origin = models.CharField(
        max_length=8, choices=InvoiceOrigin.choices, default=InvoiceOrigin.MANUAL
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    currency = CurrencyField()
    series = models.CharField(max_length=16)
    # Empty until the document is issued: the gap-free number is drawn then.
    # Imported open balances keep the old system's number as it was.
    number = models.CharField(max_length=64, blank=True, default="")
    # The document date; a draft may carry the date it is meant to be issued on.
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # True when somebody set the due date by hand; otherwise it follows the
    # payment terms from the issue date (recomputed when the date moves).
    due_date_manual = models.BooleanField(default=False)
    payment_terms = models.ForeignKey(
        "customers.PaymentTerms",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    discount_date = models.DateField(null=True, blank=True)
    discount_amount = amount_field(default=0)
    # The ERP's id of the document: optional, never shared by two. NULL, not "".
    external_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    related_invoice = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="memos"
    )
    # The released sales order (credit app) this invoice bills, in part or in
    # full; issuing it takes its amount off the order's open exposure.
    source_order = models.ForeignKey(
        "credit.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    # The full credit memo that cancelled this document (issued ones only).
    cancellation_memo = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancels"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    notes = models.TextField(blank=True)
    buyer_reference = models.CharField(max_length=100, blank=True)
    po_number = models.CharField(max_length=100, blank=True)
    net_amount = amount_field(default=0)
    tax_amount = amount_field(default=0)
    gross_amount = amount_field(default=0)
    # Locked at issue: 1 document currency = fx_rate base currency on the issue date.
    fx_rate = models.DecimalField(
        max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS, null=True, blank=True
    )
    # The tenant's base currency at issue (set with the rate; empty on drafts).
    base_currency = models.CharField(max_length=3, blank=True, default="")
    base_gross_amount = amount_field(null=True, blank=True)
    # The ledger item of the whole document; of its first installment when
    # the terms split it (the others: ``installments``).
    open_item = models.OneToOneField(
        "ledger.OpenItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # How many InvoiceInstallment rows (and ledger items) the document was
    # issued in; 0 when it is owed as one item.
    installment_count = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=~Q(number=""),
                name="invoice_tenant_number_uniq",
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="invoice_tenant_external_ref_uniq",
            ),
            models.CheckConstraint(
                condition=~Q(external_ref=""), name="invoice_external_ref_null_not_empty"
            ),
            # Whatever left the draft state has its number, date and ledger item.
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(status="cancelled") & Q(issued_at__isnull=True))
                | (
                    ~Q(number="")
                    & Q(issue_date__isnull=False)
                    & Q(due_date__isnull=False)
                    & Q(open_item__isnull=False)
                    & Q(fx_rate__isnull=False)
                    & Q(base_gross_amount__isnull=False)
                ),
                name="invoice_issued_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", related_invoice__isnull=True) | ~Q(kind="invoice"),
                name="invoice_only_memos_relate",
            ),
            models.CheckConstraint(
                condition=Q(gross_amount=models.F("net_amount") + models.F("tax_amount")),
                name="invoice_gross_is_net_plus_tax",
            ),
        ]
        indexes = [
            # Delta sync walks documents by change time.
            models.Index(fields=["tenant", "updated_at"], name="invoice_tenant_updated_idx"),
            models.Index(fields=["tenant", "kind", "status"], name="invoice_tenant_kind_st_idx"),
            models.Index(fields=["tenant", "customer"], name="invoice_tenant_customer_idx"),
            models.Index(fields=["tenant", "due_date"], name="invoice_tenant_due_idx"),
            models.Index(fields=["tenant", "issue_date"], name="invoice_tenant_issued_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.display_number}"

    @property
    def display_number(self) -> str:
        return self.number or f"draft #{self.pk}"

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_memo(self) -> bool:
        return self.kind != InvoiceKind.INVOICE

    @property
    def status_label(self) -> str:
        if self.kind == InvoiceKind.CREDIT_MEMO and self.status in CREDIT_MEMO_STATUS_LABELS:
            return CREDIT_MEMO_STATUS_LABELS[self.status]
        return str(self.get_status_display())


class InvoiceLine(TenantOwnedModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    product_code = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_DECIMALS)
    # UN/ECE Recommendation 20 code (C62 one, HUR hour, KGM kilogram...), as
    # e-invoices need it.
    unit = models.CharField(max_length=3, default="C62")
    unit_price = models.DecimalField(max_digits=PRICE_DIGITS, decimal_places=PRICE_DECIMALS)
    discount_percent = models.DecimalField(
        max_digits=PERCENT_DIGITS, decimal_places=PERCENT_DECIMALS, default=0
    )
    tax_rate = models.DecimalField(
        max_digits=PERCENT_DIGITS, decimal_places=PERCENT_DECIMALS, default=0
    )
    tax_category = models.CharField(
        max_length=2, choices=TaxCategory.choices, default=TaxCategory.STANDARD
    )
    line_net = amount_field()
    # The order line this line bills (invoices made from an order): how much
    # of each order line is still to invoice is read from these.
    order_line = models.ForeignKey(
        "credit.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invoice", "position"], name="invoiceline_position_uniq"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lt=100),
                name="invoiceline_discount_range",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lt=100),
                name="invoiceline_tax_rate_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "invoice"], name="invoiceline_tenant_inv_idx")]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}"


class InvoiceInstallment(TenantOwnedModel):
    """One part of an invoice issued under split payment terms: its due date,
    amount and base amount as issued, and the ledger open item that carries
    what is still owed on it. Only split invoices have rows; the parts'
    amounts (and base amounts) sum exactly to the invoice's."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="installments")
    sequence = models.PositiveSmallIntegerField()
    share_percent = models.DecimalField(max_digits=PERCENT_DIGITS, decimal_places=PERCENT_DECIMALS)
    due_date = models.DateField()
    amount = amount_field()
    base_amount = amount_field()
    open_item = models.OneToOneField(
        "ledger.OpenItem", on_delete=models.PROTECT, related_name="invoice_installment"
    )

    class Meta:
        ordering = ["invoice", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invoice", "sequence"], name="invoiceinstallment_seq_uniq"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoiceinstallment_positive"),
        ]
        indexes = [
            models.Index(fields=["tenant", "invoice"], name="invoiceinstallment_inv_idx"),
        ]

    def __str__(self) -> str:
        return f"Installment {self.sequence} of invoice #{self.invoice_id}"


class NumberSequence(TenantOwnedModel):
    """The next number of one series in one year. Issuing locks the row, so
    numbers are handed out one at a time; the increment commits or rolls back
    with the issue itself, so no number is ever skipped or used twice."""

    series = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    next_value = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "series", "year"], name="numbersequence_tenant_series_year_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: next {self.next_value}"


# --- documents and delivery ---------------------------------------------------------


class DocumentFileKind(models.TextChoices):
    PDF = "pdf", "PDF (Factur-X, PDF/A-3)"
    UBL = "ubl", "UBL 2.1 XML (Peppol BIS 3)"


class InvoiceDocumentFile(TenantOwnedModel):
    """A rendered document of an issued invoice, kept in Django's default
    storage (local files, or S3 through django-storages): the Factur-X PDF
    with its CII XML embedded, and the UBL XML.

    One row per invoice and kind: the current version. ``source_hash``
    fingerprints the ``InvoiceDocument`` it was rendered from, so rendering
    again from unchanged data replaces nothing; after a correction of master
    data (the tenant's IBAN, the customer's address) it is replaced."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="document_files")
    kind = models.CharField(max_length=8, choices=DocumentFileKind.choices)
    file = models.FileField(upload_to="invoice-documents/", max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    source_hash = models.CharField(max_length=64)
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["invoice", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invoice", "kind"], name="invoicedocfile_one_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of invoice #{self.invoice_id}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class InvoiceDelivery(TenantOwnedModel):
    """One e-mail of an invoice document to the customer: whom, what, and
    what became of it. The worker moves a row queued -> sending with a
    compare-and-set before it talks to the mail server, so a retried or
    duplicated task never sends a message twice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries")
    recipients = ArrayField(models.EmailField(), default=list)
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    subject = models.CharField(max_length=300, blank=True)
    # The attached PDF as it left (sha256 of the stored file).
    document_sha256 = models.CharField(max_length=64, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    failure_reason = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | (Q(sent_at__isnull=False) & ~Q(message_id="")),
                name="invoicedelivery_sent_has_message",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "invoice"], name="invoicedelivery_invoice_idx"),
            models.Index(
                fields=["tenant", "status", "created_at"], name="invoicedelivery_status_idx"
            ),
            models.Index(fields=["tenant", "created_at"], name="invoicedelivery_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Delivery #{self.pk} of invoice #{self.invoice_id} ({self.status})"
