"""Settling a debit item with a credit item: applications (one or a
statement's thousands) and their reversal, and the two writes that post a
new item only to apply it at once, the write-off and the refund."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from otc.audit.services import Actor, AuditEntry, audit_record, audit_record_many
from otc.customers.models import Customer
from otc.errors import ConflictError
from otc.fx.money import quantize_money
from otc.fx.selectors import fx_rate
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
    _post,
    _posting_lines,
    _relieve,
    _set_open,
)
from otc.ledger.services.posting import ledger_item_post
from otc.tenancy.managers import rows_update
from otc.tenancy.models import Tenant


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
        _closed_on_last_application(tenant, items.values())
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
