"""Writing to the AR ledger. Every change here is one transaction that:
locks the items it touches (in id order, so two writers never deadlock),
checks the amounts against the locked rows, writes an append-only posting
that balances in the base currency, updates the open amounts with F()
expressions and writes the audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.customers.models import Customer
from otc.errors import ConflictError, ValidationFailed
from otc.fx.money import quantize_money
from otc.fx.selectors import fx_rate
from otc.ledger import summaries
from otc.ledger.models import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    Account,
    Application,
    ApplicationKind,
    ItemKind,
    ItemStatus,
    OpenItem,
    Posting,
    PostingLine,
)
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant

# Where the other side of a new item is posted.
_COUNTER_ACCOUNT = {
    ItemKind.INVOICE: Account.BILLING_CLEARING,
    ItemKind.DEBIT_MEMO: Account.BILLING_CLEARING,
    ItemKind.CREDIT_MEMO: Account.BILLING_CLEARING,
    ItemKind.DEDUCTION: Account.CASH_CLEARING,
    ItemKind.PAYMENT: Account.CASH_CLEARING,
    ItemKind.WRITE_OFF: Account.WRITE_OFF_EXPENSE,
}


class LedgerError(ValidationFailed):
    """An amount or pairing the ledger refuses; the message says why."""


@dataclass(frozen=True)
class _Line:
    account: Account
    item: OpenItem | None
    currency: str
    amount: Decimal
    base_amount: Decimal


def _posting_lines(
    *, tenant: Tenant, posting: Posting, customer: Customer, lines: list[_Line]
) -> list[PostingLine]:
    """The rows of one posting, unsaved (callers write many postings' rows in
    one INSERT)."""
    return [
        PostingLine(
            tenant=tenant,
            posting=posting,
            account=line.account,
            customer=customer,
            open_item=line.item,
            currency=line.currency,
            amount=line.amount,
            base_amount=line.base_amount,
        )
        for line in lines
    ]


def _post(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    effective_date: date,
    memo: str,
    lines: list[_Line],
    reverses: Posting | None = None,
) -> Posting:
    total = sum((line.base_amount for line in lines), Decimal(0))
    if total != 0:
        # The database checks this again at commit; failing here names the posting.
        raise LedgerError(f"Posting '{memo}' does not balance: {total} in base currency.")
    posting = Posting.objects.for_tenant(tenant).create(
        tenant=tenant,
        effective_date=effective_date,
        memo=memo[:300],
        reverses=reverses,
        created_by=actor.user,
    )
    PostingLine.objects.for_tenant(tenant).bulk_create(
        _posting_lines(tenant=tenant, posting=posting, customer=customer, lines=lines)
    )
    return posting


@dataclass(frozen=True)
class NewItem:
    """One document to post: `amount` as the document shows it (positive);
    the sign follows the kind. `rate` locks the base amount when the caller
    already locked one; otherwise the rate of the document date is used."""

    customer: Customer
    kind: ItemKind
    number: str
    currency: str
    amount: Decimal
    document_date: date
    due_date: date | None = None
    source_type: str = ""
    source_id: str = ""
    rate: Decimal | None = None
    # The base amount (positive) when the caller split a document's base
    # amount itself (installments sum exactly to the document); else
    # amount x rate.
    base_amount: Decimal | None = None


def ledger_item_post(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    kind: ItemKind,
    number: str,
    currency: str,
    amount: Decimal,
    document_date: date,
    due_date: date | None = None,
    source_type: str = "",
    source_id: str = "",
    rate: Decimal | None = None,
) -> OpenItem:
    """Post one new open item (see NewItem)."""
    entry = NewItem(
        customer=customer,
        kind=kind,
        number=number,
        currency=currency,
        amount=amount,
        document_date=document_date,
        due_date=due_date,
        source_type=source_type,
        source_id=source_id,
        rate=rate,
    )
    return ledger_items_post_many(tenant=tenant, actor=actor, entries=[entry])[0]


def ledger_items_post_many(
    *, tenant: Tenant, actor: Actor, entries: list[NewItem]
) -> list[OpenItem]:
    """Post many new open items in one transaction with a handful of
    statements (items, postings, lines and audit events each in one INSERT),
    so issuing thousands of invoices does not cost thousands of round trips.
    Every item gets its own balanced posting, as if posted one by one. All or
    nothing: one refused entry raises LedgerError naming it."""
    prepared: list[tuple[NewItem, Decimal, Decimal, Decimal]] = []
    for index, entry in enumerate(entries):
        where = f"Item {index + 1} ({entry.number})" if len(entries) > 1 else "The item"
        if entry.kind not in DEBIT_KINDS | CREDIT_KINDS:
            raise LedgerError(f"{where}: items of kind '{entry.kind}' are created by the ledger.")
        amount = quantize_money(entry.amount, entry.currency)
        if amount <= 0:
            raise LedgerError(f"{where}: the amount must be greater than zero.")
        if entry.customer.tenant_id != tenant.pk:
            raise LedgerError(f"{where}: the customer does not belong to this tenant.")
        signed = amount if entry.kind in DEBIT_KINDS else -amount
        rate = entry.rate
        if rate is None:
            rate = fx_rate(
                tenant=tenant,
                from_currency=entry.currency,
                to_currency=tenant.base_currency,
                on=entry.document_date,
            ).rate
        base = quantize_money(signed * rate, tenant.base_currency)
        if entry.base_amount is not None:
            base = quantize_money(entry.base_amount, tenant.base_currency).copy_sign(signed)
        prepared.append((entry, signed, rate, base))

    with transaction.atomic():
        items = OpenItem.objects.for_tenant(tenant).bulk_create(
            [
                OpenItem(
                    tenant=tenant,
                    customer=entry.customer,
                    kind=entry.kind,
                    number=entry.number,
                    currency=entry.currency,
                    amount=signed,
                    fx_rate=rate,
                    base_amount=base,
                    open_amount=signed,
                    open_base_amount=base,
                    document_date=entry.document_date,
                    due_date=entry.due_date,
                    source_type=entry.source_type,
                    source_id=entry.source_id,
                )
                for entry, signed, rate, base in prepared
            ],
            batch_size=1000,
        )
        postings = Posting.objects.for_tenant(tenant).bulk_create(
            [
                Posting(
                    tenant=tenant,
                    effective_date=item.document_date,
                    memo=f"{item.get_kind_display()} {item.number}"[:300],
                    created_by=actor.user,
                )
                for item in items
            ],
            batch_size=1000,
        )
        lines: list[PostingLine] = []
        for item, posting, (entry, signed, _, base) in zip(items, postings, prepared, strict=True):
            lines += _posting_lines(
                tenant=tenant,
                posting=posting,
                customer=entry.customer,
                lines=[
                    _Line(Account.RECEIVABLE, item, entry.currency, signed, base),
                    _Line(_COUNTER_ACCOUNT[entry.kind], None, entry.currency, -signed, -base),
                ],
            )
        PostingLine.objects.for_tenant(tenant).bulk_create(lines, batch_size=2000)
        audit_record_many(
            tenant=tenant,
            actor=actor,
            entries=[
                AuditEntry(
                    action="ledger.item_posted",
                    instance=item,
                    changes={"amount": {"before": None, "after": f"{item.amount} {item.currency}"}},
                )
                for item in items
            ],
        )
    return items


def _money(amount: Decimal, currency: str) -> str:
    return f"{quantize_money(amount, currency)} {currency}"


def _locked_items(tenant: Tenant, *item_ids: int) -> dict[int, OpenItem]:
    items = (
        OpenItem.objects.for_tenant(tenant)
        .select_for_update()
        .filter(pk__in=item_ids)
        .order_by("pk")
    )
    found = {item.pk: item for item in items}
    missing = [item_id for item_id in item_ids if item_id not in found]
    if missing:
        raise LedgerError(f"Open item {missing[0]} does not exist.")
    return found


def _relieve(item: OpenItem, amount: Decimal, base_currency: str) -> Decimal:
    """The base amount that settling `amount` (towards zero, in the item's
    own sign) takes off the item. Closing an item takes exactly what is left,
    so rounding never leaves a cent behind in base currency."""
    if amount == item.open_amount:
        return item.open_base_amount
    return quantize_money(amount * item.fx_rate, base_currency)


def _set_open(item: OpenItem, *, delta: Decimal, base_delta: Decimal, on: date) -> None:
    """Move the item's open amounts by the deltas and keep status in step."""
    new_open = item.open_amount + delta
    closed = new_open == 0
    OpenItem.objects.for_tenant(item.tenant).filter(pk=item.pk).update(
        open_amount=F("open_amount") + delta,
        open_base_amount=F("open_base_amount") + base_delta,
        status=ItemStatus.CLOSED if closed else ItemStatus.OPEN,
        closed_on=on if closed else None,
    )
    item.open_amount = new_open
    item.open_base_amount += base_delta
    item.status = ItemStatus.CLOSED if closed else ItemStatus.OPEN
    item.closed_on = on if closed else None


