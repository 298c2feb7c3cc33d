from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from otc.api.models import ApiKey
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from tests.fixtures_api import client_with_key


def test_prints_a_working_key_once(tenant_a, tenant_b):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_key",
        "--tenant",
        "alpha",
        "--role",
        "owner",
        "--name",
        "Setup",
        stdout=out,
        stderr=err,
    )
    plaintext = out.getvalue().strip()
    assert plaintext.startswith("otc_live_")
    assert "shown once" in err.getvalue()
    assert plaintext not in err.getvalue()
    with tenant_context(tenant_a):
        api_key = ApiKey.objects.get(name="Setup")
        assert api_key.role == "owner"
        assert plaintext not in (api_key.secret_hash, api_key.prefix)
        event = AuditEvent.objects.get(action="api_key.created")
        assert event.actor_label == "manage.py create_api_key"
    with tenant_context(tenant_b):
        assert not ApiKey.objects.exists()
    response = client_with_key(plaintext).get("/api/v1/api-keys/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Setup"]


def test_role_defaults_to_erp_integration(tenant_a):
    call_command(
        "create_api_key", "--tenant", "alpha", "--name", "SAP", stdout=StringIO(), stderr=StringIO()
    )
    with tenant_context(tenant_a):
        assert ApiKey.objects.get(name="SAP").role == "erp_integration"
        assert ApiKey.objects.get(name="SAP").approval_limit == 0


def test_approval_limit(tenant_a):
    call_command(
        "create_api_key",
        *("--tenant", "alpha", "--role", "credit_manager", "--name", "Bureau"),
        *("--approval-limit", "12500.5"),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    with tenant_context(tenant_a):
        assert str(ApiKey.objects.get(name="Bureau").approval_limit) == "12500.50"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "--name", "x"], "No tenant"),
        (["--tenant", "alpha", "--role", "superuser", "--name", "x"], "invalid choice"),
        (["--tenant", "alpha", "--name", "   "], "name"),
        (["--tenant", "alpha", "--name", "x", "--approval-limit", "lots"], "not an amount"),
        (["--tenant", "alpha", "--name", "x", "--approval-limit", "-1"], "approval_limit"),
    ],
)
def test_bad_arguments_are_clear_errors(tenant_a, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *args, stdout=StringIO(), stderr=StringIO())
    with tenant_context(tenant_a):
        assert not ApiKey.objects.exists()
