"""Collector assignment rules and manual overrides.

- ``CollectorRule``: the customers it matches (every criterion left empty
  matches everyone: country, region, segment, and an exposure band in the
  tenant's base currency, from included to excluded) go to its collector;
  the lowest priority number wins.
- ``CollectorOverride``: a person chose this customer's collector (or
  chose nobody); the rules leave the customer alone until it is removed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from otc.ledger.models import amount_field
from otc.tenancy.models import TenantOwnedModel


class CollectorRule(TenantOwnedModel):
    priority = models.PositiveSmallIntegerField()
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=60, blank=True)
    segment = models.CharField(max_length=60, blank=True)
    min_exposure = amount_field(null=True, blank=True)
    max_exposure = amount_field(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "priority"], name="collectorrule_prio_uniq"),
            models.CheckConstraint(
                condition=Q(min_exposure__isnull=True)
                | Q(max_exposure__isnull=True)
                | Q(min_exposure__lt=models.F("max_exposure")),
                name="collectorrule_band_order",
            ),
        ]

    def __str__(self) -> str:
        return f"Rule {self.priority} -> user {self.collector_id}"


class CollectorOverride(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="collector_override"
    )
    # None: a person decided that nobody collects from this customer.
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer"], name="collectoroverride_customer_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"Customer {self.customer_id} kept with user {self.collector_id}"
