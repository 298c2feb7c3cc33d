"""Remittance advices as CSV: the fixed layout OTC documents for payers and
lockbox providers that cannot send EDI 820.

Header (names as written, any order, extra columns ignored)::

    payer,payment_reference,payment_date,currency,invoice,paid_amount,
    invoice_amount,discount,adjustment,reason

One row per invoice; rows with the same payer, payment_reference,
payment_date and currency form one remittance, whose payment amount is the
sum of its paid amounts. Dates are ISO (YYYY-MM-DD), amounts use a point as
decimal separator. ``invoice`` and ``paid_amount`` are required on every
row; the other amount columns may be empty.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from ._common import check_currency, clean, parse_decimal
from .csv_format import decode_with
from .types import BankFileError, Remittance, RemittanceFormat, RemittanceLine

HEADER = (
    "payer",
    "payment_reference",
    "payment_date",
    "currency",
    "invoice",
    "paid_amount",
    "invoice_amount",
    "discount",
    "adjustment",
    "reason",
)
REQUIRED = ("payer", "payment_reference", "payment_date", "currency", "invoice", "paid_amount")


def parse_remittance_csv(data: bytes) -> list[Remittance]:
    text = decode_with(data, "utf-8")
    delimiter = (
        ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    )
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        fields = [clean(name).lower() for name in (reader.fieldnames or [])]
        missing = [name for name in REQUIRED if name not in fields]
        if missing:
            raise BankFileError(
                f"header lacks {', '.join(missing)} (expected {','.join(HEADER)})",
                location="line 1",
            )
        reader.fieldnames = fields
        groups: dict[tuple[str, str, date, str], list[RemittanceLine]] = {}
        first_line: dict[tuple[str, str, date, str], str] = {}
        for row in reader:
            location = f"line {reader.line_num}"
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            key, line = _row(row, location)
            groups.setdefault(key, []).append(line)
            first_line.setdefault(key, location)
    except csv.Error as exc:
        raise BankFileError(f"CSV syntax: {exc}", location=f"line {reader.line_num}") from exc
    if not groups:
        raise BankFileError("the file has no remittance rows", location="line 2")
    return [
        Remittance(
            format=RemittanceFormat.CSV,
            payer_name=payer,
            payment_reference=reference,
            payment_amount=sum((line.paid_amount or Decimal(0) for line in lines), Decimal(0)),
            currency=currency,
            payment_date=payment_date,
            lines=tuple(lines),
            location=first_line[(payer, reference, payment_date, currency)],
        )
        for (payer, reference, payment_date, currency), lines in groups.items()
    ]


def _row(
    row: dict[str, str | None], location: str
) -> tuple[tuple[str, str, date, str], RemittanceLine]:
    def value(name: str) -> str:
        raw = row.get(name)
        return raw.strip() if isinstance(raw, str) else ""

    for name in REQUIRED:
        if not value(name):
            raise BankFileError(f"{name} is empty", location=location)
    try:
        payment_date = date.fromisoformat(value("payment_date"))
    except ValueError as exc:
        raise BankFileError(
            f"payment_date {value('payment_date')!r} is not YYYY-MM-DD", location=location
        ) from exc

    def amount(name: str) -> Decimal | None:
        raw = value(name)
        return parse_decimal(raw, f"{location} {name}") if raw else None

    currency = check_currency(value("currency"), location)
    line = RemittanceLine(
        reference=value("invoice"),
        paid_amount=amount("paid_amount"),
        invoice_amount=amount("invoice_amount"),
        discount_amount=amount("discount"),
        adjustment_amount=amount("adjustment"),
        adjustment_reason=value("reason"),
        location=location,
    )
    return (clean(value("payer")), value("payment_reference"), payment_date, currency), line
