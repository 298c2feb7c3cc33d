"""The EPC/SEPA payment QR code ("GiroCode"): EPC069-12 version 002.

A banking app that scans it fills in a SEPA credit transfer: beneficiary,
IBAN, amount and the structured RF reference, so the payment comes back
with the reference cash application matches on.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import segno

from invoicing.documents.model import DocumentKind, InvoiceDocument

EPC_MAX_AMOUNT = Decimal("999999999.99")
EPC_MIN_AMOUNT = Decimal("0.01")
_NAME_MAX = 70
_UNSTRUCTURED_MAX = 140


def epc_qr_payload(doc: InvoiceDocument) -> str | None:
    """The EPC QR text for the amount due, or None when no QR code applies.

    Only for an invoice or debit memo with a EUR amount from 0.01 to
    999,999,999.99 to a seller IBAN. Fields, one a line: service tag BCD,
    version 002, character set 1 (UTF-8), identification SCT, BIC (optional
    in version 002), beneficiary name (at most 70), IBAN, "EUR" + amount,
    purpose (empty), then either the structured RF reference or an
    unstructured remittance text (never both).
    Empty trailing fields are left out, as the standard allows.

    With a payment schedule the amount is left out too (it is optional):
    a scan must not pay every installment at once; the banking app asks the
    payer for the amount of the installment due.
    """
    amount = doc.amount_due
    iban = doc.seller.iban.replace(" ", "").upper()
    if doc.kind is DocumentKind.CREDIT_MEMO or doc.currency != "EUR" or not iban:
        return None
    if not EPC_MIN_AMOUNT <= amount <= EPC_MAX_AMOUNT:
        return None
    reference = doc.payment_reference or ""
    structured = reference if reference.upper().startswith("RF") else ""
    unstructured = "" if structured else (reference or doc.number)[:_UNSTRUCTURED_MAX]
    fields = [
        "BCD",
        "002",
        "1",
        "SCT",
        doc.seller.bic.replace(" ", "").upper(),
        _one_line(doc.seller.legal_name)[:_NAME_MAX],
        iban,
        "" if doc.installments else f"EUR{amount:.2f}",
        "",
        structured,
        _one_line(unstructured),
    ]
    while fields[-1] == "":
        fields.pop()
    return "\n".join(fields)


def epc_qr_svg(doc: InvoiceDocument) -> str | None:
    """The EPC QR code as an inline ``<svg>`` (scalable, no fixed size), or None."""
    payload = epc_qr_payload(doc)
    if payload is None:
        return None
    svg: str = _epc_qr(payload).svg_inline(
        scale=1, border=0, omitsize=True, svgclass="epc-qr", lineclass="epc-qr-line"
    )
    return svg


def epc_qr_png_uri(doc: InvoiceDocument) -> str | None:
    """The EPC QR code as a PNG ``data:`` URI, one pixel a module, or None.

    What the PDF prints: drawn with ``image-rendering: pixelated`` (no
    interpolation) every module is an exact square at any zoom, as with the
    SVG, and the renderer places one small image instead of parsing and
    stroking a path of several hundred segments (a tenth of a render).
    """
    payload = epc_qr_payload(doc)
    if payload is None:
        return None
    return _epc_qr_png_uri(payload)


@functools.lru_cache(maxsize=256)
def _epc_qr(payload: str) -> segno.QRCode:
    # EPC069-12 fixes error correction level M; segno must not raise it.
    # Kept by payload: choosing the mask scores all eight, the dearest part of
    # the code, and a document rendered again (a resend, a re-generation)
    # asks for the same payload.
    return segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")


@functools.lru_cache(maxsize=256)
def _epc_qr_png_uri(payload: str) -> str:
    uri: str = _epc_qr(payload).png_data_uri(scale=1, border=0)
    return uri


def _one_line(text: str) -> str:
    return " ".join(text.split())
