"""BAI2: every shared sample (continuations, one-line files, several groups),
and malformed files rejected by line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from collections_app.bank_files import (
    BankFileError,
    BankFileFormat,
    BankStatement,
    Direction,
    parse_bank_file,
)
from collections_app.bank_files.bai2 import parse_bai2
from tests.samples import sample


def _parse(name: str) -> list[BankStatement]:
    return parse_bank_file(sample(f"bai2/{name}").read_bytes())


def test_citi_detail_with_references_and_88_text() -> None:
    (statement,) = _parse("moj_citi_example.bai2")
    assert statement.format is BankFileFormat.BAI2
    assert (statement.account, statement.currency) == ("77777777", "GBP")
    assert statement.opening_balance == Decimal("100.00")
    (tx,) = statement.transactions
    assert (tx.amount, tx.direction) == (Decimal("0.01"), Direction.CREDIT)
    assert tx.bank_reference == "1234567890"
    assert tx.end_to_end_id == "RP12312312312312"  # the customer reference
    assert tx.value_date == date(2015, 7, 15)
    assert tx.transaction_code == "191"
    assert tx.remittance_text.startswith("FR:FP SIP INCOMING ENDT:20150715 TRID:RP12312312312312")
    assert tx.remittance_text.endswith("BO:11111111 BO1:DOE JO")


def test_natwest_summaries_in_88_and_wrapped_text() -> None:
    (statement,) = _parse("moj_nwb_example.bai2")
    assert statement.account == "88888888 600004"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("365.21"),
        Decimal("338.45"),
    )
    amounts = [(tx.direction, tx.amount) for tx in statement.transactions]
    assert amounts == [
        (Direction.DEBIT, Decimal("9.71")),
        (Direction.DEBIT, Decimal("1.00")),
        (Direction.DEBIT, Decimal("1.23")),
        (Direction.DEBIT, Decimal("15.71")),
        (Direction.CREDIT, Decimal("0.89")),
    ]
    # The 88 text was cut at column 80 inside "CLIENT".
    assert "INTERNATIONAL-5373 CLIENT SECCY AC TFR" in statement.transactions[4].remittance_text
    assert statement.transactions[0].booking_date == date(2009, 12, 16)


def test_svb_two_groups_same_account() -> None:
    first, second = _parse("moj_svb_us_example.bai2")
    assert first.account == second.account == "1234567890"
    assert first.statement_id != second.statement_id
    assert (first.from_date, second.from_date) == (date(2022, 2, 1), date(2022, 2, 2))
    assert first.transactions[0].amount == Decimal("4901.96")
    assert second.transactions[0].amount == Decimal("9058.00")
    assert first.transactions[0].bank_reference == "172629"
    assert first.transactions[0].remittance_text == "SOME PAYMENT ACH OFFSET"
    assert second.closing_balance == Decimal("361229.75")


def test_moov_sample1_cad_value_dated_details() -> None:
    first, second = _parse("moov_sample1.bai2")
    assert first.currency == second.currency == "CAD"
    assert (len(first.transactions), len(second.transactions)) == (11, 6)
    returned = first.transactions[0]
    assert (returned.amount, returned.direction) == (Decimal("25.00"), Direction.DEBIT)
    assert returned.remittance_text == "RETURNED CHEQUE"
    assert returned.value_date == date(2006, 3, 16)
    assert returned.booking_date == date(2006, 3, 17)
    assert sum(tx.amount for tx in first.transactions if tx.direction is Direction.CREDIT) == (
        Decimal("2085.00")
    )


def test_moov_sample2_summary_continuations_and_funds_types() -> None:
    statements = _parse("moov_sample2.bai2")
    assert len(statements) == 5
    assert [len(s.transactions) for s in statements] == [1, 1, 2, 0, 0]
    assert statements[1].opening_balance == Decimal("-5000.00")
    credit = statements[2].transactions[0]
    assert credit.amount == Decimal("200000.00")
    assert (credit.bank_reference, credit.end_to_end_id) == ("SP4738", "YRC065321")
    assert credit.value_date == date(2004, 6, 22)
    assert credit.remittance_text == "PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"
    assert statements[1].transactions[0].remittance_text == "LOCK BOX NO.68751"


def test_moov_sample3_one_physical_line_per_many_records() -> None:
    statements = _parse("moov_sample3.bai2")
    assert len(statements) == 15
    # 26 type-16 records; bankstatementparser reported 24 (parser_results.tsv)
    assert sum(len(s.transactions) for s in statements) == 26
    assert statements[0].opening_balance == Decimal("-35.00")
    first, second = statements[0].transactions[:2]
    assert first.location == second.location == "line 3"  # two records on one line
    assert first.remittance_text == "TRANSFER PAYPAL PPD"
    assert second.amount == Decimal("5.00")
    assert len({s.statement_id for s in statements}) == 15


def test_moov_sample4_is_rejected_its_account_trailer_is_wrong() -> None:
    """The second account's 49 record says -1260161341762, but its 03 and 16
    amounts add up to 7999960: the sample's control total is invalid."""
    data = sample("bai2/moov_sample4-continuations-newline-delimited.bai2").read_bytes()
    with pytest.raises(BankFileError, match="account control total -1260161341762") as caught:
        parse_bank_file(data)
    assert caught.value.location == "line 22"
    # Read without the check, the continuations themselves parse.
    statements = parse_bai2(data, verify_totals=False)
    assert sum(len(s.transactions) for s in statements) == 17
    ach_return = statements[2].transactions[0]
    assert ach_return.is_return
    assert ach_return.return_reason == "R02"
    assert ach_return.amount == Decimal("2000.00")
    assert 'Remittance Info: "SB2322300000052"' in ach_return.remittance_text
    assert ach_return.payer_name == "Test"  # CRNM: the creditor of a debit
    payment = statements[1].transactions[0]
    assert payment.remittance_text.endswith("Client Ref ID: 1111, GS ID: SPB2322984714570")
    assert payment.end_to_end_id == "1111"  # 88,EREF
    assert payment.payer_account == "ACHCONTROLOUTUSD01"  # CACT of a debit
    reject = statements[1].transactions[1]
    assert (reject.direction, reject.payer_name, reject.payer_account) == (
        Direction.CREDIT,
        "SAMPLE INC",
        "101152046",
    )
    assert reject.end_to_end_id == "GSQ4FBGFDGWGKY"
    assert reject.remittance_text == "ACH- Test - Addenda Record"  # its keyed "88,REMI:" line


