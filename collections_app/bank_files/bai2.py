"""BAI2 (Cash Management Balance Reporting Specification, version 2).

Written here rather than wrapping the ``bai2`` package: on the shared samples
it rejects type codes it does not know (``190500000`` in a summary that spans
an 88 continuation), cannot read a file written as one physical line (records
separated only by ``/``), and its strict record counts refuse a real bank
file whose 49 counts differ. Real banks vary exactly there, so this reader
is lenient on layout and strict on money:

- records end at ``/`` or at the end of the physical line; several records
  may share one line, and a line that does not start with a record code
  continues the previous record (a text field wrapped by the bank);
- 88 continuation records extend the record before them (summary fields of
  an 03, or the free text of a 16);
- the text of a 16 is the rest of the record, commas included;
- amounts are in minor units of the account currency (from 03, else 02, else
  USD, the BAI default) and are checked to be digits;
- account (49), group (98) and file (99) control totals are verified, since a
  mismatch means a truncated or altered file; record counts are not, because
  banks count continuation records inconsistently.

Direction follows the BAI type code ranges: 100-399 credits, 400-699 debits,
900-959 custom credits, 960-999 custom debits; 001-099 are status codes and
700-799 loan detail, neither of which is a transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from ._common import check_currency, clean, decode_text, minor_units
from .types import BankFileError, BankFileFormat, BankStatement, BankTransaction, Direction

RECORD_START = re.compile(r"^(01|02|03|16|49|88|98|99),")
# A "/" ends a record; on a one-line file the next record follows it.
_SPLIT = re.compile(r"/\s*(?=(?:01|02|03|16|49|88|98|99),)")
# BAI return / reject / chargeback type codes (deposited item returned, ACH
# return items, wire return and reversal codes).
RETURN_CODES = frozenset(
    {"261", "266", "275", "555", "556", "557", "558", "564", "566", "575", "576"}
)


_LINE_WIDTH = 80
# Some banks (e.g. Goldman Sachs) put one keyed item per 88 record: EREF
# (end-to-end id), DBNM/CRNM (debtor/creditor name), DACT/CACT (their
# account), REMI (remittance).
_KEYED = re.compile(r"^(EREF|CREF|DBNM|CRNM|DACT|CACT|DABA|CABA|IDNM|REMI):\s?(.*)$")
# NACHA return reason codes as banks quote them in the detail text.
_ACH_REASON = re.compile(r"\bReason:\s*\"?(R\d{2})\b")


@dataclass
class _Record:
    code: str
    fields: list[str]
    line: int
    text: str = ""  # the raw remainder, for 16 free text
    continuation: str = ""  # 88 text of a 16
    keyed: dict[str, str] = field(default_factory=dict)  # "DBNM: ..." style 88 lines
    glued: bool = False  # the first 88 text continues the 16's text mid-word
    full_width: bool = False  # its last physical line filled 80 columns (wrapped mid-word)

    @property
    def location(self) -> str:
        return f"line {self.line}"


def _records(text: str) -> list[_Record]:
    """Split the file into logical records (88s merged into their parent)."""
    raw: list[tuple[str, int, bool]] = []
    for number, physical in enumerate(text.splitlines(), start=1):
        line = physical.rstrip()
        if not line.strip():
            continue
        if not RECORD_START.match(line.lstrip()):
            if not raw:
                raise BankFileError(
                    f"expected a BAI2 record (01, 02, ...), found {line[:20]!r}",
                    location=f"line {number}",
                )
            previous, start, _ = raw[-1]
            raw[-1] = (previous + " " + line.strip(), start, False)
            continue
        pieces = [piece.strip() for piece in _SPLIT.split(line.lstrip()) if piece.strip()]
        for piece in pieces:
            raw.append((piece, number, len(pieces) == 1 and len(line) >= _LINE_WIDTH))
    records: list[_Record] = []
    for body, number, full_width in raw:
        code = body[:2]
        rest = body[3:]
        if code == "88":
            if not records:
                raise BankFileError("88 continuation before any record", location=f"line {number}")
            _continue(records[-1], rest, full_width=full_width)
            continue
        record = _Record(code=code, fields=_fields(rest), line=number, full_width=full_width)
        if code == "16":
            record.text = rest
        records.append(record)
    return records


def _continue(parent: _Record, rest: str, *, full_width: bool) -> None:
    """An 88 record: more summary fields of an 03, more text of a 16."""
    if parent.code == "16":
        keyed = _KEYED.match(rest.strip())
        if keyed:
            parent.keyed.setdefault(keyed.group(1), _strip_slash(keyed.group(2)).strip())
        else:
            joiner = "" if parent.full_width else " "
            if not parent.continuation:
                parent.glued = parent.full_width  # the 16 line itself was cut at column 80
                joiner = ""
            parent.continuation = f"{parent.continuation}{joiner}{_strip_slash(rest)}"
    else:
        parent.fields.extend(_fields(rest))
    parent.full_width = full_width


def _strip_slash(value: str) -> str:
    value = value.rstrip()
    return value[:-1].rstrip() if value.endswith("/") else value


def _fields(rest: str) -> list[str]:
    return [part.strip() for part in _strip_slash(rest).split(",")]


def _raw(raw: str, location: str, what: str) -> int:
    """An amount as BAI2 writes it: an integer in minor units, optional sign.
    Control totals add these integers, whatever the accounts' currencies."""
    value = raw.strip()
    digits = value[1:] if value[:1] in {"+", "-"} else value
    if not digits:
        return 0
    if not digits.isdigit():
        raise BankFileError(f"{what} {raw!r} is not a number", location=location)
    return -int(digits) if value.startswith("-") else int(digits)


