"""A collector flags a dispute: the customer says an invoice (or part of it)
is wrong. The disputed amount goes to the deductions process through its own
service (it moves off the invoice to a deduction, so dunning stops asking for
it), and the customer's collections timeline notes the hand-over."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from collections_app.dunning.models import ActivityKind, CollectionActivity
from deductions.models import Deduction
from deductions.services import deduction_raise_dispute
from invoicing.selectors import invoice_get
from otc.audit.services import Actor
from otc.errors import NotFound
from otc.tenancy.models import Tenant


@transaction.atomic
def collections_dispute_flag(
    *,
    tenant: Tenant,
    actor: Actor,
    customer_id: int,
    invoice_id: int,
    amount: Decimal | None = None,
    note: str = "",
) -> Deduction:
    invoice = invoice_get(tenant=tenant, invoice_id=invoice_id)
    if invoice.customer_id != customer_id:
        raise NotFound("No such invoice of this customer.")
    deduction = deduction_raise_dispute(
        tenant=tenant, actor=actor, invoice_id=invoice.pk, amount=amount, note=note
    )
    CollectionActivity.objects.for_tenant(tenant).create(
        tenant=tenant,
        customer_id=customer_id,
        kind=ActivityKind.NOTE,
        subject=(
            f"Dispute on {invoice.number}: {deduction.amount:,.2f} {deduction.currency} "
            "handed to deductions"
        )[:200],
        body=note,
        created_by=actor.user,
    )
    return deduction
