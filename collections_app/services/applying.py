"""Applying cash: a proposal (the engine's or a person's) becomes ledger
applications, and can be undone.

Race safety: everything happens in one transaction that first locks the
ledger items involved (payment item and invoice items, in id order, the
ledger's own lock order), then the payment row, and only then re-reads the
open amounts. Two imports racing to apply cash to the same invoice
serialise on the invoice row; the second sees what the first applied and
its proposal is refused as out of date (``ConflictError``), never
over-applied. Applying is idempotent: an applied proposal is never applied
again, and a payment that is no longer open refuses new applications.

Learning: when a person applies a payment, what can be reused is stored
(the payer's account and name -> this customer) and the messages say so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from collections_app.dunning.services.promises import promises_keep_for_items
from collections_app.matching.normalize import normalize_account, normalize_name
from collections_app.models import (
    OPEN_PAYMENT_STATUSES,
    AllocationKind,
    CashAllocation,
    MatchProposal,
    PayerAccount,
    PayerAlias,
    Payment,
    PaymentStatus,
    ProposalStatus,
)
from collections_app.services.payments import (
    payment_identify_locked,
    payment_lock,
    payment_sync_status,
)
from deductions.services import (
    ShortPayment,
    deduction_cancel,
    deductions_open_for_short_payments,
)
from invoicing.services import invoices_refresh_for_items
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.models import Application, ApplicationKind, ItemKind, OpenItem
from otc.ledger.services import (
    DEDUCTION_TRANSFER_SOURCE,
    ledger_application_reverse,
    ledger_apply,
    ledger_item_reverse,
    ledger_write_off,
)
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant

D = Decimal
ZERO = Decimal(0)


def _d(value: Any) -> Decimal:
    return Decimal(str(value or "0"))


def _lock_items(tenant: Tenant, ids: set[int]) -> dict[int, OpenItem]:
    items = (
        OpenItem.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk__in=sorted(ids))
        .order_by("pk")
    )
    return {item.pk: item for item in items}


def _learn(*, tenant: Tenant, actor: Actor, payment: Payment, customer: Customer) -> list[str]:
    """Remember what identified this payment, for the next one."""
    learned: list[str] = []
    account = normalize_account(payment.payer_account)
    if account:
        known = PayerAccount.objects.for_tenant(tenant).filter(account=account).first()
        if known is None:
            PayerAccount.objects.for_tenant(tenant).create(
                tenant=tenant,
                account=account,
                customer=customer,
                learned_from_payment=payment,
                created_by_label=actor.label[:200],
            )
            learned.append(f"Learned: account {account} pays for {customer.display_name}.")
        elif known.customer_id != customer.pk:
            previous = known.customer_id
            known.customer = customer
            known.learned_from_payment = payment
            known.save(update_fields=["customer", "learned_from_payment"])
            learned.append(
                f"Corrected: account {account} now pays for {customer.display_name} "
                f"(was customer {previous})."
            )
    name = normalize_name(payment.payer_name)
    own_names = {normalize_name(customer.legal_name), normalize_name(customer.trading_name)}
    if name and name not in own_names:
        alias = PayerAlias.objects.for_tenant(tenant).filter(alias=name).first()
        if alias is None:
            PayerAlias.objects.for_tenant(tenant).create(
                tenant=tenant,
                alias=name,
                customer=customer,
                learned_from_payment=payment,
                created_by_label=actor.label[:200],
            )
            learned.append(
                f"Learned: payer name '{payment.payer_name}' means {customer.display_name}."
            )
        elif alias.customer_id != customer.pk:
            alias.customer = customer
            alias.save(update_fields=["customer"])
            learned.append(
                f"Corrected: payer name '{payment.payer_name}' now means {customer.display_name}."
            )
    if learned:
        audit_record(
            tenant=tenant,
            actor=actor,
            action="cash.learned",
            instance=payment,
            changes={"learned": {"before": None, "after": learned}},
        )
    return learned


def _stale(detail: str) -> ConflictError:
    return ConflictError(f"The proposal is out of date: {detail}", code="proposal_stale")


@dataclass
class _Run:
    """One application in progress: the locked rows and what it touched."""

    tenant: Tenant
    actor: Actor
    on: date
    payment: Payment
    proposal: MatchProposal
    payment_item: OpenItem
    locked: dict[int, OpenItem]
    touched: list[int] = field(default_factory=list)

    def record(
        self,
        kind: str,
        item_id: int,
        amount: Decimal,
        application: Application,
        *,
        payment_amount: Decimal = ZERO,
        deduction_id: int | None = None,
    ) -> CashAllocation:
        return CashAllocation.objects.for_tenant(self.tenant).create(
            tenant=self.tenant,
            payment=self.payment,
            proposal=self.proposal,
            kind=kind,
            invoice_item_id=item_id,
            amount=amount,
            payment_amount=payment_amount,
            application=application,
            deduction_id=deduction_id,
        )


def _lock(tenant: Tenant, proposal_id: int) -> tuple[MatchProposal, Payment, dict[int, OpenItem]]:
    proposal = MatchProposal.objects.for_tenant(tenant).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("Proposal not found.")
    item_ids = {int(a["item_id"]) for a in proposal.allocations}
    if proposal.deduction:
        item_ids.add(int(proposal.deduction["item_id"]))
    payment_item_id = (
        Payment.objects.for_tenant(tenant)
        .filter(pk=proposal.payment_id)
        .values_list("open_item_id", flat=True)
        .first()
    )
    if payment_item_id:
        item_ids.add(payment_item_id)
    # Ledger items first (id order), then the payment, then the proposal.
    locked = _lock_items(tenant, item_ids)
    payment = payment_lock(tenant=tenant, payment_id=proposal.payment_id)
    proposal = (
        MatchProposal.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=proposal.pk)
    )
    return proposal, payment, locked


def _check_amounts(run: _Run, customer: Customer) -> None:
    """Re-read under lock: nothing may be applied beyond what is open now."""
    need: dict[int, Decimal] = defaultdict(Decimal)
    for allocation in run.proposal.allocations:
        need[int(allocation["item_id"])] += (
            _d(allocation["amount"])
            + _d(allocation.get("discount"))
            + _d(allocation.get("write_off"))
        )
    if run.proposal.deduction:
        need[int(run.proposal.deduction["item_id"])] += _d(run.proposal.deduction["amount"])
    for item_id, amount in need.items():
        item = run.locked.get(item_id)
        if item is None or item.customer_id != customer.pk or item.amount <= 0:
            raise _stale(f"open item {item_id} is not one of {customer}'s open items.")
        if amount > item.open_amount:
            raise _stale(
                f"{item.number} has {item.open_amount} {item.currency} open, {amount} was proposed."
            )
    cash_total = sum((_d(a["payment_amount"]) for a in run.proposal.allocations), ZERO)
    if cash_total > -run.payment_item.open_amount:
        raise _stale(
            f"payment {run.payment.number} has {-run.payment_item.open_amount} "
            f"{run.payment.currency} unapplied, {cash_total} was proposed."
        )


def _post_allocation(run: _Run, allocation: dict[str, Any]) -> None:
    item_id = int(allocation["item_id"])
    run.touched.append(item_id)
    amount = _d(allocation["amount"])
    payment_amount = _d(allocation["payment_amount"])
    if amount > 0:
        application = ledger_apply(
            tenant=run.tenant,
            actor=run.actor,
            debit_item_id=item_id,
            credit_item_id=run.payment_item.pk,
            amount=amount,
            credit_amount=payment_amount,
            effective_date=run.on,
            kind=ApplicationKind.CASH,
        )
        run.record(AllocationKind.CASH, item_id, amount, application, payment_amount=payment_amount)
    for kind, key, reason in (
        (AllocationKind.DISCOUNT, "discount", "Early-payment discount"),
        (AllocationKind.WRITE_OFF, "write_off", "Payment difference within tolerance"),
    ):
        value = _d(allocation.get(key))
        if value > 0:
            application = ledger_write_off(
                tenant=run.tenant,
                actor=run.actor,
                debit_item_id=item_id,
                amount=value,
                effective_date=run.on,
                reason=f"{reason} ({run.payment.number})",
            )
            run.record(kind, item_id, value, application)


def _post_deductions(runs: list[tuple[_Run, Customer, dict[str, Any]]]) -> None:
    """Open the short-paid rest of each run's invoice as a deduction (all
    runs of one tenant and actor, in one batch) and record each as the run's
    DEDUCTION allocation."""
    if not runs:
        return
    tenant, actor = runs[0][0].tenant, runs[0][0].actor
    opened = deductions_open_for_short_payments(
        tenant=tenant,
        actor=actor,
        entries=[
            ShortPayment(
                customer=customer,
                invoice_item_id=int(deduction["item_id"]),
                payment_item_id=run.payment_item.pk,
                amount=_d(deduction["amount"]),
                currency=run.locked[int(deduction["item_id"])].currency,
                reason_code=str(deduction.get("reason_code", "")),
                reason_text=str(deduction.get("reason_text", "")),
                effective_date=run.on,
            )
            for run, customer, deduction in runs
        ],
    )
    # Each transfer settles its invoice with an application from its own
    # counter item, which names the DEDUCTION item it stands for.
    settlements = dict(
        Application.objects.for_tenant(tenant)
        .filter(
            kind=ApplicationKind.DEDUCTION,
            reverses__isnull=True,
            credit_item__source_type=DEDUCTION_TRANSFER_SOURCE,
            credit_item__source_id__in=[str(d.open_item_id) for d in opened],
        )
        .values_list("credit_item__source_id", "pk")
    )
    rows = []
    for (run, _, deduction), made in zip(runs, opened, strict=True):
        item_id = int(deduction["item_id"])
        run.touched.append(item_id)
        rows.append(
            CashAllocation(
                tenant=tenant,
                payment=run.payment,
                proposal=run.proposal,
                kind=AllocationKind.DEDUCTION,
                invoice_item_id=item_id,
                amount=made.amount,
                payment_amount=ZERO,
                application_id=settlements[str(made.open_item_id)],
                deduction_id=made.pk,
            )
        )
    CashAllocation.objects.for_tenant(tenant).bulk_create(rows, batch_size=1000)


def proposal_apply(
    *, tenant: Tenant, actor: Actor, proposal_id: int, auto: bool = False, on: date | None = None
) -> MatchProposal:
    """Apply one proposal to the ledger (see the module docstring)."""
    with transaction.atomic():
        proposal, payment, locked = _lock(tenant, proposal_id)
        if proposal.status != ProposalStatus.PROPOSED:
            raise ConflictError(
                f"This proposal is already {proposal.get_status_display().lower()}."
            )
        if payment.status not in OPEN_PAYMENT_STATUSES:
            raise ConflictError(
                f"Payment {payment.number} is {payment.get_status_display().lower()}; "
                "nothing more can be applied."
            )
        customer = proposal.customer
        if customer is None:
            raise ValidationFailed("The proposal names no customer.")
        if payment.status == PaymentStatus.UNIDENTIFIED:
            payment = payment_identify_locked(
                tenant=tenant, actor=actor, payment=payment, customer=customer
            )
        elif payment.customer_id != customer.pk:
            raise _stale(f"payment {payment.number} belongs to {payment.customer}.")
        payment_item = OpenItem.objects.for_tenant(tenant).get(pk=payment.open_item_id or 0)
        run = _Run(
            tenant, actor, on or tenant_today(tenant), payment, proposal, payment_item, locked
        )
        run.touched.append(payment_item.pk)
        _check_amounts(run, customer)
        for allocation in proposal.allocations:
            _post_allocation(run, allocation)
        if proposal.deduction:
            _post_deductions([(run, customer, proposal.deduction)])
        invoices_refresh_for_items(tenant=tenant, open_item_ids=run.touched, actor=actor)
        payment_sync_status(tenant=tenant, actor=actor, payment=payment)
        promises_keep_for_items(
            tenant=tenant,
            actor=actor,
            customer_id=customer.pk,
            item_ids=[int(a["item_id"]) for a in proposal.allocations if _d(a["amount"]) > 0],
            day=run.on,
        )
        _close_proposal(run, auto=auto, customer=customer)
    return proposal


def _close_proposal(run: _Run, *, auto: bool, customer: Customer) -> None:
    tenant, actor, proposal, payment = run.tenant, run.actor, run.proposal, run.payment
    learned = [] if auto else _learn(tenant=tenant, actor=actor, payment=payment, customer=customer)
    proposal.status = ProposalStatus.APPLIED
    proposal.auto_applied = auto
    proposal.learned = learned
    proposal.decided_by = actor.user
    proposal.decided_by_label = actor.label[:200]
    proposal.decided_at = timezone.now()
    proposal.save(
        update_fields=[
            "status",
            "auto_applied",
            "learned",
            "decided_by",
            "decided_by_label",
            "decided_at",
        ]
    )
    MatchProposal.objects.for_tenant(tenant).filter(
        payment=payment, status=ProposalStatus.PROPOSED
    ).update(status=ProposalStatus.SUPERSEDED)
    Payment.objects.for_tenant(tenant).filter(pk=payment.pk).update(
        match_confidence=proposal.confidence,
        match_summary=proposal.explanation[:500],
        matched_at=timezone.now(),
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="cash.auto_applied" if auto else "cash.applied",
        instance=payment,
        changes={
            "proposal": {"before": None, "after": proposal.pk},
            "explanation": {"before": None, "after": proposal.explanation},
            "learned": {"before": None, "after": learned},
        },
    )


@dataclass(frozen=True)
class ManualLine:
    """One line of a person's allocation: how much of the payment settles
    `item_id`, and optionally the rest of that item as a deduction or a
    write-off."""

    item_id: int
    amount: Decimal  # item currency
    payment_amount: Decimal | None = None  # payment currency; None = same currency
    deduction: Decimal = ZERO
    write_off: Decimal = ZERO
    reason: str = ""


def payment_allocate(  # noqa: PLR0912  (each check adds its own field error)
    *,
    tenant: Tenant,
    actor: Actor,
    payment_id: int,
    customer: Customer,
    lines: list[ManualLine],
    note: str = "",
) -> MatchProposal:
    """A person's allocation across several items (what is not allocated
    stays on account). Recorded as a proposal by hand and applied, so it
    reads, reverses and teaches exactly like the engine's."""
    if customer.tenant_id != tenant.pk:
        raise NotFound("Customer not found.")
    payment = Payment.objects.for_tenant(tenant).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("Payment not found.")
    items = {
        item.pk: item
        for item in OpenItem.objects.for_tenant(tenant).filter(
            pk__in=[line.item_id for line in lines], customer=customer
        )
    }
    errors: dict[str, list[str]] = {}
    allocations: list[dict[str, Any]] = []
    deductions = [line for line in lines if line.deduction > 0]
    if len(deductions) > 1:
        errors["lines"] = ["Open one deduction per payment; split the others by hand later."]
    total = D(0)
    for position, line in enumerate(lines):
        item = items.get(line.item_id)
        where = f"lines[{position}]"
        if item is None or item.kind not in (ItemKind.INVOICE, ItemKind.DEBIT_MEMO):
            errors[f"{where}.item_id"] = [
                f"Open item {line.item_id} is not an open invoice of {customer}."
            ]
            continue
        amount = quantize_money(line.amount, item.currency)
        if amount < 0 or line.deduction < 0 or line.write_off < 0:
            errors[f"{where}.amount"] = ["Amounts cannot be negative."]
            continue
        if item.currency == payment.currency:
            paid = amount
        elif line.payment_amount is None:
            errors[f"{where}.payment_amount"] = [
                (
                    f"{item.number} is in {item.currency}: say how much of the "
                    f"{payment.currency} payment settles it."
                )
            ]
            continue
        else:
            paid = quantize_money(line.payment_amount, payment.currency)
        if amount + line.deduction + line.write_off > item.open_amount:
            errors[f"{where}.amount"] = [
                f"{item.number} has {item.open_amount} {item.currency} open; allocate at most that."
            ]
            continue
        total += paid
        allocations.append(
            {
                "item_id": item.pk,
                "number": item.number,
                "currency": item.currency,
                "amount": str(amount),
                "payment_amount": str(paid),
                "discount": "0",
                "write_off": str(quantize_money(line.write_off, item.currency)),
            }
        )
    if total > payment.amount:
        errors["lines"] = [
            (
                f"The lines take {total} {payment.currency}, the payment is {payment.amount} "
                f"{payment.currency}; reduce them by {total - payment.amount}."
            )
        ]
    if errors:
        raise ValidationFailed("Check the allocation.", errors=errors)
    deduction: dict[str, Any] = {}
    if deductions:
        line = deductions[0]
        deduction = {
            "item_id": line.item_id,
            "number": items[line.item_id].number,
            "amount": str(quantize_money(line.deduction, items[line.item_id].currency)),
            "reason_code": line.reason[:32],
            "reason_text": line.reason,
        }
    explanation = f"Allocated by {actor.label}" + (f": {note}" if note else "")
    with transaction.atomic():
        MatchProposal.objects.for_tenant(tenant).filter(
            payment_id=payment.pk, status=ProposalStatus.PROPOSED
        ).update(status=ProposalStatus.SUPERSEDED)
        proposal = MatchProposal.objects.for_tenant(tenant).create(
            tenant=tenant,
            payment=payment,
            rank=0,
            customer=customer,
            confidence=100,
            explanation=explanation,
            reasons=[{"code": "manual", "text": explanation}],
            allocations=allocations,
            on_account=payment.amount - total,
            deduction=deduction,
            by_engine=False,
        )
        return proposal_apply(tenant=tenant, actor=actor, proposal_id=proposal.pk)


