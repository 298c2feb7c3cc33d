"""Applying the engine's confident proposals for a chunk of payments at once.

``proposal_apply`` applies one proposal with some forty statements; a
10,000-line statement would spend minutes on round trips. ``proposals_apply_auto``
writes the same rows (payment items, applications, postings, write-offs,
allocations, statuses, audit events) for a whole chunk with a handful of
set-based statements, inside the caller's transaction.

Race safety is the one of ``proposal_apply``: every ledger item of the chunk
is locked first (one query, id order: the ledger's lock order, so a chunk and
a single application never deadlock), then the payments (id order), then the
proposals, and only then are the open amounts checked, proposal by proposal
against what the earlier ones of the chunk leave open. A proposal made stale
by a concurrent import is refused with the message ``proposal_apply`` would
give and the rest of the chunk goes on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from collections_app.dunning.services.promises import promises_keep_for_paid_items
from collections_app.models import (
    OPEN_PAYMENT_STATUSES,
    AllocationKind,
    CashAllocation,
    MatchProposal,
    Payment,
    PaymentStatus,
    ProposalStatus,
)
from collections_app.services.applying import _d, _lock_items, _post_deductions, _Run
from collections_app.services.payments import transition
from invoicing.services import invoices_refresh_for_items
from otc.audit.services import Actor, AuditEntry, audit_record_many
from otc.customers.models import Customer
from otc.ledger.models import ApplicationKind, ItemKind, OpenItem
from otc.ledger.services import ApplyEntry, NewItem, ledger_apply_many, ledger_items_post_many
from otc.tenancy.dates import tenant_today
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant

ZERO = Decimal(0)
_WRITE_OFF_REASONS = (
    (AllocationKind.DISCOUNT, "discount", "Early-payment discount"),
    (AllocationKind.WRITE_OFF, "write_off", "Payment difference within tolerance"),
)


@dataclass
class _Accepted:
    proposal: MatchProposal
    payment: Payment
    customer: Customer


def proposals_apply_auto(
    *, tenant: Tenant, actor: Actor, proposal_ids: list[int], on: date | None = None
) -> dict[int, str]:
    """Apply the engine's proposals (one per payment) as ``proposal_apply``
    with ``auto=True`` would, one after the other. Returns, for each proposal
    refused, why (the payment stays in the queue); the others are applied."""
    on = on or tenant_today(tenant)
    refused: dict[int, str] = {}
    if not proposal_ids:
        return refused
    with transaction.atomic():
        proposals, payments, items = _lock(tenant, proposal_ids)
        customers = {
            c.pk: c
            for c in Customer.objects.for_tenant(tenant).filter(
                pk__in={p.customer_id for p in proposals if p.customer_id}
            )
        }
        accepted: list[_Accepted] = []
        for proposal in proposals:
            payment = payments[proposal.payment_id]
            problem = _problem(proposal, payment, customers.get(proposal.customer_id or 0), items)
            if problem:
                refused[proposal.pk] = problem
                continue
            accepted.append(_Accepted(proposal, payment, customers[proposal.customer_id or 0]))
        if accepted:
            _apply(tenant, actor, on, accepted, items)
    return refused


def _lock(
    tenant: Tenant, proposal_ids: list[int]
) -> tuple[list[MatchProposal], dict[int, Payment], dict[int, OpenItem]]:
    """Ledger items first (id order), then the payments, then the proposals."""
    rows = list(
        MatchProposal.objects.for_tenant(tenant)
        .filter(pk__in=proposal_ids)
        .values_list("payment_id", "allocations", "deduction")
    )
    payment_ids = sorted({payment_id for payment_id, _, _ in rows})
    item_ids = {int(a["item_id"]) for _, allocations, _ in rows for a in allocations}
    item_ids |= {int(deduction["item_id"]) for _, _, deduction in rows if deduction}
    item_ids |= set(
        Payment.objects.for_tenant(tenant)
        .filter(pk__in=payment_ids, open_item__isnull=False)
        .values_list("open_item_id", flat=True)
    )
    items = _lock_items(tenant, item_ids)
    payments = {
        payment.pk: payment
        for payment in Payment.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .filter(pk__in=payment_ids)
        .order_by("pk")
    }
    proposals = list(
        MatchProposal.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk__in=proposal_ids)
        .order_by("pk")
    )
    return proposals, payments, items


def _problem(
    proposal: MatchProposal,
    payment: Payment,
    customer: Customer | None,
    items: dict[int, OpenItem],
) -> str:
    """Why ``proposal_apply`` would refuse this proposal now, or "". What an
    accepted proposal takes is taken off ``items`` (in memory), so a later
    proposal of the chunk sees what is left."""
    if proposal.status != ProposalStatus.PROPOSED:
        return f"This proposal is already {proposal.get_status_display().lower()}."
    if payment.status not in OPEN_PAYMENT_STATUSES:
        return (
            f"Payment {payment.number} is {payment.get_status_display().lower()}; "
            "nothing more can be applied."
        )
    if customer is None:
        return "The proposal names no customer."
    stale = "The proposal is out of date: "
    if payment.status != PaymentStatus.UNIDENTIFIED and payment.customer_id != customer.pk:
        return f"{stale}payment {payment.number} belongs to {payment.customer}."
    need = _needed(proposal)
    shortfall = _shortfall(proposal, payment, customer, items, need)
    if shortfall:
        return stale + shortfall
    cash_total = sum((_d(a["payment_amount"]) for a in proposal.allocations), ZERO)
    for item_id, amount in need.items():
        items[item_id].open_amount -= amount
    if payment.open_item_id is not None:
        items[payment.open_item_id].open_amount += cash_total
    return ""


def _needed(proposal: MatchProposal) -> dict[int, Decimal]:
    """What the proposal takes off each open item."""
    need: dict[int, Decimal] = defaultdict(Decimal)
    for allocation in proposal.allocations:
        need[int(allocation["item_id"])] += (
            _d(allocation["amount"])
            + _d(allocation.get("discount"))
            + _d(allocation.get("write_off"))
        )
    if proposal.deduction:
        need[int(proposal.deduction["item_id"])] += _d(proposal.deduction["amount"])
    return need


def _shortfall(
    proposal: MatchProposal,
    payment: Payment,
    customer: Customer,
    items: dict[int, OpenItem],
    need: dict[int, Decimal],
) -> str:
    """What is no longer open as the proposal assumed, or ""."""
    for item_id, amount in need.items():
        item = items.get(item_id)
        if item is None or item.customer_id != customer.pk or item.amount <= 0:
            return f"open item {item_id} is not one of {customer}'s open items."
        if amount > item.open_amount:
            return (
                f"{item.number} has {item.open_amount} {item.currency} open, {amount} was proposed."
            )
    cash_total = sum((_d(a["payment_amount"]) for a in proposal.allocations), ZERO)
    available = payment.amount
    if payment.open_item_id is not None:
        available = -items[payment.open_item_id].open_amount
    if cash_total > available:
        return (
            f"payment {payment.number} has {available} {payment.currency} "
            f"unapplied, {cash_total} was proposed."
        )
    return ""


def _apply(
    tenant: Tenant,
    actor: Actor,
    on: date,
    accepted: list[_Accepted],
    items: dict[int, OpenItem],
) -> None:
    _identify(tenant, actor, accepted)
    payment_items = {
        item.pk: item
        for item in OpenItem.objects.for_tenant(tenant).filter(
            pk__in=[a.payment.open_item_id for a in accepted]
        )
    }
    write_offs = _post_write_offs(tenant, actor, on, accepted, items)
    entries: list[ApplyEntry] = []
    rows: list[CashAllocation] = []
    for one in accepted:
        payment_item_id = one.payment.open_item_id or 0
        for allocation in one.proposal.allocations:
            item_id = int(allocation["item_id"])
            amount = _d(allocation["amount"])
            payment_amount = _d(allocation["payment_amount"])
            if amount > 0:
                entries.append(
                    ApplyEntry(
                        debit_item_id=item_id,
                        credit_item_id=payment_item_id,
                        amount=amount,
                        credit_amount=payment_amount,
                        effective_date=on,
                        kind=ApplicationKind.CASH,
                    )
                )
                rows.append(_allocation(one, AllocationKind.CASH, item_id, amount, payment_amount))
            for kind, key, _ in _WRITE_OFF_REASONS:
                value = _d(allocation.get(key))
                if value > 0:
                    entries.append(
                        ApplyEntry(
                            debit_item_id=item_id,
                            credit_item_id=write_offs.pop(0).pk,
                            amount=value,
                            effective_date=on,
                            kind=ApplicationKind.WRITE_OFF,
                        )
                    )
                    rows.append(_allocation(one, kind, item_id, value, ZERO))
    applications = ledger_apply_many(tenant=tenant, actor=actor, entries=entries)
    for row, application in zip(rows, applications, strict=True):
        row.application = application
    CashAllocation.objects.for_tenant(tenant).bulk_create(rows, batch_size=1000)
    touched: list[int] = []
    short: list[tuple[_Run, Customer, dict[str, Any]]] = []
    for one in accepted:
        touched.append(one.payment.open_item_id or 0)
        touched += [int(a["item_id"]) for a in one.proposal.allocations]
        if one.proposal.deduction:
            run = _Run(
                tenant,
                actor,
                on,
                one.payment,
                one.proposal,
                payment_items[one.payment.open_item_id or 0],
                items,
            )
            short.append((run, one.customer, one.proposal.deduction))
    _post_deductions(short)
    for run, _, _ in short:
        touched += run.touched
    invoices_refresh_for_items(tenant=tenant, open_item_ids=touched, actor=actor)
    _sync_statuses(tenant, actor, accepted)
    paid_items: dict[int, list[int]] = {}
    for one in accepted:
        paid_items.setdefault(one.customer.pk, []).extend(
            int(a["item_id"]) for a in one.proposal.allocations if _d(a["amount"]) > 0
        )
    promises_keep_for_paid_items(tenant=tenant, actor=actor, paid_items=paid_items, day=on)
    _close(tenant, actor, accepted)


def _allocation(
    one: _Accepted, kind: str, item_id: int, amount: Decimal, payment_amount: Decimal
) -> CashAllocation:
    return CashAllocation(
        tenant_id=one.payment.tenant_id,
        payment=one.payment,
        proposal=one.proposal,
        kind=kind,
        invoice_item_id=item_id,
        amount=amount,
        payment_amount=payment_amount,
        deduction_id=None,
    )


def _identify(tenant: Tenant, actor: Actor, accepted: list[_Accepted]) -> None:
    """``payment_identify_locked`` for every unidentified payment: its
    customer, and its cash posted to the ledger as unapplied."""
    new = [a for a in accepted if a.payment.status == PaymentStatus.UNIDENTIFIED]
    if not new:
        return
    posted = ledger_items_post_many(
        tenant=tenant,
        actor=actor,
        entries=[
            NewItem(
                customer=a.customer,
                kind=ItemKind.PAYMENT,
                number=a.payment.number,
                currency=a.payment.currency,
                amount=a.payment.amount,
                document_date=a.payment.value_date,
                source_type="collections_app.payment",
                source_id=str(a.payment.pk),
            )
            for a in new
        ],
    )
    now = timezone.now()
    for one, item in zip(new, posted, strict=True):
        transition(one.payment, PaymentStatus.UNAPPLIED)
        one.payment.customer = one.customer
        one.payment.open_item = item
        one.payment.updated_at = now
    # Written with the rest of the payment's changes in _close.
    audit_record_many(
        tenant=tenant,
        actor=actor,
        entries=[
            AuditEntry(
                action="payment.identified",
                instance=a.payment,
                changes={"customer": {"before": None, "after": str(a.customer)}},
            )
            for a in new
        ],
    )


def _post_write_offs(
    tenant: Tenant,
    actor: Actor,
    on: date,
    accepted: list[_Accepted],
    items: dict[int, OpenItem],
) -> list[OpenItem]:
    """The write-off items ``ledger_write_off`` would post, in the order the
    allocations name them."""
    entries: list[NewItem] = []
    for one in accepted:
        for allocation in one.proposal.allocations:
            debit = items[int(allocation["item_id"])]
            for _, key, reason in _WRITE_OFF_REASONS:
                value = _d(allocation.get(key))
                if value > 0:
                    entries.append(
                        NewItem(
                            customer=one.customer,
                            kind=ItemKind.WRITE_OFF,
                            number=f"WO-{debit.number}"[:64],
                            currency=debit.currency,
                            amount=value,
                            document_date=on,
                            rate=debit.fx_rate,
                            source_type="ledger.writeoff",
                            source_id=f"{reason} ({one.payment.number})"[:64],
                        )
                    )
    if not entries:
        return []
    return ledger_items_post_many(tenant=tenant, actor=actor, entries=entries)


def _sync_statuses(tenant: Tenant, actor: Actor, accepted: list[_Accepted]) -> None:
    """``payment_sync_status`` for every payment of the chunk."""
    amounts = {
        pk: (open_amount, amount)
        for pk, open_amount, amount in OpenItem.objects.for_tenant(tenant)
        .filter(pk__in=[a.payment.open_item_id for a in accepted])
        .values_list("pk", "open_amount", "amount")
    }
    changed: list[tuple[Payment, str]] = []
    now = timezone.now()
    for one in accepted:
        payment = one.payment
        open_amount, amount = amounts[payment.open_item_id or 0]
        if open_amount == 0:
            target = PaymentStatus.APPLIED
        elif open_amount == amount:
            target = PaymentStatus.UNAPPLIED
        else:
            target = PaymentStatus.PARTIALLY_APPLIED
        if target != payment.status:
            changed.append((payment, transition(payment, target)))
            payment.updated_at = now
    # Written with the rest of the payment's changes in _close.
    audit_record_many(
        tenant=tenant,
        actor=actor,
        entries=[
            AuditEntry(
                action="payment.status_changed",
                instance=payment,
                changes={"status": {"before": previous, "after": payment.status}},
            )
            for payment, previous in changed
        ],
    )


def _close(tenant: Tenant, actor: Actor, accepted: list[_Accepted]) -> None:
    """``_close_proposal`` with ``auto=True`` for every applied proposal."""
    now = timezone.now()
    MatchProposal.objects.for_tenant(tenant).filter(
        pk__in=[a.proposal.pk for a in accepted]
    ).update(
        status=ProposalStatus.APPLIED,
        auto_applied=True,
        learned=[],
        decided_by=actor.user,
        decided_by_label=actor.label[:200],
        decided_at=now,
    )
    MatchProposal.objects.for_tenant(tenant).filter(
        payment_id__in=[a.payment.pk for a in accepted], status=ProposalStatus.PROPOSED
    ).update(status=ProposalStatus.SUPERSEDED)
    for one in accepted:
        one.payment.match_confidence = one.proposal.confidence
        one.payment.match_summary = one.proposal.explanation[:500]
        one.payment.matched_at = now
    # Every change of the chunk's payments (identified, status, match) in
    # one UPDATE: nothing in between reads the payment rows back.
    rows_update(
        tenant=tenant,
        objs=[a.payment for a in accepted],
        fields=[
            "customer",
            "open_item",
            "status",
            "updated_at",
            "match_confidence",
            "match_summary",
            "matched_at",
        ],
    )
    changes: list[dict[str, Any]] = [
        {
            "proposal": {"before": None, "after": a.proposal.pk},
            "explanation": {"before": None, "after": a.proposal.explanation},
            "learned": {"before": None, "after": []},
        }
        for a in accepted
    ]
    audit_record_many(
        tenant=tenant,
        actor=actor,
        entries=[
            AuditEntry(action="cash.auto_applied", instance=a.payment, changes=change)
            for a, change in zip(accepted, changes, strict=True)
        ],
    )
