"""What dunning letters and statements print with: figures formatted with
Babel in the document's language (as invoices are), the tenant's branding
(logo, colours, seller details, as on its invoices) and a WeasyPrint URL
fetcher that loads nothing but data: URIs, so a logo or a template text can
never make the renderer read a file or call an address."""

from __future__ import annotations

import base64
import functools
import threading
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from otc.tenancy.models import Tenant

_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_local = threading.local()


@functools.cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def money(amount: Decimal, currency: str, language: str) -> str:
    return format_currency(amount, currency, locale=_locale(language), currency_digits=True)


def long_date(value: date, language: str) -> str:
    return format_date(value, "long", locale=_locale(language))


def short_date(value: date, language: str) -> str:
    return format_date(value, "medium", locale=_locale(language))


def _logo_uri(tenant: Tenant) -> str:
    if not tenant.logo:
        return ""
    mime = _LOGO_TYPES.get(PurePath(tenant.logo.name or "").suffix.lower(), "")
    if not mime:
        return ""
    try:
        with tenant.logo.open("rb") as handle:
            data = handle.read()
    except OSError:
        # A logo lost from storage prints the name instead of failing the letter.
        return ""
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def branding_context(tenant: Tenant) -> dict[str, Any]:
    address_lines = [line.strip() for line in tenant.address.splitlines() if line.strip()]
    return {
        "seller": {
            "legal_name": tenant.legal_name or tenant.name,
            "address_lines": address_lines,
            "phone": tenant.phone,
            "email": tenant.billing_email,
            "iban": tenant.iban,
            "bic": tenant.bic,
            "vat_id": tenant.vat_id,
        },
        "logo_uri": _logo_uri(tenant),
        "primary": tenant.primary_colour,
        "accent": tenant.accent_colour,
    }


def html_to_pdf(html: str) -> bytes:
    fetcher = getattr(_local, "fetcher", None)
    if fetcher is None:
        fetcher = _local.fetcher = URLFetcher(allowed_protocols=("data",), timeout=1)
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf
