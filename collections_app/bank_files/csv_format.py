"""Bank CSV exports, read through a tenant's saved ``CsvColumnMapping``.

The standard library's ``csv`` module does the splitting and quoting; this
module only maps columns, reads each bank's number and date conventions and
reports problems by line. There is no "standard" bank CSV to hand to a
library, which is why the mapping exists.

Rows whose amount is zero are skipped: banks put balance or information lines
into their exports that move no money.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from ._common import check_currency, clean, parse_date, parse_decimal, to_minor_unit
from .types import (
    BankFileError,
    BankFileFormat,
    BankStatement,
    BankTransaction,
    CsvColumnMapping,
    Direction,
)


def decode_with(data: bytes, encoding: str) -> str:
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in {"utf-8", "utf8"} else encoding
    try:
        return data.decode(codec)
    except LookupError as exc:
        raise BankFileError(f"unknown encoding {encoding!r}", location="mapping") from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BankFileError(
            f"byte 0x{data[exc.start]:02x} is not valid {encoding}; is the file in another"
            " encoding (cp1252, latin-1)?",
            location=f"line {line}",
        ) from exc


class _Columns:
    """Resolves the mapping's column names (or indexes) against the header."""

    def __init__(self, mapping: CsvColumnMapping, header: list[str] | None) -> None:
        self.mapping = mapping
        self.index: dict[str, int] = {}
        names = [clean(name).lower() for name in header] if header is not None else None
        for field in (
            "booking_date",
            "amount",
            "credit_amount",
            "debit_amount",
            "currency",
            "value_date",
            "payer_name",
            "payer_account",
            "bank_reference",
            "end_to_end_id",
            "remittance_text",
        ):
            column = getattr(mapping, field)
            if not column:
                continue
            if names is None:
                if not column.isdigit():
                    raise BankFileError(
                        f"{field}: {column!r} must be a 0-based column number when the"
                        " file has no header",
                        location="mapping",
                    )
                self.index[field] = int(column)
            else:
                wanted = clean(column).lower()
                if wanted not in names:
                    raise BankFileError(
                        f"column {column!r} ({field}) is not in the header", location="line 1"
                    )
                self.index[field] = names.index(wanted)

    def get(self, row: list[str], field: str, location: str) -> str:
        position = self.index.get(field)
        if position is None:
            return ""
        if position >= len(row):
            raise BankFileError(
                f"row has {len(row)} columns, {field} is column {position + 1}",
                location=location,
            )
        return row[position].strip()


def parse_csv(data: bytes, mapping: CsvColumnMapping | None) -> list[BankStatement]:
    if mapping is None:
        raise BankFileError(
            "a CSV bank file needs the account's saved column mapping", location="mapping"
        )
    if not mapping.amount and not (mapping.credit_amount or mapping.debit_amount):
        raise BankFileError(
            "the mapping names neither an amount column nor credit/debit columns",
            location="mapping",
        )
    if not mapping.currency and not mapping.default_currency:
        raise BankFileError(
            "the mapping names neither a currency column nor a default currency",
            location="mapping",
        )
    if len(mapping.delimiter) != 1:
        raise BankFileError("the delimiter must be one character", location="mapping")
    text = decode_with(data, mapping.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    header: list[str] | None = None
    try:
        if mapping.has_header:
            header = next(reader, None)
            if header is None:
                raise BankFileError("the file is empty", location="line 1")
        columns = _Columns(mapping, header)
        by_currency: dict[str, list[BankTransaction]] = {}
        for row in reader:
            location = f"line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            transaction = _row(row, columns, mapping, location)
            if transaction is not None:
                by_currency.setdefault(transaction.currency, []).append(transaction)
    except csv.Error as exc:
        raise BankFileError(f"CSV syntax: {exc}", location=f"line {reader.line_num}") from exc
    statements = []
    for currency, transactions in by_currency.items():
        dates = [tx.booking_date for tx in transactions if tx.booking_date]
        first, last = (min(dates), max(dates)) if dates else (None, None)
        statements.append(
            BankStatement(
                format=BankFileFormat.CSV,
                statement_id=f"{mapping.account or 'CSV'}-{currency}-{first}-{last}",
                account=mapping.account,
                currency=currency,
                from_date=first,
                to_date=last,
                transactions=tuple(transactions),
            )
        )
    if not statements:
        raise BankFileError("the file has no transactions", location="line 1")
    return statements


def _amount(text: str, mapping: CsvColumnMapping, location: str) -> Decimal:
    return parse_decimal(
        text,
        location,
        decimal_separator=mapping.decimal_separator,
        thousands_separator=mapping.thousands_separator,
    )


def _row(
    row: list[str], columns: _Columns, mapping: CsvColumnMapping, location: str
) -> BankTransaction | None:
    if mapping.amount:
        signed = _amount(columns.get(row, "amount", location), mapping, location)
    else:
        credit_raw = columns.get(row, "credit_amount", location)
        debit_raw = columns.get(row, "debit_amount", location)
        credit = _amount(credit_raw, mapping, location) if credit_raw else Decimal(0)
        debit = _amount(debit_raw, mapping, location) if debit_raw else Decimal(0)
        if credit and debit:
            raise BankFileError("row has both a credit and a debit amount", location=location)
        signed = abs(credit) if credit else -abs(debit)
    if signed == 0:
        return None
    currency_raw = columns.get(row, "currency", location) or mapping.default_currency
    if not currency_raw:
        raise BankFileError("row has no currency", location=location)
    currency = check_currency(currency_raw, location)
    booking_raw = columns.get(row, "booking_date", location)
    if not booking_raw:
        raise BankFileError("row has no booking date", location=location)
    value_raw = columns.get(row, "value_date", location)
    end_to_end = columns.get(row, "end_to_end_id", location)
    return BankTransaction(
        amount=to_minor_unit(abs(signed), currency, location),
        currency=currency,
        direction=Direction.CREDIT if signed > 0 else Direction.DEBIT,
        booking_date=parse_date(booking_raw, mapping.date_format, location),
        value_date=parse_date(value_raw, mapping.date_format, location) if value_raw else None,
        bank_reference=columns.get(row, "bank_reference", location),
        end_to_end_id="" if end_to_end.upper() == "NOTPROVIDED" else end_to_end,
        payer_name=clean(columns.get(row, "payer_name", location)),
        payer_account=columns.get(row, "payer_account", location).replace(" ", ""),
        remittance_text=clean(columns.get(row, "remittance_text", location)),
        location=location,
    )
