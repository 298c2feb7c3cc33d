"""Resolving deductions: every resolution posts through the ledger.

- credit memo (valid): an invoicing credit memo for the invoice, its VAT
  split at the invoice's rate, applied to the deduction item;
- re-bill (invalid): the amount moves to a new debit memo item the customer
  owes, with a due date, so dunning asks for it;
- reinstate (invalid): the whole untouched amount goes back onto the invoice;
- write-off: within the requester's approval limit (membership, base
  currency) it posts at once; above it, it waits for a manager whose limit
  covers it, reserving its amount so nothing else resolves it twice;
- the tenant's auto write-off rule writes off small deductions of chosen
  reasons as soon as they open.

One request may split the deduction into several resolutions; they must add
up exactly to what is open. Each request runs in one transaction holding the
deduction's row lock (two analysts resolving the same deduction serialize:
the second sees what the first took). An idempotency key makes a retried
request return what the first one did, without posting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from credit.services.common import format_money, person_approval_limit
from deductions.models import (
    Deduction,
    DeductionPolicy,
    DeductionResolution,
    DeductionStatus,
    ResolutionKind,
    ResolutionStatus,
)
from deductions.services.transitions import RESOLVABLE, transition
from deductions.services.workflow import lock_deduction
from invoicing.models import Invoice, InvoiceLine, TaxCategory
from invoicing.services import LineInput, credit_memo_create, invoices_refresh_for_items
from otc.audit.services import Actor, audit_record
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.fx.money import minor_units, quantize_money
from otc.ledger.models import ApplicationKind, OpenItem
from otc.ledger.services import (
    ledger_apply,
    ledger_transfer_from_deduction,
    ledger_transfer_to_deduction_reverse,
    ledger_write_off,
)
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

S = DeductionStatus
K = ResolutionKind
HUNDRED = Decimal(100)
AUTO_ACTOR = Actor.system("deductions auto write-off")


@dataclass(frozen=True)
class ResolutionPart:
    kind: str
    amount: Decimal
    note: str = ""
    # Credit memos only: the VAT rate to split at (default: the invoice's).
    tax_rate: Decimal | None = None


@dataclass(frozen=True)
class _Tax:
    rate: Decimal
    category: str


def net_for_gross(*, gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The net amount whose tax, rounded the way invoicing rounds it, adds up
    to `gross` exactly (150.00 at 19 % -> 126.05 + 23.95)."""
    step = Decimal(1).scaleb(-minor_units(currency))
    first = quantize_money(gross * HUNDRED / (HUNDRED + rate), currency)
    for net in (first, first - step, first + step):
        if net + quantize_money(net * rate / HUNDRED, currency) == gross:
            return net
    below = first - step
    options = sorted(
        {
            net + quantize_money(net * rate / HUNDRED, currency)
            for net in (below, first, first + step)
        }
    )
    raise ValidationFailed(
        f"At {rate} % VAT no net amount gives exactly {gross} {currency} with tax; "
        f"the nearest amounts are {', '.join(str(o) for o in options)}. Credit one of "
        "those and resolve the cent that is left another way.",
        errors={"amount": [f"Choose one of {', '.join(str(o) for o in options)}."]},
    )


def _invoice_of(*, tenant: Tenant, deduction: Deduction) -> Invoice | None:
    return (
        Invoice.objects.for_tenant(tenant)
        .select_related("customer")
        .filter(open_item_id=deduction.invoice_item_id)
        .first()
    )


def _tax_of(*, tenant: Tenant, deduction: Deduction, invoice: Invoice | None) -> _Tax | None:
    """The VAT rate the deduction is credited at: the disputed line's, else
    the invoice's (the rate carrying most of its net when it has several)."""
    if deduction.invoice_line_id is not None:
        line = InvoiceLine.objects.for_tenant(tenant).get(pk=deduction.invoice_line_id)
        return _Tax(line.tax_rate, line.tax_category)
    if invoice is None:
        return None
    groups = (
        InvoiceLine.objects.for_tenant(tenant)
        .filter(invoice=invoice)
        .values("tax_rate", "tax_category")
        .annotate(net=Sum("line_net"))
        .order_by("-net", "-tax_rate")
    )
    top = groups.first()
    return _Tax(top["tax_rate"], top["tax_category"]) if top else None


