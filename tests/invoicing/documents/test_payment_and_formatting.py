"""EPC/SEPA QR payload and the locale-aware figures printed on documents."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
import segno

from invoicing.documents import formatting as fmt
from invoicing.documents.examples import EXAMPLE_BUYER_US, EXAMPLE_SELLER, example_document
from invoicing.documents.labels import Labels
from invoicing.documents.model import DocumentKind, TaxCategory
from invoicing.documents.payment import epc_qr_payload, epc_qr_svg

D = Decimal


def test_epc_payload_is_exactly_the_epc069_12_text():
    doc = example_document(lines=3)
    assert doc.amount_due == D("2503.93")
    assert epc_qr_payload(doc) == (
        "BCD\n002\n1\nSCT\nCOBADEFFXXX\nNordlicht Industrietechnik GmbH\n"
        "DE89370400440532013000\nEUR2503.93\n\nRF98INV2026000123"
    )


def test_epc_payload_puts_a_non_rf_reference_in_the_unstructured_field():
    doc = dataclasses.replace(example_document(lines=1), payment_reference="Kd 4711 Re 0815")
    payload = epc_qr_payload(doc)
    assert payload is not None
    assert payload.split("\n")[8:] == ["", "", "Kd 4711 Re 0815"]


def test_epc_payload_truncates_the_name_and_compacts_the_iban():
    seller = dataclasses.replace(
        EXAMPLE_SELLER, legal_name="N" * 90, iban="DE89 3704 0044 0532 0130 00", bic=""
    )
    payload = epc_qr_payload(example_document(lines=1, seller=seller))
    assert payload is not None
    fields = payload.split("\n")
    assert fields[4] == ""  # BIC is optional in version 002
    assert fields[5] == "N" * 70
    assert fields[6] == "DE89370400440532013000"


@pytest.mark.parametrize(
    "change",
    [
        {"currency": "USD"},
        {"kind": DocumentKind.CREDIT_MEMO},
        {"seller_iban": ""},
        {"amount": D("1000000000.00")},
        {"amount": D("0.00")},
    ],
    ids=["not EUR", "credit memo", "no IBAN", "too large", "nothing due"],
)
def test_no_qr_code_when_the_epc_rules_do_not_allow_one(change):
    if "currency" in change:
        doc = example_document(lines=1, currency="USD", buyer=EXAMPLE_BUYER_US)
    elif "kind" in change:
        doc = example_document(lines=1, kind=DocumentKind.CREDIT_MEMO)
    elif "seller_iban" in change:
        doc = example_document(lines=1, seller=dataclasses.replace(EXAMPLE_SELLER, iban=""))
    else:
        doc = dataclasses.replace(example_document(lines=1), amount_due=change["amount"])
    assert epc_qr_payload(doc) is None
    assert epc_qr_svg(doc) is None


def test_epc_amount_limits_are_inclusive():
    doc = example_document(lines=1)
    assert epc_qr_payload(dataclasses.replace(doc, amount_due=D("999999999.99"))) is not None
    assert epc_qr_payload(dataclasses.replace(doc, amount_due=D("0.01"))) is not None


def test_qr_code_is_inline_svg_at_error_level_m():
    doc = example_document(lines=2)
    svg = epc_qr_svg(doc)
    assert svg is not None
    assert svg.startswith("<svg")
    assert "viewBox" in svg
    assert "<path" in svg
    code = segno.make_qr(epc_qr_payload(doc), error="m", boost_error=False, encoding="utf-8")
    assert code.error == "M"
    assert code.version <= 13  # EPC069-12 limits the symbol size


# --- locale formatting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de", "1.234,56\xa0€"),
        ("en", "€1,234.56"),
        ("fr", "1\u202f234,56\xa0€"),
        ("de-DE", "1.234,56\xa0€"),
        ("xx", "€1,234.56"),
    ],
)
def test_money_follows_the_locale(locale, expected):
    assert fmt.money(D("1234.56"), "EUR", locale) == expected


def test_money_uses_the_currency_minor_units():
    assert fmt.money(D("1235"), "JPY", "en") == "¥1,235"
    assert fmt.money(D("1.234"), "KWD", "en") == "KWD1.234"
    assert fmt.money(D("1234.5"), "USD", "de") == "1.234,50\xa0$"


def test_unit_prices_keep_up_to_four_decimals():
    assert fmt.unit_price(D("0.0125"), "EUR", "de") == "0,0125\xa0€"
    assert fmt.unit_price(D("12.5"), "EUR", "en") == "€12.50"
    assert fmt.unit_price(D("1200"), "JPY", "en") == "¥1,200"


def test_quantities_and_percents():
    assert fmt.number(D("1.500"), "de") == "1,5"
    assert fmt.number(D("1234"), "en") == "1,234"
    assert fmt.number(D("2.125"), "fr") == "2,125"
    assert fmt.percent(D("19"), "de") == "19\xa0%"
    assert fmt.percent(D("19.00"), "en") == "19%"
    assert fmt.percent(D("5.5"), "fr") == "5,5\xa0%"


def test_dates_follow_the_locale():
    day = date(2026, 3, 5)
    assert fmt.short_date(day, "de") == "05.03.2026"
    assert fmt.short_date(day, "en") == "Mar 5, 2026"
    assert fmt.short_date(day, "fr") == "5 mars 2026"
    assert fmt.long_date(day, "de") == "5. März 2026"
    assert fmt.long_date(day, "en") == "March 5, 2026"


def test_labels_fall_back_to_english():
    assert Labels("de").title(DocumentKind.CREDIT_MEMO) == "Gutschrift"
    assert Labels("fr_FR").title(DocumentKind.INVOICE) == "Facture"
    assert Labels("ja").title(DocumentKind.INVOICE) == "Invoice"
    assert Labels("de").unit("KGM") == "kg"  # German table has no entry: English
    assert Labels("de").unit("ZZZ") == "ZZZ"
    assert "2006/112/EC" in Labels("en").legal_note(TaxCategory.REVERSE_CHARGE)
    assert Labels("de").legal_note(TaxCategory.STANDARD) == ""


def test_base_currency_total_text():
    kwargs = {
        "base_amount": D("1136.58"),
        "base_currency": "EUR",
        "document_currency": "USD",
        "rate": D("0.9212"),
        "rate_date": date(2026, 11, 20),
    }
    assert fmt.base_currency_total_text(locale="en", **kwargs) == (
        "Total in EUR: €1,136.58 at 1 USD = 0.9212 EUR (Nov 20, 2026)"
    )
    assert fmt.base_currency_total_text(locale="de", **kwargs) == (
        "Gesamtbetrag in EUR: 1.136,58\xa0€ zum Kurs 1 USD = 0,9212 EUR (20.11.2026)"
    )


def test_the_qr_code_of_a_payment_schedule_leaves_the_amount_to_the_payer():
    doc = example_document(lines=2, installments=3)
    fields = epc_qr_payload(doc).split("\n")
    assert fields[7] == ""
    assert fields[9] == doc.payment_reference
