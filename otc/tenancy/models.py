from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django_countries.fields import CountryField
from djmoney.models.fields import CurrencyField

from otc.tenancy.managers import TenantManager
from otc.tenancy.roles import ROLE_CHOICES, Role

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1f4e79.")


class Tenant(models.Model):
    """A company using OTC. Not tenant-owned itself: it is the tenant."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    base_currency = CurrencyField(default="EUR")
    timezone = models.CharField(max_length=64, default="Europe/Berlin")
    locale = models.CharField(max_length=16, default="en")
    # Branding, used on screens and documents.
    legal_name = models.CharField(max_length=200, blank=True)
    address = models.TextField(blank=True)
    primary_colour = models.CharField(max_length=7, default="#1f4e79", validators=[hex_colour])
    accent_colour = models.CharField(max_length=7, default="#f2a900", validators=[hex_colour])
    logo = models.FileField(upload_to="tenant-logos/", blank=True)
    # The seller on invoices and e-invoices (EN 16931 BG-4). All optional:
    # a tenant fills them in before its first invoice goes out; documents
    # fall back to the locale's country when `country` is empty. VAT id,
    # IBAN and BIC are stored compact (DE136695976, DE89370400440532013000),
    # as python-stdnum validates them in the settings form.
    country = CountryField(blank=True)
    vat_id = models.CharField(max_length=20, blank=True)
    tax_number = models.CharField(max_length=40, blank=True)
    registration = models.CharField(max_length=200, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    bic = models.CharField(max_length=11, blank=True)
    bank_name = models.CharField(max_length=120, blank=True)
    billing_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TenantOwnedModel(models.Model):
    """Base of every table that belongs to one tenant.

    The tenant column is required and indexed; ``objects`` fails closed; the
    table gets row-level security through ``otc.tenancy.rls.EnableRowLevelSecurity``
    in its migration (tests/otc/tenancy/test_rls_coverage.py checks that).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, db_index=True, editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "objects"


class Membership(TenantOwnedModel):
    """A user's seat in a tenant: one role and an approval limit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=ROLE_CHOICES)
    # In the tenant's base currency; what this person may approve alone
    # (credit limits, write-offs, refunds). Zero approves nothing.
    approval_limit = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A collector's cash target per calendar month, in the tenant's base
    # currency (the collector dashboard compares what was collected with it).
    monthly_collection_target = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_tenant_user_uniq"),
            models.CheckConstraint(
                condition=models.Q(approval_limit__gte=0), name="membership_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(monthly_collection_target__gte=0),
                name="membership_target_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({Role(self.role).label})"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)
