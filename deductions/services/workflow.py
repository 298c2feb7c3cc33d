"""Opening deductions and moving them through the transition table.

Opening: cash application's short-payment path (``deduction_open_for_short_payment``)
and a dispute raised by hand on an invoice or one of its lines
(``deduction_raise_dispute``). Both move the amount off the invoice onto a
ledger DEDUCTION item (``ledger_transfer_to_deduction``): the invoice stops
being dunned for it, the customer's balance does not change.

Every status change goes through ``transitions.transition`` and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

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
    reason_mapping_set,
    reasons_for_remittances,
)
from deductions.services.transitions import MANUAL_TARGETS, transition
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from invoicing.services import invoices_refresh_for_items
from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.customers.models import Customer
from otc.errors import NotFound, ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.services import (
    DeductionTransfer,
    ledger_transfer_to_deduction_reverse,
    ledger_transfers_to_deduction_many,
)
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Membership, Tenant

S = DeductionStatus


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


@dataclass(frozen=True)
class _Opening:
    """One deduction to open (see ``_open_many``)."""

    customer: Customer
    invoice_item_id: int
    payment_item_id: int | None
    invoice_line: InvoiceLine | None
    amount: Decimal
    currency: str
    claim_code: str
    reason_text: str
    reason: ReasonCode | None
    source: DeductionSource
    effective_date: date
    note: str = ""


def _open_many(*, tenant: Tenant, actor: Actor, openings: list[_Opening]) -> list[Deduction]:
    """Move each amount off its invoice onto a ledger DEDUCTION item and
    record the deduction: the reasons mapped in one read of the mapping
    table, the ledger transfers, deductions and audit events each written
    at once. Runs inside the caller's transaction."""
    mapped = iter(
        reasons_for_remittances(
            tenant=tenant,
            claims=[(o.claim_code, o.reason_text) for o in openings if o.reason is None],
        )
    )
    reasons = [o.reason if o.reason is not None else next(mapped) for o in openings]
    if any(reason is None for reason in reasons):
        unidentified = reason_code_by_code(tenant=tenant, code=UNIDENTIFIED)
        reasons = [reason or unidentified for reason in reasons]
    items = ledger_transfers_to_deduction_many(
        tenant=tenant,
        actor=actor,
        entries=[
            DeductionTransfer(
                debit_item_id=o.invoice_item_id,
                amount=o.amount,
                effective_date=o.effective_date,
                number=f"DED-{o.invoice_item_id}-{timezone.now():%y%m%d%H%M%S%f}"[:64],
                reason=o.reason_text or o.claim_code or o.source.label.lower(),
                source_type="deductions.deduction",
            )
            for o in openings
        ],
    )
    for opening, item in zip(openings, items, strict=True):
        if item.customer_id != opening.customer.pk or item.currency != opening.currency:
            raise ValidationFailed(
                f"The invoice item belongs to another customer or is not in {opening.currency}."
            )
    deductions = Deduction.objects.for_tenant(tenant).bulk_create(
        [
            Deduction(
                tenant=tenant,
                customer=o.customer,
                open_item=item,
                invoice_item_id=o.invoice_item_id,
                invoice_line=o.invoice_line,
                payment_item_id=o.payment_item_id,
                amount=item.amount,
                currency=o.currency,
                reason_code=o.claim_code[:32],
                reason_text=o.reason_text[:300],
                reason=reason,
                owner_team=reason.owner_team if reason else "",
                research_due=_research_due(tenant=tenant, reason=reason, start=o.effective_date),
                source=o.source,
                status=S.NEW,
                note=o.note,
                created_by=actor.user,
            )
            for o, item, reason in zip(openings, items, reasons, strict=True)
        ],
        batch_size=1000,
    )
    audit_record_many(
        tenant=tenant,
        actor=actor,
        entries=[
            AuditEntry(
                action="deduction.opened",
                instance=deduction,
                changes={
                    "amount": {"before": None, "after": f"{deduction.amount} {o.currency}"},
                    "source": {"before": None, "after": o.source},
                    "claim": {"before": None, "after": o.claim_code or o.reason_text},
                    "reason": {"before": None, "after": reason.code if reason else None},
                },
            )
            for o, deduction, reason in zip(openings, deductions, reasons, strict=True)
        ],
    )
    return deductions


@dataclass(frozen=True)
class ShortPayment:
    """One short payment for ``deductions_open_for_short_payments``; the
    fields mean what the keyword arguments of
    ``deduction_open_for_short_payment`` mean."""

    customer: Customer
    invoice_item_id: int
    payment_item_id: int | None
    amount: Decimal
    currency: str
    reason_code: str = ""
    reason_text: str = ""
    effective_date: date | None = None


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
    tenant's auto write-off rule covers is written off at once.

    One entry of ``deductions_open_for_short_payments``."""
    (deduction,) = deductions_open_for_short_payments(
        tenant=tenant,
        actor=actor,
        entries=[
            ShortPayment(
                customer=customer,
                invoice_item_id=invoice_item_id,
                payment_item_id=payment_item_id,
                amount=amount,
                currency=currency,
                reason_code=reason_code,
                reason_text=reason_text,
                effective_date=effective_date,
            )
        ],
    )
    return deduction


def deductions_open_for_short_payments(
    *, tenant: Tenant, actor: Actor, entries: list[ShortPayment]
) -> list[Deduction]:
    """Many short payments at once (a statement's), each opened as
    ``deduction_open_for_short_payment`` opens it, in order, with a handful
    of statements for the lot. All or nothing: the first refused entry
    raises the error the single one raises. The auto write-off rule is read
    once; only the deductions whose reason it names are checked one by one."""
    from deductions.services.resolutions import (
        auto_write_off_if_covered,
        auto_write_off_reasons,
    )

    if not entries:
        return []
    today = tenant_today(tenant)
    with transaction.atomic():
        deductions = _open_many(
            tenant=tenant,
            actor=actor,
            openings=[
                _Opening(
                    customer=entry.customer,
                    invoice_item_id=entry.invoice_item_id,
                    payment_item_id=entry.payment_item_id,
                    invoice_line=None,
                    amount=entry.amount,
                    currency=entry.currency,
                    claim_code=entry.reason_code,
                    reason_text=entry.reason_text,
                    reason=None,
                    source=DeductionSource.SHORT_PAYMENT,
                    effective_date=entry.effective_date or today,
                )
                for entry in entries
            ],
        )
        covered = auto_write_off_reasons(tenant=tenant)
        for entry, deduction in zip(entries, deductions, strict=True):
            if deduction.reason is not None and deduction.reason.code in covered:
                auto_write_off_if_covered(
                    tenant=tenant, deduction=deduction, on=entry.effective_date or today
                )
    return deductions


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
        (deduction,) = _open_many(
            tenant=tenant,
            actor=actor,
            openings=[
                _Opening(
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
            ],
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
