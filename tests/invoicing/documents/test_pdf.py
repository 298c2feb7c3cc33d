"""The invoice PDF: it opens, shows every line over several pages, numbers
its pages, and is PDF/A-3b. Rendering takes a while, so each document is
rendered once per module."""

from __future__ import annotations

import dataclasses
import gc
import re
from decimal import Decimal

import pytest
import segno

from invoicing.documents import pdf as pdf_module
from invoicing.documents.examples import (
    EXAMPLE_BUYER_US,
    EXAMPLE_SELLER,
    example_document,
    example_lines,
)
from invoicing.documents.model import DocumentKind, InvoiceDocumentError, make_document
from invoicing.documents.payment import epc_qr_payload
from invoicing.documents.pdf import data_only_fetcher, render_invoice_html, render_invoice_pdf
from tests.invoicing.documents.helpers import pdf_pages_text, pdf_reader, pdf_xmp


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (a break
    after a hyphen, where the PDF wrapped "pre-wired", joins the two parts)."""
    return " ".join(text.replace("\xa0", " ").replace("-\n", "-").split())


def _unique_descriptions(doc, count):
    lines = tuple(
        dataclasses.replace(line, description=f"Article {index:03d} {line.description}")
        for index, line in enumerate(example_lines(count, doc.currency, mixed_rates=True), 1)
    )
    fields = {
        f.name: getattr(doc, f.name)
        for f in dataclasses.fields(doc)
        if f.name
        not in {"lines", "tax_subtotals", "net_total", "tax_total", "gross_total", "amount_due",
                "currency", "prepaid_amount"}
    }  # fmt: skip
    return make_document(lines=lines, currency=doc.currency, **fields)


@pytest.fixture(scope="module")
def long_invoice_en():
    doc = _unique_descriptions(
        example_document(lines=1, language="en", buyer=EXAMPLE_BUYER_US, currency="USD"), 60
    )
    return doc, render_invoice_pdf(doc)


@pytest.fixture(scope="module")
def short_invoice_de():
    doc = example_document(lines=3, language="de")
    return doc, render_invoice_pdf(doc)


def test_a_60_line_invoice_shows_every_line_across_pages(long_invoice_en):
    doc, pdf = long_invoice_en
    pages = pdf_pages_text(pdf)
    assert len(pages) > 1
    text = flat("\n".join(pages))
    for line in doc.lines:
        assert line.description in text, line.description
    assert "$" in text  # USD, formatted for English readers


def test_every_page_has_its_number_the_invoice_number_and_the_table_header(long_invoice_en):
    doc, pdf = long_invoice_en
    pages = pdf_pages_text(pdf)
    total = len(pages)
    assert f"Page 2 of {total}" in pages[1]
    for number, page in enumerate(pages, 1):
        assert f"Page {number} of {total}" in page
        assert doc.number in page
    # The header row repeats on every page that continues the line table.
    table_pages = [page for page in pages if "Article" in page]
    assert len(table_pages) > 1
    for page in table_pages:
        assert "Description" in page
        assert "Unit price" in page


def test_totals_tax_summary_and_payment_details_are_printed(long_invoice_en):
    doc, pdf = long_invoice_en
    last = flat("\n".join(pdf_pages_text(pdf)[-2:]))
    assert "Net total" in last
    assert "VAT 19% on" in last
    assert "VAT 7% on" in last
    compact = last.replace(" ", "")
    assert f"${doc.gross_total:,.2f}" in compact
    assert "DE8937040044053201300" in compact  # the IBAN, printed in groups of four
    assert doc.payment_reference in compact
    # No EPC QR code for a USD invoice.
    assert "Scan with your banking app" not in last


def test_a_german_invoice_is_german_with_a_qr_code(short_invoice_de):
    doc, pdf = short_invoice_de
    (page,) = map(flat, pdf_pages_text(pdf))
    assert "Rechnung" in page
    assert "Seite 1 von 1" in page
    assert "Gesamtbetrag" in page
    assert "20.12.2026" in page  # due date, German style
    amount = f"{doc.gross_total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert f"{amount} €" in page
    assert "Mit Ihrer Banking-App scannen und bezahlen" in page


def test_the_pdf_is_pdf_a_3b_with_document_metadata(short_invoice_de):
    doc, pdf = short_invoice_de
    assert pdf.startswith(b"%PDF-")
    xmp = pdf_xmp(pdf)
    assert re.search(r"pdfaid:part(>|=\")3", xmp)
    assert re.search(r"pdfaid:conformance(>|=\")B", xmp)
    info = pdf_reader(pdf).metadata
    assert info.title == f"Rechnung {doc.number}"
    assert info.author == EXAMPLE_SELLER.legal_name


def test_credit_memo_names_the_invoice_and_asks_for_no_payment():
    doc = example_document(lines=2, kind=DocumentKind.CREDIT_MEMO, language="en")
    (page,) = map(flat, pdf_pages_text(render_invoice_pdf(doc)))
    assert "Credit memo" in page
    assert "Refers to invoice INV-2026-000098 of Oct 30, 2026" in page
    assert "Total credit" in page
    assert "This amount will be credited to your customer account." in page
    assert "Scan with your banking app" not in page
    assert "Due date" not in page


def test_french_labels_and_number_format():
    doc = example_document(lines=2, language="fr", kind=DocumentKind.DEBIT_MEMO)
    (page,) = map(flat, pdf_pages_text(render_invoice_pdf(doc)))
    assert "Note de débit" in page
    assert "Total TTC" in page
    assert "Facture d'origine INV-2026-000098 du 30 oct. 2026" in page


def test_an_inconsistent_document_is_not_rendered():
    doc = example_document(lines=2)
    with pytest.raises(InvoiceDocumentError):
        render_invoice_pdf(dataclasses.replace(doc, gross_total=doc.gross_total + Decimal("0.01")))


def test_text_from_customers_is_escaped_in_html_and_css():
    doc = example_document(lines=1)
    hostile = dataclasses.replace(doc.lines[0], description='<script>alert(1)</script> "quoted"')
    doc = make_document(
        lines=(hostile,),
        currency=doc.currency,
        **{
            f.name: getattr(doc, f.name)
            for f in dataclasses.fields(doc)
            if f.name in {"kind", "issue_date", "due_date", "seller", "buyer", "language"}
        },
        number='INV-"};</style><b>x',
    )
    html = render_invoice_html(doc)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "</style><b>x" not in html
    assert 'INV-\\"};\\3C /style\\3E \\3C b\\3E x' in html


def test_a_logo_less_seller_prints_its_name():
    seller = dataclasses.replace(
        EXAMPLE_SELLER, branding=dataclasses.replace(EXAMPLE_SELLER.branding, logo=None)
    )
    html = render_invoice_html(example_document(lines=1, seller=seller))
    assert '<div class="brand-name">Nordlicht Industrietechnik GmbH</div>' in html
    assert "data:image" not in html


def test_the_renderer_loads_nothing_but_data_uris():
    fetcher = data_only_fetcher()
    for url in ("file:///etc/hostname", "http://127.0.0.1:9/logo.png"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_an_svg_logo_pointing_elsewhere_still_renders_without_fetching():
    logo = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        b' viewBox="0 0 10 10"><image xlink:href="file:///etc/hostname" width="10" height="10"/>'
        b'<rect width="5" height="5" fill="#123456"/></svg>'
    )
    branding = dataclasses.replace(EXAMPLE_SELLER.branding, logo=logo)
    doc = example_document(lines=1, seller=dataclasses.replace(EXAMPLE_SELLER, branding=branding))
    assert render_invoice_pdf(doc).startswith(b"%PDF-")


def test_the_printed_qr_code_is_the_epc_code_module_for_module(short_invoice_de):
    """The PDF places the QR code as a one-pixel-a-module image drawn without
    smoothing; reading the image back must give segno's symbol exactly."""
    doc, pdf = short_invoice_de
    code = segno.make_qr(epc_qr_payload(doc), error="m", boost_error=False, encoding="utf-8")
    (page,) = pdf_reader(pdf).pages
    images = [image for image in page.images if image.image.size == code.symbol_size(border=0)]
    assert len(images) == 1
    pixels = images[0].image.convert("L")
    width, height = pixels.size
    printed = [[pixels.getpixel((x, y)) < 128 for x in range(width)] for y in range(height)]
    assert printed == [[bool(module) for module in row] for row in code.matrix]
    xobject = next(
        obj.get_object()
        for obj in page["/Resources"]["/XObject"].values()
        if obj.get_object()["/Width"] == width
    )
    assert xobject["/Interpolate"] == False  # noqa: E712 - a pypdf BooleanObject


