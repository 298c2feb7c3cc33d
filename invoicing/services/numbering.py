"""Gap-free document numbers: one locked counter row per tenant, series and year.

``next_document_number`` must run inside the transaction that issues the
document. It locks the counter row (an upsert holds its row lock), so parallel
issues of the same series queue up behind each other, and the increment
commits or rolls back together with the issue: a failed issue gives its
number back, a committed one keeps it. Different series and years have
different rows and never wait for each other.
"""

from __future__ import annotations

from django.db import transaction

from otc.tenancy.models import Tenant

NUMBER_DIGITS = 6


def format_document_number(*, series: str, year: int, value: int) -> str:
    """INV-2026-000123: series, year of the issue date, six digits (more when
    a series passes 999,999 in a year)."""
    return f"{series}-{year}-{value:0{NUMBER_DIGITS}d}"


# One statement creates the year's counter on first use or moves it on, and
# leaves the row locked (an upsert locks the row it updates) until the issuing
# transaction ends: two issues of the same series can never read the same value.
_DRAW_SQL = """
INSERT INTO invoicing_numbersequence AS seq (tenant_id, series, year, next_value)
VALUES (%s, %s, %s, 2)
ON CONFLICT ON CONSTRAINT numbersequence_tenant_series_year_uniq
DO UPDATE SET next_value = seq.next_value + 1
RETURNING seq.next_value - 1
"""


def next_document_number(*, tenant: Tenant, series: str, year: int) -> str:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Draw document numbers inside the issuing transaction.")
    with connection.cursor() as cursor:
        cursor.execute(_DRAW_SQL, [tenant.pk, series, year])
        row = cursor.fetchone()
    return format_document_number(series=series, year=year, value=int(row[0]))
