"""Writes about API keys: issue, revoke, and the last-used bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from otc.api.keys import generate_key
from otc.api.models import ApiKey
from otc.audit.services import Actor, audit_record, field_changes, snapshot
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Role

NAME_MAX_LENGTH = 100
# last_used_at is for people ("is this key still in use?"), so minute
# precision is plenty and saves a write on nearly every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_PREFIX_ATTEMPTS = 5
APPROVAL_LIMIT_CEILING = Decimal(10) ** 16  # what the column holds (18 digits, 2 decimals)


@dataclass(frozen=True)
class IssuedApiKey:
    """A new key and its plaintext, which exists only in this object: show it
    once, never store or log it."""

    api_key: ApiKey
    plaintext: str


def api_key_create(
    *,
    tenant: Tenant,
    actor: Actor,
    name: str,
    role: Role | str = Role.ERP_INTEGRATION,
    approval_limit: Decimal = Decimal(0),
) -> IssuedApiKey:
    """Issue a key. ``approval_limit`` (the tenant's base currency) is the
    highest credit limit it may set or approve, as a person's is."""
    name = name.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the key a name that says which system uses it."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"Use at most {NAME_MAX_LENGTH} characters."]
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = [f"Unknown role {role!r}; use one of: {', '.join(Role)}."]
    if not (approval_limit.is_finite() and 0 <= approval_limit < APPROVAL_LIMIT_CEILING):
        errors["approval_limit"] = ["Enter an amount of 0 or more."]
    else:
        approval_limit = approval_limit.quantize(Decimal("0.01"))
    if errors:
        raise ValidationFailed("The API key could not be created.", errors=errors)

    with transaction.atomic():
        keys = ApiKey.objects.for_tenant(tenant)
        for _ in range(_PREFIX_ATTEMPTS):
            material = generate_key()
            if not keys.filter(prefix=material.prefix).exists():
                break
        else:  # 36**8 prefixes: reaching this means the generator is broken
            raise ConflictError("Could not find a free key prefix; try again.")
        api_key: ApiKey = keys.create(
            tenant=tenant,
            name=name,
            role=Role(role).value,
            approval_limit=approval_limit,
            prefix=material.prefix,
            secret_hash=material.secret_hash,
            created_by=actor.user,
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="api_key.created",
            instance=api_key,
            changes=field_changes(
                before={}, after=snapshot(api_key, ["name", "role", "approval_limit", "prefix"])
            ),
        )
    return IssuedApiKey(api_key=api_key, plaintext=material.plaintext)


def api_key_revoke(*, tenant: Tenant, actor: Actor, api_key: ApiKey) -> ApiKey:
    """Revoke the key; the next request made with it is refused. Revoking a
    revoked key changes nothing (so a retried revoke is harmless)."""
    with transaction.atomic():
        locked: ApiKey | None = (
            ApiKey.objects.for_tenant(tenant).select_for_update().filter(pk=api_key.pk).first()
        )
        if locked is None:
            raise NotFound("No such API key.")
        if locked.revoked_at is not None:
            return locked
        before = snapshot(locked, ["revoked_at", "revoked_by"])
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor.user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="api_key.revoked",
            instance=locked,
            changes=field_changes(
                before=before, after=snapshot(locked, ["revoked_at", "revoked_by"])
            ),
        )
    return locked


def api_key_touch(*, tenant: Tenant, api_key: ApiKey, now: datetime | None = None) -> None:
    """Record that the key was just used, at most once per minute.

    Not audited: it is bookkeeping on every request, not a change anyone made.
    The conditional UPDATE is a compare-and-set, so of many concurrent
    requests at most one writes.
    """
    now = now or timezone.now()
    last_used = api_key.last_used_at
    if last_used is not None and now - last_used < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.for_tenant(tenant).filter(pk=api_key.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    api_key.last_used_at = now
