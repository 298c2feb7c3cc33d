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
# Drawing `count` numbers at once moves the counter by `count` and returns the
# first of the block, so a batch of a thousand costs one statement.
_DRAW_SQL = """
INSERT INTO invoicing_numbersequence AS seq (tenant_id, series, year, next_value)
VALUES (%s, %s, %s, 1 + %s)
ON CONFLICT ON CONSTRAINT numbersequence_tenant_series_year_uniq
DO UPDATE SET next_value = seq.next_value + EXCLUDED.next_value - 1
RETURNING seq.next_value - %s
"""


def next_document_numbers(*, tenant: Tenant, series: str, year: int, count: int) -> list[str]:
    """`count` consecutive numbers of one series and year, in order."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("Draw document numbers inside the issuing transaction.")
    if count < 1:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_DRAW_SQL, [tenant.pk, series, year, count, count])
        row = cursor.fetchone()
    first = int(row[0])
    return [
        format_document_number(series=series, year=year, value=value)
        for value in range(first, first + count)
    ]


def next_document_number(*, tenant: Tenant, series: str, year: int) -> str:
    return next_document_numbers(tenant=tenant, series=series, year=year, count=1)[0]
