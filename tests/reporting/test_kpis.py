"""Monthly KPIs from the ledger agree with the same figures computed in
Python from the raw items and applications, month by month."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest

from otc.ledger.models import Application, OpenItem
from otc.tenancy.context import tenant_context
from reporting import formulas
from reporting.selectors.common import BookFilter
from reporting.selectors.kpis import kpi_months

pytestmark = pytest.mark.django_db


def month_end(month: date, today: date) -> date:
    return min(month.replace(day=calendar.monthrange(month.year, month.month)[1]), today)


def raw_receivables(tenant, end: date, customers=None):
    """(receivables, current, deductions) at the end of `end` from raw rows."""
    total = current = deductions = Decimal(0)
    items = OpenItem.objects.for_tenant(tenant).filter(amount__gt=0, document_date__lte=end)
    if customers is not None:
        items = items.filter(customer__in=customers)
    for item in items:
        applied = sum(
            (
                app.debit_base_amount
                for app in Application.objects.for_tenant(tenant).filter(
                    debit_item=item, effective_date__lte=end
                )
            ),
            Decimal(0),
        )
        open_base = item.base_amount - applied
        total += open_base
        if (item.due_date or item.document_date) > end:
            current += open_base
        if item.kind == "deduction":
            deductions += open_base
    return total, current, deductions


def test_months_match_raw_rows(book):
    tenant = book.tenant
    with tenant_context(tenant):
        months = kpi_months(tenant=tenant, months=12, today=book.today)
        assert len(months) == 12
        assert months[-1].month == book.today.replace(day=1)
        for figures in months:
            end = month_end(figures.month, book.today)
            assert figures.end == end
            expected = raw_receivables(tenant, end)
            assert (figures.receivables, figures.current, figures.deductions) == expected
            opening = raw_receivables(tenant, figures.month - timedelta(days=1))[0]
            assert figures.opening_receivables == opening
            sales = sum(
                (
                    item.base_amount
                    for item in OpenItem.objects.for_tenant(tenant).filter(
                        kind__in=["invoice", "debit_memo"],
                        document_date__gte=figures.month,
                        document_date__lte=end,
                    )
                ),
                Decimal(0),
            )
            assert figures.sales == sales
            assert figures.kpis["cei"] == formulas.collection_effectiveness_index(
                opening_receivables=opening,
                sales=sales,
                closing_receivables=expected[0],
                closing_current=expected[1],
            )
    today = months[-1]
    # Today: 4,100 open (1,000 + 1,600 + 500 + 100 deduction + USD 900), 1,000 not yet due.
    assert (today.receivables, today.current, today.deductions) == (
        Decimal("4100"),
        Decimal("1000"),
        Decimal("100"),
    )
    assert today.kpis["percent_current"] == formulas.percent_current(
        current=Decimal(1000), total=Decimal(4100)
    )
    assert today.kpis["dso_countback"] == formulas.countback_dso(
        receivables=Decimal(4100), periods=today.countback_periods
    )
    assert today.kpis["add"] == today.kpis["dso_simple"] - today.kpis["bpdso"]


def test_cash_collected_and_days_late(book):
    tenant = book.tenant
    with tenant_context(tenant):
        months = kpi_months(tenant=tenant, months=12, today=book.today)
    collected = {m.month: m.collected for m in months}
    pay_month = (book.items["pay"].document_date).replace(day=1)
    old_month = (book.today - timedelta(days=150)).replace(day=1)
    # 400 applied to I-2 five days ago, which was due 15 days ago: 10 days late;
    # 200 applied to I-4 150 days ago, due 200 days ago: 50 days late.
    assert collected[pay_month] == Decimal("400")
    assert collected[old_month] == Decimal("200")
    by_month = {m.month: m for m in months}
    assert by_month[pay_month].kpis["days_late_weighted"] == Decimal("10.0")
    assert by_month[old_month].kpis["days_late_weighted"] == Decimal("50.0")
    # the 100 moved to a deduction is not cash
    assert sum(collected.values()) == Decimal("600")


def test_filters_narrow_the_book_and_other_tenant_is_apart(book, tenant_b):
    tenant = book.tenant
    with tenant_context(tenant):
        gb = kpi_months(tenant=tenant, months=2, book=BookFilter(country="GB"), today=book.today)
    assert gb[-1].receivables == Decimal("900.00")
    with tenant_context(tenant_b):
        other = kpi_months(tenant=tenant_b, months=2)
    assert other[-1].receivables == Decimal("99999.00")


def test_kpi_page_shows_tiles_formulas_and_trend(book, signed_in_client):
    client = signed_in_client(book.tenant, "executive")
    response = client.get("/reports/kpis/", {"months": "24"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="kpi-dso_countback"' in html
    assert "How is this computed?" in html
    assert "<svg" in html
    assert html.count('<th scope="col" class="money">') >= 24
    assert "Cora Collector" in html  # her customers are overdue
    assert "99,999" not in html  # tenant B


def test_kpi_page_refuses_bad_months(book, signed_in_client):
    client = signed_in_client(book.tenant, "executive")
    response = client.get("/reports/kpis/", {"months": "99"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_kpi_api_for_the_erp_and_cross_tenant(book, tenant_b, api_client_for):
    body = api_client_for(book.tenant).get("/api/v1/reports/kpis/", {"months": "12"}).json()
    assert len(body["months"]) == 12
    latest = body["months"][-1]
    assert latest["inputs"]["receivables"] == "4100.00"
    assert latest["inputs"]["current"] == "1000.00"
    assert latest["kpis"]["percent_current"] == "24.4"
    assert {d["key"] for d in body["definitions"]} >= {"dso_countback", "cei", "ddo"}
    other = api_client_for(tenant_b).get("/api/v1/reports/kpis/").json()
    assert other["months"][-1]["inputs"]["receivables"] == "99999.00"
    bad = api_client_for(book.tenant).get("/api/v1/reports/kpis/", {"country": "DEU"})
    assert bad.status_code == 400
    assert bad["Content-Type"].startswith("application/problem+json")
