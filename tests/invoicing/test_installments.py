"""Invoices issued under split payment terms (installments): splitting to the
cent, one ledger item per part, status and overdue read over all parts,
credit memos and cancellation settling the earliest-due part first, and the
cases that are never split."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing.installments import split_by_shares
from invoicing.models import Invoice, InvoiceInstallment
from invoicing.selectors import (
    invoice_installment_rows,
    invoice_list,
    invoice_open_items,
    with_open_amounts,
)
from invoicing.services import (
    credit_memo_create,
    invoice_cancel,
    invoice_issue_many,
    invoices_refresh_for_items,
)
from otc.customers.services import payment_terms_create
from otc.errors import ValidationFailed
from otc.ledger.models import Application, ApplicationKind, ItemKind, OpenItem
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.invoicing.conftest import FEB, JAN
from tests.invoicing.factories import SYSTEM, draft_invoice, issued_invoice, line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def three_x_30(tenant_a):
    """3X30: 30/30/40 % at 30/60/90 days."""
    with tenant_context(tenant_a):
        return payment_terms_create(
            tenant=tenant_a,
            actor=SYSTEM,
            code="3X30",
            name="3 installments: 30/30/40 % at 30/60/90 days",
            net_days=90,
            installments=[
                {"share_percent": D(30), "net_days": 30, "kind": "net"},
                {"share_percent": D(30), "net_days": 60, "kind": "net"},
                {"share_percent": D(40), "net_days": 90, "kind": "net"},
            ],
        )


def _pay(tenant, customer, item, amount, day, currency="USD"):
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{item.pk}-{amount}",
        currency=currency,
        amount=D(amount),
        document_date=day,
    )
    application = ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=item.pk,
        credit_item_id=payment.pk,
        amount=D(amount),
        effective_date=day,
        kind=ApplicationKind.CASH,
    )
    invoices_refresh_for_items(tenant=tenant, open_item_ids=[item.pk])
    return application


def _items(tenant, invoice):
    return invoice_open_items(tenant=tenant, invoice_ids=[invoice.pk])[invoice.pk]


# --- splitting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shares", "currency", "parts"),
    [
        ("1190.00", [30, 30, 40], "USD", ["357.00", "357.00", "476.00"]),
        ("100.00", ["33.33", "33.33", "33.34"], "EUR", ["33.33", "33.33", "33.34"]),
        # Rounded half up each; the last takes what is left.
        ("100.01", [50, 50], "EUR", ["50.01", "50.00"]),
        ("0.05", [30, 30, 40], "EUR", ["0.02", "0.02", "0.01"]),
        ("1001", [30, 30, 40], "JPY", ["300", "300", "401"]),
        ("10.005", [50, 50], "KWD", ["5.003", "5.002"]),
    ],
)
def test_split_table(amount, shares, currency, parts):
    result = split_by_shares(
        amount=D(amount), shares=[D(str(s)) for s in shares], currency=currency
    )
    assert result == [D(p) for p in parts]
    assert sum(result) == D(amount)


@given(
    cents=st.integers(min_value=1, max_value=10**12),
    cuts=st.lists(st.integers(min_value=1, max_value=9999), min_size=1, max_size=11),
)
def test_split_sums_exactly_and_only_the_last_part_absorbs_rounding(cents, cuts):
    # Shares in hundredths of a percent that add up to exactly 100.00 %.
    total = 10000
    points = sorted({c for c in cuts if c < total})
    bounds = [0, *points, total]
    shares = [D(b - a) / 100 for a, b in pairwise(bounds)]
    amount = D(cents) / 100
    parts = split_by_shares(amount=amount, shares=shares, currency="EUR")
    assert sum(parts) == amount
    for share, part in zip(shares[:-1], parts[:-1], strict=True):
        assert abs(part - amount * share / 100) <= D("0.005")
        assert part == part.quantize(D("0.01"))


# --- issuing ------------------------------------------------------------------------------


def test_scenario_usd_invoice_in_three_parts_first_paid_at_another_rate(
    tenant_a, tenant_b, customer_a, customer_b, usd_rates_a, three_x_30
):
    with tenant_context(tenant_b):
        other_invoice = issued_invoice(tenant_b, customer_b, [line("50.00")])
        other_items = list(OpenItem.objects.values_list("pk", "open_amount", "status"))
    with tenant_context(tenant_a):
        # USD 1,000.00 + 19 % = 1,190.00 on 5 Jan at 0.90 (EUR 1,071.00).
        invoice = issued_invoice(
            tenant_a,
            customer_a,
            [line("1000.00")],
            issue_date=JAN,
            currency="USD",
            payment_terms=three_x_30,
        )
        assert (invoice.gross_amount, invoice.base_gross_amount) == (D("1190.00"), D("1071.00"))
        assert invoice.installment_count == 3
        assert invoice.due_date == date(2026, 2, 4)  # the first installment (BT-9)
        assert invoice.discount_amount == 0

        items = _items(tenant_a, invoice)
        assert [(i.due_date, i.amount, i.base_amount, i.number) for i in items] == [
            (date(2026, 2, 4), D("357.00"), D("321.30"), invoice.number),
            (date(2026, 3, 6), D("357.00"), D("321.30"), invoice.number),
            (date(2026, 4, 5), D("476.00"), D("428.40"), invoice.number),
        ]
        assert invoice.open_item_id == items[0].pk
        rows = InvoiceInstallment.objects.filter(invoice=invoice).order_by("sequence")
        assert [(r.sequence, r.amount, r.base_amount, r.open_item_id) for r in rows] == [
            (1, D("357.00"), D("321.30"), items[0].pk),
            (2, D("357.00"), D("321.30"), items[1].pk),
            (3, D("476.00"), D("428.40"), items[2].pk),
        ]
        assert customer_balance(tenant=tenant_a, customer=customer_a).base == D("1071.00")

        # Installment 1 paid on 5 Feb at 0.85: EUR 303.45 received for EUR
        # 321.30 owed, a realised loss of EUR 17.85 (the ledger books a
        # gain positive and a loss negative).
        cash = _pay(tenant_a, customer_a, items[0], "357.00", FEB)
        assert (cash.debit_base_amount, cash.credit_base_amount, cash.fx_gain_base) == (
            D("321.30"),
            D("303.45"),
            D("-17.85"),
        )
        invoice.refresh_from_db()
        assert invoice.status == "partially_paid"
        listed = invoice_list(tenant=tenant_a).get(pk=invoice.pk)
        assert (listed.open_amount_now, listed.open_base_now) == (D("833.00"), D("749.70"))
        schedule = invoice_installment_rows(tenant=tenant_a, invoice=invoice)
        assert [row.open_amount for row in schedule] == [D(0), D("357.00"), D("476.00")]

        # The rest is paid at the rate it was booked at: paid, no more FX.
        _pay_at_book_rate(tenant_a, customer_a, items[1:])
        invoice.refresh_from_db()
        assert invoice.status == "paid"
        balance = customer_balance(tenant=tenant_a, customer=customer_a)
        assert (balance.by_currency, balance.base) == ({}, D(0))
        assert Application.objects.filter(fx_gain_base__lt=0).count() == 1
    with tenant_context(tenant_b):
        assert list(OpenItem.objects.values_list("pk", "open_amount", "status")) == other_items
        assert Invoice.objects.get(pk=other_invoice.pk).installment_count == 0


def _pay_at_book_rate(tenant, customer, items):
    for item in items:
        payment = ledger_item_post(
            tenant=tenant,
            actor=SYSTEM,
            customer=customer,
            kind=ItemKind.PAYMENT,
            number=f"PAY-{item.pk}",
            currency="USD",
            amount=item.amount,
            document_date=JAN,
        )
        ledger_apply(
            tenant=tenant,
            actor=SYSTEM,
            debit_item_id=item.pk,
            credit_item_id=payment.pk,
            amount=item.amount,
            effective_date=FEB,
            kind=ApplicationKind.CASH,
        )
    invoices_refresh_for_items(tenant=tenant, open_item_ids=[i.pk for i in items])


def test_base_parts_split_like_the_amount_and_sum_to_the_document(tenant_a, customer_a, three_x_30):
    """USD 0.8612: rounding each part's own amount x rate would miss the
    document's base amount by a cent; the base amount is split instead."""
    from otc.fx.services import manual_rate_set

    with tenant_context(tenant_a):
        manual_rate_set(
            tenant=tenant_a,
            actor=SYSTEM,
            rate_date=JAN,
            from_currency="USD",
            to_currency="EUR",
            rate=D("0.8612"),
        )
        invoice = issued_invoice(
            tenant_a,
            customer_a,
            [line("10.00", rate="0")],
            issue_date=JAN,
            currency="USD",
            payment_terms=three_x_30,
        )
        items = _items(tenant_a, invoice)
        assert [i.amount for i in items] == [D("3.00"), D("3.00"), D("4.00")]
        # round(10.00 x 0.8612) = 8.61; each part's own amount x rate would
        # give 2.58 + 2.58 + 3.44 = 8.60, a cent short of the document.
        assert invoice.base_gross_amount == D("8.61")
        assert [i.base_amount for i in items] == [D("2.58"), D("2.58"), D("3.45")]
        assert sum(i.base_amount for i in items) == invoice.base_gross_amount


