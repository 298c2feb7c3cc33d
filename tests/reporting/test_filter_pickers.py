"""The aging and KPI pages pick collectors and customer groups by name and
find customers by typing; the API keeps taking ids."""

from __future__ import annotations

import pytest

from otc.tenancy.context import tenant_context
from tests.otc.ledger.conftest import make_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["/reports/aging/", "/reports/kpis/"])
def test_pages_offer_names_not_ids(book, signed_in_client, page):
    html = signed_in_client(book.tenant, "collector").get(page).content.decode()
    collector = html.split('name="collector"')[1].split("</select>")[0]
    assert f'<option value="{book.collector.pk}">Cora Collector</option>' in collector
    group = html.split('name="customer_group"')[1].split("</select>")[0]
    assert f'<option value="{book.acme.pk}">C-1 Acme Group AG</option>' in group
    assert "Acme Austria" not in group  # a child heads no group
    customer_input = html.split('name="customer"')[1].split(">")[0]
    assert 'list="customer-options"' in customer_input
    assert 'hx-get="/reports/customer-options/"' in customer_input


def test_picked_customer_is_named_and_filters_the_aging(book, signed_in_client):
    client = signed_in_client(book.tenant, "collector")
    html = client.get("/reports/aging/", {"customer": book.acme_at.pk}).content.decode()
    assert "C-2 Acme Austria GmbH" in html.split('name="customer"')[1].split("</div>")[0]
    assert "Bolt Ltd" not in html
    typed = client.get("/reports/aging/", {"customer": "Acme"})
    assert "Pick a customer from the list" in typed.content.decode()


def test_customer_options_search_this_tenant_only(book, tenant_b, signed_in_client):
    with tenant_context(tenant_b):
        stranger = make_customer(tenant_b, "C-9", "Acme Bravo Branch", currency="USD")
    client = signed_in_client(book.tenant, "collector")
    found = client.get("/reports/customer-options/", {"customer": "acme"}).content.decode()
    assert f'<option value="{book.acme.pk}">C-1 Acme Group AG</option>' in found
    assert f'<option value="{book.acme_at.pk}">C-2 Acme Austria GmbH</option>' in found
    assert "Bolt" not in found
    assert "Bravo" not in found
    by_id = client.get("/reports/customer-options/", {"customer": str(stranger.pk)})
    assert "Bravo" not in by_id.content.decode()
    assert signed_in_client(book.tenant, "erp_integration").get(
        "/reports/customer-options/", {"customer": "acme"}
    ).status_code in (302, 403)


def test_api_still_takes_ids(book, api_client_for):
    response = api_client_for(book.tenant).get(
        "/api/v1/reports/aging/", {"collector": book.collector.pk, "group_by": "collector"}
    )
    assert response.status_code == 200
    assert [row["label"] for row in response.json()["rows"]] == ["Cora Collector"]
