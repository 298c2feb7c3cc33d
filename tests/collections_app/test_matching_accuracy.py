"""The engine's rules for mangled references, payers known only by name and
payers it cannot identify: each rule applies when the evidence is unique,
and an ambiguous case of each waits for a person."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from collections_app.matching.engine import (
    CandidateItem,
    CustomerInfo,
    MatchIndex,
    PaymentFacts,
    Policy,
    match_payment,
)
from collections_app.matching.normalize import (
    digit_forms,
    name_forms,
    reference_keys,
    resembles,
)
from collections_app.models import MatchProposal, Payment, PaymentStatus
from collections_app.services import statement_match, statements_import
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import (
    SYSTEM,
    customer,
    invoice,
    refreshed,
    statement,
    tx,
)

D = Decimal
DAY = date(2026, 11, 20)
POLICY = Policy()
THRESHOLD = POLICY.threshold


def item(id_, customer, number, amount, currency="EUR", days_old=30):
    return CandidateItem(
        id=id_,
        customer_id=customer,
        number=number,
        amount=D(amount),
        open_amount=D(amount),
        currency=currency,
        document_date=DAY - timedelta(days=days_old),
        due_date=DAY - timedelta(days=days_old - 30),
    )


def pay(amount, text="", name="", account="", currency="EUR"):
    return PaymentFacts(
        amount=D(amount),
        currency=currency,
        value_date=DAY,
        payer_name=name,
        payer_account=account,
        text=text,
    )


def build(items, customers, **kw):
    return MatchIndex(
        items=items, customers=[CustomerInfo(i, n) for i, n in customers.items()], **kw
    )


def codes(proposal):
    return {reason.code for reason in proposal.reasons}


def applied(proposals):
    """What would be applied automatically: the best, if confident."""
    best = proposals[0] if proposals else None
    if best is None or best.confidence < THRESHOLD:
        return None
    return best.customer_id, sorted(a.item_id for a in best.allocations)


# -- normalising -------------------------------------------------------------------


def test_confusable_characters_fold_anywhere_in_the_number():
    item_keys = {k for k in reference_keys("INV-2026-004961") if k.startswith("~")}
    for written in ("1NV-2O26-OO4961", "inv-2026-OO496I", "lNV2026004961"):
        assert item_keys & set(reference_keys(written)), written


@pytest.mark.parametrize(
    ("written", "number", "near"),
    [
        ("INV-2206-035046", "INV-2026-035046", True),  # year digits swapped
        ("2026-053046", "INV-2026-035046", True),  # prefix lost, digits swapped
        ("INV-2026-3564", "INV-2026-003546", True),  # zeros dropped and swapped
        ("INV-2026-03504", "INV-2026-035046", True),  # last digit lost
        ("INV-2026-530046", "INV-2026-035046", False),  # two edits
        ("INV-12", "INV-13", False),  # too short to call a near miss
    ],
)
def test_near_miss_is_one_edit_on_the_digits(written, number, near):
    assert resembles(digit_forms(written), digit_forms(number)) is near


def test_name_forms_cover_umlauts_and_dotted_legal_forms():
    assert name_forms("Müller & Söhne GmbH") == {"mueller soehne", "muller sohne"}
    assert name_forms("Lejeune S.A.") == {"lejeune"}
    assert name_forms("Junitz OHG mbH") == {"junitz"}
    assert "muller sohne" in name_forms("MULLER & SOHNE")


# -- mangled references -----------------------------------------------------------------


def test_ocr_confusion_in_the_prefix_finds_the_invoice():
    idx = build([item(1, 1, "INV-2026-004961", "566.26")], {1: "Masse SARL"})
    proposals = match_payment(pay("566.26", "Invoice 1NV2O26OO4961", "Masse"), idx, POLICY)
    assert applied(proposals) == (1, [1])
    assert "written differently" in proposals[0].explanation


def test_transposed_digits_naming_another_valid_invoice_settle_the_one_paid_to_the_cent():
    # INV-2026-072490 is somebody else's; the payer swapped two digits of
    # INV-2026-027490, whose open amount the payment equals to the cent.
    idx = build(
        [item(1, 1, "INV-2026-027490", "4511.30"), item(2, 2, "INV-2026-072490", "736.84")],
        {1: "Williams & Sons", 2: "Fournier"},
    )
    proposals = match_payment(
        pay("4511.30", "Payment for invoice INV-2026-072490", "Williams & Sons"), idx, POLICY
    )
    assert applied(proposals) == (1, [1])
    assert "reference_near_miss" in codes(proposals[0])
    assert "one character off" in proposals[0].explanation


def test_near_miss_with_a_different_amount_waits():
    """One edit away and not settled exactly: as likely the neighbour's."""
    idx = build([item(1, 1, "INV-2026-027490", "4511.30")], {1: "Williams & Sons"})
    for amount in ("4000.00", "4600.00"):
        proposals = match_payment(
            pay(amount, "Invoice INV-2026-072490", "Williams & Sons"), idx, POLICY
        )
        assert applied(proposals) is None, amount
        assert all(
            1 not in [a.item_id for a in p.allocations] or p.confidence < 60 for p in proposals
        )


