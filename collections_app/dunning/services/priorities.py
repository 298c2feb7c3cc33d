"""The collector's priority score: one row per customer and day, with reasons.

Computed for a whole tenant at once: one aggregate query gathers, per
customer with overdue money, the overdue amount in base currency, the days
the oldest item is overdue, the risk class, promises broken in the last 90
days and the highest dunning level its open items reached; Python turns
those into points (SCORE_RULES) and writes the day's rows in one upsert, so
computing again the same day replaces rather than adds.

Points (they add up; higher is called first):
- overdue amount: 80 per power of ten of the base-currency amount, at most 400;
- days overdue: 2 a day, at most 200;
- risk class: A 0, B 25, C 50, D 100, E 150;
- broken promises: 75 each, at most 150;
- dunning level reached: 25 a level, at most 100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction

from collections_app.dunning.models import (
    CollectionPriority,
    DunningNotice,
    PromiseToPay,
)
from credit.models import CreditProfile
from otc.customers.models import Customer
from otc.ledger.models import OpenItem
from otc.tenancy.models import Tenant

RISK_POINTS = {"A": 0, "B": 25, "C": 50, "D": 100, "E": 150}
BROKEN_PROMISE_DAYS = 90

_TABLES = {
    "item": OpenItem._meta.db_table,
    "customer": Customer._meta.db_table,
    "profile": CreditProfile._meta.db_table,
    "promise": PromiseToPay._meta.db_table,
    "notice": DunningNotice._meta.db_table,
    "priority": CollectionPriority._meta.db_table,
}

_FIGURES_TEMPLATE = """
    WITH overdue AS (
        SELECT i.customer_id, SUM(i.open_base_amount) AS amount,
               MAX(%(day)s::date - i.due_date) AS days,
               MAX(n.level_number) AS level
          FROM {item} i
          LEFT JOIN LATERAL (
              SELECT MAX(n0.level_number) AS level_number FROM {notice} n0
               WHERE n0.tenant_id = %(tenant)s AND n0.open_item_id = i.id) n ON true
         WHERE i.tenant_id = %(tenant)s AND i.status = 'open' AND i.open_amount > 0
           AND i.due_date < %(day)s::date
           AND i.kind IN ('invoice', 'debit_memo', 'deduction')
         GROUP BY i.customer_id
    )
    SELECT o.customer_id, o.amount, o.days, COALESCE(o.level, 0), COALESCE(cp.risk_class, ''),
           (SELECT COUNT(*) FROM {promise} p
             WHERE p.tenant_id = %(tenant)s AND p.customer_id = o.customer_id
               AND p.status = 'broken' AND p.resolved_on > %(since)s::date)
      FROM overdue o
      JOIN {customer} c ON c.id = o.customer_id
      LEFT JOIN {profile} cp ON cp.customer_id = o.customer_id AND cp.tenant_id = %(tenant)s
     WHERE c.tenant_id = %(tenant)s AND c.status <> 'closed'
"""
# Table names come from the models, values go in as parameters.
_FIGURES_SQL = _FIGURES_TEMPLATE.format(**_TABLES)


@dataclass(frozen=True)
class Score:
    score: int
    reasons: list[str]


def score_of(
    *, amount: Decimal, base_currency: str, days: int, risk_class: str, broken: int, level: int
) -> Score:
    """The points and the sentence for each, as the worklist shows them."""
    reasons: list[str] = []
    amount_points = min(400, round(80 * math.log10(1 + max(float(amount), 0.0))))
    reasons.append(f"{amount:,.2f} {base_currency} overdue (+{amount_points})")
    day_points = min(200, 2 * max(days, 0))
    reasons.append(f"oldest item {days} days overdue (+{day_points})")
    risk_points = RISK_POINTS.get(risk_class, 50 if not risk_class else 0)
    if risk_points:
        label = f"risk class {risk_class}" if risk_class else "no risk class"
        reasons.append(f"{label} (+{risk_points})")
    promise_points = min(150, 75 * broken)
    if broken:
        reasons.append(f"{broken} broken promise{'s' if broken > 1 else ''} (+{promise_points})")
    level_points = min(100, 25 * level)
    if level:
        reasons.append(f"dunning level {level} reached (+{level_points})")
    total = amount_points + day_points + risk_points + promise_points + level_points
    return Score(score=total, reasons=reasons)


def collection_priorities_compute(*, tenant: Tenant, day: date) -> int:
    """Write the day's priority of every customer with overdue money."""
    params: dict[str, int | date] = {
        "tenant": tenant.pk,
        "day": day,
        "since": day - timedelta(days=BROKEN_PROMISE_DAYS),
    }
    with connection.cursor() as cursor:
        cursor.execute(_FIGURES_SQL, params)
        figures = cursor.fetchall()
    base_currency = str(tenant.base_currency)
    rows = []
    for customer_id, amount, days, level, risk_class, broken in figures:
        score = score_of(
            amount=Decimal(amount).quantize(Decimal("0.01")),
            base_currency=base_currency,
            days=int(days),
            risk_class=risk_class,
            broken=int(broken),
            level=int(level),
        )
        rows.append(
            CollectionPriority(
                tenant=tenant,
                customer_id=customer_id,
                day=day,
                score=score.score,
                overdue_base_amount=amount,
                max_days_overdue=int(days),
                dunning_level=int(level),
                broken_promises=int(broken),
                risk_class=risk_class,
                reasons=score.reasons,
            )
        )
    with transaction.atomic():
        # Customers paid up since an earlier computation today drop off the list.
        CollectionPriority.objects.for_tenant(tenant).filter(day=day).exclude(
            customer_id__in=[row.customer_id for row in rows]
        ).delete()
        CollectionPriority.objects.for_tenant(tenant).bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["tenant", "customer", "day"],
            update_fields=[
                "score",
                "overdue_base_amount",
                "max_days_overdue",
                "dunning_level",
                "broken_promises",
                "risk_class",
                "reasons",
            ],
        )
    return len(rows)
