"""Upkeep of the reporting summaries the ledger's triggers append to
(ledger_receivableflow and ledger_customercashday, migration 0007).

The triggers append a row per key and statement rather than update one
total row, so that postings never wait for each other on a summary row;
this folds a tenant's rows of the same key into one, so the summaries stay
about as small as the number of distinct keys. Readers sum whatever rows
there are, so folding changes no figure and may run at any time.
"""

from __future__ import annotations

from django.db import connection, transaction

from otc.tenancy.models import Tenant

# pg_try_advisory_xact_lock(class, tenant): one fold per tenant at a time.
_LOCK_CLASS = 7_000_007

_FOLD_FLOWS = """
WITH keys AS (
    SELECT currency, item_kind, document_date, aging_date, flow, effective_date
    FROM ledger_receivableflow WHERE tenant_id = %(tenant)s
    GROUP BY 1, 2, 3, 4, 5, 6 HAVING COUNT(*) > 1
),
moved AS (
    DELETE FROM ledger_receivableflow AS f USING keys AS k
    WHERE f.tenant_id = %(tenant)s AND f.currency = k.currency AND f.item_kind = k.item_kind
      AND f.document_date = k.document_date AND f.aging_date = k.aging_date
      AND f.flow = k.flow AND f.effective_date = k.effective_date
    RETURNING f.currency, f.item_kind, f.document_date, f.aging_date, f.flow,
              f.effective_date, f.base_amount
)
INSERT INTO ledger_receivableflow (tenant_id, currency, item_kind, document_date, aging_date,
    flow, effective_date, base_amount)
SELECT %(tenant)s, currency, item_kind, document_date, aging_date, flow, effective_date,
       SUM(base_amount)
FROM moved
GROUP BY 1, 2, 3, 4, 5, 6, 7
HAVING SUM(base_amount) <> 0
"""

_FOLD_CASH_DAYS = """
WITH keys AS (
    SELECT customer_id, effective_date
    FROM ledger_customercashday WHERE tenant_id = %(tenant)s
    GROUP BY 1, 2 HAVING COUNT(*) > 1
),
moved AS (
    DELETE FROM ledger_customercashday AS d USING keys AS k
    WHERE d.tenant_id = %(tenant)s AND d.customer_id = k.customer_id
      AND d.effective_date = k.effective_date
    RETURNING d.customer_id, d.effective_date, d.base_amount, d.late_base_amount
)
INSERT INTO ledger_customercashday (tenant_id, customer_id, effective_date, base_amount,
    late_base_amount)
SELECT %(tenant)s, customer_id, effective_date, SUM(base_amount), SUM(late_base_amount)
FROM moved
GROUP BY 1, 2, 3
HAVING SUM(base_amount) <> 0 OR SUM(late_base_amount) <> 0
"""


def reporting_summaries_fold(*, tenant: Tenant) -> bool:
    """Fold the tenant's summary rows of one key into one. Safe beside
    postings (their rows, committed later, stay apart until the next fold)
    and beside another fold (a row deleted by one is skipped by the other,
    and the advisory lock lets only one work). False when another fold of
    this tenant was running."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, tenant.pk])
        row = cursor.fetchone()
        if not row or not row[0]:
            return False
        cursor.execute(_FOLD_FLOWS, {"tenant": tenant.pk})
        cursor.execute(_FOLD_CASH_DAYS, {"tenant": tenant.pk})
    return True
