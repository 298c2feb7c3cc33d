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


def _for_collector(tasks: QuerySet[CollectionTask], collector_id: int) -> QuerySet[CollectionTask]:
    """A collector's tasks: assigned to them, or unassigned on their customers."""
    return tasks.filter(
        Q(assigned_to_id=collector_id)
        | Q(assigned_to__isnull=True, customer__collector_id=collector_id)
    )


def tasks_due(
    *,
    tenant: Tenant,
    day: date,
    kind: str = "",
    collector_id: int | None = None,
    unassigned: bool = False,
) -> QuerySet[CollectionTask]:
    """Open tasks due by `day` and snoozed tasks whose day has come, oldest first."""
    tasks: QuerySet[CollectionTask] = (
        CollectionTask.objects.for_tenant(tenant)
        .filter(
            Q(status=TaskStatus.OPEN, due_on__lte=day)
            | Q(status=TaskStatus.SNOOZED, snoozed_until__lte=day)
        )
        .select_related("customer", "assigned_to")
        .order_by("due_on", "id")
    )
    if kind:
        tasks = tasks.filter(kind=kind)
    if collector_id is not None:
        tasks = _for_collector(tasks, collector_id)
    if unassigned:
        tasks = tasks.filter(assigned_to__isnull=True)
    return tasks


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
