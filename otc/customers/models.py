"""The customer master: who we sell to, on which terms, and whom to talk to.

Data and constraints only; every rule that needs more than one row (tax id
per country, parent cycles, collector membership, status moves) lives in
``otc.customers.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django_countries import countries
from django_countries.fields import CountryField
from djmoney.models.fields import CurrencyField

from otc.tenancy.models import TenantOwnedModel

# Languages we can be asked to print documents (invoices, dunning letters) in.
DOCUMENT_LANGUAGES = [
    ("en", "English"),
    ("de", "German"),
    ("fr", "French"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("nl", "Dutch"),
    ("pt", "Portuguese"),
    ("pl", "Polish"),
    ("sv", "Swedish"),
    ("da", "Danish"),
    ("fi", "Finnish"),
    ("nb", "Norwegian"),
    ("cs", "Czech"),
    ("hu", "Hungarian"),
    ("ro", "Romanian"),
    ("ja", "Japanese"),
    ("zh", "Chinese"),
]


class PaymentTermsKind(models.TextChoices):
    NET = "net", "Net days from the document date"
    END_OF_MONTH = "eom", "End of month, then net days"


class PaymentTerms(TenantOwnedModel):
    """When an invoice falls due and what early payment earns, e.g. 2/10 net 30."""

    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=8, choices=PaymentTermsKind.choices, default=PaymentTermsKind.NET
    )
    net_days = models.PositiveSmallIntegerField()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    discount_days = models.PositiveSmallIntegerField(default=0)
    # How many PaymentTermsInstallment rows split a document under these
    # terms (0: one due date). Kept by the payment terms service beside the
    # rows, so issuing thousands of invoices needs no query to learn that
    # their terms are not split.
    installment_count = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "payment terms"
        verbose_name_plural = "payment terms"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="paymentterms_tenant_code_uniq"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0) & Q(discount_percent__lt=100),
                name="paymentterms_discount_percent_range",
            ),
            # A discount needs a window and a window needs a discount.
            models.CheckConstraint(
                condition=(Q(discount_percent=0) & Q(discount_days=0))
                | (Q(discount_percent__gt=0) & Q(discount_days__gt=0)),
                name="paymentterms_discount_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class PaymentTermsInstallment(TenantOwnedModel):
    """One part of split terms, e.g. the 40 % due 90 days after the invoice
    date of "3X30" (30/30/40 at 30/60/90 days). The shares of one terms' parts
    sum to exactly 100 % (checked by the payment terms service)."""

    terms = models.ForeignKey(PaymentTerms, on_delete=models.CASCADE, related_name="installments")
    sequence = models.PositiveSmallIntegerField()
    share_percent = models.DecimalField(max_digits=5, decimal_places=2)
    kind = models.CharField(
        max_length=8, choices=PaymentTermsKind.choices, default=PaymentTermsKind.NET
    )
    net_days = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["terms", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "terms", "sequence"], name="paymentterms_installment_seq_uniq"
            ),
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lte=100),
                name="paymentterms_installment_share_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "terms"], name="paymentterms_inst_terms_idx")]

    def __str__(self) -> str:
        return f"{self.sequence}. {self.share_percent} % at {self.kind} {self.net_days}"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    IN_LEGAL = "in_legal", "In legal"
    CLOSED = "closed", "Closed"


class Customer(TenantOwnedModel):
    # The ERP's id for this customer: optional, but never shared by two. NULL
    # (not "") means "none", so the partial unique constraint ignores it.
    external_ref = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    number = models.CharField(max_length=32)
    legal_name = models.CharField(max_length=200)
    trading_name = models.CharField(max_length=200, blank=True)
    # Normalized (compact) form as python-stdnum returns it, e.g. DE136695976.
    tax_id = models.CharField(max_length=40, blank=True)
    country = CountryField()
    currency = CurrencyField()
    payment_terms = models.ForeignKey(
        PaymentTerms, null=True, blank=True, on_delete=models.PROTECT, related_name="customers"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    segment = models.CharField(max_length=60, blank=True)
    region = models.CharField(max_length=60, blank=True)
    status = models.CharField(
        max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    language = models.CharField(max_length=8, choices=DOCUMENT_LANGUAGES, default="en")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["legal_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "number"], name="customer_tenant_number_uniq"
            ),
            models.UniqueConstraint(
                fields=["tenant", "external_ref"],
                condition=Q(external_ref__isnull=False),
                name="customer_tenant_external_ref_uniq",
            ),
            models.CheckConstraint(
                condition=~Q(external_ref=""), name="customer_external_ref_null_not_empty"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="customer_not_own_parent"
            ),
        ]
        indexes = [
            # Delta sync walks customers by change time.
            models.Index(fields=["tenant", "updated_at"], name="customer_tenant_updated_idx"),
            models.Index(fields=["tenant", "legal_name"], name="customer_tenant_name_idx"),
            models.Index(fields=["tenant", "tax_id"], name="customer_tenant_taxid_idx"),
            models.Index(fields=["tenant", "status"], name="customer_tenant_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.trading_name or self.legal_name


class CustomerNumberSequence(TenantOwnedModel):
    """The next automatic customer number of a tenant; one row, locked while used."""

    next_value = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="customernumbersequence_tenant_uniq")
        ]

    def __str__(self) -> str:
        return f"next customer number {self.next_value}"


class AddressKind(models.TextChoices):
    BILLING = "billing", "Billing"
    SHIPPING = "shipping", "Shipping"


class CustomerAddress(TenantOwnedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=16, choices=AddressKind.choices)
    # The one documents use for this kind unless told otherwise.
    is_default = models.BooleanField(default=False)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    line3 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = CountryField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "kind"],
                condition=Q(is_default=True),
                name="custaddress_one_default_per_kind",
            )
        ]

    def __str__(self) -> str:
        city = f"{self.postal_code} {self.city}".strip()
        parts = [self.line1, city, countries.name(self.country)]
        return ", ".join(part for part in parts if part)


class ContactRole(models.TextChoices):
    AP = "ap", "AP contact"
    DUNNING = "dunning", "Dunning recipient"
    SIGNER = "signer", "Authorized signer"


class CustomerContact(TenantOwnedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    job_title = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    roles = ArrayField(
        models.CharField(max_length=16, choices=ContactRole.choices), default=list, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "customer"], name="custcontact_tenant_cust_idx")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.email else self.name

    @property
    def role_labels(self) -> list[str]:
        labels = dict(ContactRole.choices)
        return [str(labels.get(role, role)) for role in self.roles]