def test_renders_reuse_the_parsed_logo_and_stylesheet_but_not_another_tenants_colours():
    plain = example_document(lines=1)
    other = dataclasses.replace(
        EXAMPLE_SELLER,
        branding=dataclasses.replace(EXAMPLE_SELLER.branding, primary_colour="#aa0000"),
    )
    first = render_invoice_pdf(plain)
    second = render_invoice_pdf(example_document(lines=1, seller=other))
    again = render_invoice_pdf(plain)
    # The kept stylesheet carries the colour it was parsed with: red only in
    # the document of the seller whose colour it is.
    red = b"0.666667 0 0 rg"
    assert red in _content(second)
    assert red not in _content(first)
    assert red not in _content(again)
    assert pdf_pages_text(first) == pdf_pages_text(again)


def _content(pdf: bytes) -> bytes:
    return b"".join(page.get_contents().get_data() for page in pdf_reader(pdf).pages)


def test_a_payment_schedule_is_printed_under_the_totals():
    doc = example_document(lines=2, installments=3, language="en", buyer=EXAMPLE_BUYER_US)
    text = flat("\n".join(pdf_pages_text(render_invoice_pdf(doc))))
    first, second, third = doc.installments
    assert "Payment schedule Installment Due date Amount" in text
    assert f"1/3 Dec 20, 2026 €{first.amount:,.2f}" in text
    assert f"2/3 Jan 20, 2027 €{second.amount:,.2f}" in text
    assert f"3/3 Feb 20, 2027 €{third.amount:,.2f}" in text
    assert "First installment Dec 20, 2026" in text
    assert "Please transfer each installment of the payment schedule by its due date" in text
    assert text.index("Net total") < text.index("Payment schedule") < text.index("Payment Please")


