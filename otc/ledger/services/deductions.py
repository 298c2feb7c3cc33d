"""Moving open amounts between items without changing what the customer
owes: an invoice's short payment onto a DEDUCTION item (and back), and a
deduction found invalid onto a re-billed DEBIT_MEMO."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from otc.audit.services import Actor, AuditEntry, audit_record_many
from otc.customers.models import Customer
from otc.errors import ConflictError
from otc.fx.money import quantize_money
from otc.ledger.models import (
    Account,
    Application,
    ApplicationKind,
    ItemKind,
    OpenItem,
    Posting,
    PostingLine,
)
from otc.ledger.services._common import (
    LedgerError,
    _closed_on_last_application,
    _Line,
    _locked_items,
    _money,
    _move_open,
    _posting_lines,
    _relieve,
)
from otc.ledger.services.applications import ledger_application_reverse, ledger_apply
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant

DEDUCTION_TRANSFER_SOURCE = "ledger.deduction_transfer"


@dataclass(frozen=True)
class _Taker:
    """The new item that takes an amount over from another (see _move_open_amounts)."""

    kind: str
    number: str
    due_date: date | None
    source_type: str
    source_id: str


@dataclass(frozen=True)
class _Move:
    """One move for ``_move_open_amounts``: `amount` (`base` in the base
    currency) already relieved, in memory, from the locked `source`;
    `source_changes` is the source's open amount before and after."""

    source: OpenItem
    taker: _Taker
    counter_number: str
    counter_source_type: str
    amount: Decimal
    base: Decimal
    effective_date: date
    memo: str
    action: str
    change_key: str
    reason: str
    source_changes: dict[str, Any]


