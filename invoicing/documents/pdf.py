"""Invoice PDFs with WeasyPrint: one Django template, figures pre-formatted here.

Every figure is formatted in Python (Babel, the document's language) so the
template only places text. The PDF is PDF/A-3b; ``facturx.render_facturx_pdf``
adds its XML and metadata in the same pass (``attachments`` and ``finisher``).
"""

from __future__ import annotations

import base64
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from invoicing.documents import formatting as fmt
from invoicing.documents.labels import Labels
from invoicing.documents.model import (
    Branding,
    DocumentKind,
    InvoiceDocument,
    TaxCategory,
    validate_document,
)
from invoicing.documents.payment import epc_qr_png_uri, epc_qr_svg
from otc.gc_scope import gc_paused

TEMPLATE = "invoicing/pdf/invoice.html"
STYLESHEET = Path(__file__).resolve().parent.parent / "templates/invoicing/pdf/invoice.css"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Parsed stylesheets kept per thread, one per tenant colour pair; a worker
# that prints for more tenants than this parses a sheet again now and then.
_STYLESHEETS_KEPT = 32
# Images kept per thread (a tenant's logo, parsed and encoded once), in
# entries of WeasyPrint's image cache: an image takes two or three of them.
# The cache is emptied between documents once it holds more than this, never
# during one (WeasyPrint reads its entries back while writing the PDF).
_IMAGE_CACHE_ENTRIES = 96
_local = threading.local()


class _Renderer:
    """What one thread reuses from one PDF to the next.

    - A font configuration: one per document (WeasyPrint's default) leaks
      native Pango/fontconfig memory, about 0.2 MB a PDF, and costs time.
    - The stylesheet, parsed once per tenant colour pair with the colours
      written in: WeasyPrint resolves a ``var()`` on every element that uses
      it, a sheet parsed with the values costs nothing extra per document.
    - WeasyPrint's image cache, so a logo is decoded (an SVG parsed) once.
    - The URL fetcher.
    Per thread, because none of them is meant to be shared between threads.
    """

    def __init__(self) -> None:
        self.font_config = FontConfiguration()
        self.stylesheet_text = STYLESHEET.read_text(encoding="utf-8")
        self.stylesheets: OrderedDict[tuple[str, str], CSS] = OrderedDict()
        self.image_cache: dict[str, Any] = {}
        self.fetcher = URLFetcher(allowed_protocols=("data",), timeout=1)

    def stylesheet(self, primary: str, accent: str) -> CSS:
        key = (primary, accent)
        sheet = self.stylesheets.get(key)
        if sheet is None:
            text = self.stylesheet_text.replace("var(--primary)", primary).replace(
                "var(--accent)", accent
            )
            sheet = self.stylesheets[key] = CSS(string=text, font_config=self.font_config)
            if len(self.stylesheets) > _STYLESHEETS_KEPT:
                self.stylesheets.popitem(last=False)
        else:
            self.stylesheets.move_to_end(key)
        return sheet

    def images(self) -> dict[str, Any]:
        if len(self.image_cache) > _IMAGE_CACHE_ENTRIES:
            self.image_cache.clear()
        return self.image_cache


def _renderer() -> _Renderer:
    renderer: _Renderer | None = getattr(_local, "renderer", None)
    if renderer is None:
        renderer = _local.renderer = _Renderer()
    return renderer


def _colour(value: str, default: str) -> str:
    # Validated documents have #rrggbb colours; this keeps anything else
    # (render with validate=False) out of the stylesheet text.
    return value if _HEX_COLOUR.match(value) else default


# WeasyPrint's post-processing hook: called with its document and the pydyf PDF
# just before the PDF is written.
PdfFinisher = Callable[[Any, Any], None]


def render_invoice_pdf(
    doc: InvoiceDocument,
    *,
    validate: bool = True,
    attachments: Sequence[Attachment] = (),
    finisher: PdfFinisher | None = None,
) -> bytes:
    """The invoice, credit memo or debit memo as a PDF/A-3b document.

    ``attachments`` are embedded as PDF/A-3 associated files and ``finisher``
    may complete the PDF's metadata: what a hybrid e-invoice adds to it.
    """
    if validate:
        validate_document(doc)
    # A render's boxes, styles and text layouts all live until it ends.
    with gc_paused():
        html = render_to_string(TEMPLATE, invoice_context(doc, inline_css=False))
        renderer = _renderer()
        branding = doc.seller.branding
        stylesheet = renderer.stylesheet(
            _colour(branding.primary_colour, Branding.primary_colour),
            _colour(branding.accent_colour, Branding.accent_colour),
        )
        pdf: bytes = HTML(string=html, url_fetcher=renderer.fetcher).write_pdf(
            stylesheets=[stylesheet],
            font_config=renderer.font_config,
            cache=renderer.images(),
            pdf_variant="pdf/a-3b",
            attachments=list(attachments),
            finisher=finisher,
            # Reproducible output: the same document renders to the same bytes
            # apart from its creation date (and its attachments').
            pdf_identifier=doc.number.encode(),
        )
    return pdf


