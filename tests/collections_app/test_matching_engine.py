"""The pure matching engine: plain values in, ranked proposals out."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.matching.engine import (
    CandidateItem,
    CustomerInfo,
    MatchIndex,
    PaymentFacts,
    Policy,
    RemittanceHint,
    match_payment,
)

D = Decimal
DAY = date(2026, 11, 20)
POLICY = Policy()


def item(id_, customer, number, amount, currency="EUR", days_old=30, **kw):
    return CandidateItem(
        id=id_,
        customer_id=customer,
        number=number,
        amount=D(amount),
        open_amount=D(kw.pop("open_amount", amount)),
        currency=currency,
        document_date=DAY - timedelta(days=days_old),
        due_date=DAY - timedelta(days=days_old - 30),
        **kw,
    )


CUSTOMERS = [
    CustomerInfo(1, "Acme Tools AG"),
    CustomerInfo(2, "Bolt & Nut GmbH"),
    CustomerInfo(3, "Crane Logistics Ltd"),
]


def index(items, **kw):
    return MatchIndex(items=items, customers=CUSTOMERS, **kw)


def pay(amount, text="", name="", account="", currency="EUR", **kw):
    return PaymentFacts(
        amount=D(amount),
        currency=currency,
        value_date=DAY,
        payer_name=name,
        payer_account=account,
        text=text,
        **kw,
    )


def test_clean_payment_by_reference_is_confident_and_explained():
    idx = index([item(10, 1, "INV-2026-000123", "1190.00"), item(11, 2, "INV-2026-000124", "50")])
    best = match_payment(pay("1190.00", "Invoice INV-2026-000123", "ACME TOOLS AG"), idx, POLICY)[0]
    assert best.customer_id == 1
    assert [(a.item_id, a.amount, a.payment_amount) for a in best.allocations] == [
        (10, D("1190.00"), D("1190.00"))
    ]
    assert best.confidence >= 97
    assert best.explanation.startswith("Invoice INV-2026-000123 found in the remittance")
    assert "amount equal" in best.explanation


def test_mangled_numbers_and_lists_are_found():
    items = [item(i, 1, f"INV-2026-{n:06d}", "100.00") for i, n in ((1, 123), (2, 124), (3, 125))]
    idx = index(items)
    for text in ("2026-000123/124/125", "INV2026000123 INV-2026-124 inv 2026 OOO125"):
        best = match_payment(pay("300.00", text), idx, POLICY)[0]
        assert sorted(a.item_id for a in best.allocations) == [1, 2, 3], text
        assert best.confidence >= 90


def test_rf_reference_identifies_the_invoice():
    idx = index([item(5, 3, "INV-2026-000777", "80.00")])
    best = match_payment(pay("80.00", "RF87INV2026000777"), idx, POLICY)[0]
    assert [a.item_id for a in best.allocations] == [5]


def test_short_payment_opens_deduction_with_payer_reason():
    idx = index([item(7, 1, "INV-2026-000200", "1000.00")])
    facts = pay(
        "900.00",
        "INV-2026-000200",
        "Acme Tools",
        remittance=(RemittanceHint("INV-2026-000200", D("900.00"), adjustment_reason="Damaged"),),
    )
    best = match_payment(facts, idx, POLICY)[0]
    assert best.allocations[0].amount == D("900.00")
    assert best.deduction is not None
    assert (best.deduction.item_id, best.deduction.amount) == (7, D("100.00"))
    assert best.deduction.reason_text == "Damaged"
    assert best.confidence >= POLICY.threshold


def test_reference_alone_with_a_different_amount_is_not_enough():
    """A transposed digit makes a valid number of someone else's invoice:
    without the payer confirming the customer, over and short payments wait."""
    idx = index([item(7, 1, "INV-2026-000200", "1000.00"), item(8, 2, "INV-2026-000020", "400.00")])
    for amount in ("900.00", "1100.00"):
        best = match_payment(pay(amount, "INV-2026-000200", "Bolt and Nut"), idx, POLICY)[0]
        assert best.confidence < POLICY.threshold, amount


def test_overpayment_leaves_rest_on_account():
    idx = index([item(7, 1, "INV-2026-000200", "1000.00")])
    best = match_payment(pay("1025.00", "INV-2026-000200"), idx, POLICY)[0]
    assert best.allocations[0].amount == D("1000.00")
    assert best.on_account == D("25.00")


def test_combination_and_exact_amount_need_a_known_customer():
    items = [
        item(1, 1, "INV-1", "100.00", days_old=90),
        item(2, 1, "INV-2", "250.00", days_old=60),
        item(3, 1, "INV-3", "75.50", days_old=30),
    ]
    idx = index(items, payer_accounts={"DE89 3704 0044 0532 0130 00": 1})
    combo = match_payment(pay("175.50", account="DE89370400440532013000"), idx, POLICY)[0]
    assert sorted(a.item_id for a in combo.allocations) == [1, 3]
    assert combo.confidence >= POLICY.threshold
    single = match_payment(pay("250.00", account="DE89370400440532013000"), idx, POLICY)[0]
    assert [a.item_id for a in single.allocations] == [2]
    assert "payer IBAN known" in single.explanation
    unknown = match_payment(pay("250.00", name="Somebody Else"), idx, POLICY)
    assert all(p.confidence < POLICY.threshold for p in unknown)


def test_discount_within_terms_and_tolerance_write_off():
    idx = index(
        [
            item(
                1,
                2,
                "INV-9",
                "1000.00",
                discount_percent=D("2"),
                discount_until=DAY - timedelta(days=1),
            ),
            item(2, 2, "INV-10", "500.00"),
        ]
    )
    discount = match_payment(pay("980.00", "INV-9"), idx, POLICY)[0]
    assert (discount.allocations[0].amount, discount.allocations[0].discount) == (
        D("980.00"),
        D("20.00"),
    )
    tolerance = match_payment(pay("498.00", "INV-10"), idx, POLICY)[0]
    assert tolerance.allocations[0].write_off == D("2.00")
    assert tolerance.deduction is None


def test_foreign_currency_payment_within_fx_tolerance():
    idx = index(
        [item(1, 3, "INV-77", "1000.00", currency="USD")],
        rate=lambda f, t: D("0.9") if (f, t) == ("USD", "EUR") else None,
    )
    best = match_payment(pay("903.00", "INV-77"), idx, POLICY)[0]
    allocation = best.allocations[0]
    assert (allocation.amount, allocation.payment_amount) == (D("1000.00"), D("903.00"))
    assert "FX tolerance" in best.explanation


def test_a_tolerance_shortfall_larger_than_the_last_item_is_spread_backwards():
    # 100.00 + 0.01 referenced, 99.96 paid: 0.05 short is within tolerance,
    # more than the 0.01 item, so the older item absorbs the rest.
    idx = index([item(1, 3, "INV-1", "100.00", days_old=40), item(2, 3, "INV-2", "0.01")])
    best = match_payment(pay("99.96", "INV-1 INV-2"), idx, POLICY)[0]
    by_item = {a.item_id: a for a in best.allocations}
    assert (by_item[2].amount, by_item[2].write_off) == (D("0.00"), D("0.01"))
    assert (by_item[1].amount, by_item[1].write_off) == (D("99.96"), D("0.04"))
    assert sum(a.payment_amount for a in best.allocations) == D("99.96")


def test_similar_name_identifies_customer_but_not_alone_above_threshold():
    idx = index([item(1, 3, "INV-5", "10.00"), item(2, 3, "INV-6", "10.00")])
    proposals = match_payment(pay("10.00", name="CRANE LOGISTIC LIMITED"), idx, POLICY)
    assert proposals[0].customer_id == 3
    assert proposals[0].confidence < POLICY.threshold  # two items with that amount
    assert "resembles" in proposals[0].explanation


amounts = st.decimals(min_value=D("0.01"), max_value=D("2000"), places=2)


@settings(max_examples=150, deadline=None)
@given(
    open_amounts=st.lists(amounts, min_size=1, max_size=12),
    paid=amounts,
    customers=st.lists(st.integers(1, 3), min_size=12, max_size=12),
    refs=st.lists(st.integers(0, 11), max_size=4),
    known=st.booleans(),
)
def test_never_proposes_more_than_paid_nor_another_customers_items(
    open_amounts, paid, customers, refs, known
):
    items = [
        item(i + 1, customers[i], f"INV-2026-{i + 1:06d}", amount, days_old=100 - i)
        for i, amount in enumerate(open_amounts)
    ]
    idx = index(items, payer_accounts={"DE02100100100006820101": 1} if known else None)
    text = " ".join(items[r % len(items)].number for r in refs)
    facts = pay(paid, text, account="DE02100100100006820101")
    for proposal in match_payment(facts, idx, POLICY):
        assert proposal.applied_total + proposal.on_account <= facts.amount
        # An allocation may pay nothing in cash when it only writes off a
        # tolerance difference, but it always settles something.
        assert all(
            a.payment_amount >= 0 and a.amount >= 0 and a.amount + a.discount + a.write_off > 0
            for a in proposal.allocations
        )
        for allocation in proposal.allocations:
            source = idx.items[allocation.item_id]
            assert source.customer_id == proposal.customer_id
            assert (
                allocation.amount + allocation.discount + allocation.write_off <= source.open_amount
            )
        if proposal.deduction is not None:
            source = idx.items[proposal.deduction.item_id]
            settled = sum((a.amount for a in proposal.allocations if a.item_id == source.id), D(0))
            assert settled + proposal.deduction.amount == source.open_amount


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"[A-Z]{0,4}[-/ ]?\d{2,4}[-/ ]?\d{1,8}", fullmatch=True),
        st.text(max_size=30),
    )
)
def test_the_index_files_a_number_under_the_keys_it_is_looked_up_by(number):
    """``item_keys`` (one pass, for the index) is ``number_keys``, the RF key
    and ``last_group_key`` of the same number."""
    from collections_app.matching.normalize import (
        alnum_upper,
        item_keys,
        last_group_key,
        number_keys,
    )

    assert item_keys(number) == (
        number_keys(number),
        "RF:" + alnum_upper(number)[-21:],
        last_group_key(number),
    )