def test_near_miss_alone_without_the_payers_name_waits():
    idx = build([item(1, 1, "INV-2026-027490", "4511.30")], {1: "Williams & Sons"})
    proposals = match_payment(pay("4511.30", "Invoice INV-2026-072490", "J. Doe"), idx, POLICY)
    assert proposals
    assert proposals[0].allocations[0].item_id == 1
    assert applied(proposals) is None


def test_a_number_named_outright_beats_a_near_miss_of_the_same_amount():
    """Two open items of the same amount, numbers one edit apart: the one the
    text names exactly is paid, the near miss does not unsettle it."""
    idx = build(
        [item(1, 1, "INV-2026-082501", "2639.41"), item(2, 2, "INV-2026-082101", "2639.41")],
        {1: "Wirth", 2: "Lemonnier SARL"},
    )
    assert applied(match_payment(pay("2639.41", "INV2026082501", "Wirth"), idx, POLICY)) == (
        1,
        [1],
    )


# -- payers known only by name -------------------------------------------------------------


NAMESAKES = {1: "Weber GmbH", 2: "Weber", 3: "Weber AG", 4: "Weber KG", 5: "Bolt & Nut GmbH"}


def test_the_amount_singles_out_one_of_many_namesakes():
    items = [item(i, i, f"INV-2026-00010{i}", f"{100 + i}.00") for i in range(1, 5)]
    items.append(item(9, 3, "INV-2026-000109", "1177.67"))
    proposals = match_payment(pay("1177.67", "Zahlung", "WEBER"), build(items, NAMESAKES), POLICY)
    assert applied(proposals) == (3, [9])
    assert "amount_singles_out" in codes(proposals[0])
    assert "3 other customers of the name checked" in proposals[0].explanation


def test_two_namesakes_with_the_amount_open_wait():
    items = [item(1, 1, "INV-2026-000101", "1177.67"), item(2, 3, "INV-2026-000102", "1177.67")]
    proposals = match_payment(pay("1177.67", "Zahlung", "Weber"), build(items, NAMESAKES), POLICY)
    assert applied(proposals) is None
    assert {p.customer_id for p in proposals if p.allocations} == {1, 3}


def test_a_name_spelled_without_umlauts_and_a_foreign_invoice_to_the_cent():
    idx = build(
        [item(1, 1, "INV-2026-000101", "2561.08", currency="GBP")],
        {1: "Röhricht AG", 2: "Rohr GmbH"},
        rate=lambda f, t: D("1.1764705882") if (f, t) == ("GBP", "EUR") else None,
    )
    proposals = match_payment(pay("3013.04", "Sammelzahlung", "ROHRICHT AG"), idx, POLICY)
    assert applied(proposals) == (1, [1])


def test_a_name_with_only_a_combination_of_items_waits():
    """A random amount often equals some sum of a customer's items: by name
    alone a combination is a guess."""
    items = [item(1, 2, "INV-2026-000101", "100.00"), item(2, 2, "INV-2026-000102", "77.67")]
    proposals = match_payment(pay("177.67", "Zahlung", "Weber"), build(items, NAMESAKES), POLICY)
    assert proposals
    assert sorted(a.item_id for a in proposals[0].allocations) == [1, 2]
    assert applied(proposals) is None


# -- references against a namesake's similar amount ------------------------------------------------


def test_a_referenced_invoice_is_not_unsettled_by_a_namesakes_similar_amount():
    idx = build(
        [
            item(1, 1, "INV-2026-015943", "2650.97"),
            item(2, 2, "INV-2026-088731", "2275.58", currency="GBP"),
        ],
        {1: "Guillou", 2: "Guillou"},
        rate=lambda f, t: D("1.1764705882") if (f, t) == ("GBP", "EUR") else None,
    )
    proposals = match_payment(pay("2650.97", "Rechnung INV-2026-015943", "Guillou"), idx, POLICY)
    assert applied(proposals) == (1, [1])


