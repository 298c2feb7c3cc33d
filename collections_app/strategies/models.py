"""Collection strategies and collector tasks.

- ``CollectionStrategy``: one per tenant and risk class (A..E).
- ``StrategyStep``: "call at 10 days overdue", "escalate at 45": a kind and
  a number of days, unique per strategy.
- ``CollectionTask``: one thing to do for one customer: created by a step
  (unique per step and the overdue item that set it off, so the daily run
  never creates the same task twice, and a new overdue episode gets its
  own), or by a person. Its status moves through TASK_TRANSITIONS.
- ``StrategyRunDay``: the day a tenant's strategies ran, so the beat tick
  enqueues each tenant once a day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from otc.tenancy.models import TenantOwnedModel

RISK_CLASSES = [(c, f"Class {c}") for c in "ABCDE"]


class TaskKind(models.TextChoices):
    CALL = "call", "Call"
    ESCALATION = "escalation", "Escalate to manager"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    SNOOZED = "snoozed", "Snoozed"
    DONE = "done", "Done"


class CollectionStrategy(TenantOwnedModel):
    risk_class = models.CharField(max_length=1, choices=RISK_CLASSES)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "collection strategies"
        ordering = ["risk_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "risk_class"], name="collstrategy_risk_class_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"Strategy for risk class {self.risk_class}"


class StrategyStep(TenantOwnedModel):
    strategy = models.ForeignKey(CollectionStrategy, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=12, choices=TaskKind.choices)
    days_overdue = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["strategy", "days_overdue", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "strategy", "kind", "days_overdue"],
                name="strategystep_kind_days_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.days_overdue} days overdue"


class CollectionTask(TenantOwnedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="collection_tasks"
    )
    kind = models.CharField(max_length=12, choices=TaskKind.choices)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    snoozed_until = models.DateField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step = models.ForeignKey(
        StrategyStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    # The customer's oldest overdue item when the step fired: the step fires
    # again only for a new overdue episode.
    trigger_item = models.ForeignKey(
        "ledger.OpenItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "step", "trigger_item"],
                condition=Q(step__isnull=False),
                name="colltask_step_once_uniq",
            ),
            models.CheckConstraint(
                condition=Q(status="snoozed", snoozed_until__isnull=False)
                | (~Q(status="snoozed") & Q(snoozed_until__isnull=True)),
                name="colltask_snoozed_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_on"], name="colltask_due_idx"),
            models.Index(fields=["tenant", "assigned_to", "status"], name="colltask_assignee_idx"),
            models.Index(fields=["tenant", "customer"], name="colltask_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.customer_id} on {self.due_on}"


class StrategyRunDay(TenantOwnedModel):
    day = models.DateField()
    tasks_created = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="strategyrunday_day_uniq")
        ]

    def __str__(self) -> str:
        return f"Strategies ran on {self.day}"
