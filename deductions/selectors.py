"""Reading deductions."""

from __future__ import annotations

from django.db.models import QuerySet

from deductions.models import Deduction
from otc.tenancy.models import Tenant


def deductions_for_payment_items(
    *, tenant: Tenant, payment_item_ids: list[int]
) -> QuerySet[Deduction]:
    return (
        Deduction.objects.for_tenant(tenant)
        .filter(payment_item_id__in=payment_item_ids)
        .select_related("open_item", "invoice_item")
    )
