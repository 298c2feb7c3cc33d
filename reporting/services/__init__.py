"""Reporting's few writes: a tenant's aging buckets."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from otc.audit.services import Actor, audit_record
from otc.errors import ValidationFailed
from otc.tenancy.models import Tenant
from reporting.models import ReportingSettings
from reporting.selectors.common import bucket_days_problems


def reporting_buckets_set(
    *, tenant: Tenant, actor: Actor, bucket_days: Sequence[int]
) -> ReportingSettings:
    problems = bucket_days_problems(bucket_days)
    if problems:
        raise ValidationFailed(" ".join(problems), errors={"buckets": problems})
    with transaction.atomic():
        settings_row, _ = (
            ReportingSettings.objects.for_tenant(tenant)
            .select_for_update()
            .get_or_create(tenant=tenant)
        )
        before = list(settings_row.bucket_days)
        settings_row.bucket_days = list(bucket_days)
        settings_row.save(update_fields=["bucket_days", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="reporting.buckets_set",
            instance=settings_row,
            changes={"bucket_days": {"before": before, "after": list(bucket_days)}},
        )
    return settings_row
