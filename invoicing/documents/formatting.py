"""Locale-aware figures for printed documents (Babel): 1.234,56 € in German,
€1,234.56 in English, 1 234,56 € in French; dates the way each reader writes
them."""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from invoicing.documents.labels import Labels
from invoicing.documents.model import InvoiceDocument
from otc.fx.money import minor_units


@functools.cache
def babel_locale(locale: str) -> str:
    """A Babel-usable locale name for "de", "de-DE", "de_DE", or English."""
    name = locale.replace("-", "_") or "en"
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return "en"
    return name


@functools.cache
def babel(locale: str) -> Locale:
    """The parsed Babel locale, kept: a document formats dozens of figures and
    ``Locale.parse`` on every one of them was a noticeable part of a render.
    Few distinct values ever reach it (the languages we print in)."""
    return Locale.parse(babel_locale(locale))


def money(amount: Decimal, currency: str, locale: str) -> str:
    # currency_digits keeps JPY at 0 decimals and KWD at 3.
    return format_currency(amount, currency, locale=babel(locale), currency_digits=True)


def unit_price(amount: Decimal, currency: str, locale: str) -> str:
    """A unit price keeps up to four decimals when it has them (0.0125 €/kWh)."""
    digits = minor_units(currency)
    exponent = max(digits, min(4, -amount.normalize().as_tuple().exponent))  # type: ignore[operator]
    pattern = None
    if exponent > digits:
        base = babel(locale).currency_formats["standard"].pattern
        pattern = base.replace("0.00", "0." + "0" * exponent)
        if pattern == base:
            pattern = None
    if pattern is None:
        return money(amount, currency, locale)
    return format_currency(
        amount, currency, format=pattern, locale=babel(locale), currency_digits=False
    )


def number(value: Decimal, locale: str, *, max_decimals: int = 4) -> str:
    """A quantity: no trailing zeros (3, 1.5, 0.125) in the reader's notation."""
    quantized = value.quantize(Decimal(1).scaleb(-max_decimals)).normalize()
    decimals = max(0, -quantized.as_tuple().exponent)  # type: ignore[operator]
    return format_decimal(
        quantized, format="#,##0" + ("." + "0" * decimals if decimals else ""),
        locale=babel(locale),
    )  # fmt: skip


def percent(rate: Decimal, locale: str) -> str:
    """19 -> "19 %" (de, fr) or "19%" (en); 5.5 -> "5,5 %"."""
    value = rate.normalize()
    decimals = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
    pattern = None
    if decimals:
        pattern = babel(locale).percent_formats[None].pattern.replace("0", "0." + "0" * decimals, 1)
    return format_percent(value / 100, format=pattern, locale=babel(locale))


def base_currency_total_text(
    *,
    base_amount: Decimal,
    base_currency: str,
    document_currency: str,
    rate: Decimal,
    rate_date: date,
    locale: str,
) -> str:
    """The line a foreign-currency document prints under its totals, e.g.
    "Total in EUR: €1,136.58 at 1 USD = 0.9212 EUR (Nov 20, 2026)"; the
    value for ``InvoiceDocument.base_currency_total``."""
    return Labels(locale)["base_total"].format(
        currency=base_currency,
        amount=money(base_amount, base_currency, locale),
        document_currency=document_currency,
        rate=format_decimal(rate, format="#,##0.######", locale=babel(locale)),
        date=short_date(rate_date, locale),
    )


def payment_schedule_text(doc: InvoiceDocument) -> str:
    """The installments in one line of the document's language, e.g.
    "Payment schedule: 1/3 €400.00 due Dec 20, 2026; 2/3 ...": what the
    e-invoices state as payment terms (BT-20), since EN 16931 has room for
    one due date only. Empty without a schedule."""
    if not doc.installments:
        return ""
    labels = Labels(doc.locale)
    count = len(doc.installments)
    items = "; ".join(
        f"{number}/{count} "
        + labels["schedule_item"].format(
            amount=money(installment.amount, doc.currency, doc.locale),
            date=short_date(installment.due_date, doc.locale),
        )
        for number, installment in enumerate(doc.installments, 1)
    )
    return labels["schedule_terms"].format(items=items)


def payment_terms_text(doc: InvoiceDocument) -> str:
    """The payment terms the e-invoices state (BT-20): the terms, the early
    payment discount and the payment schedule, in that order."""
    terms = " ".join(part for part in (doc.payment_terms, doc.early_payment_discount) if part)
    schedule = payment_schedule_text(doc)
    if terms and schedule:
        return f"{terms.rstrip('.')}. {schedule}"
    return terms or schedule


def long_date(value: date, locale: str) -> str:
    """5. März 2026 / March 5, 2026 / 5 mars 2026."""
    return format_date(value, "long", locale=babel(locale))


def short_date(value: date, locale: str) -> str:
    """05.03.2026 / Mar 5, 2026 / 5 mars 2026: unambiguous in every locale."""
    return format_date(value, "medium", locale=babel(locale))
