"""Celery entry points of invoicing: they take ids and call the services.

- ``generate_invoice_documents(tenant_id, invoice_id)``: render and store
  the PDF and UBL of an issued document. Idempotent: unchanged data
  replaces nothing, and two runs for one invoice serialize on its row.
- ``generate_invoice_documents_batch(tenant_id, invoice_ids)``: what a
  billing run enqueues (one message), fanned out here, one task per invoice.
- ``send_invoice_delivery(tenant_id, delivery_id)``: e-mail one delivery,
  on the "email" queue; retried with backoff on SMTP errors, never sending
  twice (the service claims the row with a compare-and-set).

Services are imported inside the tasks: the issuing services enqueue these
tasks, so a module-level import would go in a circle.
"""

from __future__ import annotations

import logging

from celery.exceptions import MaxRetriesExceededError
from django.db import OperationalError

from otc.errors import DomainError
from otc.tasks import tenant_task
from otc.tenancy.models import Tenant

logger = logging.getLogger(__name__)

DELIVERY_MAX_RETRIES = 5


@tenant_task(
    name="invoicing.tasks.generate_invoice_documents",
    autoretry_for=(OSError, OperationalError),
    retry_backoff=True,
    max_retries=5,
)
def generate_invoice_documents(tenant: Tenant, invoice_id: int) -> None:
    from invoicing.selectors import invoice_get
    from invoicing.services.document_files import invoice_documents_generate

    try:
        invoice = invoice_get(tenant=tenant, invoice_id=invoice_id)
        invoice_documents_generate(tenant=tenant, invoice=invoice)
    except DomainError as error:
        # Missing data (or no document at all) is not fixed by retrying: the
        # invoice page says what to complete, and generating again is a click.
        logger.warning(
            "No documents for invoice %s of tenant %s: %s", invoice_id, tenant.pk, error.detail
        )


@tenant_task(name="invoicing.tasks.generate_invoice_documents_batch")
def generate_invoice_documents_batch(tenant: Tenant, invoice_ids: list[int]) -> None:
    for invoice_id in invoice_ids:
        generate_invoice_documents.delay(tenant.pk, invoice_id)


@tenant_task(
    name="invoicing.tasks.send_invoice_delivery",
    queue="email",
    max_retries=DELIVERY_MAX_RETRIES,
)
def send_invoice_delivery(tenant: Tenant, delivery_id: int) -> str:
    from invoicing.services.delivery import Outcome, delivery_attempt, delivery_give_up

    result = delivery_attempt(tenant=tenant, delivery_id=delivery_id)
    if result.outcome is Outcome.RETRY:
        try:
            raise send_invoice_delivery.retry(countdown=result.retry_in_seconds)
        except MaxRetriesExceededError:
            delivery_give_up(
                tenant=tenant,
                delivery_id=delivery_id,
                reason="The worker ran out of retries; send the invoice again.",
            )
            return Outcome.FAILED.value
    return result.outcome.value
