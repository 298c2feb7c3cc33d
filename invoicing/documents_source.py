"""From the models to the printed document: ``invoice_document`` reads one
invoice (its lines, stored totals and tax summary), its customer and the
tenant, and returns the ``invoicing.documents.model.InvoiceDocument`` the
renderers print (PDF, Factur-X, UBL).

A read, like a selector: nothing is written. The stored figures are handed
over as they are, so ``validate_document`` checks the stored totals against
the lines once more before anything is printed or sent.

Where the models have no field for something a document needs:
- the seller's country is the tenant's ``country``, else the prefix of its
  VAT ID, else the country of its locale (de-DE: DE; a bare "en": US, the
  CLDR's likely territory);
- the buyer's VAT ID (BT-48) is the customer's tax id when it carries its
  country's VAT prefix (DE..., FR..., EL... for Greece, CHE... for
  Switzerland); a US EIN is not a VAT ID and is left out;
- an intra-Community supply must state a delivery date (BR-IC-11); OTC
  keeps none on invoices, so such documents state the issue date;
- exempt lines (category E) state the category as their exemption reason
  (BR-E-10), in the document's language.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import PurePath
from zoneinfo import ZoneInfo

from babel.core import Locale, UnknownLocaleError, get_global
from django.utils import timezone

from invoicing.documents import formatting as fmt
from invoicing.documents.labels import Labels
from invoicing.documents.model import (
    EXEMPTION_DEFAULTS,
    Address,
    Branding,
    Buyer,
    DocumentKind,
    InstallmentDue,
    InvoiceDocument,
    Line,
    Seller,
    TaxCategory,
    TaxSubtotal,
)
from invoicing.installments import is_split, split_by_shares
from invoicing.models import Invoice, InvoiceInstallment, InvoiceKind, InvoiceLine
from invoicing.totals import tax_summary
from otc.customers.models import AddressKind, ContactRole, Customer, CustomerAddress
from otc.customers.selectors import (
    customer_addresses,
    customer_contacts_for_role,
    payment_terms_due_date,
    payment_terms_schedule,
)
from otc.fx.money import quantize_money
from otc.tenancy.models import Tenant

DRAFT_NUMBER_PREFIX = "DRAFT-"
_KINDS = {
    InvoiceKind.INVOICE: DocumentKind.INVOICE,
    InvoiceKind.CREDIT_MEMO: DocumentKind.CREDIT_MEMO,
    InvoiceKind.DEBIT_MEMO: DocumentKind.DEBIT_MEMO,
}
_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
# VAT prefixes that are not the ISO code of their country.
_VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}
_COUNTRY_VAT_PREFIX = {"GR": "EL"}

# The early-payment discount sentence, in the languages documents print in
# (the others read English, as the labels do).
_DISCOUNT_TEXT = {
    "en": "{percent} discount ({amount}) if paid by {date}",
    "de": "{percent} Skonto ({amount}) bei Zahlung bis {date}",
    "fr": "Escompte de {percent} ({amount}) pour paiement avant le {date}",
}


def invoice_document(*, tenant: Tenant, invoice: Invoice) -> InvoiceDocument:
    """The document of an issued invoice, credit memo or debit memo; for a
    draft, its preview (numbered ``DRAFT-<id>``, dated today unless it has
    a date, due by its terms from then)."""
    # Read here rather than through invoicing.selectors: the services import
    # this module, and the selectors import the services.
    lines = list(InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice))
    currency = str(invoice.currency)
    customer = invoice.customer
    language = customer.language or tenant.locale
    kind = _KINDS[InvoiceKind(invoice.kind)]
    issue_date = invoice.issue_date or timezone.localdate(timezone=ZoneInfo(tenant.timezone))
    related = invoice.related_invoice
    net, tax, gross = (
        quantize_money(amount, currency)
        for amount in (invoice.net_amount, invoice.tax_amount, invoice.gross_amount)
    )
    return InvoiceDocument(
        kind=kind,
        number=invoice.number or f"{DRAFT_NUMBER_PREFIX}{invoice.pk}",
        issue_date=issue_date,
        currency=currency,
        seller=seller_of(tenant),
        buyer=_buyer(tenant=tenant, invoice=invoice, customer=customer),
        lines=tuple(_line(line, currency) for line in lines),
        tax_subtotals=_subtotals(lines, currency=currency, language=language),
        net_total=net,
        tax_total=tax,
        gross_total=gross,
        amount_due=gross,
        due_date=_due_date(invoice, issue_date),
        delivery_date=(
            issue_date
            if any(line.tax_category == TaxCategory.INTRA_COMMUNITY for line in lines)
            else None
        ),
        payment_terms=(
            invoice.payment_terms.name
            if invoice.payment_terms is not None and kind is not DocumentKind.CREDIT_MEMO
            else ""
        ),
        early_payment_discount=_discount_text(invoice, language=language),
        preceding_invoice_number=related.number if related is not None else "",
        preceding_invoice_date=related.issue_date if related is not None else None,
        notes=(invoice.notes,) if invoice.notes else (),
        base_currency_total=_base_currency_total(invoice, language=language),
        language=language,
        installments=_installments(tenant=tenant, invoice=invoice, issue_date=issue_date),
    )


def document_source_hash(doc: InvoiceDocument) -> str:
    """A fingerprint of everything the renderers print: the same document
    renders to the same content, so an unchanged hash needs no new files.
    The dataclasses are frozen and hold only values with a stable repr."""
    return hashlib.sha256(repr(doc).encode()).hexdigest()


# --- the seller -------------------------------------------------------------------------


def seller_of(tenant: Tenant) -> Seller:
    country = seller_country(tenant)
    return Seller(
        legal_name=tenant.legal_name or tenant.name,
        address=Address.from_text(tenant.address, country=country),
        vat_id=tenant.vat_id,
        registration=tenant.registration,
        tax_number=tenant.tax_number,
        iban=tenant.iban,
        bic=tenant.bic,
        bank_name=tenant.bank_name,
        email=tenant.billing_email,
        phone=tenant.phone,
        website=tenant.website,
        branding=_branding(tenant),
        locale=tenant.locale,
    )


def seller_country(tenant: Tenant) -> str:
    if tenant.country:
        return str(tenant.country)
    prefix = tenant.vat_id[:2].upper()
    if prefix.isalpha() and len(prefix) == 2:
        return _VAT_PREFIX_COUNTRY.get(prefix, prefix)
    return _locale_country(tenant.locale)


def _locale_country(locale: str) -> str:
    name = (locale or "en").replace("-", "_")
    try:
        parsed = Locale.parse(name)
    except (ValueError, UnknownLocaleError):
        parsed = Locale.parse("en")
    if parsed.territory:
        return str(parsed.territory)
    likely = str(get_global("likely_subtags").get(parsed.language, "en_Latn_US"))
    return likely.rsplit("_", 1)[-1]


def _branding(tenant: Tenant) -> Branding:
    logo: bytes | None = None
    mime = ""
    if tenant.logo:
        mime = _LOGO_TYPES.get(PurePath(tenant.logo.name or "").suffix.lower(), "")
        if mime:
            try:
                with tenant.logo.open("rb") as handle:
                    logo = handle.read()
            except OSError:
                # A logo lost from storage prints the name instead of failing the invoice.
                logo, mime = None, ""
    return Branding(
        logo=logo,
        logo_mime=mime if logo else "",
        primary_colour=tenant.primary_colour,
        accent_colour=tenant.accent_colour,
    )


# --- the buyer --------------------------------------------------------------------------


def _buyer(*, tenant: Tenant, invoice: Invoice, customer: Customer) -> Buyer:
    ap_contacts = [
        contact
        for contact in customer_contacts_for_role(
            tenant=tenant, customer=customer, role=ContactRole.AP
        )
        if contact.email
    ]
    contact = ap_contacts[0] if ap_contacts else None
    return Buyer(
        legal_name=customer.legal_name,
        address=_billing_address(tenant=tenant, customer=customer),
        vat_id=buyer_vat_id(customer),
        buyer_reference=invoice.buyer_reference,
        purchase_order=invoice.po_number,
        customer_number=customer.number,
        contact_name=contact.name if contact else "",
        email=contact.email if contact else "",
    )


def buyer_vat_id(customer: Customer) -> str:
    tax_id = customer.tax_id.strip().upper()
    country = str(customer.country).upper()
    prefix = _COUNTRY_VAT_PREFIX.get(country, country)
    return tax_id if prefix and tax_id.startswith(prefix) else ""


def _billing_address(*, tenant: Tenant, customer: Customer) -> Address:
    addresses = [
        address
        for address in customer_addresses(tenant=tenant, customer=customer)
        if address.kind == AddressKind.BILLING
    ]
    # The default billing address, else the first one entered.
    addresses.sort(key=lambda address: (not address.is_default, address.pk))
    if not addresses:
        return Address(street_lines=(), city="", country=str(customer.country))
    return _address(addresses[0])


def _address(address: CustomerAddress) -> Address:
    return Address(
        street_lines=tuple(
            line for line in (address.line1, address.line2, address.line3) if line.strip()
        ),
        city=address.city,
        postal_code=address.postal_code,
        region=address.region,
        country=str(address.country),
    )


# --- lines, tax and terms ----------------------------------------------------------------


def _line(line: InvoiceLine, currency: str) -> Line:
    return Line(
        position=line.position,
        description=line.description,
        quantity=line.quantity,
        unit_code=line.unit,
        unit_price=line.unit_price,
        tax_rate=line.tax_rate,
        tax_category=TaxCategory(line.tax_category),
        line_net=quantize_money(line.line_net, currency),
        discount_percent=line.discount_percent,
        item_id=line.product_code,
    )


def _subtotals(
    lines: list[InvoiceLine], *, currency: str, language: str
) -> tuple[TaxSubtotal, ...]:
    labels = Labels(language)
    subtotals = []
    groups = tax_summary(
        ((line.tax_category, line.tax_rate, line.line_net) for line in lines), currency=currency
    )
    for group in groups:
        category = TaxCategory(group.category)
        code, reason = EXEMPTION_DEFAULTS.get(category, ("", ""))
        if category is TaxCategory.EXEMPT:
            reason = labels.category(category)
        subtotals.append(
            TaxSubtotal(
                category=category,
                rate=group.rate,
                taxable_amount=group.net,
                tax_amount=group.tax,
                exemption_reason=reason,
                exemption_reason_code=code,
            )
        )
    return tuple(subtotals)


def _due_date(invoice: Invoice, issue_date: date) -> date | None:
    if invoice.due_date is not None:
        return invoice.due_date
    # A draft without a date: as issuing today would set it.
    if invoice.payment_terms is not None and invoice.kind != InvoiceKind.CREDIT_MEMO:
        return payment_terms_due_date(terms=invoice.payment_terms, document_date=issue_date)
    return issue_date


def _installments(
    *, tenant: Tenant, invoice: Invoice, issue_date: date
) -> tuple[InstallmentDue, ...]:
    """The payment schedule printed and sent in the e-invoice: the parts it
    was issued in; for a draft under split terms, the parts it would be
    issued in on `issue_date` (none when too small to split: issuing says so)."""
    currency = str(invoice.currency)
    if invoice.installment_count:
        return tuple(
            InstallmentDue(due_date=part.due_date, amount=quantize_money(part.amount, currency))
            for part in InvoiceInstallment.objects.for_tenant(tenant)
            .filter(invoice=invoice)
            .order_by("sequence")
        )
    if not invoice.is_draft or not is_split(invoice) or invoice.payment_terms is None:
        return ()
    schedule = payment_terms_schedule(terms=invoice.payment_terms, document_date=issue_date)
    amounts = split_by_shares(
        amount=quantize_money(invoice.gross_amount, currency),
        shares=[part.share_percent for part in schedule],
        currency=currency,
    )
    if any(amount <= 0 for amount in amounts):
        return ()
    return tuple(
        InstallmentDue(due_date=part.due_date, amount=amount)
        for part, amount in zip(schedule, amounts, strict=True)
    )


def _discount_text(invoice: Invoice, *, language: str) -> str:
    terms = invoice.payment_terms
    if (
        invoice.kind == InvoiceKind.CREDIT_MEMO
        or terms is None
        or invoice.discount_date is None
        or invoice.discount_amount <= 0
    ):
        return ""
    template = _DISCOUNT_TEXT.get(Labels(language).language, _DISCOUNT_TEXT["en"])
    return template.format(
        percent=fmt.percent(terms.discount_percent, language),
        amount=fmt.money(
            quantize_money(invoice.discount_amount, str(invoice.currency)),
            str(invoice.currency),
            language,
        ),
        date=fmt.short_date(invoice.discount_date, language),
    )


def _base_currency_total(invoice: Invoice, *, language: str) -> str:
    base_currency = invoice.base_currency
    if (
        not base_currency
        or base_currency == str(invoice.currency)
        or invoice.fx_rate is None
        or invoice.base_gross_amount is None
        or invoice.issue_date is None
    ):
        return ""
    return fmt.base_currency_total_text(
        base_amount=quantize_money(invoice.base_gross_amount, base_currency),
        base_currency=base_currency,
        document_currency=str(invoice.currency),
        rate=invoice.fx_rate.normalize(),
        rate_date=invoice.issue_date,
        locale=language,
    )