def ledger_apply(
    *,
    tenant: Tenant,
    actor: Actor,
    debit_item_id: int,
    credit_item_id: int,
    amount: Decimal,
    effective_date: date,
    kind: ApplicationKind,
    credit_amount: Decimal | None = None,
) -> Application:
    """Settle `amount` of a debit item with a credit item of the same customer.

    Same currency: `credit_amount` is `amount`. Different currencies (a
    payment in USD for an invoice in EUR): the caller says how much of the
    credit item's currency it took, `credit_amount`.

    One entry of ``ledger_apply_many``: one set of checks and postings for a
    single application and for a statement's thousands.
    """
    (application,) = ledger_apply_many(
        tenant=tenant,
        actor=actor,
        entries=[
            ApplyEntry(
                debit_item_id=debit_item_id,
                credit_item_id=credit_item_id,
                amount=amount,
                effective_date=effective_date,
                kind=kind,
                credit_amount=credit_amount,
            )
        ],
    )
    return application


def _open_changes(
    debit: OpenItem, credit: OpenItem, amount: Decimal, credit_amount: Decimal
) -> dict[str, Any]:
    return {
        f"{debit.number}.open_amount": {
            "before": str(debit.open_amount + amount),
            "after": str(debit.open_amount),
        },
        f"{credit.number}.open_amount": {
            "before": str(credit.open_amount - credit_amount),
            "after": str(credit.open_amount),
        },
    }