def _move_open_amounts(*, tenant: Tenant, actor: Actor, moves: list[_Move]) -> list[OpenItem]:
    """Move each amount from its source onto a new item the customer owes
    instead; returns the new items, in the order of `moves`.

    A counter item (kind REVERSAL, the kind the ledger keeps for its own
    counter items) settles the source; both new items post against cash
    clearing, so the clearing lines cancel and nothing reaches the P&L. Both
    carry the source's rate and exactly the base amount it is relieved by,
    so the customer's balance is unchanged to the cent, in base currency too.

    Runs inside the caller's transaction, which holds the sources' row locks
    and has already moved their open amounts in memory; everything is
    written with a handful of statements for any number of moves. The
    counters are inserted open and closed by the UPDATE, as a settled item
    is, so the aging history records both steps.
    """
    customers = {
        customer.pk: customer
        for customer in Customer.objects.for_tenant(tenant).filter(
            pk__in={move.source.customer_id for move in moves}
        )
    }
    items = OpenItem.objects.for_tenant(tenant)

    def common(move: _Move) -> dict[str, Any]:
        return {
            "tenant": tenant,
            "customer": customers[move.source.customer_id],
            "currency": move.source.currency,
            "fx_rate": move.source.fx_rate,
            "document_date": move.effective_date,
        }

    new_items = items.bulk_create(
        [
            OpenItem(
                kind=move.taker.kind,
                number=move.taker.number[:64],
                amount=move.amount,
                base_amount=move.base,
                open_amount=move.amount,
                open_base_amount=move.base,
                due_date=move.taker.due_date,
                source_type=move.taker.source_type,
                source_id=move.taker.source_id,
                **common(move),
            )
            for move in moves
        ],
        batch_size=1000,
    )
    counters = items.bulk_create(
        [
            OpenItem(
                kind=ItemKind.REVERSAL,
                number=move.counter_number[:64],
                amount=-move.amount,
                base_amount=-move.base,
                open_amount=-move.amount,
                open_base_amount=-move.base,
                due_date=None,
                source_type=move.counter_source_type,
                source_id=str(new_item.pk),
                **common(move),
            )
            for move, new_item in zip(moves, new_items, strict=True)
        ],
        batch_size=1000,
    )
    postings = Posting.objects.for_tenant(tenant).bulk_create(
        [
            Posting(
                tenant=tenant,
                effective_date=move.effective_date,
                memo=memo[:300],
                created_by=actor.user,
            )
            for move, counter in zip(moves, counters, strict=True)
            for memo in (
                move.memo,
                f"{ApplicationKind.DEDUCTION.label}: {counter.number} to {move.source.number}",
            )
        ],
        batch_size=1000,
    )
    lines: list[PostingLine] = []
    applications: list[Application] = []
    for index, (move, new_item, counter) in enumerate(zip(moves, new_items, counters, strict=True)):
        source, amount, base, currency = move.source, move.amount, move.base, move.source.currency
        moved, settle = postings[2 * index], postings[2 * index + 1]
        for posting, posted in (
            (
                moved,
                [
                    _Line(Account.RECEIVABLE, new_item, currency, amount, base),
                    _Line(Account.CASH_CLEARING, None, currency, -amount, -base),
                    _Line(Account.RECEIVABLE, counter, currency, -amount, -base),
                    _Line(Account.CASH_CLEARING, None, currency, amount, base),
                ],
            ),
            (
                settle,
                [
                    _Line(Account.RECEIVABLE, counter, currency, amount, base),
                    _Line(Account.RECEIVABLE, source, currency, -amount, -base),
                ],
            ),
        ):
            lines += _posting_lines(
                tenant=tenant,
                posting=posting,
                customer=customers[source.customer_id],
                lines=posted,
            )
        applications.append(
            Application(
                tenant=tenant,
                kind=ApplicationKind.DEDUCTION,
                debit_item=source,
                credit_item=counter,
                amount=amount,
                credit_amount=amount,
                debit_base_amount=base,
                credit_base_amount=base,
                fx_gain_base=Decimal(0),
                effective_date=move.effective_date,
                posting=settle,
                created_by=actor.user,
            )
        )
        _move_open(counter, delta=amount, base_delta=base, on=move.effective_date)
    PostingLine.objects.for_tenant(tenant).bulk_create(lines, batch_size=2000)
    Application.objects.for_tenant(tenant).bulk_create(applications, batch_size=1000)
    sources = {move.source.pk: move.source for move in moves}
    _closed_on_last_application(tenant, sources.values())
    rows_update(
        tenant=tenant,
        objs=[*sources.values(), *counters],
        fields=["open_amount", "open_base_amount", "status", "closed_on"],
    )
    audit_record_many(
        tenant=tenant,
        actor=actor,
        entries=[
            AuditEntry(
                action=move.action,
                instance=application,
                changes={
                    **move.source_changes,
                    f"{counter.number}.open_amount": {
                        "before": str(counter.open_amount - move.amount),
                        "after": str(counter.open_amount),
                    },
                    move.change_key: {
                        "before": None,
                        "after": f"{new_item.number} {_money(move.amount, move.source.currency)}",
                    },
                    "reason": {"before": None, "after": move.reason},
                },
            )
            for move, new_item, counter, application in zip(
                moves, new_items, counters, applications, strict=True
            )
        ],
    )
    return new_items


def _source_changes(source: OpenItem, amount: Decimal) -> dict[str, Any]:
    """The source's open amount before and after (moved in memory already)."""
    return {
        f"{source.number}.open_amount": {
            "before": str(source.open_amount + amount),
            "after": str(source.open_amount),
        }
    }


@dataclass(frozen=True)
class DeductionTransfer:
    """One transfer for ``ledger_transfers_to_deduction_many``; the fields
    mean what the keyword arguments of ``ledger_transfer_to_deduction`` mean."""

    debit_item_id: int
    amount: Decimal
    effective_date: date
    number: str
    reason: str
    source_type: str = ""
    source_id: str = ""


