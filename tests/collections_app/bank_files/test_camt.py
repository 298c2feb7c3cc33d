"""CAMT.053 / CAMT.054: every shared sample, read at transaction-detail level,
plus hand-written malformed and hostile XML."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from collections_app.bank_files import (
    BankFileError,
    BankFileFormat,
    BankStatement,
    Direction,
    detect_format,
    parse_bank_file,
)
from tests.samples import sample


def _parse(relative: str) -> list[BankStatement]:
    data = sample(relative).read_bytes()
    return parse_bank_file(data, file_format=detect_format(data))


def test_viafintech_053_v2_splits_the_batch_into_its_details() -> None:
    (statement,) = _parse("camt053/viafintech_053_valid_example.xml")
    assert statement.format is BankFileFormat.CAMT053
    assert statement.statement_id == "0352C5320131227220503"
    assert statement.account == "DE14740618130000033626"
    assert statement.currency == "EUR"
    assert statement.opening_balance == Decimal("33.06")
    assert statement.closing_balance == Decimal("23.06")
    assert len(statement.transactions) == 5  # 4 entries, the batch holds 2 details
    first = statement.transactions[0]
    assert (first.amount, first.direction) == (Decimal("2.00"), Direction.DEBIT)
    assert first.end_to_end_id == "EndToEndReference"
    assert first.bank_reference == "BankReference"
    assert first.entry_reference == "1234567890sdfghjk"
    assert first.payer_name == "Testkonto Nummer 2"  # the creditor of a debit
    assert first.payer_account == "DE09300606010012345671"
    assert first.booking_date == date(2013, 12, 27)
    batch = statement.transactions[3:]
    assert [tx.amount for tx in batch] == [Decimal("3.50"), Decimal("2.50")]
    assert [tx.end_to_end_id for tx in batch] == [
        "STZV-EtE27122013-11:02-1",
        "STZV-EtE27122013-11:02-2",
    ]
    assert batch[1].location == "Stmt[1]/Ntry[4]/NtryDtls[1]/TxDtls[2]"
    credit = statement.transactions[2]
    assert credit.direction is Direction.CREDIT
    assert credit.amount == Decimal("1.00")
    assert credit.payer_account == "740618130100033626"  # DbtrAcct/Id/Othr/Id


def test_viafintech_053_v4_swiss_charges_reversals_and_returns() -> None:
    (statement,) = _parse("camt053/viafintech_053_valid_example_v4.xml")
    txs = statement.transactions
    assert len(txs) == 32  # 13 entries, 7 of them batches
    assert statement.account == "CH0309000000250090342"
    assert statement.currency == "CHF"  # no Acct/Ccy: taken from the balances
    assert statement.opening_balance == Decimal("322152.16")
    assert statement.closing_balance == Decimal("322689.77")
    assert statement.from_date == date(2016, 4, 30)
    assert sum(1 for tx in txs if tx.is_reversal) == 2
    assert sum(1 for tx in txs if tx.is_return) == 5
    assert {tx.return_reason for tx in txs if tx.is_return} == {"NARR", "MD06"}
    first_batch = txs[6]
    assert first_batch.payer_name == "Hans Kaufmann"
    assert first_batch.amount == Decimal("100.00")
    assert first_batch.charges == Decimal("1.24")  # TtlChrgsAndTaxAmt of the detail
    assert first_batch.structured_references == ("CreditorReference",)
    assert first_batch.transaction_code == "PMNT/CNTR/CDPT"
    # The ten details of the first ESR batch add up to the entry.
    assert sum(tx.amount for tx in txs[6:16]) == Decimal("1000.00")
    reversal = txs[30]
    assert reversal.is_reversal
    assert reversal.is_return
    assert reversal.direction is Direction.DEBIT
    assert reversal.amount == Decimal("6.00")
    assert reversal.return_reason == "MD06"
    assert reversal.charges == Decimal("0.70")
    assert reversal.end_to_end_id == "EndToEnd-2B6C-CHDDBB5"
    assert reversal.remittance_text == "Mitteilung 128"
    assert all(tx.currency == "CHF" for tx in txs)


def test_viafintech_053_v8_rf_reference_and_foreign_currency_debit() -> None:
    (statement,) = _parse("camt053/viafintech_053_valid_example_v8.xml")
    first, second, third = statement.transactions
    assert first.payer_name == "Jon Doe"  # v08: Dbtr/Pty/Nm
    assert first.payer_bic == "UBSWCHZH80A"  # v08: BICFI
    assert first.amount == Decimal("474.40")
    assert first.remittance_text == "INVOICE R77561"
    assert first.end_to_end_id == "80000004540000100095"
    assert second.structured_references == ("RF38000000000000000000552",)
    assert second.payer_name == "Finanz AG"
    assert third.direction is Direction.DEBIT
    assert (third.amount, third.currency) == (Decimal("20.97"), "EUR")
    assert third.payer_name == "DHL Express (Schweiz) AG"


def test_viafintech_053_batch_without_details_stays_one_transaction() -> None:
    (statement,) = _parse("camt053/viafintech_053_valid_example_with_batch.xml")
    batch, refund, payment = statement.transactions
    assert (batch.amount, batch.direction) == (Decimal("4753.74"), Direction.DEBIT)
    assert batch.entry_reference == "032222222222222221000000001"
    assert batch.location == "Stmt[1]/Ntry[1]"
    assert refund.payer_name == "TEST"
    assert refund.end_to_end_id == "GBSXX21170607391766562"
    assert payment.payer_name == "Bedrijf BV"
    assert payment.amount == Decimal("5000.00")


def test_viafintech_053_with_debit_signs_the_opening_balance() -> None:
    (statement,) = _parse("camt053/viafintech_053_valid_example_with_debit.xml")
    assert statement.opening_balance == Decimal("-33.06")
    assert len(statement.transactions) == 5


def test_genkgo_multi_statement() -> None:
    first, second = _parse("camt053/genkgo_camt053.v2.multi.statement.xml")
    assert (first.statement_id, second.statement_id) == (
        "253EURNL26VAYB8060476890",
        "254EURNL26VAYB8060476890",
    )
    assert first.transactions[0].amount == Decimal("8.85")
    assert first.transactions[0].payer_name == "Company Name 1"
    assert second.transactions[0].direction is Direction.DEBIT
    assert second.transactions[0].amount == Decimal("7.00")
    assert second.closing_balance == Decimal("20.00")


def test_genkgo_five_decimals_quantized_without_losing_money() -> None:
    (statement,) = _parse("camt053/genkgo_camt053.v2.five.decimals.xml")
    (tx,) = statement.transactions
    assert tx.amount == Decimal("8.85")
    assert tx.amount.as_tuple().exponent == -2
    assert statement.opening_balance == Decimal("18.15")
    assert tx.end_to_end_id == "000000001"
    assert tx.value_date == date(2015, 1, 2)


def test_genkgo_minimal_structured_reference() -> None:
    (statement,) = _parse("camt053/genkgo_camt053.v2.minimal.xml")
    (tx,) = statement.transactions
    assert tx.structured_references == ("4654654654654654",)
    assert tx.payer_name == "NAME NAME"
    assert tx.end_to_end_id == ""  # NOTPROVIDED


def test_genkgo_camt054_v2_details_without_amounts_form_one_payment() -> None:
    (notification,) = _parse("camt054/genkgo_camt054.v2.xml")
    assert notification.format is BankFileFormat.CAMT054
    assert notification.account == "CH2801234000123456789"  # Othr/Id
    (tx,) = notification.transactions
    assert (tx.amount, tx.currency, tx.direction) == (Decimal("200000.00"), "SEK", Direction.DEBIT)
    assert tx.structured_references == (
        "ISR ref number V1",
        "ISR ref number V2",
        "Ref number V3 block 1",
        "Ref number V3 block 2",
    )
    assert "Unstructured Remittance Information V3 block 1 Unstructured Remittance" in (
        tx.remittance_text
    )
    assert tx.payer_name == "MUELLER"
    assert tx.booking_date == date(2007, 10, 18)  # from BookgDt/DtTm


def test_genkgo_camt054_v8_batch_split() -> None:
    (notification,) = _parse("camt054/genkgo_camt054.v8.xml")
    amounts = [tx.amount for tx in notification.transactions]
    assert amounts == [Decimal("3.10"), Decimal("3.20"), Decimal("3.20")]
    assert notification.transactions[0].structured_references == ("ISR ref number V1",)
    assert notification.transactions[2].structured_references == (
        "Ref number V3 block 1",
        "Ref number V3 block 2",
    )
    assert notification.transactions[1].end_to_end_id == "UXC06170000006PI00001EE00002"


def test_genkgo_camt054_v8_uetr_detail_falls_back_to_entry() -> None:
    (notification,) = _parse("camt054/genkgo_camt054.v8-with-UETR.xml")
    (tx,) = notification.transactions
    assert (tx.amount, tx.currency) == (Decimal("200000.00"), "SEK")
    assert tx.booking_date is None


def test_viafintech_054_reversals_and_returns() -> None:
    (notification,) = _parse("camt054/viafintech_054_valid_example.xml")
    txs = notification.transactions
    assert len(txs) == 5
    assert [tx.is_reversal for tx in txs] == [False, False, False, True, True]
    assert [tx.return_reason for tx in txs if tx.is_return] == ["MD06", "MD06"]
    assert txs[3].charges == Decimal("0.70")
    assert txs[2].amount == Decimal("56.56")
    assert txs[2].payer_name == "Bernasconi Maria"


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>DE02120300000000202051</IBAN></Id><Ccy>EUR</Ccy></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>"""