def ledger_application_reverse(
    *, tenant: Tenant, actor: Actor, application_id: int, effective_date: date, reason: str
) -> Application:
    """Undo an application with a negative one and a reversing posting."""
    with transaction.atomic():
        original = Application.objects.for_tenant(tenant).filter(pk=application_id).first()
        if original is None:
            raise LedgerError(f"Application {application_id} does not exist.")
        if original.reverses_id is not None:
            raise LedgerError("A reversal cannot itself be reversed; apply again instead.")
        # Applications are append-only (no row lock on them); locking both
        # items serialises concurrent reversals of the same application.
        items = _locked_items(tenant, original.debit_item_id, original.credit_item_id)
        if Application.objects.for_tenant(tenant).filter(reverses=original).exists():
            raise ConflictError("This application was already reversed.")
        debit, credit = items[original.debit_item_id], items[original.credit_item_id]
        original_lines = list(original.posting.lines.all())
        posting = _post(
            tenant=tenant,
            actor=actor,
            customer=debit.customer,
            effective_date=effective_date,
            memo=f"Reversal of application {original.pk}: {reason}",
            lines=[
                _Line(
                    Account(line.account),
                    line.open_item,
                    line.currency,
                    -line.amount,
                    -line.base_amount,
                )
                for line in original_lines
            ],
            reverses=original.posting,
        )
        reversal = Application.objects.for_tenant(tenant).create(
            tenant=tenant,
            kind=original.kind,
            debit_item=debit,
            credit_item=credit,
            amount=-original.amount,
            credit_amount=-original.credit_amount,
            debit_base_amount=-original.debit_base_amount,
            credit_base_amount=-original.credit_base_amount,
            fx_gain_base=-original.fx_gain_base,
            effective_date=effective_date,
            reverses=original,
            posting=posting,
            created_by=actor.user,
        )
        _set_open(
            debit, delta=original.amount, base_delta=original.debit_base_amount, on=effective_date
        )
        _set_open(
            credit,
            delta=-original.credit_amount,
            base_delta=-original.credit_base_amount,
            on=effective_date,
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="ledger.application_reversed",
            instance=reversal,
            changes={"reason": {"before": None, "after": reason}},
        )
    return reversal