def ledger_transfer_to_deduction(
    *,
    tenant: Tenant,
    actor: Actor,
    debit_item_id: int,
    amount: Decimal,
    effective_date: date,
    number: str,
    reason: str,
    source_type: str = "",
    source_id: str = "",
) -> OpenItem:
    """Move `amount` of a debit item (a short-paid invoice) onto a new
    DEDUCTION item: the invoice is settled by that much, the customer owes
    the same total, now as a deduction a deductions analyst works on.

    Mirrors ``ledger_write_off``: a counter item settles the invoice, only
    here the other side of both new items is cash clearing, so the two
    clearing lines cancel and nothing reaches the P&L. The counter item is a
    ledger-created item (kind REVERSAL, the kind the ledger keeps for its own
    counter items) that closes at once; a new item kind would need a ledger
    migration for no gain in what reports read. Both new items carry the
    invoice's rate and exactly the base amount the invoice is relieved by, so
    the customer's balance is unchanged to the cent in the base currency too.

    One entry of ``ledger_transfers_to_deduction_many``.
    """
    (item,) = ledger_transfers_to_deduction_many(
        tenant=tenant,
        actor=actor,
        entries=[
            DeductionTransfer(
                debit_item_id=debit_item_id,
                amount=amount,
                effective_date=effective_date,
                number=number,
                reason=reason,
                source_type=source_type,
                source_id=source_id,
            )
        ],
    )
    return item


def ledger_transfers_to_deduction_many(
    *, tenant: Tenant, actor: Actor, entries: list[DeductionTransfer]
) -> list[OpenItem]:
    """Many transfers at once (a statement's short payments): each entry is
    checked, posted and audited as ``ledger_transfer_to_deduction`` would,
    in order (two on one invoice see what the first left open), written
    with a handful of statements. The invoices are locked first in one
    query, in id order. All or nothing: the first refused entry raises the
    error the single transfer raises. Returns the DEDUCTION items."""
    if not entries:
        return []
    with transaction.atomic():
        debits = _locked_items(tenant, *sorted({entry.debit_item_id for entry in entries}))
        moves: list[_Move] = []
        for entry in entries:
            debit = debits[entry.debit_item_id]
            if debit.amount <= 0 or debit.kind == ItemKind.DEDUCTION:
                raise LedgerError("Only an invoice or debit memo can be moved to a deduction.")
            amount = quantize_money(entry.amount, debit.currency)
            if amount <= 0:
                raise LedgerError("The deduction amount must be greater than zero.")
            if amount > debit.open_amount:
                raise ConflictError(
                    f"{debit.number} has {_money(debit.open_amount, debit.currency)} open; "
                    f"a deduction of {_money(amount, debit.currency)} cannot be taken from it."
                )
            base = _relieve(debit, amount, tenant.base_currency)
            _move_open(debit, delta=-amount, base_delta=-base, on=entry.effective_date)
            moves.append(
                _Move(
                    source=debit,
                    taker=_Taker(
                        kind=ItemKind.DEDUCTION,
                        number=entry.number,
                        due_date=entry.effective_date,
                        source_type=entry.source_type,
                        source_id=entry.source_id,
                    ),
                    counter_number=f"DT-{debit.number}",
                    counter_source_type=DEDUCTION_TRANSFER_SOURCE,
                    amount=amount,
                    base=base,
                    effective_date=entry.effective_date,
                    memo=f"Deduction {entry.number[:64]} from {debit.number}: {entry.reason}",
                    action="ledger.transferred_to_deduction",
                    change_key="deduction",
                    reason=entry.reason,
                    source_changes=_source_changes(debit, amount),
                )
            )
        return _move_open_amounts(tenant=tenant, actor=actor, moves=moves)


