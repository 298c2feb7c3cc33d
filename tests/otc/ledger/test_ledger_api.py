"""The AR ledger API: customer balance and aging, the open-item list with
delta sync, permissions, bad input and tenant isolation, on the book worked
by hand in tests/otc/fx/conftest.py."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from otc.ledger.models import ItemKind
from otc.tenancy.context import tenant_context
from tests.otc.fx.books import apply, build_foreign_book, post
from tests.otc.ledger.conftest import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_book(tenant_a, tenant_b):
    """The hand-worked book of tests/otc/fx/books.py."""
    return build_foreign_book(tenant_a, tenant_b)


ITEMS = "/api/v1/open-items/"
PROBLEM = "application/problem+json"


def _balance(customer_id):
    return f"/api/v1/customers/{customer_id}/balance/"


def _aging(customer_id):
    return f"/api/v1/customers/{customer_id}/aging/"


def _fields(problem):
    return {error["field"] for error in problem["errors"]}


@pytest.fixture
def erp(api_client_for, tenant_a):
    return api_client_for(tenant_a)


# --- balance ---------------------------------------------------------------------------


def test_balance_per_currency_and_in_base(foreign_book, erp):
    customer, _ = foreign_book
    response = erp.get(_balance(customer.pk))
    assert response.status_code == 200
    assert response.json() == {
        "customer_id": customer.pk,
        "base_currency": "EUR",
        # CHF 315.00 + EUR 100.00 + GBP 600.00 + USD (INV-5 186.00 - PAY-2 227.50)
        "balance_base": "973.50",
        "by_currency": [
            {"currency": "CHF", "open_amount": "300.00"},
            {"currency": "EUR", "open_amount": "100.00"},
            {"currency": "GBP", "open_amount": "500.00"},
            {"currency": "USD", "open_amount": "-50.00"},
        ],
    }


def test_balance_of_a_customer_with_nothing_open(erp, tenant_a):
    with tenant_context(tenant_a):
        customer = make_customer(tenant_a, "Z-1")
    assert erp.get(_balance(customer.pk)).json() == {
        "customer_id": customer.pk,
        "base_currency": "EUR",
        "balance_base": "0.00",
        "by_currency": [],
    }


# --- aging -------------------------------------------------------------------------------


def test_aging_as_of_a_past_month_end(foreign_book, erp):
    customer, items = foreign_book
    response = erp.get(_aging(customer.pk), {"as_of": "2026-01-31"})
    assert response.status_code == 200
    body = response.json()
    assert (body["as_of"], body["base_currency"]) == ("2026-01-31", "EUR")
    assert [(b["label"], b["days_from"], b["days_to"], b["amount"]) for b in body["buckets"]] == [
        ("Current", None, 0, "855.00"),  # INV-1 540.00 (USD 600.00 left) + INV-3 315.00
        ("1-30", 1, 30, "700.00"),  # INV-2 600.00 (6 days) + INV-4 100.00 (19 days, no due date)
        ("31-60", 31, 60, "0.00"),
        ("61-90", 61, 90, "0.00"),
        ("91-120", 91, 120, "0.00"),
        ("120+", 121, None, "0.00"),
    ]
    assert (body["unapplied"], body["total"]) == ("-227.50", "1327.50")
    rows = [
        (
            i["number"],
            i["currency"],
            i["open_amount"],
            i["open_base_amount"],
            i["days_past_due"],
            i["bucket"],
        )
        for i in body["items"]
    ]
    assert rows == [
        ("INV-2", "GBP", "500.00", "600.00", 6, "1-30"),
        ("INV-1", "USD", "600.00", "540.00", -4, "Current"),
        ("INV-3", "CHF", "300.00", "315.00", -14, "Current"),
        ("INV-4", "EUR", "100.00", "100.00", 19, "1-30"),
        ("PAY-2", "USD", "-250.00", "-227.50", 3, None),
    ]
    assert body["items"][1]["id"] == items["INV-1"].pk
    assert body["items"][1]["amount"] == "1000.00"


def test_aging_with_own_buckets(foreign_book, erp):
    customer, _ = foreign_book
    body = erp.get(_aging(customer.pk), {"as_of": "2026-01-31", "buckets": "0,5,10"}).json()
    assert [(b["label"], b["amount"]) for b in body["buckets"]] == [
        ("Current", "855.00"),
        ("1-5", "0.00"),
        ("6-10", "600.00"),
        ("10+", "100.00"),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2026-02-30"}, "as_of"),
        ({"as_of": "31/01/2026"}, "as_of"),
        ({"as_of": "0001-01-01"}, "as_of"),
        ({"buckets": "0,abc"}, "buckets"),
        ({"buckets": "30,60"}, "buckets"),
        ({"buckets": "0,60,30"}, "buckets"),
        ({"buckets": "0,-5"}, "buckets"),
        ({"buckets": "0,99999"}, "buckets"),
        ({"buckets": ",".join(str(n * 10) for n in range(20))}, "buckets"),
    ],
)
def test_bad_aging_query_is_a_400_problem(foreign_book, erp, params, field):
    customer, _ = foreign_book
    response = erp.get(_aging(customer.pk), params)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert _fields(response.json()) == {field}


# --- the open-item list ---------------------------------------------------------------------


def test_open_items_filtered_and_formatted(foreign_book, erp):
    customer, _ = foreign_book
    body = erp.get(ITEMS, {"customer": customer.pk, "status": "open"}).json()
    numbers = [row["number"] for row in body["results"]]
    assert numbers == ["INV-5", "INV-4", "INV-3", "INV-2", "PAY-2"]  # newest first
    inv2 = next(row for row in body["results"] if row["number"] == "INV-2")
    keys = ("kind", "currency", "amount", "open_amount", "fx_rate", "base_currency", "base_amount",
            "open_base_amount", "document_date", "due_date", "status", "closed_on",
            "customer_number")  # fmt: skip
    assert {key: inv2[key] for key in keys} == {
        "kind": "invoice",
        "currency": "GBP",
        "amount": "500.00",
        "open_amount": "500.00",
        "fx_rate": "1.2000000000",
        "base_currency": "EUR",
        "base_amount": "600.00",
        "open_base_amount": "600.00",
        "document_date": "2026-01-10",
        "due_date": "2026-01-25",
        "status": "open",
        "closed_on": None,
        "customer_number": "R-1",
    }
    inv1 = erp.get(ITEMS, {"customer": customer.pk, "status": "closed", "currency": "usd"}).json()
    closed = {row["number"]: row for row in inv1["results"]}
    assert set(closed) == {"INV-1", "INV-6", "PAY-1", "PAY-3", "PAY-4"}
    assert (closed["INV-1"]["open_amount"], closed["INV-1"]["closed_on"]) == ("0.00", "2026-02-03")
    payments = erp.get(ITEMS, {"kind": "payment"}).json()["results"]
    assert {row["number"] for row in payments} == {"PAY-1", "PAY-2", "PAY-3", "PAY-4"}


def test_cursor_pages_cover_every_item_once(foreign_book, erp):
    seen, url = [], ITEMS + "?page_size=3"
    while url:
        page = erp.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 10


def test_delta_sync_with_updated_since(foreign_book, erp, tenant_a):
    customer, items = foreign_book
    watermark = timezone.now()
    assert erp.get(ITEMS, {"updated_since": watermark.isoformat()}).json()["results"] == []
    with tenant_context(tenant_a):
        payment = post(tenant_a, customer, ItemKind.PAYMENT, "PAY-9", "USD", "50.00",
                       date(2026, 3, 2), "0.95")  # fmt: skip
        apply(tenant_a, items["INV-5"], payment, "50.00", date(2026, 3, 2))
    results = erp.get(ITEMS, {"updated_since": watermark.isoformat()}).json()["results"]
    # The application changed both items at the same instant; ids break the tie.
    assert [row["number"] for row in results] == ["INV-5", "PAY-9"]
    inv5, pay9 = results
    assert (inv5["open_amount"], inv5["open_base_amount"]) == ("150.00", "139.50")
    assert (pay9["open_amount"], pay9["status"]) == ("0.00", "closed")
    assert inv5["updated_at"] == pay9["updated_at"] > inv5["created_at"]
    again = erp.get(ITEMS, {"updated_since": inv5["updated_at"]}).json()["results"]
    assert [row["number"] for row in again] == ["INV-5", "PAY-9"]
    after = datetime.fromisoformat(inv5["updated_at"]) + timedelta(microseconds=1)
    assert erp.get(ITEMS, {"updated_since": after.isoformat()}).json()["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "paid"}, "status"),
        ({"kind": "coupon"}, "kind"),
        ({"currency": "ZZZ"}, "currency"),
        ({"customer": "abc"}, "customer"),
        ({"customer": "0"}, "customer"),
        ({"customer": "99999999999999999999"}, "customer"),
        ({"updated_since": "last week"}, "updated_since"),
    ],
)
def test_bad_list_query_is_a_400_problem(erp, params, field):
    response = erp.get(ITEMS, params)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert _fields(response.json()) == {field}


def test_a_forged_cursor_is_a_404_problem(erp):
    forged = base64.b64encode(b"o=abc&p=1").decode()  # an offset that is not a number
    response = erp.get(ITEMS, {"cursor": forged})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


# --- who may read, and whose data ---------------------------------------------------------


def test_executive_key_reads_balances_but_not_items(foreign_book, api_client_for, tenant_a):
    customer, _ = foreign_book
    executive = api_client_for(tenant_a, role="executive")
    assert executive.get(_balance(customer.pk)).status_code == 200
    assert executive.get(_aging(customer.pk)).status_code == 403
    assert executive.get(ITEMS).status_code == 403


def test_another_tenants_customer_is_not_found(foreign_book, api_client_for, tenant_b):
    customer_a, _ = foreign_book
    erp_b = api_client_for(tenant_b)
    for url in (_balance(customer_a.pk), _aging(customer_a.pk)):
        response = erp_b.get(url)
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM
        assert "Riverside" not in response.content.decode()
    assert erp_b.get(ITEMS, {"customer": customer_a.pk}).json()["results"] == []
    numbers = [row["number"] for row in erp_b.get(ITEMS).json()["results"]]
    assert numbers == ["B-INV"]


def test_unknown_ids_are_404(erp):
    assert erp.get(_balance(999999)).status_code == 404
    assert erp.get("/api/v1/customers/0123/aging/").status_code == 404
    assert erp.get("/api/v1/customers/9999999999999999999/balance/").status_code == 404


# --- the schema says what the endpoints answer ------------------------------------------


@pytest.fixture
def schema(client):
    return client.get("/api/v1/schema/?format=json").json()


def _properties(schema, name):
    return set(schema["components"]["schemas"][name]["properties"])


def test_schema_describes_the_ledger_answers(foreign_book, erp, schema):
    customer, _ = foreign_book
    item = erp.get(ITEMS).json()["results"][0]
    assert set(item) == _properties(schema, "OpenItem")
    aging = erp.get(_aging(customer.pk), {"as_of": "2026-01-31"}).json()
    assert set(aging) == _properties(schema, "Aging")
    assert set(aging["buckets"][0]) == _properties(schema, "AgingBucket")
    assert set(aging["items"][0]) == _properties(schema, "AgingItem")
    balance = erp.get(_balance(customer.pk)).json()
    assert set(balance) == _properties(schema, "Balance")
    for path in ("/api/v1/open-items/", "/api/v1/customers/{customer_id}/aging/"):
        bad_query = schema["paths"][path]["get"]["responses"]["400"]["content"]
        assert bad_query[PROBLEM]["schema"]["$ref"].endswith("/Problem")
    item_schema = schema["components"]["schemas"]["OpenItem"]["properties"]
    assert item_schema["amount"]["type"] == "string"
    assert item_schema["amount"]["format"] == "decimal"


@pytest.mark.parametrize(
    ("query", "position"),
    [({}, "2026-01-01"), ({}, "99999999999999999999"), ({"updated_since": "2026-01-01"}, "abc")],
)
def test_a_cursor_with_a_forged_position_is_a_404_not_a_500(erp, query, position):
    forged = base64.b64encode(f"p={position}".encode()).decode()
    response = erp.get(ITEMS, {**query, "cursor": forged})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_a_genuine_cursor_of_the_delta_sync_still_works(foreign_book, erp):
    first = erp.get(ITEMS, {"updated_since": "2026-01-01T00:00:00Z", "page_size": 4}).json()
    second = erp.get(first["next"]).json()
    assert len(first["results"]) == 4
    first_ids = {row["id"] for row in first["results"]}
    assert first_ids.isdisjoint(row["id"] for row in second["results"])
    assert len(second["results"]) == 4
