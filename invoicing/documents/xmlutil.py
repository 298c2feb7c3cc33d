"""Small helpers shared by the CII and UBL writers."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from otc.fx.money import minor_units


def amount_text(value: Decimal, currency: str) -> str:
    """An amount with exactly the currency's decimals, never in exponent form."""
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return format(value.quantize(exponent), "f")


def decimal_text(value: Decimal, *, min_decimals: int = 0, max_decimals: int = 6) -> str:
    """A quantity, price or percent: trailing zeros trimmed to ``min_decimals``."""
    quantized = value.quantize(Decimal(1).scaleb(-max_decimals)).normalize()
    decimals = max(min_decimals, -quantized.as_tuple().exponent)  # type: ignore[operator]
    return format(value.quantize(Decimal(1).scaleb(-decimals)), "f")


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def to_bytes(root: etree._Element) -> bytes:
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return result
