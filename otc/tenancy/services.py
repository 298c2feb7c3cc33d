"""Writes about tenants and their members: creating a tenant, its settings
and branding, and who holds which seat. Every write is audited in the
tenant's own trail inside the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from moneyed import CurrencyDoesNotExist, get_currency

from otc.accounts.models import User
from otc.accounts.services import invitation_send, user_create
from otc.audit.services import Actor, audit_record, field_changes, snapshot
from otc.errors import ConflictError, ValidationFailed
from otc.tenancy.context import tenant_context
from otc.tenancy.middleware import SESSION_TENANT_KEY
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import INTERACTIVE_ROLES, Role


class TenancyRuleError(ValidationFailed):
    """A member change that the tenant's rules refuse; the message says why
    in words an owner understands."""


class LastOwnerError(TenancyRuleError, ConflictError):
    """Removing or demoting the last owner would lock everyone out."""


def validate_regional(*, base_currency: str, timezone: str, locale: str) -> None:
    """The model stores these as plain text; what goes in must be an ISO 4217
    currency, a zone the zoneinfo database knows and a locale Babel can
    format numbers for."""
    errors: dict[str, str] = {}
    try:
        get_currency(base_currency)
    except CurrencyDoesNotExist:
        errors["base_currency"] = f"'{base_currency}' is not an ISO 4217 currency code."
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = f"'{timezone}' is not a time zone; use a name like Europe/Berlin."
    try:
        Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        errors["locale"] = f"'{locale}' is not a locale; use a code like en, en-GB or de-DE."
    if errors:
        raise ValidationError(errors)


# What invoices and e-invoices say about the tenant as the seller.
SELLER_FIELDS = [
    "country",
    "vat_id",
    "tax_number",
    "registration",
    "iban",
    "bic",
    "bank_name",
    "billing_email",
    "phone",
    "website",
]
SETTINGS_FIELDS = [
    "name",
    "legal_name",
    "address",
    "base_currency",
    "timezone",
    "locale",
    "primary_colour",
    "accent_colour",
    *SELLER_FIELDS,
]
MEMBERSHIP_FIELDS = ["role", "approval_limit", "is_active"]


@dataclass(frozen=True)
class TenantSettings:
    name: str
    legal_name: str
    address: str
    base_currency: str
    timezone: str
    locale: str
    primary_colour: str
    accent_colour: str
    # Seller details for documents; the settings form validates them.
    country: str = ""
    vat_id: str = ""
    tax_number: str = ""
    registration: str = ""
    iban: str = ""
    bic: str = ""
    bank_name: str = ""
    billing_email: str = ""
    phone: str = ""
    website: str = ""


@transaction.atomic
def tenant_create(
    *,
    actor: Actor,
    slug: str,
    name: str,
    base_currency: str,
    timezone: str,
    locale: str,
) -> Tenant:
    validate_regional(base_currency=base_currency, timezone=timezone, locale=locale)
    tenant = Tenant(
        slug=slug,
        name=name,
        base_currency=base_currency,
        timezone=timezone,
        locale=locale,
    )
    tenant.full_clean()
    tenant.save()
    # The first line of a tenant's trail is its own creation, written inside
    # the tenant so row-level security admits it.
    with tenant_context(tenant):
        audit_record(
            tenant=tenant,
            actor=actor,
            action="tenant.created",
            instance=tenant,
            changes={
                field: {"before": None, "after": value}
                for field, value in snapshot(
                    tenant, ["slug", "name", "base_currency", "timezone", "locale"]
                ).items()
            },
        )
    return tenant


@transaction.atomic
def tenant_settings_update(*, tenant: Tenant, actor: Actor, settings: TenantSettings) -> Tenant:
    """Company details, regional settings and colours. The base currency may
    change while no documents exist in it; until the ledger arrives there are
    none, so the change is allowed and, like every change here, audited."""
    validate_regional(
        base_currency=settings.base_currency, timezone=settings.timezone, locale=settings.locale
    )
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    before = snapshot(locked, SETTINGS_FIELDS)
    for field in SETTINGS_FIELDS:
        setattr(locked, field, getattr(settings, field))
    locked.full_clean(exclude=["logo", "slug"])
    changes = field_changes(before=before, after=snapshot(locked, SETTINGS_FIELDS))
    if not changes:
        return locked
    locked.save(update_fields=[*changes, "updated_at"])
    audit_record(
        tenant=locked,
        actor=actor,
        action="tenant.settings_updated",
        instance=locked,
        changes=changes,
    )
    _refresh(tenant, locked)
    return locked


@transaction.atomic
def tenant_logo_replace(*, tenant: Tenant, actor: Actor, logo: File[Any], extension: str) -> Tenant:
    """Store a new logo (already validated by the form) under a fresh random
    name, so a cached old logo never shows and names cannot be guessed."""
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    old_name = locked.logo.name or ""
    locked.logo.save(f"{locked.slug}-{uuid.uuid4().hex}.{extension}", logo, save=False)
    locked.save(update_fields=["logo", "updated_at"])
    audit_record(
        tenant=locked,
        actor=actor,
        action="tenant.logo_replaced",
        instance=locked,
        changes={
            "logo": {
                "before": PurePath(old_name).name or None,
                "after": PurePath(locked.logo.name or "").name,
            }
        },
    )
    if old_name:
        storage = locked.logo.storage
        transaction.on_commit(lambda: storage.delete(old_name))
    _refresh(tenant, locked)
    return locked


@transaction.atomic
def tenant_logo_remove(*, tenant: Tenant, actor: Actor) -> Tenant:
    locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
    old_name = locked.logo.name or ""
    if not old_name:
        return locked
    storage = locked.logo.storage
    locked.logo = ""
    locked.save(update_fields=["logo", "updated_at"])
    audit_record(
        tenant=locked,
        actor=actor,
        action="tenant.logo_removed",
        instance=locked,
        changes={"logo": {"before": PurePath(old_name).name, "after": None}},
    )
    transaction.on_commit(lambda: storage.delete(old_name))
    _refresh(tenant, locked)
    return locked


def _refresh(stale: Tenant, fresh: Tenant) -> None:
    # Callers (and the request) keep using the instance they passed in.
    for field in [*SETTINGS_FIELDS, "logo", "updated_at"]:
        setattr(stale, field, getattr(fresh, field))


def _interactive_role(role: str | Role) -> Role:
    try:
        value = Role(role)
    except ValueError:
        raise TenancyRuleError(f"'{role}' is not a role.") from None
    if value not in INTERACTIVE_ROLES:
        raise TenancyRuleError(
            f"{value.label} is for API keys; people need a role they can sign in with."
        )
    return value


@transaction.atomic
def membership_create(
    *,
    tenant: Tenant,
    actor: Actor,
    user: User,
    role: str | Role,
    approval_limit: Decimal,
) -> Membership:
    role = _interactive_role(role)
    if approval_limit < 0:
        raise TenancyRuleError("An approval limit cannot be negative.")
    memberships = Membership.objects.for_tenant(tenant)
    if memberships.filter(user=user).exists():
        raise TenancyRuleError(f"{user.email} is already a member of {tenant.name}.")
    membership = memberships.create(
        tenant=tenant, user=user, role=role.value, approval_limit=approval_limit
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="membership.created",
        instance=membership,
        changes=field_changes(before={}, after=snapshot(membership, MEMBERSHIP_FIELDS)),
    )
    return membership


@transaction.atomic
def member_add(
    *,
    tenant: Tenant,
    actor: Actor,
    email: str,
    full_name: str,
    role: str | Role,
    approval_limit: Decimal,
    base_url: str,
) -> Membership:
    """Give a person a seat, creating their account when the address is new
    (without a password: the invitation carries a link to choose one), and
    send the invitation once the seat is committed."""
    role = _interactive_role(role)
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        user = user_create(email=email, full_name=full_name)
    membership = membership_create(
        tenant=tenant, actor=actor, user=user, role=role, approval_limit=approval_limit
    )
    invitation_send(
        user=user,
        tenant=tenant,
        invited_by=actor.user.display_name if actor.user is not None else actor.label,
        base_url=base_url,
        role_label=role.label,
    )
    return membership


@transaction.atomic
def membership_update(
    *,
    tenant: Tenant,
    actor: Actor,
    membership: Membership,
    role: str | Role,
    approval_limit: Decimal,
    is_active: bool,
) -> Membership:
    """Change a member's role, approval limit or active flag.

    A tenant always keeps at least one active owner: otherwise nobody could
    manage members, settings or API keys again. All active owner seats are
    locked first, so two owners demoting each other at the same moment
    serialize and the second one is refused.
    """
    role = _interactive_role(role)
    if approval_limit < 0:
        raise TenancyRuleError("An approval limit cannot be negative.")
    memberships = Membership.objects.for_tenant(tenant)
    owner_ids = list(
        memberships.select_for_update()
        .filter(role=Role.OWNER.value, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locked = memberships.select_for_update().select_related("user").get(pk=membership.pk)
    stays_owner = role == Role.OWNER and is_active
    if locked.pk in owner_ids and not stays_owner and len(owner_ids) == 1:
        raise LastOwnerError(
            f"{locked.user.email} is the only active owner of {tenant.name}. "
            "Make someone else an owner first."
        )
    before = snapshot(locked, MEMBERSHIP_FIELDS)
    locked.role = role.value
    locked.approval_limit = approval_limit
    locked.is_active = is_active
    changes = field_changes(before=before, after=snapshot(locked, MEMBERSHIP_FIELDS))
    if not changes:
        return locked
    locked.save(update_fields=list(changes))
    audit_record(
        tenant=tenant, actor=actor, action="membership.updated", instance=locked, changes=changes
    )
    return locked


@transaction.atomic
def membership_collection_target_set(
    *, tenant: Tenant, actor: Actor, membership: Membership, target: Decimal | None
) -> Membership:
    """Set (or clear, with None) a member's monthly collection target in the
    tenant's base currency, rounded to the cent."""
    if target is not None and target < 0:
        raise TenancyRuleError("A collection target cannot be negative.")
    locked = Membership.objects.for_tenant(tenant).select_for_update().get(pk=membership.pk)
    before = snapshot(locked, ["monthly_collection_target"])
    locked.monthly_collection_target = None if target is None else target.quantize(Decimal("0.01"))
    changes = field_changes(before=before, after=snapshot(locked, ["monthly_collection_target"]))
    if not changes:
        return locked
    locked.save(update_fields=list(changes))
    audit_record(
        tenant=tenant, actor=actor, action="membership.updated", instance=locked, changes=changes
    )
    return locked


def session_tenant_set(*, session: SessionBase, membership: Membership) -> None:
    """Make the membership's tenant the one this browser session works in.
    The tenant middleware re-checks the membership on every request, so a
    later deactivation still takes effect."""
    session[SESSION_TENANT_KEY] = membership.tenant_id