def _amount(raw: str, currency: str, location: str, what: str) -> Decimal:
    return Decimal(_raw(raw, location, what)).scaleb(-minor_units(currency))


def _date(raw: str, location: str) -> date | None:
    value = raw.strip()
    if not value:
        return None
    if len(value) != 6 or not value.isdigit():
        raise BankFileError(f"date {value!r} is not YYMMDD", location=location)
    try:
        return date(2000 + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError as exc:
        raise BankFileError(f"date {value!r} does not exist", location=location) from exc


def _direction(type_code: str, location: str) -> Direction | None:
    if not type_code.isdigit() or len(type_code) != 3:
        raise BankFileError(f"type code {type_code!r} is not three digits", location=location)
    code = int(type_code)
    if 100 <= code <= 399 or 900 <= code <= 959:
        return Direction.CREDIT
    if 400 <= code <= 699 or 960 <= code <= 999:
        return Direction.DEBIT
    return None


@dataclass
class _Account:
    number: str
    currency: str
    record: _Record
    opening: Decimal | None = None
    closing: Decimal | None = None
    transactions: list[BankTransaction] = field(default_factory=list)


def parse_bai2(data: bytes, *, verify_totals: bool = True) -> list[BankStatement]:
    """``verify_totals=False`` is for reading a file whose trailers are known
    to be wrong (support work on a bank's broken export), never for imports."""
    records = _records(decode_text(data))
    if not records or records[0].code != "01":
        raise BankFileError("a BAI2 file starts with a 01 file header", location="line 1")
    reader = _Reader(records[0], verify_totals=verify_totals)
    for record in records[1:]:
        reader.read(record)
    return reader.finish(records[-1])


class _Reader:
    """Walks the records: 02 group, 03 account, 16 details, 49/98/99 trailers."""

    def __init__(self, header: _Record, *, verify_totals: bool) -> None:
        self.file_id = "-".join(part for part in header.fields[:4] if part)
        self.created = _date(_field(header, 2), header.location)
        self.verify = verify_totals
        self.statements: list[BankStatement] = []
        self.group_currency = "USD"
        self.group_date: date | None = None
        self.group_total = 0
        self.file_total = 0
        self.account: _Account | None = None
        self.account_total = 0
        self.ended = False

    def read(self, record: _Record) -> None:
        if self.ended:
            raise BankFileError(
                f"record {record.code} after the 99 file trailer", location=record.location
            )
        handlers = {
            "01": self.second_header,
            "02": self.group,
            "03": self.open_account,
            "16": self.detail,
            "49": self.close_account,
            "98": self.close_group,
            "99": self.close_file,
        }
        handlers[record.code](record)

    def second_header(self, record: _Record) -> None:
        raise BankFileError("a second 01 file header", location=record.location)

    def group(self, record: _Record) -> None:
        self.group_currency = _group_currency(record)
        self.group_date = _date(_field(record, 3), record.location)
        self.group_total = 0

    def open_account(self, record: _Record) -> None:
        if self.account is not None:
            raise BankFileError(
                "03 account record before the 49 of the previous account",
                location=record.location,
            )
        self.account = _open_account(record, self.group_currency)
        self.account_total = _summary_total(self.account)

    def detail(self, record: _Record) -> None:
        if self.account is None:
            raise BankFileError("16 detail outside an account (no 03)", location=record.location)
        transaction = _detail(record, self.account.currency, self.group_date)
        if transaction is not None:
            self.account.transactions.append(transaction)
        self.account_total += _raw(_field(record, 1), record.location, "amount")

    def close_account(self, record: _Record) -> None:
        account = self.account
        if account is None:
            raise BankFileError("49 account trailer without an account", location=record.location)
        _check_total(record, self.account_total, "account", verify=self.verify)
        statement = _statement(account, self.file_id, self.created, self.group_date)
        repeats = sum(1 for done in self.statements if done.account == account.number)
        if repeats:  # the same account twice in one file (one-line exports do it)
            statement = replace(statement, statement_id=f"{statement.statement_id}-{repeats + 1}")
        self.statements.append(statement)
        self.group_total += self.account_total
        self.account = None

    def close_group(self, record: _Record) -> None:
        if self.account is not None:
            raise BankFileError(
                "98 group trailer before the 49 of its account", location=record.location
            )
        _check_total(record, self.group_total, "group", verify=self.verify)
        self.file_total += self.group_total

    def close_file(self, record: _Record) -> None:
        _check_total(record, self.file_total, "file", verify=self.verify)
        self.ended = True

    def finish(self, last: _Record) -> list[BankStatement]:
        if self.account is not None:
            raise BankFileError(
                "the file ends inside an account (no 49 trailer)",
                location=self.account.record.location,
            )
        if not self.ended:
            raise BankFileError(
                "the file has no 99 trailer; is it truncated?", location=last.location
            )
        return self.statements


def _field(record: _Record, index: int) -> str:
    return record.fields[index] if index < len(record.fields) else ""


def _group_currency(record: _Record) -> str:
    currency = _field(record, 5)
    return check_currency(currency, record.location) if currency else "USD"


def _open_account(record: _Record, group_currency: str) -> _Account:
    number = _field(record, 0)
    if not number:
        raise BankFileError("03 account record without an account number", location=record.location)
    currency_raw = _field(record, 1)
    currency = check_currency(currency_raw, record.location) if currency_raw else group_currency
    account = _Account(number=number, currency=currency, record=record)
    for type_code, amount_raw in _summaries(record.fields[2:]):
        amount = _amount(amount_raw, currency, record.location, f"summary {type_code} amount")
        if type_code in {"010", "040"} and account.opening is None:
            account.opening = amount
        elif type_code in {"015", "045"} and account.closing is None:
            account.closing = amount
    return account


def _funds_extra(funds: str, fields: list[str], start: int) -> int:
    """How many fields a funds type adds after itself: S has three
    availability amounts, V a date and time, D a count and that many pairs."""
    kind = funds.upper()
    if kind == "S":
        return 3
    if kind == "V":
        return 2
    if kind == "D":
        count_raw = fields[start] if start < len(fields) else "0"
        count = int(count_raw) if count_raw.isdigit() else 0
        return 1 + 2 * count
    return 0


def _summary_total(account: _Account) -> int:
    """The 49 control total covers the 03 amounts and the 16 amounts."""
    return sum(
        _raw(amount_raw, account.record.location, "summary amount")
        for _, amount_raw in _summaries(account.record.fields[2:])
    )


def _summaries(fields: list[str]) -> Iterator[tuple[str, str]]:
    """(type code, amount) of each summary: type code, amount, item count,
    funds type and the funds type's extras. An empty field where a type code
    belongs is skipped: some banks end a record with ",/" before an 88."""
    index = 0
    while index + 1 < len(fields):
        if not fields[index]:
            index += 1
            continue
        funds = fields[index + 3] if index + 3 < len(fields) else ""
        yield fields[index], fields[index + 1]
        index += 4 + _funds_extra(funds, fields, index + 4)


def _detail(record: _Record, currency: str, group_date: date | None) -> BankTransaction | None:
    location = record.location
    type_code = _field(record, 0)
    direction = _direction(type_code, location)
    amount = _amount(_field(record, 1), currency, location, "amount")
    # Walk the fields the funds type adds, then bank ref, customer ref, text.
    parts = record.text.split(",")
    funds = parts[2].strip().upper() if len(parts) > 2 else ""
    position = 3
    value_date: date | None = None
    if funds == "V":
        value_date = _date(parts[3] if len(parts) > 3 else "", location)
        position += 2
    elif funds == "S":
        position += 3
    elif funds == "D":
        count_raw = parts[3].strip() if len(parts) > 3 else "0"
        if not count_raw.isdigit():
            raise BankFileError(
                f"distribution count {count_raw!r} is not a number", location=location
            )
        position += 1 + 2 * int(count_raw)
    bank_reference = parts[position].strip() if len(parts) > position else ""
    customer_reference = parts[position + 1].strip() if len(parts) > position + 1 else ""
    inline = ",".join(parts[position + 2 :]) if len(parts) > position + 2 else ""
    text = _strip_slash(inline) + ("" if record.glued else " ") + record.continuation
    reason = _ACH_REASON.search(text)
    if direction is None or (amount == 0 and not text.strip()):
        return None
    if amount < 0:
        raise BankFileError(f"detail amount {_field(record, 1)!r} is negative", location=location)
    keyed = record.keyed
    name_key, account_key = ("DBNM", "DACT") if direction is Direction.CREDIT else ("CRNM", "CACT")
    return BankTransaction(
        amount=amount,
        currency=currency,
        direction=direction,
        booking_date=group_date,
        value_date=value_date or group_date,
        bank_reference=_strip_slash(bank_reference),
        end_to_end_id=keyed.get("EREF") or _strip_slash(customer_reference),
        payer_name=clean(keyed.get(name_key, "")),
        payer_account=keyed.get(account_key, ""),
        remittance_text=clean(keyed["REMI"]) if keyed.get("REMI") else clean(text),
        transaction_code=type_code,
        is_return=type_code in RETURN_CODES,
        return_reason=reason.group(1) if reason and type_code in RETURN_CODES else "",
        location=location,
    )


def _check_total(record: _Record, expected: int, what: str, *, verify: bool = True) -> None:
    control = _raw(_field(record, 0), record.location, f"{what} control total")
    if verify and control != expected:
        raise BankFileError(
            f"{what} control total {control} does not match the records ({expected});"
            " the file is incomplete or altered",
            location=record.location,
        )


def _statement(
    account: _Account, file_id: str, created: date | None, group_date: date | None
) -> BankStatement:
    return BankStatement(
        format=BankFileFormat.BAI2,
        statement_id=f"{file_id}-{account.number}",
        account=account.number,
        currency=account.currency,
        created_on=created,
        from_date=group_date,
        to_date=group_date,
        opening_balance=account.opening,
        closing_balance=account.closing,
        transactions=tuple(account.transactions),
    )
