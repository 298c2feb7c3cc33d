"""Scheduled reports: due once per period at the local hour, made and
e-mailed once even when the tick repeats, SMTP failures recorded and
retried, and the page to subscribe, pause and delete."""

from __future__ import annotations

import smtplib
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from reporting.models import (
    DeliveryStatus,
    Frequency,
    ReportDelivery,
    ReportFormat,
    ReportKind,
    ReportRun,
    ReportSubscription,
    RunStatus,
)
from reporting.reports.parameters import ReportParameters
from reporting.services.report_runs import report_run_generate
from reporting.services.subscriptions import (
    MAX_ATTEMPTS,
    due_period,
    report_delivery_after_run,
    report_delivery_send,
    subscription_create,
    subscriptions_start_due,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def subscribe(tenant, user, **schedule):
    with tenant_context(tenant):
        return subscription_create(
            tenant=tenant,
            actor=Actor.system("tests"),
            user=user,
            kind=ReportKind.AGING,
            file_format=ReportFormat.CSV,
            parameters=ReportParameters(),
            **{"frequency": Frequency.DAILY, "hour": 7, **schedule},
        )


@pytest.mark.parametrize(
    ("schedule", "local", "period"),
    [
        ({"frequency": "daily", "hour": 7}, datetime(2026, 11, 23, 6, 59, tzinfo=BERLIN), None),
        (
            {"frequency": "daily", "hour": 7},
            datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN),
            "2026-11-23",
        ),
        # Weekly on Wednesday at 9: not on Tuesday, still due on Thursday.
        (
            {"frequency": "weekly", "hour": 9, "weekday": 2},
            datetime(2026, 11, 24, 10, tzinfo=BERLIN),
            None,
        ),
        (
            {"frequency": "weekly", "hour": 9, "weekday": 2},
            datetime(2026, 11, 26, 1, tzinfo=BERLIN),
            "2026-W48",
        ),
        (
            {"frequency": "monthly", "hour": 6, "day_of_month": 1},
            datetime(2026, 12, 1, 5, tzinfo=BERLIN),
            None,
        ),
        (
            {"frequency": "monthly", "hour": 6, "day_of_month": 1},
            datetime(2026, 12, 1, 6, tzinfo=BERLIN),
            "2026-12",
        ),
    ],
)
def test_due_period(schedule, local, period):
    assert due_period(ReportSubscription(**schedule), local) == period


def test_a_repeated_tick_makes_and_sends_the_report_once(book, django_capture_on_commit_callbacks):
    user = UserFactory(email="ceo@alpha.example")
    subscription = subscribe(book.tenant, user, hour=7)
    # 07:05 in Berlin is 06:05 UTC in winter.
    now = datetime(2026, 11, 23, 7, 5, tzinfo=BERLIN)
    with tenant_context(book.tenant):
        (delivery,) = subscriptions_start_due(tenant=book.tenant, now=now)
        assert subscriptions_start_due(tenant=book.tenant, now=now) == []
        assert subscriptions_start_due(tenant=book.tenant, now=now.replace(hour=23)) == []
        assert delivery.period == "2026-11-23"
        run = report_run_generate(tenant=book.tenant, run_id=delivery.run_id)
        assert run.status == RunStatus.SUCCEEDED
        assert run.requested_by == user
        report_delivery_after_run(tenant=book.tenant, run=run)
        assert report_delivery_send(tenant=book.tenant, delivery_id=delivery.pk) == "sent"
        assert report_delivery_send(tenant=book.tenant, delivery_id=delivery.pk) == "skipped"
        report_delivery_after_run(tenant=book.tenant, run=run)  # a repeated task
        assert ReportRun.objects.for_tenant(book.tenant).count() == 1
        assert ReportDelivery.objects.for_tenant(book.tenant).get().status == DeliveryStatus.SENT
    (message,) = mail.outbox
    assert message.to == ["ceo@alpha.example"]
    (name, content, _mime) = message.attachments[0]
    assert name == run.file_name
    text = content.decode() if isinstance(content, bytes) else content
    assert "3800.00" in text
    # The next day is a new period.
    with tenant_context(book.tenant):
        (next_day,) = subscriptions_start_due(tenant=book.tenant, now=now.replace(day=24))
    assert next_day.period == "2026-11-24"
    assert subscription.pk == next_day.subscription_id