def ledger_item_reverse(
    *, tenant: Tenant, actor: Actor, item_id: int, effective_date: date, reason: str
) -> OpenItem:
    """Cancel a posted item that nothing was applied to: a counter item of
    the opposite sign at the same rate is posted and applied to it, so both
    end closed and the history shows what happened."""
    with transaction.atomic():
        item = _locked_items(tenant, item_id)[item_id]
        if item.kind == ItemKind.REVERSAL or hasattr(item, "reversed_by"):
            raise ConflictError(f"{item.number} is already a reversal or reversed.")
        if item.open_amount != item.amount:
            raise ConflictError(f"{item.number} has applications; reverse those first.")
        counter = OpenItem.objects.for_tenant(tenant).create(
            tenant=tenant,
            customer=item.customer,
            kind=ItemKind.REVERSAL,
            number=f"REV-{item.number}"[:64],
            currency=item.currency,
            amount=-item.amount,
            fx_rate=item.fx_rate,
            base_amount=-item.base_amount,
            open_amount=-item.amount,
            open_base_amount=-item.base_amount,
            document_date=effective_date,
            due_date=None,
            source_type=item.source_type,
            source_id=item.source_id,
            reverses=item,
        )
        original_posting = (
            Posting.objects.for_tenant(tenant)
            .filter(lines__open_item=item, reverses__isnull=True)
            .order_by("pk")
            .first()
        )
        _post(
            tenant=tenant,
            actor=actor,
            customer=item.customer,
            effective_date=effective_date,
            memo=f"Reversal of {item.number}: {reason}",
            lines=[
                _Line(Account.RECEIVABLE, counter, item.currency, -item.amount, -item.base_amount),
                _Line(
                    _COUNTER_ACCOUNT[ItemKind(item.kind)],
                    None,
                    item.currency,
                    item.amount,
                    item.base_amount,
                ),
            ],
            reverses=original_posting,
        )
        debit, credit = (item, counter) if item.amount > 0 else (counter, item)
        settle = _post(
            tenant=tenant,
            actor=actor,
            customer=item.customer,
            effective_date=effective_date,
            memo=f"Reversal settles {item.number}",
            lines=[
                _Line(
                    Account.RECEIVABLE, credit, credit.currency, -credit.amount, -credit.base_amount
                ),
                _Line(Account.RECEIVABLE, debit, debit.currency, -debit.amount, -debit.base_amount),
            ],
        )
        Application.objects.for_tenant(tenant).create(
            tenant=tenant,
            kind=ApplicationKind.REVERSAL,
            debit_item=debit,
            credit_item=credit,
            amount=debit.amount,
            credit_amount=-credit.amount,
            debit_base_amount=debit.base_amount,
            credit_base_amount=-credit.base_amount,
            fx_gain_base=Decimal(0),
            effective_date=effective_date,
            posting=settle,
            created_by=actor.user,
        )
        for closed in (debit, credit):
            _set_open(
                closed,
                delta=-closed.open_amount,
                base_delta=-closed.open_base_amount,
                on=effective_date,
            )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="ledger.item_reversed",
            instance=item,
            changes={
                "status": {"before": "open", "after": "reversed"},
                "reason": {"before": None, "after": reason},
            },
        )
    return counter


def ledger_write_off(
    *,
    tenant: Tenant,
    actor: Actor,
    debit_item_id: int,
    amount: Decimal,
    effective_date: date,
    reason: str,
) -> Application:
    """Write off part or all of a debit item: a write-off item is posted
    against the expense account and applied to it."""
    with transaction.atomic():
        debit = _locked_items(tenant, debit_item_id)[debit_item_id]
        write_off = ledger_item_post(
            tenant=tenant,
            actor=actor,
            customer=debit.customer,
            kind=ItemKind.WRITE_OFF,
            number=f"WO-{debit.number}"[:64],
            currency=debit.currency,
            amount=amount,
            document_date=effective_date,
            rate=debit.fx_rate,
            source_type="ledger.writeoff",
            source_id=reason[:64],
        )
        return ledger_apply(
            tenant=tenant,
            actor=actor,
            debit_item_id=debit.pk,
            credit_item_id=write_off.pk,
            amount=amount,
            effective_date=effective_date,
            kind=ApplicationKind.WRITE_OFF,
        )


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


REFUNDABLE_KINDS = frozenset({ItemKind.PAYMENT, ItemKind.CREDIT_MEMO})