GOOD = """01,SENDER,RECEIVER,240301,1200,1,,,2/
02,RECEIVER,SENDER,1,240301,,USD,2/
03,123456,USD,010,100000,,/
16,301,12345,Z,BR1,CR1,INVOICE 42/
49,112345,3/
98,112345,1,5/
99,112345,1,7/
"""


def test_small_file_parses() -> None:
    (statement,) = parse_bank_file(GOOD.encode())
    (tx,) = statement.transactions
    assert (tx.amount, tx.bank_reference, tx.end_to_end_id) == (Decimal("123.45"), "BR1", "CR1")
    assert tx.remittance_text == "INVOICE 42"
    assert statement.opening_balance == Decimal("1000.00")


@pytest.mark.parametrize(
    ("broken", "location", "message"),
    [
        (GOOD.replace("12345,Z", "123x5,Z"), "line 4", "'123x5' is not a number"),
        (GOOD.replace("49,112345", "49,112346"), "line 5", "account control total"),
        (GOOD.replace("16,301", "16,3X1"), "line 4", "type code '3X1'"),
        (GOOD.replace("240301,,USD", "240399,,USD"), "line 2", "does not exist"),
        (GOOD.replace("99,112345,1,7/\n", ""), "line 6", "no 99 trailer"),
        (GOOD.replace("03,123456,USD,010,100000,,/\n", ""), "line 3", "outside an account"),
        ("HELLO\n" + GOOD, "line 1", "expected a BAI2 record"),
    ],
)
def test_malformed_names_the_line(broken: str, location: str, message: str) -> None:
    with pytest.raises(BankFileError) as caught:
        parse_bank_file(broken.encode(), file_format=BankFileFormat.BAI2)
    assert caught.value.location == location
    assert message in caught.value.message