def test_too_small_to_split_is_refused_and_nothing_is_issued(tenant_a, customer_a, three_x_30):
    with tenant_context(tenant_a):
        draft = draft_invoice(
            tenant_a, customer_a, [line("0.02", rate="0")], payment_terms=three_x_30
        )
        from invoicing.services import invoice_issue

        with pytest.raises(ValidationFailed) as excinfo:
            invoice_issue(tenant=tenant_a, actor=SYSTEM, invoice=draft, issue_date=JAN)
        assert "nothing to pay" in " ".join(excinfo.value.errors["payment_terms"])
        draft.refresh_from_db()
        assert (draft.status, draft.number) == ("draft", "")
        assert not OpenItem.objects.exists()
        assert not InvoiceInstallment.objects.exists()


def test_never_split_manual_due_date_and_credit_memos(tenant_a, customer_a, three_x_30):
    with tenant_context(tenant_a):
        manual = issued_invoice(
            tenant_a,
            customer_a,
            [line("100.00")],
            issue_date=JAN,
            payment_terms=three_x_30,
            due_date=JAN + timedelta(days=14),
        )
        assert manual.installment_count == 0
        assert len(_items(tenant_a, manual)) == 1
        assert manual.due_date == JAN + timedelta(days=14)

        split = issued_invoice(
            tenant_a, customer_a, [line("100.00")], issue_date=JAN, payment_terms=three_x_30
        )
        memo = credit_memo_create(
            tenant=tenant_a,
            actor=SYSTEM,
            related_invoice=split,
            lines=[line("40.00")],
            issue_date=JAN,
        )
        assert memo.installment_count == 0
        assert len(_items(tenant_a, memo)) == 1
        # EUR 47.60 credited settles the earliest-due part (35.70) first,
        # then 11.90 of the second.
        assert [i.open_amount for i in _items(tenant_a, split)] == [
            D("0.00"),
            D("23.80"),
            D("47.60"),
        ]
        split.refresh_from_db()
        assert split.status == "partially_paid"