def ledger_refund(
    *,
    tenant: Tenant,
    actor: Actor,
    credit_item_id: int,
    amount: Decimal,
    effective_date: date,
    number: str,
    source_type: str = "",
    source_id: str = "",
) -> Application:
    """Pay `amount` of a customer's credit (unapplied cash or a credit memo)
    back to them: a REFUND item (an outgoing payment, posted against cash
    clearing at the rate of its date) is applied to the credit item at once,
    so the credit is used up and the customer's balance rises by the amount.
    The realised FX difference between the credit's locked rate and today's
    is posted as any application posts it."""
    with transaction.atomic():
        credit = _locked_items(tenant, credit_item_id)[credit_item_id]
        if credit.kind not in REFUNDABLE_KINDS:
            raise LedgerError("Only unapplied cash or a credit memo can be refunded.")
        amount = quantize_money(amount, credit.currency)
        if amount <= 0:
            raise LedgerError("The refunded amount must be greater than zero.")
        if amount > -credit.open_amount:
            raise ConflictError(
                f"{credit.number} has {_money(-credit.open_amount, credit.currency)} open; "
                f"{_money(amount, credit.currency)} cannot be refunded."
            )
        rate = fx_rate(
            tenant=tenant,
            from_currency=credit.currency,
            to_currency=tenant.base_currency,
            on=effective_date,
        ).rate
        base = quantize_money(amount * rate, tenant.base_currency)
        refund = OpenItem.objects.for_tenant(tenant).create(
            tenant=tenant,
            customer=credit.customer,
            kind=ItemKind.REFUND,
            number=number[:64],
            currency=credit.currency,
            amount=amount,
            fx_rate=rate,
            base_amount=base,
            open_amount=amount,
            open_base_amount=base,
            document_date=effective_date,
            source_type=source_type,
            source_id=source_id,
        )
        _post(
            tenant=tenant,
            actor=actor,
            customer=credit.customer,
            effective_date=effective_date,
            memo=f"{ItemKind.REFUND.label} {refund.number} of {credit.number}",
            lines=[
                _Line(Account.RECEIVABLE, refund, credit.currency, amount, base),
                _Line(Account.CASH_CLEARING, None, credit.currency, -amount, -base),
            ],
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="ledger.item_posted",
            instance=refund,
            changes={"amount": {"before": None, "after": f"{refund.amount} {refund.currency}"}},
        )
        return ledger_apply(
            tenant=tenant,
            actor=actor,
            debit_item_id=refund.pk,
            credit_item_id=credit.pk,
            amount=amount,
            effective_date=effective_date,
            kind=ApplicationKind.REFUND,
        )


@dataclass(frozen=True)
class ApplyEntry:
    """One application for ``ledger_apply_many``; the fields mean what the
    keyword arguments of ``ledger_apply`` mean."""

    debit_item_id: int
    credit_item_id: int
    amount: Decimal
    effective_date: date
    kind: ApplicationKind
    credit_amount: Decimal | None = None


