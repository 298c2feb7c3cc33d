"""MT940 / MT942: every shared sample (German SEPA :86: subfields, Dutch
structured :86:, free text), and malformed files rejected by line."""

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
from tests.samples import sample


def _parse(name: str) -> list[BankStatement]:
    return parse_bank_file(sample(f"mt940/{name}").read_bytes())


def test_german_sepa_subfields() -> None:
    first, second = _parse("betterplace_sepa_snippet.sta")
    assert first.format is BankFileFormat.MT940
    assert first.account == "50880050/0194787400888"
    assert first.statement_id == "T089414086000001/00004/00001"
    assert (first.opening_balance, first.closing_balance) == (
        Decimal("766656.49"),
        Decimal("1125250.40"),
    )
    assert len(first.transactions) + len(second.transactions) == 11
    tx = first.transactions[0]
    assert (tx.amount, tx.currency, tx.direction) == (Decimal("50990.05"), "EUR", Direction.CREDIT)
    assert tx.end_to_end_id == "EndToEndId TFNR 22 004 00001"  # EREF+ across ?20/?21
    assert tx.remittance_text == "Verw CTSc-01 BC-PPP TFNr 22 004"  # SVWZ+ across ?22/?23
    assert tx.payer_name == "KARL KAUFMANN"  # ?32 + ?33
    assert tx.payer_account == "DE14508800500194785000"  # ?31, wrapped over two lines
    assert tx.payer_bic == "DRESDEFF508"
    assert tx.transaction_code == "166"
    assert (tx.booking_date, tx.value_date) == (date(2007, 9, 4), date(2007, 9, 7))
    assert tx.bank_reference == "0724710333343453"
    assert first.transactions[1].remittance_text == "Strukturierter Verwendungszweck 30030004 DE"
    returns = [t for t in second.transactions if t.is_return]
    assert [t.amount for t in returns] == [
        Decimal("0.08"),
        Decimal("335.33"),
        Decimal("15000.00"),
        Decimal("915311.55"),
    ]
    assert returns[0].transaction_code == "159"
    assert returns[0].end_to_end_id == "TFNR 40001 00005"
    assert returns[0].return_reason == "914"  # ?34


def test_german_sepa_large_file() -> None:
    statements = _parse("betterplace_sepa_mt9401.sta")
    txs = [tx for statement in statements for tx in statement.transactions]
    assert (len(statements), len(txs)) == (26, 97)
    reversals = [tx for tx in txs if tx.is_reversal]
    assert len(reversals) == 2  # the RC/RD lines
    assert {tx.amount for tx in reversals} == {Decimal("204.88")}
    assert sum(1 for tx in txs if tx.end_to_end_id) >= 50
    assert all(tx.currency == "EUR" for tx in txs)


def test_cmxl_several_currencies() -> None:
    dem, eur, pln = _parse("cmxl_mt940.sta")
    assert (dem.currency, eur.currency, pln.currency) == ("DEM", "EUR", "PLN")
    assert [len(s.transactions) for s in (dem, eur, pln)] == [11, 2, 3]
    rent = eur.transactions[0]
    assert (rent.amount, rent.direction, rent.payer_name) == (
        Decimal("800.00"),
        Direction.DEBIT,
        "MUELLER",
    )
    assert rent.remittance_text == "Miete November"
    assert pln.transactions[0].payer_name.startswith("HUTA SZKLA TOPIC")
    assert pln.transactions[2].remittance_text == "Odsetki od lokaty nr 101000022086"


def test_abnamro_free_text_rejoined_at_65_columns() -> None:
    first, second = _parse("jejik_abnamro.sta")
    assert len(first.transactions) + len(second.transactions) == 10
    tx = first.transactions[0]
    assert (tx.amount, tx.direction) == (Decimal("9.00"), Direction.DEBIT)
    assert tx.transaction_code == "N192"
    assert "BETALINGSKENM. 0000000421886595314606715" in tx.remittance_text
    assert "BETREFT FACTUUR D.D. 20-05-2011 INCL. 1,44 BTW" in tx.remittance_text


def test_ing_statement_level_86_is_not_a_transaction() -> None:
    (statement,) = _parse("jejik_ing.sta")
    assert len(statement.transactions) == 7
    last = statement.transactions[-1]
    assert (last.amount, last.direction, last.booking_date) == (
        Decimal("1.00"),
        Direction.CREDIT,
        date(2010, 7, 23),
    )
    assert last.remittance_text.startswith("0111111111 Hr S Marechal ROSMALEN")


