"""Opening deductions and moving them through the transition table.

Opening: cash application's short-payment path (``deduction_open_for_short_payment``)
and a dispute raised by hand on an invoice or one of its lines
(``deduction_raise_dispute``). Both move the amount off the invoice onto a
ledger DEDUCTION item (``ledger_transfer_to_deduction``): the invoice stops
being dunned for it, the customer's balance does not change.

Every status change goes through ``transitions.transition`` and is audited.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from deductions.models import (
    Deduction,
    DeductionSource,
    DeductionStatus,
    MappingSource,
    ReasonCode,
)
from deductions.services.reasons import (
    UNIDENTIFIED,
    reason_code_by_code,
    reason_code_get,
    reason_for_remittance,
    reason_mapping_set,
)
from deductions.services.transitions import MANUAL_TARGETS, transition
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from invoicing.services import invoices_refresh_for_items
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.errors import NotFound, ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.services import (
    ledger_transfer_to_deduction,
    ledger_transfer_to_deduction_reverse,
)
from otc.tenancy.models import Membership, Tenant

S = DeductionStatus


def tenant_today(tenant: Tenant) -> date:
    return timezone.localdate(timezone=ZoneInfo(tenant.timezone))


def lock_deduction(*, tenant: Tenant, deduction_id: int) -> Deduction:
    """The deduction row, locked for this transaction; another tenant's id
    reads as missing."""
    deduction = (
        Deduction.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("open_item", "reason")
        .filter(pk=deduction_id)
        .first()
    )
    if deduction is None:
        raise NotFound("No such deduction.")
    return deduction


def _research_due(*, tenant: Tenant, reason: ReasonCode | None, start: date) -> date | None:
    if reason is None:
        return None
    return start + timedelta(days=reason.research_sla_days)


def _open(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    invoice_item_id: int,
    payment_item_id: int | None,
    invoice_line: InvoiceLine | None,
    amount: Decimal,
    currency: str,
    claim_code: str,
    reason_text: str,
    reason: ReasonCode | None,
    source: DeductionSource,
    effective_date: date,
    note: str = "",
) -> Deduction:
    if reason is None:
        reason = reason_for_remittance(tenant=tenant, claim_code=claim_code, text=reason_text)
    if reason is None:
        reason = reason_code_by_code(tenant=tenant, code=UNIDENTIFIED)
    item = ledger_transfer_to_deduction(
        tenant=tenant,
        actor=actor,
        debit_item_id=invoice_item_id,
        amount=amount,
        effective_date=effective_date,
        number=f"DED-{invoice_item_id}-{timezone.now():%y%m%d%H%M%S%f}"[:64],
        reason=reason_text or claim_code or source.label.lower(),
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
        invoice_line=invoice_line,
        payment_item_id=payment_item_id,
        amount=item.amount,
        currency=currency,
        reason_code=claim_code[:32],
        reason_text=reason_text[:300],
        reason=reason,
        owner_team=reason.owner_team if reason else "",
        research_due=_research_due(tenant=tenant, reason=reason, start=effective_date),
        source=source,
        status=S.NEW,
        note=note,
        created_by=actor.user,
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="deduction.opened",
        instance=deduction,
        changes={
            "amount": {"before": None, "after": f"{deduction.amount} {currency}"},
            "source": {"before": None, "after": source},
            "claim": {"before": None, "after": claim_code or reason_text},
            "reason": {"before": None, "after": reason.code if reason else None},
        },
    )
    return deduction


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
    DEDUCTION item and record where it came from. `reason_code` and
    `reason_text` are what the payer wrote; the mapping table turns them
    into our reason (UNIDENTIFIED when nothing maps). A deduction the
    tenant's auto write-off rule covers is written off at once."""
    from deductions.services.resolutions import auto_write_off_if_covered

    effective_date = effective_date or tenant_today(tenant)
    with transaction.atomic():
        deduction = _open(
            tenant=tenant,
            actor=actor,
            customer=customer,
            invoice_item_id=invoice_item_id,
            payment_item_id=payment_item_id,
            invoice_line=None,
            amount=amount,
            currency=currency,
            claim_code=reason_code,
            reason_text=reason_text,
            reason=None,
            source=DeductionSource.SHORT_PAYMENT,
            effective_date=effective_date,
        )
        auto_write_off_if_covered(tenant=tenant, deduction=deduction, on=effective_date)
    return deduction


