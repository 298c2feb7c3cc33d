"""Small helpers every parser shares: amounts, currencies, dates, decoding.

Each helper raises ``BankFileError`` with the caller's location, so a parser
never lets a bare ``ValueError`` (or ``decimal.InvalidOperation``) escape.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

from .types import BankFileError

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def check_currency(value: str, location: str) -> str:
    code = value.strip().upper()
    if not _CURRENCY.match(code):
        raise BankFileError(f"currency {value!r} is not an ISO 4217 code", location=location)
    return code


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


def to_minor_unit(amount: Decimal, currency: str, location: str) -> Decimal:
    """Quantize to the currency's minor unit. Banks may write more decimals
    than the currency has (ISO 20022 allows five: ``8.850``); trailing zeros
    are harmless, but a non-zero digit below the minor unit (``8.853 EUR``)
    cannot be booked, and rounding it away would silently move money, so the
    file is refused instead."""
    exponent = Decimal(1).scaleb(-minor_units(currency)) if currency else Decimal("0.01")
    quantized = amount.quantize(exponent)
    if quantized != amount:
        raise BankFileError(
            f"amount {amount} has more decimals than {currency or 'the currency'} allows",
            location=location,
        )
    return quantized


def parse_decimal(
    text: str,
    location: str,
    *,
    decimal_separator: str = ".",
    thousands_separator: str = "",
) -> Decimal:
    raw = text.strip()
    value = raw.replace(" ", "").replace("\u00a0", "")
    if thousands_separator:
        value = value.replace(thousands_separator, "")
    if decimal_separator != ".":
        if "." in value and thousands_separator != ".":
            raise BankFileError(f"amount {raw!r} is not a number", location=location)
        value = value.replace(decimal_separator, ".")
    # Some exports put the sign last ("12.50-").
    if value.endswith("-") and not value.startswith("-"):
        value = "-" + value[:-1]
    if not _PLAIN_NUMBER.match(value):
        raise BankFileError(f"amount {raw!r} is not a number", location=location)
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise BankFileError(f"amount {raw!r} is not a number", location=location) from exc


def parse_date(text: str, fmt: str, location: str) -> date:
    try:
        return datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar date
    except ValueError as exc:
        raise BankFileError(
            f"date {text.strip()!r} does not match {fmt!r}", location=location
        ) from exc


def decode_text(data: bytes, encodings: tuple[str, ...] = ("utf-8-sig", "cp1252")) -> str:
    """Text formats come from banks in UTF-8 or a Windows/ISO Latin code page;
    try them in order (cp1252 decodes almost anything, latin-1 everything)."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def clean(text: str | None) -> str:
    """Collapse the whitespace banks pad fields with."""
    return " ".join((text or "").split())


_RF_REFERENCE = re.compile(r"\bRF\d{2}[A-Z0-9]{1,21}\b")


def rf_references(text: str) -> tuple[str, ...]:
    """ISO 11649 creditor references (``RF18539007547034``) found in free
    text, check digits verified so a random "RF12..." word is not taken."""
    found: list[str] = []
    for match in _RF_REFERENCE.findall(text.upper()):
        if rf_reference_valid(match) and match not in found:
            found.append(match)
    return tuple(found)


def rf_reference_valid(reference: str) -> bool:
    ref = reference.replace(" ", "").upper()
    if not re.match(r"^RF\d{2}[A-Z0-9]{1,21}$", ref):
        return False
    rearranged = ref[4:] + ref[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1
