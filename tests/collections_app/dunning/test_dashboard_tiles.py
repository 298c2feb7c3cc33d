"""The collector's tiles show amounts the way every page does (format_money:
currency code, no-break space, grouped figure) and mark money tiles so a
long amount wraps inside the tile."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from collections_app.dunning.dashboard import collections_figures
from collections_app.dunning.services.priorities import collection_priorities_compute
from otc.tenancy.context import tenant_context
from otc.tenancy.roles import Role
from otc.web.templatetags.otc_format import format_money
from tests.collections_app.dunning.helpers import customer, invoice, standard_policy
from tests.collections_app.strategies.test_strategies import pay_in_full

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 20)


@pytest.fixture
def big_book(tenant_a, tenant_b):
    with tenant_context(tenant_b):
        other = customer(tenant_b, "B1")
        invoice(tenant_b, other, "B-INV", "7.00", due=DAY - timedelta(days=30))
    with tenant_context(tenant_a):
        standard_policy(tenant_a)
        cust = customer(tenant_a, "C1")
        invoice(tenant_a, cust, "INV-1", "1234567.89", due=DAY - timedelta(days=30))
        paid = invoice(tenant_a, cust, "INV-2", "9876543.21", due=DAY - timedelta(days=10))
        pay_in_full(tenant_a, cust, paid)
        collection_priorities_compute(tenant=tenant_a, day=DAY)
    return tenant_a


@time_machine.travel(DAY, tick=False)
def test_dashboard_tiles_use_the_money_format(big_book):
    tenant = big_book
    with tenant_context(tenant):
        figures = {f.testid: f for f in collections_figures(tenant, Role.COLLECTOR)}
    overdue = format_money("1234567.89", "EUR", tenant.locale)
    collected = format_money("9876543.21", "EUR", tenant.locale)
    assert overdue == "EUR\xa01,234,567.89"
    assert figures["collections-worklist"].note == f"{overdue} overdue"
    assert figures["collections-worklist"].is_money is False
    assert figures["collections-collected"].value == collected
    assert figures["collections-collected"].is_money is True  # the tile that may wrap


@time_machine.travel(DAY, tick=False)
def test_worklist_tiles_use_the_money_format(big_book, signed_in_client):
    client = signed_in_client(big_book, "collector")
    page = client.get("/collections/?scope=all").content.decode()
    tiles = page[page.index('data-testid="collector-figures"') :]
    tiles = tiles[: tiles.index("</section>")]
    assert "EUR\xa01,234,567.89 overdue" in tiles
    assert '<div class="kpi-value is-money">EUR\xa09,876,543.21</div>' in tiles
    assert "7.00" not in tiles  # the other tenant's invoice
