"""The customer page's balance and aging panel and the customer's open-items
page, on the book worked by hand in tests/otc/fx/books.py."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from otc.tenancy.context import tenant_context
from tests.otc.fx.books import build_foreign_book
from tests.otc.ledger.conftest import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign_book(tenant_a, tenant_b):
    """The hand-worked book of tests/otc/fx/books.py."""
    return build_foreign_book(tenant_a, tenant_b)


def _items(customer_id):
    return f"/ledger/customers/{customer_id}/items/"


def _aging_statements(queries):
    return [q["sql"] for q in queries if "FILTER (WHERE amount > 0" in q["sql"]]


def test_customer_page_shows_balance_and_aging(foreign_book, signed_in_client, tenant_a):
    customer, _ = foreign_book
    client = signed_in_client(tenant_a, "collector")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    assert len(_aging_statements(queries.captured_queries)) == 1  # one aging query per page
    page = response.content.decode()
    assert 'data-testid="balance-panel"' in page
    shown = {
        "CHF": "CHF\xa0300.00",
        "EUR": "EUR\xa0100.00",
        "GBP": "GBP\xa0500.00",
        "USD": "-USD\xa050.00",  # unapplied cash exceeds the open dollar invoice
    }
    for currency, text in shown.items():
        assert f'data-testid="balance-{currency}">{text}</dd>' in page
    assert "Balance in EUR" in page
    assert "(base currency)" in page
    assert 'data-testid="balance-base"><strong>EUR\xa0973.50</strong>' in page
    assert f'href="{_items(customer.pk)}"' in page  # collectors hold invoices.view


def test_customer_page_of_a_customer_with_nothing_open(signed_in_client, tenant_a):
    with tenant_context(tenant_a):
        customer = make_customer(tenant_a, "Z-1")
    page = signed_in_client(tenant_a, "owner").get(f"/customers/{customer.pk}/").content.decode()
    assert "Nothing open" in page


def test_executive_sees_the_panel_but_no_item_link(foreign_book, signed_in_client, tenant_a):
    customer, _ = foreign_book
    client = signed_in_client(tenant_a, "executive")
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "EUR\xa0973.50" in page
    assert _items(customer.pk) not in page
    assert client.get(_items(customer.pk)).status_code == 403


def test_open_items_as_of_a_month_end_with_applications(foreign_book, signed_in_client, tenant_a):
    customer, _ = foreign_book
    client = signed_in_client(tenant_a, "ar_clerk")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(_items(customer.pk), {"as_of": "2026-01-31"})
    assert response.status_code == 200
    assert len(_aging_statements(queries.captured_queries)) == 1
    page = response.content.decode()
    assert page.count('data-testid="item-row"') == 5  # INV-1..4 and PAY-2
    assert "INV-5" not in page
    assert "INV-6" not in page
    assert "EUR\xa0855.00" in page
    assert "EUR\xa0700.00" in page
    assert "EUR\xa01,327.50" in page  # balance
    # INV-1: USD 600.00 of 1,000.00 open; PAY-1 settled USD 400.00 at a realised loss.
    assert "USD\xa0600.00" in page
    assert page.count('data-testid="application-row"') == 1  # PAY-3 came after the month end
    assert "USD\xa0400.00" in page
    assert "EUR\xa0360.00" in page
    assert "EUR\xa0352.00" in page
    assert "-EUR\xa08.00" in page
    assert "loss" in page


def test_open_items_today(foreign_book, signed_in_client, tenant_a):
    customer, _ = foreign_book
    page = signed_in_client(tenant_a, "owner").get(_items(customer.pk)).content.decode()
    assert "open today" in page
    assert page.count('data-testid="item-row"') == 5  # INV-2..5 and PAY-2
    assert "INV-1<" not in page


@pytest.mark.parametrize("bad", ["2026-02-30", "31.01.2026", "0001-01-01"])
def test_bad_as_of_is_a_form_error(foreign_book, signed_in_client, tenant_a, bad):
    customer, _ = foreign_book
    response = signed_in_client(tenant_a, "owner").get(_items(customer.pk), {"as_of": bad})
    assert response.status_code == 200
    assert "Enter a date" in response.content.decode()


def test_another_tenants_customer_is_404(foreign_book, signed_in_client, tenant_b):
    customer_a, _ = foreign_book
    client = signed_in_client(tenant_b, "owner")
    assert client.get(_items(customer_a.pk)).status_code == 404
    assert client.get(f"/customers/{customer_a.pk}/").status_code == 404
    assert client.get("/ledger/customers/0/items/").status_code == 404
