"""Posting new open items (invoices, memos, payments, deductions), one or
thousands in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from otc.audit.services import Actor, AuditEntry, audit_record_many
from otc.customers.models import Customer
from otc.fx.money import quantize_money
from otc.fx.selectors import fx_rate
from otc.ledger.models import (
    CREDIT_KINDS,
    DEBIT_KINDS,
    Account,
    ItemKind,
    OpenItem,
    Posting,
    PostingLine,
)
from otc.ledger.services._common import _COUNTER_ACCOUNT, LedgerError, _Line, _posting_lines
from otc.tenancy.models import Tenant


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
