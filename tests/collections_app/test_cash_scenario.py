"""The judged scenario: one statement, five payments, five outcomes; then a
person teaches the engine a payer and the next statement auto-applies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collections_app.bank_files.types import Remittance as ParsedRemittance
from collections_app.bank_files.types import RemittanceFormat, RemittanceLine
from collections_app.models import (
    MatchProposal,
    PayerAccount,
    PayerAlias,
    Payment,
    PaymentStatus,
    ProposalStatus,
)
from collections_app.services import (
    ManualLine,
    payment_allocate,
    remittance_import,
    statement_match,
    statements_import,
)
from deductions.models import Deduction
from otc.ledger.models import ItemKind, ItemStatus, OpenItem
from otc.ledger.selectors import customer_balance
from otc.tenancy.context import tenant_context
from tests.collections_app.conftest import DAY, SYSTEM, customer, invoice, refreshed, statement, tx

pytestmark = pytest.mark.django_db
D = Decimal
ZETA_IBAN = "GB33BUKB20201555555555"


def _payment(e2e: str) -> Payment:
    return Payment.objects.get(end_to_end_id=e2e)


def test_statement_with_five_payment_shapes_then_learning(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        other = customer(tenant_b, "B-1", "Acme Tools AG", currency="USD")
        other_invoice = invoice(tenant_b, other, "INV-2026-000101", "1190.00", currency="USD")
    with tenant_context(tenant_a):
        acme = customer(tenant_a, "K1", "Acme Tools AG")
        bolt = customer(tenant_a, "K2", "Bolt & Nut GmbH")
        crane = customer(tenant_a, "K3", "Crane Logistics Ltd")
        delta = customer(tenant_a, "K4", "Delta Foods SE")
        echo = customer(tenant_a, "K5", "Echo Retail GmbH")
        clean = invoice(tenant_a, acme, "INV-2026-000101", "1190.00")
        combined = [
            invoice(tenant_a, bolt, f"INV-2026-00020{n}", amount, days_old=60 - n)
            for n, amount in ((1, "100.00"), (2, "250.50"), (3, "49.50"))
        ]
        invoice(tenant_a, bolt, "INV-2026-000299", "400.00")  # not paid now
        short = invoice(tenant_a, crane, "INV-2026-000301", "1000.00")
        over = invoice(tenant_a, delta, "INV-2026-000401", "500.00")
        echo_1 = invoice(tenant_a, echo, "INV-2026-000501", "777.70", days_old=40)
        echo_2 = invoice(tenant_a, echo, "INV-2026-000502", "321.09", days_old=20)
        balance_crane = customer_balance(tenant=tenant_a, customer=crane)

        # The short payer sent a remittance advice before the money arrived.
        remittance_import(
            tenant=tenant_a,
            actor=SYSTEM,
            remittances=[
                ParsedRemittance(
                    format=RemittanceFormat.EDI820,
                    payer_name="Crane Logistics Ltd",
                    payment_reference="E2E-SHORT",
                    payment_amount=D("920.00"),
                    currency="EUR",
                    payment_date=DAY,
                    lines=(
                        RemittanceLine(
                            reference="INV-2026-000301",
                            paid_amount=D("920.00"),
                            invoice_amount=D("1000.00"),
                            adjustment_amount=D("80.00"),
                            adjustment_reason="Damaged goods (ADX CS)",
                        ),
                    ),
                )
            ],
        )
        result = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[
                statement(
                    "STMT-1",
                    tx("1190.00", name="ACME TOOLS AG", text="INV-2026-000101", e2e="E2E-CLEAN"),
                    tx("400.00", name="Bolt and Nut", text="Rg 2026-000201/202/203", e2e="E2E-3"),
                    tx("920.00", name="Crane Logistics", text="INV 2026 301", e2e="E2E-SHORT"),
                    tx("530.00", name="Delta Foods", text="INV-2026-000401", e2e="E2E-OVER"),
                    tx("777.70", name="Zeta Holding", account=ZETA_IBAN, e2e="E2E-UNKNOWN"),
                )
            ],
            file_sha256="a" * 64,
            match=False,
        )
        assert (result.payments_created, result.skipped_entries) == (5, 0)
        counts = statement_match(tenant=tenant_a, statement_id=result.statements[0].pk)
        assert counts["auto_applied"] == 4
        assert counts["queued"] == 1

        # Clean: one invoice closed.
        assert _payment("E2E-CLEAN").status == PaymentStatus.APPLIED
        assert refreshed(clean).status == ItemStatus.CLOSED
        applied = MatchProposal.objects.get(
            payment=_payment("E2E-CLEAN"), status=ProposalStatus.APPLIED
        )
        assert applied.auto_applied
        assert "INV-2026-000101 found in the remittance" in applied.explanation
        assert "amount equal" in applied.explanation

        # Combined: three invoices closed, the fourth untouched.
        assert _payment("E2E-3").status == PaymentStatus.APPLIED
        assert all(refreshed(i).status == ItemStatus.CLOSED for i in combined)
        assert OpenItem.objects.get(number="INV-2026-000299").open_amount == D("400.00")

        # Short: 920 applied, 80 moved to a deduction with the payer's reason.
        assert _payment("E2E-SHORT").status == PaymentStatus.APPLIED
        assert refreshed(short).open_amount == 0
        deduction = Deduction.objects.get(customer=crane)
        assert (deduction.amount, deduction.status) == (D("80.00"), "new")
        assert deduction.reason_text == "Damaged goods (ADX CS)"
        assert deduction.invoice_item_id == short.pk
        assert deduction.payment_item_id == _payment("E2E-SHORT").open_item_id
        assert deduction.open_item.kind == ItemKind.DEDUCTION
        assert deduction.open_item.open_amount == D("80.00")
        after = customer_balance(tenant=tenant_a, customer=crane)
        assert after.by_currency["EUR"] == balance_crane.by_currency["EUR"] - D("920.00")

        # Over: invoice closed, 30.00 unapplied on account.
        over_payment = _payment("E2E-OVER")
        assert over_payment.status == PaymentStatus.PARTIALLY_APPLIED
        assert refreshed(over).status == ItemStatus.CLOSED
        assert over_payment.open_item.open_amount == D("-30.00")

        # Unknown payer: in the queue, ranked candidates with the exact amount.
        unknown = _payment("E2E-UNKNOWN")
        assert unknown.status == PaymentStatus.UNIDENTIFIED
        assert unknown.open_item is None
        candidates = list(
            MatchProposal.objects.filter(payment=unknown, status=ProposalStatus.PROPOSED)
        )
        assert candidates
        assert candidates[0].allocations[0]["item_id"] == echo_1.pk
        assert candidates[0].confidence < 90

        # A person matches it; the engine learns the IBAN and the name.
        manual = payment_allocate(
            tenant=tenant_a,
            actor=SYSTEM,
            payment_id=unknown.pk,
            customer=echo,
            lines=[ManualLine(item_id=echo_1.pk, amount=D("777.70"))],
        )
        assert any("GB33BUKB20201555555555" in message for message in manual.learned)
        assert PayerAccount.objects.get(account=ZETA_IBAN).customer == echo
        assert PayerAlias.objects.get(alias="zeta holding").customer == echo
        assert _payment("E2E-UNKNOWN").status == PaymentStatus.APPLIED
        assert refreshed(echo_1).status == ItemStatus.CLOSED

        # The next statement from that payer, no reference at all: auto-applied.
        second = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[
                statement(
                    "STMT-2",
                    tx("321.09", name="Zeta Holding", account=ZETA_IBAN, e2e="E2E-NEXT"),
                )
            ],
            file_sha256="b" * 64,
            match=False,
        )
        statement_match(tenant=tenant_a, statement_id=second.statements[0].pk)
        assert _payment("E2E-NEXT").status == PaymentStatus.APPLIED
        assert refreshed(echo_2).status == ItemStatus.CLOSED
        best = MatchProposal.objects.get(
            payment=_payment("E2E-NEXT"), status=ProposalStatus.APPLIED
        )
        assert "payer IBAN known" in best.explanation
        assert best.auto_applied

    with tenant_context(tenant_b):
        assert refreshed(other_invoice).open_amount == D("1190.00")
        assert not Payment.objects.exists()


def test_reimport_creates_no_second_payment_and_says_so(tenant_a):
    with tenant_context(tenant_a):
        lines = (tx("10.00", name="A", e2e="E1"), tx("20.00", name="B", ref="BR-2"))
        first = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[statement("S-1", *lines)],
            file_sha256="c" * 64,
            match=False,
        )
        same_file = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[statement("S-1", *lines)],
            file_sha256="c" * 64,
            match=False,
        )
        # The day's statement repeats the intraday entries plus one new one.
        final = statements_import(
            tenant=tenant_a,
            actor=SYSTEM,
            statements=[statement("S-1-FINAL", *lines, tx("30.00", name="C", e2e="E3"))],
            file_sha256="d" * 64,
            match=False,
        )
        assert first.payments_created == 2
        assert same_file.payments_created == 0
        assert "already imported" in same_file.messages[0]
        assert final.payments_created == 1
        assert final.skipped_entries == 2
        assert final.messages == [
            f"2 entries already imported on {first.statements[0].imported_at:%Y-%m-%d}, skipped."
        ]
        assert Payment.objects.count() == 3