ENTRY = """<Ntry><Amt{ccy}>{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2024-03-01</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RmtInf><Ustrd>INV-1</Ustrd><Ustrd>INV-2</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""


def _camt(*entries: str, version: str = "08") -> bytes:
    return CAMT.format(version=version, entries="".join(entries)).encode()


def _entry(amount: str = "10.00", ccy: str = ' Ccy="EUR"') -> str:
    return ENTRY.format(amount=amount, ccy=ccy)


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_every_version_namespace_reads(version: str) -> None:
    (statement,) = parse_bank_file(_camt(_entry(), version=version))
    (tx,) = statement.transactions
    assert tx.amount == Decimal("10.00")
    assert tx.end_to_end_id == ""
    assert tx.remittance_text == "INV-1 INV-2"


@pytest.mark.parametrize(
    ("entries", "location", "message"),
    [
        ((_entry(), _entry(ccy="")), "Stmt[1]/Ntry[2]/Amt", "missing Ccy"),
        ((_entry(amount="12,3x"),), "Stmt[1]/Ntry[1]/Amt", "'12,3x' is not a number"),
        ((_entry(amount="8.853"),), "Stmt[1]/Ntry[1]/Amt", "more decimals than EUR"),
        ((_entry(ccy=' Ccy="EURO"'),), "Stmt[1]/Ntry[1]/Amt", "not an ISO 4217"),
        ((_entry().replace("CRDT", "XX"),), "Stmt[1]/Ntry[1]/CdtDbtInd", "CRDT or DBIT"),
        ((_entry().replace("2024-03-01", "2024-13-01"),), "Stmt[1]/Ntry[1]/BookgDt", "ISO date"),
    ],
)
def test_malformed_values_name_the_element(
    entries: tuple[str, ...], location: str, message: str
) -> None:
    with pytest.raises(BankFileError) as caught:
        parse_bank_file(_camt(*entries))
    assert caught.value.location == location
    assert message in caught.value.message


def test_truncated_xml_names_the_line() -> None:
    data = _camt(_entry())
    with pytest.raises(BankFileError, match="not well-formed XML") as caught:
        parse_bank_file(data[: len(data) // 2], file_format=BankFileFormat.CAMT053)
    assert caught.value.location.startswith("line ")


def test_wrong_root_is_refused() -> None:
    data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><X/></Document>'
    with pytest.raises(BankFileError, match="BkToCstmrStmt"):
        parse_bank_file(data)


def test_declared_format_must_match_the_file() -> None:
    with pytest.raises(BankFileError, match="not camt054"):
        parse_bank_file(_camt(_entry()), file_format=BankFileFormat.CAMT054)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<Stmt><Id>&lol2;</Id></Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_hostile_xml_is_refused(data: bytes) -> None:
    with pytest.raises(BankFileError, match="DOCTYPE"):
        parse_bank_file(data, file_format=BankFileFormat.CAMT053)


def test_ultimate_debtor_names_the_payer_when_the_debtor_is_missing() -> None:
    entry = _entry().replace(
        "<RmtInf>",
        "<RltdPties><UltmtDbtr><Pty><Nm>Beta Retail SA</Nm></Pty></UltmtDbtr></RltdPties><RmtInf>",
    )
    (statement,) = parse_bank_file(_camt(entry))
    (tx,) = statement.transactions
    assert (tx.payer_name, tx.ultimate_payer_name) == ("Beta Retail SA", "Beta Retail SA")


def test_pending_entries_are_marked_not_booked() -> None:
    (statement,) = parse_bank_file(_camt(_entry().replace("<Sts>BOOK</Sts>", "<Sts>PDNG</Sts>")))
    assert statement.transactions[0].booked is False
