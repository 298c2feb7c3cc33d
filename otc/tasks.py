"""How OTC writes Celery tasks.

- ``tenant_task``: the task's first argument is a tenant id; the wrapper loads
  the tenant and runs the body inside its context, so the fail-closed manager
  and row-level security work as in a request.
- ``run_once``: a compare-and-set on a unique key in Redis, so a retried task,
  a duplicated beat tick or two workers do the work once.
- Enqueue with ``.delay_on_commit(...)`` from services, passing ids only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import shared_task
from django.core.cache import cache

from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant

P = ParamSpec("P")
R = TypeVar("R")


def tenant_task(*task_args: Any, **task_kwargs: Any) -> Callable[[Callable[..., R]], Any]:
    """Declare a task that runs for one tenant: ``body(tenant, *args)``,
    called as ``task.delay(tenant_id, *args)``. A tenant that no longer
    exists or was deactivated makes the task a no-op."""

    def decorate(body: Callable[..., R]) -> Any:
        @functools.wraps(body)
        def run(tenant_id: int, *args: Any, **kwargs: Any) -> R | None:
            tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
            if tenant is None:
                return None
            with tenant_context(tenant):
                return body(tenant, *args, **kwargs)

        return shared_task(*task_args, **task_kwargs)(run)

    return decorate


def run_once(key: str, *, ttl_seconds: int) -> bool:
    """True for the first caller with this key inside ttl; False for the rest."""
    return bool(cache.add(f"run-once:{key}", "1", timeout=ttl_seconds))
