"""Returns and refunds as an AR team lives them: an invoice of three lines,
goods of two lines come back (some rejected), the accepted part is credited
with VAT, the credit left on account is refunded above the clerk's limit,
a manager approves it, the bank file pays it, and the ledger is square.
Then the refusals: more than invoiced, more than is open, a step out of
order, another tenant's data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from deductions.models import (
    Refund,
    RefundExport,
    RefundStatus,
    ReturnAuthorisation,
    ReturnLine,
    ReturnStatus,
)
from deductions.services import (
    ReceiptLineInput,
    ReturnLineInput,
    reason_code_by_code,
    refund_approve,
    refund_reject,
    refund_request,
    refunds_export,
    return_authorise,
    return_cancel,
    return_close,
    return_credit,
    return_receive,
    return_request,
)
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from otc.errors import IllegalTransition, NotFound, ValidationFailed
from otc.fx.services import manual_rate_set
from otc.ledger.models import Application, ApplicationKind, ItemKind, ItemStatus, OpenItem
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_apply, ledger_item_post
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import DAY, SYSTEM, D
from tests.factories import CustomerFactory
from tests.invoicing.factories import issued_invoice, line

pytestmark = pytest.mark.django_db
S = ReturnStatus
R = RefundStatus
IBAN = "DE89370400440532013000"
BIC = "COBADEFFXXX"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


def three_line_invoice(tenant, customer, *, paid: str = "600.00") -> tuple[Invoice, OpenItem]:
    """10 x 20.00 and 5 x 50.00 at 19 %, 2 x 100.00 at 7 %: 650.00 net +
    99.50 VAT = 749.50, of which `paid` was paid."""
    invoice = issued_invoice(
        tenant,
        customer,
        [
            line("20.00", "10", description="Pallet jack wheels"),
            line("50.00", "5", description="Hydraulic pumps"),
            line("100.00", "2", rate="7", description="Manuals"),
        ],
        issue_date=date(2026, 10, 20),
    )
    payment = ledger_item_post(
        tenant=tenant,
        actor=SYSTEM,
        customer=customer,
        kind=ItemKind.PAYMENT,
        number=f"PAY-{invoice.number}",
        currency="EUR",
        amount=D(paid),
        document_date=DAY,
    )
    ledger_apply(
        tenant=tenant,
        actor=SYSTEM,
        debit_item_id=invoice.open_item_id,
        credit_item_id=payment.pk,
        amount=D(paid),
        effective_date=DAY,
        kind=ApplicationKind.CASH,
    )
    return invoice, payment


def _lines(invoice: Invoice) -> list[InvoiceLine]:
    return list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))


def _reason(tenant) -> int:
    reason = reason_code_by_code(tenant=tenant, code="RETURNS")
    assert reason is not None
    return reason.pk


def _item(pk: int | None) -> OpenItem:
    return OpenItem.objects.get(pk=pk)


def _rma(world, invoice: Invoice, quantities: dict[int, str]) -> ReturnAuthorisation:
    lines = _lines(invoice)
    return return_request(
        tenant=world.tenant,
        actor=world.analyst,
        invoice_id=invoice.pk,
        reason_id=_reason(world.tenant),
        lines=[
            ReturnLineInput(invoice_line_id=lines[index].pk, quantity=D(quantity))
            for index, quantity in quantities.items()
        ],
        note="Customer sent back damaged goods",
    )


def _receive(world, rma: ReturnAuthorisation, accepted: list[str], note: str = "") -> None:
    rows = list(ReturnLine.objects.filter(rma=rma).order_by("invoice_line__position"))
    return_receive(
        tenant=world.tenant,
        actor=world.analyst,
        rma_id=rma.pk,
        lines=[
            ReceiptLineInput(return_line_id=row.pk, accepted_quantity=D(quantity))
            for row, quantity in zip(rows, accepted, strict=True)
        ],
        note=note,
    )


def test_return_to_refund_to_bank_file_leaves_the_ledger_square(world):
    t = world.tenant
    t.iban, t.bic, t.legal_name = "DE02120300000000202051", "BYLADEM1001", "Alpha Industries GmbH"
    t.save()
    with tenant_context(t):
        invoice, _ = three_line_invoice(t, world.customer)
        assert invoice.gross_amount == D("749.50")
        assert _item(invoice.open_item_id).open_amount == D("149.50")

        rma = _rma(world, invoice, {0: "4", 1: "5"})
        assert rma.number.startswith("RMA-")
        assert rma.status == S.REQUESTED
        return_authorise(tenant=t, actor=world.analyst, rma_id=rma.pk)
        _receive(world, rma, ["4", "3"], note="2 pumps arrived broken beyond our fault")
        rma.refresh_from_db()
        assert rma.status == S.RECEIVED
        pumps = ReturnLine.objects.get(rma=rma, invoice_line__position=2)
        assert (pumps.accepted_quantity, pumps.rejected_quantity) == (D(3), D(2))
        assert "broken" in pumps.rejection_note

        return_credit(tenant=t, actor=world.analyst, rma_id=rma.pk)
        rma.refresh_from_db()
        memo = Invoice.objects.get(pk=rma.credit_memo_id)
        # 4 x 20.00 + 3 x 50.00 = 230.00 net, 19 % VAT 43.70.
        assert memo.kind == InvoiceKind.CREDIT_MEMO
        assert memo.related_invoice_id == invoice.pk
        assert (memo.net_amount, memo.tax_amount, memo.gross_amount) == (
            D("230.00"),
            D("43.70"),
            D("273.70"),
        )
        assert {memo_line.tax_rate for memo_line in InvoiceLine.objects.filter(invoice=memo)} == {
            D("19.00")
        }
        # 149.50 closes the invoice; 124.20 stays on account.
        assert _item(invoice.open_item_id).open_amount == D("0.00")
        assert _item(memo.open_item_id).open_amount == D("-124.20")
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
        assert customer_balance(tenant=t, customer=world.customer).base == D("-124.20")

        # The customer wants the money: the clerk (limit 100.00) asks, it waits.
        return_close(
            tenant=t,
            actor=world.analyst,
            rma_id=rma.pk,
            settlement="refund",
            payee_iban="DE89 3704 0044 0532 0130 00",
            payee_bic=BIC,
        )
        rma.refresh_from_db()
        assert rma.status == S.CLOSED
        assert rma.settlement == "refund"
        refund = Refund.objects.get(rma=rma)
        assert (refund.status, refund.amount, refund.payee_iban) == (
            R.PENDING_APPROVAL,
            D("124.20"),
            IBAN,
        )
        assert refund.refund_item_id is None
        assert customer_balance(tenant=t, customer=world.customer).base == D("-124.20")
        with pytest.raises(ValidationFailed) as own:
            refund_approve(tenant=t, actor=world.analyst, refund_id=refund.pk)
        assert own.value.code == "own_refund"

        refund_approve(tenant=t, actor=world.manager, refund_id=refund.pk)
        refund.refresh_from_db()
        assert refund.status == R.APPROVED
        paid_out = _item(refund.refund_item_id)
        assert (paid_out.kind, paid_out.amount, paid_out.status) == (
            ItemKind.REFUND,
            D("124.20"),
            ItemStatus.CLOSED,
        )
        assert _item(memo.open_item_id).open_amount == D("0.00")
        balance = customer_balance(tenant=t, customer=world.customer)
        assert balance.base == D("0.00")
        assert balance.by_currency == {}

        export = refunds_export(tenant=t, actor=world.manager, idempotency_key="batch-1")
        assert (export.count, export.total) == (1, D("124.20"))
        refund.refresh_from_db()
        assert refund.status == R.EXPORTED
        assert refund.export_id == export.pk
        root = etree.fromstring(export.xml.encode())
        assert root.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == export.message_id
        assert root.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "124.20"
        assert root.findtext(".//p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == t.iban
        transfer = root.find(".//p:CdtTrfTxInf", namespaces=NS)
        assert transfer.findtext("p:Amt/p:InstdAmt", namespaces=NS) == "124.20"
        assert transfer.find("p:Amt/p:InstdAmt", namespaces=NS).get("Ccy") == "EUR"
        assert transfer.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
        assert transfer.findtext("p:PmtId/p:EndToEndId", namespaces=NS) == refund.number

        # Exporting again pays nothing twice; the same key returns the same file.
        again = refunds_export(tenant=t, actor=world.manager, idempotency_key="batch-1")
        assert again.pk == export.pk
        with pytest.raises(ValidationFailed) as nothing:
            refunds_export(tenant=t, actor=world.manager)
        assert nothing.value.code == "nothing_to_export"
        with pytest.raises(ValidationFailed) as exported:
            refunds_export(tenant=t, actor=world.manager, refund_ids=[refund.pk])
        assert exported.value.code == "not_exportable"
        assert RefundExport.objects.count() == 1
        assert customer_balance(tenant=t, customer=world.customer).base == D("0.00")


def test_returning_more_than_invoiced_or_already_returned_is_refused(world):
    t = world.tenant
    with tenant_context(t):
        invoice, _ = three_line_invoice(t, world.customer)
        with pytest.raises(ValidationFailed) as error:
            _rma(world, invoice, {0: "11"})
        assert error.value.code == "over_returned"
        assert "lines[0].quantity" in error.value.errors
        assert not ReturnAuthorisation.objects.exists()

        first = _rma(world, invoice, {0: "4"})
        with pytest.raises(ValidationFailed):
            _rma(world, invoice, {0: "7"})
        second = _rma(world, invoice, {0: "6"})
        # A cancelled return gives its quantity back.
        return_cancel(tenant=t, actor=world.analyst, rma_id=first.pk, reason="customer kept them")
        third = _rma(world, invoice, {0: "4"})
        # Numbers run without gaps even though a request failed in between.
        numbers = [rma.number[-6:] for rma in (first, second, third)]
        assert numbers == ["000001", "000002", "000003"]


def test_receiving_more_than_authorised_or_rejecting_without_a_note_is_refused(world):
    t = world.tenant
    with tenant_context(t):
        invoice, _ = three_line_invoice(t, world.customer)
        rma = _rma(world, invoice, {0: "4"})
        return_authorise(tenant=t, actor=world.analyst, rma_id=rma.pk)
        with pytest.raises(ValidationFailed):
            _receive(world, rma, ["5"])
        with pytest.raises(ValidationFailed) as error:
            _receive(world, rma, ["3"])
        assert "note" in error.value.errors
        assert ReturnLine.objects.get(rma=rma).accepted_quantity is None
        rma.refresh_from_db()
        assert rma.status == S.AUTHORISED


def test_steps_out_of_order_are_refused_and_post_nothing(world):
    t = world.tenant
    with tenant_context(t):
        invoice, _ = three_line_invoice(t, world.customer)
        rma = _rma(world, invoice, {2: "1"})
        with pytest.raises(IllegalTransition) as early:
            _receive(world, rma, ["1"])
        assert "Authorise" in early.value.detail
        with pytest.raises(IllegalTransition):
            return_credit(tenant=t, actor=world.analyst, rma_id=rma.pk)
        return_authorise(tenant=t, actor=world.analyst, rma_id=rma.pk)
        with pytest.raises(IllegalTransition):
            return_credit(tenant=t, actor=world.analyst, rma_id=rma.pk)
        assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_MEMO).exists()
        _receive(world, rma, ["1"])
        with pytest.raises(IllegalTransition):
            return_cancel(tenant=t, actor=world.analyst, rma_id=rma.pk)
        return_credit(tenant=t, actor=world.analyst, rma_id=rma.pk)
        with pytest.raises(IllegalTransition):
            return_credit(tenant=t, actor=world.analyst, rma_id=rma.pk)
        assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_MEMO).count() == 1
        # 1 x 100.00 at 7 % = 107.00 onto the 149.50 still open.
        assert _item(invoice.open_item_id).open_amount == D("42.50")
        return_close(tenant=t, actor=world.analyst, rma_id=rma.pk, settlement="on_account")
        rma.refresh_from_db()
        assert (rma.status, rma.settlement) == (S.CLOSED, "on_account")
        assert not Refund.objects.exists()


def test_refund_above_the_open_amount_is_refused_and_posts_nothing(world):
    t = world.tenant
    with tenant_context(t):
        payment = ledger_item_post(
            tenant=t,
            actor=SYSTEM,
            customer=world.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-OVER",
            currency="EUR",
            amount=D("300.00"),
            document_date=DAY,
        )
        with pytest.raises(ValidationFailed) as error:
            refund_request(
                tenant=t,
                actor=world.analyst,
                credit_item_id=payment.pk,
                amount=D("300.01"),
                payee_iban=IBAN,
            )
        assert error.value.code == "over_refunded"
        with pytest.raises(ValidationFailed) as currency:
            refund_request(
                tenant=t,
                actor=world.analyst,
                credit_item_id=payment.pk,
                amount=D("10.00"),
                currency="USD",
                payee_iban=IBAN,
            )
        assert currency.value.code == "currency_mismatch"
        with pytest.raises(ValidationFailed) as bad_iban:
            refund_request(
                tenant=t,
                actor=world.analyst,
                credit_item_id=payment.pk,
                amount=D("10.00"),
                payee_iban="DE89370400440532013001",
            )
        assert "payee_iban" in bad_iban.value.errors
        assert not Refund.objects.exists()
        assert not OpenItem.objects.filter(kind=ItemKind.REFUND).exists()
        assert _item(payment.pk).open_amount == D("-300.00")

        # Within the clerk's limit it is paid at once; a retry with the key is the same refund.
        first = refund_request(
            tenant=t,
            actor=world.analyst,
            credit_item_id=payment.pk,
            amount=D("30.00"),
            payee_iban=IBAN,
            idempotency_key="r-1",
        )
        retry = refund_request(
            tenant=t,
            actor=world.analyst,
            credit_item_id=payment.pk,
            amount=D("30.00"),
            payee_iban=IBAN,
            idempotency_key="r-1",
        )
        assert first.pk == retry.pk
        assert first.status == R.APPROVED
        assert _item(payment.pk).open_amount == D("-270.00")
        # A waiting refund holds back its amount; rejecting it frees it again.
        waiting = refund_request(
            tenant=t,
            actor=world.analyst,
            credit_item_id=payment.pk,
            amount=D("150.00"),
            payee_iban=IBAN,
        )
        assert waiting.status == R.PENDING_APPROVAL
        with pytest.raises(ValidationFailed):
            refund_request(
                tenant=t,
                actor=world.manager,
                credit_item_id=payment.pk,
                amount=D("120.01"),
                payee_iban=IBAN,
            )
        refund_reject(tenant=t, actor=world.manager, refund_id=waiting.pk, note="call first")
        with pytest.raises(IllegalTransition):
            refund_approve(tenant=t, actor=world.manager, refund_id=waiting.pk)
        assert _item(payment.pk).open_amount == D("-270.00")
        assert customer_balance(tenant=t, customer=world.customer).base == D("-270.00")


def test_another_tenants_returns_and_refunds_are_out_of_reach(world, tenant_b):
    with tenant_context(tenant_b):
        customer_b = CustomerFactory(number="B-9", currency="USD")
        invoice_b = issued_invoice(tenant_b, customer_b, [line("100.00", "3")])
        payment_b = ledger_item_post(
            tenant=tenant_b,
            actor=SYSTEM,
            customer=customer_b,
            kind=ItemKind.PAYMENT,
            number="PAY-B",
            currency="USD",
            amount=D("40.00"),
            document_date=DAY,
        )
        line_b = InvoiceLine.objects.get(invoice=invoice_b)
    t = world.tenant
    with tenant_context(t):
        with pytest.raises(NotFound):
            return_request(
                tenant=t,
                actor=world.manager,
                invoice_id=invoice_b.pk,
                reason_id=_reason(t),
                lines=[ReturnLineInput(invoice_line_id=line_b.pk, quantity=Decimal(1))],
            )
        with pytest.raises(NotFound):
            refund_request(
                tenant=t,
                actor=world.manager,
                credit_item_id=payment_b.pk,
                amount=D("10.00"),
                payee_iban=IBAN,
            )
    with tenant_context(tenant_b):
        assert not ReturnAuthorisation.objects.exists()
        assert not Refund.objects.exists()
        assert OpenItem.objects.get(pk=payment_b.pk).open_amount == D("-40.00")


def test_a_usd_refund_posts_the_realised_fx_difference_in_base_currency(world):
    """Cash received at 0.90 EUR per USD and refunded at 0.85: the credit is
    relieved at its locked 90.00 EUR, the refund costs 85.00 EUR, and the
    5.00 EUR difference is posted as realised FX, as any application does."""
    t = world.tenant
    with tenant_context(t):
        for day, rate in ((date(2026, 1, 5), "0.90"), (date(2026, 2, 5), "0.85")):
            manual_rate_set(
                tenant=t,
                actor=SYSTEM,
                rate_date=day,
                from_currency="USD",
                to_currency="EUR",
                rate=Decimal(rate),
            )
        customer = CustomerFactory(number="US-1", currency="USD")
        payment = ledger_item_post(
            tenant=t,
            actor=SYSTEM,
            customer=customer,
            kind=ItemKind.PAYMENT,
            number="PAY-USD",
            currency="USD",
            amount=D("100.00"),
            document_date=date(2026, 1, 5),
        )
        assert payment.base_amount == D("-90.00")
        refund = refund_request(
            tenant=t,
            actor=world.manager,
            credit_item_id=payment.pk,
            amount=D("100.00"),
            payee_iban=IBAN,
            on=date(2026, 2, 5),
        )
        assert refund.status == R.APPROVED
        out = _item(refund.refund_item_id)
        assert (out.currency, out.base_amount) == ("USD", D("85.00"))
        application = Application.objects.get(debit_item=out)
        assert application.kind == ApplicationKind.REFUND
        assert application.fx_gain_base == D("5.00")
        assert customer_balance(tenant=t, customer=customer).base == D("0.00")
        # USD refunds are not paid by a SEPA (EUR) file.
        t.iban = "DE02120300000000202051"
        t.save()
        with pytest.raises(ValidationFailed) as error:
            refunds_export(tenant=t, actor=world.manager, refund_ids=[refund.pk])
        assert error.value.code == "not_exportable"
