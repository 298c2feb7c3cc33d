"""What every ledger write shares: the error it raises, how a posting is
written (balanced in the base currency, append-only), locking items in id
order and moving their open amounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import F

from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.fx.money import quantize_money
from otc.ledger.models import (
    Account,
    ItemKind,
    ItemStatus,
    OpenItem,
    Posting,
    PostingLine,
)
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


def _move_open(item: OpenItem, *, delta: Decimal, base_delta: Decimal, on: date) -> None:
    """``_set_open`` in memory only; ``ledger_apply_many`` writes the locked
    rows back in one statement."""
    item.open_amount += delta
    item.open_base_amount += base_delta
    closed = item.open_amount == 0
    item.status = ItemStatus.CLOSED if closed else ItemStatus.OPEN
    item.closed_on = on if closed else None


def _closed_on_last_application(tenant: Tenant, items: Iterable[OpenItem]) -> None:
    """A closed item is closed from the latest effective date of its
    applications on, not from the date of the one that happened to settle
    the rest: a back-dated payment does not close an invoice before the
    partial payment it completes. Run after the batch's applications are
    inserted, before the items are written back."""
    closed = {item.pk: item for item in items if item.closed_on is not None}
    if not closed:
        return
    ids = list(closed)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT item_id, max(effective_date) FROM ("
            " SELECT debit_item_id AS item_id, effective_date FROM ledger_application"
            " WHERE tenant_id = %s AND debit_item_id = ANY(%s)"
            " UNION ALL"
            " SELECT credit_item_id, effective_date FROM ledger_application"
            " WHERE tenant_id = %s AND credit_item_id = ANY(%s)"
            ") applied GROUP BY item_id",
            [tenant.pk, ids, tenant.pk, ids],
        )
        for item_id, latest in cursor.fetchall():
            item = closed[item_id]
            if item.closed_on is not None and latest > item.closed_on:
                item.closed_on = latest
