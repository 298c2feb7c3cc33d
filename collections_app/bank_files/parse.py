"""Entry points: tell which format a file is, and parse it.

Parsing is all-or-nothing: a parser either returns every statement of the
file or raises ``BankFileError`` naming the line or element, so the caller
imports nothing from a malformed file. Anything unexpected a parser lets
slip (a bug, not a file problem) is still turned into ``BankFileError`` here
so no bare ``KeyError``/``IndexError`` reaches the import service.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePath
from typing import TypeVar

from . import bai2, camt, csv_format, edi820, mt940, remittance_csv
from .types import (
    BankFileError,
    BankFileFormat,
    BankStatement,
    CsvColumnMapping,
    Remittance,
    RemittanceFormat,
)

_T = TypeVar("_T")

_MT_TAG = re.compile(rb"^:(20|25|28C?|60[FM]|61|86|34F|13D?):", re.MULTILINE)
_SWIFT_BLOCK4 = re.compile(rb"\{1:[^}]*\}.*?\{4:", re.DOTALL)
_SWIFT_MESSAGE_TYPE = re.compile(rb"\{2:[IO](\d{3})")


def _strip(data: bytes) -> bytes:
    return data.lstrip(b"\xef\xbb\xbf").lstrip()


def _looks_binary(data: bytes) -> bool:
    head = data[:1024]
    return b"\x00" in head or head.startswith((b"%PDF", b"PK\x03\x04", b"\x1f\x8b"))


def detect_format(data: bytes, *, filename: str = "") -> BankFileFormat:  # noqa: PLR0911
    body = _strip(data)
    if not body:
        raise BankFileError("the file is empty")
    if _looks_binary(body):
        raise BankFileError("the file is binary (PDF, ZIP or similar), not a bank statement file")
    if body.startswith(b"<"):
        version = camt.sniff_namespace(body)
        if version is None:
            raise BankFileError(
                "XML file without a camt.053 or camt.054 namespace; is it a bank statement?"
            )
        if version.message == "053":
            return BankFileFormat.CAMT053
        if version.message == "054":
            return BankFileFormat.CAMT054
        raise BankFileError(
            f"camt.{version.message} (intraday account report) is not supported;"
            " ask the bank for camt.053 or camt.054"
        )
    if re.match(rb"01,", body):
        return BankFileFormat.BAI2
    swift_type = _SWIFT_MESSAGE_TYPE.search(body[:2048])
    if swift_type and swift_type.group(1) in {b"940", b"942"}:
        return BankFileFormat.MT942 if swift_type.group(1) == b"942" else BankFileFormat.MT940
    if _SWIFT_BLOCK4.search(body[:4096]) or re.search(rb"^:20:", body, re.MULTILINE):
        tags = set(_MT_TAG.findall(body))
        if b"34F" in tags or (b"13D" in tags and b"60F" not in tags and b"60M" not in tags):
            return BankFileFormat.MT942
        if tags & {b"25", b"60F", b"60M", b"61", b"28C", b"28"}:
            return BankFileFormat.MT940
    suffix = PurePath(filename).suffix.lower()
    first_line = body.split(b"\n", 1)[0]
    if suffix in {".csv", ".txt", ".tsv"} or any(sep in first_line for sep in (b",", b";", b"\t")):
        return BankFileFormat.CSV
    raise BankFileError(
        "not a recognised bank file: expected CAMT.053/054 XML, BAI2, MT940/MT942 or CSV"
    )


def parse_bank_file(
    data: bytes,
    *,
    file_format: BankFileFormat | None = None,
    csv_mapping: CsvColumnMapping | None = None,
) -> list[BankStatement]:
    chosen = file_format or _detect_with_mapping(data, csv_mapping)
    parsers: dict[BankFileFormat, Callable[[], list[BankStatement]]] = {
        BankFileFormat.CAMT053: lambda: camt.parse_camt(data),
        BankFileFormat.CAMT054: lambda: camt.parse_camt(data),
        BankFileFormat.BAI2: lambda: bai2.parse_bai2(data),
        BankFileFormat.MT940: lambda: mt940.parse_mt940(data),
        BankFileFormat.MT942: lambda: mt940.parse_mt940(data, interim=True),
        BankFileFormat.CSV: lambda: csv_format.parse_csv(data, csv_mapping),
    }
    statements = _guarded(parsers[BankFileFormat(chosen)])
    expected = {BankFileFormat.CAMT053, BankFileFormat.CAMT054}
    if chosen in expected and statements and statements[0].format != chosen:
        raise BankFileError(f"the file is {statements[0].format}, not {chosen}")
    return statements


def _detect_with_mapping(data: bytes, csv_mapping: CsvColumnMapping | None) -> BankFileFormat:
    """A tenant that saved a CSV mapping for the account sends CSV; a file
    that does not look like any format then is read as CSV by that mapping."""
    try:
        return detect_format(data)
    except BankFileError:
        if csv_mapping is None:
            raise
        return BankFileFormat.CSV


def _guarded(parser: Callable[[], _T]) -> _T:
    try:
        return parser()
    except BankFileError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, ArithmeticError) as exc:
        # A parser bug, not a file problem; still all-or-nothing for the caller.
        raise BankFileError(f"the file could not be read ({type(exc).__name__}: {exc})") from exc


def detect_remittance_format(data: bytes, *, filename: str = "") -> RemittanceFormat:
    body = _strip(data)
    if not body:
        raise BankFileError("the file is empty")
    if body.startswith(b"ISA"):
        return RemittanceFormat.EDI820
    if _looks_binary(body):
        raise BankFileError("the file is binary, not a remittance advice")
    first_line = body.split(b"\n", 1)[0].lower()
    if b"invoice" in first_line and b"paid_amount" in first_line:
        return RemittanceFormat.CSV
    raise BankFileError(
        "not a recognised remittance advice: expected X12 EDI 820 (starting with ISA) or"
        " CSV with the header payer,payment_reference,payment_date,currency,invoice,"
        "paid_amount,..."
    )


def parse_remittance(
    data: bytes, *, file_format: RemittanceFormat | None = None
) -> list[Remittance]:
    chosen = file_format or detect_remittance_format(data)
    if chosen == RemittanceFormat.EDI820:
        return _guarded(lambda: edi820.parse_edi820(data))
    return _guarded(lambda: remittance_csv.parse_remittance_csv(data))
