"""One invoice document, as the renderers (PDF, Factur-X, UBL) see it.

Plain frozen dataclasses and pure functions, nothing Django: the invoicing
services build an ``InvoiceDocument`` from their models and hand it to
``render_invoice_pdf``, ``facturx_xml`` or ``ubl_xml``. Every renderer trusts
the figures it is given, so ``validate_document`` checks that they add up to
the minor unit before anything is printed or sent.

The rounding rules (the same as ``otc.fx.money``: half-up to the currency's
minor unit) are stated once here:

- line net = round(quantity x unit price) - round(round(quantity x unit price)
  x discount percent / 100); ``line_net_amount`` computes it;
- tax per (category, rate) = round(sum of that group's line nets x rate / 100),
  as EN 16931 BR-CO-17 asks (tax is summed per rate, never per line);
- net = sum of line nets, tax = sum of group taxes, gross = net + tax,
  amount due = gross - prepaid.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from babel import Locale
from babel.numbers import get_currency_precision, is_currency
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from otc.fx.money import quantize_money

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml", "image/gif", "image/webp"})


class DocumentKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"
    DEBIT_MEMO = "debit_memo"

    @property
    def type_code(self) -> str:
        """The UNTDID 1001 document type code EN 16931 uses (BT-3)."""
        return _TYPE_CODES[self]


_TYPE_CODES = {
    DocumentKind.INVOICE: "380",
    DocumentKind.CREDIT_MEMO: "381",
    DocumentKind.DEBIT_MEMO: "383",
}


class TaxCategory(StrEnum):
    """UNCL 5305 VAT category codes as EN 16931 uses them (BT-118, BT-151)."""

    STANDARD = "S"
    ZERO_RATED = "Z"
    EXEMPT = "E"
    REVERSE_CHARGE = "AE"
    INTRA_COMMUNITY = "K"
    EXPORT = "G"


# Categories that carry no tax and must say why (BR-E-10, BR-AE-10, BR-IC-10,
# BR-G-10); the defaults are the VATEX codes and the wording of the directive.
EXEMPTION_DEFAULTS: dict[TaxCategory, tuple[str, str]] = {
    TaxCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    TaxCategory.INTRA_COMMUNITY: ("VATEX-EU-IC", "Intra-Community supply"),
    TaxCategory.EXPORT: ("VATEX-EU-G", "Export outside the EU"),
}
_ZERO_RATE_CATEGORIES = frozenset(
    {
        TaxCategory.ZERO_RATED,
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
    }
)
_NEEDS_REASON = frozenset(
    {
        TaxCategory.EXEMPT,
        TaxCategory.REVERSE_CHARGE,
        TaxCategory.INTRA_COMMUNITY,
        TaxCategory.EXPORT,
    }
)


@dataclass(frozen=True)
class Address:
    street_lines: tuple[str, ...]
    city: str
    country: str  # ISO 3166-1 alpha-2
    postal_code: str = ""
    region: str = ""

    @classmethod
    def from_text(cls, text: str, *, country: str) -> Address:
        """Read a free-text address (the tenant keeps one) into its parts.

        The last non-empty line is taken as "<postal code> <city>" when it
        starts with a digit ("80333 München", "75008 Paris"), else as the city;
        the lines above it are the street lines. A trailing country name line
        is dropped when the country is given separately.
        """
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > 1 and _is_country_name(lines[-1], country):
            lines = lines[:-1]
        if not lines:
            return cls(street_lines=(), city="", country=country)
        last = lines[-1]
        postal_code, city = "", last
        head, _, tail = last.partition(" ")
        if head[:1].isdigit() and tail:
            postal_code, city = head, tail.strip()
        return cls(
            street_lines=tuple(lines[:-1]), city=city, postal_code=postal_code, country=country
        )

    @property
    def city_line(self) -> str:
        """The line with the city, written the way the post of its country reads it."""
        if self.country in _CITY_REGION_POSTAL:
            head = ", ".join(part for part in (self.city, self.region) if part)
            return f"{head} {self.postal_code}".strip()
        if self.country in _CITY_POSTAL:
            return f"{self.city} {self.postal_code}".strip()
        return f"{self.postal_code} {self.city}".strip()


# Most of Europe writes "80333 München"; these write "Chicago, IL 60606" or
# "London SW1A 1AA".
_CITY_REGION_POSTAL = frozenset({"US", "CA", "AU"})
_CITY_POSTAL = frozenset({"GB", "IE"})


def _is_country_name(line: str, country: str) -> bool:
    """ "Deutschland", "Germany" or "DE" under "80333 München"."""
    wanted = line.strip().casefold()
    if wanted == country.casefold():
        return True
    for language in _COUNTRY_NAME_LANGUAGES:
        name = Locale.parse(language).territories.get(country.upper(), "")
        if name and name.casefold() == wanted:
            return True
    return False


_COUNTRY_NAME_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")


@dataclass(frozen=True)
class Branding:
    logo: bytes | None = None
    logo_mime: str = ""
    primary_colour: str = "#1f4e79"
    accent_colour: str = "#f2a900"


@dataclass(frozen=True)
class Seller:
    legal_name: str
    address: Address
    vat_id: str = ""
    # Trade register entry (BT-30), e.g. "HRB 123456, Amtsgericht München".
    registration: str = ""
    # National tax number (BT-32), e.g. a German Steuernummer.
    tax_number: str = ""
    iban: str = ""
    bic: str = ""
    bank_name: str = ""
    email: str = ""
    phone: str = ""
    website: str = ""
    # Peppol electronic address (BT-34) with its EAS scheme; derived from the
    # VAT id when empty (see ``endpoint``).
    endpoint_id: str = ""
    endpoint_scheme: str = ""
    branding: Branding = field(default_factory=Branding)
    locale: str = "en"

    @property
    def country(self) -> str:
        return self.address.country

    @property
    def endpoint(self) -> tuple[str, str] | None:
        return _endpoint(self.endpoint_id, self.endpoint_scheme, self.vat_id)


@dataclass(frozen=True)
class Buyer:
    legal_name: str
    address: Address
    vat_id: str = ""
    # The buyer's own routing reference (BT-10, e.g. a Leitweg-ID) and order
    # number (BT-13); Peppol wants at least one of them.
    buyer_reference: str = ""
    purchase_order: str = ""
    customer_number: str = ""
    contact_name: str = ""
    email: str = ""
    endpoint_id: str = ""
    endpoint_scheme: str = ""

    @property
    def country(self) -> str:
        return self.address.country

    @property
    def endpoint(self) -> tuple[str, str] | None:
        return _endpoint(self.endpoint_id, self.endpoint_scheme, self.vat_id)


@dataclass(frozen=True)
class Line:
    position: int
    description: str
    quantity: Decimal
    unit_code: str  # UN/ECE Recommendation 20, e.g. C62 (piece), HUR (hour)
    unit_price: Decimal  # net of tax, before the line discount
    tax_rate: Decimal  # percent, e.g. Decimal("19")
    tax_category: TaxCategory
    line_net: Decimal
    discount_percent: Decimal = ZERO
    item_id: str = ""  # the seller's item number (BT-155)
    note: str = ""

    @property
    def gross_amount(self) -> Decimal:
        """Quantity x unit price before the discount, unrounded."""
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class TaxSubtotal:
    category: TaxCategory
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption_reason: str = ""
    exemption_reason_code: str = ""


@dataclass(frozen=True)
class InstallmentDue:
    """One installment of a payment schedule: this much is due on that day."""

    due_date: date
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    kind: DocumentKind
    number: str
    issue_date: date
    currency: str
    seller: Seller
    buyer: Buyer
    lines: tuple[Line, ...]
    tax_subtotals: tuple[TaxSubtotal, ...]
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    amount_due: Decimal
    prepaid_amount: Decimal = ZERO
    due_date: date | None = None
    delivery_date: date | None = None
    # Where the goods went (BG-15) when that is not the buyer's address; an
    # intra-Community supply needs the deliver-to country (BR-IC-12).
    delivery_address: Address | None = None
    period_start: date | None = None
    period_end: date | None = None
    payment_terms: str = ""
    early_payment_discount: str = ""
    preceding_invoice_number: str = ""
    preceding_invoice_date: date | None = None
    notes: tuple[str, ...] = ()
    # ISO 11649 "RF.." creditor reference; derived from ``number`` when None.
    payment_reference: str | None = None
    # Free text shown under the totals when the document is not in the
    # tenant's base currency, e.g. "Total in EUR at 0.9212 (ECB, 2026-11-20): 1.136,58 €".
    base_currency_total: str = ""
    # VAT accounting currency (BT-6) and the tax total in it (BT-111), for
    # sellers whose law wants the VAT in their own currency.
    tax_currency: str = ""
    tax_total_in_tax_currency: Decimal | None = None
    # Language the document is printed in (usually the customer's); the
    # seller's locale when empty.
    language: str = ""
    # The payment schedule of installment terms, in date order; the amounts
    # add up to the amount due. Empty: the whole amount is due on
    # ``due_date``. With a schedule, the first installment's date is the
    # document's due date (BT-9); ``due_date``, when given, must be that date.
    installments: tuple[InstallmentDue, ...] = ()

    def __post_init__(self) -> None:
        if self.payment_reference is None:
            # The documented way to fill a derived field of a frozen dataclass.
            # A number with nothing to derive from is reported by the validator.
            derived = creditor_reference(self.number) if _alnum(self.number) else ""
            object.__setattr__(self, "payment_reference", derived)

    @property
    def type_code(self) -> str:
        return self.kind.type_code

    @property
    def locale(self) -> str:
        return self.language or self.seller.locale or "en"

    @property
    def deliver_to(self) -> Address | None:
        """The deliver-to address to state: the given one, or the buyer's for an
        intra-Community supply, which must name the country of arrival."""
        if self.delivery_address is not None:
            return self.delivery_address
        if any(sub.category is TaxCategory.INTRA_COMMUNITY for sub in self.tax_subtotals):
            return self.buyer.address
        return None

    @property
    def payment_due_date(self) -> date | None:
        """The due date the e-invoice states (BT-9): the first installment's
        when there is a schedule."""
        return self.installments[0].due_date if self.installments else self.due_date

    @property
    def is_memo(self) -> bool:
        return self.kind is not DocumentKind.INVOICE


class InvoiceDocumentError(ValueError):
    """The document's figures or parties do not add up; ``problems`` says where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invoice document is inconsistent: " + "; ".join(problems))


