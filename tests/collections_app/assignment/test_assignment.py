"""Collector assignment: rules by country, region, segment and exposure band
in priority order; a manual collector the rules never overwrite; the page
and the API; the other tenant untouched."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from collections_app.assignment.models import CollectorOverride, CollectorRule
from collections_app.assignment.services import (
    RuleInput,
    collector_override_set,
    collector_rule_create,
    collectors_assign,
)
from otc.audit.models import AuditEvent
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from tests.collections_app.dunning.helpers import SYSTEM, customer, invoice
from tests.collections_app.strategies.test_strategies import member

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


def _collector(tenant, cust) -> int | None:
    with tenant_context(tenant):
        return Customer.objects.get(pk=cust.pk).collector_id


def test_rules_in_priority_order_and_the_manual_override_wins(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        eve = member(tenant_b, "collector", "eve@bravo.example")
        foreign = customer(tenant_b, "B1", collector=eve)
    with tenant_context(tenant_a):
        big = member(tenant_a, "collector", "big@alpha.example")
        dach = member(tenant_a, "collector", "dach@alpha.example")
        retail = member(tenant_a, "collector", "retail@alpha.example")
        rest = member(tenant_a, "collector", "rest@alpha.example")
        for priority, who, extra in (
            (10, big, {"min_exposure": Decimal("10000.00")}),
            (20, retail, {"segment": "retail"}),
            (30, dach, {"country": "de", "region": "South"}),
            (40, rest, {}),
        ):
            collector_rule_create(
                tenant=tenant_a,
                actor=SYSTEM,
                data=RuleInput(priority=priority, collector_id=who.pk, **extra),
            )
        whale = customer(tenant_a, "C1", region="South", segment="retail")
        invoice(tenant_a, whale, "INV-1", "15000.00", due=DAY)
        shop = customer(tenant_a, "C2", region="South", segment="retail")
        invoice(tenant_a, shop, "INV-2", "100.00", due=DAY - timedelta(days=3))
        southern = customer(tenant_a, "C3", region="South")
        northern = customer(tenant_a, "C4", region="North")
        kept = customer(tenant_a, "C5", region="South", collector=rest)
        collector_override_set(
            tenant=tenant_a, actor=SYSTEM, customer_id=kept.pk, collector_id=big.pk
        )

        assert collectors_assign(tenant=tenant_a, actor=SYSTEM) == 4
        assert collectors_assign(tenant=tenant_a, actor=SYSTEM) == 0  # nothing left to move
    assert _collector(tenant_a, whale) == big.pk  # exposure 15,000: rule 10
    assert _collector(tenant_a, shop) == retail.pk
    assert _collector(tenant_a, southern) == dach.pk
    assert _collector(tenant_a, northern) == rest.pk
    assert _collector(tenant_a, kept) == big.pk  # the override, not rule 30
    assert _collector(tenant_b, foreign) == eve.pk
    with tenant_context(tenant_a):
        assert AuditEvent.objects.filter(action="customers.collector_assigned").count() == 4
        # Nobody, chosen by hand, also survives the rules.
        collector_override_set(
            tenant=tenant_a, actor=SYSTEM, customer_id=northern.pk, collector_id=None
        )
        assert collectors_assign(tenant=tenant_a, actor=SYSTEM) == 0
    assert _collector(tenant_a, northern) is None


def test_rule_input_is_checked(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        stranger = member(tenant_b, "collector", "eve@bravo.example")
    with tenant_context(tenant_a):
        kim = member(tenant_a, "collector", "kim@alpha.example")
        with pytest.raises(ValidationFailed) as bad:
            collector_rule_create(
                tenant=tenant_a,
                actor=SYSTEM,
                data=RuleInput(
                    priority=1,
                    collector_id=stranger.pk,
                    country="Germany",
                    min_exposure=Decimal(500),
                    max_exposure=Decimal(100),
                ),
            )
        assert set(bad.value.errors) == {"collector_id", "country", "max_exposure"}
        collector_rule_create(
            tenant=tenant_a, actor=SYSTEM, data=RuleInput(priority=1, collector_id=kim.pk)
        )
        with pytest.raises(ValidationFailed) as twice:
            collector_rule_create(
                tenant=tenant_a, actor=SYSTEM, data=RuleInput(priority=1, collector_id=kim.pk)
            )
        assert twice.value.errors == {
            "priority": ["Another rule already has priority 1; choose another number."]
        }


def test_assignment_page_and_customer_page_override(tenant_a, tenant_b, signed_in_client):
    client = signed_in_client(tenant_a, "collector")
    kim = client.user
    with tenant_context(tenant_b):
        other_rule = CollectorRule.objects.for_tenant(tenant_b).create(
            tenant=tenant_b, priority=1, collector=member(tenant_b, "collector", "e@b.example")
        )
    with tenant_context(tenant_a):
        cust = customer(tenant_a, "C1")
        pinned = customer(tenant_a, "C2")
    added = client.post(
        "/collections/assignment/",
        {"action": "add_rule", "priority": "5", "collector_id": str(kim.pk), "country": "DE"},
        follow=True,
    )
    assert "Rule added" in added.content.decode()
    bad = client.post(
        "/collections/assignment/",
        {"action": "add_rule", "priority": "6", "collector_id": str(kim.pk), "country": "XYZ"},
    )
    assert "Ensure this value has at most 2 characters" in bad.content.decode()
    # Chosen by hand on the customer page: nobody, and the rules keep it so.
    client.post(
        f"/collections/customers/{pinned.pk}/", {"action": "collector", "collector-collector": ""}
    )
    assigned = client.post("/collections/assignment/", {"action": "assign"}, follow=True)
    assert "Rules applied: 1 customers changed collector." in assigned.content.decode()
    assert _collector(tenant_a, cust) == kim.pk
    assert _collector(tenant_a, pinned) is None
    page = client.get("/collections/assignment/").content.decode()
    assert "C2 GmbH" in page  # listed among the manual collectors
    assert "e@b.example" not in page
    deleted = client.post(
        "/collections/assignment/", {"action": "delete_rule", "id": str(other_rule.pk)}
    )
    assert deleted.status_code == 404
    with tenant_context(tenant_b):
        assert CollectorRule.objects.count() == 1
    client.post("/collections/assignment/", {"action": "clear_override", "id": str(pinned.pk)})
    with tenant_context(tenant_a):
        assert not CollectorOverride.objects.exists()


def test_assignment_api(tenant_a, tenant_b, api_client_for):
    api = api_client_for(tenant_a, "collector")
    other_api = api_client_for(tenant_b, "collector")
    with tenant_context(tenant_a):
        kim = member(tenant_a, "collector", "kim@alpha.example")
        lou = member(tenant_a, "collector", "lou@alpha.example")
        c1 = customer(tenant_a, "C1")
        c2 = customer(tenant_a, "C2")
    with tenant_context(tenant_b):
        foreign = customer(tenant_b, "B1")

    created = api.post("/api/v1/collector-rules/", {"priority": 1, "collector_id": kim.pk})
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    clash = api.post("/api/v1/collector-rules/", {"priority": 1, "collector_id": kim.pk})
    assert clash.status_code == 422
    assert clash["Content-Type"].startswith("application/problem+json")
    assert "priority" in clash.content.decode()
    pinned = api.post(
        "/api/v1/collector-overrides/", {"customer_id": c2.pk, "collector_id": lou.pk}
    )
    assert pinned.status_code == 200, pinned.content
    assert pinned.json()["collector_id"] == lou.pk
    assert api.post("/api/v1/collector-assignment/").json() == {"changed": 1}
    assert _collector(tenant_a, c1) == kim.pk
    assert _collector(tenant_a, c2) == lou.pk
    listed = api.get("/api/v1/collector-rules/").json()["results"]
    assert [row["id"] for row in listed] == [rule_id]

    # The other tenant sees none of it and cannot touch it.
    assert other_api.get("/api/v1/collector-rules/").json()["results"] == []
    assert other_api.delete(f"/api/v1/collector-rules/{rule_id}/").status_code == 404
    assert other_api.delete(f"/api/v1/collector-overrides/{c2.pk}/").status_code == 404
    assert other_api.post("/api/v1/collector-assignment/").json() == {"changed": 0}
    assert (
        api.post(
            "/api/v1/collector-overrides/", {"customer_id": foreign.pk, "collector_id": kim.pk}
        ).status_code
        == 404
    )
    assert _collector(tenant_b, foreign) is None
    assert api.delete(f"/api/v1/collector-overrides/{c2.pk}/").status_code == 204
    assert api.delete(f"/api/v1/collector-rules/{rule_id}/").status_code == 204
