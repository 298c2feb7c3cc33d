"""Which items a dunning run chases at which level, decided in one SQL statement.

For one tenant and day, an item is due at the highest level of its
customer's policy whose day it has reached (a level after the due date
waits the policy's grace days as well), unless it was already chased at that
level or a higher one. A level at zero or negative days (a reminder before
the due date) applies only until the item falls due. Left out:

- items that are not debit items, are not open or have no due date;
- deduction items under investigation (only those found invalid, i.e. to be
  collected, are chased): a dispute goes to the deductions process;
- items under an open promise to pay whose date has not passed, and every
  item of a customer whose open promise covers no particular items;
- customers on hold or in legal;
- customers whose due items add up to less than the policy's minimum.

The statement inserts one letter per customer (unique per run and customer)
and one notice per item and level (unique per item and level), both with ON
CONFLICT DO NOTHING: a second worker, a retried task or a resumed run adds
nothing that is already there.

Policy choice per customer: a policy naming the customer's risk class, else
one naming its segment, else the tenant's default; inactive policies never
apply. Among several candidates the oldest wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import connection

from collections_app.dunning.models import (
    DunningLetter,
    DunningLevel,
    DunningNotice,
    DunningPolicy,
    DunningRun,
    PromiseItem,
    PromiseToPay,
)
from credit.models import CreditProfile
from deductions.models import Deduction
from otc.customers.models import Customer, CustomerStatus
from otc.ledger.models import OpenItem
from otc.tenancy.models import Tenant

# Customers nobody chases: on hold (the credit team is talking to them) or in
# legal (the lawyers are). Collection strategies use the same rule, so a
# customer that gets no letter gets no call task either.
NOT_CHASED_STATUSES: tuple[str, ...] = (CustomerStatus.ON_HOLD.value, CustomerStatus.IN_LEGAL.value)

_TABLES = {
    "letter": DunningLetter._meta.db_table,
    "notice": DunningNotice._meta.db_table,
    "policy": DunningPolicy._meta.db_table,
    "level": DunningLevel._meta.db_table,
    "item": OpenItem._meta.db_table,
    "profile": CreditProfile._meta.db_table,
    "deduction": Deduction._meta.db_table,
    "customer": Customer._meta.db_table,
    "promise": PromiseToPay._meta.db_table,
    "promise_item": PromiseItem._meta.db_table,
}

_POLICY_OF_CUSTOMER = """
    COALESCE(
        (SELECT p.id FROM {policy} p
          WHERE p.tenant_id = %(tenant)s AND p.is_active
            AND cp.risk_class IS NOT NULL AND cp.risk_class = ANY (p.risk_classes)
          ORDER BY p.id LIMIT 1),
        (SELECT p.id FROM {policy} p
          WHERE p.tenant_id = %(tenant)s AND p.is_active
            AND c.segment <> '' AND c.segment = ANY (p.segments)
          ORDER BY p.id LIMIT 1),
        (SELECT p.id FROM {policy} p
          WHERE p.tenant_id = %(tenant)s AND p.is_active AND p.is_default
          ORDER BY p.id LIMIT 1)
    )
"""

# The due (item, level) pairs; shared by the run and its preview.
_DUE_PAIRS = """
    customers AS MATERIALIZED (
        SELECT c.id AS customer_id, c.language, {policy_of_customer} AS policy_id
          FROM {customer} c
          LEFT JOIN {profile} cp ON cp.customer_id = c.id AND cp.tenant_id = %(tenant)s
         WHERE c.tenant_id = %(tenant)s AND c.status <> ALL (%(not_chased)s)
    ),
    levels AS MATERIALIZED (
        -- The day (relative to the due date) each level is reached, grace included.
        SELECT l.id, l.policy_id, l.number, l.days_overdue, p.min_amount,
               l.days_overdue + CASE WHEN l.days_overdue > 0 THEN p.grace_days ELSE 0 END
                   AS threshold
          FROM {level} l JOIN {policy} p ON p.id = l.policy_id
         WHERE l.tenant_id = %(tenant)s AND p.tenant_id = %(tenant)s AND p.is_active
    ),
    items AS MATERIALIZED (
        SELECT i.id AS item_id, i.customer_id, cu.policy_id, cu.language, i.currency,
               i.open_amount, i.open_base_amount, (%(day)s::date - i.due_date) AS days
          FROM {item} i
          JOIN customers cu ON cu.customer_id = i.customer_id
         WHERE i.tenant_id = %(tenant)s AND i.status = 'open' AND i.open_amount > 0
           AND i.due_date IS NOT NULL AND cu.policy_id IS NOT NULL
           AND i.kind IN ('invoice', 'debit_memo', 'deduction')
           AND NOT EXISTS (
               SELECT 1 FROM {deduction} d
                WHERE d.tenant_id = %(tenant)s AND d.open_item_id = i.id
                  AND d.status <> 'invalid')
           AND NOT EXISTS (
               SELECT 1 FROM {promise} pr
                WHERE pr.tenant_id = %(tenant)s AND pr.customer_id = i.customer_id
                  AND pr.status = 'open' AND pr.promised_date >= %(day)s::date
                  AND (NOT EXISTS (SELECT 1 FROM {promise_item} pi0
                                    WHERE pi0.tenant_id = %(tenant)s AND pi0.promise_id = pr.id)
                       OR EXISTS (SELECT 1 FROM {promise_item} pi1
                                   WHERE pi1.tenant_id = %(tenant)s AND pi1.promise_id = pr.id
                                     AND pi1.open_item_id = i.id)))
    ),
    highest AS MATERIALIZED (
        -- Each item's highest level reached; a reminder before the due date
        -- (zero or negative days) makes no sense once it is past.
        SELECT DISTINCT ON (it.item_id)
               it.*, lv.id AS level_id, lv.number AS level_number, lv.min_amount
          FROM items it
          JOIN levels lv ON lv.policy_id = it.policy_id AND it.days >= lv.threshold
                        AND (lv.days_overdue > 0 OR it.days <= 0)
         ORDER BY it.item_id, lv.number DESC
    ),
    reached AS (
        SELECT h.* FROM highest h
         WHERE NOT EXISTS (
               SELECT 1 FROM {notice} n
                WHERE n.tenant_id = %(tenant)s AND n.open_item_id = h.item_id
                  AND n.level_number >= h.level_number)
    ),
    due AS MATERIALIZED (
        SELECT r.* FROM (
            SELECT r0.*, SUM(r0.open_base_amount) OVER (PARTITION BY r0.customer_id) AS total
              FROM reached r0) r
         WHERE r.total >= r.min_amount
    )
