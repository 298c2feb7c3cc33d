"""Currency facts and the rounding rule of OTC.

Minor units come from ISO 4217 via Babel (JPY 0, EUR 2, KWD 3, CLF 4).
Amounts are rounded half-up (commercial rounding) to the currency's minor
unit; that one rule is used for every stored amount.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_name, get_currency_precision
from moneyed import CURRENCIES


def minor_units(currency: str) -> int:
    return int(get_currency_precision(currency))


def quantize_money(amount: Decimal, currency: str) -> Decimal:
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


# Codes ISO 4217 reserves for testing and "no currency": never an amount's currency.
_NOT_MONEY = frozenset({"XXX", "XTS"})


def is_known_currency(code: str) -> bool:
    """An ISO 4217 code money can be held in (EUR, USD, JPY ...)."""
    return code in CURRENCIES and code not in _NOT_MONEY


def currency_name(code: str) -> str:
    """'US Dollar' for USD; the code itself when nobody knows a name."""
    try:
        return str(get_currency_name(code, locale="en"))
    except (KeyError, ValueError):
        return code
