"""Realistic example documents: for previews, benchmarks and tests.

Not tied to any tenant: a fictitious German seller with a logo and colours,
a handful of buyers in other countries, and believable line items.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

from invoicing.documents.model import (
    Address,
    Branding,
    Buyer,
    DocumentKind,
    InstallmentDue,
    InvoiceDocument,
    Line,
    Seller,
    TaxCategory,
    line_net_amount,
    make_document,
)
from otc.fx.money import quantize_money

EXAMPLE_LOGO_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 220 56">
<rect x="0" y="6" width="44" height="44" rx="9" fill="#0b5394"/>
<path d="M12 36 L22 18 L32 36 Z" fill="#f6b26b"/>
<circle cx="22" cy="33" r="4" fill="#ffffff"/>
<text x="56" y="36" font-family="DejaVu Sans" font-size="25" font-weight="bold"
 fill="#0b5394">Nordlicht</text>
<text x="57" y="50" font-family="DejaVu Sans" font-size="9.5" letter-spacing="2.6"
 fill="#5f6b7a">INDUSTRIETECHNIK</text>
</svg>"""

_ITEMS = [
    ("Hydraulic pump HP-220, 2.2 kW", "C62", Decimal("1249.00"), "HP-220"),
    ("Stainless steel fitting DN25, pack of 10", "XPK", Decimal("38.90"), "SF-DN25-10"),
    ("Pressure sensor PS-10, 0-10 bar, 4-20 mA", "C62", Decimal("186.50"), "PS-10"),
    ("On-site installation and commissioning", "HUR", Decimal("95.00"), ""),
    ("Hydraulic oil HLP 46", "LTR", Decimal("4.85"), "HLP46"),
    ("Maintenance contract, quarterly fee", "MON", Decimal("320.00"), "MC-Q"),
    ("Gasket set for HP series", "SET", Decimal("27.40"), "GS-HP"),
    ("Travel expenses, flat rate", "LS", Decimal("180.00"), ""),
    ("Control cabinet CC-4 with PLC, pre-wired and tested", "C62", Decimal("3480.00"), "CC-4"),
    ("Hose assembly 1/2 in., 2 m, crimped fittings", "C62", Decimal("52.30"), "HA-12-2"),
]

EXAMPLE_SELLER = Seller(
    legal_name="Nordlicht Industrietechnik GmbH",
    address=Address(
        street_lines=("Am Sandtorkai 42",), postal_code="20457", city="Hamburg", country="DE"
    ),
    vat_id="DE136695976",
    registration="Amtsgericht Hamburg, HRB 123456",
    tax_number="27/123/45678",
    iban="DE89370400440532013000",
    bic="COBADEFFXXX",
    bank_name="Commerzbank AG",
    email="billing@nordlicht.example",
    phone="+49 40 1234567-0",
    website="www.nordlicht.example",
    branding=Branding(
        logo=EXAMPLE_LOGO_SVG,
        logo_mime="image/svg+xml",
        primary_colour="#0b5394",
        accent_colour="#f6b26b",
    ),
    locale="de",
)

EXAMPLE_BUYER_DE = Buyer(
    legal_name="Müller & Söhne Maschinenbau KG",
    address=Address(
        street_lines=("Industriestraße 7", "Tor 3, Wareneingang"),
        postal_code="70565",
        city="Stuttgart",
        country="DE",
    ),
    vat_id="DE129273398",
    customer_number="K-10482",
    purchase_order="PO-2026-0815",
    buyer_reference="Einkauf / Fr. Weber",
    contact_name="z. Hd. Frau Anna Weber",
)

EXAMPLE_BUYER_US = Buyer(
    legal_name="Great Lakes Fluid Systems Inc.",
    address=Address(
        street_lines=("1200 Commerce Drive", "Suite 300"),
        postal_code="60606",
        city="Chicago",
        region="IL",
        country="US",
    ),
    customer_number="C-20931",
    purchase_order="4500012345",
    contact_name="Accounts Payable",
)

EXAMPLE_BUYER_FR = Buyer(
    legal_name="Hydraulique du Rhône SAS",
    address=Address(
        street_lines=("14 quai Perrache",), postal_code="69002", city="Lyon", country="FR"
    ),
    vat_id="FR40303265045",
    customer_number="C-30117",
    purchase_order="BC-77812",
)


