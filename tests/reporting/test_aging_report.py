"""Whole-book aging: every grouping, both currencies, both dates, today and
the past, checked to the cent against a Python aging of the raw rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from reporting.selectors.aging import (
    AgeBy,
    AgingQuery,
    AmountIn,
    GroupBy,
    aging_cell_items,
    aging_report,
)
from reporting.selectors.common import BookFilter
from tests.reporting.oracle import aging_by

pytestmark = pytest.mark.django_db

KEYS = {
    GroupBy.CUSTOMER: lambda item: str(item.customer_id),
    GroupBy.CUSTOMER_GROUP: lambda item: str(item.customer.parent_id or item.customer_id),
    GroupBy.COLLECTOR: lambda item: str(item.customer.collector_id or ""),
    GroupBy.COUNTRY: lambda item: str(item.customer.country),
    GroupBy.CURRENCY: lambda item: item.currency,
}


def as_dict(report):
    return {
        line.key: {
            "buckets": line.buckets,
            "deductions": line.deductions,
            "unapplied": line.unapplied,
        }
        for line in report.rows
    }


def test_today_by_customer_to_the_cent(book):
    with tenant_context(book.tenant):
        report = aging_report(tenant=book.tenant, query=AgingQuery(as_of=book.today))
    labels = [b.label for b in report.buckets]
    assert labels == ["Current", "1-30", "31-60", "61-90", "91-120", "120+"]
    rows = {line.key: line for line in report.rows}
    acme = rows[str(book.acme.pk)]
    assert acme.buckets == [Decimal("1000"), Decimal("1600"), 0, 0, 0, 0]
    assert acme.unapplied == Decimal("-300")
    assert acme.total == Decimal("2300")
    acme_at = rows[str(book.acme_at.pk)]
    assert acme_at.buckets[3] == Decimal("500")
    assert acme_at.deductions == Decimal("100")
    assert rows[str(book.bolt.pk)].buckets[2] == Decimal("900.00")  # USD 1,000 at 0.90
    (total,) = report.totals
    assert (total.currency, total.total) == ("EUR", Decimal("3800"))
    assert report.group_count == 3
    # the other tenant's USD 99,999 is nowhere
    assert all(line.total < 10000 for line in report.rows)


@pytest.mark.parametrize("group_by", list(KEYS))
@pytest.mark.parametrize("days_ago", [0, 60, 160])
def test_matches_raw_rows_for_every_grouping_and_date(book, group_by, days_ago):
    as_of = book.today - timedelta(days=days_ago)
    with tenant_context(book.tenant):
        report = aging_report(
            tenant=book.tenant, query=AgingQuery(as_of=as_of, group_by=group_by), page_size=100
        )
        expected = aging_by(book.tenant, as_of, KEYS[group_by])
    assert as_dict(report) == expected


@pytest.mark.parametrize("days_ago", [0, 100])
def test_document_currency_and_document_date(book, days_ago):
    as_of = book.today - timedelta(days=days_ago)
    query = AgingQuery(
        as_of=as_of, amount_in=AmountIn.DOCUMENT, age_by=AgeBy.DOCUMENT_DATE, bucket_days=(45, 90)
    )
    with tenant_context(book.tenant):
        report = aging_report(tenant=book.tenant, query=query)
        expected = aging_by(
            book.tenant,
            as_of,
            lambda item: (str(item.customer_id), item.currency),
            bucket_days=(45, 90),
            base=False,
            by_due=False,
        )
    got = {
        (line.key, line.currency): {
            "buckets": line.buckets,
            "deductions": line.deductions,
            "unapplied": line.unapplied,
        }
        for line in report.rows
    }
    assert got == expected
    if days_ago == 0:
        assert {t.currency: t.total for t in report.totals} == {
            "EUR": Decimal("2900"),
            "USD": Decimal("1000"),
        }


def test_risk_class_groups_and_filters(book):
    with tenant_context(book.tenant):
        report = aging_report(
            tenant=book.tenant, query=AgingQuery(as_of=book.today, group_by=GroupBy.RISK_CLASS)
        )
        rows = {line.key: line for line in report.rows}
        assert rows["B"].total == Decimal("2900")
        assert rows["B"].label == "Class B"
        assert rows[""].total == Decimal("900.00")
        filtered = aging_report(
            tenant=book.tenant,
            query=AgingQuery(
                as_of=book.today, book=BookFilter(country="AT", collector_id=book.collector.pk)
            ),
        )
    assert [line.key for line in filtered.rows] == [str(book.acme_at.pk)]


def test_paging_keeps_totals_of_the_whole_book(book):
    with tenant_context(book.tenant):
        first = aging_report(tenant=book.tenant, query=AgingQuery(as_of=book.today), page_size=2)
        second = aging_report(
            tenant=book.tenant, query=AgingQuery(as_of=book.today), page=2, page_size=2
        )
    assert [line.total for line in first.rows] == [Decimal("2300"), Decimal("900.00")]
    assert [line.key for line in second.rows] == [str(book.acme_at.pk)]
    assert first.totals[0].total == second.totals[0].total == Decimal("3800")
    assert first.page_count == 2


def test_drill_down_returns_the_items_of_a_cell(book):
    with tenant_context(book.tenant):
        query = AgingQuery(as_of=book.today, group_by=GroupBy.CUSTOMER_GROUP)
        group = str(book.acme.pk)
        overdue = aging_cell_items(tenant=book.tenant, query=query, key=group, column="1-30")
        assert [i.number for i in overdue] == ["I-2"]
        assert overdue[0].open_base_as_of == Decimal("1600")
        deductions = aging_cell_items(
            tenant=book.tenant, query=query, key=group, column="deductions"
        )
        assert [i.number for i in deductions] == ["D-1"]
        # 160 days ago: I-4 was still fully open, aged 40 days then
        past = AgingQuery(as_of=book.today - timedelta(days=160), group_by=GroupBy.CUSTOMER)
        items = aging_cell_items(
            tenant=book.tenant, query=past, key=str(book.acme_at.pk), column="31-60"
        )
        assert [(i.number, i.open_as_of) for i in items] == [("I-4", Decimal("300"))]


@pytest.mark.parametrize(
    ("query_kwargs", "field"),
    [
        ({"bucket_days": (30, 30, 60)}, "buckets"),
        ({"bucket_days": (60, 30)}, "buckets"),
        ({"bucket_days": ()}, "buckets"),
    ],
)
def test_bad_buckets_are_refused(book, query_kwargs, field):
    with tenant_context(book.tenant), pytest.raises(ValidationFailed) as error:
        aging_report(tenant=book.tenant, query=AgingQuery(as_of=book.today, **query_kwargs))
    assert field in error.value.errors


def test_future_as_of_is_refused(book):
    with tenant_context(book.tenant), pytest.raises(ValidationFailed) as error:
        aging_report(tenant=book.tenant, query=AgingQuery(as_of=book.today + timedelta(days=1)))
    assert "as_of" in error.value.errors


def test_unknown_drill_down_column_is_refused(book):
    with tenant_context(book.tenant), pytest.raises(ValidationFailed):
        aging_cell_items(
            tenant=book.tenant,
            query=AgingQuery(as_of=book.today),
            key=str(book.acme.pk),
            column="500+",
        )
