"""What a collector does with a worklist task: mark it done, snooze it to a
date (it comes back on that day), or hand it to another collector. Each
action locks the task row and moves its status through one table, so two
people clicking at once get a clean refusal, never a half-done task."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from collections_app.strategies.models import CollectionTask, TaskStatus
from otc.audit.services import Actor, audit_record
from otc.customers.selectors import collector_choices
from otc.errors import IllegalTransition, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.transitions import TransitionTable

TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.SNOOZED, TaskStatus.DONE}),
    TaskStatus.SNOOZED: frozenset({TaskStatus.SNOOZED, TaskStatus.DONE}),
    TaskStatus.DONE: frozenset(),
}
_TABLE = TransitionTable(moves=TASK_TRANSITIONS, labels=dict(TaskStatus.choices))


def _lock(tenant: Tenant, task_id: int) -> CollectionTask:
    task = (
        CollectionTask.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("No such task.")
    return task


def _name(task: CollectionTask) -> str:
    return f"The {task.get_kind_display().lower()} task for {task.customer.display_name}"


@transaction.atomic
def task_done(*, tenant: Tenant, actor: Actor, task_id: int) -> CollectionTask:
    task = _lock(tenant, task_id)
    before = _TABLE.move(task, TaskStatus.DONE, name=_name(task))
    task.snoozed_until = None
    task.done_at = timezone.now()
    task.done_by = actor.user
    task.save(update_fields=["status", "snoozed_until", "done_at", "done_by", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.task_done",
        instance=task,
        changes={"status": {"before": before, "after": task.status}},
    )
    return task


@transaction.atomic
def task_snooze(*, tenant: Tenant, actor: Actor, task_id: int, until: date) -> CollectionTask:
    task = _lock(tenant, task_id)
    if until <= tenant_today(tenant):
        raise ValidationFailed(
            "Snooze until a day after today.", errors={"until": ["Choose a day after today."]}
        )
    before = _TABLE.move(task, TaskStatus.SNOOZED, name=_name(task))
    previous_until = task.snoozed_until
    task.snoozed_until = until
    task.save(update_fields=["status", "snoozed_until", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.task_snoozed",
        instance=task,
        changes={
            "status": {"before": before, "after": task.status},
            "snoozed_until": {
                "before": previous_until.isoformat() if previous_until else None,
                "after": until.isoformat(),
            },
        },
    )
    return task


@transaction.atomic
def task_reassign(*, tenant: Tenant, actor: Actor, task_id: int, user_id: int) -> CollectionTask:
    task = _lock(tenant, task_id)
    if task.status == TaskStatus.DONE:
        raise IllegalTransition(
            f"{_name(task)} is done: it cannot be handed to someone else.",
            current=task.status,
            requested="reassigned",
        )
    if user_id not in {choice.user_id for choice in collector_choices(tenant=tenant)}:
        raise ValidationFailed(
            "Choose a collector of this company.",
            errors={"user_id": ["Choose a member of this company who works collections."]},
        )
    before = task.assigned_to_id
    task.assigned_to_id = user_id
    task.save(update_fields=["assigned_to", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="collections.task_reassigned",
        instance=task,
        changes={"assigned_to": {"before": before, "after": user_id}},
    )
    return task
