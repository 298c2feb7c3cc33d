"""The cash-application statement generator (bench/cash_statements.py): its
files parse, its truth adds up, and the payer habits it imitates behave."""

from __future__ import annotations

import json
import random
from collections import Counter
from decimal import Decimal

import pytest

from bench.cash_statements import (
    CSV_MAPPING,
    Generated,
    OpenInvoice,
    drop_dashes,
    drop_leading_zeros,
    drop_prefix,
    generate,
    mangle_reference,
    name_variant,
    ocr_confuse,
    rf_reference,
    synthetic_invoices,
)
from collections_app.bank_files import Direction, parse_bank_file, parse_remittance
from collections_app.bank_files._common import rf_reference_valid

Generation = tuple[list[OpenInvoice], Generated]


@pytest.fixture(scope="module")
def generated() -> Generation:
    invoices = synthetic_invoices(900, seed=3)
    return invoices, generate(invoices, seed=11, transactions=600)


def test_same_seed_same_output(generated: Generation) -> None:
    invoices, first = generated
    again = generate(invoices, seed=11, transactions=600)
    assert again.truth == first.truth
    assert again.files()["statements.camt053.xml"] == first.files()["statements.camt053.xml"]


def test_every_file_parses_back_to_the_same_transactions(generated: Generation) -> None:
    _, result = generated
    files = result.files()
    expected = {
        tx.bank_reference: tx for statement in result.statements for tx in statement.transactions
    }
    assert len(expected) == 600
    for name in ("statements.camt053.xml", "statements.bai2", "statements.sta", "statements.csv"):
        statements = parse_bank_file(files[name], csv_mapping=CSV_MAPPING)
        parsed = {tx.bank_reference: tx for s in statements for tx in s.transactions}
        assert parsed.keys() == expected.keys(), name
        for reference, tx in parsed.items():
            assert (tx.amount, tx.direction) == (
                expected[reference].amount,
                expected[reference].direction,
            ), name
    advices = parse_remittance(files["remittances.edi820"])
    assert len(advices) == len(result.remittances) > 0
    truth = json.loads(files["truth.json"])
    keys = [(row["booking_date"], row["bank_reference"]) for row in truth]
    assert keys == sorted(keys)
    assert len(truth) == 600


def test_truth_adds_up(generated: Generation) -> None:
    invoices, result = generated
    by_number = {invoice.number: invoice for invoice in invoices}
    transactions = {tx.bank_reference: tx for s in result.statements for tx in s.transactions}
    kinds = Counter(row["kind"] for row in result.truth)
    assert set(kinds) >= {"clean", "mangled_reference", "combined", "discount", "name_only"}
    for row in result.truth:
        tx = transactions[row["bank_reference"]]
        paid = [(by_number[item["number"]], Decimal(item["amount"])) for item in row["invoices"]]
        same_currency = all(invoice.currency == tx.currency for invoice, _ in paid)
        if row["kind"] in {"clean", "mangled_reference", "name_only", "combined"}:
            assert all(amount == invoice.open_amount for invoice, amount in paid)
            if same_currency:
                assert tx.amount == sum(amount for _, amount in paid)
        elif row["kind"] == "discount":
            ((invoice, amount),) = paid
            assert amount + Decimal(row["discount"]) == invoice.open_amount
            assert (tx.booking_date - invoice.document_date).days <= (invoice.discount_days or 10)
        elif row["kind"] == "overpayment" and same_currency:
            assert tx.amount == paid[0][1] + Decimal(row["unapplied"])
        elif row["kind"] == "return":
            assert tx.direction is Direction.DEBIT
            assert tx.is_return
            assert row["returns_bank_reference"] in transactions
        elif row["kind"] == "unidentifiable":
            assert row["customer_number"] is None
    numbers = [item["number"] for row in result.truth for item in row["invoices"]]
    assert len(numbers) == len(set(numbers))  # no invoice paid twice


def test_reference_mangling_helpers() -> None:
    assert drop_prefix("INV-2024-000123") == "2024-000123"
    assert drop_dashes("INV-2024-000123") == "INV2024000123"
    assert drop_leading_zeros("INV-2024-000123") == "INV-2024-123"
    rng = random.Random(1)
    confused = ocr_confuse("INV-2024-000123", rng, count=2)
    assert confused != "INV-2024-000123"
    assert len(confused) == len("INV-2024-000123")
    assert all(mangle_reference("INV-2024-000123", rng) != "INV-2024-000123" for _ in range(50))


def test_rf_reference_is_valid_iso_11649() -> None:
    reference = rf_reference("INV-2024-000123")
    assert reference.endswith("INV2024000123")
    assert rf_reference_valid(reference)


def test_name_variants() -> None:
    rng = random.Random(5)
    variants = {name_variant("Müller Maschinenbau GmbH", rng) for _ in range(200)}
    assert "MUELLER MASCHINENBAU GMBH" in variants or "Mueller Maschinenbau GmbH" in variants
    assert any("GmbH" not in variant and "GMBH" not in variant for variant in variants)
    assert any("Maschb." in variant for variant in variants)