def _reserved(*, tenant: Tenant, deduction: Deduction) -> Decimal:
    """What write-offs waiting for approval hold back from the open amount."""
    total = (
        DeductionResolution.objects.for_tenant(tenant)
        .filter(deduction=deduction, status=ResolutionStatus.PENDING_APPROVAL)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal(0)


def _open_item(tenant: Tenant, deduction: Deduction) -> OpenItem:
    return OpenItem.objects.for_tenant(tenant).get(pk=deduction.open_item_id)


def _base(tenant: Tenant, item: OpenItem, amount: Decimal) -> Decimal:
    return quantize_money(amount * item.fx_rate, tenant.base_currency)


def _post_credit_memo(
    *, tenant: Tenant, actor: Actor, deduction: Deduction, part: ResolutionPart, on: date
) -> DeductionResolution:
    invoice = _invoice_of(tenant=tenant, deduction=deduction)
    tax = _tax_of(tenant=tenant, deduction=deduction, invoice=invoice)
    if part.tax_rate is not None:
        category = tax.category if tax and tax.rate == part.tax_rate else None
        if category is None:
            category = TaxCategory.STANDARD if part.tax_rate > 0 else TaxCategory.ZERO
        tax = _Tax(part.tax_rate, category)
    if tax is None:
        raise ValidationFailed(
            "The invoice has no lines to take the VAT rate from: say which rate to credit at.",
            errors={"tax_rate": ["Enter the VAT rate of the credited amount."]},
        )
    currency = deduction.currency
    net = net_for_gross(gross=part.amount, rate=tax.rate, currency=currency)
    label = deduction.reason.name if deduction.reason else "deduction"
    memo = credit_memo_create(
        tenant=tenant,
        actor=actor,
        lines=[
            LineInput(
                description=f"Credit for deduction {deduction.open_item.number} ({label})"[:500],
                quantity=Decimal(1),
                unit_price=net,
                tax_rate=tax.rate,
                tax_category=tax.category,
            )
        ],
        related_invoice=invoice,
        customer=None if invoice else deduction.customer,
        currency=currency,
        notes=(part.note or f"Deduction {deduction.open_item.number} found valid.")[:500],
        apply_to_related=False,
    )
    if memo.gross_amount != part.amount or memo.open_item_id is None:
        raise ConflictError(  # pragma: no cover  (net_for_gross guarantees it)
            f"The credit memo came to {memo.gross_amount}, not {part.amount}."
        )
    ledger_apply(
        tenant=tenant,
        actor=actor,
        debit_item_id=deduction.open_item_id,
        credit_item_id=memo.open_item_id,
        amount=part.amount,
        effective_date=memo.issue_date or on,
        kind=ApplicationKind.CREDIT_MEMO,
    )
    invoices_refresh_for_items(tenant=tenant, open_item_ids=[memo.open_item_id], actor=actor)
    return DeductionResolution(credit_memo=memo, tax_rate=tax.rate)


def _post_rebill(
    *, tenant: Tenant, actor: Actor, deduction: Deduction, part: ResolutionPart, on: date
) -> DeductionResolution:
    invoice_item = OpenItem.objects.for_tenant(tenant).get(pk=deduction.invoice_item_id)
    # The re-bill is due on the terms the invoice had.
    terms = (
        (invoice_item.due_date - invoice_item.document_date)
        if invoice_item.due_date
        else timedelta(days=14)
    )
    item = ledger_transfer_from_deduction(
        tenant=tenant,
        actor=actor,
        deduction_item_id=deduction.open_item_id,
        amount=part.amount,
        effective_date=on,
        due_date=on + terms,
        number=f"RB-{deduction.open_item.number}-{timezone.now():%H%M%S%f}"[:64],
        reason=part.note or "deduction found invalid",
        source_type="deductions.deduction",
        source_id=str(deduction.pk),
    )
    return DeductionResolution(rebill_item=item)


def _post_reinstate(
    *, tenant: Tenant, actor: Actor, deduction: Deduction, part: ResolutionPart, on: date
) -> DeductionResolution:
    item = _open_item(tenant, deduction)
    if part.amount != deduction.amount or item.open_amount != deduction.amount:
        raise ValidationFailed(
            "Only a whole, untouched deduction can be put back onto its invoice; "
            "re-bill a part instead.",
            errors={
                "amount": [f"Reinstate all {deduction.amount} {deduction.currency} or re-bill."]
            },
        )
    ledger_transfer_to_deduction_reverse(
        tenant=tenant,
        actor=actor,
        deduction_item_id=deduction.open_item_id,
        effective_date=on,
        reason=part.note or "deduction found invalid: reinstated",
    )
    invoices_refresh_for_items(
        tenant=tenant, open_item_ids=[deduction.invoice_item_id], actor=actor
    )
    return DeductionResolution()


def _post_write_off(
    *, tenant: Tenant, actor: Actor, deduction: Deduction, amount: Decimal, note: str, on: date
) -> None:
    ledger_write_off(
        tenant=tenant,
        actor=actor,
        debit_item_id=deduction.open_item_id,
        amount=amount,
        effective_date=on,
        reason=(note or f"deduction {deduction.pk}")[:64],
    )


def _finish_if_cleared(*, tenant: Tenant, actor: Actor, deduction: Deduction) -> None:
    item = _open_item(tenant, deduction)
    if item.open_amount != 0 or deduction.status == S.RESOLVED:
        return
    previous = transition(deduction, S.RESOLVED)
    deduction.resolved_at = timezone.now()
    deduction.save(update_fields=["status", "resolved_at", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="deduction.status_changed",
        instance=deduction,
        changes={"status": {"before": previous, "after": S.RESOLVED}},
    )


def _check_parts(
    *, deduction: Deduction, parts: list[ResolutionPart], available: Decimal
) -> list[ResolutionPart]:
    if not parts:
        raise ValidationFailed(errors={"parts": ["Say how the deduction is resolved."]})
    cleaned: list[ResolutionPart] = []
    errors: dict[str, list[str]] = {}
    currency = deduction.currency
    for index, part in enumerate(parts):
        where = f"parts[{index}]" if len(parts) > 1 else ""
        if part.kind not in ResolutionKind.values:
            errors[f"{where}.kind".lstrip(".")] = [
                f"Choose one of: {', '.join(ResolutionKind.values)}."
            ]
            continue
        amount = quantize_money(part.amount, currency)
        if amount <= 0:
            errors[f"{where}.amount".lstrip(".")] = ["Enter an amount greater than zero."]
            continue
        cleaned.append(
            ResolutionPart(kind=part.kind, amount=amount, note=part.note, tax_rate=part.tax_rate)
        )
    if errors:
        raise ValidationFailed("The resolution is not complete.", errors=errors)
    total = sum((part.amount for part in cleaned), Decimal(0))
    if total > available:
        raise ValidationFailed(
            f"{format_money(available, currency)} of the deduction is open (not held by a "
            f"write-off waiting for approval); {format_money(total, currency)} cannot be resolved.",
            errors={"amount": [f"Resolve at most {format_money(available, currency)}."]},
            code="over_resolved",
        )
    if len(cleaned) > 1 and total != available:
        raise ValidationFailed(
            f"A split must add up to the open {format_money(available, currency)} exactly; "
            f"these parts add up to {format_money(total, currency)}.",
            errors={"parts": ["Make the parts add up to the open amount."]},
            code="split_does_not_add_up",
        )
    return cleaned


def _replay(
    *, tenant: Tenant, deduction: Deduction, key: str, parts: list[ResolutionPart]
) -> list[DeductionResolution] | None:
    done = list(
        DeductionResolution.objects.for_tenant(tenant)
        .filter(deduction=deduction, idempotency_key__startswith=f"{key}#")
        .order_by("pk")
    )
    if not done:
        return None
    same = [(r.kind, r.amount) for r in done] == [
        (p.kind, quantize_money(p.amount, deduction.currency)) for p in parts
    ]
    if not same:
        raise ConflictError(
            "This idempotency key was used for a different resolution of this deduction.",
            code="idempotency_key_reused",
        )
    return done


def deduction_resolve(
    *,
    tenant: Tenant,
    actor: Actor,
    deduction_id: int,
    parts: list[ResolutionPart],
    idempotency_key: str = "",
    on: date | None = None,
) -> list[DeductionResolution]:
    """Resolve (part of) a validated deduction, one or several ways at once
    (see the module docstring). All parts post or none does."""
    key = idempotency_key.strip()[:90]
    on = on or tenant_today(tenant)
    with transaction.atomic():
        deduction = lock_deduction(tenant=tenant, deduction_id=deduction_id)
        if key:
            replayed = _replay(tenant=tenant, deduction=deduction, key=key, parts=parts)
            if replayed is not None:
                return replayed
        if deduction.status not in RESOLVABLE:
            raise ConflictError(
                f"The deduction is {deduction.get_status_display().lower()}: validate it as "
                "valid or invalid before resolving it.",
                code="not_validated",
            )
        item = _open_item(tenant, deduction)
        available = item.open_amount - _reserved(tenant=tenant, deduction=deduction)
        cleaned = _check_parts(deduction=deduction, parts=parts, available=available)
        limit = person_approval_limit(tenant=tenant, actor=actor)
        results: list[DeductionResolution] = []
        for index, part in enumerate(cleaned):
            status = ResolutionStatus.POSTED
            if part.kind == K.CREDIT_MEMO:
                row = _post_credit_memo(
                    tenant=tenant, actor=actor, deduction=deduction, part=part, on=on
                )
            elif part.kind == K.REBILL:
                row = _post_rebill(
                    tenant=tenant, actor=actor, deduction=deduction, part=part, on=on
                )
            elif part.kind == K.REINSTATE:
                row = _post_reinstate(
                    tenant=tenant, actor=actor, deduction=deduction, part=part, on=on
                )
            else:
                row = DeductionResolution()
                if _base(tenant, item, part.amount) > limit:
                    status = ResolutionStatus.PENDING_APPROVAL
                else:
                    _post_write_off(
                        tenant=tenant,
                        actor=actor,
                        deduction=deduction,
                        amount=part.amount,
                        note=part.note,
                        on=on,
                    )
            row.tenant = tenant
            row.deduction = deduction
            row.kind = part.kind
            row.status = status
            row.amount = part.amount
            row.currency = deduction.currency
            row.note = part.note[:500]
            row.idempotency_key = f"{key}#{index}" if key else ""
            row.requested_by = actor.user
            if status == ResolutionStatus.POSTED:
                row.approved_by = actor.user
                row.decided_at = timezone.now()
            row.save()
            results.append(row)
            audit_record(
                tenant=tenant,
                actor=actor,
                action=(
                    "deduction.write_off_escalated"
                    if status == ResolutionStatus.PENDING_APPROVAL
                    else "deduction.resolved_part"
                ),
                instance=deduction,
                changes={
                    "resolution": {
                        "before": None,
                        "after": f"{row.kind} {format_money(row.amount, row.currency)}",
                    },
                    "status": row.status,
                    **(
                        {"approver_limit": str(limit)}
                        if status == ResolutionStatus.PENDING_APPROVAL
                        else {}
                    ),
                    **({"credit_memo": row.credit_memo.number} if row.credit_memo else {}),
                },
            )
        _finish_if_cleared(tenant=tenant, actor=actor, deduction=deduction)
    return results


def _locked_pending(*, tenant: Tenant, resolution_id: int) -> tuple[Deduction, DeductionResolution]:
    row = DeductionResolution.objects.for_tenant(tenant).filter(pk=resolution_id).first()
    if row is None:
        raise NotFound("No such resolution.")
    deduction = lock_deduction(tenant=tenant, deduction_id=row.deduction_id)
    row = DeductionResolution.objects.for_tenant(tenant).select_for_update().get(pk=resolution_id)
    if row.status != ResolutionStatus.PENDING_APPROVAL:
        raise ConflictError(
            f"This write-off is {row.get_status_display().lower()} already.",
            code="not_pending",
        )
    return deduction, row


def deduction_write_off_approve(
    *, tenant: Tenant, actor: Actor, resolution_id: int, on: date | None = None
) -> DeductionResolution:
    """A manager approves a write-off that waited for someone whose approval
    limit covers it; it posts now. The requester cannot approve their own."""
    on = on or tenant_today(tenant)
    with transaction.atomic():
        deduction, row = _locked_pending(tenant=tenant, resolution_id=resolution_id)
        if actor.user is not None and row.requested_by_id == actor.user.pk:
            raise ValidationFailed(
                "A write-off you asked for needs another person's approval.",
                code="own_write_off",
            )
        item = _open_item(tenant, deduction)
        base = _base(tenant, item, row.amount)
        limit = person_approval_limit(tenant=tenant, actor=actor)
        if actor.user is None or base > limit:
            raise ValidationFailed(
                f"The write-off is {format_money(base, tenant.base_currency)}; your approval "
                f"limit is {format_money(limit, tenant.base_currency)}. It waits for a "
                "manager with a higher limit.",
                code="above_approval_limit",
            )
        _post_write_off(
            tenant=tenant, actor=actor, deduction=deduction, amount=row.amount, note=row.note, on=on
        )
        row.status = ResolutionStatus.POSTED
        row.approved_by = actor.user
        row.decided_at = timezone.now()
        row.save(update_fields=["status", "approved_by", "decided_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.write_off_approved",
            instance=deduction,
            changes={
                "resolution": {
                    "before": ResolutionStatus.PENDING_APPROVAL,
                    "after": ResolutionStatus.POSTED,
                },
                "amount": format_money(row.amount, row.currency),
                "approver_limit": str(limit),
            },
        )
        _finish_if_cleared(tenant=tenant, actor=actor, deduction=deduction)
    return row


def deduction_write_off_reject(
    *, tenant: Tenant, actor: Actor, resolution_id: int, note: str = ""
) -> DeductionResolution:
    """A manager refuses a waiting write-off: its amount is open again for
    another resolution."""
    with transaction.atomic():
        deduction, row = _locked_pending(tenant=tenant, resolution_id=resolution_id)
        row.status = ResolutionStatus.REJECTED
        row.approved_by = actor.user
        row.decided_at = timezone.now()
        row.save(update_fields=["status", "approved_by", "decided_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.write_off_rejected",
            instance=deduction,
            changes={
                "resolution": {
                    "before": ResolutionStatus.PENDING_APPROVAL,
                    "after": ResolutionStatus.REJECTED,
                },
                "note": note,
            },
        )
    return row


def deduction_policy_get(*, tenant: Tenant) -> DeductionPolicy:
    policy = DeductionPolicy.objects.for_tenant(tenant).filter().first()
    return policy or DeductionPolicy(tenant=tenant)


def deduction_policy_update(
    *, tenant: Tenant, actor: Actor, auto_write_off_limit: Decimal, reason_codes: list[str]
) -> DeductionPolicy:
    if auto_write_off_limit < 0:
        raise ValidationFailed(errors={"auto_write_off_limit": ["Enter 0 or more."]})
    with transaction.atomic():
        policy, _ = (
            DeductionPolicy.objects.for_tenant(tenant)
            .select_for_update()
            .get_or_create(tenant=tenant)
        )
        before = {
            "limit": str(policy.auto_write_off_limit),
            "reasons": policy.auto_write_off_reasons,
        }
        policy.auto_write_off_limit = quantize_money(auto_write_off_limit, tenant.base_currency)
        policy.auto_write_off_reasons = sorted({code.strip().upper() for code in reason_codes})
        policy.save()
        audit_record(
            tenant=tenant,
            actor=actor,
            action="deduction.policy_updated",
            instance=policy,
            changes={
                "auto_write_off_limit": {
                    "before": before["limit"],
                    "after": str(policy.auto_write_off_limit),
                },
                "auto_write_off_reasons": {
                    "before": before["reasons"],
                    "after": policy.auto_write_off_reasons,
                },
            },
        )
    return policy


def auto_write_off_reasons(*, tenant: Tenant) -> frozenset[str]:
    """The reason codes the tenant's auto write-off rule may cover (none
    without a rule or a limit): a batch of new deductions asks
    ``auto_write_off_if_covered`` only about those with one of them."""
    policy = DeductionPolicy.objects.for_tenant(tenant).filter().first()
    if policy is None or policy.auto_write_off_limit <= 0:
        return frozenset()
    return frozenset(policy.auto_write_off_reasons)


def auto_write_off_if_covered(*, tenant: Tenant, deduction: Deduction, on: date) -> bool:
    """Write off a just-opened deduction the tenant's rule covers (amount in
    base currency up to the limit, reason among the rule's). Logged in the
    audit trail as the system's decision. Returns whether it did."""
    policy = DeductionPolicy.objects.for_tenant(tenant).filter().first()
    if policy is None or policy.auto_write_off_limit <= 0 or deduction.reason is None:
        return False
    if deduction.reason.code not in policy.auto_write_off_reasons:
        return False
    item = _open_item(tenant, deduction)
    base = _base(tenant, item, item.open_amount)
    if base > policy.auto_write_off_limit:
        return False
    _post_write_off(
        tenant=tenant,
        actor=AUTO_ACTOR,
        deduction=deduction,
        amount=item.open_amount,
        note=f"auto write-off {deduction.reason.code}",
        on=on,
    )
    DeductionResolution.objects.for_tenant(tenant).create(
        tenant=tenant,
        deduction=deduction,
        kind=K.WRITE_OFF,
        status=ResolutionStatus.POSTED,
        amount=item.open_amount,
        currency=deduction.currency,
        note=f"Auto write-off: {deduction.reason.code} up to "
        f"{format_money(policy.auto_write_off_limit, tenant.base_currency)}",
        auto=True,
        decided_at=timezone.now(),
    )
    audit_record(
        tenant=tenant,
        actor=AUTO_ACTOR,
        action="deduction.auto_written_off",
        instance=deduction,
        changes={
            "amount": format_money(item.open_amount, deduction.currency),
            "rule": {
                "limit": str(policy.auto_write_off_limit),
                "reasons": policy.auto_write_off_reasons,
            },
        },
    )
    _finish_if_cleared(tenant=tenant, actor=AUTO_ACTOR, deduction=deduction)
    return True
