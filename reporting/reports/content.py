"""The content of each kind of report, read through reporting's selectors
(and the ledger's and deductions' for the statement and the deductions
report). `progress(percent)` is called as the parts come in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from deductions.selectors import QueueFilters, deduction_figures, deduction_queue
from otc.customers.models import Customer
from otc.errors import ValidationFailed
from otc.ledger.selectors import customer_aging
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.web.templatetags.otc_format import format_money
from reporting.charts import aging_chart
from reporting.models import ReportKind
from reporting.presentation import dso_trend_chart, forecast_chart, kpi_tiles
from reporting.report_cache import cached_report
from reporting.reports.document import Cell, CellKind, Chart, Column, ReportDocument, Table
from reporting.reports.parameters import ReportParameters
from reporting.selectors.aging import (
    AgingLine,
    AgingQuery,
    AmountIn,
    aging_report,
    top_overdue_customers,
)
from reporting.selectors.forecast import BacktestPeriod, CashForecast
from reporting.selectors.kpis import KPI_DEFINITIONS, collector_performance, kpi_months

Progress = Callable[[int], None]
AGING_PAGE = 5000
TOP_OVERDUE = 15

GROUP_TITLES = {
    "customer": "Customer",
    "customer_group": "Customer group",
    "collector": "Collector",
    "risk_class": "Risk class",
    "country": "Country",
    "currency": "Currency",
}


def _as_of_text(as_of: date) -> str:
    return f"as of {as_of:%d %b %Y}"


def _aging_line_cells(line: AgingLine) -> list[Cell]:
    return [
        line.label,
        line.currency,
        *line.buckets,
        line.deductions,
        line.unapplied,
        line.total,
        line.item_count,
    ]


def aging_document(
    *, tenant: Tenant, parameters: ReportParameters, progress: Progress
) -> ReportDocument:
    query = parameters.aging_query(today=tenant_today(tenant))
    report = aging_report(tenant=tenant, query=query, page=1, page_size=AGING_PAGE)
    lines = list(report.rows)
    for page in range(2, report.page_count + 1):
        progress(10 + 70 * page // report.page_count)
        lines.extend(aging_report(tenant=tenant, query=query, page=page, page_size=AGING_PAGE).rows)
    money = Column("", CellKind.MONEY, currency_column=1)
    columns = [
        Column(GROUP_TITLES[query.group_by.value]),
        Column("Currency"),
        *[Column(b.label, money.kind, currency_column=1) for b in report.buckets],
        Column("Deductions", CellKind.MONEY, currency_column=1),
        Column("Unapplied", CellKind.MONEY, currency_column=1),
        Column("Total", CellKind.MONEY, currency_column=1),
        Column("Items", CellKind.INTEGER),
    ]
    totals = [["Total", *_aging_line_cells(t)[1:]] for t in report.totals]
    charts = []
    if query.amount_in == AmountIn.BASE and report.totals:
        charts.append(
            Chart(
                f"Aging ({report.base_currency})",
                aging_chart(
                    [b.label for b in report.buckets],
                    report.totals[0].buckets,
                    currency=report.base_currency,
                ),
            )
        )
    amounts = "base currency" if query.amount_in == AmountIn.BASE else "document currency"
    return ReportDocument(
        title="AR aging",
        subtitle=f"{_as_of_text(query.as_of)} · by {GROUP_TITLES[query.group_by.value].lower()}"
        f" · aged by {query.age_by.value.replace('_', ' ')} · {amounts}",
        file_stem=f"aging-{query.as_of.isoformat()}",
        currency=report.base_currency,
        charts=charts,
        tables=[
            Table(
                "Aging",
                columns,
                [_aging_line_cells(line) for line in lines],
                totals=totals,
            )
        ],
    )


def kpi_pack_document(
    *, tenant: Tenant, parameters: ReportParameters, progress: Progress
) -> ReportDocument:
    base = str(tenant.base_currency)
    today = tenant_today(tenant)
    months = kpi_months(tenant=tenant, months=parameters.months, book=parameters.book)
    progress(40)
    aging = aging_report(
        tenant=tenant, query=AgingQuery(as_of=today, book=parameters.book), page_size=1
    )
    progress(55)
    forecast = _forecast(tenant)
    progress(70)
    aging_totals = aging.totals[0] if aging.totals else None
    labels = [bucket.label for bucket in aging.buckets]
    charts = [
        Chart(
            f"Aging today ({base})",
            aging_chart(
                labels,
                aging_totals.buckets if aging_totals else [Decimal(0)] * len(labels),
                currency=base,
            ),
            note=f"Open receivables {format_money(aging_totals.total, base, tenant.locale)}"
            if aging_totals
            else "",
        ),
        Chart("DSO trend", dso_trend_chart(months), note="Days, at each month end."),
        Chart(
            f"Cash forecast, next 13 weeks ({base})",
            forecast_chart(forecast),
            note=(
                f"Expected receipts: {format_money(forecast.total_base, base, tenant.locale)} "
                "in all."
            ),
        ),
    ]
    trend = Table(
        "Monthly trend",
        [Column("Month", CellKind.TEXT)]
        + [
            Column(d.label, CellKind.PERCENT if d.unit == "%" else CellKind.DAYS)
            for d in KPI_DEFINITIONS
        ],
        [
            [m.month.strftime("%b %Y")] + [m.kpis.get(d.key) for d in KPI_DEFINITIONS]
            for m in months
        ],
    )
    formulas = Table(
        "How each KPI is computed",
        [
            Column("KPI"),
            Column("This month", CellKind.DAYS),
            Column("Last month", CellKind.DAYS),
            Column("Unit"),
            Column("Formula"),
        ],
        [
            [t.definition.label, t.value, t.previous, t.definition.unit, t.definition.formula]
            for t in kpi_tiles(months)
        ],
    )
    overdue = Table(
        f"Most overdue customers ({base})",
        [
            Column("Number"),
            Column("Customer"),
            Column("Overdue", CellKind.MONEY, currency=base),
            Column("Oldest due", CellKind.DATE),
        ],
        [
            [c.number, c.name, c.overdue, c.oldest_due]
            for c in top_overdue_customers(tenant=tenant, limit=TOP_OVERDUE)
        ],
    )
    collectors = Table(
        f"Collector performance this month ({base})",
        [
            Column("Collector"),
            Column("Assigned (overdue at month start)", CellKind.MONEY, currency=base),
            Column("Collected", CellKind.MONEY, currency=base),
            Column("Effectiveness", CellKind.PERCENT),
        ],
        [
            [c.name, c.assigned, c.collected, c.effectiveness]
            for c in collector_performance(tenant=tenant)
        ],
    )
    progress(85)
    return ReportDocument(
        title="KPI pack",
        subtitle=f"{_as_of_text(today)} · trend over {parameters.months} months · {base}",
        file_stem=f"kpi-pack-{today.isoformat()}",
        currency=base,
        tiles=kpi_tiles(months),
        charts=charts,
        tables=[trend, formulas, overdue, collectors],
    )


def _forecast(tenant: Tenant) -> CashForecast:
    forecast = cached_report(tenant=tenant, name="cash_forecast", wait=True)
    if not isinstance(forecast, CashForecast):  # pragma: no cover  (wait=True computes one)
        raise TypeError("the cash forecast cache holds something else")
    return forecast


def cash_forecast_document(
    *, tenant: Tenant, parameters: ReportParameters, progress: Progress
) -> ReportDocument:
    forecast = _forecast(tenant)
    progress(50)
    backtest: list[BacktestPeriod] = (
        cached_report(tenant=tenant, name="forecast_backtest", wait=True) or []
    )
    progress(80)
    base = forecast.base_currency
    currencies = forecast.currencies
    weeks = Table(
        "Expected receipts by week",
        [
            Column("Week from", CellKind.DATE),
            Column("Week to", CellKind.DATE),
            *[Column(c, CellKind.MONEY, currency=c) for c in currencies],
            Column(f"Total ({base})", CellKind.MONEY, currency=base),
        ],
        [
            [week.start, week.end, *[week.by_currency.get(c) for c in currencies], week.base]
            for week in forecast.weeks
        ],
        totals=[
            [
                "Total",
                None,
                *[
                    sum((w.by_currency.get(c, Decimal(0)) for w in forecast.weeks), Decimal(0))
                    for c in currencies
                ],
                forecast.total_base,
            ]
        ],
    )
    backtest_table = Table(
        "Backtest: forecast against what came in",
        [
            Column("From", CellKind.DATE),
            Column("To (exclusive)", CellKind.DATE),
            Column("Forecast", CellKind.MONEY, currency=base),
            Column("Collected", CellKind.MONEY, currency=base),
            Column("Error", CellKind.PERCENT),
        ],
        [[p.start, p.end, p.predicted, p.actual, p.error_percent] for p in backtest],
    )
    return ReportDocument(
        title="Cash forecast",
        subtitle=f"13 weeks from {forecast.today:%d %b %Y} · {base}",
        file_stem=f"cash-forecast-{forecast.today.isoformat()}",
        currency=base,
        charts=[Chart(f"Expected receipts per week ({base})", forecast_chart(forecast))],
        tables=[weeks, backtest_table],
        notes=[
            (
                "Expected after the 13 weeks: "
                f"{format_money(forecast.later_base, base, tenant.locale)}."
            ),
            (
                f"More than 30 days past the expected date, not forecast: "
                f"{format_money(forecast.stale_base, base, tenant.locale)}."
            ),
        ],
    )


def statement_customer(*, tenant: Tenant, parameters: ReportParameters) -> Customer:
    customer = (
        Customer.objects.for_tenant(tenant).filter(pk=parameters.book.customer_id).first()
        if parameters.book.customer_id
        else None
    )
    if customer is None:
        raise ValidationFailed(
            "A customer statement needs one of your customers: no customer has that id.",
            errors={"customer": ["No customer has that id."]},
        )
    return customer


def customer_statement_document(
    *, tenant: Tenant, parameters: ReportParameters, progress: Progress
) -> ReportDocument:
    customer = statement_customer(tenant=tenant, parameters=parameters)
    as_of = parameters.as_of or tenant_today(tenant)
    aging = customer_aging(tenant=tenant, customer=customer, as_of=as_of, with_items=True)
    progress(60)
    rows: list[list[Cell]] = []
    for aged in sorted(aging.items, key=lambda a: a.item.due_date or a.item.document_date):
        item = aged.item
        rows.append(
            [
                item.number,
                item.get_kind_display(),
                item.document_date,
                item.due_date,
                aged.days_past_due if aged.bucket else None,
                item.currency,
                item.amount,
                aged.open_amount,
            ]
        )
    money = CellKind.MONEY
    return ReportDocument(
        title=f"Statement of account · {customer.number} {customer.legal_name}",
        subtitle=_as_of_text(as_of),
        file_stem=f"statement-{customer.number}-{as_of.isoformat()}",
        currency=aging.base_currency,
        tables=[
            Table(
                "Open items",
                [
                    Column("Document"),
                    Column("Type"),
                    Column("Date", CellKind.DATE),
                    Column("Due", CellKind.DATE),
                    Column("Days overdue", CellKind.INTEGER),
                    Column("Currency"),
                    Column("Amount", money, currency_column=5),
                    Column("Open", money, currency_column=5),
                ],
                rows,
            ),
            Table(
                f"Aging ({aging.base_currency})",
                [Column(b.label, money, currency=aging.base_currency) for b in aging.buckets]
                + [Column("Total", money, currency=aging.base_currency)],
                [[*aging.amounts, aging.total]],
            ),
        ],
    )


def deductions_document(
    *, tenant: Tenant, parameters: ReportParameters, progress: Progress
) -> ReportDocument:
    today = tenant_today(tenant)
    base = str(tenant.base_currency)
    queue = deduction_queue(
        tenant=tenant,
        filters=QueueFilters(customer_id=parameters.book.customer_id),
        today=today,
    ).order_by("open_item__document_date", "pk")
    rows: list[list[Cell]] = [
        [
            d.open_item.number,
            f"{d.customer.number} {d.customer.legal_name}",
            d.reason.name if d.reason else d.reason_code,
            d.get_status_display(),
            d.owner.email if d.owner else "",
            d.open_item.document_date,
            (today - d.open_item.document_date).days,
            d.currency,
            d.amount,
            d.open_item.open_amount,
            d.open_item.open_base_amount,
        ]
        for d in queue.iterator(chunk_size=2000)
    ]
    progress(60)
    figures = deduction_figures(tenant=tenant, today=today)
    progress(80)
    money = CellKind.MONEY
    summary = [
        Table(
            f"Open by {name} ({base})",
            [
                Column(name.capitalize()),
                Column("Count", CellKind.INTEGER),
                Column("Open", money, currency=base),
            ],
            [[b.label, b.count, b.base_amount] for b in buckets],
        )
        for name, buckets in (
            ("reason", figures.by_reason),
            ("age", figures.by_age),
            ("owner", figures.by_owner),
        )
    ]
    open_text = format_money(figures.open_base, base, tenant.locale)
    notes = [f"{figures.open_count} open deductions, {open_text}."]
    if figures.days_deductions_outstanding is not None:
        notes.append(f"Days deductions outstanding: {figures.days_deductions_outstanding}.")
    return ReportDocument(
        title="Deductions report",
        subtitle=f"open deductions {_as_of_text(today)}",
        file_stem=f"deductions-{today.isoformat()}",
        currency=base,
        tables=[
            Table(
                "Open deductions",
                [
                    Column("Deduction"),
                    Column("Customer"),
                    Column("Reason"),
                    Column("Status"),
                    Column("Owner"),
                    Column("Date", CellKind.DATE),
                    Column("Age (days)", CellKind.INTEGER),
                    Column("Currency"),
                    Column("Amount", money, currency_column=7),
                    Column("Open", money, currency_column=7),
                    Column(f"Open ({base})", money, currency=base),
                ],
                rows,
            ),
            *summary,
        ],
        notes=notes,
    )


BUILDERS: dict[str, Callable[..., ReportDocument]] = {
    ReportKind.AGING: aging_document,
    ReportKind.KPI_PACK: kpi_pack_document,
    ReportKind.CASH_FORECAST: cash_forecast_document,
    ReportKind.CUSTOMER_STATEMENT: customer_statement_document,
    ReportKind.DEDUCTIONS: deductions_document,
}


def report_document(
    *, tenant: Tenant, kind: str, parameters: ReportParameters, progress: Progress
) -> ReportDocument:
    return BUILDERS[kind](tenant=tenant, parameters=parameters, progress=progress)
