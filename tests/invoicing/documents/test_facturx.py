"""Factur-X: the CII XML passes the Factur-X XSD and the official EN 16931
schematron, reconciles like the real samples do, and ends up embedded in a
PDF/A-3 invoice."""

from __future__ import annotations

import dataclasses
import re
import zlib
from datetime import date
from decimal import Decimal

import pytest
from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from lxml import etree

from invoicing.documents import facturx as facturx_module
from invoicing.documents import pdf as pdf_module
from invoicing.documents.examples import (
    EXAMPLE_BUYER_FR,
    EXAMPLE_BUYER_US,
    example_document,
)
from invoicing.documents.facturx import (
    check_facturx_xml,
    facturx_xml,
    render_facturx_pdf,
)
from invoicing.documents.model import DocumentKind, TaxCategory
from invoicing.documents.pdf import render_invoice_pdf
from tests.invoicing.documents.helpers import (
    CII_NS,
    CII_SCHEMATRON,
    br_co_violations,
    cii_figures,
    parse,
    pdf_reader,
    pdf_xmp,
    schematron_failures,
)
from tests.samples import sample

XMP_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
}

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
    return doc, facturx_xml(doc)


def text(root, path):
    return root.findtext(path, namespaces=CII_NS)


def test_xml_is_valid_against_the_factur_x_en16931_xsd(case):
    _, xml = case
    assert xml_check_xsd(xml, flavor="factur-x", level="en16931")
    check_facturx_xml(xml)


def test_xml_passes_the_en16931_schematron(case):
    _, xml = case
    assert schematron_failures(xml, CII_SCHEMATRON) == []


def test_figures_reconcile_and_match_the_document(case):
    doc, xml = case
    root = parse(xml)
    figures = cii_figures(root)
    assert br_co_violations(figures) == []
    assert figures.line_total == doc.net_total
    assert figures.tax_total == doc.tax_total
    assert figures.payable == doc.amount_due
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == doc.type_code
    assert (
        text(
            root,
            "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
        )
        == "urn:cen.eu:en16931:2017"
    )


def test_credit_memo_is_381_and_references_the_invoice():
    doc = example_document(lines=2, kind=DocumentKind.CREDIT_MEMO)
    root = parse(facturx_xml(doc))
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    reference = root.find(".//ram:InvoiceReferencedDocument", CII_NS)
    assert text(reference, "ram:IssuerAssignedID") == "INV-2026-000098"
    assert text(reference, "ram:FormattedIssueDateTime/qdt:DateTimeString") == "20261030"
    # Nothing to pay: no payment means, no transfer reference.
    assert root.find(".//ram:SpecifiedTradeSettlementPaymentMeans", CII_NS) is None


