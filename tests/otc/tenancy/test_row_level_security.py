"""Tenant isolation in the database itself, proven with raw SQL as the role
the application logs in as (DESIGN.md §3)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from otc.audit.models import AuditEvent
from otc.audit.services import Actor, audit_record
from otc.settings.database import app_role_name
from otc.tenancy.context import TenantContextMissingError, tenant_context
from otc.tenancy.models import Membership

pytestmark = pytest.mark.usefixtures("committed_db")


@pytest.fixture
def two_tenants_with_rows(tenant_a, tenant_b, owner_a, owner_b):
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            audit_record(tenant=tenant, actor=Actor.system(), action="test.seed")
    return tenant_a, tenant_b


def _raw_count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_application_role_is_not_privileged(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, is_super, bypasses = cursor.fetchone()
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditevent'")
        owner = cursor.fetchone()[0]
    assert user == app_role_name()
    assert not is_super
    assert not bypasses
    assert owner != user


def test_select_with_no_tenant_set_returns_no_rows(two_tenants_with_rows):
    assert _raw_count("SELECT count(*) FROM audit_auditevent") == 0
    assert _raw_count("SELECT count(*) FROM tenancy_membership") == 0


def test_select_with_tenant_a_never_returns_tenant_b_rows(two_tenants_with_rows):
    tenant_a, tenant_b = two_tenants_with_rows
    with tenant_context(tenant_a), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM audit_auditevent")
        assert [row[0] for row in cursor.fetchall()] == [tenant_a.pk]
        cursor.execute(
            "SELECT count(*) FROM tenancy_membership WHERE tenant_id = %s", [tenant_b.pk]
        )
        assert cursor.fetchone()[0] == 0


def test_insert_for_tenant_b_under_tenant_a_is_refused(two_tenants_with_rows):
    tenant_a, tenant_b = two_tenants_with_rows
    with tenant_context(tenant_a), pytest.raises(ProgrammingError, match="row-level security"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO audit_auditevent (tenant_id, occurred_at, actor_label, action, "
                "object_type, object_id, object_repr, changes, request_id) "
                "VALUES (%s, now(), 'x', 'forged', '', '', '', '{}', '')",
                [tenant_b.pk],
            )
    with tenant_context(tenant_b):
        assert not AuditEvent.objects.filter(action="forged").exists()


def test_update_cannot_move_a_row_to_another_tenant(two_tenants_with_rows):
    tenant_a, tenant_b = two_tenants_with_rows
    with tenant_context(tenant_a), pytest.raises(ProgrammingError, match="row-level security"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE tenancy_membership SET tenant_id = %s", [tenant_b.pk])


def test_setting_does_not_outlive_its_transaction_on_a_reused_connection(two_tenants_with_rows):
    """SET LOCAL semantics, checked on a bare psycopg connection as the app role
    (no OTC code in between), as a pooled connection would be reused."""
    tenant_a, _ = two_tenants_with_rows
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=False) as raw:
        with raw.cursor() as cursor:
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_a.pk)])
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            assert cursor.fetchone()[0] == 1
        raw.commit()
        with raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT current_setting('app.tenant_id', true)")
            assert cursor.fetchone()[0] in ("", None)


def test_django_connection_forgets_tenant_between_transactions(two_tenants_with_rows):
    tenant_a, _ = two_tenants_with_rows
    with tenant_context(tenant_a):
        assert _raw_count("SELECT count(*) FROM audit_auditevent") == 1
    # Same persistent connection, next transaction, no tenant.
    assert _raw_count("SELECT count(*) FROM audit_auditevent") == 0


def test_tenant_switch_after_rolled_back_savepoint_is_not_stale(two_tenants_with_rows):
    tenant_a, tenant_b = two_tenants_with_rows
    with transaction.atomic():
        with tenant_context(tenant_a):
            assert AuditEvent.objects.count() == 1
        try:
            with transaction.atomic(), tenant_context(tenant_b):
                assert _raw_count("SELECT count(*) FROM audit_auditevent") == 1
                raise RuntimeError("roll the savepoint back")
        except RuntimeError:
            pass
        with tenant_context(tenant_b), connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tenant_id FROM audit_auditevent")
            assert [r[0] for r in cursor.fetchall()] == [tenant_b.pk]


def test_orm_fails_closed_without_tenant(two_tenants_with_rows):
    with pytest.raises(TenantContextMissingError):
        list(Membership.objects.all())


def test_for_tenant_scopes_explicitly(two_tenants_with_rows):
    tenant_a, tenant_b = two_tenants_with_rows
    with tenant_context(tenant_a):
        assert {m.tenant_id for m in Membership.objects.for_tenant(tenant_a)} == {tenant_a.pk}
        # Asking for B's rows from A's context: the database hides them.
        assert list(Membership.objects.for_tenant(tenant_b)) == []


def test_audit_events_cannot_be_updated_or_deleted(two_tenants_with_rows):
    tenant_a, _ = two_tenants_with_rows
    with tenant_context(tenant_a):
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("UPDATE audit_auditevent SET action = 'rewritten'")
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_auditevent")
        assert AuditEvent.objects.filter(action="test.seed").count() == 1


def test_server_side_cursor_iteration_sees_the_tenants_rows(two_tenants_with_rows):
    """QuerySet.iterator() reads through a named (server-side) cursor; the
    tenant setting must still reach the transaction that cursor runs in."""
    tenant_a, _tenant_b = two_tenants_with_rows
    with tenant_context(tenant_a), transaction.atomic():
        seen = {event.tenant_id for event in AuditEvent.objects.iterator(chunk_size=1)}
    assert seen == {tenant_a.pk}
    with tenant_context(tenant_a):
        # Autocommit: the iterator opens its own transaction.
        seen = {event.tenant_id for event in AuditEvent.objects.all().iterator(chunk_size=1)}
    assert seen == {tenant_a.pk}
