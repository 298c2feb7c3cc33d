"""The returns and refunds API: a return from request to closing with a
refund, the refund approved by a manager and paid by a transfer file; bad
input as problem+json with nothing written; another tenant's ids answer 404
and its data is neither returned nor changed."""

from __future__ import annotations

import pytest
from lxml import etree

from deductions.models import Refund, ReturnAuthorisation
from deductions.services import reason_code_by_code, refund_approve
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
def api(api_client_for, world):
    return api_client_for(world.tenant, role="owner")


def _setup(world):
    t = world.tenant
    t.iban, t.bic = "DE02120300000000202051", "BYLADEM1001"
    t.save()
    with tenant_context(t):
        invoice, _ = three_line_invoice(t, world.customer)
        lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
        reason = reason_code_by_code(tenant=t, code="RETURNS")
    return invoice, lines, reason


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_return_and_refund_through_the_api(api, world):
    invoice, lines, reason = _setup(world)
    created = api.post(
        "/api/v1/returns/",
        {
            "invoice_id": invoice.pk,
            "reason_id": reason.pk,
            "lines": [
                {"invoice_line_id": lines[0].pk, "quantity": "4"},
                {"invoice_line_id": lines[1].pk, "quantity": "5"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    rma = created.json()
    assert rma["status"] == "requested"
    assert [line["quantity"] for line in rma["lines"]] == ["4.0000", "5.0000"]
    url = f"/api/v1/returns/{rma['id']}/"

    early = _problem(api.post(url + "credit/"), 409)
    assert early["type"].endswith(":illegal_transition")
    assert api.post(url + "authorise/").status_code == 200
    received = api.post(
        url + "receive/",
        {
            "lines": [
                {"return_line_id": rma["lines"][0]["id"], "accepted_quantity": "4"},
                {"return_line_id": rma["lines"][1]["id"], "accepted_quantity": "3"},
            ],
            "note": "two pumps broken",
        },
    )
    assert received.status_code == 200, received.content
    credited = api.post(url + "credit/")
    assert credited.status_code == 200, credited.content
    assert credited.json()["credit_memo_id"]
    closed = api.post(url + "close/", {"settlement": "refund", "payee_iban": IBAN})
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"

    listed = api.get("/api/v1/refunds/?status=pending_approval").json()["results"]
    assert [(row["amount"], row["return_id"]) for row in listed] == [("124.20", rma["id"])]
    refund_url = f"/api/v1/refunds/{listed[0]['id']}/"
    # An API key has no approval limit.
    refused = _problem(api.post(refund_url + "approve/"), 422)
    assert refused["type"].endswith(":above_approval_limit")
    with tenant_context(world.tenant):
        refund_approve(tenant=world.tenant, actor=world.manager, refund_id=listed[0]["id"])
    assert api.get(refund_url).json()["status"] == "approved"

    exported = api.post("/api/v1/refunds/exports/", {"refund_ids": [listed[0]["id"]]})
    assert exported.status_code == 201, exported.content
    assert (exported.json()["total"], exported.json()["count"]) == ("124.20", 1)
    again = _problem(api.post("/api/v1/refunds/exports/", {}), 422)
    assert again["type"].endswith(":nothing_to_export")
    file = api.get(exported["Location"])
    assert file.status_code == 200
    root = etree.fromstring(file.content)
    assert root.findtext(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=NS) == "124.20"
    assert root.findtext(".//p:CdtTrfTxInf/p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == IBAN
    with tenant_context(world.tenant):
        assert customer_balance(tenant=world.tenant, customer=world.customer).base == D("0.00")


def test_bad_input_is_problem_json_and_writes_nothing(api, world):
    invoice, lines, reason = _setup(world)
    too_many = _problem(
        api.post(
            "/api/v1/returns/",
            {
                "invoice_id": invoice.pk,
                "reason_id": reason.pk,
                "lines": [{"invoice_line_id": lines[2].pk, "quantity": "3"}],
            },
        ),
        422,
    )
    assert "lines[0].quantity" in str(too_many)
    with tenant_context(world.tenant):
        payment = ledger_item_post(
            tenant=world.tenant,
            actor=SYSTEM,
            customer=world.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-X",
            currency="EUR",
            amount=D("20.00"),
            document_date=DAY,
        )
    over = _problem(
        api.post(
            "/api/v1/refunds/",
            {"credit_item_id": payment.pk, "amount": "20.01", "payee_iban": IBAN},
        ),
        422,
    )
    assert over["type"].endswith(":over_refunded")
    with tenant_context(world.tenant):
        assert not ReturnAuthorisation.objects.exists()
        assert not Refund.objects.exists()
        assert OpenItem.objects.get(pk=payment.pk).open_amount == D("-20.00")


def test_another_tenants_returns_and_refunds_answer_404(api, api_client_for, world, tenant_b):
    invoice, lines, reason = _setup(world)
    ours = api.post(
        "/api/v1/returns/",
        {
            "invoice_id": invoice.pk,
            "reason_id": reason.pk,
            "lines": [{"invoice_line_id": lines[0].pk, "quantity": "1"}],
        },
    ).json()
    with tenant_context(world.tenant):
        payment = ledger_item_post(
            tenant=world.tenant,
            actor=SYSTEM,
            customer=world.customer,
            kind=ItemKind.PAYMENT,
            number="PAY-Y",
            currency="EUR",
            amount=D("500.00"),
            document_date=DAY,
        )
    refund = api.post(
        "/api/v1/refunds/", {"credit_item_id": payment.pk, "amount": "200.00", "payee_iban": IBAN}
    ).json()
    with tenant_context(tenant_b):
        CustomerFactory(number="B-7", currency="USD")
    theirs = api_client_for(tenant_b, role="owner")
    assert theirs.get("/api/v1/returns/").json()["results"] == []
    assert theirs.get("/api/v1/refunds/").json()["results"] == []
    url = f"/api/v1/returns/{ours['id']}/"
    assert theirs.get(url).status_code == 404
    assert theirs.post(url + "authorise/").status_code == 404
    assert theirs.post(url + "cancel/", {}).status_code == 404
    refund_url = f"/api/v1/refunds/{refund['id']}/"
    assert theirs.get(refund_url).status_code == 404
    assert theirs.post(refund_url + "reject/", {}).status_code == 404
    assert (
        theirs.post(
            "/api/v1/refunds/",
            {"credit_item_id": payment.pk, "amount": "1.00", "payee_iban": IBAN},
        ).status_code
        == 404
    )
    assert (
        theirs.post(
            "/api/v1/returns/",
            {
                "invoice_id": invoice.pk,
                "reason_id": reason.pk,
                "lines": [{"invoice_line_id": lines[0].pk, "quantity": "1"}],
            },
        ).status_code
        == 404
    )
    with tenant_context(world.tenant):
        assert ReturnAuthorisation.objects.get(pk=ours["id"]).status == "requested"
        assert Refund.objects.get(pk=refund["id"]).status == "pending_approval"
        assert OpenItem.objects.get(pk=payment.pk).open_amount == D("-500.00")
