"""create_tenant and create_user: how the first people get in."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError

from otc.accounts.models import User
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


TENANT_ARGS = (
    "create_tenant",
    "--slug=acme",
    "--name=Acme Corp",
    "--base-currency=usd",
    "--timezone=America/New_York",
    "--locale=en-US",
)


def test_create_tenant_creates_and_audits(db):
    output = run(*TENANT_ARGS)
    tenant = Tenant.objects.get(slug="acme")
    assert "Created tenant 'acme'" in output
    assert (tenant.name, str(tenant.base_currency), tenant.timezone, tenant.locale) == (
        "Acme Corp",
        "USD",
        "America/New_York",
        "en-US",
    )
    with tenant_context(tenant):
        event = AuditEvent.objects.get(action="tenant.created")
    assert event.actor_label == "manage.py create_tenant"
    assert event.changes["name"] == {"before": None, "after": "Acme Corp"}


def test_create_tenant_twice_with_the_same_values_changes_nothing(db):
    run(*TENANT_ARGS)
    output = run(*TENANT_ARGS)
    assert "already exists" in output
    assert Tenant.objects.filter(slug="acme").count() == 1


def test_create_tenant_with_other_values_for_an_existing_slug_is_refused(db):
    run(*TENANT_ARGS)
    with pytest.raises(CommandError, match=r"name: is Acme Corp, asked for Other"):
        run("create_tenant", "--slug=acme", "--name=Other", "--base-currency=USD",
            "--timezone=America/New_York", "--locale=en-US")  # fmt: skip
    assert Tenant.objects.get(slug="acme").name == "Acme Corp"


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("--timezone=Mars/Olympus", "not a time zone"),
        ("--locale=xx-nope", "not a locale"),
        ("--base-currency=ZZZ", "base_currency"),
        ("--slug=not a slug", "slug"),
    ],
)
def test_create_tenant_rejects_bad_values_clearly(db, argument, message):
    args = ["create_tenant", "--slug=good", "--name=Good", argument]
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Tenant.objects.filter(name="Good").exists()


def test_create_user_creates_user_and_membership_and_prints_password_once(tenant_a):
    output = run(
        "create_user",
        "--email=Ann@Alpha.example",
        "--tenant=alpha",
        "--role=credit_analyst",
        "--approval-limit=25000",
    )
    password = re.search(r"Password for ann@alpha.example: (\S+)", output).group(1)
    assert len(password) >= 20
    user = User.objects.get(email="ann@alpha.example")
    assert authenticate(username="ann@alpha.example", password=password) == user
    with tenant_context(tenant_a):
        membership = Membership.objects.get(user=user)
        assert AuditEvent.objects.filter(
            action="membership.created", object_id=str(membership.pk)
        ).exists()
    assert membership.role == "credit_analyst"
    assert str(membership.approval_limit) == "25000.00"

    again = run("create_user", "--email=ann@alpha.example", "--tenant=alpha",
                "--role=credit_analyst", "--approval-limit=25000")  # fmt: skip
    assert "unchanged" in again
    assert "Password for" not in again


def test_create_user_with_a_given_password(tenant_a):
    output = run("create_user", "--email=bob@alpha.example", "--tenant=alpha", "--role=collector",
                 "--password=a-fine-long-passphrase")  # fmt: skip
    assert "Password for" not in output
    assert authenticate(username="bob@alpha.example", password="a-fine-long-passphrase")


def test_create_user_refuses_a_weak_password(tenant_a):
    with pytest.raises(CommandError, match="Password refused"):
        run("create_user", "--email=weak@alpha.example", "--tenant=alpha", "--role=collector",
            "--password=123")  # fmt: skip
    assert not User.objects.filter(email="weak@alpha.example").exists()


def test_create_user_for_an_existing_member_updates_role_and_keeps_password(tenant_a, tenant_b):
    run("create_user", "--email=cy@alpha.example", "--tenant=alpha", "--role=collector",
        "--password=a-fine-long-passphrase")  # fmt: skip
    output = run("create_user", "--email=cy@alpha.example", "--tenant=alpha",
                 "--role=credit_manager", "--approval-limit=100",
                 "--password=other-long-pass-1")  # fmt: skip
    assert "password was left unchanged" in output
    assert "Updated cy@alpha.example" in output
    assert authenticate(username="cy@alpha.example", password="a-fine-long-passphrase")
    with tenant_context(tenant_a):
        membership = Membership.objects.get(user__email="cy@alpha.example")
    assert membership.role == "credit_manager"

    # The same person joins a second tenant: one user, two seats.
    run("create_user", "--email=cy@alpha.example", "--tenant=bravo", "--role=auditor")
    assert User.objects.filter(email="cy@alpha.example").count() == 1
    with tenant_context(tenant_b):
        assert Membership.objects.get(user__email="cy@alpha.example").role == "auditor"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant=nowhere", "--role=owner"], "No tenant with slug 'nowhere'"),
        (["--tenant=alpha", "--role=wizard"], "Unknown role 'wizard'"),
        (["--tenant=alpha", "--role=erp_integration"], "create an API key"),
        (["--tenant=alpha", "--role=owner", "--approval-limit=-5"], "zero or more"),
        (["--tenant=alpha", "--role=owner", "--approval-limit=lots"], "not a number"),
    ],
)
def test_create_user_rejects_bad_arguments_clearly(tenant_a, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_user", "--email=dee@alpha.example", *args)
    assert not User.objects.filter(email="dee@alpha.example").exists()


def test_create_user_cannot_demote_the_last_owner(tenant_a, owner_a):
    with pytest.raises(CommandError, match="only active owner"):
        run("create_user", "--email=owner@alpha.example", "--tenant=alpha", "--role=auditor")
    with tenant_context(tenant_a):
        assert Membership.objects.get(user=owner_a).role == "owner"
