"""Tax ids checked and normalized by country with python-stdnum.

The customer's country decides which number we expect: an EU VAT number
(stored with its country prefix, as VIES and invoices print it), a US EIN,
a UK VAT number, a Swiss UID, and for other countries whatever
``stdnum`` knows as that country's VAT/tax number. Countries stdnum has no
module for are stored compacted but unchecked, because refusing a valid
foreign number is worse than not checking it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django_countries import countries
from stdnum import exceptions as stdnum_errors
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat
from stdnum.us import ein as us_ein
from stdnum.util import clean, get_cc_module


class TaxIdError(ValueError):
    """The tax id does not fit the customer's country; the message says why."""


@dataclass(frozen=True)
class TaxIdScheme:
    label: str
    example: str
    module: Any  # a python-stdnum number module, or None
    # The prefix stored in front of the compact number (EU VAT and UK VAT).
    prefix: str = ""


# Greece and Northern Ireland use VAT prefixes that are not their ISO codes.
_EU_VAT_PREFIX = {"GR": "EL"}
_EU_EXAMPLES = {
    "AT": "ATU13585627",
    "BE": "BE0403019261",
    "DE": "DE136695976",
    "ES": "ESA13585625",
    "FR": "FR40303265045",
    "IT": "IT00743110157",
    "NL": "NL004495445B01",
    "PL": "PL8567346215",
}


def _eu_member(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES and country.upper() != "XI"


def scheme_for(country: str) -> TaxIdScheme:
    """What tax id a customer in `country` (ISO 3166 alpha-2) should have."""
    country = country.upper()
    name = countries.name(country) or country
    if _eu_member(country):
        prefix = _EU_VAT_PREFIX.get(country, country)
        return TaxIdScheme(
            label=f"VAT number for {name}",
            example=_EU_EXAMPLES.get(country, f"{prefix} followed by the national number"),
            module=eu_vat,
            prefix=prefix,
        )
    if country == "GB":
        return TaxIdScheme(label="UK VAT number", example="GB980780684", module=gb_vat, prefix="GB")
    if country == "US":
        return TaxIdScheme(label="US EIN", example="04-2103594", module=us_ein)
    if country == "CH":
        return TaxIdScheme(label="Swiss UID", example="CHE-107.787.577", module=ch_uid)
    module = get_cc_module(country.lower(), "vat")
    label = f"tax number for {name}"
    if module is not None:
        label = f"{label} ({getattr(module, '__name__', '').rsplit('.', 1)[-1].upper()})"
    return TaxIdScheme(label=label, example="", module=module)


def _explain(scheme: TaxIdScheme, error: stdnum_errors.ValidationError) -> str:
    hint = f" A valid one looks like {scheme.example}." if scheme.example else ""
    if isinstance(error, stdnum_errors.InvalidChecksum):
        return (
            f"This {scheme.label} fails its check digit, so it probably has a typo: "
            f"compare it digit by digit with the customer's documents.{hint}"
        )
    if isinstance(error, stdnum_errors.InvalidLength):
        return f"This {scheme.label} has the wrong number of characters.{hint}"
    if isinstance(error, stdnum_errors.InvalidFormat):
        return f"This {scheme.label} contains characters that do not belong there.{hint}"
    if isinstance(error, stdnum_errors.InvalidComponent):
        return f"Part of this {scheme.label} is not valid (for example its prefix).{hint}"
    return f"This is not a valid {scheme.label}.{hint}"


_CH_VAT_SUFFIX = re.compile(r"\s*(MWST|TVA|IVA)\.?$", re.IGNORECASE)


def _compact_free_text(value: str) -> str:
    # Tax numbers are written in Latin letters and digits everywhere we sell.
    return "".join(ch for ch in value.upper() if ch.isascii() and ch.isalnum())


def normalize_tax_id(value: str, *, country: str) -> str:
    """The stored form of `value` for a customer in `country`; "" for blank.

    Raises TaxIdError with a sentence the user can act on.
    """
    value = value.strip()
    if not value:
        return ""
    country = country.upper()
    scheme = scheme_for(country)
    if scheme.module is None:
        free_text = _compact_free_text(value)
        if not free_text:
            raise TaxIdError("Enter the tax id with the Latin letters and digits it is made of.")
        return free_text

    if scheme.module is eu_vat:
        return _normalize_eu_vat(value, scheme=scheme)
    if scheme.module is ch_uid:
        # The Swiss VAT number is the UID plus a language suffix; we keep the UID.
        value = _CH_VAT_SUFFIX.sub("", value)
    try:
        compact: str = scheme.module.validate(value)
    except stdnum_errors.ValidationError as error:
        raise TaxIdError(_explain(scheme, error)) from error
    return f"{scheme.prefix}{compact}"


def _normalize_eu_vat(value: str, *, scheme: TaxIdScheme) -> str:
    compact = clean(value, " -./,:").upper().strip()
    # Accept the number with or without its prefix, but never another
    # member state's prefix: that is a different company's number.
    if compact[:2].isalpha():
        given = compact[:2]
        if given != scheme.prefix:
            raise TaxIdError(
                f"This VAT number starts with {given}, but a {scheme.label} starts with "
                f"{scheme.prefix}. Check the customer's country or the number."
            )
    else:
        compact = scheme.prefix + compact
    try:
        normalized: str = eu_vat.validate(compact)
    except stdnum_errors.ValidationError as error:
        raise TaxIdError(_explain(scheme, error)) from error
    return normalized


def format_tax_id(value: str, *, country: str) -> str:
    """The tax id as people write it (dashes, dots), for screens and documents."""
    if not value:
        return ""
    scheme = scheme_for(country)
    formatter = getattr(scheme.module, "format", None) if scheme.module is not eu_vat else None
    if formatter is None or scheme.prefix:
        return value
    try:
        return str(formatter(value))
    except (stdnum_errors.ValidationError, ValueError):
        return value
