"""Refunds: paying a customer's credit back.

    requested ─(within the requester's limit)─> approved ─export─> exported
        └─(above it)─> pending_approval ─approve─> approved
                               └─reject─> rejected

A refund repays unapplied cash (a payment item) or a credit balance (a credit
memo item), in the item's currency, never more than it has open less what
refunds waiting for approval hold back. The credit item's row lock is taken
first by every step (request, approval), so two refunds of the same credit
serialize and the second sees what the first took. Approval follows the
write-off rule: the requester's membership approval limit (base currency, at
the item's locked rate) approves at once; above it a manager whose limit
covers it approves, never the requester. Approval posts the outgoing payment
to the ledger (``ledger_refund``). EUR refunds are then paid through a SEPA
credit transfer file (``deductions.services.sepa``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from credit.services.common import format_money, person_approval_limit
from deductions.models import Refund, RefundStatus
from invoicing.services.numbering import next_document_number
from otc.audit.services import Actor, audit_record
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.models import OpenItem
from otc.ledger.services import REFUNDABLE_KINDS, ledger_refund
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.transitions import TransitionTable

if TYPE_CHECKING:
    from deductions.models import ReturnAuthorisation

S = RefundStatus
REFUND_SERIES = "RF"

TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.APPROVED, S.PENDING_APPROVAL}),
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.EXPORTED}),
    S.EXPORTED: frozenset(),
    S.REJECTED: frozenset(),
}

_REFUSALS: dict[tuple[str, str], str] = {
    (S.APPROVED, S.APPROVED): "This refund is approved already.",
    (S.EXPORTED, S.EXPORTED): "This refund was exported already: it is not paid twice.",
    (S.PENDING_APPROVAL, S.EXPORTED): "Approve the refund before exporting it.",
}

_TABLE = TransitionTable(moves=TRANSITIONS, labels=dict(RefundStatus.choices), refusals=_REFUSALS)


def can_transition_refund(current: str, target: str) -> bool:
    return _TABLE.allows(current, target)


def move_refund(refund: Refund, target: str) -> str:
    """Set the status if the table allows it (else IllegalTransition); the caller saves."""
    return _TABLE.move(refund, target, name=f"Refund {refund.number}")


def clean_account(*, iban: str, bic: str) -> tuple[str, str]:
    """The payee's IBAN and BIC, checked and compact, or field errors."""
    errors: dict[str, list[str]] = {}
    clean_iban = clean_bic = ""
    try:
        clean_iban = str(stdnum_iban.validate(iban or ""))
    except StdnumError:
        errors["payee_iban"] = ["Enter the customer's IBAN (its check digits do not match)."]
    if bic.strip():
        try:
            clean_bic = str(stdnum_bic.validate(bic))
        except StdnumError:
            errors["payee_bic"] = ["Enter a BIC of 8 or 11 letters and digits, e.g. COBADEFFXXX."]
    if errors:
        raise ValidationFailed("The customer's bank account is not valid.", errors=errors)
    return clean_iban, clean_bic


