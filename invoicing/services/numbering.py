"""Gap-free document numbers: one locked counter row per tenant, series and year.

``next_document_number`` must run inside the transaction that issues the
document. It locks the counter row (``SELECT ... FOR UPDATE``), so parallel
issues of the same series queue up behind each other, and the increment
commits or rolls back together with the issue: a failed issue gives its
number back, a committed one keeps it. Different series and years have
different rows and never wait for each other.
"""

from __future__ import annotations

from django.db import transaction

from invoicing.models import NumberSequence
from otc.tenancy.models import Tenant

NUMBER_DIGITS = 6


def format_document_number(*, series: str, year: int, value: int) -> str:
    """INV-2026-000123: series, year of the issue date, six digits (more when
    a series passes 999,999 in a year)."""
    return f"{series}-{year}-{value:0{NUMBER_DIGITS}d}"


def next_document_number(*, tenant: Tenant, series: str, year: int) -> str:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Draw document numbers inside the issuing transaction.")
    sequences = NumberSequence.objects.for_tenant(tenant)
    # INSERT ... ON CONFLICT DO NOTHING: the first issue of a year creates the
    # row without racing another thread's create (no IntegrityError to catch).
    sequences.bulk_create(
        [NumberSequence(tenant=tenant, series=series, year=year, next_value=1)],
        ignore_conflicts=True,
    )
    sequence = sequences.select_for_update().get(series=series, year=year)
    value = sequence.next_value
    sequence.next_value = value + 1
    sequence.save(update_fields=["next_value"])
    return format_document_number(series=series, year=year, value=value)
