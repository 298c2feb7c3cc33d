"""The exchange-rate API: rates of a date with their source, the tenant's
manual rates, permissions, bad input, and tenant isolation."""

from __future__ import annotations

import base64
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

RATES = "/api/v1/fx-rates/"
MANUAL = "/api/v1/fx-rates/manual/"
PROBLEM = "application/problem+json"


@pytest.fixture
def hist_90d():
    return ecb_rates_import(content=sample("ecb_fx/exchanger_eurofxref-hist-90d.xml").read_bytes())


def _manual(day="2026-01-30", value="1"):
    return {"rate_date": day, "from_currency": "USD", "to_currency": "EUR", "rate": value}


def _fields(problem):
    return {error["field"] for error in problem["errors"]}


def test_rates_of_a_date_with_source(hist_90d, api_client_for, tenant_a):
    with tenant_context(tenant_a):
        rate(tenant_a, date(2019, 11, 28), "EUR", "USD", "1.1000")
    response = api_client_for(tenant_a).get(RATES, {"date": "2019-11-30", "currency": "usd"})
    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["base_currency"]) == ("2019-11-30", "EUR")
    assert body["rates"] == [
        {
            "source": "ECB",
            "rate_date": "2019-11-29",
            "from_currency": "EUR",
            "to_currency": "USD",
            "rate": "1.0982",
            "note": "",
        },
        {
            "source": "manual",
            "rate_date": "2019-11-28",
            "from_currency": "EUR",
            "to_currency": "USD",
            "rate": "1.1",
            "note": "",
        },
    ]
    # The manual rate wins the conversion into the base currency.
    assert body["base_rates"] == [
        {
            "currency": "USD",
            "to_base": "0.9090909091",
            "per_base": "1.1",
            "rate_date": "2019-11-28",
            "source": "manual",
            "via_eur": False,
        }
    ]


def test_all_rates_of_a_date(hist_90d, api_client_for, tenant_b):
    body = api_client_for(tenant_b).get(RATES, {"date": "2019-11-29"}).json()
    assert len(body["rates"]) == 32
    assert body["base_currency"] == "USD"
    gbp = next(rate for rate in body["base_rates"] if rate["currency"] == "GBP")
    assert gbp == {
        "currency": "GBP",
        "to_base": "1.288589029",
        "per_base": "0.7760426152",
        "rate_date": "2019-11-29",
        "source": "ECB",
        "via_eur": True,
    }


def test_a_date_without_rates_is_an_empty_answer(hist_90d, api_client_for, tenant_a):
    body = api_client_for(tenant_a).get(RATES, {"date": "2021-06-01"}).json()
    assert (body["rates"], body["base_rates"]) == ([], [])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2019-13-01"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"date": "0001-01-01"}, "date"),
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "US"}, "currency"),
    ],
)
def test_bad_query_is_a_400_problem(api_client_for, tenant_a, params, field):
    response = api_client_for(tenant_a).get(RATES, params)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert _fields(response.json()) == {field}


def test_owner_sets_a_manual_rate(api_client_for, tenant_a):
    client = api_client_for(tenant_a, role="owner")
    payload = {
        "rate_date": "2026-01-30",
        "from_currency": "usd",
        "to_currency": "EUR",
        "rate": "0.92150",
        "note": "Bank fixing",
    }
    response = client.post(MANUAL, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {
        k: body[k] for k in ("rate_date", "from_currency", "to_currency", "rate", "source")
    } == {
        "rate_date": "2026-01-30",
        "from_currency": "USD",
        "to_currency": "EUR",
        "rate": "0.9215",
        "source": "manual",
    }
    with tenant_context(tenant_a):
        assert ManualExchangeRate.objects.get().rate == Decimal("0.9215")
        assert AuditEvent.objects.filter(action="fx.manual_rate_set").count() == 1
    listed = client.get(MANUAL).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]


def test_the_erp_role_may_read_but_not_set_rates(api_client_for, tenant_a):
    erp = api_client_for(tenant_a)
    response = erp.post(
        MANUAL,
        {"rate_date": "2026-01-30", "from_currency": "USD", "to_currency": "EUR", "rate": "1"},
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert erp.get(MANUAL).status_code == 200
    with tenant_context(tenant_a):
        assert ManualExchangeRate.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"to_currency": "USD"}, {"to_currency"}),
        ({"rate": "0"}, {"rate"}),
        ({"rate": "-1.5"}, {"rate"}),
        ({"rate": "1.12345678901"}, {"rate"}),
        ({"rate": "abc"}, {"rate"}),
        ({"from_currency": "XTS"}, {"from_currency"}),
        ({"rate_date": "30.01.2026"}, {"rate_date"}),
        ({"rate_date": "9999-12-31"}, {"rate_date"}),
        ({"colour": "red"}, {"colour"}),
    ],
)
def test_bad_manual_rates_are_400_naming_the_field(api_client_for, tenant_a, change, fields):
    response = api_client_for(tenant_a, role="owner").post(MANUAL, {**_manual(), **change})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert _fields(response.json()) == fields
    with tenant_context(tenant_a):
        assert ManualExchangeRate.objects.count() == 0


def test_manual_rates_are_the_callers_tenants_only(hist_90d, api_client_for, tenant_a, tenant_b):
    with tenant_context(tenant_a):
        rate(tenant_a, date(2019, 11, 29), "USD", "EUR", "0.5")
    client_b = api_client_for(tenant_b, role="owner")
    assert client_b.get(MANUAL).json()["results"] == []
    body = client_b.get(RATES, {"date": "2019-11-29"}).json()
    assert all(row["source"] == "ECB" for row in body["rates"])
    assert all(row["source"] == "ECB" for row in body["base_rates"])
    # B setting the same pair and date changes nothing of A's.
    response = client_b.post(
        MANUAL,
        {"rate_date": "2019-11-29", "from_currency": "USD", "to_currency": "EUR", "rate": "2"},
    )
    assert response.status_code == 201
    with tenant_context(tenant_a):
        assert ManualExchangeRate.objects.get().rate == Decimal("0.5")


def test_schema_describes_the_rate_answers(hist_90d, api_client_for, tenant_a, client):
    schema = client.get("/api/v1/schema/?format=json").json()
    components = schema["components"]["schemas"]
    body = api_client_for(tenant_a).get(RATES, {"date": "2019-11-29"}).json()
    assert set(body) == set(components["RatesResponse"]["properties"])
    assert set(body["rates"][0]) == set(components["PublishedRate"]["properties"])
    assert set(body["base_rates"][0]) == set(components["BaseRate"]["properties"])
    created = api_client_for(tenant_a, role="owner").post(MANUAL, _manual()).json()
    assert set(created) == set(components["ManualRateOutput"]["properties"])
    bad_query = schema["paths"][RATES]["get"]["responses"]["400"]["content"]
    assert bad_query[PROBLEM]["schema"]["$ref"].endswith("/Problem")
    post = schema["paths"][MANUAL]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])


def test_a_cursor_with_a_forged_position_is_a_404_not_a_500(api_client_for, tenant_a):
    forged = base64.b64encode(b"p=not-a-date").decode()
    response = api_client_for(tenant_a).get(MANUAL, {"cursor": forged})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