def ledger_transfer_to_deduction_reverse(
    *, tenant: Tenant, actor: Actor, deduction_item_id: int, effective_date: date, reason: str
) -> OpenItem:
    """Undo ``ledger_transfer_to_deduction`` while the deduction is still
    untouched: the amount goes back onto the invoice (its settlement is
    reversed) and the deduction item is settled by the counter item, so both
    close. Returns the invoice item."""
    with transaction.atomic():
        counter = (
            OpenItem.objects.for_tenant(tenant)
            .filter(source_type=DEDUCTION_TRANSFER_SOURCE, source_id=str(deduction_item_id))
            .first()
        )
        if counter is None:
            raise LedgerError(f"Open item {deduction_item_id} is not a transferred deduction.")
        settlement = (
            Application.objects.for_tenant(tenant)
            .filter(credit_item=counter, kind=ApplicationKind.DEDUCTION, reverses__isnull=True)
            .first()
        )
        if settlement is None:
            raise LedgerError("The deduction's settlement of the invoice was not found.")
        locked = _locked_items(tenant, deduction_item_id, counter.pk, settlement.debit_item_id)
        deduction = locked[deduction_item_id]
        if deduction.open_amount != deduction.amount:
            raise ConflictError(
                f"{deduction.number} was already worked on; resolve it instead of undoing it."
            )
        ledger_application_reverse(
            tenant=tenant,
            actor=actor,
            application_id=settlement.pk,
            effective_date=effective_date,
            reason=reason,
        )
        ledger_apply(
            tenant=tenant,
            actor=actor,
            debit_item_id=deduction.pk,
            credit_item_id=counter.pk,
            amount=deduction.amount,
            effective_date=effective_date,
            kind=ApplicationKind.DEDUCTION,
        )
        return locked[settlement.debit_item_id]


REBILL_SOURCE = "ledger.deduction_rebill"


def ledger_transfer_from_deduction(
    *,
    tenant: Tenant,
    actor: Actor,
    deduction_item_id: int,
    amount: Decimal,
    effective_date: date,
    due_date: date,
    number: str,
    reason: str,
    source_type: str = "",
    source_id: str = "",
) -> OpenItem:
    """Re-bill `amount` of a DEDUCTION item found invalid: a new DEBIT_MEMO
    item the customer owes (with its own due date, so dunning asks for it)
    takes the amount over and the deduction item is settled by that much.

    The mirror of ``ledger_transfer_to_deduction``: the counter item (kind
    REVERSAL) settles the deduction and both new items post against cash
    clearing, so the clearing lines cancel, nothing reaches the P&L and the
    customer's balance is unchanged to the cent, in base currency too (both
    items carry the deduction's rate and exactly the base amount it is
    relieved by)."""
    with transaction.atomic():
        deduction = _locked_items(tenant, deduction_item_id)[deduction_item_id]
        if deduction.kind != ItemKind.DEDUCTION:
            raise LedgerError("Only a deduction item can be re-billed.")
        amount = quantize_money(amount, deduction.currency)
        if amount <= 0:
            raise LedgerError("The re-billed amount must be greater than zero.")
        if amount > deduction.open_amount:
            raise ConflictError(
                f"{deduction.number} has {_money(deduction.open_amount, deduction.currency)} "
                f"open; {_money(amount, deduction.currency)} cannot be re-billed."
            )
        base = _relieve(deduction, amount, tenant.base_currency)
        _move_open(deduction, delta=-amount, base_delta=-base, on=effective_date)
        (item,) = _move_open_amounts(
            tenant=tenant,
            actor=actor,
            moves=[
                _Move(
                    source=deduction,
                    taker=_Taker(
                        kind=ItemKind.DEBIT_MEMO,
                        number=number,
                        due_date=due_date,
                        source_type=source_type,
                        source_id=source_id,
                    ),
                    counter_number=f"RB-{deduction.number}",
                    counter_source_type=REBILL_SOURCE,
                    amount=amount,
                    base=base,
                    effective_date=effective_date,
                    memo=f"Re-bill {number[:64]} of {deduction.number}: {reason}",
                    action="ledger.deduction_rebilled",
                    change_key="rebill",
                    reason=reason,
                    source_changes=_source_changes(deduction, amount),
                )
            ],
        )
        return item
