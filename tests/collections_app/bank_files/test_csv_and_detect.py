"""CSV bank exports through saved column mappings, and format detection."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from collections_app.bank_files import (
    BankFileError,
    BankFileFormat,
    CsvColumnMapping,
    Direction,
    detect_format,
    parse_bank_file,
)
from tests.samples import sample

GERMAN = CsvColumnMapping(
    booking_date="Buchungstag",
    value_date="Valuta",
    amount="Betrag",
    default_currency="EUR",
    payer_name="Auftraggeber",
    payer_account="IBAN",
    remittance_text="Verwendungszweck",
    delimiter=";",
    decimal_separator=",",
    thousands_separator=".",
    date_format="%d.%m.%Y",
    encoding="cp1252",
    account="DE02120300000000202051",
)

GERMAN_FILE = (
    "Buchungstag;Valuta;Auftraggeber;IBAN;Verwendungszweck;Betrag\r\n"
    "01.03.2024;02.03.2024;Müller GmbH;DE89 3704 0044 0532 0130 00;RE-2024-0001;1.234,56\r\n"
    "01.03.2024;01.03.2024;Kontoführung;;Entgelt;-9,90\r\n"
    ";;;;;\r\n"
    "04.03.2024;04.03.2024;Saldo;;Info;0,00\r\n"
).encode("cp1252")


def test_german_export_signed_amount_cp1252() -> None:
    (statement,) = parse_bank_file(GERMAN_FILE, csv_mapping=GERMAN)
    assert statement.format is BankFileFormat.CSV
    assert statement.account == "DE02120300000000202051"
    credit, fee = statement.transactions  # blank and zero rows skipped
    assert (credit.amount, credit.direction) == (Decimal("1234.56"), Direction.CREDIT)
    assert credit.payer_name == "Müller GmbH"
    assert credit.payer_account == "DE89370400440532013000"
    assert credit.value_date == date(2024, 3, 2)
    assert credit.location == "line 2"
    assert (fee.amount, fee.direction) == (Decimal("9.90"), Direction.DEBIT)
    assert statement.from_date == statement.to_date == date(2024, 3, 1)


US = CsvColumnMapping(
    booking_date="Date",
    credit_amount="Credit",
    debit_amount="Debit",
    currency="Currency",
    bank_reference="Ref",
    remittance_text="Description",
    date_format="%m/%d/%Y",
    thousands_separator=",",
)


def test_credit_debit_columns_utf8_bom_and_quoted_commas() -> None:
    data = (
        "\ufeffDate,Description,Debit,Credit,Currency,Ref\n"
        '03/01/2024,"ACME, Inc. INV 1001",,"12,500.00",USD,B1\n'
        "03/02/2024,Wire fee,25.00,,USD,B2\n"
        "03/02/2024,EUR receipt,,100.00,EUR,B3\n"
    ).encode()
    usd, eur = parse_bank_file(data, csv_mapping=US)
    assert (usd.currency, eur.currency) == ("USD", "EUR")
    first, fee = usd.transactions
    assert first.amount == Decimal("12500.00")
    assert first.remittance_text == "ACME, Inc. INV 1001"
    assert first.bank_reference == "B1"
    assert fee.direction is Direction.DEBIT
    assert eur.transactions[0].amount == Decimal("100.00")


def test_headerless_file_uses_column_numbers() -> None:
    mapping = CsvColumnMapping(
        booking_date="0", amount="2", payer_name="1", default_currency="GBP", has_header=False
    )
    (statement,) = parse_bank_file(b"2024-03-01,Jones Ltd,250.10\n", csv_mapping=mapping)
    assert statement.transactions[0].amount == Decimal("250.10")
    assert statement.transactions[0].payer_name == "Jones Ltd"


@pytest.mark.parametrize(
    ("data", "mapping", "location", "message"),
    [
        (b"Date,Amount\n2024-03-01,12.3x\n", "plain", "line 2", "'12.3x' is not a number"),
        (b"Date,Amount\n2024-03-01,1\n2024-31-01,2\n", "plain", "line 3", "does not match"),
        (b"Date,Amount\n2024-03-01\n", "plain", "line 2", "row has 1 columns"),
        (b"Datum,Amount\n2024-03-01,1\n", "plain", "line 1", "not in the header"),
        (b"Date,Amount\n2024-03-01,1.005\n", "plain", "line 2", "more decimals"),
        (b"Date,Amount\n2024-03-01,\xfc1\n", "plain", "line 2", "not valid utf-8"),
        (b"Date,Credit,Debit\n2024-03-01,1,2\n", "pair", "line 2", "both a credit and a debit"),
    ],
)
def test_malformed_csv_names_the_line(
    data: bytes, mapping: str, location: str, message: str
) -> None:
    mappings = {
        "plain": CsvColumnMapping(booking_date="Date", amount="Amount", default_currency="EUR"),
        "pair": CsvColumnMapping(
            booking_date="Date",
            credit_amount="Credit",
            debit_amount="Debit",
            default_currency="EUR",
        ),
    }
    with pytest.raises(BankFileError) as caught:
        parse_bank_file(data, file_format=BankFileFormat.CSV, csv_mapping=mappings[mapping])
    assert caught.value.location == location
    assert message in caught.value.message


def test_csv_without_mapping_is_refused_clearly() -> None:
    with pytest.raises(BankFileError, match="saved column mapping"):
        parse_bank_file(b"Date,Amount\n2024-03-01,1\n", file_format=BankFileFormat.CSV)


def test_mapping_without_amount_or_currency() -> None:
    with pytest.raises(BankFileError, match="neither an amount column"):
        parse_bank_file(b"a\n", csv_mapping=CsvColumnMapping(booking_date="a"))
    with pytest.raises(BankFileError, match="neither a currency column"):
        parse_bank_file(b"a\n", csv_mapping=CsvColumnMapping(booking_date="a", amount="b"))


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("camt053/viafintech_053_valid_example.xml", BankFileFormat.CAMT053),
        ("camt053/viafintech_053_valid_example_v8.xml", BankFileFormat.CAMT053),
        ("camt054/genkgo_camt054.v2.xml", BankFileFormat.CAMT054),
        ("bai2/moov_sample3.bai2", BankFileFormat.BAI2),
        ("bai2/moj_citi_example.bai2", BankFileFormat.BAI2),
        ("mt940/jejik_abnamro.sta", BankFileFormat.MT940),
        ("mt940/jejik_ing.sta", BankFileFormat.MT940),
        ("mt940/jejik_rabobank-iban.sta", BankFileFormat.MT940),
        ("mt940/betterplace_sepa_mt9401.sta", BankFileFormat.MT940),
        ("mt940/self-provided_mt942.sta", BankFileFormat.MT942),
    ],
)
def test_detects_the_samples(relative: str, expected: BankFileFormat) -> None:
    assert detect_format(sample(relative).read_bytes()) is expected


def test_detects_swift_envelope_and_csv() -> None:
    envelope = b"{1:F01BANKDEFFAXXX0000000000}{2:O9401200240301BANKDEFFAXXX}{4:\r\n:20:X\r\n-}"
    assert detect_format(envelope) is BankFileFormat.MT940
    assert detect_format(envelope.replace(b"O940", b"O942")) is BankFileFormat.MT942
    assert detect_format(b"Date;Amount\n01.03.2024;1,00\n") is BankFileFormat.CSV


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"%PDF-1.7\n...", "binary"),
        (b"<Invoice xmlns='urn:oasis:names:specification:ubl'/>", "camt.053 or camt.054"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"/>',
            "camt.052",
        ),
        (b"hello", "not a recognised bank file"),
    ],
)
def test_unknown_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(BankFileError, match=message):
        detect_format(data)
