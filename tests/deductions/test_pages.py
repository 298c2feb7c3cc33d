"""The deductions pages: queue with filters and SLA flags, detail with
timeline and actions (resolve, approval), dispute, reason codes; dashboard
figures; another tenant's deduction answers 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deductions.models import Deduction, DeductionResolution, ReasonMapping
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import D, short_paid_invoice
from tests.deductions.test_deductions import _other_tenant_deduction

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(signed_in_client, world):
    return signed_in_client(world.tenant, "deductions_analyst", approval_limit=Decimal("100"))


def _opened(world, **kwargs):
    with tenant_context(world.tenant):
        _, _, deduction = short_paid_invoice(world.tenant, world.customer, **kwargs)
    return deduction


def test_queue_lists_flags_and_filters(analyst, world, tenant_b):
    other = _other_tenant_deduction(tenant_b)
    mine = _opened(world)
    theirs = _opened(world, net="100.00", paid="100.00")
    analyst.post(f"/deductions/{mine.pk}/assign/", {"owner": analyst.user.pk, "owner_team": ""})
    with tenant_context(world.tenant):  # research of the other one is overdue
        Deduction.objects.filter(pk=theirs.pk).update(research_due="2026-01-01")
    page = analyst.get("/deductions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="deduction-row"') == 2
    assert mine.open_item.number in html
    assert other.open_item.number not in html
    assert html.count('data-testid="sla-badge"') == 1
    breached = analyst.get("/deductions/?sla=on").content.decode()
    assert breached.count('data-testid="deduction-row"') == 1
    assert theirs.open_item.number in breached
    own = analyst.get("/deductions/?owner=me").content.decode()
    assert mine.open_item.number in own
    assert theirs.open_item.number not in own
    by_value = analyst.get("/deductions/?sort=-value").content.decode()  # by amount
    assert by_value.index(mine.open_item.number) < by_value.index(theirs.open_item.number)


def test_detail_resolves_and_a_write_off_above_the_limit_waits(analyst, signed_in_client, world):
    deduction = _opened(world)
    url = f"/deductions/{deduction.pk}/"
    analyst.post(url + "transition/", {"status": "in_research"})
    analyst.post(url + "transition/", {"status": "valid"})
    page = analyst.get(url)
    assert page.status_code == 200
    assert 'data-testid="resolve-form"' in page.content.decode()
    too_much = analyst.post(
        url + "resolve/", {"kind_1": "credit_memo", "amount_1": "200.00", "idempotency_key": "a"}
    )
    assert too_much.status_code == 422
    assert "at most" in too_much.content.decode()
    response = analyst.post(
        url + "resolve/",
        {
            "kind_1": "credit_memo",
            "amount_1": "40.00",
            "kind_2": "write_off",
            "amount_2": "150.00",
            "idempotency_key": "b",
        },
    )
    assert response.status_code == 302
    with tenant_context(world.tenant):
        rows = list(DeductionResolution.objects.filter(deduction=deduction).order_by("pk"))
        assert [(r.kind, r.status) for r in rows] == [
            ("credit_memo", "posted"),
            ("write_off", "pending_approval"),
        ]
        assert OpenItem.objects.get(pk=deduction.open_item_id).open_amount == D("150.00")
    manager = signed_in_client(world.tenant, "credit_manager", approval_limit=Decimal("1000"))
    approved = manager.post(url + "approve/", {"resolution": rows[1].pk})
    assert approved.status_code == 302
    with tenant_context(world.tenant):
        assert Deduction.objects.get(pk=deduction.pk).status == "resolved"
    detail = analyst.get(url).content.decode()
    assert "Timeline" in detail
    assert "Resolved" in detail


def test_attachment_upload_and_reason_learning_on_the_page(analyst, world):
    deduction = _opened(world, claim_code="X9", text="X9")
    url = f"/deductions/{deduction.pk}/"
    pdf = SimpleUploadedFile("pod.pdf", b"%PDF-1.4 pod", "application/pdf")
    assert analyst.post(url + "attach/", {"file": pdf}).status_code == 302
    bad = SimpleUploadedFile("run.exe", b"MZ", "application/x-msdownload")
    refused = analyst.post(url + "attach/", {"file": bad})
    assert refused.status_code == 422
    assert "not accepted" in refused.content.decode()
    assert "pod.pdf" in analyst.get(url).content.decode()
    with tenant_context(world.tenant):
        from deductions.models import ReasonCode

        damage = ReasonCode.objects.get(code="DAMAGE")
    assert analyst.post(url + "reason/", {"reason": damage.pk}).status_code == 302
    with tenant_context(world.tenant):
        assert ReasonMapping.objects.get(pattern="X9").reason == damage


def test_illegal_move_is_a_message_and_changes_nothing(analyst, world):
    deduction = _opened(world)
    response = analyst.post(
        f"/deductions/{deduction.pk}/transition/", {"status": "closed"}, follow=True
    )
    assert "cannot become" in response.content.decode()
    with tenant_context(world.tenant):
        assert Deduction.objects.get(pk=deduction.pk).status == "new"


def test_dispute_page_and_reason_codes_page(analyst, world):
    with tenant_context(world.tenant):
        from tests.invoicing.factories import issued_invoice, line

        invoice = issued_invoice(world.tenant, world.customer, [line("100.00")])
    response = analyst.post(
        "/deductions/dispute/", {"invoice_number": invoice.number, "amount": "20.00"}
    )
    assert response.status_code == 302
    with tenant_context(world.tenant):
        deduction = Deduction.objects.get(source="dispute")
        assert deduction.amount == D("20.00")
    missing = analyst.post("/deductions/dispute/", {"invoice_number": "NOPE"})
    assert missing.status_code == 422
    codes = analyst.get("/deductions/reason-codes/").content.decode()
    assert codes.count('data-testid="reason-row"') == 10
    saved = analyst.post(
        "/deductions/reason-codes/",
        {"form": "policy", "auto_write_off_limit": "25.00", "auto_write_off_reasons": ["SHORTAGE"]},
    )
    assert saved.status_code == 302


def test_other_tenants_deduction_is_404(analyst, tenant_b):
    other = _other_tenant_deduction(tenant_b)
    assert analyst.get(f"/deductions/{other.pk}/").status_code == 404
    assert (
        analyst.post(f"/deductions/{other.pk}/transition/", {"status": "in_research"}).status_code
        == 404
    )
    with tenant_context(tenant_b):
        assert Deduction.objects.get(pk=other.pk).status == "new"


def test_figures_page(analyst, world):
    _opened(world)
    page = analyst.get("/deductions/figures/")
    assert page.status_code == 200
    assert 'data-testid="deduction-kpis"' in page.content.decode()


def test_dashboard_shows_deduction_figures(analyst, world):
    _opened(world)
    page = analyst.get("/")
    if page.status_code == 302:
        page = analyst.get(page["Location"])
    html = page.content.decode()
    assert 'data-testid="kpi-deductions-open"' in html
    assert "the deductions module" not in html
