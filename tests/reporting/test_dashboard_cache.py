"""Role dashboards keep what the apps show for a short while per tenant,
dashboard, viewer and user, and drop it as soon as the tenant's ledger
posts: the credit manager sees a new invoice at once, a profile edited
without a posting within DASHBOARD_CACHE_SECONDS, and tenant B never sees
tenant A's cached dashboard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from credit.models import CreditProfile
from otc.ledger.models import ItemKind
from otc.tenancy.context import tenant_context
from otc.tenancy.roles import Role
from tests.otc.ledger.conftest import make_customer
from tests.reporting.conftest import post
from tests.reporting.test_role_dashboards import money, panel

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/dashboards/credit_manager/"


@pytest.fixture
def cached_dashboards(settings):
    settings.DASHBOARD_CACHE_SECONDS = 60


def test_credit_dashboard_cached_until_the_next_posting(
    book, tenant_b, signed_in_client, cached_dashboards
):
    tenant = book.tenant
    client = signed_in_client(tenant, Role.CREDIT_MANAGER)
    first = panel(client.get(URL).content.decode(), "credit-classes")
    assert money(tenant, "2900.00") in first
    with tenant_context(tenant):
        # No posting: the cached dashboard stands (for DASHBOARD_CACHE_SECONDS).
        CreditProfile.objects.filter(customer=book.acme).update(risk_class="C")
    assert panel(client.get(URL).content.decode(), "credit-classes") == first
    with tenant_context(tenant):
        post(tenant, book.acme, ItemKind.INVOICE, "100.00", book.today, book.today)
    fresh = panel(client.get(URL).content.decode(), "credit-classes")
    assert "Class C" in fresh
    assert money(tenant, "2900.00") not in fresh


def test_each_tenant_and_user_has_its_own_cached_dashboard(
    book, tenant_b, signed_in_client, cached_dashboards
):
    tenant = book.tenant
    page_a = signed_in_client(tenant, Role.CREDIT_MANAGER).get(URL).content.decode()
    assert "Acme Group AG" in page_a or money(tenant, "2900.00") in page_a
    with tenant_context(tenant_b):
        big = make_customer(tenant_b, "B-9", "Bravo Big Buyer", currency="USD")
        CreditProfile.objects.create(
            tenant=tenant_b, customer=big, currency="USD", risk_class="E", credit_limit=D("1.00")
        )
        post(tenant_b, big, ItemKind.INVOICE, "55555.00", book.today, book.today, currency="USD")
    page_b = signed_in_client(tenant_b, Role.CREDIT_MANAGER).get(URL).content.decode()
    assert "Bravo Big Buyer" in page_b
    assert money(tenant, "2900.00") not in page_b
    # and tenant A's page, cached, still shows nothing of B
    again = signed_in_client(tenant, Role.CREDIT_MANAGER).get(URL).content.decode()
    assert "Bravo Big Buyer" not in again
    assert "Class E" not in again
