"""Editing collection strategies and running them.

A strategy belongs to a risk class; its steps say which task to create when
a customer's oldest overdue item has been overdue that many days ("class D:
call at 10 days, escalate to manager at 45").

``strategies_run`` creates the day's tasks for the whole tenant in one
INSERT ... SELECT: for every customer of an active strategy's risk class
with an item overdue at least a step's days, one task per step, keyed by
the oldest overdue item. The unique key (tenant, step, item) and the check
that no unfinished task of that step exists for the customer make it safe
to run any number of times a day: it never creates the same task twice.
Calls go to the customer's collector; escalations stay unassigned, for the
manager who looks at the escalations. Customers on hold or in legal get no
tasks, by the same rule that leaves them out of dunning.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, connection, transaction

from collections_app.dunning.services.selection import NOT_CHASED_STATUSES
from collections_app.strategies.models import (
    RISK_CLASSES,
    CollectionStrategy,
    CollectionTask,
    StrategyRunDay,
    StrategyStep,
    TaskKind,
    TaskStatus,
)
from credit.models import CreditProfile
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.errors import NotFound, ValidationFailed
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.tenancy.models import Tenant

MAX_STEP_DAYS = 365

_TABLES = {
    "task": CollectionTask._meta.db_table,
    "step": StrategyStep._meta.db_table,
    "strategy": CollectionStrategy._meta.db_table,
    "item": OpenItem._meta.db_table,
    "customer": Customer._meta.db_table,
    "profile": CreditProfile._meta.db_table,
}

_RUN_TEMPLATE = """
    WITH oldest AS (
        SELECT DISTINCT ON (i.customer_id) i.customer_id, i.id AS item_id, i.number,
               %(day)s::date - i.due_date AS days
          FROM {item} i
         WHERE i.tenant_id = %(tenant)s AND i.status = %(open_item)s AND i.open_amount > 0
           AND i.kind = ANY(%(kinds)s) AND i.due_date < %(day)s::date
         ORDER BY i.customer_id, i.due_date, i.id
    )
    INSERT INTO {task} (tenant_id, customer_id, kind, status, title, due_on, snoozed_until,
                        assigned_to_id, step_id, trigger_item_id, created_at, updated_at)
    SELECT %(tenant)s, o.customer_id, s.kind, %(open_task)s,
           LEFT(CASE s.kind WHEN %(call)s THEN 'Call: ' ELSE 'Escalate to manager: ' END
                || o.number || ' is ' || o.days || ' days overdue', 200),
           %(day)s::date, NULL,
           CASE s.kind WHEN %(call)s THEN c.collector_id END,
           s.id, o.item_id, now(), now()
      FROM oldest o
      JOIN {customer} c ON c.id = o.customer_id AND c.tenant_id = %(tenant)s
      JOIN {profile} cp ON cp.customer_id = o.customer_id AND cp.tenant_id = %(tenant)s
      JOIN {strategy} st ON st.tenant_id = %(tenant)s AND st.is_active
                        AND st.risk_class = cp.risk_class
      JOIN {step} s ON s.strategy_id = st.id AND s.tenant_id = %(tenant)s
     WHERE c.status <> ALL(%(not_chased)s) AND o.days >= s.days_overdue
       AND NOT EXISTS (
           SELECT 1 FROM {task} t
            WHERE t.tenant_id = %(tenant)s AND t.customer_id = o.customer_id
              AND t.step_id = s.id AND t.status <> %(done)s)
    ON CONFLICT (tenant_id, step_id, trigger_item_id) WHERE step_id IS NOT NULL DO NOTHING
"""
# Table names come from the models, values go in as parameters.
_RUN_SQL = _RUN_TEMPLATE.format(**_TABLES)


def strategies_run(*, tenant: Tenant, day: date) -> int:
    """Create the day's strategy tasks (see the module docstring); returns
    how many were new."""
    params: dict[str, int | date | str | list[str]] = {
        "tenant": tenant.pk,
        "day": day,
        "open_item": ItemStatus.OPEN.value,
        "kinds": [ItemKind.INVOICE.value, ItemKind.DEBIT_MEMO.value],
        "open_task": TaskStatus.OPEN.value,
        "done": TaskStatus.DONE.value,
        "call": TaskKind.CALL.value,
        "not_chased": list(NOT_CHASED_STATUSES),
    }
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_RUN_SQL, params)
            created = max(cursor.rowcount, 0)
        ran, was_new = StrategyRunDay.objects.for_tenant(tenant).get_or_create(
            tenant=tenant, day=day, defaults={"tasks_created": created}
        )
        if not was_new and created:
            ran.tasks_created += created
            ran.save(update_fields=["tasks_created"])
        if created:
            audit_record(
                tenant=tenant,
                actor=Actor.system("collection strategies"),
                action="collections.strategy_tasks_created",
                object_type="collections_app.strategyrunday",
                object_id=str(ran.pk),
                changes={"tasks_created": {"before": None, "after": created}},
            )
    return created


def strategy_step_add(
    *, tenant: Tenant, actor: Actor, risk_class: str, kind: str, days_overdue: int
) -> StrategyStep:
    errors: dict[str, list[str]] = {}
    if risk_class not in dict(RISK_CLASSES):
        errors["risk_class"] = [f"'{risk_class}' is not a risk class (A to E)."]
    if kind not in TaskKind.values:
        errors["kind"] = [f"'{kind}' is not a task kind (call, escalation)."]
    if not 0 <= days_overdue <= MAX_STEP_DAYS:
        errors["days_overdue"] = [f"Choose between 0 and {MAX_STEP_DAYS} days overdue."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        with transaction.atomic():
            strategy, _ = CollectionStrategy.objects.for_tenant(tenant).get_or_create(
                tenant=tenant, risk_class=risk_class
            )
            step = StrategyStep.objects.for_tenant(tenant).create(
                tenant=tenant, strategy=strategy, kind=kind, days_overdue=days_overdue
            )
    except IntegrityError:
        label = TaskKind(kind).label.lower()
        message = f"Class {risk_class} already has a {label} step at {days_overdue} days."
        raise ValidationFailed(message, errors={"days_overdue": [message]}) from None
    audit_record(
        tenant=tenant, actor=actor, action="collections.strategy_step_added", instance=step
    )
    return step


@transaction.atomic
def strategy_step_remove(*, tenant: Tenant, actor: Actor, step_id: int) -> None:
    step = StrategyStep.objects.for_tenant(tenant).select_for_update().filter(pk=step_id).first()
    if step is None:
        raise NotFound("No such strategy step.")
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.strategy_step_removed",
        instance=step,
        changes={"step": {"before": str(step), "after": None}},
    )
    # The tasks it created stay on the worklist; they no longer name it.
    step.delete()


@transaction.atomic
def strategy_set_active(
    *, tenant: Tenant, actor: Actor, strategy_id: int, is_active: bool
) -> CollectionStrategy:
    strategy = (
        CollectionStrategy.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk=strategy_id)
        .first()
    )
    if strategy is None:
        raise NotFound("No such collection strategy.")
    before = strategy.is_active
    strategy.is_active = is_active
    strategy.save(update_fields=["is_active", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.strategy_updated",
        instance=strategy,
        changes={"is_active": {"before": before, "after": is_active}},
    )
    return strategy