def _lock_credit_item(*, tenant: Tenant, item_id: int) -> OpenItem:
    item = (
        OpenItem.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise NotFound("No such open item.")
    if item.kind not in REFUNDABLE_KINDS:
        raise ValidationFailed(
            f"{item.number} is not unapplied cash or a credit memo: only credit is refunded.",
            errors={"credit_item_id": ["Choose a payment or credit memo with open credit."]},
            code="not_refundable",
        )
    return item


def reserved_by_pending(*, tenant: Tenant, credit_item_id: int) -> Decimal:
    total = (
        Refund.objects.for_tenant(tenant)
        .filter(credit_item_id=credit_item_id, status=S.PENDING_APPROVAL)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal(0)


def _base(tenant: Tenant, item: OpenItem, amount: Decimal) -> Decimal:
    return quantize_money(amount * item.fx_rate, tenant.base_currency)


def _pay(*, tenant: Tenant, actor: Actor, refund: Refund, on: date) -> None:
    application = ledger_refund(
        tenant=tenant,
        actor=actor,
        credit_item_id=refund.credit_item_id,
        amount=refund.amount,
        effective_date=on,
        number=refund.number,
        source_type="deductions.refund",
        source_id=str(refund.pk),
    )
    refund.refund_item_id = application.debit_item_id


def _replay(*, tenant: Tenant, key: str, credit_item_id: int, amount: Decimal) -> Refund | None:
    done = Refund.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if done is None:
        return None
    if done.credit_item_id != credit_item_id or done.amount != amount:
        raise ConflictError(
            "This idempotency key was used for a different refund.",
            code="idempotency_key_reused",
        )
    return done


def refund_request(
    *,
    tenant: Tenant,
    actor: Actor,
    credit_item_id: int,
    amount: Decimal,
    payee_iban: str,
    payee_bic: str = "",
    payee_name: str = "",
    currency: str | None = None,
    note: str = "",
    idempotency_key: str = "",
    rma: ReturnAuthorisation | None = None,
    on: date | None = None,
) -> Refund:
    """Ask to pay `amount` of a credit item back to the customer (see the
    module docstring). Returns the refund, approved and posted or waiting."""
    key = idempotency_key.strip()[:100]
    on = on or tenant_today(tenant)
    iban, bic = clean_account(iban=payee_iban, bic=payee_bic)
    with transaction.atomic():
        item = _lock_credit_item(tenant=tenant, item_id=credit_item_id)
        amount = quantize_money(Decimal(amount), item.currency)
        if key and (done := _replay(tenant=tenant, key=key, credit_item_id=item.pk, amount=amount)):
            return done
        if currency is not None and currency != item.currency:
            raise ValidationFailed(
                f"{item.number} is in {item.currency}: a refund is paid in the same currency.",
                errors={"currency": [f"Refund in {item.currency}."]},
                code="currency_mismatch",
            )
        available = -item.open_amount - reserved_by_pending(tenant=tenant, credit_item_id=item.pk)
        if amount <= 0:
            raise ValidationFailed(errors={"amount": ["Enter an amount greater than zero."]})
        if amount > available:
            raise ValidationFailed(
                f"{item.number} has {format_money(max(available, Decimal(0)), item.currency)} "
                f"open to refund (not held by refunds waiting for approval); "
                f"{format_money(amount, item.currency)} cannot be refunded.",
                errors={
                    "amount": [
                        f"Refund at most {format_money(max(available, Decimal(0)), item.currency)}."
                    ]
                },
                code="over_refunded",
            )
        refund = Refund.objects.for_tenant(tenant).create(
            tenant=tenant,
            number=next_document_number(tenant=tenant, series=REFUND_SERIES, year=on.year),
            customer=item.customer,
            credit_item=item,
            rma=rma,
            amount=amount,
            currency=item.currency,
            payee_name=(payee_name.strip() or item.customer.legal_name)[:70],
            payee_iban=iban,
            payee_bic=bic,
            note=note.strip()[:140],
            idempotency_key=key,
            requested_by=actor.user,
        )
        limit = person_approval_limit(tenant=tenant, actor=actor)
        base = _base(tenant, item, amount)
        if actor.user is not None and base <= limit:
            move_refund(refund, S.APPROVED)
            _pay(tenant=tenant, actor=actor, refund=refund, on=on)
            refund.approved_by = actor.user
            refund.decided_at = timezone.now()
            action = "refund.approved"
        else:
            move_refund(refund, S.PENDING_APPROVAL)
            action = "refund.escalated"
        refund.save(update_fields=["status", "refund_item", "approved_by", "decided_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action=action,
            instance=refund,
            changes={
                "status": {"before": None, "after": refund.status},
                "amount": format_money(amount, item.currency),
                "credit_item": item.number,
                "approver_limit": str(limit),
            },
        )
    return refund


def _locked(*, tenant: Tenant, refund_id: int) -> tuple[Refund, OpenItem]:
    """The refund and its credit item, both locked, the item first (the order
    every refund step takes them in)."""
    found = Refund.objects.for_tenant(tenant).filter(pk=refund_id).first()
    if found is None:
        raise NotFound("No such refund.")
    item = _lock_credit_item(tenant=tenant, item_id=found.credit_item_id)
    refund = Refund.objects.for_tenant(tenant).select_for_update().get(pk=refund_id)
    return refund, item


def refund_approve(
    *, tenant: Tenant, actor: Actor, refund_id: int, on: date | None = None
) -> Refund:
    """A manager whose approval limit covers a waiting refund approves it
    (never the requester); it is paid out in the ledger now."""
    on = on or tenant_today(tenant)
    with transaction.atomic():
        refund, item = _locked(tenant=tenant, refund_id=refund_id)
        if not can_transition_refund(refund.status, S.APPROVED):
            move_refund(refund, S.APPROVED)  # raises with the reason
        if actor.user is not None and refund.requested_by_id == actor.user.pk:
            raise ValidationFailed(
                "A refund you asked for needs another person's approval.", code="own_refund"
            )
        base = _base(tenant, item, refund.amount)
        limit = person_approval_limit(tenant=tenant, actor=actor)
        if actor.user is None or base > limit:
            raise ValidationFailed(
                f"The refund is {format_money(base, tenant.base_currency)}; your approval limit "
                f"is {format_money(limit, tenant.base_currency)}. It waits for a manager with a "
                "higher limit.",
                code="above_approval_limit",
            )
        previous = move_refund(refund, S.APPROVED)
        _pay(tenant=tenant, actor=actor, refund=refund, on=on)
        refund.approved_by = actor.user
        refund.decided_at = timezone.now()
        refund.save(
            update_fields=["status", "refund_item", "approved_by", "decided_at", "updated_at"]
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="refund.approved",
            instance=refund,
            changes={
                "status": {"before": previous, "after": S.APPROVED},
                "amount": format_money(refund.amount, refund.currency),
                "approver_limit": str(limit),
            },
        )
    return refund


def refund_reject(*, tenant: Tenant, actor: Actor, refund_id: int, note: str = "") -> Refund:
    """Refuse a waiting refund: the credit it held back is free again."""
    with transaction.atomic():
        refund, _ = _locked(tenant=tenant, refund_id=refund_id)
        previous = move_refund(refund, S.REJECTED)
        refund.approved_by = actor.user
        refund.decided_at = timezone.now()
        refund.decision_note = note.strip()[:500]
        refund.save(
            update_fields=["status", "approved_by", "decided_at", "decision_note", "updated_at"]
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="refund.rejected",
            instance=refund,
            changes={"status": {"before": previous, "after": S.REJECTED}, "note": note},
        )
    return refund
