"""SWIFT MT940 (customer statement) and MT942 (interim transaction report).

Written here rather than wrapping the ``mt-940`` package: it reads the
shared samples, but it is lenient where an import must be strict (a garbled
``:61:`` line is skipped or half-read without an error) and it keeps no line
numbers, so it cannot say where a file is broken. The format is line based
and small; what takes care is the ``:86:`` field:

- German banks (DK/ZKA layout) write ``GVC?00posting text?10...?20..?29``
  subfields: ?20-?29 and ?60-?63 carry the remittance, with SEPA markers
  EREF+ (end-to-end id), KREF+ (customer reference), MREF+ (mandate),
  SVWZ+ (the payer's remittance text); ?30 bank code / BIC, ?31 account /
  IBAN, ?32/?33 the counterparty's name, ?34 a return reason key.
- Dutch and other banks write SWIFT "structured" ``/TAG/value`` text
  (``/EREF/``, ``/NAME/``, ``/REMI/``, ``/IBAN/``, ``/RTRN/``).
- Everyone else writes free text, kept as the remittance text.

SWIFT lines are at most 65 characters; a field wrapped at that width is
re-joined without a space, a shorter line with one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ._common import check_currency, clean, decode_text, parse_decimal, to_minor_unit
from .types import BankFileError, BankFileFormat, BankStatement, BankTransaction, Direction

# Numeric tags, plus :NS: (non-standard) that some banks add; NS is ignored.
_TAG = re.compile(r"^:(\d{2}[A-Z]?|NS):(.*)$")
_SWIFT_BLOCK4 = re.compile(r"\{4:\s*\n(.*?)\n-\}", re.DOTALL)
_BALANCE = re.compile(r"^([CD])(\d{6})([A-Z]{3})(\d[\d,]*)$")
_FLOOR = re.compile(r"^([A-Z]{3})([CD]?)(\d[\d,]*)$")
_STATEMENT_LINE = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>R?[CD]|E[CD])(?P<funds>[A-Z])?"
    r"(?P<amount>\d[\d]*,\d*)(?P<type>[A-Z][A-Z0-9]{3})(?P<customer>.*?)(?://(?P<bank>.*))?$"
)
_WIDTH = 65
_SEPA_MARKERS = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT|PURP)\+")
_SWIFT_TAGS = re.compile(
    r"/(EREF|PREF|MARF|CSID|BENM|ORDP|NAME|ADDR|REMI|ISDT|IBAN|BIC|TRTP|RTRN|CNTP|"
    r"SVWZ|ULTB|ULTD|PURP|FX|EXCH|CHGS|OCMT|BUSP|ID|CD|USTD|STRD|TYPE|ISSR|CDTRREF|"
    r"CDTRREFTP|ACCW|INFO)/"
)
# DK business transaction codes (GVC) of returned payments and returned direct debits.
RETURN_GVC = frozenset({"108", "109", "159", "180", "181", "184"})
_ISO_REASON = re.compile(
    r"\b(AC0[1-6]|AC13|AG0[12]|AM0[459]|BE0[4-6]|CNOR|DNOR|DUPL|ED05|FF01|FOCR|FRAD|"
    r"MD0[1-7]|MS0[23]|NARR|RC01|RR0[1-4]|SL01|TECH|TM01|CUST|UPAY)\b"
)


@dataclass
class _Field:
    tag: str
    lines: list[str]
    line: int

    @property
    def location(self) -> str:
        return f"line {self.line}"

    def joined(self) -> str:
        return _join_wrapped(self.lines, first_prefix=len(self.tag) + 2)


def _join_wrapped(lines: list[str], *, first_prefix: int) -> str:
    """Re-join a field's physical lines: a line that filled the 65-character
    width was wrapped mid-word; a shorter one ended where the writer meant."""
    text = lines[0] if lines else ""
    for index in range(1, len(lines)):
        previous = len(lines[index - 1]) + (first_prefix if index == 1 else 0)
        text += lines[index] if previous >= _WIDTH else " " + lines[index]
    return text


@dataclass
class _Message:
    fields: list[_Field] = field(default_factory=list)


def _messages(text: str) -> list[_Message]:
    """Split into messages; each starts at :20:. Envelope lines (SWIFT blocks,
    bank headers such as ``ABNANL2A`` / ``940``) and ``-`` trailers are dropped."""
    blocks = _SWIFT_BLOCK4.findall(text)
    if blocks:
        # Keep line numbers meaningful: blank out everything outside block 4.
        body_lines: list[str] = []
        for line in text.splitlines():
            body_lines.append(line if not line.startswith(("{1:", "-}")) else "")
        text = "\n".join(body_lines)
    messages: list[_Message] = []
    current: _Message | None = None
    for number, physical in enumerate(text.splitlines(), start=1):
        line = physical.rstrip("\r\n")
        tag_match = _TAG.match(line)
        if tag_match:
            tag, value = tag_match.groups()
            if tag == "20":
                current = _Message()
                messages.append(current)
            if current is None:
                continue  # a header tag before the first :20:
            current.fields.append(_Field(tag=tag, lines=[value], line=number))
            continue
        stripped = line.strip()
        if current is None or not current.fields:
            continue
        if stripped.startswith(("-", "{")) or not stripped:
            # End of message ("-", "-XXX", "-}") or blank: nothing continues.
            if stripped.startswith("-"):
                current = None
            continue
        current.fields[-1].lines.append(line)
    return messages


def parse_mt940(data: bytes, *, interim: bool = False) -> list[BankStatement]:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    messages = _messages(text)
    if not messages:
        raise BankFileError("no :20: statement found", location="line 1")
    return [_statement(message, interim=interim) for message in messages]


def _balance(item: _Field) -> tuple[Decimal, str, date]:
    raw = item.joined().strip()
    match = _BALANCE.match(raw)
    if not match:
        raise BankFileError(
            f":{item.tag}: balance {raw!r} is not [C|D]YYMMDD CCY amount", location=item.location
        )
    mark, when, currency_raw, amount_raw = match.groups()
    currency = check_currency(currency_raw, item.location)
    amount = to_minor_unit(
        parse_decimal(amount_raw, item.location, decimal_separator=","), currency, item.location
    )
    return (-amount if mark == "D" else amount), currency, _yymmdd(when, item.location)


def _yymmdd(raw: str, location: str) -> date:
    try:
        return date(
            2000 + int(raw[:2]) if int(raw[:2]) < 80 else 1900 + int(raw[:2]),
            int(raw[2:4]),
            int(raw[4:6]),
        )
    except ValueError as exc:
        raise BankFileError(f"date {raw!r} does not exist", location=location) from exc


@dataclass
class _StatementState:
    reference: str = ""
    account: str = ""
    number: str = ""
    currency: str = ""
    opening: Decimal | None = None
    closing: Decimal | None = None
    from_date: date | None = None
    to_date: date | None = None
    created: date | None = None
    transactions: list[BankTransaction] = field(default_factory=list)


def _statement(message: _Message, *, interim: bool) -> BankStatement:
    state = _StatementState()
    pending: tuple[_Field, re.Match[str]] | None = None
    for item in message.fields:
        if item.tag == "NS":
            continue  # bank-specific, between any two fields
        if item.tag == "86" and pending is not None:
            state.transactions.append(_transaction(pending, item, state))
            pending = None
            continue
        if pending is not None:
            state.transactions.append(_transaction(pending, None, state))
            pending = None
        _header_field(item, state)
        if item.tag == "61":
            first = item.lines[0].strip()
            match = _STATEMENT_LINE.match(first)
            if not match:
                raise BankFileError(
                    f":61: statement line {first!r} is not date, C/D mark, amount, type",
                    location=item.location,
                )
            if not state.currency:
                raise BankFileError(
                    ":61: before the opening balance (:60F:) or floor limit (:34F:) gives"
                    " the currency",
                    location=item.location,
                )
            pending = (item, match)
    if pending is not None:
        state.transactions.append(_transaction(pending, None, state))
    if not state.account:
        raise BankFileError(
            "statement without an account (:25:)", location=message.fields[0].location
        )
    if not interim and state.closing is None:
        raise BankFileError(
            "statement without a closing balance (:62F:); is the file truncated?",
            location=message.fields[-1].location,
        )
    statement_id = f"{state.reference}/{state.number}" if state.number else state.reference
    return BankStatement(
        format=BankFileFormat.MT942 if interim else BankFileFormat.MT940,
        statement_id=statement_id,
        account=state.account,
        currency=state.currency,
        created_on=state.created,
        from_date=state.from_date,
        to_date=state.to_date,
        opening_balance=state.opening,
        closing_balance=state.closing,
        transactions=tuple(state.transactions),
    )


def _header_field(item: _Field, state: _StatementState) -> None:
    value = item.joined().strip()
    if item.tag == "20":
        state.reference = value
    elif item.tag == "25":
        state.account = value.replace(" ", "")
    elif item.tag in {"28", "28C"}:
        state.number = value
    elif item.tag in {"60F", "60M"}:
        amount, state.currency, state.from_date = _balance(item)
        if state.opening is None:
            state.opening = amount
    elif item.tag in {"62F", "62M"}:
        amount, currency, state.to_date = _balance(item)
        state.closing = amount
        state.currency = state.currency or currency
    elif item.tag == "34F" and not state.currency:
        match = _FLOOR.match(value)
        if not match:
            raise BankFileError(
                f":34F: floor limit {value!r} is not CCY amount", location=item.location
            )
        state.currency = check_currency(match.group(1), item.location)
    elif item.tag in {"13", "13D"} and value[:6].isdigit():
        state.created = _yymmdd(value[:6], item.location)


def _transaction(
    pending: tuple[_Field, re.Match[str]], info: _Field | None, state: _StatementState
) -> BankTransaction:
    item, match = pending
    location = item.location
    value_date = _yymmdd(match.group("value"), location)
    booking_date = value_date
    if match.group("entry"):
        booking_date = _entry_date(value_date, match.group("entry"), location)
    mark = match.group("mark")
    is_reversal = mark.startswith("R")
    credit = mark.endswith("C")
    if is_reversal:
        credit = not credit  # RC reverses a credit: money goes out again
    amount = to_minor_unit(
        parse_decimal(match.group("amount"), location, decimal_separator=","),
        state.currency,
        location,
    )
    customer_reference = match.group("customer").strip()
    if customer_reference.upper() == "NONREF":
        customer_reference = ""
    supplementary = " ".join(line.strip() for line in item.lines[1:])
    details = _details(info.lines if info is not None else [])
    code = details.code or match.group("type")
    return BankTransaction(
        amount=amount,
        currency=state.currency,
        direction=Direction.CREDIT if credit else Direction.DEBIT,
        booking_date=booking_date,
        value_date=value_date,
        bank_reference=(match.group("bank") or "").strip(),
        end_to_end_id=details.end_to_end or "",
        entry_reference=customer_reference,
        payer_name=details.name,
        payer_account=details.account or _iban_like(supplementary),
        payer_bic=details.bic,
        remittance_text=details.remittance
        or ("" if _iban_like(supplementary) == supplementary else clean(supplementary)),
        transaction_code=code,
        is_reversal=is_reversal,
        is_return=details.is_return,
        return_reason=details.return_reason,
        location=location,
    )


def _entry_date(value_date: date, mmdd: str, location: str) -> date:
    """The entry date has no year: take the value date's, moved across New
    Year when the two dates straddle it."""
    try:
        candidate = date(value_date.year, int(mmdd[:2]), int(mmdd[2:]))
    except ValueError as exc:
        raise BankFileError(f"entry date {mmdd!r} does not exist", location=location) from exc
    if (candidate - value_date).days > 180:
        return candidate.replace(year=candidate.year - 1)
    if (value_date - candidate).days > 180:
        return candidate.replace(year=candidate.year + 1)
    return candidate


def _iban_like(text: str) -> str:
    match = re.search(r"\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b", text)
    return match.group(0) if match else ""


@dataclass
class _Details:
    code: str = ""
    name: str = ""
    account: str = ""
    bic: str = ""
    end_to_end: str = ""
    remittance: str = ""
    is_return: bool = False
    return_reason: str = ""


def _details(lines: list[str]) -> _Details:
    if not lines:
        return _Details()
    first = lines[0].lstrip()
    if re.match(r"^\d{3}\?", first) or re.match(r"^\d{3}[^\w\s]\d{2}", first):
        return _german(lines)
    text = _join_wrapped(lines, first_prefix=4)
    if _SWIFT_TAGS.search(text) and text.lstrip().startswith("/"):
        return _swift_structured(text)
    return _Details(remittance=clean(text))


def _german(lines: list[str]) -> _Details:
    raw = "".join(lines).lstrip()
    separator = raw[3]
    code = raw[:3]
    subfields: dict[str, list[str]] = {}
    for part in raw[4:].split(separator):
        if len(part) >= 2 and part[:2].isdigit():
            subfields.setdefault(part[:2], []).append(part[2:])
    remittance_keys = [f"{n:02d}" for n in (*range(20, 30), *range(60, 64))]
    pieces = [piece for key in remittance_keys for piece in subfields.get(key, [])]
    markers, free = _sepa_markers(pieces)
    name = _join_subfields(
        [(p, len(p) >= _SUBFIELD_WIDTH) for p in subfields.get("32", [])]
        + [(p, len(p) >= _SUBFIELD_WIDTH) for p in subfields.get("33", [])]
    )
    end_to_end = markers.get("EREF", "")
    reason_key = clean("".join(subfields.get("34", [])))
    is_return = code in RETURN_GVC
    iso_reason = _ISO_REASON.search(" ".join(pieces)) if is_return else None
    remittance = markers.get("SVWZ") or free or clean(" ".join(subfields.get("00", [])))
    return _Details(
        code=code,
        name=name,
        account=clean("".join(subfields.get("31", []) or subfields.get("38", []))).replace(" ", ""),
        bic=clean("".join(subfields.get("30", []))),
        end_to_end="" if end_to_end.upper() == "NOTPROVIDED" else end_to_end,
        remittance=remittance,
        is_return=is_return,
        return_reason=iso_reason.group(1) if iso_reason else reason_key if is_return else "",
    )


_SUBFIELD_WIDTH = 27
_ID_MARKERS = frozenset({"EREF", "KREF", "MREF", "CRED", "DEBT", "IBAN", "BIC", "PURP"})


def _join_subfields(pieces: list[tuple[str, bool]]) -> str:
    """Join (text, subfield was full) pieces: subfields hold 27 characters,
    and a full one was cut mid-word, so the next piece follows directly."""
    text = ""
    for index, (piece, _) in enumerate(pieces):
        full = index > 0 and pieces[index - 1][1]
        text += piece if index == 0 or full else " " + piece
    return clean(text)


def _sepa_markers(pieces: list[str]) -> tuple[dict[str, str], str]:
    """Values of the SEPA markers (EREF+, SVWZ+, ...) across ?20-?29/?60-?63,
    and the text outside any marker. An identifier (EREF, KREF, ...) ends
    with a subfield that is not full; free text (SVWZ) runs on."""
    values: dict[str, list[tuple[str, bool]]] = {}
    free: list[tuple[str, bool]] = []
    current: str | None = None
    for piece in pieces:
        position = 0
        for match in _SEPA_MARKERS.finditer(piece):
            _append(values, free, current, (piece[position : match.start()], False))
            current = match.group(1)
            values.setdefault(current, [])
            position = match.end()
        _append(values, free, current, (piece[position:], len(piece) >= _SUBFIELD_WIDTH))
        if len(piece) < _SUBFIELD_WIDTH and current in _ID_MARKERS:
            current = None
    return {key: _join_subfields(parts) for key, parts in values.items()}, _join_subfields(free)


def _append(
    values: dict[str, list[tuple[str, bool]]],
    free: list[tuple[str, bool]],
    current: str | None,
    text: tuple[str, bool],
) -> None:
    if not text[0]:
        return
    if current is None:
        free.append(text)
    else:
        values[current].append(text)


def _swift_structured(text: str) -> _Details:
    values: dict[str, str] = {}
    matches = list(_SWIFT_TAGS.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end() : end].strip().rstrip("/")
        values.setdefault(match.group(1), value)
    reason = values.get("RTRN", "")
    return _Details(
        name=clean(values.get("NAME", "")),
        account=values.get("IBAN", "") or values.get("CNTP", "").split("/")[0],
        bic=values.get("BIC", ""),
        end_to_end=""
        if values.get("EREF", "").upper() == "NOTPROVIDED"
        else values.get("EREF", ""),
        remittance=clean(values.get("REMI", "") or values.get("USTD", "")),
        code=values.get("TRTP", ""),
        is_return=bool(reason),
        return_reason=reason,
    )