def test_rabobank_structured_86() -> None:
    first, second = _parse("jejik_rabobank-iban.sta")
    assert first.account == "NL71RABO0123456789"
    tx = first.transactions[0]
    assert tx.payer_name == "CONTRA ACCOUNT HOLDER"  # wrapped at 65 columns mid-word
    assert tx.end_to_end_id == "01-01-2013 12:00 0030000987654321"
    assert tx.payer_account == "NL70ABNA0987654321"  # :61: supplementary details
    assert first.transactions[1].remittance_text == "Reference 201301234"
    assert first.transactions[1].payer_name == "JOHN DOE"
    assert second.closing_balance == Decimal("930.00")


def test_mbank() -> None:
    (statement,) = _parse("mBank_mt940.sta")
    assert statement.currency == "PLN"
    assert [tx.amount for tx in statement.transactions] == [Decimal("0.01")] * 3
    assert "ID IPH: XX000000000001" in statement.transactions[0].remittance_text


def test_mt942_interim_report() -> None:
    (statement,) = _parse("self-provided_mt942.sta")
    assert statement.format is BankFileFormat.MT942
    assert statement.currency == "EUR"  # from :34F:, there is no :60F:
    assert statement.created_on == date(2016, 10, 30)
    (tx,) = statement.transactions
    assert (tx.amount, tx.direction) == (Decimal("0.42"), Direction.DEBIT)
    assert tx.bank_reference == "055001022000001"
    assert tx.remittance_text.startswith("REMIT:Costs to MT940 Parsing.")


GOOD = """{1:F01BANKDEFFAXXX0000000000}{2:O9401200240301BANKDEFFAXXX}{4:
:20:STMT1
:25:DE02120300000000202051
:28C:1/1
:60F:C240301EUR1000,00
:61:2403010301CR250,00NTRFNONREF//B1
:86:166?00GUTSCHRIFT?20EREF+E2E-1?21SVWZ+RE 2024-0001?32ACME GMBH
:62F:C240301EUR1250,00
-}"""


def test_swift_envelope() -> None:
    (statement,) = parse_bank_file(GOOD.encode())
    (tx,) = statement.transactions
    assert tx.end_to_end_id == "E2E-1"
    assert tx.remittance_text == "RE 2024-0001"
    assert tx.payer_name == "ACME GMBH"
    assert statement.closing_balance == Decimal("1250.00")


@pytest.mark.parametrize(
    ("broken", "location", "message"),
    [
        (GOOD.replace("CR250,00", "CR25O,00"), "line 6", "is not date, C/D mark"),
        (GOOD.replace("C240301EUR1000,00", "C240301EUR1000.00"), "line 5", "is not [C|D]YYMMDD"),
        (GOOD.replace(":61:240301", ":61:241301"), "line 6", "does not exist"),
        (GOOD.replace(":60F:C240301EUR1000,00\n", ""), "line 5", "gives the currency"),
        (GOOD.replace(":25:DE02120300000000202051\n", ""), "line 2", "without an account"),
        (GOOD.replace("EUR1000", "EU1000"), "line 5", "is not [C|D]YYMMDD"),
    ],
)
def test_malformed_names_the_line(broken: str, location: str, message: str) -> None:
    with pytest.raises(BankFileError) as caught:
        parse_bank_file(broken.encode(), file_format=BankFileFormat.MT940)
    assert caught.value.location == location
    assert message in caught.value.message


def test_truncated_statement_is_refused() -> None:
    cut = GOOD.split(":62F:", maxsplit=1)[0]
    with pytest.raises(BankFileError, match="without a closing balance") as caught:
        parse_bank_file(cut.encode(), file_format=BankFileFormat.MT940)
    assert caught.value.location == "line 7"


def test_non_standard_ns_field_is_ignored() -> None:
    data = GOOD.replace(":62F:", ":NS:22Kontostand\n:62F:").replace(":86:", ":NS:01X\n:86:")
    (statement,) = parse_bank_file(data.encode())
    assert statement.closing_balance == Decimal("1250.00")
    assert statement.transactions[0].payer_name == "ACME GMBH"
