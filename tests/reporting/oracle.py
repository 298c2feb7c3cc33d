"""An independent aging, computed in Python from the raw ledger rows (items
and applications), to check the reports' SQL against."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from otc.ledger.models import Application, OpenItem


def open_as_of(tenant, as_of: date) -> list[tuple[OpenItem, Decimal, Decimal]]:
    """(item, open amount, open base amount) at the end of `as_of`."""
    applied: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for app in Application.objects.for_tenant(tenant).filter(effective_date__lte=as_of):
        applied[app.debit_item_id][0] += app.amount
        applied[app.debit_item_id][1] += app.debit_base_amount
        applied[app.credit_item_id][0] -= app.credit_amount
        applied[app.credit_item_id][1] -= app.credit_base_amount
    result = []
    for item in OpenItem.objects.for_tenant(tenant).filter(document_date__lte=as_of):
        amount, base = applied[item.pk]
        if item.amount - amount != 0:
            result.append((item, item.amount - amount, item.base_amount - base))
    return result


def bucket_index(days_past_due: int, bucket_days: list[int]) -> int:
    if days_past_due <= 0:
        return 0
    for index, high in enumerate(bucket_days, start=1):
        if days_past_due <= high:
            return index
    return len(bucket_days) + 1


def aging_by(tenant, as_of, key, bucket_days=(30, 60, 90, 120), base=True, by_due=True):
    """{group: {"buckets": [...], "deductions": x, "unapplied": y}}"""
    bucket_days = list(bucket_days)
    groups: dict = {}
    for item, open_amount, open_base in open_as_of(tenant, as_of):
        group = key(item)
        row = groups.setdefault(
            group,
            {
                "buckets": [Decimal(0)] * (len(bucket_days) + 2),
                "deductions": Decimal(0),
                "unapplied": Decimal(0),
            },
        )
        value = open_base if base else open_amount
        if item.amount < 0:
            row["unapplied"] += value
        elif item.kind == "deduction":
            row["deductions"] += value
        else:
            aging_date = (item.due_date or item.document_date) if by_due else item.document_date
            row["buckets"][bucket_index((as_of - aging_date).days, bucket_days)] += value
    return groups
