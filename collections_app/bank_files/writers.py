"""Writers for the formats the parsers read: generated bank files for the
cash-application benchmark, demo data and round-trip tests.

Each writer emits what a bank (or payer) of that format would send, so the
parsers read the output as they read real files:

- ``write_camt053``: camt.053.001.08, one entry with one TxDtls per
  transaction; RF creditor references as ``Strd/CdtrRefInf`` (type SCOR),
  other structured references as ``Strd/RfrdDocInf/Nb`` (invoice numbers),
  free text as ``Ustrd`` blocks of at most 140 characters.
- ``write_bai2``: one 02 group per statement and booking date, 03 with
  opening (010) and closing (015) ledger balances, 16 details with the value
  date (funds type V), text wrapped into 88 records at 80 columns, the payer
  as keyed 88 items (DBNM/CRNM, DACT/CACT) as banks such as Goldman Sachs
  write them, control totals computed.
- ``write_mt940``: German (DK) layout: ``:86:`` with GVC, ?20-?29 SEPA
  markers EREF+/SVWZ+, ?30 BIC, ?31 IBAN, ?32/?33 name, ?34 return reason.
- ``write_csv``: a bank CSV export as a tenant's mapping describes it.
- ``write_edi820``: X12 004010 820 with BPR/TRN/CUR/N1/ENT/RMR/DTM/REF/ADX.

Lossy by nature: BAI2 and MT940 have no room for the instructed (FX)
amount, MT940 none for an ultimate debtor, CSV only the mapped columns.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from itertools import groupby

from lxml import etree

from ._common import minor_units, rf_reference_valid
from .types import BankStatement, BankTransaction, CsvColumnMapping, Direction, Remittance

CAMT053_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
# Statements without dates get this one, so the output depends on the input only.
_UNDATED = date(2000, 1, 1)


# -- CAMT.053 ------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAMT053_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _money(parent: etree._Element, tag: str, amount: Decimal, currency: str) -> None:
    exponent = Decimal(1).scaleb(-minor_units(currency))
    _sub(parent, tag, str(amount.quantize(exponent)), Ccy=currency)


def _is_iban(value: str) -> bool:
    return len(value) >= 15 and value[:2].isalpha() and value[2:4].isdigit()


def _account(parent: etree._Element, account: str) -> None:
    identifier = _sub(parent, "Id")
    if _is_iban(account):
        _sub(identifier, "IBAN", account)
    else:
        _sub(_sub(identifier, "Othr"), "Id", account)


def write_camt053(statements: Sequence[BankStatement], *, message_id: str = "") -> bytes:
    root = etree.Element(f"{{{CAMT053_NS}}}Document", nsmap={None: CAMT053_NS})
    message = _sub(root, "BkToCstmrStmt")
    header = _sub(message, "GrpHdr")
    first_id = statements[0].statement_id if statements else "EMPTY"
    _sub(header, "MsgId", message_id or f"MSG-{first_id}"[:35])
    created = next((s.created_on for s in statements if s.created_on), None) or _UNDATED
    _sub(header, "CreDtTm", f"{created.isoformat()}T00:00:00")
    for statement in statements:
        _camt_statement(message, statement)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _camt_statement(message: etree._Element, statement: BankStatement) -> None:
    stmt = _sub(message, "Stmt")
    _sub(stmt, "Id", statement.statement_id)
    day = statement.created_on or statement.to_date or _UNDATED
    _sub(stmt, "CreDtTm", f"{day.isoformat()}T00:00:00")
    if statement.from_date and statement.to_date:
        period = _sub(stmt, "FrToDt")
        _sub(period, "FrDtTm", f"{statement.from_date.isoformat()}T00:00:00")
        _sub(period, "ToDtTm", f"{statement.to_date.isoformat()}T23:59:59")
    account = _sub(stmt, "Acct")
    _account(account, statement.account)
    _sub(account, "Ccy", statement.currency)
    for code, amount, when in (
        ("OPBD", statement.opening_balance, statement.from_date),
        ("CLBD", statement.closing_balance, statement.to_date),
    ):
        if amount is None:
            continue
        balance = _sub(stmt, "Bal")
        _sub(_sub(_sub(balance, "Tp"), "CdOrPrtry"), "Cd", code)
        _money(balance, "Amt", abs(amount), statement.currency)
        _sub(balance, "CdtDbtInd", "DBIT" if amount < 0 else "CRDT")
        _sub(_sub(balance, "Dt"), "Dt", (when or day).isoformat())
    for transaction in statement.transactions:
        _camt_entry(stmt, transaction)


def _bank_code(parent: etree._Element, code: str) -> None:
    codes = _sub(parent, "BkTxCd")
    parts = code.split("/")
    if len(parts) == 3 and all(len(part) == 4 for part in parts):
        domain = _sub(codes, "Domn")
        _sub(domain, "Cd", parts[0])
        family = _sub(domain, "Fmly")
        _sub(family, "Cd", parts[1])
        _sub(family, "SubFmlyCd", parts[2])
    elif code:
        _sub(_sub(codes, "Prtry"), "Cd", code)


def _camt_entry(stmt: etree._Element, tx: BankTransaction) -> None:
    entry = _sub(stmt, "Ntry")
    if tx.entry_reference:
        _sub(entry, "NtryRef", tx.entry_reference)
    _money(entry, "Amt", tx.amount, tx.currency)
    indicator = "CRDT" if tx.direction is Direction.CREDIT else "DBIT"
    _sub(entry, "CdtDbtInd", indicator)
    if tx.is_reversal:
        _sub(entry, "RvslInd", "true")
    _sub(_sub(entry, "Sts"), "Cd", "BOOK" if tx.booked else "PDNG")
    if tx.booking_date:
        _sub(_sub(entry, "BookgDt"), "Dt", tx.booking_date.isoformat())
    if tx.value_date:
        _sub(_sub(entry, "ValDt"), "Dt", tx.value_date.isoformat())
    _bank_code(entry, tx.transaction_code)
    detail = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    refs = _sub(detail, "Refs")
    if tx.bank_reference:
        _sub(refs, "AcctSvcrRef", tx.bank_reference)
    _sub(refs, "EndToEndId", tx.end_to_end_id or "NOTPROVIDED")
    _money(detail, "Amt", tx.amount, tx.currency)
    _sub(detail, "CdtDbtInd", indicator)
    if tx.original_amount is not None:
        instructed = _sub(_sub(detail, "AmtDtls"), "InstdAmt")
        _money(instructed, "Amt", tx.original_amount, tx.original_currency or tx.currency)
    _bank_code(detail, tx.transaction_code)
    if tx.charges:
        charges = _sub(detail, "Chrgs")
        _money(charges, "TtlChrgsAndTaxAmt", tx.charges, tx.currency)
        record = _sub(charges, "Rcrd")
        _money(record, "Amt", tx.charges, tx.currency)
        _sub(record, "CdtDbtInd", "DBIT")
    _camt_parties(detail, tx)
    _camt_remittance(detail, tx)
    if tx.is_return:
        _sub(_sub(_sub(detail, "RtrInf"), "Rsn"), "Cd", tx.return_reason or "NARR")


def _camt_parties(detail: etree._Element, tx: BankTransaction) -> None:
    side = "Dbtr" if tx.direction is Direction.CREDIT else "Cdtr"
    if tx.payer_name or tx.payer_account:
        parties = _sub(detail, "RltdPties")
        if tx.payer_name:
            _sub(_sub(_sub(parties, side), "Pty"), "Nm", tx.payer_name[:140])
        if tx.payer_account:
            _account(_sub(parties, f"{side}Acct"), tx.payer_account)
        if tx.ultimate_payer_name:
            _sub(_sub(_sub(parties, f"Ultmt{side}"), "Pty"), "Nm", tx.ultimate_payer_name[:140])
    if tx.payer_bic:
        agent = _sub(_sub(detail, "RltdAgts"), f"{side}Agt")
        _sub(_sub(agent, "FinInstnId"), "BICFI", tx.payer_bic)


def _camt_remittance(detail: etree._Element, tx: BankTransaction) -> None:
    if tx.remittance_text or tx.structured_references:
        remittance = _sub(detail, "RmtInf")
        for block in textwrap.wrap(tx.remittance_text, 140):
            _sub(remittance, "Ustrd", block)
        for reference in tx.structured_references:
            structured = _sub(remittance, "Strd")
            if rf_reference_valid(reference):
                creditor = _sub(structured, "CdtrRefInf")
                _sub(_sub(_sub(creditor, "Tp"), "CdOrPrtry"), "Cd", "SCOR")
                _sub(creditor, "Ref", reference)
            else:
                document = _sub(structured, "RfrdDocInf")
                _sub(_sub(_sub(document, "Tp"), "CdOrPrtry"), "Cd", "CINV")
                _sub(document, "Nb", reference)


# -- BAI2 ------------------------------------------------------------------------


def _minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_units(currency)).to_integral_value())


def _shown_text(tx: BankTransaction) -> str:
    """Formats without a structured field show the creditor references in
    the text, as banks do."""
    return tx.remittance_text or " ".join(tx.structured_references)


def _bai_text(value: str) -> str:
    # A "/" would end the record early and commas separate fields.
    return value.replace("/", " ").replace(",", " ")


def write_bai2(
    statements: Sequence[BankStatement], *, sender: str = "OTCBANK", receiver: str = "OTC"
) -> bytes:
    created = next((s.created_on for s in statements if s.created_on), None) or _UNDATED
    lines = [f"01,{sender},{receiver},{created:%y%m%d},0000,1,80,,2/"]
    file_total = 0
    groups = 0
    for statement in statements:
        by_day = groupby(statement.transactions, key=lambda tx: tx.booking_date)
        days = [(day, list(txs)) for day, txs in by_day] or [(statement.from_date, [])]
        for day, transactions in days:
            group, total = _bai_group(
                statement, day or statement.from_date or created, transactions
            )
            lines.extend(group)
            file_total += total
            groups += 1
    lines.append(f"99,{file_total},{groups},{len(lines) + 1}/")
    return ("\n".join(lines) + "\n").encode()


def _bai_group(
    statement: BankStatement, day: date, transactions: list[BankTransaction]
) -> tuple[list[str], int]:
    currency = statement.currency
    opening = _minor(statement.opening_balance or Decimal(0), currency)
    closing = _minor(statement.closing_balance or Decimal(0), currency)
    account_lines = [f"03,{statement.account},{currency},010,{opening},,,015,{closing},,/"]
    account_total = opening + closing
    for tx in transactions:
        code = tx.transaction_code if tx.transaction_code.isdigit() else _bai_code(tx)
        amount = _minor(tx.amount, currency)
        account_total += amount
        value = f"V,{tx.value_date:%y%m%d}," if tx.value_date else "Z"
        record = (
            f"16,{code},{amount},{value},{_bai_text(tx.bank_reference)},"
            f"{_bai_text(tx.end_to_end_id)},{_bai_text(_shown_text(tx))}"
        )
        # Physical records of 80 columns; the text runs on in 88 records.
        account_lines.append(record[:80])
        rest = record[80:]
        while rest:
            account_lines.append(f"88,{rest[:77]}")
            rest = rest[77:]
        name_key, account_key = (
            ("DBNM", "DACT") if tx.direction is Direction.CREDIT else ("CRNM", "CACT")
        )
        if tx.payer_name:
            account_lines.append(f"88,{name_key}: {_bai_text(tx.payer_name)}")
        if tx.payer_account:
            account_lines.append(f"88,{account_key}: {tx.payer_account}")
    account_lines.append(f"49,{account_total},{len(account_lines) + 1}/")
    lines = [f"02,OTC,OTCBANK,1,{day:%y%m%d},2400,{currency},2/", *account_lines]
    lines.append(f"98,{account_total},1,{len(lines) + 1}/")
    return lines, account_total


def _bai_code(tx: BankTransaction) -> str:
    if tx.is_return:
        return "555"  # deposited item returned
    return "195" if tx.direction is Direction.CREDIT else "495"  # incoming / outgoing transfer


# -- MT940 (German DK layout) -------------------------------------------------------


def _swift_amount(amount: Decimal, currency: str) -> str:
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return str(abs(amount).quantize(exponent)).replace(".", ",")


def _swift_text(value: str) -> str:
    # "?" separates subfields; SWIFT lines cannot start with ":" or "-".
    return value.replace("?", ".").replace("\n", " ")


def _wrap(tag: str, content: str) -> list[str]:
    """65-character lines; a line may not start with ":", "-" or "{" (it
    would read as a tag, the end of the message or a SWIFT block)."""
    rest = f":{tag}:{content}"
    lines: list[str] = []
    while len(rest) > 65:
        cut = 65
        while cut > 1 and rest[cut] in ":-{":
            cut -= 1
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return lines


def _subfields(text: str, start: int, *, limit: int) -> tuple[list[str], int]:
    chunks = [text[i : i + 27] for i in range(0, len(text), 27)] or []
    numbered = []
    number = start
    for chunk in chunks[:limit]:
        numbered.append(f"?{number:02d}{chunk}")
        number += 1
    return numbered, number


def write_mt940(statements: Sequence[BankStatement]) -> bytes:
    lines: list[str] = []
    for number, statement in enumerate(statements, start=1):
        currency = statement.currency
        opening_day = statement.from_date or _UNDATED
        closing_day = statement.to_date or opening_day
        opening = statement.opening_balance or Decimal(0)
        closing = statement.closing_balance
        if closing is None:
            closing = opening + sum(
                (tx.amount if tx.direction is Direction.CREDIT else -tx.amount)
                for tx in statement.transactions
            )
        lines.append(f":20:{statement.statement_id[:16]}")
        lines.append(f":25:{statement.account}")
        lines.append(f":28C:{number:05d}/001")
        mark = "D" if opening < 0 else "C"
        lines.append(f":60F:{mark}{opening_day:%y%m%d}{currency}{_swift_amount(opening, currency)}")
        for tx in statement.transactions:
            lines.extend(_mt940_transaction(tx, currency))
        mark = "D" if closing < 0 else "C"
        lines.append(f":62F:{mark}{closing_day:%y%m%d}{currency}{_swift_amount(closing, currency)}")
        lines.append("-")
    return ("\r\n".join(lines) + "\r\n").encode()


def _mt940_transaction(tx: BankTransaction, currency: str) -> list[str]:
    value = tx.value_date or tx.booking_date or _UNDATED
    booking = tx.booking_date or value
    credit = tx.direction is Direction.CREDIT
    mark = ("RD" if credit else "RC") if tx.is_reversal else ("C" if credit else "D")
    customer = _swift_text(tx.entry_reference)[:16] or "NONREF"
    bank = f"//{_swift_text(tx.bank_reference)[:16]}" if tx.bank_reference else ""
    line = (
        f"{value:%y%m%d}{booking:%m%d}{mark}{_swift_amount(tx.amount, currency)}"
        f"NTRF{customer}{bank}"
    )
    gvc = tx.transaction_code
    if not (len(gvc) == 3 and gvc.isdigit()):
        gvc = "109" if tx.is_return else "166" if credit else "177"
    posting = {"166": "GUTSCHRIFT", "109": "RUECKLASTSCHRIFT", "177": "UEBERWEISUNG"}.get(
        gvc, "BUCHUNG"
    )
    remittance = ""
    if tx.end_to_end_id:
        remittance += f"EREF+{_swift_text(tx.end_to_end_id)}"
        remittance += " " * (-len(remittance) % 27)  # the id ends with its subfield
    if _shown_text(tx):
        remittance += f"SVWZ+{_swift_text(_shown_text(tx))}"
    fields, _ = _subfields(remittance, 20, limit=10)
    if len(remittance) > 270:
        more, _ = _subfields(remittance[270:], 60, limit=4)
        fields.extend(more)
    content = f"{gvc}?00{posting}" + "".join(fields)
    if tx.payer_bic:
        content += f"?30{tx.payer_bic}"
    if tx.payer_account:
        content += f"?31{tx.payer_account}"
    name = _swift_text(tx.payer_name)
    if name:
        content += f"?32{name[:27]}"
        if len(name) > 27:
            content += f"?33{name[27:54]}"
    if tx.is_return and tx.return_reason:
        content += f"?34{tx.return_reason}"
    return [f":61:{line}", *_wrap("86", content)]


# -- CSV ---------------------------------------------------------------------------


def _csv_amount(amount: Decimal, currency: str, mapping: CsvColumnMapping) -> str:
    places = minor_units(currency)
    text = f"{amount:,.{places}f}" if mapping.thousands_separator else f"{amount:.{places}f}"
    if mapping.thousands_separator:
        text = text.replace(",", "\x00").replace(".", mapping.decimal_separator)
        text = text.replace("\x00", mapping.thousands_separator)
    else:
        text = text.replace(".", mapping.decimal_separator)
    return text


def write_csv(statements: Iterable[BankStatement], mapping: CsvColumnMapping) -> bytes:
    """A bank export as ``mapping`` describes it (header names, separators,
    date format, signed amount or credit/debit columns, encoding)."""
    columns = [
        (name, column)
        for name, column in (
            ("booking_date", mapping.booking_date),
            ("value_date", mapping.value_date),
            ("payer_name", mapping.payer_name),
            ("payer_account", mapping.payer_account),
            ("bank_reference", mapping.bank_reference),
            ("end_to_end_id", mapping.end_to_end_id),
            ("remittance_text", mapping.remittance_text),
            ("amount", mapping.amount),
            ("credit_amount", mapping.credit_amount),
            ("debit_amount", mapping.debit_amount),
            ("currency", mapping.currency),
        )
        if column
    ]
    if not mapping.has_header:
        columns.sort(key=lambda pair: int(pair[1]))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=mapping.delimiter, lineterminator="\r\n")
    if mapping.has_header:
        writer.writerow([column for _, column in columns])
    for statement in statements:
        for tx in statement.transactions:
            writer.writerow([_csv_value(tx, name, mapping) for name, _ in columns])
    encoding = "utf-8" if mapping.encoding.lower() in {"utf-8-sig", "utf8"} else mapping.encoding
    return buffer.getvalue().encode(encoding, errors="replace")


def _csv_value(tx: BankTransaction, name: str, mapping: CsvColumnMapping) -> str:
    credit = tx.direction is Direction.CREDIT
    if name in {"booking_date", "value_date"}:
        when: date | None = getattr(tx, name)
        return when.strftime(mapping.date_format) if when else ""
    if name == "amount":
        return _csv_amount(tx.amount if credit else -tx.amount, tx.currency, mapping)
    if name == "credit_amount":
        return _csv_amount(tx.amount, tx.currency, mapping) if credit else ""
    if name == "debit_amount":
        return "" if credit else _csv_amount(tx.amount, tx.currency, mapping)
    if name == "remittance_text":
        return _shown_text(tx)
    return str(getattr(tx, name))


# -- EDI 820 -------------------------------------------------------------------------


def _x12_amount(amount: Decimal) -> str:
    text = f"{amount:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _x12_text(value: str) -> str:
    return value.replace("*", " ").replace("~", " ").replace(">", " ")


def write_edi820(
    remittances: Sequence[Remittance], *, sender: str = "PAYER", receiver: str = "OTC"
) -> bytes:
    day = next((r.payment_date for r in remittances if r.payment_date), None) or date(2000, 1, 1)
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender[:15]:<15}*ZZ*{receiver[:15]:<15}"
        f"*{day:%y%m%d}*1200*U*00401*000000001*0*P*>"
    )
    segments = [isa, f"GS*RA*{sender}*{receiver}*{day:%Y%m%d}*1200*1*X*004010"]
    for number, remittance in enumerate(remittances, start=1):
        control = f"{number:04d}"
        body = _edi_body(remittance)
        segments.append(f"ST*820*{control}")
        segments.extend(body)
        segments.append(f"SE*{len(body) + 2}*{control}")
    segments.append(f"GE*{len(remittances)}*1")
    segments.append("IEA*1*000000001")
    return ("~\n".join(segments) + "~\n").encode()


def _edi_body(remittance: Remittance) -> list[str]:
    amount = remittance.payment_amount or Decimal(0)
    handling = "C" if amount else "I"
    method = "ACH" if amount else "NON"
    when = f"{remittance.payment_date:%Y%m%d}" if remittance.payment_date else ""
    body = [
        f"BPR*{handling}*{_x12_amount(amount)}*C*{method}************{when}",
        f"TRN*1*{_x12_text(remittance.payment_reference)}",
        f"CUR*PR*{remittance.currency}",
        f"N1*PR*{_x12_text(remittance.payer_name)}",
        "ENT*1",
    ]
    for line in remittance.lines:
        if line.reference:
            amounts = [
                _x12_amount(value) if value is not None else ""
                for value in (line.paid_amount, line.invoice_amount, line.discount_amount)
            ]
            body.append(f"RMR*IV*{_x12_text(line.reference)}*PO*{'*'.join(amounts)}".rstrip("*"))
            if line.invoice_date:
                body.append(f"DTM*003*{line.invoice_date:%Y%m%d}")
            if line.note:
                body.append(f"REF*ZZ*{_x12_text(line.note)}")
        if line.adjustment_amount is not None:
            body.append(
                f"ADX*{_x12_amount(line.adjustment_amount)}*{_x12_text(line.adjustment_reason)}"
            )
    return body