def data_only_fetcher() -> URLFetcher:
    """A URL fetcher that loads nothing but data: URIs.

    Everything a document shows travels inside it (the logo as a data: URI,
    the QR code inline); an uploaded SVG logo or a line text must never make
    the renderer read a local file or call an address. One per thread, since
    a fetcher keeps state between its calls.
    """
    return _renderer().fetcher


def render_invoice_html(doc: InvoiceDocument) -> str:
    """The HTML the PDF is printed from, styles inline (a browser preview)."""
    return render_to_string(TEMPLATE, invoice_context(doc, inline_css=True))


@dataclass(frozen=True)
class _Row:
    position: int
    description: str
    note: str
    item_id: str
    quantity: str
    unit: str
    unit_price: str
    discount: str
    tax_rate: str
    amount: str


@dataclass(frozen=True)
class _InstallmentRow:
    number: str
    due_date: str
    amount: str


@dataclass(frozen=True)
class _TaxRow:
    label: str
    amount: str


def invoice_context(doc: InvoiceDocument, *, inline_css: bool = True) -> dict[str, Any]:
    locale = doc.locale
    labels = Labels(locale)
    currency = doc.currency

    def money(amount: Decimal) -> str:
        return fmt.money(amount, currency, locale)

    has_discount = any(line.discount_percent for line in doc.lines)
    # Codes beside the rates only when two categories could be confused.
    mixed = len({line.tax_category for line in doc.lines}) > 1
    rows = [
        _Row(
            position=line.position,
            description=line.description,
            note=line.note,
            item_id=line.item_id,
            quantity=fmt.number(line.quantity, locale),
            unit=labels.unit(line.unit_code),
            unit_price=fmt.unit_price(line.unit_price, currency, locale),
            discount=fmt.percent(line.discount_percent, locale) if line.discount_percent else "",
            tax_rate=_line_tax_label(line.tax_category, line.tax_rate, mixed, locale),
            amount=money(line.line_net),
        )
        for line in doc.lines
    ]
    tax_rows = []
    for sub in doc.tax_subtotals:
        base = money(sub.taxable_amount)
        label = labels["vat_on"].format(rate=fmt.percent(sub.rate, locale), base=base)
        if sub.category is not TaxCategory.STANDARD:
            label += f" ({labels.category(sub.category)})"
        tax_rows.append(_TaxRow(label=label, amount=money(sub.tax_amount)))
    legal_notes = []
    for sub in doc.tax_subtotals:
        note = labels.legal_note(sub.category) or sub.exemption_reason
        if sub.category is not TaxCategory.STANDARD and note and note not in legal_notes:
            legal_notes.append(note)

    seller, buyer = doc.seller, doc.buyer
    meta = _meta_rows(doc, labels, locale)
    # The PDF places the QR code as an image, the HTML preview as inline SVG.
    qr_svg = epc_qr_svg(doc) if inline_css else None
    qr_image = "" if inline_css else (epc_qr_png_uri(doc) or "")
    due = doc.amount_due
    if doc.kind is DocumentKind.CREDIT_MEMO:
        payment_text = labels["credited"]
    elif due <= 0:
        payment_text = labels["nothing_due"]
    elif doc.installments:
        payment_text = labels["please_pay_schedule"]
    elif doc.due_date:
        payment_text = labels["please_pay"].format(
            amount=money(due), date=fmt.long_date(doc.due_date, locale)
        )
    else:
        payment_text = labels["please_pay_undated"].format(amount=money(due))
    count = len(doc.installments)
    schedule = [
        _InstallmentRow(
            number=f"{number}/{count}",
            due_date=fmt.short_date(installment.due_date, locale),
            amount=money(installment.amount),
        )
        for number, installment in enumerate(doc.installments, 1)
    ]
    title = labels.title(doc.kind)
    return {
        "doc": doc,
        "inline_css": inline_css,
        # When the file was made: its creation date in the document info and XMP.
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "labels": labels,
        "lang": fmt.babel_locale(locale).replace("_", "-"),
        "title": title,
        "number_label": labels.number(doc.kind),
        "seller": seller,
        "buyer": buyer,
        "seller_city_line": seller.address.city_line,
        "seller_country": _country_name(seller.country, locale),
        "sender_line": " · ".join(
            [seller.legal_name, *seller.address.street_lines, seller.address.city_line]
        ),
        "buyer_country": (
            _country_name(buyer.country, locale) if buyer.country != seller.country else ""
        ),
        "logo_uri": _logo_uri(doc),
        "primary": seller.branding.primary_colour,
        "accent": seller.branding.accent_colour,
        "meta": meta,
        "preceding": _preceding_text(doc, labels, locale),
        "rows": rows,
        "has_discount": has_discount,
        # One rate for every line: the tax summary says it, the column would repeat it.
        "show_rate_column": len({(line.tax_category, line.tax_rate) for line in doc.lines}) > 1,
        "net_total": money(doc.net_total),
        "tax_rows": tax_rows,
        "gross_total": money(doc.gross_total),
        "gross_label": (
            labels["credit_total"]
            if doc.kind is DocumentKind.CREDIT_MEMO
            else labels["gross_total"]
        ),
        "prepaid": money(doc.prepaid_amount) if doc.prepaid_amount else "",
        "amount_due": money(due),
        "schedule": schedule,
        "show_amount_due": doc.kind is not DocumentKind.CREDIT_MEMO,
        "legal_notes": legal_notes,
        "payment_text": payment_text,
        "show_bank": bool(seller.iban) and doc.kind is not DocumentKind.CREDIT_MEMO and due > 0,
        "iban": _group4(seller.iban),
        "reference": _group4(doc.payment_reference or doc.number),
        "qr_svg": mark_safe(qr_svg) if qr_svg else "",  # noqa: S308 - segno's own SVG
        "qr_image": qr_image,
        "footer_doc": _css_string(f"{title} {doc.number}"),
        "footer_page": _css_string(labels["page"] + " "),
        "footer_of": _css_string(" " + labels["page_of"] + " "),
    }


