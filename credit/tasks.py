"""Celery entry points of credit: nightly rescoring, rescoring after events
and periodic reviews. They take ids and call services; each is idempotent
(a score is recomputed from the ledger, never added to)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from credit.models import ScoreTrigger
from credit.services.reviews import credit_reviews_schedule
from credit.services.scoring import credit_rescore_tenant, credit_scores_compute
from otc.audit.services import Actor
from otc.tasks import run_once, tenant_task
from otc.tenancy.models import Tenant

SYSTEM = Actor.system("credit scoring")


@tenant_task(name="credit.tasks.rescore_tenant", acks_late=True)
def rescore_tenant(tenant: Tenant, day: str) -> int:
    """Score every customer of one tenant; `day` makes a duplicated beat
    tick or a redelivery the same night a no-op."""
    if not run_once(f"credit-rescore:{tenant.pk}:{day}", ttl_seconds=20 * 3600):
        return 0
    return credit_rescore_tenant(tenant=tenant, actor=SYSTEM, trigger=ScoreTrigger.NIGHTLY)


@tenant_task(name="credit.tasks.rescore_customers")
def rescore_customers(tenant: Tenant, customer_ids: list[int]) -> int:
    credit_scores_compute(
        tenant=tenant, actor=SYSTEM, customer_ids=customer_ids, trigger=ScoreTrigger.EVENT
    )
    return len(customer_ids)


@shared_task(name="credit.tasks.rescore_all_tenants")
def rescore_all_tenants() -> int:
    """Beat, nightly: one rescoring task per active tenant."""
    day = timezone.now().date().isoformat()
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        rescore_tenant.delay(tenant_id, day)
    return len(tenant_ids)


@tenant_task(name="credit.tasks.schedule_reviews")
def schedule_reviews(tenant: Tenant) -> int:
    """Idempotent by the unique (customer, due date) and one-open-review rules."""
    return credit_reviews_schedule(tenant=tenant)


@shared_task(name="credit.tasks.schedule_reviews_all_tenants")
def schedule_reviews_all_tenants() -> int:
    """Beat, daily: open the credit reviews falling due, tenant by tenant."""
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        schedule_reviews.delay(tenant_id)
    return len(tenant_ids)