def test_cancel_settles_every_part_and_credits_what_was_paid(tenant_a, customer_a, three_x_30):
    with tenant_context(tenant_a):
        invoice = issued_invoice(
            tenant_a, customer_a, [line("100.00")], issue_date=JAN, payment_terms=three_x_30
        )
        items = _items(tenant_a, invoice)
        _pay(tenant_a, customer_a, items[0], "35.70", FEB, currency="EUR")
        invoice.refresh_from_db()
        invoice = invoice_cancel(tenant=tenant_a, actor=SYSTEM, invoice=invoice, cancel_date=FEB)
        assert invoice.status == "cancelled"
        assert [i.open_amount for i in _items(tenant_a, invoice)] == [D(0), D(0), D(0)]
        memo_item = OpenItem.objects.get(kind=ItemKind.CREDIT_MEMO)
        # What was paid on the first part stays on the account as a credit.
        assert memo_item.open_amount == D("-35.70")


def test_overdue_when_any_open_part_is_past_due(tenant_a, customer_a, three_x_30, monkeypatch):
    with tenant_context(tenant_a):
        invoice = issued_invoice(
            tenant_a, customer_a, [line("100.00")], issue_date=JAN, payment_terms=three_x_30
        )
        items = _items(tenant_a, invoice)
        late = with_open_amounts(Invoice.objects.filter(pk=invoice.pk))
        from invoicing.selectors import overdue_condition

        assert late.filter(overdue_condition(today=date(2026, 2, 4))).count() == 0
        assert late.filter(overdue_condition(today=date(2026, 2, 5))).count() == 1
        _pay(tenant_a, customer_a, items[0], "35.70", FEB, currency="EUR")
        # First part paid: not overdue until the second part's date passes,
        # although the invoice's own due date (the first part's) is past.
        assert late.filter(overdue_condition(today=date(2026, 3, 6))).count() == 0
        assert late.filter(overdue_condition(today=date(2026, 3, 7))).count() == 1


def test_issue_many_splits_the_same_way(tenant_a, tenant_b, customer_a, three_x_30):
    with tenant_context(tenant_a):
        drafts = [
            draft_invoice(tenant_a, customer_a, [line("1000.00")], payment_terms=three_x_30),
            draft_invoice(tenant_a, customer_a, [line("10.00")]),
            draft_invoice(tenant_a, customer_a, [line("0.10")], payment_terms=three_x_30),
        ]
        issued = invoice_issue_many(tenant=tenant_a, actor=SYSTEM, invoices=drafts, issue_date=JAN)
        by_id = {invoice.pk: invoice for invoice in issued}
        first, single, small = (by_id[d.pk] for d in drafts)
        assert (first.installment_count, single.installment_count, small.installment_count) == (
            3,
            0,
            3,
        )
        items = invoice_open_items(tenant=tenant_a, invoice_ids=[first.pk, single.pk, small.pk])
        assert [i.amount for i in items[first.pk]] == [D("357.00"), D("357.00"), D("476.00")]
        assert [i.amount for i in items[small.pk]] == [D("0.04"), D("0.04"), D("0.04")]
        assert [i.amount for i in items[single.pk]] == [D("11.90")]
        stored = Invoice.objects.get(pk=first.pk)
        assert (stored.installment_count, stored.open_item_id, stored.base_gross_amount) == (
            3,
            items[first.pk][0].pk,
            D("1190.00"),
        )
        assert InvoiceInstallment.objects.count() == 6
    with tenant_context(tenant_b):
        assert not InvoiceInstallment.objects.exists()
