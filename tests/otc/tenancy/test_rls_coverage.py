"""Every tenant-owned table is protected by row-level security and every
uniqueness rule is scoped to the tenant. New models that forget either fail
here, before they can leak."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from otc.tenancy.models import TenantOwnedModel
from otc.tenancy.rls import POLICY_NAME

pytestmark = pytest.mark.django_db


def tenant_owned_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantOwnedModel) and not model._meta.proxy
    ]


def test_there_are_tenant_owned_models():
    labels = {model._meta.label for model in tenant_owned_models()}
    assert {"tenancy.Membership", "audit.AuditEvent"} <= labels


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_table_has_forced_rls_with_tenant_policy(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = %s AND relkind = 'r'",
            [table],
        )
        enabled, forced = cursor.fetchone()
        cursor.execute(
            "SELECT qual, with_check FROM pg_policies WHERE tablename = %s AND policyname = %s",
            [table, POLICY_NAME],
        )
        policy = cursor.fetchone()
    assert enabled, f"{table}: row-level security is not enabled"
    assert forced, f"{table}: row-level security is not forced"
    assert policy is not None, f"{table}: no {POLICY_NAME} policy"
    qual, with_check = policy
    assert "tenant_id" in qual
    assert "app.tenant_id" in qual
    assert "tenant_id" in with_check
    assert "app.tenant_id" in with_check


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_tenant_column_is_required_and_indexed(model):
    # Indexed on its own or as the first column of another index (the
    # ledger's items drop the index of the tenant alone: see OpenItem).
    field = model._meta.get_field("tenant")
    assert not field.null
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    leading = [c for c in constraints.values() if c["index"] and c["columns"][:1] == ["tenant_id"]]
    assert leading, f"{model._meta.db_table}: no index leads with tenant_id"


@pytest.mark.parametrize("model", tenant_owned_models(), ids=lambda m: m._meta.label)
def test_unique_rules_lead_with_the_tenant(model):
    for field in model._meta.local_fields:
        # A one-to-one link points at a globally unique primary key already.
        if field.primary_key or field.one_to_one:
            continue
        assert not field.unique, (
            f"{model._meta.label}.{field.name} is unique across tenants; "
            "use a UniqueConstraint that starts with tenant"
        )
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert constraint.fields[:1] == ("tenant",), (
                f"{model._meta.label}: {constraint.name} must start with the tenant field"
            )
    for together in model._meta.unique_together:
        assert together[0] == "tenant", f"{model._meta.label}: unique_together without tenant"


def test_application_role_privileges_on_append_only_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(current_user, 'audit_auditevent', 'UPDATE'), "
            "has_table_privilege(current_user, 'audit_auditevent', 'DELETE'), "
            "has_table_privilege(current_user, 'audit_auditevent', 'INSERT')"
        )
        can_update, can_delete, can_insert = cursor.fetchone()
    assert (can_update, can_delete, can_insert) == (False, False, True)
