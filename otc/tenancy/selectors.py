"""Reads about tenants and memberships."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from otc.accounts.models import User
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import INTERACTIVE_ROLES, Role


@dataclass(frozen=True)
class MembershipChoice:
    """One tenant a user may switch to (for the tenant switcher)."""

    tenant_id: int
    tenant_name: str
    tenant_slug: str
    role: Role


def user_memberships(*, user: User) -> list[MembershipChoice]:
    """Every active tenant the user may sign in to.

    Memberships are tenant-owned and hidden by row-level security until a
    tenant is chosen, so this one cross-tenant read goes through the
    SECURITY DEFINER function ``otc_user_memberships`` (migration
    tenancy/0002), which returns only this user's own seats.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tenant_id, tenant_name, tenant_slug, role FROM otc_user_memberships(%s)",
            [user.pk],
        )
        rows = cursor.fetchall()
    return [
        MembershipChoice(
            tenant_id=row[0], tenant_name=row[1], tenant_slug=row[2], role=Role(row[3])
        )
        for row in rows
        if row[3] in INTERACTIVE_ROLES
    ]


def membership_for_session(*, user: User, tenant_id: int) -> Membership | None:
    """The user's active interactive membership in that tenant, or None."""
    tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
    if tenant is None:
        return None
    with tenant_context(tenant):
        return (
            Membership.objects.select_related("tenant")
            .filter(user=user, is_active=True, role__in=[r.value for r in INTERACTIVE_ROLES])
            .first()
        )


def tenant_members(*, tenant: Tenant) -> list[Membership]:
    return list(
        Membership.objects.for_tenant(tenant).select_related("user").order_by("user__email")
    )
