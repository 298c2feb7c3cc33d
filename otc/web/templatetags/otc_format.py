"""Formatting shared by every page: money always shows its currency."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django import template

register = template.Library()

# ISO code before the amount ("EUR 1,234.50"): finance teams read many
# currencies side by side, and "$" alone does not say which dollar.
_MONEY_PATTERN = "¤¤\xa0#,##0.00"


def babel_locale(locale: str | None) -> Locale:
    try:
        return Locale.parse((locale or "en").replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


def format_money(amount: Any, currency: str, locale: str | None = None) -> str:
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return format_currency(value, str(currency), locale=babel_locale(locale), format=_MONEY_PATTERN)


@register.simple_tag(takes_context=True)
def money(context: template.Context, amount: Any, currency: Any) -> str:
    """{% money invoice.amount invoice.currency %} in the tenant's locale.
    Accepts a django-money Money as `amount` with an empty currency."""
    if hasattr(amount, "amount") and hasattr(amount, "currency"):
        amount, currency = amount.amount, currency or amount.currency
    tenant = context.get("current_tenant")
    return format_money(amount, str(currency), getattr(tenant, "locale", None))
