"""Figures the shell and the dashboards show. Each takes the tenant
explicitly; apps that may not be installed yet are read through a guarded
import so the dashboard shows what exists and nothing breaks before it does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

from django.db.models import Count
from django.utils import timezone

from otc.audit.models import AuditEvent
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Role


@dataclass(frozen=True)
class TeamFigure:
    role: Role
    count: int


def _model(module: ModuleType, name: str) -> Any:
    # getattr rather than a plain import: the dashboards ship before (and
    # independently of) the apps that own these models.
    return getattr(module, name, None)


def customer_count(*, tenant: Tenant) -> int | None:
    """None while the customers app has no Customer model."""
    from otc.customers import models as customer_models

    customer = _model(customer_models, "Customer")
    if customer is None:
        return None
    return int(customer.objects.for_tenant(tenant).count())


def api_key_count(*, tenant: Tenant) -> int | None:
    """Keys not revoked; None while the API app has no key model."""
    from otc.api import models as api_models

    api_key = _model(api_models, "ApiKey")
    if api_key is None:
        return None
    return int(api_key.objects.for_tenant(tenant).filter(revoked_at__isnull=True).count())


def active_member_count(*, tenant: Tenant) -> int:
    return Membership.objects.for_tenant(tenant).filter(is_active=True).count()


def team_by_role(*, tenant: Tenant) -> list[TeamFigure]:
    rows = (
        Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .values("role")
        .annotate(count=Count("id"))
        .order_by("role")
    )
    return [TeamFigure(role=Role(row["role"]), count=row["count"]) for row in rows]


def audit_event_count_since(*, tenant: Tenant, days: int) -> int:
    since = timezone.now() - timedelta(days=days)
    return AuditEvent.objects.for_tenant(tenant).filter(occurred_at__gte=since).count()


def audit_recent(*, tenant: Tenant, limit: int = 8) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_tenant(tenant).order_by("-occurred_at", "-id")[:limit])
