"""Reading assignment rules and overrides, tenant-scoped."""

from __future__ import annotations

from django.db.models import QuerySet

from collections_app.assignment.models import CollectorOverride, CollectorRule
from otc.tenancy.models import Tenant


def collector_rule_list(*, tenant: Tenant) -> QuerySet[CollectorRule]:
    return (
        CollectorRule.objects.for_tenant(tenant)
        .select_related("collector")
        .order_by("priority", "id")
    )


def collector_override_list(*, tenant: Tenant) -> QuerySet[CollectorOverride]:
    return (
        CollectorOverride.objects.for_tenant(tenant)
        .select_related("customer", "collector")
        .order_by("customer__number")
    )


def collector_override_of(*, tenant: Tenant, customer_id: int) -> CollectorOverride | None:
    return (
        CollectorOverride.objects.for_tenant(tenant)
        .select_related("collector")
        .filter(customer_id=customer_id)
        .first()
    )