def _meta_rows(doc: InvoiceDocument, labels: Labels, locale: str) -> list[tuple[str, str]]:
    rows = [
        (labels.number(doc.kind), doc.number),
        (labels["issue_date"], fmt.short_date(doc.issue_date, locale)),
    ]
    if doc.installments:
        first = doc.installments[0].due_date
        rows.append((labels["first_installment"], fmt.short_date(first, locale)))
    elif doc.due_date and doc.kind is not DocumentKind.CREDIT_MEMO:
        rows.append((labels["due_date"], fmt.short_date(doc.due_date, locale)))
    if doc.delivery_date:
        rows.append((labels["delivery_date"], fmt.short_date(doc.delivery_date, locale)))
    if doc.period_start and doc.period_end:
        start, end = (
            fmt.short_date(doc.period_start, locale),
            fmt.short_date(doc.period_end, locale),
        )
        period = f"{start}\N{EN DASH}{end}"
        rows.append((labels["service_period"], period))
    if doc.buyer.customer_number:
        rows.append((labels["customer_number"], doc.buyer.customer_number))
    if doc.buyer.purchase_order:
        rows.append((labels["purchase_order"], doc.buyer.purchase_order))
    if doc.buyer.buyer_reference:
        rows.append((labels["buyer_reference"], doc.buyer.buyer_reference))
    if doc.buyer.vat_id:
        rows.append((labels["buyer_vat_id"], doc.buyer.vat_id))
    return rows


def _preceding_text(doc: InvoiceDocument, labels: Labels, locale: str) -> str:
    if not doc.preceding_invoice_number:
        return ""
    text = f"{labels['preceding_invoice']} {doc.preceding_invoice_number}"
    if doc.preceding_invoice_date:
        text += f" {labels['of_date']} {fmt.short_date(doc.preceding_invoice_date, locale)}"
    return text


def _line_tax_label(category: TaxCategory, rate: Decimal, mixed: bool, locale: str) -> str:
    label = fmt.percent(rate, locale)
    return f"{label} {category.value}" if mixed else label


def _logo_uri(doc: InvoiceDocument) -> str:
    branding = doc.seller.branding
    if not branding.logo:
        return ""
    encoded = base64.b64encode(branding.logo).decode("ascii")
    return f"data:{branding.logo_mime};base64,{encoded}"


def _country_name(code: str, locale: str) -> str:
    territories = fmt.babel(locale).territories
    return str(territories.get(code, code))


def _group4(value: str) -> str:
    """IBANs and RF references are read out in groups of four."""
    compact = value.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _css_string(text: str) -> SafeString:
    """A quoted CSS string for generated content; nothing in it can end the
    declaration or the <style> element."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", " ")
        .replace("<", "\\3C ")
        .replace(">", "\\3E ")
    )
    return mark_safe(f'"{escaped}"')  # noqa: S308 - escaped above
