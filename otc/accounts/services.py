"""Writes about people: creating users and recording their sessions."""

from __future__ import annotations

import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from otc.accounts.models import User
from otc.audit.services import Actor, audit_record
from otc.tenancy.models import Tenant

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def password_generate(*, length: int = 20) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


@transaction.atomic
def user_create(*, email: str, full_name: str = "", password: str | None = None) -> User:
    """A new user. Users are global (one person, many tenants); what they
    may do is on their memberships, which the tenancy services create and
    audit. Raises ValidationError when the password is too weak."""
    user = User(email=User.objects.normalize_email(email).lower(), full_name=full_name)
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user=user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_signed_in(*, tenant: Tenant, actor: Actor) -> None:
    """Sign-ins go into the trail of the tenant the session starts in, so an
    auditor sees who worked in the tenant and from where."""
    audit_record(
        tenant=tenant,
        actor=actor,
        action="session.signed_in",
        instance=actor.user,
        object_type="accounts.user",
    )


def user_signed_out(*, tenant: Tenant, actor: Actor) -> None:
    audit_record(
        tenant=tenant,
        actor=actor,
        action="session.signed_out",
        instance=actor.user,
        object_type="accounts.user",
    )


@transaction.atomic
def user_password_change(*, tenant: Tenant, actor: Actor, user: User, new_password: str) -> User:
    """Set a new password (already validated by the form) and note it in the
    trail of the tenant the person was working in."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="user.password_changed",
        instance=user,
        object_type="accounts.user",
    )
    return user


def user_switched_tenant(*, tenant: Tenant, actor: Actor) -> None:
    """Recorded in the tenant switched to: it shows when a person who works
    for several tenants started working in this one."""
    audit_record(
        tenant=tenant,
        actor=actor,
        action="session.tenant_switched",
        instance=actor.user,
        object_type="accounts.user",
    )
