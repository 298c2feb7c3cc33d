"""Celery entry points of cash application: take ids, call the services.

- ``match_statement(tenant_id, statement_id)``: enqueued after an import
  commits. Idempotent: a payment already applied is not matched again and
  applying re-checks under row locks; ``run_once`` keeps a duplicated
  message from running the same statement twice at the same moment.
- ``match_payments(tenant_id, payment_ids)``: after an API/manual payment
  or a remittance that arrived later than its payment.
"""

from __future__ import annotations

from django.db import OperationalError

from otc.tasks import run_once, tenant_task
from otc.tenancy.models import Tenant


@tenant_task(
    name="collections_app.tasks.match_statement",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def match_statement(tenant: Tenant, statement_id: int) -> dict[str, int] | None:
    from collections_app.services.matching import statement_match

    if not run_once(f"cash-match-statement:{tenant.pk}:{statement_id}", ttl_seconds=600):
        return None
    return statement_match(tenant=tenant, statement_id=statement_id)


@tenant_task(
    name="collections_app.tasks.match_payments",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def match_payments(tenant: Tenant, payment_ids: list[int]) -> dict[str, int]:
    from collections_app.services.matching import payments_match

    return payments_match(tenant=tenant, payment_ids=payment_ids)


# Dunning's tasks live with dunning; importing them here lets Celery's
# autodiscovery (which looks at <app>.tasks) register them.
from collections_app.dunning.tasks import (  # noqa: E402, F401
    check_promises,
    check_promises_all_tenants,
    deliver_letter,
    deliver_statement,
    dunning_tick,
    run_dunning,
    send_statements,
    statements_tick,
)
from collections_app.strategies.tasks import (  # noqa: E402, F401
    run_strategies,
    strategies_tick,
)
