from __future__ import annotations

from django.conf import settings
from django.db import models
from djmoney.models.fields import CurrencyField

from otc.tenancy.models import TenantOwnedModel

RATE_DIGITS = 20
RATE_DECIMALS = 10


class RateSource(models.TextChoices):
    ECB = "ECB", "European Central Bank"


class ExchangeRate(models.Model):
    """A published reference rate: 1 `base_currency` = `rate` `quote_currency`.

    Reference data shared by every tenant (the ECB publishes one rate for
    everybody), so the table is not tenant-owned; a tenant's own rates live
    in ManualExchangeRate and take precedence.
    """

    source = models.CharField(max_length=16, choices=RateSource.choices)
    rate_date = models.DateField()
    base_currency = CurrencyField()
    quote_currency = CurrencyField()
    rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "quote_currency", "rate_date"],
                name="fx_rate_source_pair_date_uniq",
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fx_rate_positive"),
        ]
        indexes = [
            models.Index(fields=["quote_currency", "-rate_date"], name="fx_rate_pair_latest_idx")
        ]

    def __str__(self) -> str:
        return f"{self.rate_date} 1 {self.base_currency} = {self.rate} {self.quote_currency}"


class ManualExchangeRate(TenantOwnedModel):
    """A rate the tenant sets itself (a bank's rate, a contract rate); it
    overrides the reference rate for that pair and date."""

    rate_date = models.DateField()
    from_currency = CurrencyField()
    to_currency = CurrencyField()
    rate = models.DecimalField(max_digits=RATE_DIGITS, decimal_places=RATE_DECIMALS)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "from_currency", "to_currency", "rate_date"],
                name="fx_manual_tenant_pair_date_uniq",
            ),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="fx_manual_rate_positive"),
            models.CheckConstraint(
                condition=~models.Q(from_currency=models.F("to_currency")),
                name="fx_manual_distinct_currencies",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate_date} 1 {self.from_currency} = {self.rate} {self.to_currency} (manual)"


class RateFeedHealth(models.Model):
    """How a reference-rate feed is doing: one row per source, written by
    every import and every refresh attempt, read by the FX page and the
    dashboards (through ``otc.fx.selectors.ecb_feed_status``).

    Global like the rates themselves: every tenant converts with the same
    ECB rates, so every tenant sees the same feed health.
    """

    source = models.CharField(max_length=16, choices=RateSource.choices, unique=True)
    # The newest rate date in ExchangeRate for this source, kept here so the
    # dashboards need not scan the rate table on every page view.
    latest_rate_date = models.DateField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_success_rates = models.PositiveIntegerField(default=0)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.source} feed: latest {self.latest_rate_date}"
