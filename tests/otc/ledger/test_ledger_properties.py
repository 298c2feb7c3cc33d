"""Ledger invariants under random sequences of post / apply / reverse /
write-off (DESIGN.md §4), checked after every step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otc.customers.models import Customer
from otc.errors import ConflictError
from otc.ledger.models import (
    Application,
    ApplicationKind,
    ItemKind,
    ItemStatus,
    OpenItem,
    PostingLine,
)
from otc.ledger.selectors import aging_by_customer, customer_balance, open_items_as_of
from otc.ledger.services import (
    ApplyEntry,
    LedgerError,
    ledger_application_reverse,
    ledger_apply,
    ledger_apply_many,
    ledger_item_post,
    ledger_item_reverse,
    ledger_transfer_to_deduction,
    ledger_write_off,
)
from tests.otc.ledger.conftest import SYSTEM, make_customer

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


@dataclass(frozen=True)
class Post:
    customer: int
    kind: ItemKind
    currency: str
    amount: Decimal


@dataclass(frozen=True)
class Apply:
    debit: int
    credit: int
    fraction: Decimal  # of the smaller open amount; > 1 tries to over-apply
    batched: bool = False  # through ledger_apply_many, split in two entries


@dataclass(frozen=True)
class ReverseApplication:
    index: int


@dataclass(frozen=True)
class ReverseItem:
    index: int


@dataclass(frozen=True)
class WriteOff:
    index: int
    amount: Decimal


@dataclass(frozen=True)
class ToDeduction:
    index: int
    amount: Decimal


operations = st.lists(
    st.one_of(
        st.builds(
            Post,
            customer=st.integers(0, 1),
            kind=st.sampled_from(
                [ItemKind.INVOICE, ItemKind.DEBIT_MEMO, ItemKind.PAYMENT, ItemKind.CREDIT_MEMO]
            ),
            currency=st.sampled_from(["EUR", "USD", "JPY"]),
            amount=amounts,
        ),
        st.builds(
            Apply,
            debit=st.integers(0, 50),
            credit=st.integers(0, 50),
            fraction=st.sampled_from(
                [Decimal("0.25"), Decimal("0.5"), Decimal("1"), Decimal("1.5")]
            ),
            batched=st.booleans(),
        ),
        st.builds(ReverseApplication, index=st.integers(0, 50)),
        st.builds(ReverseItem, index=st.integers(0, 50)),
        st.builds(WriteOff, index=st.integers(0, 50), amount=amounts),
        st.builds(ToDeduction, index=st.integers(0, 50), amount=amounts),
    ),
    min_size=1,
    max_size=30,
)


def _rate(currency: str, day: date) -> Decimal:
    """A rate that moves every day, so applications realise FX differences."""
    wobble = Decimal(day.toordinal() % 17) / 100
    return {
        "EUR": Decimal(1),
        "USD": Decimal("0.80") + wobble,
        "JPY": Decimal("0.0061") + wobble / 100,
    }[currency]


class _RollbackError(Exception):
    pass


def _check_invariants(tenant, customers) -> None:
    for item in OpenItem.objects.all():
        debit = Application.objects.filter(debit_item=item).aggregate(s=Sum("amount"))["s"] or 0
        credit = (
            Application.objects.filter(credit_item=item).aggregate(s=Sum("credit_amount"))["s"] or 0
        )
        # open = amount - applications (credit_items carry a negative amount)
        assert item.open_amount == item.amount - debit + credit
        # never over-applied, never past zero
        if item.amount > 0:
            assert 0 <= item.open_amount <= item.amount
        else:
            assert item.amount <= item.open_amount <= 0
        assert (item.status == ItemStatus.CLOSED) == (item.open_amount == 0)
    for customer in customers:
        balance = customer_balance(tenant=tenant, customer=customer)
        items = OpenItem.objects.filter(customer=customer)
        by_currency = {}
        for row in items.values("currency").annotate(s=Sum("open_amount")):
            if row["s"]:
                by_currency[row["currency"]] = row["s"]
        assert {k: v for k, v in balance.by_currency.items() if v} == by_currency
        base = items.aggregate(s=Sum("open_base_amount"))["s"] or 0
        assert balance.base == base
        receivable = PostingLine.objects.filter(customer=customer, account="receivable")
        assert (receivable.aggregate(s=Sum("base_amount"))["s"] or 0) == balance.base
    for posting_total in PostingLine.objects.values("posting").annotate(s=Sum("base_amount")):
        assert posting_total["s"] == 0


def _snapshot(tenant, as_of):
    rows = list(open_items_as_of(tenant=tenant, as_of=as_of))
    aging = aging_by_customer(tenant=tenant, as_of=as_of)
    # The aging (one SQL pass) and the item list (ORM) agree per customer.
    by_customer = {}
    for item in rows:
        by_customer[item.customer_id] = by_customer.get(item.customer_id, 0) + item.open_base_as_of
    assert {row.customer_id: row.total for row in aging.rows} == by_customer
    # One customer's aging (which reads only that customer's applications)
    # is exactly its row of the whole book.
    for row in aging.rows:
        customer = Customer.objects.get(pk=row.customer_id)
        (alone,) = aging_by_customer(tenant=tenant, as_of=as_of, customer=customer).rows
        assert (alone.buckets, alone.unapplied) == (row.buckets, row.unapplied)
    return (
        sorted((item.pk, item.open_as_of, item.open_base_as_of) for item in rows),
        [(row.customer_id, row.buckets, row.unapplied) for row in aging.rows],
    )


def _apply(tenant, op: Apply, debit, credit, day: date) -> None:
    if debit.currency == credit.currency and debit.customer_id == credit.customer_id:
        room = min(debit.open_amount, -credit.open_amount)
        amount = (room * op.fraction).quantize(Decimal("0.01"))
        first = (amount / 2).quantize(Decimal("0.01"))
        if amount > 0 and op.batched and 0 < first < amount:
            # Two entries on the same pair: the second must see
            # what the first left open.
            ledger_apply_many(
                tenant=tenant,
                actor=SYSTEM,
                entries=[
                    ApplyEntry(debit.pk, credit.pk, part, day, ApplicationKind.CASH)
                    for part in (first, amount - first)
                ],
            )
        elif amount > 0:
            ledger_apply(
                tenant=tenant,
                actor=SYSTEM,
                debit_item_id=debit.pk,
                credit_item_id=credit.pk,
                amount=amount,
                effective_date=day,
                kind=ApplicationKind.CASH,
            )


def _run(tenant, customers, ops) -> None:
    day = START
    history: list[tuple[date, object]] = []
    for number, op in enumerate(ops):
        day += timedelta(days=3)
        items = list(OpenItem.objects.order_by("pk"))
        debit_items = [i for i in items if i.amount > 0]
        credit_items = [i for i in items if i.amount < 0]
        try:
            if isinstance(op, Post):
                ledger_item_post(
                    tenant=tenant,
                    actor=SYSTEM,
                    customer=customers[op.customer],
                    kind=op.kind,
                    number=f"N{number}",
                    currency=op.currency,
                    amount=op.amount,
                    document_date=day,
                    due_date=day + timedelta(days=30),
                    rate=_rate(op.currency, day),
                )
            elif isinstance(op, Apply) and debit_items and credit_items:
                debit, credit = (
                    debit_items[op.debit % len(debit_items)],
                    credit_items[op.credit % len(credit_items)],
                )
                _apply(tenant, op, debit, credit, day)
            elif isinstance(op, ReverseApplication):
                applications = list(
                    Application.objects.filter(
                        reverses__isnull=True, amount__gt=0, kind=ApplicationKind.CASH
                    ).order_by("pk")
                )
                if applications:
                    ledger_application_reverse(
                        tenant=tenant,
                        actor=SYSTEM,
                        application_id=applications[op.index % len(applications)].pk,
                        effective_date=day,
                        reason="property test",
                    )
            elif isinstance(op, ReverseItem) and items:
                ledger_item_reverse(
                    tenant=tenant,
                    actor=SYSTEM,
                    item_id=items[op.index % len(items)].pk,
                    effective_date=day,
                    reason="property test",
                )
            elif isinstance(op, WriteOff) and debit_items:
                ledger_write_off(
                    tenant=tenant,
                    actor=SYSTEM,
                    debit_item_id=debit_items[op.index % len(debit_items)].pk,
                    amount=op.amount,
                    effective_date=day,
                    reason="property test",
                )
            elif isinstance(op, ToDeduction) and debit_items:
                ledger_transfer_to_deduction(
                    tenant=tenant,
                    actor=SYSTEM,
                    debit_item_id=debit_items[op.index % len(debit_items)].pk,
                    amount=op.amount,
                    effective_date=day,
                    number=f"DED{number}",
                    reason="property test",
                )
        except (ConflictError, LedgerError):
            pass  # refused cleanly; the invariants must still hold
        _check_invariants(tenant, customers)
        history.append((day, _snapshot(tenant, day)))
    # History as of each past date is unchanged by everything dated after it.
    for as_of, snapshot in history:
        assert _snapshot(tenant, as_of) == snapshot


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_ledger_invariants_hold_for_any_sequence(ledger_a, ops):
    tenant, customer = ledger_a
    try:
        with transaction.atomic():
            other = make_customer(tenant, "C-PROP")
            _run(tenant, [customer, other], ops)
            raise _RollbackError
    except _RollbackError:
        pass
