"""The returns and refunds pages: a return started from the invoice page and
walked through its actions, messages on bad input with nothing written, a
refund above the clerk's limit approved by a manager, the transfer file
downloaded; another tenant's return and refund answer 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from deductions.models import Refund, ReturnAuthorisation, ReturnLine
from deductions.services import ReturnLineInput, reason_code_by_code, return_request
from invoicing.models import InvoiceLine
from otc.ledger.models import ItemKind, OpenItem
from otc.ledger.selectors import customer_balance
from otc.ledger.services import ledger_item_post
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import DAY, SYSTEM, D
from tests.deductions.test_returns_refunds import IBAN, NS, three_line_invoice
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(signed_in_client, world):
    return signed_in_client(world.tenant, "deductions_analyst", approval_limit=Decimal("100"))


@pytest.fixture
def manager(signed_in_client, world):
    return signed_in_client(world.tenant, "credit_manager", approval_limit=Decimal("5000"))


def _invoice(world):
    t = world.tenant
    t.iban, t.bic = "DE02120300000000202051", "BYLADEM1001"
    t.save()
    with tenant_context(t):
        invoice, _ = three_line_invoice(t, world.customer)
        lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
    return invoice, lines


def test_return_walked_through_its_pages_to_a_refund_in_a_bank_file(clerk, manager, world):
    invoice, lines = _invoice(world)
    assert "Return goods" in clerk.get(f"/invoices/{invoice.pk}/").content.decode()
    new_url = f"/deductions/returns/new/?invoice={invoice.pk}"
    form = clerk.get(new_url)
    assert form.status_code == 200
    too_many = clerk.post(
        new_url,
        {
            "reason": form.context["form"]["reason"].value(),
            f"qty_{lines[0].pk}": "11",
            "idempotency_key": "page-rma-1",
        },
    )
    assert too_many.status_code == 422
    assert "can still be returned" in too_many.content.decode()
    with tenant_context(world.tenant):
        assert not ReturnAuthorisation.objects.exists()
    created = clerk.post(
        new_url,
        {
            "reason": form.context["form"]["reason"].value(),
            f"qty_{lines[0].pk}": "4",
            f"qty_{lines[1].pk}": "5",
            "idempotency_key": "page-rma-2",
        },
    )
    assert created.status_code == 302
    with tenant_context(world.tenant):
        rma = ReturnAuthorisation.objects.get()
        rows = list(ReturnLine.objects.filter(rma=rma).order_by("invoice_line__position"))
    detail = f"/deductions/returns/{rma.pk}/"
    assert clerk.get("/deductions/returns/").content.decode().count('data-testid="return-row"') == 1
    # Out of order: a message, nothing posted.
    early = clerk.post(detail + "credit/", follow=True)
    assert "Receive the goods" in early.content.decode() or "Authorise" in early.content.decode()
    clerk.post(detail + "authorise/")
    no_note = clerk.post(
        detail + "receive/", {f"line_{rows[0].pk}": "4", f"line_{rows[1].pk}": "3"}
    )
    assert no_note.status_code == 422
    assert "Say why goods were rejected" in no_note.content.decode()
    clerk.post(
        detail + "receive/",
        {f"line_{rows[0].pk}": "4", f"line_{rows[1].pk}": "3", "note": "2 pumps broken"},
    )
    clerk.post(detail + "credit/")
    no_iban = clerk.post(detail + "close/", {"settlement": "refund", "payee_iban": ""})
    assert no_iban.status_code == 422
    clerk.post(detail + "close/", {"settlement": "refund", "payee_iban": IBAN})
    page = clerk.get(detail).content.decode()
    assert "Closed" in page
    with tenant_context(world.tenant):
        refund = Refund.objects.get(rma=rma)
    assert refund.status == "pending_approval"
    assert refund.amount == D("124.20")

    refund_url = f"/deductions/refunds/{refund.pk}/"
    own = clerk.post(refund_url + "approve/", follow=True)
    assert "another person" in own.content.decode()
    manager.post(refund_url + "approve/")
    assert "Approved" in manager.get(refund_url).content.decode()
    listed = manager.get("/deductions/refunds/").content.decode()
    assert "Export 1 approved EUR refund" in listed
    manager.post("/deductions/refunds/export/", {"idempotency_key": "page-export"})
    with tenant_context(world.tenant):
        refund.refresh_from_db()
        assert refund.status == "exported"
        assert customer_balance(tenant=world.tenant, customer=world.customer).base == D("0.00")
    file = manager.get(f"/deductions/refunds/exports/{refund.export_id}/")
    assert file.status_code == 200
    root = etree.fromstring(file.content)
    assert root.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=NS) == "124.20"
    again = manager.post(
        "/deductions/refunds/export/", {"idempotency_key": "page-export-2"}, follow=True
    )
    assert "No approved EUR refunds" in again.content.decode()


def test_new_refund_page_refuses_more_than_is_open(clerk, world):
    with tenant_context(world.tenant):
        payment = ledger_item_post(
            tenant=world.tenant,
            actor=SYSTEM,
            customer=world.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-PAGE",
            currency="EUR",
            amount=D("60.00"),
            document_date=DAY,
        )
    page = clerk.get("/deductions/refunds/new/")
    assert "PAY-PAGE" in page.content.decode()
    over = clerk.post(
        "/deductions/refunds/new/",
        {
            "credit_item": payment.pk,
            "amount": "60.01",
            "payee_iban": IBAN,
            "idempotency_key": "page-refund-1",
        },
    )
    assert over.status_code == 422
    assert "Refund at most EUR 60.00" in over.content.decode()
    ok = clerk.post(
        "/deductions/refunds/new/",
        {
            "credit_item": payment.pk,
            "amount": "60.00",
            "payee_iban": IBAN,
            "idempotency_key": "page-refund-2",
        },
    )
    assert ok.status_code == 302
    with tenant_context(world.tenant):
        assert Refund.objects.get().status == "approved"
        assert OpenItem.objects.get(pk=payment.pk).open_amount == D("0.00")


def test_another_tenants_returns_and_refunds_answer_404(signed_in_client, clerk, world, tenant_b):
    invoice, lines = _invoice(world)
    with tenant_context(world.tenant):
        rma = return_request(
            tenant=world.tenant,
            actor=world.analyst,
            invoice_id=invoice.pk,
            reason_id=reason_code_by_code(tenant=world.tenant, code="RETURNS").pk,
            lines=[ReturnLineInput(invoice_line_id=lines[0].pk, quantity=D(1))],
        )
        payment = ledger_item_post(
            tenant=world.tenant,
            actor=SYSTEM,
            customer=world.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-Z",
            currency="EUR",
            amount=D("500.00"),
            document_date=DAY,
        )
    clerk.post(
        "/deductions/refunds/new/",
        {"credit_item": payment.pk, "amount": "300", "payee_iban": IBAN, "idempotency_key": "z"},
    )
    with tenant_context(world.tenant):
        refund = Refund.objects.get()
    theirs = signed_in_client(tenant_b, "owner", approval_limit=Decimal("100000"))
    assert 'data-testid="return-row"' not in theirs.get("/deductions/returns/").content.decode()
    assert 'data-testid="refund-row"' not in theirs.get("/deductions/refunds/").content.decode()
    assert theirs.get(f"/deductions/returns/{rma.pk}/").status_code == 404
    assert theirs.post(f"/deductions/returns/{rma.pk}/authorise/").status_code == 404
    assert theirs.get(f"/deductions/refunds/{refund.pk}/").status_code == 404
    assert theirs.post(f"/deductions/refunds/{refund.pk}/approve/").status_code == 404
    assert theirs.get(f"/deductions/returns/new/?invoice={invoice.pk}").status_code == 404
    with tenant_context(world.tenant):
        assert ReturnAuthorisation.objects.get(pk=rma.pk).status == "requested"
        assert Refund.objects.get(pk=refund.pk).status == "pending_approval"


def test_figures_count_returns_and_refunds_of_this_tenant_only(clerk, world, tenant_b):
    invoice, lines = _invoice(world)
    with tenant_context(world.tenant):
        return_request(
            tenant=world.tenant,
            actor=world.analyst,
            invoice_id=invoice.pk,
            reason_id=reason_code_by_code(tenant=world.tenant, code="RETURNS").pk,
            lines=[ReturnLineInput(invoice_line_id=lines[0].pk, quantity=D(2))],
        )
        payment = ledger_item_post(
            tenant=world.tenant,
            actor=SYSTEM,
            customer=world.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-F",
            currency="EUR",
            amount=D("400.00"),
            document_date=DAY,
        )
    clerk.post(
        "/deductions/refunds/new/",
        {"credit_item": payment.pk, "amount": "250", "payee_iban": IBAN, "idempotency_key": "f1"},
    )
    clerk.post(
        "/deductions/refunds/new/",
        {"credit_item": payment.pk, "amount": "40", "payee_iban": IBAN, "idempotency_key": "f2"},
    )
    with tenant_context(tenant_b):
        CustomerFactory(number="B-F", currency="USD")
    html = clerk.get("/deductions/figures/").content.decode()
    assert 'data-testid="returns-open">1<' in html
    assert 'data-testid="refunds-waiting">1<' in html
    assert "EUR\xa040.00" in html


def test_a_return_whose_goods_were_all_rejected_closes_without_a_credit(clerk, world):
    invoice, lines = _invoice(world)
    with tenant_context(world.tenant):
        rma = return_request(
            tenant=world.tenant,
            actor=world.analyst,
            invoice_id=invoice.pk,
            reason_id=reason_code_by_code(tenant=world.tenant, code="RETURNS").pk,
            lines=[ReturnLineInput(invoice_line_id=lines[2].pk, quantity=D(1))],
        )
        row = ReturnLine.objects.get(rma=rma)
    detail = f"/deductions/returns/{rma.pk}/"
    clerk.post(detail + "authorise/")
    clerk.post(detail + "receive/", {f"line_{row.pk}": "0", "note": "opened and used"})
    refused = clerk.post(detail + "credit/", follow=True).content.decode()
    assert "nothing to credit" in refused
    closed = clerk.post(detail + "close/")
    assert closed.status_code == 302
    with tenant_context(world.tenant):
        rma.refresh_from_db()
        assert (rma.status, rma.credit_memo_id, rma.settlement) == ("closed", None, "")
        assert OpenItem.objects.get(pk=invoice.open_item_id).open_amount == D("149.50")
