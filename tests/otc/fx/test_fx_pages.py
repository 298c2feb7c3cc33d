"""The exchange-rate page: rates against the base currency, the feed's
health, a pair's history, and the tenant's manual rates and their form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from otc.audit.models import AuditEvent
from otc.fx.models import ManualExchangeRate
from otc.fx.services import ecb_rates_import
from otc.tenancy.context import tenant_context
from tests.otc.fx.books import rate
from tests.samples import sample

pytestmark = pytest.mark.django_db

NEW = "/fx/manual-rates/new/"


@pytest.fixture
def hist_90d():
    return ecb_rates_import(content=sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes())


def test_rates_against_the_base_currency(hist_90d, signed_in_client, tenant_b):
    client = signed_in_client(tenant_b, "collector")  # base USD
    page = client.get("/fx/?on=2019-11-30").content.decode()
    assert "Rates against USD on 30 Nov 2019" in page
    assert page.count('data-testid="rate-row"') == 32  # 31 ECB currencies besides USD, and EUR
    assert "1 GBP = 1.288589029 USD" in page
    assert "0.7760426152 GBP" in page
    assert "via EUR" in page
    assert "(fallback)" in page  # Saturday shows Friday's rates


def test_stale_rates_offer_the_newest_and_raise_the_alert(hist_90d, signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "executive")
    page = client.get("/fx/").content.decode()
    assert 'data-testid="fx-feed-status" role="alert"' in page
    assert "The newest ECB rates are from 29 Nov 2019" in page
    assert "No rate for" in page
    assert "?on=2019-11-29" in page


def test_history_of_a_pair(hist_90d, signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "ar_clerk")
    page = client.get(
        "/fx/?from_currency=USD&to_currency=EUR&start=2019-11-01&end=2019-11-29"
    ).content.decode()
    assert page.count('data-testid="history-row"') == 21  # the business days of November
    assert "<polyline" in page
    assert "0.9105809506 EUR" in page  # 29 Nov: 1 / 1.0982


def _pair(from_currency, to_currency, start, end):
    return f"from_currency={from_currency}&to_currency={to_currency}&start={start}&end={end}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (_pair("USD", "USD", "2019-11-01", "2019-11-29"), "other than the first"),
        (_pair("USD", "EUR", "2019-11-29", "2019-11-01"), "on or after the start"),
        (_pair("USD", "EUR", "2000-01-01", "2019-11-29"), "at most 1830 days"),
        (_pair("ZZZ", "EUR", "2019-11-01", "2019-11-29"), "Select a valid choice"),
        (_pair("USD", "EUR", "yesterday", "2019-11-29"), "Enter a date as"),
        ("on=2019-13-01", "Enter a date as"),
    ],
)
def test_bad_history_input_is_a_form_error(hist_90d, signed_in_client, tenant_a, query, message):
    client = signed_in_client(tenant_a, "owner")
    response = client.get(f"/fx/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()


def test_manual_rate_form_sets_a_rate_and_lists_it(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "owner")
    response = client.post(
        NEW,
        {
            "rate_date": "2026-01-30",
            "from_currency": "USD",
            "to_currency": "EUR",
            "rate": "0.9215",
            "note": "Commerzbank fixing",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/fx/#manual-rates"
    with tenant_context(tenant_a):
        manual = ManualExchangeRate.objects.get()
        assert (manual.rate, manual.rate_date, manual.created_by) == (
            Decimal("0.9215"),
            date(2026, 1, 30),
            client.user,
        )
        assert AuditEvent.objects.filter(action="fx.manual_rate_set").count() == 1
    page = client.get("/fx/").content.decode()
    assert "1 USD = 0.9215 EUR" in page
    assert "Commerzbank fixing" in page


@pytest.mark.parametrize(
    ("pair", "value", "day", "field_error"),
    [
        ("USD/USD", "1", "2026-01-30", "other than the first"),
        ("USD/EUR", "0", "2026-01-30", "greater than zero"),
        ("USD/EUR", "abc", "2026-01-30", "Enter the rate as a number"),
        ("USD/EUR", "1.12345678901", "2026-01-30", "10 decimal places"),
        ("USD/EUR", "12345678901", "2026-01-30", "10 digits before"),
        ("/EUR", "1", "2026-01-30", "Choose a currency."),
        ("XTS/EUR", "1", "2026-01-30", "Select a valid choice"),
        ("USD/EUR", "1", "30.01.2026", "Enter a date as"),
        ("USD/EUR", "1", "0001-01-01", "between 1900-01-01 and 2199-12-31"),
    ],
)
def test_manual_rate_form_says_what_to_fix(
    signed_in_client, tenant_a, pair, value, day, field_error
):
    client = signed_in_client(tenant_a, "owner")
    from_currency, to_currency = pair.split("/")
    data = {"from_currency": from_currency, "to_currency": to_currency, "rate": value}
    response = client.post(NEW, {"rate_date": day, **data})
    assert response.status_code == 200
    assert field_error in response.content.decode()
    with tenant_context(tenant_a):
        assert ManualExchangeRate.objects.count() == 0


def test_only_tenant_settings_may_set_rates(signed_in_client, tenant_a):
    clerk = signed_in_client(tenant_a, "ar_clerk")
    assert clerk.get(NEW).status_code == 403
    assert clerk.post(NEW, {"rate_date": "2026-01-30", "from_currency": "USD",
                            "to_currency": "EUR", "rate": "1"}).status_code == 403  # fmt: skip
    page = clerk.get("/fx/").content.decode()
    assert NEW not in page
    with tenant_context(tenant_a):
        assert ManualExchangeRate.objects.count() == 0


def test_tenant_b_never_sees_a_manual_rate_of_tenant_a(signed_in_client, tenant_a, tenant_b):
    with tenant_context(tenant_a):
        rate(tenant_a, date(2026, 1, 30), "USD", "EUR", "0.9215")
    page_b = signed_in_client(tenant_b, "owner").get("/fx/?on=2026-01-30").content.decode()
    assert "0.9215" not in page_b
    assert "No manual rates" in page_b
    page_a = signed_in_client(tenant_a, "owner").get("/fx/?on=2026-01-30").content.decode()
    assert "1 USD = 0.9215 EUR" in page_a
    assert '<span class="badge badge-warning">Manual</span>' in page_a


def test_pages_need_a_sign_in(client):
    for url in ("/fx/", NEW, "/fx/revaluation/", "/fx/revaluation/csv/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
