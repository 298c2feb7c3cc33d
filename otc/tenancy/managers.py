"""The fail-closed manager every tenant-owned model uses.

``Model.objects`` filters by the tenant in context and raises
``TenantContextMissingError`` when there is none, so forgetting the tenant is a
crash in development, never a leak in production. The database applies the
same rule again through row-level security.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models

from otc.tenancy.context import require_tenant

if TYPE_CHECKING:
    from otc.tenancy.models import Tenant

_M = TypeVar("_M", bound=models.Model)


class TenantQuerySet(models.QuerySet[_M], Generic[_M]):
    def for_tenant(self, tenant: Tenant) -> TenantQuerySet[_M]:
        return self.filter(tenant=tenant)


class TenantManager(models.Manager[_M], Generic[_M]):
    """Scoped to the tenant in context; fails closed without one."""

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet[_M]:
        tenant = require_tenant()
        return TenantQuerySet(self.model, using=self._db).filter(tenant=tenant)

    def for_tenant(self, tenant: Tenant) -> TenantQuerySet[_M]:
        """Scoped to an explicit tenant, whatever the context says."""
        return TenantQuerySet(self.model, using=self._db).filter(tenant=tenant)

    def unscoped(self) -> TenantQuerySet[_M]:
        """No ORM tenant filter. Row-level security still applies in the
        database, so this only helps jobs that set the tenant themselves.
        Keep every call greppable: `grep -rn "unscoped()"`."""
        return TenantQuerySet(self.model, using=self._db)

    def create(self, **kwargs: Any) -> _M:
        kwargs.setdefault("tenant", require_tenant())
        return super().create(**kwargs)
