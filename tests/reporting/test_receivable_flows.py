"""ledger_receivableflow and ledger_customercashday, the daily summaries the
ledger's triggers append to: summed per key they are exactly what the raw
items and applications say (reversals, back-dated and out-of-order
applications, a cancelled invoice, two currencies), folding them changes no
sum and leaves one row per key, and another tenant's rows stay apart. The
monthly KPIs read from them agree with the raw rows on the same book."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from otc.customers.models import Customer
from otc.ledger.models import (
    Application,
    CustomerCashDay,
    ItemKind,
    OpenItem,
    ReceivableFlow,
)
from otc.ledger.services import ledger_summaries_fold
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Tenant
from reporting.selectors.aging import AgingQuery, aging_report, top_overdue_customers
from reporting.selectors.kpis import collector_performance, kpi_months
from reporting.tasks import fold_ledger_summaries
from tests.reporting.conftest import post
from tests.reporting.oracle import aging_by, open_as_of
from tests.reporting.test_kpis import month_end, raw_receivables

pytestmark = pytest.mark.django_db

ZERO = Decimal(0)


def raw_flows(tenant):
    """{(currency, item kind, document date, aging date, flow, effective date): base}"""
    flows: dict[tuple, Decimal] = defaultdict(Decimal)
    for item in OpenItem.objects.for_tenant(tenant).filter(amount__gt=0):
        aging = item.due_date or item.document_date
        key = (item.currency, item.kind, item.document_date, aging, "billed", item.document_date)
        flows[key] += item.base_amount
    for app in Application.objects.for_tenant(tenant).select_related("debit_item"):
        item = app.debit_item
        aging = item.due_date or item.document_date
        key = (item.currency, item.kind, item.document_date, aging, app.kind, app.effective_date)
        flows[key] += app.debit_base_amount
    return {key: value for key, value in flows.items() if value}


def raw_cash_days(tenant):
    """{(customer, effective date): (cash received, cash x days late)}"""
    days: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for app in Application.objects.for_tenant(tenant).filter(kind="cash", amount__gt=0):
        item = app.debit_item
        late = (app.effective_date - (item.due_date or item.document_date)).days
        days[(item.customer_id, app.effective_date)][0] += app.debit_base_amount
        days[(item.customer_id, app.effective_date)][1] += app.debit_base_amount * late
    return {key: tuple(value) for key, value in days.items()}


def summary_flows(tenant):
    flows: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in ReceivableFlow.objects.for_tenant(tenant):
        key = (
            row.currency,
            row.item_kind,
            row.document_date,
            row.aging_date,
            row.flow,
            row.effective_date,
        )
        flows[key] += row.base_amount
    return {key: value for key, value in flows.items() if value}


def summary_cash_days(tenant):
    days: dict[tuple, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in CustomerCashDay.objects.for_tenant(tenant):
        days[(row.customer_id, row.effective_date)][0] += row.base_amount
        days[(row.customer_id, row.effective_date)][1] += row.late_base_amount
    return {key: tuple(value) for key, value in days.items()}


def test_summaries_are_the_raw_rows_before_and_after_folding(awkward_book, tenant_b):
    tenant = awkward_book.tenant
    with tenant_context(tenant_b):
        other_before = (summary_flows(tenant_b), ReceivableFlow.objects.count())
        assert other_before[0] == raw_flows(tenant_b)
    with tenant_context(tenant):
        # two invoices of one day and terms, posted one by one: two rows of one key
        day = awkward_book.today - timedelta(days=3)
        for customer in (awkward_book.acme, awkward_book.acme_at):
            post(tenant, customer, ItemKind.INVOICE, "10.00", day, day + timedelta(days=30))
        flows, cash_days = raw_flows(tenant), raw_cash_days(tenant)
        # the USD invoice, the reversed (bounced) cash and the early payment are all there
        assert {key[0] for key in flows} == {"EUR", "USD"}
        assert any(value < 0 for key, value in flows.items() if key[4] == "cash")
        assert summary_flows(tenant) == flows
        assert summary_cash_days(tenant) == cash_days
        # one statement per posting: several rows share a key before the fold
        rows_before = ReceivableFlow.objects.count()
        assert rows_before > len(flows)

        assert ledger_summaries_fold(tenant=tenant) is True

        assert summary_flows(tenant) == flows
        assert summary_cash_days(tenant) == cash_days
        assert ReceivableFlow.objects.count() == len(flows)
        assert CustomerCashDay.objects.count() == len(cash_days)
        # folding again finds nothing to fold
        assert ledger_summaries_fold(tenant=tenant) is True
        assert ReceivableFlow.objects.count() == len(flows)
    with tenant_context(tenant_b):
        assert (summary_flows(tenant_b), ReceivableFlow.objects.count()) == other_before


def test_kpis_from_the_summary_match_the_raw_rows(awkward_book):
    tenant, today = awkward_book.tenant, awkward_book.today
    with tenant_context(tenant):
        ledger_summaries_fold(tenant=tenant)
        months = kpi_months(tenant=tenant, months=12, today=today)
        applications = list(Application.objects.for_tenant(tenant).select_related("debit_item"))
        for figures in months:
            end = month_end(figures.month, today)
            expected = raw_receivables(tenant, end)
            assert (figures.receivables, figures.current, figures.deductions) == expected
            in_month = [app for app in applications if figures.month <= app.effective_date <= end]
            cash = [app for app in in_month if app.kind == "cash"]
            assert figures.collected == sum((app.debit_base_amount for app in cash), ZERO)
            assert figures.days_late_weighted_sum == sum(
                (
                    app.debit_base_amount
                    * (
                        app.effective_date
                        - (app.debit_item.due_date or app.debit_item.document_date)
                    ).days
                    for app in cash
                ),
                ZERO,
            )
            assert figures.written_off == sum(
                (app.debit_base_amount for app in in_month if app.kind == "write_off"), ZERO
            )


def test_the_hourly_task_folds_every_tenant(awkward_book, tenant_b, settings):
    tenant = awkward_book.tenant
    assert (
        settings.CELERY_BEAT_SCHEDULE["reporting-fold-ledger-summaries"]["task"]
        == fold_ledger_summaries.name
    )
    with tenant_context(tenant_b):
        post(tenant_b, tenant_b_customer(tenant_b), ItemKind.INVOICE, "5.00", awkward_book.today)
        post(tenant_b, tenant_b_customer(tenant_b), ItemKind.INVOICE, "6.00", awkward_book.today)
        other = summary_flows(tenant_b)
        assert ReceivableFlow.objects.count() > len(other)
    with tenant_context(tenant):
        flows = summary_flows(tenant)
    assert fold_ledger_summaries() == Tenant.objects.filter(is_active=True).count()
    with tenant_context(tenant):
        assert summary_flows(tenant) == flows
        assert ReceivableFlow.objects.count() == len(flows)
    with tenant_context(tenant_b):
        assert summary_flows(tenant_b) == other
        assert ReceivableFlow.objects.count() == len(other)


def tenant_b_customer(tenant_b):
    return Customer.objects.for_tenant(tenant_b).order_by("pk").first()


@pytest.mark.parametrize("days_ago", [0, 5, 25, 45, 90, 200])
def test_book_totals_from_the_summaries_match_the_raw_rows(awkward_book, days_ago):
    tenant = awkward_book.tenant
    day = awkward_book.today - timedelta(days=days_ago)
    with tenant_context(tenant):
        # one customer per page: the rows are the page's, the totals the book's
        report = aging_report(tenant=tenant, query=AgingQuery(as_of=day), page_size=1)
        expected = aging_by(tenant, day, lambda item: "book")["book"]
        open_items = open_as_of(tenant, day)
        items = len(open_items)
        customers = len({item.customer_id for item, _open, _base in open_items})
        totals = aging_by(tenant, day, lambda item: item.customer_id)
    balances = {
        customer: sum(row["buckets"], row["deductions"] + row["unapplied"])
        for customer, row in totals.items()
    }
    assert [line.key for line in report.rows] == [str(max(balances, key=balances.__getitem__))]
    (total,) = report.totals
    assert total.buckets == expected["buckets"]
    assert (total.deductions, total.unapplied) == (expected["deductions"], expected["unapplied"])
    assert total.total == sum(expected["buckets"], expected["deductions"] + expected["unapplied"])
    assert total.item_count == items
    assert total.customer_count == report.group_count == customers


def test_collector_performance_matches_the_raw_rows(awkward_book, tenant_b):
    tenant, today = awkward_book.tenant, awkward_book.today
    start = today.replace(day=1) - timedelta(days=1)
    with tenant_context(tenant):
        figures = {row.collector_id: row for row in collector_performance(tenant=tenant)}
        collectors = dict(Customer.objects.for_tenant(tenant).values_list("pk", "collector_id"))
        assigned: dict[int | None, Decimal] = defaultdict(Decimal)
        collected: dict[int | None, Decimal] = defaultdict(Decimal)
        applications = list(Application.objects.for_tenant(tenant).select_related("debit_item"))
        for item in OpenItem.objects.for_tenant(tenant).filter(
            amount__gt=0, document_date__lte=start
        ):
            if (item.due_date or item.document_date) > start:
                continue
            applied = sum(
                (
                    app.debit_base_amount
                    for app in applications
                    if app.debit_item_id == item.pk and app.effective_date <= start
                ),
                ZERO,
            )
            assigned[collectors[item.customer_id]] += item.base_amount - applied
        for app in applications:
            if app.kind == "cash" and start < app.effective_date <= today:
                collected[collectors[app.debit_item.customer_id]] += app.debit_base_amount
    cora = awkward_book.collector.pk
    assert figures[cora].assigned == assigned[cora]
    assert figures[cora].collected == collected[cora]
    assert figures[None].assigned == assigned[None]  # Bolt has no collector
    assert sum(row.assigned for row in figures.values()) == sum(assigned.values())
    assert sum(row.collected for row in figures.values()) == sum(collected.values())


def test_top_overdue_customers_match_the_raw_rows(awkward_book, tenant_b):
    tenant, today = awkward_book.tenant, awkward_book.today
    overdue: dict[int, Decimal] = defaultdict(Decimal)
    oldest: dict[int, object] = {}
    with tenant_context(tenant):
        top = top_overdue_customers(tenant=tenant, limit=8)
        for item, _open, open_base in open_as_of(tenant, today):
            aging = item.due_date or item.document_date
            if item.amount > 0 and item.kind != "deduction" and aging < today:
                overdue[item.customer_id] += open_base
                oldest[item.customer_id] = min(oldest.get(item.customer_id, aging), aging)
    expected = sorted(overdue.items(), key=lambda pair: (-pair[1], pair[0]))
    assert [(c.customer_id, c.overdue, c.oldest_due) for c in top] == [
        (customer, amount, oldest[customer]) for customer, amount in expected
    ]
    with tenant_context(tenant_b):
        assert {c.customer_id for c in top_overdue_customers(tenant=tenant_b)}.isdisjoint(overdue)
