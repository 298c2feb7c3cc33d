"""Invoices issued under split payment terms (e.g. 3X30: 30/30/40 % at
30/60/90 days): how the amount is divided, and the rows that tie each part
to its own ledger open item. Plain functions over models, used by the
issuing service and the document builder alike (so it sits outside
``invoicing.services``, which imports the document builder).

Rounding rule: each part is amount x share rounded half-up to the currency's
minor unit, and the last part takes the remainder, so the parts always sum
exactly to the document. The base-currency amount is divided the same way,
so the parts' base amounts sum exactly to the document's base amount too
(rounding each part's own amount x rate would not).

Never split: credit memos (never due), debit memos, documents whose due date
was set by hand (the person chose one date), and imported open balances
(they arrive as one open item from the old system).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from invoicing.models import Invoice, InvoiceInstallment, InvoiceKind, InvoiceOrigin
from otc.customers.selectors import payment_terms_schedule
from otc.errors import ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.models import OpenItem
from otc.tenancy.models import Tenant

HUNDRED = Decimal(100)


def split_by_shares(*, amount: Decimal, shares: Sequence[Decimal], currency: str) -> list[Decimal]:
    """`amount` divided by percentage `shares` (summing to 100): each part
    rounded to the currency's minor unit, the last taking the remainder."""
    if not shares:
        return [amount]
    parts = [quantize_money(amount * share / HUNDRED, currency) for share in shares[:-1]]
    parts.append(amount - sum(parts, Decimal(0)))
    return parts


@dataclass(frozen=True)
class PlannedInstallment:
    sequence: int
    share_percent: Decimal
    due_date: date
    amount: Decimal
    base_amount: Decimal


def is_split(invoice: Invoice) -> bool:
    terms = invoice.payment_terms
    return (
        invoice.kind == InvoiceKind.INVOICE
        and invoice.origin != InvoiceOrigin.IMPORT
        and not invoice.due_date_manual
        and terms is not None
        and terms.installment_count > 0
    )


def installment_plan(
    *, tenant: Tenant, invoice: Invoice, rate: Decimal
) -> list[PlannedInstallment]:
    """The parts an invoice about to be issued falls due in, with their
    amounts in its currency and in the tenant's base currency at `rate`;
    [] when it is owed as one item. An amount too small to give every part
    at least one minor unit is refused."""
    if not is_split(invoice) or invoice.issue_date is None or invoice.payment_terms is None:
        return []
    schedule = payment_terms_schedule(terms=invoice.payment_terms, document_date=invoice.issue_date)
    shares = [part.share_percent for part in schedule]
    currency = str(invoice.currency)
    base_currency = str(tenant.base_currency)
    amounts = split_by_shares(amount=invoice.gross_amount, shares=shares, currency=currency)
    base_total = quantize_money(invoice.gross_amount * rate, base_currency)
    bases = split_by_shares(amount=base_total, shares=shares, currency=base_currency)
    empty = [index for index, part in enumerate(amounts) if part <= 0]
    if empty:
        raise ValidationFailed(
            f"{invoice} is too small to split into {len(amounts)} installments.",
            errors={
                "payment_terms": [
                    (
                        f"{invoice.gross_amount} {currency} split by "
                        f"{invoice.payment_terms.code} leaves installment {empty[0] + 1} "
                        "with nothing to pay: choose payment terms without installments "
                        "for this invoice."
                    )
                ]
            },
        )
    return [
        PlannedInstallment(
            sequence=part.sequence,
            share_percent=part.share_percent,
            due_date=part.due_date,
            amount=amount,
            base_amount=base,
        )
        for part, amount, base in zip(schedule, amounts, bases, strict=True)
    ]


def installment_rows(
    *, tenant: Tenant, invoice: Invoice, plan: Sequence[PlannedInstallment], items: list[OpenItem]
) -> list[InvoiceInstallment]:
    """The rows tying an issued invoice's parts to their ledger items (to
    bulk-create, with other invoices' rows)."""
    return [
        InvoiceInstallment(
            tenant=tenant,
            invoice=invoice,
            sequence=part.sequence,
            share_percent=part.share_percent,
            due_date=part.due_date,
            amount=part.amount,
            base_amount=abs(item.base_amount),
            open_item=item,
        )
        for part, item in zip(plan, items, strict=True)
    ]
