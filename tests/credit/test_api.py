"""The credit API: orders with the decision in the response, analyst
actions, credit profiles; bad input; other tenants' ids answer 404 and
their data stays as it was."""

from __future__ import annotations

import pytest

from credit.models import Order, OrderEvent
from otc.tenancy.context import tenant_context
from tests.credit.helpers import D, post_invoice, set_limit, submitted
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def customer(in_tenant_a):
    customer = CustomerFactory(external_ref="ERP-C1", number="K-1")
    set_limit(in_tenant_a, customer, "1000")
    return customer


@pytest.fixture
def theirs(tenant_b):
    with tenant_context(tenant_b):
        customer = CustomerFactory()
        set_limit(tenant_b, customer, "500")
        return submitted(tenant_b, customer, "900", external_ref="B-1")


def body(customer, amount="100.00", **extra):
    data = {
        "customer_external_ref": customer.external_ref,
        "currency": "EUR",
        "requested_ship_date": "2099-01-31",
        "lines": [{"description": "Drive unit", "quantity": "2", "unit_price": amount}],
    }
    data.update(extra)
    return data


def test_submit_answers_with_the_decision(api_client_for, tenant_a, customer):
    client = api_client_for(tenant_a)
    ok = client.post("/api/v1/orders/", body(customer, "300.00", external_ref="SO-1"))
    assert ok.status_code == 201, ok.json()
    data = ok.json()
    assert data["status"] == "approved"
    assert data["decision"] == {
        "outcome": "approved",
        "may_ship": True,
        "reasons": [],
        "prepayment_required": False,
        "note": "",
        "decided_at": data["decision"]["decided_at"],
    }
    assert (data["total_amount"], data["base_amount"], data["open_base_amount"]) == (
        "600.00",
        "600.00",
        "600.00",
    )
    assert ok["Location"] == f"/api/v1/orders/{data['id']}/"

    held = client.post("/api/v1/orders/", body(customer, "250.00", external_ref="SO-2")).json()
    assert held["status"] == "held"
    assert held["decision"]["may_ship"] is False
    assert held["decision"]["reasons"] == [
        {
            "code": "over_limit",
            "message": "Over limit by EUR 100.00: limit EUR 1,000.00, exposure EUR 600.00, "
            "this order EUR 500.00.",
            "amount": "100.0000",
            "currency": "EUR",
        }
    ]
    polled = client.get("/api/v1/orders/", {"updated_since": "2000-01-01T00:00:00Z"}).json()
    assert [o["external_ref"] for o in polled["results"]] == ["SO-1", "SO-2"]


def test_draft_then_submit_and_held_resubmit_is_409(api_client_for, tenant_a, customer):
    client = api_client_for(tenant_a)
    draft = client.post("/api/v1/orders/", body(customer, "600.00", submit=False)).json()
    assert draft["status"] == "draft"
    held = client.post(f"/api/v1/orders/{draft['id']}/submit/").json()
    assert held["status"] == "held"
    again = client.post(f"/api/v1/orders/{draft['id']}/submit/")
    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again.json()["type"] == "urn:otc:problem:illegal_transition"
    assert OrderEvent.objects.filter(order_id=draft["id"]).count() == 1


def test_bad_input_is_4xx_and_changes_nothing(api_client_for, tenant_a, customer, theirs):
    client = api_client_for(tenant_a)
    client.post("/api/v1/orders/", body(customer, external_ref="DUP"))
    cases = [
        (body(customer, customer_external_ref="NOPE"), 400, "customer_external_ref"),
        (
            {**body(customer), "customer_external_ref": None, "customer_id": theirs.customer_id},
            400,
            "customer_id",
        ),
        (body(customer, currency="EUX"), 400, "currency"),
        (body(customer, currency="JPY"), 422, "currency"),
        (
            {
                **body(customer),
                "lines": [{"description": "x", "quantity": "-1", "unit_price": "5"}],
            },
            400,
            "lines[0].quantity",
        ),
        (body(customer, external_ref="DUP"), 409, None),
        (body(customer, colour="red"), 400, "colour"),
    ]
    for sent, status, field in cases:
        payload = {k: v for k, v in sent.items() if v is not None}
        response = client.post("/api/v1/orders/", payload)
        assert response.status_code == status, (payload, response.json())
        assert response["Content-Type"] == PROBLEM
        if field:
            fields = {error["field"] for error in response.json()["errors"]}
            assert field in fields, response.json()
    dup = client.post("/api/v1/orders/", body(customer, external_ref="DUP")).json()
    assert dup["type"] == "urn:otc:problem:duplicate_external_ref"
    assert Order.objects.count() == 1
    with tenant_context(theirs.tenant):
        assert Order.objects.count() == 1


