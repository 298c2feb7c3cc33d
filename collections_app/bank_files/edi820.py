"""ANSI X12 820 (Payment Order / Remittance Advice), versions 004010 and
005010 (incl. the 005010X218 premium-payment guide).

Written here rather than with pyx12: pyx12 validates against its bundled
implementation guides and reports problems as a 999 acknowledgement, but it
does not hand back the remittance values, and a B2B 820 (RMR*IV) is not one
of its maps. Reading an 820 needs only the segments below; separators are
taken from the fixed-width ISA header as the standard requires:

- ISA: element separator (byte 4), repetition separator (ISA11), component
  separator (ISA16) and segment terminator (the byte after ISA16);
- ST/SE: one remittance per transaction set; SE01 must equal the number of
  segments from ST to SE (a wrong count means a truncated or altered file);
- BPR: BPR01 handling (C payment + remittance, I remittance only), BPR02
  amount, BPR16 effective date; CUR: currency (else USD);
- TRN02: the trace / check number that ties the advice to its payment;
- N1*PR (payer) name, N1*PE (payee); ENT groups lines per entity;
- RMR: RMR02 the reference (invoice number, qualifier in RMR01), RMR04 paid,
  RMR05 invoice amount, RMR06 discount taken;
- REF after an RMR: further references and the payer's notes (``note``);
- DTM: the invoice date after an RMR (DTM*003), skipped elsewhere;
- ADX: an adjustment (amount and reason code) for the preceding RMR, or a
  line of its own when the entity has no RMR yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from ._common import check_currency, clean, decode_text, parse_decimal
from .types import BankFileError, Remittance, RemittanceFormat, RemittanceLine

_ISA_LENGTH = 106


@dataclass(frozen=True)
class _Segment:
    tag: str
    elements: tuple[str, ...]
    number: int  # 1-based position in the interchange

    @property
    def location(self) -> str:
        return f"segment {self.number} ({self.tag})"

    def get(self, index: int) -> str:
        """Element by its X12 number (BPR02 is get(2))."""
        return self.elements[index].strip() if index < len(self.elements) else ""


def _segments(text: str) -> list[_Segment]:
    body = text.lstrip("\ufeff \r\n\t")
    if not body.startswith("ISA") or len(body) < _ISA_LENGTH:
        raise BankFileError(
            "an X12 file starts with a 106-character ISA segment", location="segment 1 (ISA)"
        )
    element_separator = body[3]
    component_separator = body[104]
    terminator = body[105]
    if element_separator.isalnum() or terminator.isalnum() or component_separator.isalnum():
        raise BankFileError(
            "the ISA header does not have the fixed layout (separators are letters or digits)",
            location="segment 1 (ISA)",
        )
    segments: list[_Segment] = []
    for raw in body.split(terminator):
        cleaned = raw.strip("\r\n\t ")
        if not cleaned:
            continue
        elements = cleaned.split(element_separator)
        segments.append(
            _Segment(tag=elements[0].strip(), elements=tuple(elements), number=len(segments) + 1)
        )
    return segments


def _amount(segment: _Segment, index: int, *, required: bool = False) -> Decimal | None:
    raw = segment.get(index)
    if not raw:
        if required:
            raise BankFileError(
                f"{segment.tag}{index:02d} amount is missing", location=segment.location
            )
        return None
    return parse_decimal(raw, f"{segment.location} {segment.tag}{index:02d}")


def _date(segment: _Segment, index: int) -> date | None:
    raw = segment.get(index)
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
    except ValueError as exc:
        raise BankFileError(
            f"{segment.tag}{index:02d} date {raw!r} is not CCYYMMDD", location=segment.location
        ) from exc


@dataclass
class _Advice:
    start: _Segment
    payer: str = ""
    reference: str = ""
    amount: Decimal | None = None
    currency: str = "USD"
    payment_date: date | None = None
    lines: list[RemittanceLine] = field(default_factory=list)
    line_open: bool = False  # the last line is an RMR that REF/DTM/ADX may extend


def parse_edi820(data: bytes) -> list[Remittance]:
    segments = _segments(decode_text(data))
    remittances: list[Remittance] = []
    advice: _Advice | None = None
    for segment in segments:
        if segment.tag == "ST":
            if advice is not None:
                raise BankFileError("ST inside an open transaction set", location=segment.location)
            if segment.get(1) != "820":
                raise BankFileError(
                    f"transaction set {segment.get(1)!r} is not an 820", location=segment.location
                )
            advice = _Advice(start=segment)
        elif segment.tag == "SE":
            if advice is None:
                raise BankFileError("SE without ST", location=segment.location)
            _check_count(advice.start, segment)
            remittances.append(_finish(advice))
            advice = None
        elif advice is not None:
            _read(advice, segment)
    if advice is not None:
        raise BankFileError(
            "the transaction set has no SE trailer; is the file truncated?",
            location=advice.start.location,
        )
    if not remittances:
        raise BankFileError(
            "no 820 transaction set (ST*820) in the file", location="segment 1 (ISA)"
        )
    return remittances


def _check_count(start: _Segment, end: _Segment) -> None:
    counted = end.number - start.number + 1
    declared = end.get(1)
    if declared != str(counted):
        raise BankFileError(
            f"SE01 says {declared or 'nothing'} segments but the transaction set has {counted}",
            location=end.location,
        )
    if end.get(2) != start.get(2):
        raise BankFileError(
            f"SE02 control number {end.get(2)!r} does not match ST02 {start.get(2)!r}",
            location=end.location,
        )


def _read(advice: _Advice, segment: _Segment) -> None:
    tag = segment.tag
    if tag == "BPR":
        advice.amount = _amount(segment, 2, required=True)
        advice.payment_date = _date(segment, 16)
    elif tag == "CUR":
        advice.currency = check_currency(segment.get(2), segment.location)
    elif tag == "TRN":
        advice.reference = segment.get(2)
    elif tag == "N1" and segment.get(1) == "PR":
        advice.payer = clean(segment.get(2))
    elif tag == "ENT":
        advice.line_open = False
    elif tag == "RMR":
        _rmr(advice, segment)
    elif tag == "REF" and advice.line_open:
        line = advice.lines[-1]
        text = clean(" ".join(part for part in (segment.get(2), segment.get(3)) if part))
        note = f"{line.note}; {text}" if line.note else text
        advice.lines[-1] = replace(line, note=note)
    elif tag == "DTM" and advice.line_open and segment.get(1) == "003":
        advice.lines[-1] = replace(advice.lines[-1], invoice_date=_date(segment, 2))
    elif tag == "ADX":
        _adx(advice, segment)


def _rmr(advice: _Advice, segment: _Segment) -> None:
    reference = segment.get(2)
    if not reference:
        raise BankFileError("RMR02 reference is missing", location=segment.location)
    advice.lines.append(
        RemittanceLine(
            reference=reference,
            paid_amount=_amount(segment, 4),
            invoice_amount=_amount(segment, 5),
            discount_amount=_amount(segment, 6),
            location=segment.location,
        )
    )
    advice.line_open = True


def _adx(advice: _Advice, segment: _Segment) -> None:
    amount = _amount(segment, 1, required=True)
    reason = segment.get(2)
    if advice.line_open:
        line = advice.lines[-1]
        total = (line.adjustment_amount or Decimal(0)) + (amount or Decimal(0))
        reasons = "; ".join(part for part in (line.adjustment_reason, reason) if part)
        advice.lines[-1] = replace(line, adjustment_amount=total, adjustment_reason=reasons)
        return
    advice.lines.append(
        RemittanceLine(
            reference="",
            adjustment_amount=amount,
            adjustment_reason=reason,
            location=segment.location,
        )
    )


def _finish(advice: _Advice) -> Remittance:
    return Remittance(
        format=RemittanceFormat.EDI820,
        payer_name=advice.payer,
        payment_reference=advice.reference,
        payment_amount=advice.amount,
        currency=advice.currency,
        payment_date=advice.payment_date,
        lines=tuple(advice.lines),
        location=advice.start.location,
    )
