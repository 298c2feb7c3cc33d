"""The collections REST API, with cross-tenant checks on every endpoint."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from collections_app.dunning.models import (
    CollectionActivity,
    DunningLevel,
    DunningPolicy,
    DunningRun,
    PromiseToPay,
)
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import customer, invoice

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)
PROBLEM = "application/problem+json"


def policy_payload(**overrides):
    template = {
        "language": "en",
        "subject": "{level_name} for {customer_name}",
        "body": "Please pay {total_due}.\n{items}",
        "letter_text": "Dear {contact_name}, please pay {total_due}.",
    }
    payload = {
        "name": "API policy",
        "is_default": True,
        "min_amount": "10.00",
        "levels": [
            {"name": "Reminder", "days_overdue": -2, "templates": [template]},
            {
                "name": "First",
                "days_overdue": 10,
                "channel": "both",
                "fee_amount": "4.50",
                "templates": [template],
            },
        ],
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def collector_a(api_client_for, tenant_a):
    return api_client_for(tenant_a, "collector")


@pytest.fixture
def collector_b(api_client_for, tenant_b):
    return api_client_for(tenant_b, "collector")


@pytest.fixture
def book(tenant_a):
    with tenant_context(tenant_a):
        c1 = customer(tenant_a, "C1")
        inv = invoice(tenant_a, c1, "INV-1", "250.00", due=DAY - timedelta(days=12))
    return {"customer": c1, "invoice": inv}


def test_policy_create_read_update(collector_a, collector_b, tenant_a):
    created = collector_a.post("/api/v1/dunning-policies/", policy_payload())
    assert created.status_code == 201, created.content
    body = created.json()
    assert [lvl["days_overdue"] for lvl in body["levels"]] == [-2, 10]
    assert body["levels"][1]["fee_amount"] == "4.5000"
    policy_id = body["id"]
    assert collector_a.get(f"/api/v1/dunning-policies/{policy_id}/").status_code == 200
    payload = policy_payload(name="Renamed")
    updated = collector_a.put(f"/api/v1/dunning-policies/{policy_id}/", payload, format="json")
    assert updated.status_code == 200
    assert updated.json()["name"] == "Renamed"
    # The other tenant neither sees nor changes it.
    assert collector_b.get(f"/api/v1/dunning-policies/{policy_id}/").status_code == 404
    other = collector_b.put(
        f"/api/v1/dunning-policies/{policy_id}/", policy_payload(name="X"), format="json"
    )
    assert other.status_code == 404
    assert collector_b.get("/api/v1/dunning-policies/").json()["results"] == []
    with tenant_context(tenant_a):
        assert DunningPolicy.objects.for_tenant(tenant_a).get().name == "Renamed"


def test_policy_update_keeps_levels_by_id_and_refuses_another_tenants_level(
    collector_a, collector_b, tenant_a, tenant_b
):
    body = collector_a.post("/api/v1/dunning-policies/", policy_payload()).json()
    ids = [level["id"] for level in body["levels"]]
    other = collector_b.post("/api/v1/dunning-policies/", policy_payload(name="B")).json()
    # A new level inserted first, the two kept by id: they keep their rows.
    payload = policy_payload()
    new = {**payload["levels"][0], "name": "Early", "days_overdue": -9}
    payload["levels"] = [new] + [
        {**level, "id": level_id} for level, level_id in zip(payload["levels"], ids, strict=True)
    ]
    updated = collector_a.put(f"/api/v1/dunning-policies/{body['id']}/", payload, format="json")
    assert updated.status_code == 200, updated.content
    levels = updated.json()["levels"]
    assert [(lvl["number"], lvl["name"]) for lvl in levels] == [
        (1, "Early"),
        (2, "Reminder"),
        (3, "First"),
    ]
    assert [lvl["id"] for lvl in levels[1:]] == ids
    # The other tenant's level id names no level of this policy.
    before = collector_a.get(f"/api/v1/dunning-policies/{body['id']}/").json()
    payload["levels"][1]["id"] = other["levels"][0]["id"]
    refused = collector_a.put(f"/api/v1/dunning-policies/{body['id']}/", payload, format="json")
    assert refused.status_code == 404
    assert refused["Content-Type"].startswith(PROBLEM)
    assert collector_a.get(f"/api/v1/dunning-policies/{body['id']}/").json() == before
    with tenant_context(tenant_b):
        assert list(
            DunningLevel.objects.for_tenant(tenant_b).order_by("number").values_list("name")
        ) == [("Reminder",), ("First",)]


def test_policy_with_unknown_placeholder_or_overlap_is_422(collector_a, tenant_a):
    payload = policy_payload()
    payload["levels"][1]["templates"] = [
        {"language": "en", "subject": "Pay {amount_owed}", "body": "x", "letter_text": "y"}
    ]
    response = collector_a.post("/api/v1/dunning-policies/", payload)
    assert response.status_code == 422
    assert response["Content-Type"].startswith(PROBLEM)
    assert "{amount_owed}" in str(response.json())
    overlapping = policy_payload()
    overlapping["levels"][1]["days_overdue"] = -2
    response = collector_a.post("/api/v1/dunning-policies/", overlapping)
    assert response.status_code == 422
    assert "overlaps" in str(response.json())
    with tenant_context(tenant_a):
        assert not DunningPolicy.objects.for_tenant(tenant_a).exists()


@time_machine.travel(DAY, tick=False)
def test_run_preview_start_and_letters(collector_a, collector_b, book, tenant_a, tenant_b):
    collector_a.post("/api/v1/dunning-policies/", policy_payload())
    preview = collector_a.get("/api/v1/dunning-runs/preview/")
    assert preview.status_code == 200
    assert preview.json()["letters"] == 1
    assert preview.json()["items"][0]["level_number"] == 2
    assert collector_b.get("/api/v1/dunning-runs/preview/").json()["items"] == []
    started = collector_a.post("/api/v1/dunning-runs/", {})
    assert started.status_code == 201
    run = started.json()
    assert (run["letter_count"], run["notice_count"]) == (1, 1)
    again = collector_a.post("/api/v1/dunning-runs/", {"run_date": DAY.isoformat()})
    assert again.json()["id"] == run["id"]
    letters = collector_a.get(f"/api/v1/dunning-runs/{run['id']}/letters/").json()["results"]
    assert letters[0]["items"][0]["number"] == "INV-1"
    assert collector_b.get(f"/api/v1/dunning-runs/{run['id']}/").status_code == 404
    assert collector_b.get(f"/api/v1/dunning-runs/{run['id']}/letters/").status_code == 404
    assert collector_b.get("/api/v1/dunning-runs/").json()["results"] == []
    future = collector_a.post("/api/v1/dunning-runs/", {"run_date": "2999-01-01"})
    assert future.status_code in (400, 422)
    with tenant_context(tenant_b):
        assert not DunningRun.objects.for_tenant(tenant_b).exists()


@time_machine.travel(DAY, tick=False)
def test_activities_promises_and_worklist(collector_a, collector_b, book, tenant_a):
    c1, inv = book["customer"], book["invoice"]
    logged = collector_a.post(
        "/api/v1/activities/",
        {"customer_id": c1.pk, "kind": "call", "subject": "Called", "outcome": "no_answer"},
    )
    assert logged.status_code == 201
    foreign = collector_b.post(
        "/api/v1/activities/", {"customer_id": c1.pk, "kind": "note", "subject": "Sneaky"}
    )
    assert foreign.status_code == 404
    assert collector_b.get("/api/v1/activities/").json()["results"] == []
    promise = collector_a.post(
        "/api/v1/promises-to-pay/",
        {
            "customer_id": c1.pk,
            "amount": "250.00",
            "currency": "EUR",
            "promised_date": "2026-11-25",
            "item_ids": [inv.pk],
        },
    )
    assert promise.status_code == 201, promise.content
    promise_id = promise.json()["id"]
    assert promise.json()["item_ids"] == [inv.pk]
    bad = collector_a.post(
        "/api/v1/promises-to-pay/",
        {"customer_id": c1.pk, "amount": "1.00", "currency": "EUR", "promised_date": "2026-11-01"},
    )
    assert bad.status_code == 422
    assert "promised_date" in str(bad.json())
    assert collector_b.get(f"/api/v1/promises-to-pay/{promise_id}/").status_code == 404
    assert collector_b.post(f"/api/v1/promises-to-pay/{promise_id}/cancel/").status_code == 404
    cancelled = collector_a.post(f"/api/v1/promises-to-pay/{promise_id}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    again = collector_a.post(f"/api/v1/promises-to-pay/{promise_id}/cancel/")
    assert again.status_code == 409
    worklist = collector_a.get("/api/v1/worklist/").json()["results"]
    assert [row["customer_number"] for row in worklist] == ["C1"]
    assert worklist[0]["reasons"][0].startswith("250.00 EUR overdue")
    assert collector_b.get("/api/v1/worklist/").json()["results"] == []
    with tenant_context(tenant_a):
        assert CollectionActivity.objects.for_tenant(tenant_a).filter(kind="call").count() == 1
        assert PromiseToPay.objects.for_tenant(tenant_a).count() == 1
