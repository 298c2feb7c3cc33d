"""The tenant a piece of work runs for.

One context variable holds it, so a thread, a Celery task or an async request
each sees only its own. Entry points set it (web middleware, API key
authentication, the Celery task wrapper, management commands); the ORM manager
and the database session variable both read from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otc.tenancy.models import Tenant


class TenantContextMissingError(RuntimeError):
    """A tenant-owned table was queried with no tenant in context."""


_current_tenant: ContextVar[Tenant | None] = ContextVar("otc_current_tenant", default=None)


def current_tenant() -> Tenant | None:
    return _current_tenant.get()


def current_tenant_id() -> int | None:
    tenant = _current_tenant.get()
    return tenant.pk if tenant is not None else None


def require_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantContextMissingError(
            "No tenant in context: use tenant_context(tenant), .for_tenant(tenant) "
            "or, for a deliberate cross-tenant job, .unscoped()."
        )
    return tenant


@contextmanager
def tenant_context(tenant: Tenant | None) -> Iterator[Tenant | None]:
    """Run the block as `tenant` (or as nobody with None), then restore."""
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)


def activate(tenant: Tenant | None) -> None:
    """Set the tenant for the rest of this context (a request or a task)."""
    _current_tenant.set(tenant)
