"""The month-end unrealised FX revaluation, pinned to the book worked by
hand in conftest.py, and its page and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from otc.fx.selectors.revaluation import fx_revaluation
from otc.fx.views import last_month_end
from otc.ledger.models import ItemKind
from otc.tenancy.context import tenant_context
from tests.otc.fx.books import JAN_31, post, rate
from tests.otc.ledger.conftest import make_customer

pytestmark = pytest.mark.django_db


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_month_end_revaluation_to_the_cent(foreign_book, tenant_a):
    with tenant_context(tenant_a):
        report = fx_revaluation(tenant=tenant_a, as_of=JAN_31)
    assert report.base_currency == "EUR"
    lines = {item.number: item for item in report.items}
    assert list(lines) == ["INV-2", "INV-1", "PAY-2"]  # by currency, then due date

    inv1 = lines["INV-1"]  # USD 600.00 left of 1,000.00 after PAY-1
    assert (inv1.open_amount, inv1.locked_rate, inv1.book_base) == (
        Decimal("600.00"),
        Decimal("0.9000000000"),
        Decimal("540.00"),
    )
    assert (inv1.rate, inv1.rate_date, inv1.rate_source) == (
        Decimal("0.9200000000"),
        date(2026, 1, 30),  # Saturday falls back to Friday
        "manual",
    )
    assert (inv1.revalued_base, inv1.gain) == (Decimal("552.00"), Decimal("12.00"))

    pay2 = lines["PAY-2"]  # unapplied cash: a stronger dollar is a loss on it
    assert (pay2.open_amount, pay2.book_base, pay2.revalued_base, pay2.gain) == (
        Decimal("-250.00"),
        Decimal("-227.50"),
        Decimal("-230.00"),
        Decimal("-2.50"),
    )
    inv2 = lines["INV-2"]  # 1 EUR = 0.80 GBP, so 1 GBP = 1.25 EUR
    assert (inv2.rate, inv2.book_base, inv2.revalued_base, inv2.gain) == (
        Decimal("1.2500000000"),
        Decimal("600.00"),
        Decimal("625.00"),
        Decimal("25.00"),
    )

    totals = {total.currency: total for total in report.by_currency}
    assert list(totals) == ["GBP", "USD"]
    usd = totals["USD"]
    assert (usd.items, usd.open_amount, usd.book_base, usd.revalued_base, usd.gain) == (
        2,
        Decimal("350.00"),
        Decimal("312.50"),
        Decimal("322.00"),
        Decimal("9.50"),
    )
    assert (report.book_base, report.revalued_base, report.gain) == (
        Decimal("912.50"),
        Decimal("947.00"),
        Decimal("34.50"),
    )


def test_items_without_a_rate_are_listed_with_the_reason(foreign_book, tenant_a):
    with tenant_context(tenant_a):
        report = fx_revaluation(tenant=tenant_a, as_of=JAN_31)
    assert [item.number for item in report.unrated] == ["INV-3"]
    chf = report.unrated[0]
    assert (chf.currency, chf.open_amount, chf.book_base) == (
        "CHF",
        Decimal("300.00"),
        Decimal("315.00"),
    )
    assert (chf.revalued_base, chf.gain) == (None, None)
    assert chf.reason == "No ECB rate for CHF on 2026-01-31 or the 7 days before."
    assert report.unrated_book_base == Decimal("315.00")


def test_base_currency_later_and_closed_items_are_not_revalued(foreign_book, tenant_a):
    with tenant_context(tenant_a):
        report = fx_revaluation(tenant=tenant_a, as_of=JAN_31)
    numbers = {item.number for item in report.items + report.unrated}
    assert numbers.isdisjoint({"INV-4", "INV-5", "INV-6", "PAY-4", "PAY-3", "B-INV"})


def test_february_sees_the_payment_and_no_rate(foreign_book, tenant_a):
    """By 28 Feb INV-1 is paid; the January rates are too old to fall back to."""
    with tenant_context(tenant_a):
        report = fx_revaluation(tenant=tenant_a, as_of=date(2026, 2, 28))
    assert report.items == []
    assert sorted(item.number for item in report.unrated) == ["INV-2", "INV-3", "INV-5", "PAY-2"]


def test_each_tenant_revalues_its_own_items_in_its_own_base(foreign_book, tenant_b):
    with tenant_context(tenant_b):
        report = fx_revaluation(tenant=tenant_b, as_of=JAN_31)
    assert report.base_currency == "USD"
    assert [(i.number, i.book_base, i.revalued_base, i.gain) for i in report.items] == [
        ("B-INV", Decimal("1050.00"), Decimal("1100.00"), Decimal("50.00"))
    ]


@pytest.mark.parametrize(
    ("today", "month_end"),
    [
        (date(2026, 11, 23), date(2026, 10, 31)),
        (date(2026, 11, 30), date(2026, 11, 30)),
        (date(2026, 3, 1), date(2026, 2, 28)),
        (date(2024, 3, 15), date(2024, 2, 29)),
    ],
)
def test_default_date_is_the_last_month_end(today, month_end):
    assert last_month_end(today) == month_end


# --- the page and the CSV ---------------------------------------------------------------


def test_page_shows_totals_items_and_unrated(foreign_book, signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "executive")
    response = client.get("/fx/revaluation/?as_of=2026-01-31")
    assert response.status_code == 200
    page = response.content.decode()
    assert "EUR\xa0912.50" in page  # book value
    assert "EUR\xa0947.00" in page  # revalued
    assert "EUR\xa034.50" in page  # gain
    assert "USD\xa0350.00" in page
    assert "EUR\xa09.50" in page
    assert "No ECB rate for CHF on 2026-01-31" in page
    assert page.count('data-testid="revaluation-row"') == 3
    assert "B-INV" not in page


def test_csv_download(foreign_book, signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "ar_clerk")
    response = client.get("/fx/revaluation/csv/?as_of=2026-01-31")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="fx-revaluation-alpha-2026-01-31.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_number = {row["number"]: row for row in rows}
    assert list(by_number) == ["INV-2", "INV-1", "PAY-2", "INV-3"]
    assert (
        by_number["INV-1"]["open_amount"],
        by_number["INV-1"]["locked_rate"],
        by_number["INV-1"]["book_value_base"],
        by_number["INV-1"]["rate_as_of"],
        by_number["INV-1"]["rate_date"],
        by_number["INV-1"]["revalued_base"],
        by_number["INV-1"]["unrealised_gain_loss_base"],
        by_number["INV-1"]["base_currency"],
    ) == ("600.00", "0.9", "540.00", "0.92", "2026-01-30", "552.00", "12.00", "EUR")
    assert by_number["PAY-2"]["unrealised_gain_loss_base"] == "-2.50"
    assert by_number["INV-3"]["revalued_base"] == ""
    assert by_number["INV-3"]["note"].startswith("No ECB rate for CHF")


def test_csv_quotes_cells_a_spreadsheet_would_run(tenant_a, signed_in_client):

    with tenant_context(tenant_a):
        customer = make_customer(tenant_a, "=HYPERLINK(1)", "=cmd|' /C calc'!A0")
        rate(tenant_a, JAN_31, "USD", "EUR", "0.9")
        post(tenant_a, customer, ItemKind.INVOICE, "@INV", "USD", "10.00", JAN_31)
    client = signed_in_client(tenant_a, "owner")
    rows = list(
        csv.reader(
            io.StringIO(client.get("/fx/revaluation/csv/?as_of=2026-01-31").content.decode())
        )
    )
    assert rows[1][:4] == ["'=HYPERLINK(1)", "'=cmd|' /C calc'!A0", "Invoice", "'@INV"]


def test_bad_date_is_a_form_error_not_a_500(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "owner")
    for bad in ("31-01-2026", "2026-02-30", "0001-01-01", "99999-01-01"):
        response = client.get(f"/fx/revaluation/?as_of={bad}")
        assert response.status_code == 200
        assert "Enter a date" in response.content.decode()


def test_report_needs_reports_view(signed_in_client, tenant_a):
    # Every interactive role holds reports.view; the page still checks it.
    client = signed_in_client(tenant_a, "auditor")
    assert client.get("/fx/revaluation/").status_code == 200
    anonymous = signed_in_client(tenant_a, "owner")
    anonymous.logout()
    assert anonymous.get("/fx/revaluation/").status_code == 302


def test_other_tenant_sees_only_its_own_items(foreign_book, signed_in_client, tenant_b):
    client = signed_in_client(tenant_b, "owner")
    page = client.get("/fx/revaluation/?as_of=2026-01-31").content.decode()
    assert "B-INV" in page
    assert "INV-1" not in page
    assert "Riverside" not in page
    rows = list(
        csv.reader(
            io.StringIO(client.get("/fx/revaluation/csv/?as_of=2026-01-31").content.decode())
        )
    )
    assert [row[3] for row in rows[1:]] == ["B-INV"]
