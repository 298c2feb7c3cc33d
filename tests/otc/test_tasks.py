"""The Celery conventions: tenant context inside tasks, run-once guards,
enqueue after commit."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest
from django.db import transaction

from otc.audit.models import AuditEvent
from otc.audit.services import Actor, audit_record
from otc.tasks import run_once, tenant_task
from otc.tenancy.context import current_tenant

pytestmark = pytest.mark.django_db


@tenant_task(name="tests.record_seen")
def record_seen(tenant, label):
    assert current_tenant() == tenant
    audit_record(tenant=tenant, actor=Actor.system("task"), action=f"task.{label}")
    return AuditEvent.objects.count()


def test_tenant_task_runs_inside_its_tenant(tenant_a, tenant_b):
    result = record_seen.apply(args=[tenant_a.pk, "ran"]).get()
    assert result == 1
    assert current_tenant() is None  # the context does not leak out of the task
    assert AuditEvent.objects.for_tenant(tenant_a).count() == 0  # context gone: RLS hides it
    from otc.tenancy.context import tenant_context

    with tenant_context(tenant_a):
        assert list(AuditEvent.objects.values_list("action", flat=True)) == ["task.ran"]
    with tenant_context(tenant_b):
        assert AuditEvent.objects.count() == 0


def test_tenant_task_for_missing_or_inactive_tenant_is_a_no_op(tenant_a):
    tenant_a.is_active = False
    tenant_a.save(update_fields=["is_active"])
    assert record_seen.apply(args=[tenant_a.pk, "ran"]).get() is None
    assert record_seen.apply(args=[999_999_999, "ran"]).get() is None


def test_run_once_admits_the_first_caller_only():
    key = f"test-{uuid.uuid4()}"
    assert run_once(key, ttl_seconds=60) is True
    assert run_once(key, ttl_seconds=60) is False
    assert run_once(f"{key}-other", ttl_seconds=60) is True


def test_delay_on_commit_enqueues_only_after_commit(tenant_a, django_capture_on_commit_callbacks):
    with mock.patch.object(record_seen, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
            record_seen.delay_on_commit(tenant_a.pk, "later")
        delay.assert_not_called()
        for callback in callbacks:
            callback()
        delay.assert_called_once_with(tenant_a.pk, "later")
