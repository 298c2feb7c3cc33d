"""ledger_agingchange, the per-day changes the ledger's triggers keep: summed
up to any day they give, key by key, exactly what the raw items and
applications say was open that day (amounts, base amounts and the number of
open items), also when applications arrive back-dated, before the item's
date, or are reversed and the item reopens. The past aging built on them
agrees with the raw rows, item counts included, and another tenant's
changes stay apart."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from otc.ledger.models import AgingBalance, AgingChange
from otc.tenancy.context import tenant_context
from reporting.selectors.aging import AgingQuery, aging_report
from tests.reporting.oracle import open_as_of

pytestmark = pytest.mark.django_db

ZERO = Decimal(0)


def side(item):
    if item.kind == "deduction":
        return "deduction"
    return "credit" if item.amount < 0 else "debit"


def raw_open(tenant, day):
    """{(customer, currency, side, aging date): (open, open base, items)} from raw rows."""
    rows = defaultdict(lambda: [ZERO, ZERO, 0])
    for item, open_amount, open_base in open_as_of(tenant, day):
        key = (item.customer_id, item.currency, side(item), item.due_date or item.document_date)
        rows[key][0] += open_amount
        rows[key][1] += open_base
        rows[key][2] += 1
    return {key: tuple(value) for key, value in rows.items()}


def summed_changes(changes, day):
    rows = defaultdict(lambda: [ZERO, ZERO, 0])
    for change in changes:
        if change.effective_date <= day:
            key = (change.customer_id, change.currency, change.side, change.aging_date)
            rows[key][0] += change.open_amount
            rows[key][1] += change.open_base_amount
            rows[key][2] += change.item_count
    return {key: tuple(value) for key, value in rows.items() if value != [ZERO, ZERO, 0]}


def test_changes_replay_every_day_of_the_raw_rows(awkward_book, tenant_b):
    tenant, today = awkward_book.tenant, awkward_book.today
    with tenant_context(tenant):
        changes = list(AgingChange.objects.for_tenant(tenant))
        for days_ago in range(240):
            day = today - timedelta(days=days_ago)
            assert summed_changes(changes, day) == raw_open(tenant, day), day
        # all of them together are what is open now
        now = {
            (row.customer_id, row.currency, row.side, row.aging_date): (
                row.open_amount,
                row.open_base_amount,
                row.item_count,
            )
            for row in AgingBalance.objects.for_tenant(tenant)
        }
        assert summed_changes(changes, today + timedelta(days=3650)) == now
        assert (
            not AgingChange.objects.for_tenant(tenant)
            .filter(open_amount=0, open_base_amount=0, item_count=0)
            .exists()
        )
        customers = {change.customer_id for change in changes}
    with tenant_context(tenant_b):
        other = list(AgingChange.objects.for_tenant(tenant_b))
        assert other
        assert not {change.customer_id for change in other} & customers
        assert summed_changes(other, today) == raw_open(tenant_b, today)


@pytest.mark.parametrize("days_ago", [5, 25, 40, 45, 90])
def test_past_aging_counts_items_like_the_raw_rows(awkward_book, days_ago):
    tenant = awkward_book.tenant
    day = awkward_book.today - timedelta(days=days_ago)
    with tenant_context(tenant):
        report = aging_report(tenant=tenant, query=AgingQuery(as_of=day))
        expected_items = defaultdict(int)
        expected_total = defaultdict(Decimal)
        numbers = set()
        for item, _open, open_base in open_as_of(tenant, day):
            expected_items[str(item.customer_id)] += 1
            expected_total[str(item.customer_id)] += open_base
            numbers.add(item.number)
    assert {line.key: line.item_count for line in report.rows} == dict(expected_items)
    assert {line.key: line.total for line in report.rows} == dict(expected_total)
    (total,) = report.totals
    assert total.item_count == sum(expected_items.values())
    assert total.customer_count == len(expected_items)
    # I-9 (dated 60 days ago) was paid from 40 to 21 days ago, its cheque bounced then
    assert ("I-9" in numbers) is (days_ago in (5, 45))