def example_lines(
    count: int,
    currency: str = "EUR",
    *,
    tax_rate: Decimal = Decimal(19),
    category: TaxCategory = TaxCategory.STANDARD,
    mixed_rates: bool = False,
) -> tuple[Line, ...]:
    lines = []
    for index in range(count):
        description, unit, price, item_id = _ITEMS[index % len(_ITEMS)]
        quantity = Decimal((index * 7) % 12 + 1)
        if unit in {"HUR", "LTR"}:
            quantity = quantity * Decimal("2.5")
        discount = Decimal(5) if index % 4 == 1 else Decimal(0)
        rate = tax_rate
        if mixed_rates and index % 3 == 2:
            rate = Decimal(7)
        if currency == "JPY":
            price = (price * 160).quantize(Decimal(1))
        lines.append(
            Line(
                position=index + 1,
                description=description,
                quantity=quantity,
                unit_code=unit,
                unit_price=price,
                discount_percent=discount,
                tax_rate=rate,
                tax_category=category,
                line_net=line_net_amount(quantity, price, discount, currency),
                item_id=item_id,
            )
        )
    return tuple(lines)


def example_document(
    *,
    lines: int = 20,
    currency: str = "EUR",
    language: str = "de",
    kind: DocumentKind = DocumentKind.INVOICE,
    buyer: Buyer = EXAMPLE_BUYER_DE,
    seller: Seller = EXAMPLE_SELLER,
    category: TaxCategory = TaxCategory.STANDARD,
    mixed_rates: bool = False,
    number: str = "INV-2026-000123",
    issue_date: date = date(2026, 11, 20),
    base_currency_total: str = "",
    installments: int = 0,
    on_account: bool = False,
) -> InvoiceDocument:
    """An example document; ``installments`` > 0 gives it a payment schedule
    of that many monthly installments, the first due 30 days after issue;
    ``on_account`` makes a memo that refers to no invoice (a goodwill credit)."""
    rate = Decimal(19) if category is TaxCategory.STANDARD else Decimal(0)
    is_credit = kind is DocumentKind.CREDIT_MEMO
    refers = kind is not DocumentKind.INVOICE and not on_account
    doc = make_document(
        kind=kind,
        number=number,
        issue_date=issue_date,
        due_date=None if is_credit else issue_date + timedelta(days=30),
        delivery_date=issue_date - timedelta(days=2),
        currency=currency,
        seller=seller,
        buyer=buyer,
        lines=example_lines(
            lines, currency, tax_rate=rate, category=category, mixed_rates=mixed_rates
        ),
        payment_terms=(_CREDIT_TERMS if is_credit else _TERMS).get(language, _TERMS["en"]),
        early_payment_discount="" if is_credit else _DISCOUNT.get(language, _DISCOUNT["en"]),
        preceding_invoice_number="INV-2026-000098" if refers else "",
        preceding_invoice_date=date(2026, 10, 30) if refers else None,
        base_currency_total=base_currency_total,
        language=language,
    )
    if installments:
        schedule = example_installments(
            doc.amount_due, installments, first_due=issue_date + timedelta(days=30),
            currency=currency,
        )  # fmt: skip
        doc = dataclasses.replace(
            doc,
            due_date=schedule[0].due_date,
            payment_terms=_SCHEDULE_TERMS.get(language, _SCHEDULE_TERMS["en"]),
            early_payment_discount="",
            installments=schedule,
        )
    return doc


def example_installments(
    amount: Decimal, count: int, *, first_due: date, currency: str
) -> tuple[InstallmentDue, ...]:
    """``amount`` in ``count`` equal monthly parts (same day of the month, the
    28th at most), the rounding difference in the last one."""
    part = quantize_money(amount / count, currency)
    dates = []
    for index in range(count):
        month = first_due.month - 1 + index
        dates.append(date(first_due.year + month // 12, month % 12 + 1, min(first_due.day, 28)))
    amounts = [part] * (count - 1) + [amount - part * (count - 1)]
    return tuple(
        InstallmentDue(due_date=day, amount=value)
        for day, value in zip(dates, amounts, strict=True)
    )


_TERMS = {
    "de": "30 Tage netto",
    "en": "Net 30 days",
    "fr": "30 jours net",
}
_SCHEDULE_TERMS = {
    "de": "Zahlung in monatlichen Raten",
    "en": "Payable in monthly installments",
    "fr": "Payable en mensualités",
}
_CREDIT_TERMS = {
    "de": "Wird mit offenen Rechnungen verrechnet",
    "en": "Offset against open invoices",
    "fr": "Imputé sur les factures ouvertes",
}
_DISCOUNT = {
    "de": "2 % Skonto bei Zahlung innerhalb von 10 Tagen",
    "en": "2% discount if paid within 10 days",
    "fr": "Escompte de 2 % pour paiement sous 10 jours",
}