# --- computations ----------------------------------------------------------------


def line_net_amount(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, currency: str
) -> Decimal:
    """The one rule for a line's net amount (see the module docstring)."""
    base = quantize_money(quantity * unit_price, currency)
    return base - line_discount_amount(base, discount_percent, currency)


def line_discount_amount(base: Decimal, discount_percent: Decimal, currency: str) -> Decimal:
    if not discount_percent:
        return ZERO
    return quantize_money(base * discount_percent / HUNDRED, currency)


def line_base_amount(line: Line, currency: str) -> Decimal:
    """round(quantity x unit price): the base the line discount is taken from."""
    return quantize_money(line.gross_amount, currency)


def tax_subtotals_for(lines: Iterable[Line], currency: str) -> tuple[TaxSubtotal, ...]:
    """One subtotal per (category, rate), in a stable order (highest rate first)."""
    groups: dict[tuple[TaxCategory, Decimal], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        groups[(line.tax_category, _rate_key(line.tax_rate))] += line.line_net
    subtotals = []
    for (category, rate), taxable in sorted(
        groups.items(), key=lambda item: (-item[0][1], item[0][0].value)
    ):
        code, reason = EXEMPTION_DEFAULTS.get(category, ("", ""))
        subtotals.append(
            TaxSubtotal(
                category=category,
                rate=rate,
                taxable_amount=taxable,
                tax_amount=quantize_money(taxable * rate / HUNDRED, currency),
                exemption_reason=reason,
                exemption_reason_code=code,
            )
        )
    return tuple(subtotals)


def make_document(
    *,
    lines: Iterable[Line],
    currency: str,
    prepaid_amount: Decimal = ZERO,
    exemption_reasons: dict[TaxCategory, tuple[str, str]] | None = None,
    **fields: object,
) -> InvoiceDocument:
    """Build a document whose subtotals and totals are computed from its lines.

    ``exemption_reasons`` maps a category to (VATEX code, text) where the
    defaults do not fit, and is required for category E (exempt).
    """
    line_tuple = tuple(lines)
    subtotals = tax_subtotals_for(line_tuple, currency)
    if exemption_reasons:
        subtotals = tuple(
            dataclasses.replace(
                sub,
                exemption_reason_code=exemption_reasons[sub.category][0],
                exemption_reason=exemption_reasons[sub.category][1],
            )
            if sub.category in exemption_reasons
            else sub
            for sub in subtotals
        )
    net = sum((line.line_net for line in line_tuple), ZERO)
    tax = sum((sub.tax_amount for sub in subtotals), ZERO)
    gross = net + tax
    return InvoiceDocument(
        lines=line_tuple,
        currency=currency,
        tax_subtotals=subtotals,
        net_total=net,
        tax_total=tax,
        gross_total=gross,
        prepaid_amount=prepaid_amount,
        amount_due=gross - prepaid_amount,
        **fields,  # type: ignore[arg-type]
    )


def _rate_key(rate: Decimal) -> Decimal:
    # 19, 19.0 and 19.00 are one rate.
    return rate.quantize(Decimal("0.01"))


# --- references --------------------------------------------------------------------


def creditor_reference(number: str) -> str:
    """ISO 11649 structured creditor reference ("RF" + 2 check digits + up to 21
    alphanumerics) derived from an invoice number, e.g. INV-2026-000123 ->
    RF98INV2026000123.

    python-stdnum validates RF references but does not build them; the check
    digits are ISO 7064 MOD 97-10 over "<reference>RF", which stdnum's
    ``mod_97_10.calc_check_digits`` computes (letters count as 10..35).
    Invoice numbers longer than 21 alphanumerics keep their last 21, where
    the running number is.
    """
    reference = _alnum(number).upper()[-21:]
    if not reference:
        raise InvoiceDocumentError([f"invoice number {number!r} has no letters or digits"])
    check = mod_97_10.calc_check_digits(reference + "RF")
    result = f"RF{check}{reference}"
    iso11649.validate(result)
    return result


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", text)


# --- Peppol endpoints --------------------------------------------------------------

# EAS (Electronic Address Scheme) codes for VAT numbers, by the VAT id prefix.
VAT_ENDPOINT_SCHEMES = {
    "AD": "9922", "AL": "9923", "AT": "9914", "BA": "9924", "BE": "9925", "BG": "9926",
    "CH": "9927", "CY": "9928", "CZ": "9929", "DE": "9930", "EE": "9931", "ES": "9920",
    "FR": "9957", "GB": "9932", "EL": "9933", "GR": "9933", "HR": "9934", "HU": "9910",
    "IE": "9935", "IT": "0211", "LI": "9936", "LT": "9937", "LU": "9938", "LV": "9939",
    "MC": "9940", "ME": "9941", "MK": "9942", "MT": "9943", "NL": "9944", "PL": "9945",
    "PT": "9946", "RO": "9947", "RS": "9948", "SI": "9949", "SK": "9950", "SM": "9951",
    "TR": "9952", "VA": "9953",
}  # fmt: skip


def _endpoint(endpoint_id: str, scheme: str, vat_id: str) -> tuple[str, str] | None:
    if endpoint_id and scheme:
        return endpoint_id, scheme
    prefix = vat_id[:2].upper()
    if vat_id and prefix in VAT_ENDPOINT_SCHEMES:
        # Italy's 0211 scheme is the partita IVA without the country prefix.
        value = vat_id[2:] if prefix == "IT" else vat_id
        return value, VAT_ENDPOINT_SCHEMES[prefix]
    return None


# --- validation ----------------------------------------------------------------------


def validate_document(doc: InvoiceDocument) -> InvoiceDocument:
    """Check that the document is complete and adds up to the minor unit.

    Returns the document so it can be used inline; raises
    ``InvoiceDocumentError`` listing every problem found.
    """
    problems: list[str] = []
    if not is_currency(doc.currency):
        raise InvoiceDocumentError([f"unknown currency {doc.currency!r}"])
    digits = int(get_currency_precision(doc.currency))
    _check_parties(doc, problems)
    _check_lines(doc, digits, problems)
    _check_subtotals(doc, digits, problems)
    _check_totals(doc, digits, problems)
    _check_dates_and_refs(doc, problems)
    if problems:
        raise InvoiceDocumentError(problems)
    return doc


def _check_parties(doc: InvoiceDocument, problems: list[str]) -> None:
    if not doc.number.strip():
        problems.append("the document has no number")
    if not doc.seller.legal_name.strip():
        problems.append("the seller has no legal name")
    if not doc.buyer.legal_name.strip():
        problems.append("the buyer has no legal name")
    for who, address in (("seller", doc.seller.address), ("buyer", doc.buyer.address)):
        if not re.fullmatch(r"[A-Z]{2}", address.country):
            problems.append(f"the {who} country {address.country!r} is not an ISO 3166 code")
    branding = doc.seller.branding
    for name in ("primary_colour", "accent_colour"):
        if not _HEX_COLOUR.match(getattr(branding, name)):
            problems.append(f"branding {name} {getattr(branding, name)!r} is not like #1f4e79")
    if branding.logo and branding.logo_mime not in _LOGO_TYPES:
        problems.append(f"logo type {branding.logo_mime!r} is not an image type we print")
    if doc.seller.iban and not doc.seller.iban.replace(" ", "").isalnum():
        problems.append("the seller IBAN has characters other than letters and digits")


def _check_lines(doc: InvoiceDocument, digits: int, problems: list[str]) -> None:
    if not doc.lines:
        problems.append("the document has no lines")
    positions = [line.position for line in doc.lines]
    if len(set(positions)) != len(positions):
        problems.append("line positions repeat")
    for line in doc.lines:
        where = f"line {line.position}"
        if not line.description.strip():
            problems.append(f"{where}: no description")
        if not re.fullmatch(r"[A-Z0-9]{2,3}", line.unit_code):
            problems.append(f"{where}: unit code {line.unit_code!r} is not a UN/ECE rec 20 code")
        if not ZERO <= line.discount_percent < HUNDRED:
            problems.append(f"{where}: discount {line.discount_percent}% is outside 0-100")
        if not _has_digits(line.line_net, digits):
            problems.append(f"{where}: net {line.line_net} has more than {digits} decimals")
        expected = line_net_amount(
            line.quantity, line.unit_price, line.discount_percent, doc.currency
        )
        if line.line_net != expected:
            problems.append(
                f"{where}: net {line.line_net} != {line.quantity} x {line.unit_price}"
                f" less {line.discount_percent}% = {expected}"
            )
        if line.tax_category is TaxCategory.STANDARD and line.tax_rate <= 0:
            problems.append(f"{where}: standard-rated with rate {line.tax_rate}")
        if line.tax_category in _ZERO_RATE_CATEGORIES and line.tax_rate != 0:
            problems.append(
                f"{where}: category {line.tax_category.value} must have rate 0, not {line.tax_rate}"
            )


def _check_subtotals(doc: InvoiceDocument, digits: int, problems: list[str]) -> None:
    expected = {(s.category, s.rate): s for s in tax_subtotals_for(doc.lines, doc.currency)}
    given: dict[tuple[TaxCategory, Decimal], TaxSubtotal] = {}
    for sub in doc.tax_subtotals:
        key = (sub.category, _rate_key(sub.rate))
        label = f"tax {sub.category.value} {sub.rate}%"
        if key in given:
            problems.append(f"{label}: listed twice")
        given[key] = sub
        want = expected.get(key)
        if want is None:
            problems.append(f"{label}: no line has this category and rate")
            continue
        if not (_has_digits(sub.taxable_amount, digits) and _has_digits(sub.tax_amount, digits)):
            problems.append(f"{label}: amounts have more than {digits} decimals")
        if sub.taxable_amount != want.taxable_amount:
            problems.append(
                f"{label}: taxable {sub.taxable_amount} != sum of its lines {want.taxable_amount}"
            )
        if sub.tax_amount != want.tax_amount:
            problems.append(
                f"{label}: tax {sub.tax_amount} != {want.taxable_amount} x {sub.rate}%"
                f" = {want.tax_amount}"
            )
        if sub.category in _NEEDS_REASON and not (
            sub.exemption_reason or sub.exemption_reason_code
        ):
            problems.append(f"{label}: category {sub.category.value} needs an exemption reason")
    problems.extend(
        f"tax {category.value} {rate}%: lines have it but no subtotal does"
        for category, rate in expected.keys() - given.keys()
    )
    categories = {sub.category for sub in doc.tax_subtotals}
    if categories & {TaxCategory.REVERSE_CHARGE, TaxCategory.INTRA_COMMUNITY}:
        if not doc.seller.vat_id:
            problems.append("reverse charge / intra-Community supply needs the seller VAT id")
        if not doc.buyer.vat_id:
            problems.append("reverse charge / intra-Community supply needs the buyer VAT id")
    if TaxCategory.INTRA_COMMUNITY in categories and not (doc.delivery_date or doc.period_start):
        problems.append("an intra-Community supply needs a delivery date or period")


def _check_totals(doc: InvoiceDocument, digits: int, problems: list[str]) -> None:
    amounts = {
        "net total": doc.net_total,
        "tax total": doc.tax_total,
        "gross total": doc.gross_total,
        "amount due": doc.amount_due,
        "prepaid amount": doc.prepaid_amount,
    }
    problems.extend(
        f"{name} {value} has more than {digits} decimals"
        for name, value in amounts.items()
        if not _has_digits(value, digits)
    )
    lines_net = sum((line.line_net for line in doc.lines), ZERO)
    if doc.net_total != lines_net:
        problems.append(f"net total {doc.net_total} != sum of line nets {lines_net}")
    sub_taxable = sum((sub.taxable_amount for sub in doc.tax_subtotals), ZERO)
    if sub_taxable != doc.net_total:
        problems.append(f"net total {doc.net_total} != sum of taxable amounts {sub_taxable}")
    sub_tax = sum((sub.tax_amount for sub in doc.tax_subtotals), ZERO)
    if doc.tax_total != sub_tax:
        problems.append(f"tax total {doc.tax_total} != sum of tax subtotals {sub_tax}")
    if doc.gross_total != doc.net_total + doc.tax_total:
        problems.append(
            f"gross total {doc.gross_total} != net {doc.net_total} + tax {doc.tax_total}"
        )
    if doc.amount_due != doc.gross_total - doc.prepaid_amount:
        problems.append(
            f"amount due {doc.amount_due} != gross {doc.gross_total} - prepaid {doc.prepaid_amount}"
        )
    if doc.gross_total < 0:
        problems.append("gross total is negative: issue a credit memo with positive amounts")
    if doc.prepaid_amount < 0:
        problems.append("prepaid amount is negative")
    if doc.tax_currency and doc.tax_total_in_tax_currency is None:
        problems.append("a tax currency needs the tax total in that currency")


def _check_dates_and_refs(doc: InvoiceDocument, problems: list[str]) -> None:
    if doc.due_date and doc.due_date < doc.issue_date:
        problems.append(f"due date {doc.due_date} is before the issue date {doc.issue_date}")
    if doc.period_start and doc.period_end and doc.period_end < doc.period_start:
        problems.append("the service period ends before it starts")
    if doc.amount_due > 0 and not (doc.payment_due_date or doc.payment_terms):
        # EN 16931 BR-CO-25.
        problems.append("an amount is due but there is neither a due date nor payment terms")
    # A credit memo names the invoice it credits when there is one (BT-25);
    # EN 16931 does not require it, and a credit on account (a goodwill
    # credit, a bonus) has none.
    if doc.preceding_invoice_date and not doc.preceding_invoice_number:
        problems.append("a preceding invoice date without the invoice number")
    _check_installments(doc, problems)
    reference = doc.payment_reference or ""
    if reference.upper().startswith("RF") and not iso11649.is_valid(reference):
        problems.append(f"payment reference {doc.payment_reference!r} is not a valid RF reference")


def _check_installments(doc: InvoiceDocument, problems: list[str]) -> None:
    if not doc.installments:
        return
    if doc.kind is DocumentKind.CREDIT_MEMO:
        problems.append("a credit memo has no payment schedule")
        return
    digits = int(get_currency_precision(doc.currency))
    for number, installment in enumerate(doc.installments, 1):
        if installment.amount <= 0:
            problems.append(f"installment {number}: amount {installment.amount} is not positive")
        if not _has_digits(installment.amount, digits):
            problems.append(
                f"installment {number}: amount {installment.amount} has more than {digits} decimals"
            )
        if installment.due_date < doc.issue_date:
            problems.append(
                f"installment {number}: due date {installment.due_date} is before the issue date"
                f" {doc.issue_date}"
            )
    dates = [installment.due_date for installment in doc.installments]
    for number, (before, after) in enumerate(itertools.pairwise(dates), 2):
        if after <= before:
            problems.append(
                f"installment {number}: due date {after} is not after the one before ({before})"
            )
    total = sum((installment.amount for installment in doc.installments), ZERO)
    if total != doc.amount_due:
        problems.append(f"the installments add up to {total}, not the amount due {doc.amount_due}")
    if doc.due_date and doc.due_date != dates[0]:
        problems.append(
            f"due date {doc.due_date} is not the first installment's due date {dates[0]}"
        )


def _has_digits(amount: Decimal, digits: int) -> bool:
    return amount == amount.quantize(Decimal(1).scaleb(-digits))