def test_a_rival_with_a_known_account_still_holds_the_payment():
    idx = build(
        [item(1, 1, "INV-2026-015943", "2650.97"), item(2, 2, "INV-2026-088731", "2650.97")],
        {1: "Guillou", 2: "Guillou"},
        payer_accounts={"DE89370400440532013000": 2},
    )
    proposals = match_payment(
        pay("2650.97", "Rechnung INV-2026-015943", "Guillou", account="DE89370400440532013000"),
        idx,
        POLICY,
    )
    assert applied(proposals) is None


# -- overpayment ---------------------------------------------------------------------------


def test_large_overpayment_is_applied_when_no_other_item_could_be_the_rest():
    idx = build([item(1, 1, "INV-2026-034723", "256.56")], {1: "Lemaitre"})
    proposals = match_payment(pay("724.54", "Invoice INV-2026-034723", "Lemaitre"), idx, POLICY)
    assert applied(proposals) == (1, [1])
    assert proposals[0].on_account == D("467.98")


def test_large_overpayment_waits_when_the_customer_has_items_in_another_currency():
    idx = build(
        [item(1, 1, "INV-2026-034723", "256.56"), item(2, 1, "INV-2026-034724", "400", "USD")],
        {1: "Lemaitre"},
    )
    proposals = match_payment(pay("724.54", "Invoice INV-2026-034723", "Lemaitre"), idx, POLICY)
    assert applied(proposals) is None


# -- payers nobody knows --------------------------------------------------------------------


def test_an_unknown_payer_is_never_applied_on_the_amount_alone():
    """In a large book an amount to the cent is shared by several open items
    more often than not (amounts bunch): an unknown payer waits, with the
    items of that amount as starting points."""
    idx = build([item(1, 1, "INV-2026-000101", "466.27")], {1: "Kruschwitz"})
    proposals = match_payment(pay("466.27", "Zahlung", "Anna Schmidt"), idx, POLICY)
    assert [p.allocations[0].item_id for p in proposals] == [1]
    assert applied(proposals) is None


def test_a_learned_payer_account_names_the_customer_without_a_name_match():
    idx = build(
        [item(1, 1, "INV-2026-000101", "466.27")],
        {1: "Kruschwitz"},
        payer_accounts={"GB75VDRD46327780772737": 1},
    )
    proposals = match_payment(
        pay("466.27", "Zahlung", "K. GmbH", account="GB75 VDRD 4632 7780 7727 37"), idx, POLICY
    )
    assert applied(proposals) == (1, [1])


# -- through the database, two tenants ------------------------------------------------------


@pytest.mark.django_db
def test_name_only_payment_is_applied_in_its_tenant_and_the_other_is_untouched(
    in_tenant_a, tenant_b
):

    tenant = in_tenant_a
    namesakes = [customer(tenant, f"W{n}", name) for n, name in enumerate(NAMESAKES.values())]
    for position, cust in enumerate(namesakes[:4]):
        invoice(tenant, cust, f"INV-2026-00070{position}", f"{500 + position}.00")
    paid = invoice(tenant, namesakes[2], "INV-2026-000799", "1177.67")
    with tenant_context(tenant_b):  # its base currency is USD
        weber_b = customer(tenant_b, "W9", "Weber GmbH", currency="USD")
        theirs = invoice(tenant_b, weber_b, "INV-2026-000799", "1177.67", currency="USD")
    result = statements_import(
        tenant=tenant,
        actor=SYSTEM,
        statements=[statement("S-NAME", tx("1177.67", name="WEBER", text="Zahlung", e2e="N1"))],
        file_sha256="S-NAME".ljust(64, "0"),
        match=False,
    )
    statement_match(tenant=tenant, statement_id=result.statements[0].pk)
    payment = Payment.objects.get(end_to_end_id="N1")
    assert payment.status == PaymentStatus.APPLIED
    assert refreshed(paid).open_amount == D("0.00")
    proposal = MatchProposal.objects.get(payment=payment, auto_applied=True)
    assert "only customer of that name" in proposal.explanation
    with tenant_context(tenant_b):
        assert refreshed(theirs).open_amount == D("1177.67")
        assert not Payment.objects.for_tenant(tenant_b).exists()