def deduction_raise_dispute(
    *,
    tenant: Tenant,
    actor: Actor,
    invoice_id: int,
    amount: Decimal | None = None,
    invoice_line_id: int | None = None,
    reason_id: int | None = None,
    claim_code: str = "",
    note: str = "",
    effective_date: date | None = None,
) -> Deduction:
    """A collector (or the customer, through them) disputes an invoice or one
    of its lines: the disputed amount (default: the line's gross, or all that
    is open) moves off the invoice to a deduction, so dunning stops asking
    for it while it is researched."""
    invoice = (
        Invoice.objects.for_tenant(tenant)
        .select_related("customer")
        .filter(pk=invoice_id, kind__in=[InvoiceKind.INVOICE, InvoiceKind.DEBIT_MEMO])
        .first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    if invoice.open_item_id is None or invoice.status not in (
        InvoiceStatus.ISSUED,
        InvoiceStatus.PARTIALLY_PAID,
    ):
        raise ValidationFailed(
            f"{invoice} is {invoice.get_status_display().lower()}: only an open issued "
            "invoice can be disputed.",
            errors={"invoice": ["Choose an issued invoice with an open amount."]},
        )
    line = None
    limit = None
    if invoice_line_id is not None:
        line = (
            InvoiceLine.objects.for_tenant(tenant)
            .filter(pk=invoice_line_id, invoice=invoice)
            .first()
        )
        if line is None:
            raise ValidationFailed(errors={"invoice_line": ["That line is not on this invoice."]})
        currency = str(invoice.currency)
        limit = line.line_net + quantize_money(line.line_net * line.tax_rate / 100, currency)
    if amount is None:
        amount = limit
    if amount is not None:
        amount = quantize_money(amount, str(invoice.currency))
    if amount is not None and amount <= 0:
        raise ValidationFailed(errors={"amount": ["Enter an amount greater than zero."]})
    if amount is not None and limit is not None and amount > limit:
        raise ValidationFailed(
            errors={
                "amount": [
                    f"The line is {limit} {invoice.currency} with tax; dispute at most that."
                ]
            }
        )
    reason = reason_code_get(tenant=tenant, reason_id=reason_id) if reason_id else None
    effective_date = effective_date or tenant_today(tenant)
    with transaction.atomic():
        if amount is None:
            from otc.ledger.models import OpenItem

            amount = OpenItem.objects.for_tenant(tenant).get(pk=invoice.open_item_id).open_amount
        deduction = _open(
            tenant=tenant,
            actor=actor,
            customer=invoice.customer,
            invoice_item_id=invoice.open_item_id,
            payment_item_id=None,
            invoice_line=line,
            amount=amount,
            currency=str(invoice.currency),
            claim_code=claim_code,
            reason_text=note[:300],
            reason=reason,
            source=DeductionSource.DISPUTE,
            effective_date=effective_date,
            note=note,
        )
        invoices_refresh_for_items(tenant=tenant, open_item_ids=[invoice.open_item_id], actor=actor)
    return deduction


def _save_status(
    *, tenant: Tenant, actor: Actor, deduction: Deduction, previous: str, note: str = ""
) -> None:
    now = timezone.now()
    fields = ["status", "updated_at"]
    if deduction.status in (S.VALID, S.INVALID):
        deduction.validated_at = now
        fields.append("validated_at")
    if deduction.status == S.RESOLVED:
        deduction.resolved_at = now
        fields.append("resolved_at")
    if deduction.status == S.CLOSED:
        deduction.closed_at = now
        fields.append("closed_at")
    if previous in (S.RESOLVED, S.CLOSED):  # reopened
        deduction.resolved_at = deduction.closed_at = None
        fields += ["resolved_at", "closed_at"]
    deduction.save(update_fields=sorted(set(fields)))
    audit_record(
        tenant=tenant,
        actor=actor,
        action="deduction.status_changed",
        instance=deduction,
        changes={
            "status": {"before": previous, "after": deduction.status},
            **({"note": {"before": None, "after": note}} if note else {}),
        },
    )


def deduction_transition(
    *, tenant: Tenant, actor: Actor, deduction_id: int, target: str, note: str = ""
) -> Deduction:
    """Move a deduction to `target` by hand (research, waiting, verdict,
    close, reopen). Reopening a resolved or closed deduction needs a reason;
    resolving happens by posting resolutions, cancelling by undoing the
    cash application."""
    if target not in MANUAL_TARGETS:
        labels = dict(DeductionStatus.choices)
        raise ValidationFailed(
            errors={
                "status": [
                    f"'{labels.get(target, target)}' is not set by hand; choose one of: "
                    + ", ".join(str(labels[t]) for t in sorted(MANUAL_TARGETS))
                    + "."
                ]
            }
        )
    note = note.strip()
    with transaction.atomic():
        deduction = lock_deduction(tenant=tenant, deduction_id=deduction_id)
        if deduction.status in (S.RESOLVED, S.CLOSED) and target == S.IN_RESEARCH and not note:
            raise ValidationFailed(
                "Say why the deduction is reopened.", errors={"note": ["Enter the reason."]}
            )
        if target in (S.VALID, S.INVALID, S.IN_RESEARCH) and deduction.status in (
            S.VALID,
            S.INVALID,
        ):
            _refuse_verdict_change_after_resolutions(tenant=tenant, deduction=deduction)
        previous = transition(deduction, target)
        _save_status(tenant=tenant, actor=actor, deduction=deduction, previous=previous, note=note)
    return deduction


def _refuse_verdict_change_after_resolutions(*, tenant: Tenant, deduction: Deduction) -> None:
    from deductions.models import DeductionResolution, ResolutionStatus

    if (
        DeductionResolution.objects.for_tenant(tenant)
        .filter(deduction=deduction)
        .exclude(status=ResolutionStatus.REJECTED)
        .exists()
    ):
        raise ValidationFailed(
            "Part of the deduction is resolved already; resolve the rest instead of "
            "changing the verdict."
        )


def deduction_assign(
    *,
    tenant: Tenant,
    actor: Actor,
    deduction_id: int,
    owner_id: int | None,
    owner_team: str | None = None,
) -> Deduction:
    """Give a deduction an owner (a member of this tenant). A new deduction
    becomes assigned; later ones only change hands."""
    with transaction.atomic():
        deduction = lock_deduction(tenant=tenant, deduction_id=deduction_id)
        owner = None
        if owner_id is not None:
            membership = (
                Membership.objects.for_tenant(tenant)
                .filter(user_id=owner_id, is_active=True)
                .first()
            )
            if membership is None:
                raise ValidationFailed(errors={"owner": ["Choose a member of this company."]})
            owner = get_user_model().objects.get(pk=owner_id)
        if deduction.status in (S.RESOLVED, S.CLOSED, S.CANCELLED):
            raise ValidationFailed(
                f"The deduction is {deduction.get_status_display().lower()}: reopen it first."
            )
        before = {"owner": deduction.owner_id, "owner_team": deduction.owner_team}
        deduction.owner = owner
        if owner_team is not None:
            deduction.owner_team = owner_team
        previous = deduction.status
        if deduction.status == S.NEW and owner is not None:
            transition(deduction, S.ASSIGNED)
        deduction.save(update_fields=["owner", "owner_team", "status", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.assigned",
            instance=deduction,
            changes={
                "owner": {"before": before["owner"], "after": owner_id},
                "owner_team": {"before": before["owner_team"], "after": deduction.owner_team},
                "status": {"before": previous, "after": deduction.status},
            },
        )
    return deduction


def deduction_set_reason(
    *, tenant: Tenant, actor: Actor, deduction_id: int, reason_id: int
) -> Deduction:
    """An analyst decides the reason. The research due date follows the new
    reason's SLA (counted from the day the deduction was opened), and when
    the customer gave a claim code the mapping table learns it."""
    reason = reason_code_get(tenant=tenant, reason_id=reason_id)
    with transaction.atomic():
        deduction = lock_deduction(tenant=tenant, deduction_id=deduction_id)
        if deduction.status in (S.CLOSED, S.CANCELLED):
            raise ValidationFailed(
                f"The deduction is {deduction.get_status_display().lower()}; reopen it first."
            )
        before = deduction.reason.code if deduction.reason else None
        deduction.reason = reason
        deduction.research_due = _research_due(
            tenant=tenant, reason=reason, start=deduction.open_item.document_date
        )
        if not deduction.owner_team:
            deduction.owner_team = reason.owner_team
        deduction.save(update_fields=["reason", "research_due", "owner_team", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.reason_set",
            instance=deduction,
            changes={"reason": {"before": before, "after": reason.code}},
        )
        if deduction.reason_code.strip():
            reason_mapping_set(
                tenant=tenant,
                actor=actor,
                source=MappingSource.CLAIM_CODE,
                pattern=deduction.reason_code,
                reason=reason,
                learned=True,
            )
    return deduction


def deduction_cancel(*, tenant: Tenant, actor: Actor, deduction_id: int, reason: str) -> Deduction:
    """Cancel a deduction nobody has resolved (the cash application that
    opened it was undone): the amount goes back onto the invoice and the
    deduction item closes (``ledger_transfer_to_deduction_reverse``)."""
    with transaction.atomic():
        deduction = lock_deduction(tenant=tenant, deduction_id=deduction_id)
        previous = transition(deduction, S.CANCELLED)
        ledger_transfer_to_deduction_reverse(
            tenant=tenant,
            actor=actor,
            deduction_item_id=deduction.open_item_id,
            effective_date=tenant_today(tenant),
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
