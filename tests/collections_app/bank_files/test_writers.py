"""Writers: what each writes, the parsers read back as the same transactions
(for the fields the format can carry)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from collections_app.bank_files import (
    BankFileFormat,
    BankStatement,
    BankTransaction,
    CsvColumnMapping,
    Direction,
    Remittance,
    RemittanceFormat,
    RemittanceLine,
    detect_format,
    detect_remittance_format,
    parse_bank_file,
    parse_remittance,
)
from collections_app.bank_files.writers import (
    write_bai2,
    write_camt053,
    write_csv,
    write_edi820,
    write_mt940,
)

DAY = date(2024, 3, 1)
LONG_TEXT = " ".join(f"RE-2024-{n:04d}" for n in range(1, 25))  # 287 characters


def _tx(**overrides: object) -> BankTransaction:
    values: dict[str, object] = {
        "amount": Decimal("1234.56"),
        "currency": "EUR",
        "direction": Direction.CREDIT,
        "booking_date": DAY,
        "value_date": date(2024, 3, 2),
        "bank_reference": "BANKREF0001",
        "end_to_end_id": "E2E-ACME-0001",
        "entry_reference": "NTRY1",
        "payer_name": "Müller & Söhne Maschinenbau GmbH",
        "payer_account": "DE89370400440532013000",
        "payer_bic": "COBADEFFXXX",
        "remittance_text": "Rechnung RE-2024-0001 Kunde 4711",
    }
    values.update(overrides)
    return BankTransaction(**values)  # type: ignore[arg-type]


TRANSACTIONS = (
    _tx(),
    _tx(
        amount=Decimal("99.00"),
        remittance_text=LONG_TEXT,
        structured_references=("RF18539007547034", "RE-2024-0002"),
        end_to_end_id="",
        bank_reference="BANKREF0002",
        entry_reference="NTRY2",
        payer_bic="",
        charges=Decimal("1.50"),
        original_amount=Decimal("105.00"),
        original_currency="USD",
        ultimate_payer_name="ACME Holding AG",
    ),
    _tx(
        amount=Decimal("500.00"),
        direction=Direction.DEBIT,
        is_return=True,
        return_reason="AC04",
        remittance_text="RETURN RE-2024-0003",
        bank_reference="BANKREF0003",
        entry_reference="NTRY3",
        payer_bic="",
    ),
)
STATEMENT = BankStatement(
    format=BankFileFormat.CAMT053,
    statement_id="STMT-2024-03-01",
    account="DE02120300000000202051",
    currency="EUR",
    created_on=DAY,
    from_date=DAY,
    to_date=DAY,
    opening_balance=Decimal("-100.00"),
    closing_balance=Decimal("733.56"),
    transactions=TRANSACTIONS,
)


def _located_out(txs: tuple[BankTransaction, ...]) -> list[BankTransaction]:
    return [replace(tx, location="") for tx in txs]


def test_camt053_round_trip_keeps_every_field() -> None:
    data = write_camt053([STATEMENT])
    assert detect_format(data) is BankFileFormat.CAMT053
    assert b"camt.053.001.08" in data
    (parsed,) = parse_bank_file(data)
    assert replace(parsed, transactions=()) == replace(STATEMENT, transactions=())
    assert _located_out(parsed.transactions) == _located_out(TRANSACTIONS)


def test_camt053_reversal_and_pending_round_trip() -> None:
    reversal = _tx(is_reversal=True, direction=Direction.DEBIT, booked=False)
    data = write_camt053([replace(STATEMENT, transactions=(reversal,))])
    (parsed,) = parse_bank_file(data)
    assert _located_out(parsed.transactions) == [reversal]


def _fields(tx: BankTransaction, names: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(tx, name) for name in names)


BAI2_FIELDS = (
    "amount",
    "currency",
    "direction",
    "booking_date",
    "value_date",
    "bank_reference",
    "end_to_end_id",
    "payer_name",
    "payer_account",
    "remittance_text",
    "is_return",
)


def test_bai2_round_trip() -> None:
    usd = replace(STATEMENT, currency="USD", account="123456789")
    txs = tuple(replace(tx, currency="USD") for tx in TRANSACTIONS)
    data = write_bai2([replace(usd, transactions=txs)])
    assert detect_format(data) is BankFileFormat.BAI2
    (parsed,) = parse_bank_file(data)  # control totals verified on the way
    assert (parsed.account, parsed.currency) == ("123456789", "USD")
    assert (parsed.opening_balance, parsed.closing_balance) == (
        Decimal("-100.00"),
        Decimal("733.56"),
    )
    assert [_fields(tx, BAI2_FIELDS) for tx in parsed.transactions] == [
        _fields(tx, BAI2_FIELDS) for tx in txs
    ]
    assert parsed.transactions[2].transaction_code == "555"


MT940_FIELDS = (
    "amount",
    "currency",
    "direction",
    "booking_date",
    "value_date",
    "bank_reference",
    "end_to_end_id",
    "entry_reference",
    "payer_name",
    "payer_account",
    "payer_bic",
    "remittance_text",
    "is_reversal",
    "is_return",
    "return_reason",
)


def test_mt940_round_trip_german_layout() -> None:
    reversal = _tx(is_reversal=True, direction=Direction.DEBIT, remittance_text="STORNO -1")
    txs = (*TRANSACTIONS, reversal)
    data = write_mt940([replace(STATEMENT, transactions=txs)])
    assert detect_format(data) is BankFileFormat.MT940
    assert all(len(line) <= 65 for line in data.decode().splitlines())
    assert ":86:166?00GUTSCHRIFT?20EREF+E2E-ACME-0001" in data.decode()
    (parsed,) = parse_bank_file(data)
    assert (parsed.opening_balance, parsed.closing_balance) == (
        Decimal("-100.00"),
        Decimal("733.56"),
    )
    assert [_fields(tx, MT940_FIELDS) for tx in parsed.transactions] == [
        _fields(tx, MT940_FIELDS) for tx in txs
    ]


CSV_FIELDS = (
    "amount",
    "currency",
    "direction",
    "booking_date",
    "value_date",
    "bank_reference",
    "end_to_end_id",
    "payer_name",
    "payer_account",
    "remittance_text",
)


@pytest.mark.parametrize(
    "mapping",
    [
        CsvColumnMapping(
            booking_date="Buchungstag",
            value_date="Valuta",
            amount="Betrag",
            currency="Währung",
            payer_name="Name",
            payer_account="IBAN",
            bank_reference="Referenz",
            end_to_end_id="E2E",
            remittance_text="Verwendungszweck",
            delimiter=";",
            decimal_separator=",",
            thousands_separator=".",
            date_format="%d.%m.%Y",
            encoding="cp1252",
        ),
        CsvColumnMapping(
            booking_date="Date",
            value_date="Value Date",
            credit_amount="Credit",
            debit_amount="Debit",
            default_currency="EUR",
            payer_name="Payer",
            payer_account="Account",
            bank_reference="Ref",
            end_to_end_id="EndToEnd",
            remittance_text="Details",
            date_format="%m/%d/%Y",
            thousands_separator=",",
        ),
    ],
    ids=["german-signed", "us-credit-debit"],
)
def test_csv_round_trip(mapping: CsvColumnMapping) -> None:
    data = write_csv([STATEMENT], mapping)
    (parsed,) = parse_bank_file(data, file_format=BankFileFormat.CSV, csv_mapping=mapping)
    assert [_fields(tx, CSV_FIELDS) for tx in parsed.transactions] == [
        _fields(tx, CSV_FIELDS) for tx in TRANSACTIONS
    ]


def test_edi820_round_trip() -> None:
    advices = [
        Remittance(
            format=RemittanceFormat.EDI820,
            payer_name="ACME CORPORATION",
            payment_reference="CHK-1001",
            payment_amount=Decimal("1450.50"),
            currency="EUR",
            payment_date=DAY,
            lines=(
                RemittanceLine(
                    reference="RE-2024-0001",
                    paid_amount=Decimal("980.50"),
                    invoice_amount=Decimal("1000.50"),
                    discount_amount=Decimal("20"),
                    invoice_date=date(2024, 2, 1),
                ),
                RemittanceLine(
                    reference="RE-2024-0002",
                    paid_amount=Decimal("470"),
                    invoice_amount=Decimal("500"),
                    adjustment_amount=Decimal("-30"),
                    adjustment_reason="CS",
                    note="DAMAGED GOODS",
                ),
            ),
        ),
        Remittance(
            format=RemittanceFormat.EDI820,
            payer_name="BETA LTD",
            payment_reference="CHK-1002",
            payment_amount=Decimal("10"),
            currency="USD",
            payment_date=date(2024, 3, 4),
            lines=(RemittanceLine(reference="RE-2024-0003", paid_amount=Decimal("10")),),
        ),
    ]
    data = write_edi820(advices)
    assert detect_remittance_format(data) is RemittanceFormat.EDI820
    parsed = parse_remittance(data)
    strip = [
        replace(r, location="", lines=tuple(replace(line, location="") for line in r.lines))
        for r in parsed
    ]
    assert strip == advices
