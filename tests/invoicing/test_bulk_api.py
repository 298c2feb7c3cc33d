"""POST /api/v1/invoices/bulk/: up to 1,000 invoices, per-item results,
idempotent retries, never a half-written invoice."""

from __future__ import annotations

import pytest

from invoicing.models import Invoice, InvoiceLine
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from tests.invoicing.factories import draft_invoice

BULK = "/api/v1/invoices/bulk/"
LINE = {"description": "Service", "quantity": "1", "unit_price": "100.00", "tax_rate": "19"}


@pytest.fixture
def erp(api_client_for, tenant_a):
    return api_client_for(tenant_a)


def item(ref, **extra):
    return {"customer_number": "A-100", "external_ref": ref, "lines": [LINE], **extra}


def test_one_thousand_items_mixed_valid_and_invalid_then_retries(
    erp, api_client_for, tenant_a, customer_a
):
    items = []
    for index in range(1000):
        ref = f"ERP-{index:04d}"
        if index % 100 == 7:
            items.append(item(ref, lines=[{**LINE, "quantity": "abc"}]))  # shape: 400-like
        elif index % 100 == 8:
            items.append(item(ref, lines=[{**LINE, "tax_rate": "0"}]))  # business rule
        elif index % 100 == 9:
            items.append({**item(ref), "customer_number": "NOBODY"})
        elif index % 100 == 10:
            items.append(item("ERP-0000"))  # repeats item 0 of this request
        elif index % 100 == 11:
            items.append(item(ref, issue=True, issue_date="2026-01-05"))
        else:
            items.append(item(ref))
    response = erp.post(BULK, {"items": items}, idempotency_key="bulk-1")
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["summary"] == {"created": 960, "exists": 0, "errors": 40}
    results = body["results"]
    assert [r["index"] for r in results] == list(range(1000))
    by_kind = {
        "shape": results[7],
        "rule": results[8],
        "customer": results[9],
        "repeat": results[10],
        "issued": results[11],
        "draft": results[12],
    }
    assert by_kind["shape"]["status"] == "error"
    assert [p["field"] for p in by_kind["shape"]["problems"]] == ["lines[0].quantity"]
    assert by_kind["rule"]["status"] == "error"
    assert [p["field"] for p in by_kind["rule"]["problems"]] == ["lines[0].tax_rate"]
    assert [p["field"] for p in by_kind["customer"]["problems"]] == ["customer_number"]
    assert by_kind["repeat"]["problems"][0]["field"] == "external_ref"
    assert by_kind["repeat"]["problems"][0]["code"] == "duplicate_external_ref"
    assert by_kind["issued"]["status"] == "created"
    assert by_kind["issued"]["number"] == "INV-2026-000001"
    assert by_kind["draft"]["status"] == "created"
    assert by_kind["draft"]["number"] is None
    assert all(r["id"] is None for r in results if r["status"] == "error")
    issued_numbers = sorted(r["number"] for r in results if r["number"])
    assert issued_numbers == [f"INV-2026-{n:06d}" for n in range(1, 11)]
    with tenant_context(tenant_a):
        assert Invoice.objects.count() == 960
        assert Invoice.objects.filter(status="issued").count() == 10
        assert OpenItem.objects.count() == 10
        # Failed items left nothing behind, not even lines.
        assert InvoiceLine.objects.count() == 960
        assert not Invoice.objects.filter(external_ref="ERP-0008").exists()

    # A retry with the same key replays the first answer, writing nothing.
    replay = erp.post(BULK, {"items": items}, idempotency_key="bulk-1")
    assert replay.status_code == 200
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == body

    # The same batch under a new key (the ERP lost the answer) creates nothing new:
    # every item whose external_ref exists answers "exists" with its id.
    again = erp.post(BULK, {"items": items}, idempotency_key="bulk-2")
    again_body = again.json()
    # The repeats of ERP-0000 now find it in the database: "exists" as well.
    assert again_body["summary"] == {"created": 0, "exists": 970, "errors": 30}
    first_ids = {r["index"]: r["id"] for r in results if r["status"] == "created"}
    assert {r["index"]: r["id"] for r in again_body["results"] if r["status"] == "exists"} == {
        **first_ids,
        **{r["index"]: first_ids[0] for r in results if r["index"] % 100 == 10},
    }
    assert again_body["results"][11]["number"] == "INV-2026-000001"
    with tenant_context(tenant_a):
        assert Invoice.objects.count() == 960


def test_an_item_that_fails_at_issue_leaves_no_draft(erp, tenant_a, customer_a):
    response = erp.post(
        BULK,
        {
            "items": [
                item("OK-1", issue=True),
                item("USD-1", issue=True, currency="USD", issue_date="2026-01-05"),
                item("OK-2", issue=True),
            ]
        },
    )
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "error", "created"]
    assert results[1]["problems"][0]["field"] == "issue_date"
    assert results[0]["number"].endswith("-000001")
    assert results[2]["number"].endswith("-000002")  # no gap for the failed one
    with tenant_context(tenant_a):
        assert set(Invoice.objects.values_list("external_ref", flat=True)) == {"OK-1", "OK-2"}


def test_envelope_limits_and_item_shapes(erp, customer_a):
    assert erp.post(BULK, {"items": []}).status_code == 400
    assert erp.post(BULK, {"items": [item(f"R{i}") for i in range(1001)]}).status_code == 400
    assert erp.post(BULK, {"invoices": [item("R")]}).status_code == 400
    response = erp.post(BULK, {"items": ["not an object", item("R1", surprise=1)]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["problems"][0]["message"] == "Send each item as an object."
    assert [p["field"] for p in results[1]["problems"]] == ["surprise"]


def test_other_tenants_customers_and_refs_do_not_count(
    erp, api_client_for, tenant_a, tenant_b, customer_a, customer_b
):
    with tenant_context(tenant_b):
        existing_b = draft_invoice(tenant_b, customer_b, external_ref="SHARED-1")
    response = erp.post(
        BULK,
        {
            "items": [
                item("SHARED-1"),
                {"customer_id": customer_b.pk, "external_ref": "B-CUST", "lines": [LINE]},
            ]
        },
    )
    results = response.json()["results"]
    assert results[0]["status"] == "created"
    assert results[0]["id"] != existing_b.pk
    assert results[1]["status"] == "error"
    assert [p["field"] for p in results[1]["problems"]] == ["customer_id"]
    with tenant_context(tenant_b):
        assert Invoice.objects.count() == 1
        assert Invoice.objects.get().customer_id == customer_b.pk


def test_read_only_key_cannot_bulk_create(api_client_for, tenant_a, customer_a):
    auditor = api_client_for(tenant_a, role="auditor")
    assert auditor.post(BULK, {"items": [item("R1")]}).status_code == 403
    with tenant_context(tenant_a):
        assert not Invoice.objects.exists()
