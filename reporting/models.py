"""Reporting's own data: each tenant's aging buckets and the report files
people requested.

Everything else reporting shows is read from the ledger and the apps below
it; nothing here is a copy of a figure.
"""

from __future__ import annotations

import calendar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from otc.tenancy.models import TenantOwnedModel

# Upper day of each bucket after Current: Current, 1-30, 31-60, 61-90, 91-120, 120+.
DEFAULT_BUCKET_DAYS: tuple[int, ...] = (30, 60, 90, 120)


def default_bucket_days() -> list[int]:
    return list(DEFAULT_BUCKET_DAYS)


class ReportingSettings(TenantOwnedModel):
    """One row per tenant (absent = the defaults)."""

    bucket_days = ArrayField(models.PositiveSmallIntegerField(), default=default_bucket_days)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="reporting_settings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return f"Aging buckets {self.bucket_days}"


class ReportKind(models.TextChoices):
    AGING = "aging", "AR aging"
    KPI_PACK = "kpi_pack", "KPI pack"
    CUSTOMER_STATEMENT = "customer_statement", "Customer statement"
    DEDUCTIONS = "deductions", "Deductions report"
    CASH_FORECAST = "cash_forecast", "Cash forecast"


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel (XLSX)"
    CSV = "csv", "CSV"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class ReportRun(TenantOwnedModel):
    """One requested report file: what was asked, how far the worker got,
    and the file it produced (in the default storage)."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_runs",
    )
    # Who asked, as people read it (a user's e-mail, an API key, a subscription).
    requested_label = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    format = models.CharField(max_length=8, choices=ReportFormat.choices)
    # The validated filters (reporting.forms.ReportParametersForm.parameters()).
    parameters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.FileField(max_length=255, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    # Each worker that takes the run increments it; only the holder of the
    # latest attempt may report progress or store the file.
    attempt = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "-created_at"], name="reportrun_tenant_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_format_display()}) #{self.pk}"

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)

    @property
    def is_active(self) -> bool:
        return self.status in (RunStatus.QUEUED, RunStatus.RUNNING)


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class ReportSubscription(TenantOwnedModel):
    """A person's standing order for a report file, e-mailed to them at a
    local hour (the tenant's time zone) every day, week or month."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    kind = models.CharField(max_length=32, choices=ReportKind.choices)
    format = models.CharField(max_length=8, choices=ReportFormat.choices)
    parameters = models.JSONField(default=dict, blank=True)  # never an as-of date
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    hour = models.PositiveSmallIntegerField(default=7)  # local, 0-23
    weekday = models.PositiveSmallIntegerField(default=0)  # weekly: 0 = Monday
    day_of_month = models.PositiveSmallIntegerField(default=1)  # monthly: 1-28
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hour__lte=23)
                & models.Q(weekday__lte=6)
                & models.Q(day_of_month__gte=1, day_of_month__lte=28),
                name="reportsubscription_schedule_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_frequency_display().lower()}"

    @property
    def weekday_name(self) -> str:
        return calendar.day_name[self.weekday]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Being made"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ReportDelivery(TenantOwnedModel):
    """One period's report of a subscription: made once per period (the
    unique constraint), e-mailed once."""

    subscription = models.ForeignKey(
        ReportSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period = models.CharField(max_length=16)  # 2026-11-23, 2026-W47, 2026-11
    run = models.OneToOneField(ReportRun, on_delete=models.PROTECT, related_name="delivery")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "subscription", "period"], name="reportdelivery_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription} {self.period}"
