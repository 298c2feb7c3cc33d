"""Writing deductions. Only what cash application needs for now: open one
for a short payment, and cancel one when the application that opened it is
undone. Every status change goes through TRANSITIONS."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deductions.models import Deduction, DeductionSource, DeductionStatus
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.errors import IllegalTransition, ValidationFailed
from otc.ledger.services import (
    ledger_transfer_to_deduction,
    ledger_transfer_to_deduction_reverse,
)
from otc.tenancy.models import Tenant

S = DeductionStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.IN_REVIEW, S.VALID, S.INVALID, S.CANCELLED}),
    S.IN_REVIEW: frozenset({S.VALID, S.INVALID, S.CANCELLED}),
    S.VALID: frozenset({S.RESOLVED}),
    S.INVALID: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset(),
    S.CANCELLED: frozenset(),
}


def _transition(deduction: Deduction, target: str) -> str:
    current = deduction.status
    if target not in TRANSITIONS.get(current, frozenset()):
        labels = dict(DeductionStatus.choices)
        raise IllegalTransition(
            f"Deduction {deduction.pk} is {labels[current].lower()}: it cannot become "
            f"{labels[target].lower()}.",
            current=current,
            requested=target,
        )
    deduction.status = target
    return current


def deduction_open_for_short_payment(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    invoice_item_id: int,
    payment_item_id: int | None,
    amount: Decimal,
    currency: str,
    reason_code: str = "",
    reason_text: str = "",
    effective_date: date | None = None,
) -> Deduction:
    """Move the short-paid `amount` off the invoice item onto a new ledger
    DEDUCTION item and record where it came from. The invoice item closes
    (as far as this amount goes); the customer's balance does not change."""
    effective_date = effective_date or timezone.localdate()
    with transaction.atomic():
        item = ledger_transfer_to_deduction(
            tenant=tenant,
            actor=actor,
            debit_item_id=invoice_item_id,
            amount=amount,
            effective_date=effective_date,
            number=f"DED-{invoice_item_id}-{timezone.now():%y%m%d%H%M%S%f}"[:64],
            reason=reason_text or reason_code or "short payment",
            source_type="deductions.deduction",
        )
        if item.customer_id != customer.pk or item.currency != currency:
            raise ValidationFailed(
                f"The invoice item belongs to another customer or is not in {currency}."
            )
        deduction = Deduction.objects.for_tenant(tenant).create(
            tenant=tenant,
            customer=customer,
            open_item=item,
            invoice_item_id=invoice_item_id,
            payment_item_id=payment_item_id,
            amount=item.amount,
            currency=currency,
            reason_code=reason_code[:32],
            reason_text=reason_text[:300],
            source=DeductionSource.SHORT_PAYMENT,
            status=DeductionStatus.NEW,
            created_by=actor.user,
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.opened",
            instance=deduction,
            changes={
                "amount": {"before": None, "after": f"{deduction.amount} {currency}"},
                "reason": {"before": None, "after": reason_code or reason_text},
            },
        )
    return deduction


def deduction_cancel(*, tenant: Tenant, actor: Actor, deduction_id: int, reason: str) -> Deduction:
    """Cancel a deduction nobody has worked on (the cash application that
    opened it was undone): the amount goes back onto the invoice and the
    deduction item closes (``ledger_transfer_to_deduction_reverse``)."""
    with transaction.atomic():
        deduction = (
            Deduction.objects.for_tenant(tenant)
            .select_for_update()
            .select_related("open_item")
            .get(pk=deduction_id)
        )
        previous = _transition(deduction, DeductionStatus.CANCELLED)
        ledger_transfer_to_deduction_reverse(
            tenant=tenant,
            actor=actor,
            deduction_item_id=deduction.open_item_id,
            effective_date=timezone.localdate(),
            reason=reason,
        )
        deduction.save(update_fields=["status", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.cancelled",
            instance=deduction,
            changes={
                "status": {"before": previous, "after": deduction.status},
                "reason": {"before": None, "after": reason},
            },
        )
    return deduction
