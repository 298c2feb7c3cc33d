"""The invoice document: rounding rule, consistency checks, RF references."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from stdnum import iso11649

from invoicing.documents.examples import (
    EXAMPLE_BUYER_FR,
    EXAMPLE_BUYER_US,
    EXAMPLE_SELLER,
    example_document,
)
from invoicing.documents.model import (
    Address,
    Branding,
    DocumentKind,
    InstallmentDue,
    InvoiceDocumentError,
    Line,
    TaxCategory,
    TaxSubtotal,
    creditor_reference,
    line_net_amount,
    make_document,
    tax_subtotals_for,
    validate_document,
)

D = Decimal


def line(position: int, net_qty: str, price: str, rate: str = "19", **kw: object) -> Line:
    currency = str(kw.pop("currency", "EUR"))
    discount = D(str(kw.pop("discount_percent", "0")))
    category = kw.pop("tax_category", TaxCategory.STANDARD)
    return Line(
        position=position,
        description=f"Item {position}",
        quantity=D(net_qty),
        unit_code="C62",
        unit_price=D(price),
        tax_rate=D(rate),
        tax_category=category,  # type: ignore[arg-type]
        discount_percent=discount,
        line_net=line_net_amount(D(net_qty), D(price), discount, currency),
    )


def doc_with(lines: list[Line], currency: str = "EUR", **fields: object):
    base = {
        "kind": DocumentKind.INVOICE,
        "number": "INV-2026-000001",
        "issue_date": date(2026, 3, 1),
        "due_date": date(2026, 3, 31),
        "seller": EXAMPLE_SELLER,
        "buyer": EXAMPLE_BUYER_FR,
    }
    base.update(fields)
    return make_document(lines=lines, currency=currency, **base)


def problems_of(doc) -> list[str]:
    with pytest.raises(InvoiceDocumentError) as raised:
        validate_document(doc)
    return raised.value.problems


# --- the rounding rule ------------------------------------------------------------------


def test_line_net_rounds_half_up_to_the_minor_unit():
    assert line_net_amount(D("3"), D("0.335"), D(0), "EUR") == D("1.01")  # 1.005 -> 1.01
    assert line_net_amount(D("1"), D("2.5"), D(0), "JPY") == D("3")
    assert line_net_amount(D("1"), D("1.0005"), D(0), "KWD") == D("1.001")


def test_line_discount_is_rounded_from_the_rounded_base():
    # base 33.33 (3 x 11.11); discount 33.33 x 15% = 4.9995 -> 5.00; net 28.33
    assert line_net_amount(D("3"), D("11.11"), D("15"), "EUR") == D("28.33")


def test_tax_is_computed_per_rate_not_per_line():
    lines = [line(i, "1", "0.10", "7") for i in (1, 2, 3)]
    (subtotal,) = tax_subtotals_for(lines, "EUR")
    # per line 0.007 -> 0.01 each would be 0.03; the group 0.30 x 7% = 0.021 -> 0.02
    assert subtotal.taxable_amount == D("0.30")
    assert subtotal.tax_amount == D("0.02")


def test_subtotals_group_by_category_and_rate_highest_rate_first():
    lines = [
        line(1, "1", "100", "7"),
        line(2, "2", "50", "19"),
        line(3, "1", "10.005", "19.0"),
        line(4, "1", "20", "0", tax_category=TaxCategory.ZERO_RATED),
    ]
    subtotals = tax_subtotals_for(lines, "EUR")
    assert [(s.category, s.rate, s.taxable_amount, s.tax_amount) for s in subtotals] == [
        (TaxCategory.STANDARD, D("19.00"), D("110.01"), D("20.90")),
        (TaxCategory.STANDARD, D("7.00"), D("100.00"), D("7.00")),
        (TaxCategory.ZERO_RATED, D("0.00"), D("20.00"), D("0.00")),
    ]


def test_make_document_adds_up():
    doc = doc_with([line(1, "2", "50", "19"), line(2, "1", "100", "7")])
    assert (doc.net_total, doc.tax_total, doc.gross_total, doc.amount_due) == (
        D("200.00"),
        D("26.00"),
        D("226.00"),
        D("226.00"),
    )
    assert validate_document(doc) is doc


def test_jpy_has_no_decimals():
    doc = doc_with([line(1, "3", "333.5", "10", currency="JPY")], currency="JPY")
    assert doc.net_total == D("1001")  # 1000.5 -> 1001
    assert doc.tax_total == D("100")  # 100.1 -> 100
    validate_document(doc)


def test_prepaid_amount_reduces_the_amount_due():
    doc = doc_with([line(1, "1", "100")], prepaid_amount=D("50.00"))
    assert doc.amount_due == D("69.00")
    validate_document(doc)


def test_every_example_is_consistent():
    for kind in DocumentKind:
        validate_document(example_document(kind=kind, lines=25, mixed_rates=True))
    validate_document(example_document(currency="JPY", buyer=EXAMPLE_BUYER_US))
    validate_document(example_document(category=TaxCategory.REVERSE_CHARGE, buyer=EXAMPLE_BUYER_FR))


def test_document_type_codes_are_en16931():
    assert DocumentKind.INVOICE.type_code == "380"
    assert DocumentKind.CREDIT_MEMO.type_code == "381"
    assert DocumentKind.DEBIT_MEMO.type_code == "383"


# --- inconsistencies are named ------------------------------------------------------------


def test_a_wrong_line_net_is_named_with_its_position():
    doc = doc_with([line(1, "2", "50"), line(2, "1", "10")])
    bad = dataclasses.replace(doc.lines[1], line_net=D("10.01"))
    problems = problems_of(dataclasses.replace(doc, lines=(doc.lines[0], bad)))
    assert any(p.startswith("line 2: net 10.01 != 1 x 10 less 0% = 10.00") for p in problems)


def test_a_cent_off_in_the_totals_is_caught():
    doc = doc_with([line(1, "2", "50")])
    problems = problems_of(dataclasses.replace(doc, gross_total=D("119.01")))
    assert "gross total 119.01 != net 100.00 + tax 19.00" in problems
    assert "amount due 119.00 != gross 119.01 - prepaid 0" in problems


def test_a_tax_subtotal_computed_per_line_is_rejected():
    lines = [line(i, "1", "0.10", "7") for i in (1, 2, 3)]
    doc = doc_with(lines)
    per_line = dataclasses.replace(doc.tax_subtotals[0], tax_amount=D("0.03"))
    problems = problems_of(
        dataclasses.replace(
            doc,
            tax_subtotals=(per_line,),
            tax_total=D("0.03"),
            gross_total=D("0.33"),
            amount_due=D("0.33"),
        )
    )
    assert any("tax S 7.00%: tax 0.03 != 0.30 x 7.00% = 0.02" in p for p in problems)


def test_missing_and_extra_subtotals():
    doc = doc_with([line(1, "1", "100", "19"), line(2, "1", "100", "7")])
    extra = TaxSubtotal(TaxCategory.STANDARD, D("16"), D("0"), D("0"))
    problems = problems_of(dataclasses.replace(doc, tax_subtotals=(doc.tax_subtotals[0], extra)))
    assert "tax S 16%: no line has this category and rate" in problems
    assert "tax S 7.00%: lines have it but no subtotal does" in problems


def test_amounts_finer_than_the_minor_unit_are_rejected():
    doc = doc_with([line(1, "1", "100", "10", currency="JPY")], currency="JPY")
    problems = problems_of(dataclasses.replace(doc, prepaid_amount=D("0.5"), amount_due=D("109.5")))
    assert "prepaid amount 0.5 has more than 0 decimals" in problems


def test_zero_rate_categories_and_their_reasons():
    rc = line(1, "1", "100", "0", tax_category=TaxCategory.REVERSE_CHARGE)
    doc = doc_with([rc])
    assert doc.tax_subtotals[0].exemption_reason_code == "VATEX-EU-AE"
    validate_document(doc)
    no_buyer_vat = dataclasses.replace(doc, buyer=dataclasses.replace(EXAMPLE_BUYER_FR, vat_id=""))
    assert "reverse charge / intra-Community supply needs the buyer VAT id" in problems_of(
        no_buyer_vat
    )
    exempt = doc_with([line(1, "1", "100", "0", tax_category=TaxCategory.EXEMPT)])
    assert "tax E 0.00%: category E needs an exemption reason" in problems_of(exempt)
    exempt_ok = doc_with(
        [line(1, "1", "100", "0", tax_category=TaxCategory.EXEMPT)],
        exemption_reasons={TaxCategory.EXEMPT: ("VATEX-EU-132", "Exempt: medical care")},
    )
    validate_document(exempt_ok)
    reverse_with_rate = doc_with(
        [line(1, "1", "100", "19", tax_category=TaxCategory.REVERSE_CHARGE)]
    )
    assert "line 1: category AE must have rate 0, not 19" in problems_of(reverse_with_rate)


def test_intra_community_supply_needs_a_delivery_date():
    doc = doc_with([line(1, "1", "100", "0", tax_category=TaxCategory.INTRA_COMMUNITY)])
    assert "an intra-Community supply needs a delivery date or period" in problems_of(doc)
    dated = dataclasses.replace(doc, delivery_date=date(2026, 2, 27))
    validate_document(dated)
    assert dated.deliver_to == EXAMPLE_BUYER_FR.address


def test_memo_and_date_rules():
    doc = doc_with([line(1, "1", "100")])
    assert "a preceding invoice date without the invoice number" in problems_of(
        dataclasses.replace(doc, kind=DocumentKind.CREDIT_MEMO, preceding_invoice_date=JAN_30)
    )
    assert "due date 2026-02-01 is before the issue date 2026-03-01" in problems_of(
        dataclasses.replace(doc, due_date=date(2026, 2, 1))
    )
    assert "an amount is due but there is neither a due date nor payment terms" in problems_of(
        dataclasses.replace(doc, due_date=None)
    )
    validate_document(dataclasses.replace(doc, due_date=None, payment_terms="Net 30"))


JAN_30 = date(2026, 1, 30)


def test_a_credit_memo_on_account_names_no_invoice_and_is_valid():
    memo = doc_with(
        [line(1, "1", "100")],
        kind=DocumentKind.CREDIT_MEMO,
        due_date=None,
        payment_terms="Offset against open invoices",
    )
    assert memo.preceding_invoice_number == ""
    validate_document(memo)
    validate_document(example_document(lines=2, kind=DocumentKind.CREDIT_MEMO, on_account=True))


# --- payment schedules ---------------------------------------------------------------------


def scheduled(*parts: tuple[date, str], **fields: object):
    doc = doc_with([line(1, "1", "1000")], **fields)  # 1,190.00 due
    return dataclasses.replace(
        doc,
        due_date=parts[0][0] if parts else doc.due_date,
        installments=tuple(InstallmentDue(due_date=day, amount=D(amount)) for day, amount in parts),
    )


def test_a_payment_schedule_that_adds_up_is_valid():
    doc = scheduled((date(2026, 3, 31), "400.00"), (date(2026, 4, 30), "790.00"))
    validate_document(doc)
    assert doc.payment_due_date == date(2026, 3, 31)
    assert dataclasses.replace(doc, installments=()).payment_due_date == doc.due_date
    for count in (2, 3, 7):
        example = example_document(lines=5, installments=count)
        validate_document(example)
        assert sum(i.amount for i in example.installments) == example.amount_due


def test_installments_must_add_up_to_the_amount_due():
    doc = scheduled((date(2026, 3, 31), "400.00"), (date(2026, 4, 30), "789.99"))
    assert problems_of(doc) == ["the installments add up to 1189.99, not the amount due 1190.00"]
    prepaid = dataclasses.replace(
        scheduled((date(2026, 3, 31), "400.00"), (date(2026, 4, 30), "690.00")),
    )
    prepaid = dataclasses.replace(prepaid, prepaid_amount=D(100), amount_due=D("1090.00"))
    validate_document(prepaid)


def test_installment_dates_ascend_from_the_issue_date():
    problems = problems_of(
        scheduled(
            (date(2026, 2, 27), "100.00"),
            (date(2026, 4, 30), "500.00"),
            (date(2026, 4, 30), "590.00"),
        )
    )
    assert "installment 1: due date 2026-02-27 is before the issue date 2026-03-01" in problems
    assert "installment 3: due date 2026-04-30 is not after the one before (2026-04-30)" in problems
    assert "due date 2026-02-27 is before the issue date 2026-03-01" in problems


def test_installment_amounts_are_positive_minor_units():
    problems = problems_of(
        scheduled(
            (date(2026, 3, 31), "1190.005"),
            (date(2026, 4, 30), "0"),
            (date(2026, 5, 31), "-0.005"),
        )
    )
    assert "installment 1: amount 1190.005 has more than 2 decimals" in problems
    assert "installment 2: amount 0 is not positive" in problems
    assert "installment 3: amount -0.005 is not positive" in problems


def test_the_due_date_of_a_schedule_is_its_first_installment():
    doc = scheduled((date(2026, 3, 31), "400.00"), (date(2026, 4, 30), "790.00"))
    assert problems_of(dataclasses.replace(doc, due_date=date(2026, 4, 30))) == [
        "due date 2026-04-30 is not the first installment's due date 2026-03-31"
    ]
    validate_document(dataclasses.replace(doc, due_date=None))


def test_a_credit_memo_has_no_payment_schedule():
    doc = scheduled((date(2026, 3, 31), "1190.00"), kind=DocumentKind.CREDIT_MEMO, due_date=None)
    assert problems_of(dataclasses.replace(doc, due_date=None)) == [
        "a credit memo has no payment schedule"
    ]


def test_negative_totals_ask_for_a_credit_memo():
    refund = line(1, "-1", "100")
    problems = problems_of(doc_with([refund]))
    assert "gross total is negative: issue a credit memo with positive amounts" in problems


def test_branding_and_parties_are_checked():
    seller = dataclasses.replace(
        EXAMPLE_SELLER,
        branding=Branding(logo=b"x", logo_mime="application/pdf", primary_colour="red"),
    )
    problems = problems_of(doc_with([line(1, "1", "100")], seller=seller, number=" "))
    assert "the document has no number" in problems
    assert "branding primary_colour 'red' is not like #1f4e79" in problems
    assert "logo type 'application/pdf' is not an image type we print" in problems


def test_unknown_currency_is_rejected():
    doc = doc_with([line(1, "1", "100")])
    assert problems_of(dataclasses.replace(doc, currency="XXY")) == ["unknown currency 'XXY'"]


def test_all_problems_are_listed_at_once():
    doc = doc_with([line(1, "1", "100")])
    broken = dataclasses.replace(doc, net_total=D("1.00"), lines=(), due_date=None)
    assert len(problems_of(broken)) >= 4


# --- RF creditor reference ------------------------------------------------------------------


def test_rf_reference_matches_the_iso_11649_example():
    # The standard's own example: RF18 5390 0754 7034.
    assert creditor_reference("539007547034") == "RF18539007547034"


@pytest.mark.parametrize(
    "number", ["INV-2026-000123", "CM-2026-000001", "inv/2026/7", "A" * 30 + "-000123"]
)
def test_rf_reference_from_invoice_numbers_is_valid(number):
    reference = creditor_reference(number)
    assert iso11649.is_valid(reference)
    assert len(reference) <= 25
    assert reference.endswith("000123") or not number.endswith("000123")


def test_rf_reference_is_derived_unless_given():
    doc = doc_with([line(1, "1", "100")], number="INV-2026-000123")
    assert doc.payment_reference == creditor_reference("INV-2026-000123")
    assert doc.payment_reference.startswith("RF")
    assert doc.payment_reference.endswith("INV2026000123")
    given = doc_with([line(1, "1", "100")], payment_reference="4711-0815")
    assert given.payment_reference == "4711-0815"
    validate_document(given)
    bad = doc_with([line(1, "1", "100")], payment_reference="RF00INV1")
    assert "payment reference 'RF00INV1' is not a valid RF reference" in problems_of(bad)


def test_rf_reference_needs_letters_or_digits():
    with pytest.raises(InvoiceDocumentError):
        creditor_reference("--/--")


# --- addresses --------------------------------------------------------------------------------


def test_address_from_free_text():
    address = Address.from_text(
        "Am Sandtorkai 42\nHaus B\n20457 Hamburg\nDeutschland\n", country="DE"
    )
    assert address == Address(
        street_lines=("Am Sandtorkai 42", "Haus B"),
        postal_code="20457",
        city="Hamburg",
        country="DE",
    )
    assert Address.from_text("", country="FR").city == ""
    assert Address.from_text("1 Main St\nSpringfield", country="US").city == "Springfield"


def test_city_line_follows_the_country():
    assert EXAMPLE_SELLER.address.city_line == "20457 Hamburg"
    assert EXAMPLE_BUYER_US.address.city_line == "Chicago, IL 60606"
    london = Address(
        street_lines=("10 Downing St",), city="London", postal_code="SW1A 2AA", country="GB"
    )
    assert london.city_line == "London SW1A 2AA"


def test_peppol_endpoint_is_derived_from_the_vat_id():
    assert EXAMPLE_SELLER.endpoint == ("DE136695976", "9930")
    assert EXAMPLE_BUYER_FR.endpoint == ("FR40303265045", "9957")
    assert EXAMPLE_BUYER_US.endpoint is None
    explicit = dataclasses.replace(
        EXAMPLE_BUYER_US, endpoint_id="0614141000012", endpoint_scheme="0088"
    )
    assert explicit.endpoint == ("0614141000012", "0088")