@pytest.mark.parametrize(
    ("language", "heading", "row"),
    [
        ("de", "Zahlungsplan Rate Fällig am Betrag", "2/2 20.01.2027"),
        ("fr", "Échéancier Versement Échéance Montant", "2/2 20 janv. 2027"),
    ],
)
def test_the_payment_schedule_speaks_the_documents_language(language, heading, row):
    doc = example_document(lines=1, installments=2, language=language)
    text = flat("\n".join(pdf_pages_text(render_invoice_pdf(doc))))
    assert heading in text
    assert row in text


def test_a_credit_memo_on_account_prints_without_a_reference():
    doc = example_document(lines=2, kind=DocumentKind.CREDIT_MEMO, on_account=True, language="en")
    (page,) = map(flat, pdf_pages_text(render_invoice_pdf(doc)))
    assert "Credit memo" in page
    assert "Refers to invoice" not in page
    assert "This amount will be credited to your customer account." in page


def test_rendering_pauses_the_garbage_collector_and_leaves_it_as_it_found_it():
    seen = []
    render = pdf_module.HTML.write_pdf

    def spying_write_pdf(self, *args, **kwargs):
        seen.append(gc.isenabled())
        return render(self, *args, **kwargs)

    doc = example_document(lines=1)
    assert gc.isenabled()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_module.HTML, "write_pdf", spying_write_pdf)
        render_invoice_pdf(doc)
        assert gc.isenabled()
        gc.disable()
        try:
            render_invoice_pdf(doc)
            # Switched off by someone else: a render does not switch it on.
            assert not gc.isenabled()
        finally:
            gc.enable()
    assert seen == [False, False]


def test_a_failing_render_resumes_the_garbage_collector():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_module, "render_to_string", _raise)
        with pytest.raises(RuntimeError):
            render_invoice_pdf(example_document(lines=1))
    assert gc.isenabled()


def _raise(*args, **kwargs):
    raise RuntimeError("template failed")