def test_idempotent_retry_replays_the_decision(api_client_for, tenant_a, customer):
    client = api_client_for(tenant_a)
    first = client.post("/api/v1/orders/", body(customer), idempotency_key="k-1")
    again = client.post("/api/v1/orders/", body(customer), idempotency_key="k-1")
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_analyst_actions_need_credit_approve(api_client_for, tenant_a, customer):
    erp = api_client_for(tenant_a)
    analyst = api_client_for(tenant_a, role="credit_analyst")
    held = erp.post("/api/v1/orders/", body(customer, "700.00")).json()
    url = f"/api/v1/orders/{held['id']}"
    assert erp.post(f"{url}/release/", {}).status_code == 403
    bad = analyst.post(f"{url}/release/", {"amount": "1400.01"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "amount"
    released = analyst.post(
        f"{url}/release/", {"amount": "800", "prepayment_required": True, "note": "2 pallets"}
    ).json()
    assert released["status"] == "released"
    assert released["released_amount"] == "800.00"
    assert released["open_base_amount"] == "800.00"
    assert released["decision"]["prepayment_required"] is True
    assert released["decision"]["may_ship"] is True
    assert erp.get(url + "/").json()["status"] == "released"

    other = erp.post("/api/v1/orders/", body(customer, "700.00")).json()
    no_note = analyst.post(f"/api/v1/orders/{other['id']}/reject/", {})
    assert no_note.status_code == 400
    asked = analyst.post(
        f"/api/v1/orders/{other['id']}/request-info/", {"note": "Latest accounts please"}
    ).json()
    assert asked["status"] == "info_requested"
    rejected = analyst.post(f"/api/v1/orders/{other['id']}/reject/", {"note": "No"}).json()
    assert rejected["status"] == "rejected"


def test_credit_profiles_show_exposure_and_limits_change(api_client_for, tenant_a, customer):
    post_invoice(tenant_a, customer, "250.00")
    manager = api_client_for(tenant_a, role="credit_manager", approval_limit="10000")
    erp = api_client_for(tenant_a)
    listing = erp.get("/api/v1/credit-profiles/").json()
    assert [(p["customer_id"], p["exposure"]) for p in listing["results"]] == [
        (customer.pk, "250.00")
    ]
    detail = erp.get(f"/api/v1/credit-profiles/{customer.pk}/").json()
    assert detail["exposure_breakdown"]["available"] == "750.00"
    assert detail["exposure_breakdown"]["utilization_percent"] == "25.0"
    assert erp.post(f"/api/v1/credit-profiles/{customer.pk}/limit/", {}).status_code == 403
    changed = manager.post(
        f"/api/v1/credit-profiles/{customer.pk}/limit/", {"amount": "5000", "reason": "Growth"}
    ).json()
    assert changed["credit_limit"] == "5000.00"
    blocked = manager.patch(
        f"/api/v1/credit-profiles/{customer.pk}/",
        {"is_blocked": True, "blocked_reason": "Cheque bounced", "risk_class": "D"},
    ).json()
    assert (blocked["is_blocked"], blocked["risk_class"]) == (True, "D")
    no_reason = manager.patch(f"/api/v1/credit-profiles/{customer.pk}/", {"is_blocked": True})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "blocked_reason"


def test_other_tenants_ids_answer_404_and_stay_unchanged(api_client_for, tenant_a, theirs):
    analyst = api_client_for(tenant_a, role="credit_manager")
    order_id, customer_id = theirs.pk, theirs.customer_id
    paths = [
        ("get", f"/api/v1/orders/{order_id}/", None),
        ("post", f"/api/v1/orders/{order_id}/submit/", {}),
        ("post", f"/api/v1/orders/{order_id}/release/", {}),
        ("post", f"/api/v1/orders/{order_id}/reject/", {"note": "x"}),
        ("post", f"/api/v1/orders/{order_id}/request-info/", {"note": "x"}),
        ("post", f"/api/v1/orders/{order_id}/cancel/", {}),
        ("get", f"/api/v1/credit-profiles/{customer_id}/", None),
        ("patch", f"/api/v1/credit-profiles/{customer_id}/", {"risk_class": "A"}),
        ("post", f"/api/v1/credit-profiles/{customer_id}/limit/", {"amount": "9", "reason": "x"}),
    ]
    for method, path, payload in paths:
        response = getattr(analyst, method)(path, payload)
        assert response.status_code == 404, (path, response.json())
    assert analyst.get("/api/v1/orders/").json()["results"] == []
    assert analyst.get("/api/v1/credit-profiles/").json()["results"] == []
    with tenant_context(theirs.tenant):
        fresh = Order.objects.get(pk=order_id)
        assert (fresh.status, fresh.released_amount) == ("held", D("0"))
        assert OrderEvent.objects.filter(order=fresh).count() == 1
        from credit.models import CreditProfile

        profile = CreditProfile.objects.get(customer_id=customer_id)
        assert (profile.credit_limit, profile.risk_class) == (D("500"), "C")


def test_schema_documents_every_reason_code(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    reason = schema["components"]["schemas"]["Reason"]["properties"]["code"]
    enum_ref = reason.get("allOf", [reason])[0].get("$ref", "")
    enum = (
        schema["components"]["schemas"][enum_ref.rsplit("/", 1)[-1]]["enum"]
        if enum_ref
        else reason["enum"]
    )
    assert set(enum) == {
        "over_limit",
        "group_limit_exceeded",
        "overdue_items",
        "customer_blocked",
        "customer_inactive",
        "review_expired",
        "high_risk_class",
    }
    assert "/api/v1/orders/{order_id}/release/" in schema["paths"]


def test_profile_shows_the_score_breakdown_and_rating_rescores(api_client_for, tenant_a, customer):
    manager = api_client_for(tenant_a, role="credit_manager")
    url = f"/api/v1/credit-profiles/{customer.pk}/"
    assert manager.get(url).json()["score"] is None
    rated = manager.patch(url, {"external_rating": "AA", "external_rating_agency": "Moody's"})
    body = rated.json()
    assert (body["external_rating"], body["external_rating_agency"]) == ("AA", "Moody's")
    assert body["score"] is not None
    factors = {row["factor"]: row for row in body["score_breakdown"]}
    assert factors["external_rating"]["points"] == 90
    assert factors["external_rating"]["input"] == "AA (Moody's)"
    manual = manager.patch(url, {"risk_class": "B"}).json()
    assert (manual["risk_class"], manual["risk_class_manual"]) == ("B", True)
    bad = manager.patch(url, {"external_rating": "ZZZ"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "external_rating"


def test_order_outbox_for_polling(api_client_for, tenant_a, customer, theirs):
    erp = api_client_for(tenant_a)
    analyst = api_client_for(tenant_a, role="credit_analyst")
    held = erp.post("/api/v1/orders/", body(customer, "700.00", external_ref="SO-X")).json()
    analyst.post(f"/api/v1/orders/{held['id']}/release/", {"amount": "500"})
    events = erp.get("/api/v1/order-events/").json()
    assert [(e["order_id"], e["kind"], e["status"]) for e in events] == [
        (held["id"], "held", "held"),
        (held["id"], "released", "released"),
    ]
    assert events[1]["payload"]["released_amount"] == "500.00"
    after = erp.get("/api/v1/order-events/", {"after": events[0]["id"]}).json()
    assert [e["kind"] for e in after] == ["released"]
    assert erp.get("/api/v1/order-events/", {"after": events[1]["id"]}).json() == []


def test_the_answer_to_a_submission_is_the_order_as_stored(api_client_for, tenant_a, customer):
    """The POST answers from the order and lines it wrote, without reading
    them back: it must equal what a later GET reads from the database."""
    client = api_client_for(tenant_a)
    lines = [
        {"sku": "DU-1", "description": " Drive unit ", "quantity": "2.5", "unit_price": "99.99"},
        {"description": "Gearbox", "quantity": "1", "unit_price": "100", "tax_rate": "19"},
        {"description": "Freight", "quantity": "0.3333", "unit_price": "12.345678"},
    ]
    for ref, extra in (
        ("SO-A", {"customer_po": "PO 7", "notes": "Ring first", "order_date": "2026-01-15"}),
        ("SO-H", {"requested_ship_date": None, "lines": lines * 3}),  # held: over the limit
        (None, {"submit": False}),
    ):
        payload = {**body(customer, external_ref=ref), "lines": lines, **extra}
        if ref is None:
            del payload["external_ref"]
        created = client.post("/api/v1/orders/", payload)
        assert created.status_code == 201, created.json()
        answer = created.json()
        assert answer == client.get(created["Location"]).json()
        assert [line["position"] for line in answer["lines"]] == list(
            range(1, len(payload["lines"]) + 1)
        )
    assert [o["status"] for o in client.get("/api/v1/orders/").json()["results"]] == [
        "draft",
        "held",
        "approved",
    ]


def test_order_representation_is_drfs_own(tenant_a, customer):
    """OrderOutputSerializer builds its dict directly; DRF's field-by-field
    rendering of the declared fields must give the same, in every state."""
    from rest_framework import serializers

    from credit.api.serializers import OrderOutputSerializer
    from credit.services import order_release
    from tests.credit.helpers import SYSTEM, new_order

    approved = submitted(tenant_a, customer, "300.00", external_ref="R-1")
    held = submitted(tenant_a, customer, "900.00", ship_in_days=None)
    released = order_release(
        tenant=tenant_a, actor=SYSTEM, order=submitted(tenant_a, customer, "950"), amount=D("10")
    )
    draft = new_order(tenant_a, customer, "0.01")
    orders = [approved, held, released, draft]
    assert held.hold_reasons
    assert held.requested_ship_date is None
    stored = list(
        Order.objects.filter(pk__in=[o.pk for o in orders])
        .select_related("customer")
        .prefetch_related("lines")
    )
    for order in [*orders, *stored]:
        serializer = OrderOutputSerializer(order)
        fields_rendered = serializers.Serializer.to_representation(serializer, order)
        assert serializer.data == fields_rendered
    many = OrderOutputSerializer(stored, many=True).data
    assert many == [
        serializers.Serializer.to_representation(OrderOutputSerializer(), o) for o in stored
    ]


def test_an_api_key_is_bound_by_its_approval_limit(api_client_for, tenant_a, customer, theirs):
    """A key acting as a credit manager may set limits up to its own approval
    limit, as a person may; above it the change is refused and nothing moves.
    A credit application it approves above its limit is escalated to a person."""
    capped = api_client_for(tenant_a, role="credit_manager", approval_limit="2500")
    unlimited_before = capped.get(f"/api/v1/credit-profiles/{customer.pk}/").json()
    limit_url = f"/api/v1/credit-profiles/{customer.pk}/limit/"

    refused = capped.post(limit_url, {"amount": "2500.01", "reason": "Growth"})
    assert refused.status_code == 403
    assert refused["Content-Type"] == PROBLEM
    assert refused.json()["type"] == "urn:otc:problem:approval_limit_exceeded"
    assert "This API key's approval limit is EUR 2,500.00" in refused.json()["detail"]
    after = capped.get(f"/api/v1/credit-profiles/{customer.pk}/").json()
    assert after["credit_limit"] == unlimited_before["credit_limit"] == "1000.00"

    within = capped.post(limit_url, {"amount": "2500.00", "reason": "Growth"})
    assert within.json()["credit_limit"] == "2500.00"

    default = api_client_for(tenant_a, role="credit_manager")  # approval limit 0
    assert default.post(limit_url, {"amount": "2500.01", "reason": "x"}).status_code == 403
    lowered = default.post(limit_url, {"amount": "2000", "reason": "Slow payer"})
    assert lowered.json()["credit_limit"] == "2000.00"  # restricting credit needs no limit

    application = capped.post(
        "/api/v1/credit-applications/",
        {"customer_id": customer.pk, "requested_limit": "9000.00"},
    ).json()
    url = f"/api/v1/credit-applications/{application['id']}"
    capped.post(f"{url}/start-review/")
    escalated = capped.post(f"{url}/approve/", {}).json()
    assert (escalated["status"], escalated["escalated"]) == ("under_review", True)
    assert capped.get(f"/api/v1/credit-profiles/{customer.pk}/").json()["credit_limit"] == (
        "2000.00"
    )
    with tenant_context(theirs.tenant):
        from credit.models import CreditProfile

        other = CreditProfile.objects.get(customer_id=theirs.customer_id)
        assert other.credit_limit == D("500")