def test_reverse_charge_states_the_exemption():
    doc = example_document(lines=2, category=TaxCategory.REVERSE_CHARGE, buyer=EXAMPLE_BUYER_FR)
    root = parse(facturx_xml(doc))
    (tax,) = root.findall(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", CII_NS)
    assert text(tax, "ram:CategoryCode") == "AE"
    assert text(tax, "ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert text(tax, "ram:CalculatedAmount") == "0.00"
    buyer_vat = ".//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
    assert text(root, buyer_vat) == "FR40303265045"


def test_multi_rate_has_one_breakdown_per_rate():
    doc = example_document(lines=9, mixed_rates=True)
    root = parse(facturx_xml(doc))
    rates = [
        text(tax, "ram:RateApplicablePercent")
        for tax in root.findall(
            ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", CII_NS
        )
    ]
    assert rates == ["19.00", "7.00"]


def test_jpy_amounts_have_no_decimals_and_usd_is_a_plain_transfer():
    jpy = parse(
        facturx_xml(
            example_document(
                lines=3, currency="JPY", buyer=EXAMPLE_BUYER_US, category=TaxCategory.EXPORT
            )
        )
    )
    assert text(jpy, ".//ram:InvoiceCurrencyCode") == "JPY"
    grand = text(jpy, ".//ram:GrandTotalAmount")
    assert grand.isdigit()
    usd = parse(
        facturx_xml(
            example_document(
                lines=3, currency="USD", buyer=EXAMPLE_BUYER_US, category=TaxCategory.EXPORT
            )
        )
    )
    assert text(usd, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "30"


def test_eur_invoice_carries_sepa_payment_means_and_the_rf_reference():
    doc = example_document(lines=2)
    root = parse(facturx_xml(doc))
    assert text(root, ".//ram:PaymentReference") == doc.payment_reference
    assert text(root, ".//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert text(root, ".//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == doc.seller.iban
    assert (
        text(root, ".//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID")
        == "DE136695976"
    )


def test_line_discount_is_a_line_allowance():
    doc = example_document(lines=2)  # line 2 carries a 5 % discount
    root = parse(facturx_xml(doc))
    items = root.findall(".//ram:IncludedSupplyChainTradeLineItem", CII_NS)
    allowance = items[1].find(".//ram:SpecifiedTradeAllowanceCharge", CII_NS)
    assert text(allowance, "ram:CalculationPercent") == "5.00"
    base, actual = (
        Decimal(text(allowance, "ram:BasisAmount")),
        Decimal(text(allowance, "ram:ActualAmount")),
    )
    line_total = Decimal(text(items[1], ".//ram:LineTotalAmount"))
    assert base - actual == line_total == doc.lines[1].line_net
    assert items[0].find(".//ram:SpecifiedTradeAllowanceCharge", CII_NS) is None


def test_tax_currency_adds_a_second_tax_total():
    doc = dataclasses.replace(
        example_document(lines=2, currency="USD", buyer=EXAMPLE_BUYER_US),
        tax_currency="EUR",
        tax_total_in_tax_currency=Decimal("100.00"),
    )
    xml = facturx_xml(doc)
    check_facturx_xml(xml)
    assert schematron_failures(xml, CII_SCHEMATRON) == []
    totals = parse(xml).findall(".//ram:TaxTotalAmount", CII_NS)
    assert [(t.get("currencyID"), t.text) for t in totals][1] == ("EUR", "100.00")


# --- the real samples read the same way --------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "drafthorse_zugferd_2p1_EN16931_Einfach.xml",
        "drafthorse_zugferd_2p1_EN16931_Gutschrift.xml",
        "drafthorse_zugferd_2p1_EN16931_Rabatte.xml",
        "mustang_multiple-payment-means.cii.xml",
    ],
)
def test_real_cii_samples_reconcile_with_the_same_reader(name):
    path = sample(f"facturx_zugferd_cii/{name}")
    assert xml_check_xsd(path.read_bytes(), flavor="factur-x", level="en16931")
    figures = cii_figures(parse(path))
    assert figures.line_total > 0
    assert br_co_violations(figures) == []


def test_our_header_settlement_keeps_the_order_of_the_ferd_sample():
    sample_root = parse(sample("facturx_zugferd_cii/drafthorse_zugferd_2p1_EN16931_Einfach.xml"))
    ours = parse(facturx_xml(example_document(lines=2)))

    def child_tags(root):
        settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", CII_NS)
        return list(dict.fromkeys(etree_local(child.tag) for child in settlement))

    theirs = [tag for tag in child_tags(sample_root) if tag in child_tags(ours)]
    mine = [tag for tag in child_tags(ours) if tag in theirs]
    assert mine == theirs
    assert len(theirs) >= 4


def etree_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- embedded in the PDF ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def facturx_pdf():
    doc = example_document(lines=4)
    return doc, render_facturx_pdf(doc)


def test_pdf_carries_the_xml_as_factur_x_attachment(facturx_pdf):
    doc, pdf = facturx_pdf
    reader = pdf_reader(pdf)
    assert list(reader.attachments) == ["factur-x.xml"]
    (attached,) = reader.attachments["factur-x.xml"]
    assert attached == facturx_xml(doc)
    filename, xml = get_facturx_xml_from_pdf(pdf)
    assert filename == "factur-x.xml"
    assert parse(xml).findtext(".//ram:GrandTotalAmount", namespaces=CII_NS) == str(doc.gross_total)


def test_pdf_declares_pdf_a_3_and_the_factur_x_profile(facturx_pdf):
    _, pdf = facturx_pdf
    xmp = pdf_xmp(pdf)
    # One packet, one rdf:RDF: XMP readers (veraPDF among them) read only the
    # first, so the Factur-X properties must sit beside the PDF/A ones.
    packet = etree.fromstring(xmp.encode())
    (rdf,) = packet.findall(f"{{{XMP_NS['rdf']}}}RDF")
    part, conformance = (f"{{{XMP_NS['pdfaid']}}}{name}" for name in ("part", "conformance"))
    assert [(d.get(part), d.get(conformance)) for d in rdf if d.get(part)] == [("3", "B")]
    assert rdf.findtext(".//fx:ConformanceLevel", namespaces=XMP_NS) == "EN 16931"
    assert rdf.findtext(".//fx:DocumentFileName", namespaces=XMP_NS) == "factur-x.xml"
    assert rdf.findtext(".//fx:DocumentType", namespaces=XMP_NS) == "INVOICE"
    assert rdf.findtext(".//fx:Version", namespaces=XMP_NS) == "1.0"
    assert rdf.findtext(".//pdfaSchema:namespaceURI", namespaces=XMP_NS) == XMP_NS["fx"]
    assert all(d.get(f"{{{XMP_NS['rdf']}}}about") == "" for d in rdf)
    # PDF/A: the document info says what the XMP says.
    info = pdf_reader(pdf).trailer["/Info"]
    created = rdf.findtext(".//xmp:CreateDate", namespaces=XMP_NS)  # 2026-11-24T02:51:34Z
    assert re.sub(r"\D", "", info["/CreationDate"]) == re.sub(r"\D", "", created)
    producer = f"{{{XMP_NS['pdf']}}}Producer"
    assert [d.get(producer) for d in rdf if d.get(producer)] == [info["/Producer"]]
    root = pdf_reader(pdf).trailer["/Root"]
    assert "/OutputIntents" in root  # sRGB output intent from the PDF/A-3b render
    (filespec,) = root["/AF"]  # the XML once, as an associated file
    filespec = filespec.get_object()
    assert filespec["/AFRelationship"] == "/Data"
    assert filespec["/UF"] == "factur-x.xml"
    embedded = filespec["/EF"]["/F"].get_object()
    assert embedded["/Subtype"] == "/text/xml"
    assert "/ModDate" in embedded["/Params"]
    assert root["/PageMode"] == "/UseAttachments"


def test_embedding_keeps_the_pdf_compressed():
    doc = example_document(lines=20)
    plain, stored = render_invoice_pdf(doc), render_facturx_pdf(doc)
    attached = len(zlib.compress(facturx_xml(doc)))
    assert len(plain) + attached < len(stored) < len(plain) + attached + 4096


def test_xml_that_is_not_factur_x_is_refused_before_anything_renders(monkeypatch):
    with pytest.raises(Exception, match=r"not valid|XML"):
        check_facturx_xml(b"<Invoice/>")

    def must_not_render(*args, **kwargs):
        raise AssertionError("rendered an invoice whose XML is invalid")

    monkeypatch.setattr(facturx_module, "facturx_xml", lambda doc, **kw: b"<Invoice/>")
    monkeypatch.setattr(pdf_module, "render_invoice_pdf", must_not_render)
    with pytest.raises(Exception, match=r"not valid|XML"):
        render_facturx_pdf(example_document(lines=2))


def test_invoice_date_in_xml_is_the_issue_date():
    doc = example_document(lines=1, issue_date=date(2026, 2, 28))
    root = parse(facturx_xml(doc))
    assert text(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString") == "20260228"


def test_credit_memo_on_account_is_381_without_a_reference():
    doc = example_document(lines=2, kind=DocumentKind.CREDIT_MEMO, on_account=True)
    xml = facturx_xml(doc)
    check_facturx_xml(xml)
    root = parse(xml)
    assert text(root, "rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert root.find(".//ram:InvoiceReferencedDocument", CII_NS) is None
    assert schematron_failures(xml, CII_SCHEMATRON) == []


def test_a_payment_schedule_is_the_first_due_date_and_the_terms_text():
    doc = example_document(lines=3, installments=3, language="en")
    first, second, third = doc.installments
    root = parse(facturx_xml(doc))
    (terms,) = root.findall(".//ram:SpecifiedTradePaymentTerms", CII_NS)
    assert text(terms, "ram:DueDateDateTime/udt:DateTimeString") == "20261220"
    description = text(terms, "ram:Description")
    assert description.startswith("Payable in monthly installments. Payment schedule: ")
    assert f"1/3 €{first.amount:,.2f} due Dec 20, 2026" in description
    assert f"2/3 €{second.amount:,.2f} due Jan 20, 2027" in description
    assert f"3/3 €{third.amount:,.2f} due Feb 20, 2027" in description
    assert first.amount + second.amount + third.amount == doc.amount_due


def test_the_embedded_xml_of_a_schedule_is_the_one_written():
    doc = example_document(lines=2, installments=2)
    _, embedded = get_facturx_xml_from_pdf(render_facturx_pdf(doc), check_xsd=True)
    assert embedded == facturx_xml(doc)
