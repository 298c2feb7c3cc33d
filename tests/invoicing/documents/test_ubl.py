"""UBL 2.1 / Peppol BIS Billing 3.0: valid against the UBL XSD and the EN 16931
schematron, the amounts reconcile (BR-CO rules) the way they do in real UBL
invoices, credit memos become CreditNote documents."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from facturx import xml_check_xsd

from invoicing.documents.examples import (
    EXAMPLE_BUYER_DE,
    EXAMPLE_BUYER_FR,
    EXAMPLE_BUYER_US,
    example_document,
)
from invoicing.documents.model import DocumentKind, TaxCategory
from invoicing.documents.ubl import (
    CUSTOMIZATION_ID,
    PROFILE_ID,
    check_ubl_xml,
    peppol_problems,
    ubl_xml,
)
from tests.invoicing.documents.helpers import (
    UBL_NS,
    UBL_SCHEMATRON,
    br_co_violations,
    parse,
    schematron_failures,
    ubl_figures,
)
from tests.samples import sample

CASES = {
    "invoice": {},
    "credit memo": {"kind": DocumentKind.CREDIT_MEMO},
    "credit memo on account": {"kind": DocumentKind.CREDIT_MEMO, "on_account": True},
    "installments": {"installments": 3},
    "debit memo": {"kind": DocumentKind.DEBIT_MEMO},
    "reverse charge": {"category": TaxCategory.REVERSE_CHARGE, "buyer": EXAMPLE_BUYER_FR},
    "intra-Community": {"category": TaxCategory.INTRA_COMMUNITY, "buyer": EXAMPLE_BUYER_FR},
    "multi-rate": {"mixed_rates": True},
    "USD export": {"currency": "USD", "buyer": EXAMPLE_BUYER_US, "category": TaxCategory.EXPORT},
    "JPY": {"currency": "JPY", "buyer": EXAMPLE_BUYER_US, "category": TaxCategory.EXPORT},
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request):
    doc = example_document(lines=7, **CASES[request.param])
    return doc, ubl_xml(doc)


def text(root, path):
    return root.findtext(path, namespaces=UBL_NS)


def test_xml_is_well_formed_and_valid_against_the_ubl_xsd(case):
    doc, xml = case
    root = parse(xml)
    flavor = "ubl-2.1-creditnote" if doc.kind is DocumentKind.CREDIT_MEMO else "ubl-2.1-invoice"
    assert xml_check_xsd(root, flavor=flavor)
    check_ubl_xml(xml)


def test_xml_passes_the_en16931_ubl_schematron(case):
    _, xml = case
    assert schematron_failures(xml, UBL_SCHEMATRON) == []


def test_amounts_reconcile(case):
    doc, xml = case
    figures = ubl_figures(parse(xml))
    assert br_co_violations(figures) == []
    assert figures.tax_exclusive == doc.net_total
    assert figures.tax_inclusive == doc.gross_total
    assert figures.payable == doc.amount_due
    assert len(figures.line_nets) == len(doc.lines)


def test_peppol_identifiers_and_endpoints(case):
    doc, xml = case
    root = parse(xml)
    assert text(root, "cbc:CustomizationID") == CUSTOMIZATION_ID
    assert text(root, "cbc:ProfileID") == PROFILE_ID
    seller_endpoint = root.find("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", UBL_NS)
    assert (seller_endpoint.get("schemeID"), seller_endpoint.text) == ("9930", "DE136695976")
    buyer_endpoint = root.find("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", UBL_NS)
    if doc.buyer.endpoint is None:
        assert buyer_endpoint is None
        assert "the buyer has no Peppol endpoint (VAT id or endpoint id)" in peppol_problems(doc)
    else:
        assert (buyer_endpoint.get("schemeID"), buyer_endpoint.text) == (
            doc.buyer.endpoint[1],
            doc.buyer.endpoint[0],
        )
    # Peppol: one note at most, no empty elements.
    assert len(root.findall("cbc:Note", UBL_NS)) <= 1
    assert all((element.text or "").strip() or len(element) for element in root.iter())


def test_credit_memo_is_a_credit_note_with_a_billing_reference():
    doc = example_document(lines=3, kind=DocumentKind.CREDIT_MEMO)
    root = parse(ubl_xml(doc))
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert (
        text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == "INV-2026-000098"
    )
    assert (
        text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate")
        == "2026-10-30"
    )
    lines = root.findall("cac:CreditNoteLine", UBL_NS)
    assert len(lines) == 3
    assert lines[0].find("cbc:CreditedQuantity", UBL_NS).get("unitCode") == "C62"
    assert root.find("cac:PaymentMeans", UBL_NS) is None
    assert root.find("cbc:DueDate", UBL_NS) is None


def test_debit_memo_is_an_invoice_383():
    root = parse(ubl_xml(example_document(lines=1, kind=DocumentKind.DEBIT_MEMO)))
    assert root.tag.endswith("}Invoice")
    assert text(root, "cbc:InvoiceTypeCode") == "383"


def test_invoice_payment_means_and_references():
    doc = example_document(lines=2, buyer=EXAMPLE_BUYER_DE)
    root = parse(ubl_xml(doc))
    assert text(root, "cbc:DueDate") == "2026-12-20"
    assert text(root, "cbc:BuyerReference") == "Einkauf / Fr. Weber"
    assert text(root, "cac:OrderReference/cbc:ID") == "PO-2026-0815"
    assert text(root, "cac:PaymentMeans/cbc:PaymentMeansCode") == "58"
    assert text(root, "cac:PaymentMeans/cbc:PaymentID") == doc.payment_reference
    assert text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == doc.seller.iban
    assert peppol_problems(doc) == []


def test_line_discount_is_a_line_allowance_with_percent_and_base():
    doc = example_document(lines=2)
    root = parse(ubl_xml(doc))
    line = root.findall("cac:InvoiceLine", UBL_NS)[1]
    allowance = line.find("cac:AllowanceCharge", UBL_NS)
    assert text(allowance, "cbc:ChargeIndicator") == "false"
    assert text(allowance, "cbc:MultiplierFactorNumeric") == "5"
    amount = Decimal(text(allowance, "cbc:Amount"))
    base = Decimal(text(allowance, "cbc:BaseAmount"))
    assert amount == (base * 5 / 100).quantize(Decimal("0.01"))
    assert base - amount == Decimal(text(line, "cbc:LineExtensionAmount"))


def test_jpy_amounts_have_no_decimals():
    doc = example_document(
        lines=2, currency="JPY", buyer=EXAMPLE_BUYER_US, category=TaxCategory.EXPORT
    )
    root = parse(ubl_xml(doc))
    payable = root.find("cac:LegalMonetaryTotal/cbc:PayableAmount", UBL_NS)
    assert payable.get("currencyID") == "JPY"
    assert payable.text.isdigit()


def test_peppol_problems_name_what_is_missing():
    buyer = dataclasses.replace(EXAMPLE_BUYER_US, purchase_order="")
    problems = peppol_problems(example_document(lines=1, buyer=buyer, currency="USD"))
    assert problems == [
        "the buyer has no Peppol endpoint (VAT id or endpoint id)",
        "Peppol needs a buyer reference or a purchase order number",
    ]


def test_tax_currency_is_a_second_tax_total_without_subtotals():
    doc = dataclasses.replace(
        example_document(lines=2, currency="USD", buyer=EXAMPLE_BUYER_US),
        tax_currency="EUR",
        tax_total_in_tax_currency=Decimal("12.34"),
    )
    xml = ubl_xml(doc)
    check_ubl_xml(xml)
    assert schematron_failures(xml, UBL_SCHEMATRON) == []
    totals = parse(xml).findall("cac:TaxTotal", UBL_NS)
    assert len(totals) == 2
    assert totals[1].find("cac:TaxSubtotal", UBL_NS) is None
    assert totals[1].find("cbc:TaxAmount", UBL_NS).get("currencyID") == "EUR"


# --- the real samples read the same way --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "mustang_testout-ZF2new.ubl.xml",
        "mustang_testout-ZF2PushAllowances.ubl.xml",
        "mustang_testout-ZF2PushItemChargesAllowances.ubl.xml",
        "akretion_ubl-21-en16931.xml",
    ],
)
def test_real_ubl_samples_reconcile_with_the_same_reader(name):
    path = sample(f"ubl_peppol/{name}")
    root = parse(path)
    assert xml_check_xsd(root, flavor="ubl-2.1-invoice")
    figures = ubl_figures(root)
    assert figures.line_nets
    assert br_co_violations(figures) == []


def test_our_invoice_has_the_top_level_shape_of_the_peppol_sample():
    theirs = parse(sample("ubl_peppol/mustang_testout-ZF2new.ubl.xml"))
    ours = parse(ubl_xml(example_document(lines=2)))

    def order(root):
        return list(dict.fromkeys(child.tag for child in root))

    shared = [tag for tag in order(theirs) if tag in order(ours)]
    assert [tag for tag in order(ours) if tag in shared] == shared
    assert text(theirs, "cbc:CustomizationID") == text(ours, "cbc:CustomizationID")
    assert text(theirs, "cbc:ProfileID") == text(ours, "cbc:ProfileID")
    assert len(shared) >= 12


def test_credit_memo_on_account_is_a_credit_note_without_a_billing_reference():
    doc = example_document(lines=2, kind=DocumentKind.CREDIT_MEMO, on_account=True)
    xml = ubl_xml(doc)
    check_ubl_xml(xml)
    root = parse(xml)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert root.find("cac:BillingReference", UBL_NS) is None
    assert schematron_failures(xml, UBL_SCHEMATRON) == []


def test_a_payment_schedule_is_the_first_due_date_and_one_terms_note():
    doc = example_document(lines=2, installments=3)
    root = parse(ubl_xml(doc))
    assert text(root, "cbc:DueDate") == "2026-12-20"
    (note,) = [node.text for node in root.findall("cac:PaymentTerms/cbc:Note", UBL_NS)]
    assert note.startswith("Zahlung in monatlichen Raten. Zahlungsplan: 1/3 ")
    assert "fällig am 20.12.2026; 2/3 " in note
    assert "fällig am 20.02.2027" in note
