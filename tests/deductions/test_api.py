"""The deductions API: queue, detail, actions, attachments, reason codes and
mappings; problem+json errors; another tenant's ids answer 404 and its data
is neither returned nor changed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deductions.models import Deduction, DeductionResolution, ReasonMapping
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.deductions.conftest import D, short_paid_invoice
from tests.deductions.test_deductions import _other_tenant_deduction

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client_for, world):
    return api_client_for(world.tenant, role="owner")


def _opened(world):
    with tenant_context(world.tenant):
        _, _, deduction = short_paid_invoice(world.tenant, world.customer)
    return deduction


def test_queue_detail_and_workflow_through_the_api(api, world, tenant_b):
    other = _other_tenant_deduction(tenant_b)
    deduction = _opened(world)
    listed = api.get("/api/v1/deductions/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [deduction.pk]
    row = listed.json()["results"][0]
    assert (row["amount"], row["open_amount"], row["status"]) == ("190.00", "190.00", "new")
    url = f"/api/v1/deductions/{deduction.pk}/"
    assign = api.post(url + "assign/", {"owner_id": world.analyst.user.pk})
    assert assign.status_code == 200, assign.content
    assert assign.json()["status"] == "assigned"
    for target in ("in_research", "valid"):
        moved = api.post(url + "transition/", {"status": target})
        assert moved.status_code == 200, moved.content
    resolved = api.post(
        url + "resolve/",
        {
            "parts": [
                {"kind": "credit_memo", "amount": "150.00"},
                {"kind": "write_off", "amount": "40.00"},
            ]
        },
    )
    assert resolved.status_code == 200, resolved.content
    body = resolved.json()
    # An API key is no person with an approval limit: its write-off waits.
    assert [r["status"] for r in body["resolutions"]] == ["posted", "pending_approval"]
    assert body["deduction"]["open_amount"] == "40.00"
    assert body["resolutions"][0]["credit_memo_number"]
    pending = body["resolutions"][1]["id"]
    approve = api.post(url + f"write-offs/{pending}/approve/", {})
    assert approve.status_code == 422
    assert approve["Content-Type"].startswith("application/problem+json")
    with tenant_context(tenant_b):
        assert Deduction.objects.get(pk=other.pk).status == "new"


def test_refusals_are_problems_and_post_nothing(api, world):
    deduction = _opened(world)
    url = f"/api/v1/deductions/{deduction.pk}/"
    illegal = api.post(url + "transition/", {"status": "closed"})
    assert illegal.status_code == 409
    assert illegal["Content-Type"].startswith("application/problem+json")
    api.post(url + "transition/", {"status": "in_research"})
    api.post(url + "transition/", {"status": "invalid"})
    too_much = api.post(url + "resolve/", {"parts": [{"kind": "rebill", "amount": "190.01"}]})
    assert too_much.status_code == 422
    assert too_much["Content-Type"].startswith("application/problem+json")
    unknown = api.post(url + "resolve/", {"parts": [{"kind": "refund", "amount": "1.00"}]})
    assert unknown.status_code in (400, 422)
    with tenant_context(world.tenant):
        assert not DeductionResolution.objects.exists()
        assert OpenItem.objects.get(pk=deduction.open_item_id).open_amount == D("190.00")


def test_resolve_is_idempotent_with_the_same_key(api, world):
    deduction = _opened(world)
    url = f"/api/v1/deductions/{deduction.pk}/"
    api.post(url + "transition/", {"status": "in_research"})
    api.post(url + "transition/", {"status": "invalid"})
    payload = {"parts": [{"kind": "rebill", "amount": "90.00"}]}
    first = api.post(url + "resolve/", payload, idempotency_key="rebill-1")
    again = api.post(url + "resolve/", payload, idempotency_key="rebill-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    with tenant_context(world.tenant):
        assert DeductionResolution.objects.count() == 1
        assert OpenItem.objects.get(pk=deduction.open_item_id).open_amount == D("100.00")


def test_other_tenants_deduction_answers_404_everywhere(api, world, tenant_b):
    other = _other_tenant_deduction(tenant_b)
    url = f"/api/v1/deductions/{other.pk}/"
    assert api.get(url).status_code == 404
    assert api.post(url + "transition/", {"status": "in_research"}).status_code == 404
    assert api.post(url + "assign/", {"owner_id": None}).status_code == 404
    assert (
        api.post(url + "resolve/", {"parts": [{"kind": "write_off", "amount": "1.00"}]}).status_code
        == 404
    )
    upload = SimpleUploadedFile("pod.pdf", b"%PDF-1.4 x", "application/pdf")
    assert api.post(url + "attachments/", {"file": upload}, format="multipart").status_code == 404
    with tenant_context(tenant_b):
        assert Deduction.objects.get(pk=other.pk).status == "new"
        assert not DeductionResolution.objects.exists()


def test_attachments_upload_list_and_download(api, world):
    deduction = _opened(world)
    url = f"/api/v1/deductions/{deduction.pk}/attachments/"
    upload = SimpleUploadedFile("pod.pdf", b"%PDF-1.4 proof", "application/pdf")
    created = api.post(url, {"file": upload, "description": "POD"}, format="multipart")
    assert created.status_code == 201, created.content
    listed = api.get(url).json()
    assert [a["filename"] for a in listed] == ["pod.pdf"]
    download = api.get(url + f"{created.json()['id']}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 proof"
    bad = SimpleUploadedFile("x.exe", b"MZ\x90", "application/x-msdownload")
    refused = api.post(url, {"file": bad}, format="multipart")
    assert refused.status_code == 422
    assert "file" in str(refused.json())


def test_reason_codes_and_mappings(api, world, api_client_for, tenant_b):
    codes = api.get("/api/v1/deduction-reason-codes/")
    assert codes.status_code == 200
    assert len(codes.json()) == 10
    damage = next(r for r in codes.json() if r["code"] == "DAMAGE")
    created = api.post(
        "/api/v1/deduction-reason-codes/",
        {
            "code": "co op",
            "name": "Co-op advertising",
            "category": "trade",
            "owner_team": "trade_marketing",
            "research_sla_days": 30,
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["code"] == "CO_OP"
    duplicate = api.post(
        "/api/v1/deduction-reason-codes/",
        {
            "code": "CO_OP",
            "name": "x",
            "category": "trade",
            "owner_team": "sales",
            "research_sla_days": 3,
        },
    )
    assert duplicate.status_code == 409
    mapped = api.post(
        "/api/v1/deduction-reason-mappings/",
        {"source": "claim_code", "pattern": "d01", "reason_id": damage["id"]},
    )
    assert mapped.status_code == 201, mapped.content
    assert mapped.json()["pattern"] == "D01"
    # Another tenant sees none of it and cannot use our reason id.
    theirs = api_client_for(tenant_b, role="owner")
    assert len(theirs.get("/api/v1/deduction-reason-codes/").json()) == 10
    assert theirs.get("/api/v1/deduction-reason-mappings/").json() == []
    foreign = theirs.post(
        "/api/v1/deduction-reason-mappings/",
        {"source": "claim_code", "pattern": "X", "reason_id": damage["id"]},
    )
    assert foreign.status_code == 404
    assert theirs.get(f"/api/v1/deduction-reason-codes/{damage['id']}/").status_code == 404
    with tenant_context(world.tenant):
        assert ReasonMapping.objects.count() == 1
