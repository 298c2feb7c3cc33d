"""Small formatting helpers for the invoicing pages: quantities and unit
prices in the tenant's locale, unit and tax category names."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from django import template

from invoicing.forms import UNIT_CHOICES
from invoicing.models import TaxCategory
from otc.fx.money import minor_units
from otc.web.templatetags.otc_format import babel_locale

register = template.Library()

_UNITS = dict(UNIT_CHOICES)
_CATEGORIES = dict(TaxCategory.choices)


@register.filter
def absolute(value: Any) -> Any:
    """The ledger keeps credits negative; documents show them as they are printed."""
    if isinstance(value, (Decimal, int, float)):
        return abs(value)
    return value


def _locale(context: template.Context) -> Any:
    tenant = context.get("current_tenant")
    return babel_locale(getattr(tenant, "locale", None))


@register.simple_tag(takes_context=True)
def unit_price(context: template.Context, value: Decimal, currency: str) -> str:
    """At least the currency's decimals, more only where the price has them
    (1,249.00 but 0.3350 → 0.335)."""
    digits = minor_units(str(currency))
    exponent = value.normalize().as_tuple().exponent
    shown = max(digits, -exponent if isinstance(exponent, int) else digits)
    pattern = "#,##0" + ("." + "0" * digits + "#" * (shown - digits) if shown else "")
    return str(format_decimal(value, format=pattern, locale=_locale(context)))


@register.simple_tag(takes_context=True)
def quantity(context: template.Context, value: Decimal) -> str:
    return str(format_decimal(value, format="#,##0.####", locale=_locale(context)))


@register.filter
def unit_label(code: str) -> str:
    return str(_UNITS.get(code, code))


@register.filter
def tax_category_label(code: str) -> str:
    return str(_CATEGORIES.get(code, code))
