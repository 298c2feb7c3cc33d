"""Cash forecast (weeks, currencies, fallbacks, backtest) and the executive
dashboard panels."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from credit.models import CreditProfile
from otc.ledger.models import ItemKind
from otc.tenancy.context import tenant_context
from reporting.selectors.forecast import cash_forecast, forecast_backtest
from tests.cache import clear_own_cache
from tests.otc.ledger.conftest import make_customer
from tests.reporting.conftest import post

pytestmark = pytest.mark.django_db


def test_forecast_by_week_and_currency(book):
    with tenant_context(book.tenant):
        forecast = cash_forecast(tenant=book.tenant)
    # Acme pays 10 days late (own history), Acme Austria 50 days late; Bolt has
    # no history and no risk class: the book's (400 x 10 + 200 x 50) / 600 = 23 days.
    week0, _, week2 = forecast.weeks[:3]
    assert week0.by_currency == {"EUR": Decimal("2100.00"), "USD": Decimal("1000.00")}
    assert week0.base == Decimal("3000.00")
    assert week2.by_currency == {"EUR": Decimal("1000.00")}
    assert forecast.total_base == Decimal("4000.00")
    assert forecast.stale_base == Decimal(0)
    assert forecast.basis_base == {"own": Decimal("3100.00"), "book": Decimal("900.00")}
    assert len(forecast.weeks) == 13


def test_risk_class_fallback_and_stale_items(book):
    tenant = book.tenant
    with tenant_context(tenant):
        # A new class-B customer without history takes class B's habit; the
        # class-B customers paid 400 x 10 + 200 x 50 over 600: 23 days too, so
        # give it an invoice due in 7 days: expected in 30 days, week 4.
        newbie = make_customer(tenant, "C-9", "Newbie")
        CreditProfile.objects.create(tenant=tenant, customer=newbie, currency="EUR", risk_class="B")
        post(tenant, newbie, ItemKind.INVOICE, "70.00", book.today, book.today + timedelta(days=7))
        # and a very old invoice of Acme: expected long ago -> not forecast
        post(tenant, book.acme, ItemKind.INVOICE, "55.00", date(2025, 1, 1), date(2025, 1, 31))
        forecast = cash_forecast(tenant=tenant)
    assert forecast.weeks[4].base == Decimal("70.00")
    assert forecast.basis_base["class"] == Decimal("70.00")
    assert forecast.stale_base == Decimal("55.00")


def test_backtest_replays_what_was_known(book):
    with tenant_context(book.tenant):
        periods = {p.start.month: p for p in forecast_backtest(tenant=book.tenant)}
    june = periods[(book.items["pay_old"].document_date).month]
    # At the start of that month only I-4 (300, due a few weeks before) was
    # open and nobody had a payment history: 300 forecast, 200 came in.
    assert (june.predicted, june.actual) == (Decimal("300.00"), Decimal("200.00"))
    assert june.error_percent == Decimal("50.0")


def test_forecast_api_and_page(
    book,
    tenant_b,
    api_client_for,
    signed_in_client,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    clear_own_cache()
    client = api_client_for(book.tenant)
    # The backtest is computed in the background: absent at first, there after.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = client.get("/api/v1/reports/cash-forecast/", {"backtest": "true"}).json()
    assert "backtest" not in first
    assert len(callbacks) == 1
    body = client.get("/api/v1/reports/cash-forecast/", {"backtest": "true"}).json()
    assert body["weeks"][0]["by_currency"] == {"EUR": "2100.00", "USD": "1000.00"}
    assert body["total_base"] == "4000.00"
    june = [p for p in body["backtest"] if p["error_percent"] == "50.0"]
    assert june
    other = api_client_for(tenant_b).get("/api/v1/reports/cash-forecast/").json()
    # B's only invoice is 60 days overdue with no habit to explain it: not forecast.
    assert (other["total_base"], other["overdue_beyond_habit_base"]) == ("0.00", "99999.00")
    bad = client.get("/api/v1/reports/cash-forecast/", {"backtest": "maybe"})
    assert bad.status_code == 400
    page = signed_in_client(book.tenant, "executive").get("/reports/cash-forecast/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "How good were past forecasts?" in html
    assert "50.0%" in html


def test_forecast_page_says_when_the_backtest_is_still_computing(book, signed_in_client):
    clear_own_cache()
    page = signed_in_client(book.tenant, "executive").get("/reports/cash-forecast/")
    assert 'data-testid="backtest-computing"' in page.content.decode()


def test_executive_dashboard_serves_the_last_rendering_and_refreshes_it(
    book, signed_in_client, eager_tasks, django_capture_on_commit_callbacks
):
    clear_own_cache()
    client = signed_in_client(book.tenant, "executive")
    html = client.get("/dashboards/executive/").content.decode()
    for testid in ("executive-kpis", "executive-aging", "executive-dso", "executive-forecast"):
        assert f'data-testid="panel-{testid}"' in html
    assert "Acme Austria GmbH" in html  # most overdue
    assert "<svg" in html
    assert "127,256" not in html
    with tenant_context(book.tenant):
        post(book.tenant, book.bolt, ItemKind.INVOICE, "123456.00", book.today, book.today)
    # A new posting: the page answers at once with the last rendering and a
    # refresh runs on the reports queue; the next view shows 3,800 + 123,456.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stale = client.get("/dashboards/executive/").content.decode()
    assert "127,256" not in stale
    assert len(callbacks) == 1
    fresh = client.get("/dashboards/executive/").content.decode()
    assert "127,256" in fresh


def test_auditor_sees_the_executive_panels(book, signed_in_client):
    auditor_view = signed_in_client(book.tenant, "auditor").get("/dashboards/executive/")
    assert auditor_view.status_code == 200
    assert 'data-testid="panel-executive-aging"' in auditor_view.content.decode()


def test_executive_deductions_panel_names_our_reason_codes(tenant_a, tenant_b, signed_in_client):
    from deductions.models import ReasonCode
    from tests.deductions.conftest import short_paid_invoice
    from tests.factories import CustomerFactory

    clear_own_cache()
    with tenant_context(tenant_a):
        acme = CustomerFactory(number="A-1", legal_name="Acme GmbH", currency="EUR")
        # The customer's claim code means nothing to us yet: "unidentified".
        _invoice, _payment, deduction = short_paid_invoice(tenant_a, acme, claim_code="ZZ9")
        reason = ReasonCode.objects.get(pk=deduction.reason_id)
    html = signed_in_client(tenant_a, "executive").get("/dashboards/executive/").content.decode()
    panel = html.split('data-testid="panel-executive-deductions"')[1]
    assert reason.name in panel
    assert "ZZ9" not in panel
    assert "190,00" in panel or "190.00" in panel