""".replace("{policy_of_customer}", _POLICY_OF_CUSTOMER)

_RUN_SQL = (
    (
        """WITH {due_pairs},
    letters AS (
        INSERT INTO {letter} (tenant_id, run_id, customer_id, policy_id, level_id, language,
                              channel, status, recipients, subject, body, charges_posted,
                              attempts, last_error, created_at)
        SELECT %(tenant)s, %(run)s, d.customer_id, MIN(d.policy_id),
               (ARRAY_AGG(d.level_id ORDER BY d.level_number DESC))[1], MIN(d.language),
               (SELECT l.channel FROM {level} l
                 WHERE l.id = (ARRAY_AGG(d.level_id ORDER BY d.level_number DESC))[1]),
               'pending', '{{}}', '', '', false, 0, '', now()
          FROM due d
         GROUP BY d.customer_id
        ON CONFLICT (tenant_id, run_id, customer_id) DO NOTHING
        RETURNING id, customer_id
    )
    INSERT INTO {notice} (tenant_id, letter_id, run_id, customer_id, open_item_id, level_id,
                          level_number, days_overdue, currency, open_amount, open_base_amount,
                          interest_amount, created_at)
    SELECT %(tenant)s, le.id, %(run)s, d.customer_id, d.item_id, d.level_id, d.level_number,
           d.days, d.currency, d.open_amount, d.open_base_amount, 0, now()
      FROM due d JOIN letters le ON le.customer_id = d.customer_id
    ON CONFLICT (tenant_id, open_item_id, level_id) DO NOTHING
"""
    )
    .replace("{due_pairs}", _DUE_PAIRS)
    .format(**_TABLES)
)

_PREVIEW_SQL = (
    (
        """WITH {due_pairs}
    SELECT d.customer_id, d.item_id, d.level_id, d.level_number, d.days, d.currency,
           d.open_amount, d.open_base_amount
      FROM due d
     ORDER BY d.customer_id, d.days DESC, d.item_id
"""
    )
    .replace("{due_pairs}", _DUE_PAIRS)
    .format(**_TABLES)
)


def dunning_select(*, tenant: Tenant, run: DunningRun) -> int:
    """Record the run's letters and notices; returns how many notices it added."""
    with connection.cursor() as cursor:
        cursor.execute(
            _RUN_SQL,
            {
                "tenant": tenant.pk,
                "day": run.run_date,
                "run": run.pk,
                "not_chased": list(NOT_CHASED_STATUSES),
            },
        )
        return int(cursor.rowcount)


@dataclass(frozen=True)
class DuePair:
    customer_id: int
    item_id: int
    level_id: int
    level_number: int
    days_overdue: int
    currency: str
    open_amount: object
    open_base_amount: object


def dunning_due_pairs(*, tenant: Tenant, day: date) -> list[DuePair]:
    """What a run on `day` would chase, without recording anything."""
    with connection.cursor() as cursor:
        cursor.execute(
            _PREVIEW_SQL,
            {"tenant": tenant.pk, "day": day, "not_chased": list(NOT_CHASED_STATUSES)},
        )
        return [DuePair(*row) for row in cursor.fetchall()]