def payment_unapply_locked(
    *, tenant: Tenant, actor: Actor, payment: Payment, reason: str
) -> list[CashAllocation]:
    """Reverse every live allocation of a locked payment, newest first."""
    live = list(
        CashAllocation.objects.for_tenant(tenant)
        .filter(payment=payment, reversed_at__isnull=True)
        .select_related("application")
        .order_by("-pk")
    )
    if not live:
        return []
    today = tenant_today(tenant)
    touched: set[int] = set()
    for allocation in live:
        touched.add(allocation.invoice_item_id)
        if allocation.kind == AllocationKind.DEDUCTION and allocation.deduction_id:
            deduction_cancel(
                tenant=tenant, actor=actor, deduction_id=allocation.deduction_id, reason=reason
            )
        else:
            ledger_application_reverse(
                tenant=tenant,
                actor=actor,
                application_id=allocation.application_id,
                effective_date=today,
                reason=reason,
            )
            if allocation.kind in (AllocationKind.DISCOUNT, AllocationKind.WRITE_OFF):
                ledger_item_reverse(
                    tenant=tenant,
                    actor=actor,
                    item_id=allocation.application.credit_item_id,
                    effective_date=today,
                    reason=reason,
                )
        allocation.reversed_at = timezone.now()
        allocation.save(update_fields=["reversed_at"])
    proposal_ids = {a.proposal_id for a in live if a.proposal_id}
    MatchProposal.objects.for_tenant(tenant).filter(pk__in=proposal_ids, auto_applied=True).update(
        status=ProposalStatus.REVERSED, corrected=True
    )
    MatchProposal.objects.for_tenant(tenant).filter(pk__in=proposal_ids, auto_applied=False).update(
        status=ProposalStatus.REVERSED
    )
    if payment.open_item_id:
        touched.add(payment.open_item_id)
    invoices_refresh_for_items(tenant=tenant, open_item_ids=sorted(touched), actor=actor)
    payment_sync_status(tenant=tenant, actor=actor, payment=payment)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="cash.unapplied",
        instance=payment,
        changes={
            "allocations": {"before": [a.pk for a in live], "after": []},
            "reason": {"before": None, "after": reason},
        },
    )
    return live


def payment_unapply(*, tenant: Tenant, actor: Actor, payment_id: int, reason: str) -> Payment:
    """Reverse what was applied from a payment; the cash is unapplied again
    and the invoices reopen. An automatic application undone by a person
    counts against the engine's precision."""
    if not reason.strip():
        raise ValidationFailed(errors={"reason": ["Say why the application is reversed."]})
    with transaction.atomic():
        item_id = (
            Payment.objects.for_tenant(tenant)
            .filter(pk=payment_id)
            .values_list("open_item_id", flat=True)
            .first()
        )
        invoice_ids = set(
            CashAllocation.objects.for_tenant(tenant)
            .filter(payment_id=payment_id, reversed_at__isnull=True)
            .values_list("invoice_item_id", flat=True)
        )
        _lock_items(tenant, invoice_ids | ({item_id} if item_id else set()))
        payment = payment_lock(tenant=tenant, payment_id=payment_id)
        if not payment_unapply_locked(tenant=tenant, actor=actor, payment=payment, reason=reason):
            raise ConflictError(f"Nothing is applied from payment {payment.number}.")
    return payment
