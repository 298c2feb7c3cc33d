"""/api/v1/reports/aging/ (+ items) and the HTML pages: figures, filters,
problem+json on bad input, and the other tenant's data never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otc.tenancy.context import tenant_context
from reporting.models import ReportingSettings

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/aging/"


def test_api_aging_by_customer_for_the_erp(book, api_client_for):
    client = api_client_for(book.tenant)  # the ERP role
    response = client.get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [b["label"] for b in body["buckets"]] == [
        "Current",
        "1-30",
        "31-60",
        "61-90",
        "91-120",
        "120+",
    ]
    rows = {row["key"]: row for row in body["rows"]}
    assert rows[str(book.acme.pk)]["buckets"][:2] == ["1000.00", "1600.00"]
    assert rows[str(book.acme.pk)]["unapplied"] == "-300.00"
    assert rows[str(book.acme_at.pk)]["deductions"] == "100.00"
    assert body["totals"][0]["total"] == "3800.00"
    assert body["count"] == 3


def test_api_document_currency_grouped_by_country_in_the_past(book, api_client_for):
    client = api_client_for(book.tenant)
    as_of = (book.today - timedelta(days=60)).isoformat()
    response = client.get(URL, {"as_of": as_of, "group_by": "country", "amount_in": "document"})
    assert response.status_code == 200, response.content
    rows = {(row["key"], row["currency"]): row for row in response.json()["rows"]}
    # 60 days ago: I-5 (USD 1,000, due 40 days ago) was not due yet; I-3 was
    # 15 days overdue; the deduction was open; Acme (DE) had nothing yet.
    assert set(rows) == {("GB", "USD"), ("AT", "EUR")}
    assert rows[("GB", "USD")]["buckets"][0] == "1000.00"
    assert rows[("AT", "EUR")]["buckets"][1] == "500.00"
    assert rows[("AT", "EUR")]["deductions"] == "100.00"


def test_api_items_drill_down(book, api_client_for):
    client = api_client_for(book.tenant)
    response = client.get(
        URL + "items/", {"group_by": "customer", "key": str(book.acme.pk), "column": "unapplied"}
    )
    assert response.status_code == 200, response.content
    (item,) = response.json()["results"]
    assert (item["number"], item["open_amount"], item["open_base_amount"]) == (
        "P-1",
        "-300.00",
        "-300.00",
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2199-01-01"}, "as_of"),
        ({"group_by": "planet"}, "group_by"),
        ({"buckets": "30,30,60"}, "buckets"),
        ({"buckets": "60,30"}, "buckets"),
        ({"buckets": "thirty"}, "buckets"),
        ({"page_size": "0"}, "page_size"),
    ],
)
def test_api_bad_filters_are_problems(book, api_client_for, params, field):
    response = api_client_for(book.tenant).get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in str(response.json())


def test_api_unknown_drill_down_column_is_a_problem(book, api_client_for):
    response = api_client_for(book.tenant).get(
        URL + "items/", {"key": str(book.acme.pk), "column": "999+"}
    )
    assert response.status_code == 422
    assert "Unknown column" in response.json()["detail"]


def test_api_other_tenant_sees_only_its_own_book(book, tenant_b, api_client_for):
    client_b = api_client_for(tenant_b)
    body = client_b.get(URL).json()
    assert [row["label"] for row in body["rows"]] == ["C-1 Other Tenant Inc"]
    assert body["totals"][0]["total"] == "99999.00"
    # Tenant A's customer as a drill-down key: nothing, not A's items.
    items = client_b.get(URL + "items/", {"key": str(book.acme.pk), "column": "total"})
    assert items.status_code == 200
    assert items.json()["results"] == []


def test_api_needs_the_reports_permission(book, api_client_for):
    # Every API role that exists reads reports; an unauthenticated call does not.
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code == 401


def test_aging_page_with_drill_down_links(book, signed_in_client):
    client = signed_in_client(book.tenant, "executive")
    response = client.get("/reports/aging/", {"group_by": "customer_group"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Group AG" in html
    assert '<th scope="col">Customer group</th>' in html
    assert "Other Tenant" not in html
    assert "column=deductions" in html
    items = client.get(
        "/reports/aging/items/",
        {"group_by": "customer_group", "key": str(book.acme.pk), "column": "61-90"},
    )
    assert items.status_code == 200
    assert "I-3" in items.content.decode()


def test_aging_page_explains_bad_input(book, signed_in_client):
    client = signed_in_client(book.tenant, "collector")
    response = client.get("/reports/aging/", {"buckets": "90,30"})
    assert response.status_code == 200
    assert "must not overlap" in response.content.decode()


def test_bucket_settings_validate_and_apply(book, signed_in_client):
    owner = signed_in_client(book.tenant, "owner")
    refused = owner.post("/reports/settings/", {"buckets": "30, 30"})
    assert refused.status_code == 200
    assert "must not overlap" in refused.content.decode()
    saved = owner.post("/reports/settings/", {"buckets": "15, 45"})
    assert saved.status_code == 302
    with tenant_context(book.tenant):
        assert ReportingSettings.objects.for_tenant(book.tenant).get().bucket_days == [15, 45]
    page = owner.get("/reports/aging/").content.decode()
    assert "16-45" in page
    # A collector may read reports but not change the tenant's buckets.
    collector = signed_in_client(book.tenant, "collector")
    assert collector.post("/reports/settings/", {"buckets": "10"}).status_code == 403
