"""Reporting's own data: each tenant's aging buckets.

Everything else reporting shows is read from the ledger and the apps below
it; nothing here is a copy of a figure.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models

from otc.tenancy.models import TenantOwnedModel

# Upper day of each bucket after Current: Current, 1-30, 31-60, 61-90, 91-120, 120+.
DEFAULT_BUCKET_DAYS: tuple[int, ...] = (30, 60, 90, 120)


def default_bucket_days() -> list[int]:
    return list(DEFAULT_BUCKET_DAYS)


class ReportingSettings(TenantOwnedModel):
    """One row per tenant (absent = the defaults)."""

    bucket_days = ArrayField(models.PositiveSmallIntegerField(), default=default_bucket_days)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="reporting_settings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return f"Aging buckets {self.bucket_days}"
