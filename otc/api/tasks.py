"""Periodic work of the API platform (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task

from otc.api.health import record_heartbeat
from otc.api.idempotency import idempotency_purge_expired
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(name="otc.api.tasks.record_worker_heartbeat")
def record_worker_heartbeat() -> None:
    """Proof of life for /healthz: a worker took this task off the queue."""
    record_heartbeat()


@shared_task(name="otc.api.tasks.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    """Delete Idempotency-Keys older than IDEMPOTENCY_KEY_TTL, tenant by tenant.

    Row-level security hides every tenant's keys from a job with no tenant.
    A SECURITY DEFINER function could delete them all in one statement, but
    it would be one more piece of SQL that runs above RLS; looping over the
    tenants keeps this job inside the same rules as a request, and one DELETE
    per tenant an hour costs nothing. Deactivated tenants are included: their
    keys expire too. Idempotent: a second run finds nothing to delete.
    """
    total = 0
    for tenant in list(Tenant.objects.order_by("pk")):
        with tenant_context(tenant):
            total += idempotency_purge_expired(tenant=tenant)
    if total:
        logger.info("Purged %d expired idempotency keys.", total)
    return total
