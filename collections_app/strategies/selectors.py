"""Reading strategies and tasks, tenant-scoped; another tenant's id is
NotFound, like a missing one."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from collections_app.strategies.models import (
    CollectionStrategy,
    CollectionTask,
    StrategyStep,
    TaskKind,
    TaskStatus,
)
from otc.customers.models import Customer
from otc.errors import NotFound
from otc.tenancy.models import Tenant


def strategy_list(*, tenant: Tenant) -> QuerySet[CollectionStrategy]:
    return (
        CollectionStrategy.objects.for_tenant(tenant)
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=StrategyStep.objects.for_tenant(tenant).order_by("days_overdue", "kind"),
            )
        )
        .order_by("risk_class")
    )


def tasks_due(
    *,
    tenant: Tenant,
    day: date,
    kind: str = "",
    collector_id: int | None = None,
    unassigned: bool = False,
) -> QuerySet[CollectionTask]:
    """Open tasks due by `day` and snoozed tasks whose day has come, oldest
    first; for a collector, those assigned to them and the unassigned ones
    (escalations) of their customers."""
    due: QuerySet[CollectionTask] = CollectionTask.objects.for_tenant(tenant).filter(
        Q(status=TaskStatus.OPEN, due_on__lte=day)
        | Q(status=TaskStatus.SNOOZED, snoozed_until__lte=day)
    )
    if kind:
        due = due.filter(kind=kind)
    if unassigned:
        due = due.filter(assigned_to__isnull=True)
    if collector_id is not None:
        # Two index lookups instead of one OR over a join, so the unassigned
        # tasks of everyone else's customers are never read (worklist budget).
        customers = Customer.objects.for_tenant(tenant).filter(collector_id=collector_id)
        mine = due.filter(assigned_to_id=collector_id).order_by().values("pk")
        unassigned_on_mine = (
            due.filter(assigned_to__isnull=True, customer_id__in=customers.values("pk"))
            .order_by()
            .values("pk")
        )
        due = CollectionTask.objects.for_tenant(tenant).filter(
            pk__in=mine.union(unassigned_on_mine, all=True)
        )
    # Prefetched, not joined: the page takes the first rows before any join.
    return due.prefetch_related("customer", "assigned_to").order_by("due_on", "id")


def calls_due(
    *, tenant: Tenant, day: date, collector_id: int | None = None, unassigned: bool = False
) -> QuerySet[CollectionTask]:
    return tasks_due(
        tenant=tenant,
        day=day,
        kind=TaskKind.CALL,
        collector_id=collector_id,
        unassigned=unassigned,
    )


def escalations_due(
    *, tenant: Tenant, day: date, collector_id: int | None = None, unassigned: bool = False
) -> QuerySet[CollectionTask]:
    return tasks_due(
        tenant=tenant,
        day=day,
        kind=TaskKind.ESCALATION,
        collector_id=collector_id,
        unassigned=unassigned,
    )


def task_list(
    *,
    tenant: Tenant,
    status: str = "",
    kind: str = "",
    customer_id: int | None = None,
    assigned_to_id: int | None = None,
) -> QuerySet[CollectionTask]:
    tasks: QuerySet[CollectionTask] = (
        CollectionTask.objects.for_tenant(tenant)
        .select_related("customer", "assigned_to")
        .order_by("due_on", "id")
    )
    if status:
        tasks = tasks.filter(status=status)
    if kind:
        tasks = tasks.filter(kind=kind)
    if customer_id is not None:
        tasks = tasks.filter(customer_id=customer_id)
    if assigned_to_id is not None:
        tasks = tasks.filter(assigned_to_id=assigned_to_id)
    return tasks


def task_get(*, tenant: Tenant, task_id: int) -> CollectionTask:
    task = task_list(tenant=tenant).filter(pk=task_id).first()
    if task is None:
        raise NotFound("No such task.")
    return task
