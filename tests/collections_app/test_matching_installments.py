"""Cash matching on invoices in installments: the parts share the invoice's
number and are paid earliest-due first; paying one part never opens a
deduction for the parts that are not due yet."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from collections_app.matching.engine import (
    CandidateItem,
    CustomerInfo,
    MatchIndex,
    PaymentFacts,
    Policy,
    match_payment,
)

D = Decimal
DAY = date(2026, 2, 5)
ISSUED = date(2026, 1, 5)
NUMBER = "INV-2026-000042"


def part(id_, due_days, amount, open_amount=None, customer=1, number=NUMBER):
    return CandidateItem(
        id=id_,
        customer_id=customer,
        number=number,
        amount=D(amount),
        open_amount=D(open_amount if open_amount is not None else amount),
        currency="USD",
        document_date=ISSUED,
        due_date=ISSUED + timedelta(days=due_days),
    )


# 3X30 on USD 1,190.00, listed out of order on purpose.
PARTS = [part(13, 90, "476.00"), part(11, 30, "357.00"), part(12, 60, "357.00")]
IDX = MatchIndex(
    items=[*PARTS, part(20, 30, "357.00", customer=2, number="INV-2026-000077")],
    customers=[CustomerInfo(1, "Acme Tools AG"), CustomerInfo(2, "Bolt & Nut GmbH")],
)


def pay(amount, text=f"Invoice {NUMBER}"):
    return PaymentFacts(
        amount=D(amount), currency="USD", value_date=DAY, payer_name="ACME TOOLS AG", text=text
    )


def _settled(proposal):
    return [(a.item_id, a.amount) for a in proposal.allocations]


def test_full_amount_clears_every_installment():
    best = match_payment(pay("1190.00"), IDX, Policy())[0]
    assert sorted(_settled(best)) == [(11, D("357.00")), (12, D("357.00")), (13, D("476.00"))]
    assert best.deduction is None
    assert best.confidence >= 90


def test_one_installment_clears_the_earliest_due_and_opens_no_deduction():
    best = match_payment(pay("357.00"), IDX, Policy())[0]
    assert _settled(best) == [(11, D("357.00"))]
    assert best.deduction is None
    assert best.on_account == 0
    assert best.confidence >= 90  # applied automatically at the default threshold
    assert "earliest-due 1 of 3 open installments" in best.explanation


def test_two_installments_clear_the_two_earliest():
    best = match_payment(pay("714.00"), IDX, Policy())[0]
    assert _settled(best) == [(11, D("357.00")), (12, D("357.00"))]
    assert best.deduction is None


def test_after_the_first_is_paid_the_next_payment_takes_the_second():
    idx = MatchIndex(
        items=[part(13, 90, "476.00"), part(12, 60, "357.00")],
        customers=[CustomerInfo(1, "Acme Tools AG")],
    )
    best = match_payment(pay("357.00"), idx, Policy())[0]
    assert _settled(best) == [(12, D("357.00"))]
    assert best.deduction is None


def test_odd_amount_settles_earliest_first_leaves_the_rest_open_for_a_person():
    best = match_payment(pay("400.00"), IDX, Policy())[0]
    assert _settled(best) == [(11, D("357.00")), (12, D("43.00"))]
    assert best.deduction is None
    assert best.confidence < 90  # a person confirms


def test_separate_invoices_still_get_the_short_payment_rules():
    idx = MatchIndex(
        items=[part(1, 30, "100.00", number="INV-1"), part(2, 30, "100.00", number="INV-2")],
        customers=[CustomerInfo(1, "Acme Tools AG")],
    )
    best = match_payment(pay("190.00", "INV-1 INV-2"), idx, Policy())[0]
    assert best.deduction is not None  # not installments: short by 10.00