def test_paused_subscriptions_and_other_tenants_are_left_alone(book, tenant_b):
    user = UserFactory(email="cfo@alpha.example")
    subscription = subscribe(book.tenant, user)
    with tenant_context(book.tenant):
        ReportSubscription.objects.for_tenant(book.tenant).filter(pk=subscription.pk).update(
            is_active=False
        )
        now = datetime(2026, 11, 23, 12, tzinfo=BERLIN)
        assert subscriptions_start_due(tenant=book.tenant, now=now) == []
    with tenant_context(tenant_b):
        assert subscriptions_start_due(tenant=tenant_b, now=now) == []
        assert not ReportRun.objects.for_tenant(tenant_b).exists()


def test_smtp_failures_are_recorded_retried_and_finally_failed(book):
    user = UserFactory(email="controller@alpha.example")
    subscribe(book.tenant, user)
    with tenant_context(book.tenant):
        (delivery,) = subscriptions_start_due(
            tenant=book.tenant, now=datetime(2026, 11, 23, 8, tzinfo=BERLIN)
        )
        report_run_generate(tenant=book.tenant, run_id=delivery.run_id)
        refused = smtplib.SMTPServerDisconnected("mail server went away")
        with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused):
            for attempt in range(1, MAX_ATTEMPTS):
                with pytest.raises(smtplib.SMTPServerDisconnected):
                    report_delivery_send(tenant=book.tenant, delivery_id=delivery.pk)
                delivery.refresh_from_db()
                assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, attempt)
                assert "mail server went away" in delivery.last_error
            assert report_delivery_send(tenant=book.tenant, delivery_id=delivery.pk) == "failed"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert mail.outbox == []


def test_a_failed_report_marks_its_delivery_failed(book):
    user = UserFactory(email="treasury@alpha.example")
    subscribe(book.tenant, user)
    with tenant_context(book.tenant):
        (delivery,) = subscriptions_start_due(
            tenant=book.tenant, now=datetime(2026, 11, 23, 8, tzinfo=BERLIN)
        )
        ReportRun.objects.for_tenant(book.tenant).filter(pk=delivery.run_id).update(
            parameters={"group_by": "planet"}
        )
        run = report_run_generate(tenant=book.tenant, run_id=delivery.run_id)
        report_delivery_after_run(tenant=book.tenant, run=run)
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "planet" in delivery.last_error


def test_the_page_subscribes_pauses_and_deletes(book, signed_in_client, tenant_b):
    client = signed_in_client(book.tenant, "executive")
    response = client.post(
        "/reports/subscriptions/",
        {"kind": "kpi_pack", "format": "pdf", "frequency": "weekly", "hour": "8", "weekday": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(book.tenant):
        subscription = ReportSubscription.objects.for_tenant(book.tenant).get()
    assert (subscription.user, subscription.frequency, subscription.hour) == (
        client.user,
        "weekly",
        8,
    )
    page = client.get("/reports/subscriptions/").content.decode()
    assert "Weekly on Monday at 08:00" in page

    bad = client.post(
        "/reports/subscriptions/",
        {
            "kind": "aging",
            "format": "csv",
            "frequency": "daily",
            "hour": "7",
            "as_of": "2020-01-01",
        },
    )
    assert "always as of the day it is made" in bad.content.decode()

    # Another tenant's person can neither see nor change it.
    other = signed_in_client(tenant_b, "executive")
    assert 'data-testid="subscription"' not in other.get("/reports/subscriptions/").content.decode()
    assert other.post(f"/reports/subscriptions/{subscription.pk}/delete/").status_code == 404

    client.post(f"/reports/subscriptions/{subscription.pk}/pause/")
    with tenant_context(book.tenant):
        assert not ReportSubscription.objects.for_tenant(book.tenant).get().is_active
    client.post(f"/reports/subscriptions/{subscription.pk}/delete/")
    with tenant_context(book.tenant):
        assert not ReportSubscription.objects.for_tenant(book.tenant).exists()
