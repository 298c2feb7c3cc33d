"""Remittance advices: the shared EDI 820 samples, B2B 820s, CSV advices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from collections_app.bank_files import (
    BankFileError,
    RemittanceFormat,
    detect_remittance_format,
    parse_remittance,
)
from tests.samples import sample


def test_premium_payment_eft() -> None:
    data = sample("remittance_edi820/herophilus_820_premium_payment_eft.x12").read_bytes()
    assert detect_remittance_format(data) is RemittanceFormat.EDI820
    (advice,) = parse_remittance(data)
    assert advice.payer_name == "NYSDOH"
    assert advice.payment_reference == "021300000000000"
    assert (advice.payment_amount, advice.currency) == (Decimal("566.29"), "USD")
    assert advice.payment_date == date(2015, 1, 21)
    assert len(advice.lines) == 5
    assert sum(line.paid_amount or 0 for line in advice.lines) == Decimal("566.29")
    recovery = advice.lines[0]
    assert (recovery.reference, recovery.paid_amount) == ("12345678", Decimal("-63.34"))
    assert recovery.note == "RECOVERY OF FUNDS"
    adjusted = advice.lines[3]
    assert adjusted.reference == "1000210000000020"
    assert adjusted.invoice_amount == Decimal("1.83")
    assert (adjusted.adjustment_amount, adjusted.adjustment_reason) == (Decimal("181.64"), "IA")
    assert adjusted.location == "segment 18 (RMR)"


def test_premium_no_payment_remittance_only() -> None:
    data = sample("remittance_edi820/herophilus_820_premium_no_payment.x12").read_bytes()
    (advice,) = parse_remittance(data)
    assert advice.payment_amount == Decimal("0")  # BPR*I*0: no money moved
    assert advice.payment_date == date(2010, 1, 1)
    last = advice.lines[-1]
    assert (last.paid_amount, last.invoice_amount) == (Decimal("120"), Decimal("2971.11"))
    assert (last.adjustment_amount, last.adjustment_reason) == (Decimal("-2851.11"), "H1")


def test_child_health_plus_is_rejected_its_se_count_is_wrong() -> None:
    """SE01 says 17 but ST..SE holds 19 segments (pyx12 reports the same):
    the sample is invalid, so nothing of it is imported."""
    data = sample("remittance_edi820/herophilus_820_child_health_plus_eft.x12").read_bytes()
    with pytest.raises(BankFileError, match="SE01 says 17 segments but the transaction set has 19"):
        parse_remittance(data)


B2B = (
    "ISA*00*          *00*          *ZZ*PAYER          *ZZ*OTC            *240301*1200*U*00401*"
    "000000001*0*P*>~\n"
    "GS*RA*PAYER*OTC*20240301*1200*1*X*004010~\n"
    "ST*820*0001~\n"
    "BPR*C*1470.5*C*ACH*CTX*01*021000021*DA*123456*1234567890**01*011000015*DA*987654*20240301~\n"
    "TRN*1*CHK20240301*1234567890~\n"
    "CUR*PR*EUR~\n"
    "N1*PR*ACME CORPORATION~\n"
    "N1*PE*OTC DEMO GMBH~\n"
    "ENT*1~\n"
    "RMR*IV*INV-1001*PO*1000*1020*20~\n"
    "DTM*003*20240201~\n"
    "RMR*IV*INV-1002*PO*470.5*500~\n"
    "ADX*-29.5*CS~\n"
    "REF*CR*DEBIT MEMO 77~\n"
    "SE*13*0001~\n"
    "GE*1*1~\n"
    "IEA*1*000000001~\n"
)


def test_b2b_invoice_remittance() -> None:
    (advice,) = parse_remittance(B2B.encode())
    assert advice.payer_name == "ACME CORPORATION"
    assert advice.payment_reference == "CHK20240301"
    assert (advice.payment_amount, advice.currency) == (Decimal("1470.5"), "EUR")
    first, second = advice.lines
    assert (first.reference, first.paid_amount, first.discount_amount) == (
        "INV-1001",
        Decimal("1000"),
        Decimal("20"),
    )
    assert first.invoice_date == date(2024, 2, 1)
    assert second.adjustment_amount == Decimal("-29.5")
    assert second.adjustment_reason == "CS"
    assert second.note == "DEBIT MEMO 77"


@pytest.mark.parametrize(
    ("broken", "location", "message"),
    [
        (
            B2B.replace("RMR*IV*INV-1001*PO*1000", "RMR*IV*INV-1001*PO*1O00"),
            "segment 10 (RMR)",
            "is not a number",
        ),
        (B2B.replace("SE*13*0001", "SE*12*0001"), "segment 15 (SE)", "SE01 says 12"),
        (B2B.replace("SE*13*0001", "SE*13*0002"), "segment 15 (SE)", "does not match ST02"),
        (B2B.replace("*20240301~\nTRN", "*20241301~\nTRN"), "segment 4 (BPR)", "not CCYYMMDD"),
        (B2B.replace("RMR*IV*INV-1002", "RMR*IV*"), "segment 12 (RMR)", "RMR02 reference"),
        (B2B.split("SE*", maxsplit=1)[0], "segment 3 (ST)", "no SE trailer"),
        (B2B[:50], "segment 1 (ISA)", "106-character ISA"),
    ],
)
def test_malformed_820_names_the_segment(broken: str, location: str, message: str) -> None:
    with pytest.raises(BankFileError) as caught:
        parse_remittance(broken.encode(), file_format=RemittanceFormat.EDI820)
    assert caught.value.location.startswith(location)
    assert message in caught.value.message


CSV = (
    "payer,payment_reference,payment_date,currency,invoice,paid_amount,invoice_amount,"
    "discount,adjustment,reason\n"
    "Acme GmbH,PAY-1,2024-03-01,EUR,INV-1,980.00,1000.00,20.00,,\n"
    "Acme GmbH,PAY-1,2024-03-01,EUR,INV-2,450.00,500.00,,-50.00,damaged goods\n"
    "Beta SA,PAY-9,2024-03-02,EUR,INV-7,10.00,,,,\n"
)


def test_csv_remittance_groups_rows_by_payment() -> None:
    assert detect_remittance_format(CSV.encode()) is RemittanceFormat.CSV
    acme, beta = parse_remittance(CSV.encode())
    assert acme.payment_amount == Decimal("1430.00")
    assert [line.reference for line in acme.lines] == ["INV-1", "INV-2"]
    assert acme.lines[0].discount_amount == Decimal("20.00")
    assert (acme.lines[1].adjustment_amount, acme.lines[1].adjustment_reason) == (
        Decimal("-50.00"),
        "damaged goods",
    )
    assert acme.payment_date == date(2024, 3, 1)
    assert beta.lines[0].invoice_amount is None
    assert beta.location == "line 4"


@pytest.mark.parametrize(
    ("broken", "location", "message"),
    [
        (CSV.replace("980.00", "98O.00"), "line 2 paid_amount", "is not a number"),
        (CSV.replace("2024-03-02", "02.03.2024"), "line 4", "not YYYY-MM-DD"),
        (CSV.replace("INV-7", ""), "line 4", "invoice is empty"),
        (CSV.replace("payment_reference,", "ref,"), "line 1", "header lacks payment_reference"),
    ],
)
def test_malformed_csv_remittance(broken: str, location: str, message: str) -> None:
    with pytest.raises(BankFileError) as caught:
        parse_remittance(broken.encode(), file_format=RemittanceFormat.CSV)
    assert caught.value.location == location
    assert message in caught.value.message


def test_unknown_remittance_refused() -> None:
    with pytest.raises(BankFileError, match="not a recognised remittance advice"):
        detect_remittance_format(b"hello,world\n")