def ledger_apply_many(
    *, tenant: Tenant, actor: Actor, entries: list[ApplyEntry]
) -> list[Application]:
    """Many applications at once (``ledger_apply`` is one of them): each
    entry is checked, posted and audited as if applied one by one in order,
    written with a handful of statements. Every item involved is
    locked first in one query, in id order (the ledger's lock order, so a
    batch and a single application never deadlock). All or nothing: the first
    refused entry raises the error ``ledger_apply`` would raise for it."""
    if not entries:
        return []
    base_currency = tenant.base_currency
    with transaction.atomic():
        ids = sorted({e.debit_item_id for e in entries} | {e.credit_item_id for e in entries})
        items = _locked_items(tenant, *ids)
        customers = {
            customer.pk: customer
            for customer in Customer.objects.for_tenant(tenant).filter(
                pk__in={item.customer_id for item in items.values()}
            )
        }
        planned: list[tuple[ApplyEntry, Decimal, Decimal, Decimal, Decimal, dict[str, Any]]] = []
        for entry in entries:
            debit, credit = items[entry.debit_item_id], items[entry.credit_item_id]
            amount, credit_amount = _checked_amounts(debit, credit, entry)
            debit_base = _relieve(debit, amount, base_currency)
            credit_base = -_relieve(credit, -credit_amount, base_currency)
            # Moved in memory as ledger_apply moves them, so the next entry
            # on the same item sees what this one left open.
            _move_open(debit, delta=-amount, base_delta=-debit_base, on=entry.effective_date)
            _move_open(credit, delta=credit_amount, base_delta=credit_base, on=entry.effective_date)
            changes = _open_changes(debit, credit, amount, credit_amount)
            planned.append((entry, amount, credit_amount, debit_base, credit_base, changes))
        postings = Posting.objects.for_tenant(tenant).bulk_create(
            [
                Posting(
                    tenant=tenant,
                    effective_date=entry.effective_date,
                    memo=(
                        f"{ApplicationKind(entry.kind).label}: "
                        f"{items[entry.credit_item_id].number} to "
                        f"{items[entry.debit_item_id].number}"
                    )[:300],
                    created_by=actor.user,
                )
                for entry, *_ in planned
            ],
            batch_size=1000,
        )
        lines: list[PostingLine] = []
        applications: list[Application] = []
        for posting, (entry, amount, credit_amount, debit_base, credit_base, _) in zip(
            postings, planned, strict=True
        ):
            debit, credit = items[entry.debit_item_id], items[entry.credit_item_id]
            fx_gain = credit_base - debit_base
            posted = [
                _Line(Account.RECEIVABLE, credit, credit.currency, credit_amount, credit_base),
                _Line(Account.RECEIVABLE, debit, debit.currency, -amount, -debit_base),
            ]
            if fx_gain:
                posted.append(_Line(Account.FX_GAIN_LOSS, None, base_currency, -fx_gain, -fx_gain))
            lines += _posting_lines(
                tenant=tenant, posting=posting, customer=customers[debit.customer_id], lines=posted
            )
            applications.append(
                Application(
                    tenant=tenant,
                    kind=entry.kind,
                    debit_item=debit,
                    credit_item=credit,
                    amount=amount,
                    credit_amount=credit_amount,
                    debit_base_amount=debit_base,
                    credit_base_amount=credit_base,
                    fx_gain_base=fx_gain,
                    effective_date=entry.effective_date,
                    posting=posting,
                    created_by=actor.user,
                )
            )
        PostingLine.objects.for_tenant(tenant).bulk_create(lines, batch_size=2000)
        Application.objects.for_tenant(tenant).bulk_create(applications, batch_size=1000)
        rows_update(
            tenant=tenant,
            objs=list(items.values()),
            fields=["open_amount", "open_base_amount", "status", "closed_on"],
        )
        audit_record_many(
            tenant=tenant,
            actor=actor,
            entries=[
                AuditEntry(action="ledger.applied", instance=application, changes=changes)
                for application, (*_, changes) in zip(applications, planned, strict=True)
            ],
        )
    return applications


def _checked_amounts(
    debit: OpenItem, credit: OpenItem, entry: ApplyEntry
) -> tuple[Decimal, Decimal]:
    """The amounts of one entry, or the error that refuses it."""
    if not (debit.amount > 0 and credit.amount < 0):
        raise LedgerError("Apply a credit item (payment, credit memo) to a debit item (invoice).")
    if debit.customer_id != credit.customer_id:
        raise LedgerError("Both items must belong to the same customer.")
    amount = quantize_money(entry.amount, debit.currency)
    credit_amount = entry.credit_amount
    if credit_amount is None:
        if debit.currency != credit.currency:
            raise LedgerError(
                f"The items are in {debit.currency} and {credit.currency}: "
                "say how much of the credit item's currency is applied."
            )
        credit_amount = amount
    credit_amount = quantize_money(credit_amount, credit.currency)
    if amount <= 0 or credit_amount <= 0:
        raise LedgerError("The applied amount must be greater than zero.")
    if amount > debit.open_amount:
        raise ConflictError(
            f"{debit.number} has {_money(debit.open_amount, debit.currency)} open; "
            f"{_money(amount, debit.currency)} cannot be applied."
        )
    if credit_amount > -credit.open_amount:
        raise ConflictError(
            f"{credit.number} has {_money(-credit.open_amount, credit.currency)} available; "
            f"{_money(credit_amount, credit.currency)} cannot be applied."
        )
    return amount, credit_amount


def _move_open(item: OpenItem, *, delta: Decimal, base_delta: Decimal, on: date) -> None:
    """``_set_open`` in memory only; ``ledger_apply_many`` writes the locked
    rows back in one statement."""
    item.open_amount += delta
    item.open_base_amount += base_delta
    closed = item.open_amount == 0
    item.status = ItemStatus.CLOSED if closed else ItemStatus.OPEN
    item.closed_on = on if closed else None


def ledger_summaries_fold(*, tenant: Tenant) -> bool:
    """Fold the rows the triggers append to the reporting summaries into one
    per key (otc.ledger.summaries); figures stay the same, reads get faster."""
    return summaries.reporting_summaries_fold(tenant=tenant)
