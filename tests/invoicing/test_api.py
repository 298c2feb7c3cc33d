"""The invoicing REST API: drafts, issue, cancel, memos, filters, delta sync,
problem+json errors, roles and tenant isolation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from invoicing.models import Invoice, InvoiceLine
from otc.ledger.models import OpenItem
from otc.tenancy.context import tenant_context
from otc.tenancy.dates import tenant_today
from tests.factories import CustomerFactory
from tests.invoicing.conftest import JAN
from tests.invoicing.factories import draft_invoice, issued_invoice, line

INVOICES = "/api/v1/invoices/"
CREDIT_MEMOS = "/api/v1/credit-memos/"
DEBIT_MEMOS = "/api/v1/debit-memos/"
PROBLEM = "application/problem+json"
D = Decimal

LINE = {"description": "Pump HP-220", "quantity": "2", "unit_price": "1249.00", "tax_rate": "19"}


def url(invoice_id, action=""):
    return f"{INVOICES}{invoice_id}/" + (f"{action}/" if action else "")


@pytest.fixture
def erp(api_client_for, tenant_a):
    return api_client_for(tenant_a)


@pytest.fixture
def erp_b(api_client_for, tenant_b):
    return api_client_for(tenant_b)


def fields(problem):
    return {error["field"] for error in problem["errors"]}


# --- drafts ------------------------------------------------------------------------


def test_create_draft_shows_amounts_at_the_minor_unit(erp, tenant_a, customer_a):
    response = erp.post(
        INVOICES,
        {
            "customer_number": "A-100",
            "external_ref": "SAP-9001",
            "issue_date": "2026-03-10",
            "po_number": "PO-77",
            "lines": [LINE, {**LINE, "unit_price": "0.335", "quantity": "3", "tax_rate": "7"}],
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"] == url(body["id"])
    assert body["status"] == "draft"
    assert body["number"] == ""
    assert body["origin"] == "api"
    assert body["customer"] == {
        "id": customer_a.pk,
        "number": "A-100",
        "legal_name": "Acme Maschinenbau GmbH",
        "external_ref": None,
    }
    assert body["currency"] == "EUR"
    assert body["payment_terms_code"] == "2-10-NET30"
    assert (body["due_date"], body["discount_date"]) == ("2026-04-09", "2026-03-20")
    # 2498.00 + 1.01 (1.005 half-up) net; 474.62 + 0.07 tax
    assert (body["net_amount"], body["tax_amount"], body["gross_amount"]) == (
        "2499.01",
        "474.69",
        "2973.70",
    )
    assert body["discount_amount"] == "59.47"
    assert body["tax_summary"] == [
        {"tax_category": "S", "rate": "19.00", "net": "2498.00", "tax": "474.62"},
        {"tax_category": "S", "rate": "7.00", "net": "1.01", "tax": "0.07"},
    ]
    assert [(x["position"], x["line_net"], x["unit"]) for x in body["lines"]] == [
        (1, "2498.00", "C62"),
        (2, "1.01", "C62"),
    ]
    assert body["lines"][1]["unit_price"] == "0.335000"
    assert (body["fx_rate"], body["base_gross_amount"], body["open_amount"]) == (None, None, None)


def test_create_is_idempotent_with_the_same_key(erp, tenant_a, customer_a):
    payload = {"customer_id": customer_a.pk, "lines": [LINE]}
    first = erp.post(INVOICES, payload, idempotency_key="draft-1")
    again = erp.post(INVOICES, payload, idempotency_key="draft-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    with tenant_context(tenant_a):
        assert Invoice.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "bad"),
    [
        ({"lines": [LINE]}, {"customer_id"}),
        ({"customer_id": 999999, "lines": [LINE]}, {"customer_id"}),
        ({"customer_number": "A-100", "customer_id": 1}, {"customer_number"}),
        ({"customer_number": "A-100", "currency": "EURO"}, {"currency"}),
        ({"customer_number": "A-100", "currency": "ABC"}, {"currency"}),
        ({"customer_number": "A-100", "payment_terms_code": "NOPE"}, {"payment_terms_code"}),
        (
            {"customer_number": "A-100", "lines": [{**LINE, "quantity": "1.23456"}]},
            {"lines[0].quantity"},
        ),
        ({"customer_number": "A-100", "lines": [{**LINE, "unit": "piece"}]}, {"lines[0].unit"}),
        ({"customer_number": "A-100", "lines": [{**LINE, "colour": "red"}]}, {"lines[0].colour"}),
        ({"customer_number": "A-100", "status": "paid"}, {"status"}),
        ({"customer_number": "A-100", "number": "INV-1"}, {"number"}),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(erp, customer_a, payload, bad):
    response = erp.post(INVOICES, payload)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert fields(response.json()) == bad


def test_business_rules_are_422_with_api_field_names(erp, tenant_a, customer_a):
    response = erp.post(
        INVOICES,
        {
            "customer_number": "A-100",
            "issue_date": "2026-03-10",
            "due_date": "2026-03-01",
            "lines": [{**LINE, "tax_rate": "0"}],
        },
    )
    assert response.status_code == 422
    assert response.json()["type"] == "urn:otc:problem:validation_failed"
    assert fields(response.json()) == {"due_date"}
    response = erp.post(
        INVOICES, {"customer_number": "A-100", "lines": [{**LINE, "tax_rate": "0"}]}
    )
    assert response.status_code == 422
    assert fields(response.json()) == {"lines[0].tax_rate"}


def test_duplicate_external_ref_is_409(erp, customer_a):
    assert (
        erp.post(INVOICES, {"customer_id": customer_a.pk, "external_ref": "X"}).status_code == 201
    )
    response = erp.post(INVOICES, {"customer_id": customer_a.pk, "external_ref": "X"})
    assert response.status_code == 409
    assert response.json()["type"] == "urn:otc:problem:duplicate_external_ref"


def test_patch_changes_the_draft_and_replaces_lines(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = draft_invoice(tenant_a, customer_a, [line("10.00"), line("20.00")])
    response = erp.patch(url(invoice.pk), {"notes": "Thanks", "lines": [LINE]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["notes"] == "Thanks"
    assert [x["description"] for x in body["lines"]] == ["Pump HP-220"]
    assert body["gross_amount"] == "2972.62"
    response = erp.patch(url(invoice.pk), {"po_number": "PO-1"}, format="json")
    assert len(response.json()["lines"]) == 1  # lines not sent: kept
    with tenant_context(tenant_a):
        assert InvoiceLine.objects.filter(invoice=invoice).count() == 1


def test_issue_numbers_posts_and_then_refuses_changes(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = draft_invoice(tenant_a, customer_a, [line("100.00")])
    response = erp.post(url(invoice.pk, "issue"), {"issue_date": "2026-01-05"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["number"], body["issue_date"]) == (
        "issued",
        "INV-2026-000001",
        "2026-01-05",
    )
    assert (body["fx_rate"], body["base_currency"], body["base_gross_amount"]) == (
        "1.0000000000",
        "EUR",
        "119.00",
    )
    assert body["open_amount"] == "119.00"
    again = erp.post(url(invoice.pk, "issue"), {})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:otc:problem:illegal_transition"
    patch = erp.patch(url(invoice.pk), {"notes": "late"}, format="json")
    assert patch.status_code == 409
    assert patch.json()["type"] == "urn:otc:problem:not_a_draft"


def test_issue_without_a_rate_is_422_and_writes_nothing(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = draft_invoice(tenant_a, customer_a, currency="USD")
    response = erp.post(url(invoice.pk, "issue"), {"issue_date": "2026-01-05"})
    assert response.status_code == 422
    assert fields(response.json()) == {"issue_date"}
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=invoice.pk).status == "draft"
        assert not OpenItem.objects.exists()


def test_cancel_issued_invoice_returns_the_memo(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
    response = erp.post(url(invoice.pk, "cancel"), {"reason": "Wrong address"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["open_amount"]) == ("cancelled", "0.00")
    memo = erp.get(url(body["cancellation_memo_id"])).json()
    assert (memo["kind"], memo["gross_amount"], memo["related_invoice_id"]) == (
        "credit_memo",
        "119.00",
        invoice.pk,
    )
    listed = erp.get(CREDIT_MEMOS).json()["results"]
    assert [x["id"] for x in listed] == [memo["id"]]
    assert erp.post(url(invoice.pk, "cancel"), {}).status_code == 409


def test_credit_and_debit_memos(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = issued_invoice(tenant_a, customer_a, [line("100.00")], issue_date=JAN)
    credit = erp.post(
        CREDIT_MEMOS,
        {
            "related_invoice_id": invoice.pk,
            "lines": [{**LINE, "unit_price": "10.00", "quantity": "1"}],
        },
    )
    assert credit.status_code == 201, credit.json()
    body = credit.json()
    assert (body["kind"], body["number"], body["gross_amount"], body["open_amount"]) == (
        "credit_memo",
        f"CRN-{tenant_today(tenant_a).year}-000001",
        "11.90",
        "0.00",
    )
    assert erp.get(url(invoice.pk)).json()["open_amount"] == "107.10"
    too_much = erp.post(CREDIT_MEMOS, {"related_invoice_id": invoice.pk, "lines": [LINE]})
    assert too_much.status_code == 422
    assert fields(too_much.json()) == {"lines"}
    debit = erp.post(
        DEBIT_MEMOS,
        {"customer_number": "A-100", "issue": False, "lines": [{**LINE, "description": "Freight"}]},
    )
    assert debit.status_code == 201
    assert (debit.json()["kind"], debit.json()["status"]) == ("debit_memo", "draft")
    assert [x["id"] for x in erp.get(DEBIT_MEMOS).json()["results"]] == [debit.json()["id"]]
    assert [x["id"] for x in erp.get(INVOICES).json()["results"]] == [invoice.pk]


def test_memo_needs_lines_and_a_party(erp, customer_a):
    response = erp.post(CREDIT_MEMOS, {"customer_id": customer_a.pk, "lines": []})
    assert response.status_code == 400
    assert fields(response.json()) == {"lines"}
    response = erp.post(CREDIT_MEMOS, {"lines": [LINE]})
    assert response.status_code == 400
    assert fields(response.json()) == {"customer_id"}


# --- lists ----------------------------------------------------------------------------


def test_list_filters(erp, tenant_a, customer_a, usd_rates_a):
    today = tenant_today(tenant_a)  # the day the overdue filter compares with
    with tenant_context(tenant_a):
        other = CustomerFactory(number="A-200")
        draft = draft_invoice(tenant_a, customer_a)
        old = issued_invoice(tenant_a, customer_a, issue_date=JAN)  # due 2026-02-04
        usd = issued_invoice(
            tenant_a, other, issue_date=JAN, currency="USD", due_date=date(2026, 1, 20)
        )
        current = issued_invoice(tenant_a, other, issue_date=today)

    def ids(**params):
        response = erp.get(INVOICES, params)
        assert response.status_code == 200, response.json()
        return {x["id"] for x in response.json()["results"]}

    assert ids() == {draft.pk, old.pk, usd.pk, current.pk}
    assert ids(status="draft") == {draft.pk}
    assert ids(customer_id=other.pk) == {usd.pk, current.pk}
    assert ids(currency="usd") == {usd.pk}
    assert ids(due_before="2026-01-31") == {usd.pk}
    assert ids(due_after="2026-01-21", due_before="2026-02-04") == {old.pk}
    assert ids(overdue="true") == {old.pk, usd.pk}
    assert ids(overdue="false") == {draft.pk, current.pk}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "lost"},
        {"customer_id": "abc"},
        {"due_before": "yesterday"},
        {"overdue": "maybe"},
        {"updated_since": "2026-13-01"},
        {"currency": "EURO"},
        {"page_size": "x", "cursor": "garbage"},
    ],
)
def test_bad_filters_are_4xx_problems(erp, params):
    response = erp.get(INVOICES, params)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == PROBLEM


def test_updated_since_is_a_delta_sync_oldest_change_first(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        first = draft_invoice(tenant_a, customer_a)
        second = draft_invoice(tenant_a, customer_a)
        Invoice.objects.filter(pk=first.pk).update(updated_at=timezone.now() - timedelta(days=2))
        Invoice.objects.filter(pk=second.pk).update(updated_at=timezone.now() - timedelta(days=1))
    since = (timezone.now() - timedelta(days=3)).isoformat()
    assert [x["id"] for x in erp.get(INVOICES, {"updated_since": since}).json()["results"]] == [
        first.pk,
        second.pk,
    ]
    erp.post(url(first.pk, "issue"), {})
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    assert [x["id"] for x in erp.get(INVOICES, {"updated_since": since}).json()["results"]] == [
        first.pk
    ]


def test_cursor_pagination_walks_every_invoice_once(erp, tenant_a, customer_a):
    with tenant_context(tenant_a):
        made = {draft_invoice(tenant_a, customer_a).pk for _ in range(7)}
    seen, page = [], erp.get(INVOICES, {"page_size": 3}).json()
    while True:
        seen += [x["id"] for x in page["results"]]
        if not page["next"]:
            break
        page = erp.get(page["next"]).json()
    assert sorted(seen) == sorted(made)
    assert seen == sorted(made, reverse=True)


# --- roles and isolation ------------------------------------------------------------------


def test_read_only_role_cannot_write(api_client_for, tenant_a, customer_a):
    with tenant_context(tenant_a):
        invoice = draft_invoice(tenant_a, customer_a)
    auditor = api_client_for(tenant_a, role="auditor")
    assert auditor.get(INVOICES).status_code == 200
    assert auditor.get(url(invoice.pk)).status_code == 200
    assert auditor.post(INVOICES, {"customer_id": customer_a.pk}).status_code == 403
    assert auditor.post(url(invoice.pk, "issue"), {}).status_code == 403
    assert auditor.post(url(invoice.pk, "cancel"), {}).status_code == 403
    executive = api_client_for(tenant_a, role="executive")
    assert executive.get(INVOICES).status_code == 403
    with tenant_context(tenant_a):
        assert Invoice.objects.get(pk=invoice.pk).status == "draft"


def test_no_key_is_401(client, db):
    assert client.get(INVOICES).status_code == 401


def test_other_tenants_invoices_are_404_everywhere_and_unchanged(
    erp, erp_b, tenant_a, tenant_b, customer_a, customer_b
):
    with tenant_context(tenant_b):
        draft_b = draft_invoice(tenant_b, customer_b)
        issued_b = issued_invoice(tenant_b, customer_b, issue_date=JAN)
    for target in (draft_b, issued_b):
        assert erp.get(url(target.pk)).status_code == 404
        assert erp.patch(url(target.pk), {"notes": "x"}, format="json").status_code == 404
        assert erp.post(url(target.pk, "issue"), {}).status_code == 404
        assert erp.post(url(target.pk, "cancel"), {}).status_code == 404
    memo = erp.post(CREDIT_MEMOS, {"related_invoice_id": issued_b.pk, "lines": [LINE]})
    assert memo.status_code == 400
    assert fields(memo.json()) == {"related_invoice_id"}
    foreign = erp.post(INVOICES, {"customer_id": customer_b.pk, "lines": [LINE]})
    assert foreign.status_code == 400
    assert fields(foreign.json()) == {"customer_id"}
    assert erp.get(INVOICES).json()["results"] == []
    assert erp.get(CREDIT_MEMOS).json()["results"] == []
    assert erp.get(DEBIT_MEMOS).json()["results"] == []
    assert erp.get(INVOICES, {"customer_id": customer_b.pk}).json()["results"] == []
    assert {x["id"] for x in erp_b.get(INVOICES).json()["results"]} == {draft_b.pk, issued_b.pk}
    with tenant_context(tenant_b):
        assert Invoice.objects.get(pk=draft_b.pk).status == "draft"
        assert Invoice.objects.get(pk=draft_b.pk).notes == ""
        assert Invoice.objects.get(pk=issued_b.pk).status == "issued"
        assert Invoice.objects.count() == 2
        assert OpenItem.objects.get().open_amount == issued_b.gross_amount


def test_schema_describes_the_invoice_endpoints(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/invoices/",
        "/api/v1/invoices/bulk/",
        "/api/v1/invoices/{invoice_id}/",
        "/api/v1/invoices/{invoice_id}/issue/",
        "/api/v1/invoices/{invoice_id}/cancel/",
        "/api/v1/credit-memos/",
        "/api/v1/debit-memos/",
    ):
        assert path in paths, path
    listing = paths["/api/v1/invoices/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"status", "customer_id", "currency", "due_before", "due_after", "overdue"} <= names
    assert {"updated_since", "cursor", "page_size"} <= names
    issue = paths["/api/v1/invoices/{invoice_id}/issue/"]["post"]
    assert {"200", "404", "409", "422"} <= set(issue["responses"])
    invoice = schema["components"]["schemas"]["InvoiceOutput"]["properties"]
    assert invoice["gross_amount"]["type"] == "string"
    assert invoice["open_amount"]["nullable"] is True
