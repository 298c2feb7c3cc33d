"""Scheduled reports: a person subscribes to a report file; the beat's tick
(every 15 minutes) starts each subscription's report once per period when
its local hour has come (the tenant's time zone), and the e-mail goes out
once the file is made.

Once per period: the subscription row is locked while its period's
delivery is created, and (subscription, period) is unique, so a duplicated
tick or two beats never make or send a second report. Sending happens on the
e-mail queue under the delivery's row lock; an SMTP failure is recorded on
the delivery and retried with backoff by the task, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import smtplib
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from otc.accounts.models import User
from otc.audit.services import Actor, audit_record
from otc.errors import NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from reporting.models import (
    DeliveryStatus,
    Frequency,
    ReportDelivery,
    ReportRun,
    ReportSubscription,
    RunStatus,
)
from reporting.reports.parameters import ReportParameters
from reporting.services.report_runs import report_run_request

MAX_ATTEMPTS = 5


def subscription_create(
    *,
    tenant: Tenant,
    actor: Actor,
    user: User,
    kind: str,
    file_format: str,
    parameters: ReportParameters,
    frequency: str,
    hour: int,
    weekday: int = 0,
    day_of_month: int = 1,
) -> ReportSubscription:
    if parameters.as_of is not None:
        raise ValidationFailed(
            "A scheduled report is always as of the day it is made: leave the date empty.",
            errors={"as_of": ["Leave it empty for a scheduled report."]},
        )
    with transaction.atomic():
        subscription = ReportSubscription.objects.for_tenant(tenant).create(
            tenant=tenant,
            user=user,
            kind=kind,
            format=file_format,
            parameters=parameters.to_json(),
            frequency=frequency,
            hour=hour,
            weekday=weekday,
            day_of_month=day_of_month,
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="reporting.subscription_created",
            instance=subscription,
            changes={
                "kind": {"before": None, "after": kind},
                "frequency": {"before": None, "after": frequency},
            },
        )
    return subscription


def _own(tenant: Tenant, user: User, subscription_id: int) -> ReportSubscription:
    subscription = (
        ReportSubscription.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk=subscription_id, user=user)
        .first()
    )
    if subscription is None:
        raise NotFound("No such subscription.")
    return subscription


def subscription_set_active(
    *, tenant: Tenant, actor: Actor, user: User, subscription_id: int, active: bool
) -> ReportSubscription:
    with transaction.atomic():
        subscription = _own(tenant, user, subscription_id)
        before = subscription.is_active
        subscription.is_active = active
        subscription.save(update_fields=["is_active"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="reporting.subscription_resumed" if active else "reporting.subscription_paused",
            instance=subscription,
            changes={"is_active": {"before": before, "after": active}},
        )
    return subscription


def subscription_delete(*, tenant: Tenant, actor: Actor, user: User, subscription_id: int) -> None:
    with transaction.atomic():
        subscription = _own(tenant, user, subscription_id)
        audit_record(
            tenant=tenant,
            actor=actor,
            action="reporting.subscription_deleted",
            instance=subscription,
            changes={"kind": {"before": subscription.kind, "after": None}},
        )
        subscription.delete()


def due_period(subscription: ReportSubscription, local: datetime) -> str | None:
    """The period whose report is due at local time `local`, or None when
    this period's hour (and day) has not come yet."""
    if subscription.frequency == Frequency.DAILY:
        return local.date().isoformat() if local.hour >= subscription.hour else None
    if subscription.frequency == Frequency.WEEKLY:
        if (local.weekday(), local.hour) < (subscription.weekday, subscription.hour):
            return None
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if (local.day, local.hour) < (subscription.day_of_month, subscription.hour):
        return None
    return f"{local:%Y-%m}"


def subscriptions_start_due(*, tenant: Tenant, now: datetime) -> list[ReportDelivery]:
    """Start the report of every active subscription whose period is due and
    not started yet."""
    local = now.astimezone(ZoneInfo(tenant.timezone or "UTC"))
    started = []
    for subscription in ReportSubscription.objects.for_tenant(tenant).filter(is_active=True):
        period = due_period(subscription, local)
        if period is None:
            continue
        with transaction.atomic():
            locked = (
                ReportSubscription.objects.for_tenant(tenant)
                .select_for_update()
                .filter(pk=subscription.pk, is_active=True)
                .select_related("user")
                .first()
            )
            if locked is None:
                continue
            if (
                ReportDelivery.objects.for_tenant(tenant)
                .filter(subscription=locked, period=period)
                .exists()
            ):
                continue
            run = report_run_request(
                tenant=tenant,
                actor=Actor.system("report subscription"),
                kind=locked.kind,
                file_format=locked.format,
                parameters=ReportParameters.from_json(locked.parameters),
                label=f"Subscription of {locked.user.email} ({period})",
            )
            ReportRun.objects.for_tenant(tenant).filter(pk=run.pk).update(requested_by=locked.user)
            started.append(
                ReportDelivery.objects.for_tenant(tenant).create(
                    tenant=tenant, subscription=locked, period=period, run=run
                )
            )
    return started


def report_delivery_after_run(*, tenant: Tenant, run: ReportRun) -> None:
    """Called when a run finished: a subscription's file goes out by e-mail;
    a failed run marks its delivery failed with the run's error."""
    delivery = ReportDelivery.objects.for_tenant(tenant).filter(run=run).first()
    if delivery is None or delivery.status == DeliveryStatus.SENT:
        return
    if run.status == RunStatus.SUCCEEDED:
        ReportDelivery.objects.for_tenant(tenant).filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, last_error=""
        )
        from reporting.tasks import send_report_delivery

        send_report_delivery.delay_on_commit(tenant.pk, delivery.pk)
    elif run.status == RunStatus.FAILED:
        ReportDelivery.objects.for_tenant(tenant).filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=run.error
        )


def report_delivery_send(*, tenant: Tenant, delivery_id: int) -> str:
    """E-mail one delivery's file. Returns "sent", "skipped" or "failed";
    raises the SMTP error when another attempt is left (the task retries)."""
    failure: Exception | None = None
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("run", "subscription__user")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return "skipped"
        run = delivery.run
        if run.status != RunStatus.SUCCEEDED:
            return "skipped"
        subscription = delivery.subscription
        message = EmailMessage(
            subject=f"{run.get_kind_display()} · {tenant.name} · {delivery.period}",
            body=(
                f"Your {subscription.get_frequency_display().lower()} "
                f"{run.get_kind_display()} for {tenant.name} ({delivery.period}) is attached.\n\n"
                "You receive it because you subscribed to it in OTC under Reports > "
                "Scheduled reports, where you can pause or delete the subscription."
            ),
            to=[subscription.user.email],
        )
        with run.file.open("rb") as handle:
            message.attach(run.file_name, handle.read())
        delivery.attempts += 1
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            delivery.last_error = f"Sending failed (attempt {delivery.attempts}): {exc}"[:2000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
            else:
                failure = exc
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    if failure is not None:
        raise failure
    return "sent" if delivery.status == DeliveryStatus.SENT else "failed"
