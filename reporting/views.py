"""HTML pages of reporting: the aging (with drill-down to the items of any
cell) and the tenant's aging buckets. KPIs, the cash forecast and the
executive charts live in their own modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from otc.audit.services import Actor
from otc.errors import ValidationFailed
from otc.tenancy.context import tenant_context
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import require_perm
from reporting.forms import (
    AGE_BY_CHOICES,
    GROUP_BY_CHOICES,
    AgingCellForm,
    AgingForm,
    BucketSettingsForm,
    KpiForm,
)
from reporting.pickers import apply_pickers, customer_options
from reporting.presentation import dso_trend_chart, forecast_chart, kpi_tiles
from reporting.report_cache import cached_cash_forecast, cached_forecast_backtest
from reporting.reports.document import Cell, CellKind
from reporting.reports.document import Column as CsvColumn
from reporting.reports.render import csv_lines
from reporting.selectors.aging import AmountIn, Column, aging_cell_items, aging_report
from reporting.selectors.common import buckets_for, tenant_bucket_days
from reporting.selectors.kpis import (
    KPI_DEFINITIONS,
    collector_performance,
    credit_utilisation_today,
    deduction_cycle_days,
    kpi_months,
)
from reporting.services import reporting_buckets_set

EXPORT_CHUNK = 5000
ITEM_SORTABLE = {
    "date": ("Aging date", "aging_date"),
    "number": ("Document", "number"),
    "customer": ("Customer", "customer__number"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _query_string(request: HttpRequest, **overrides: Any) -> str:
    params = {key: value for key, value in request.GET.items() if key not in {"page", "sort"}}
    params.update({key: value for key, value in overrides.items() if value is not None})
    return urlencode(params)


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def aging(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = apply_pickers(AgingForm(request.GET or None, tenant=tenant), tenant=tenant)
    report = None
    error = ""
    if not form.is_bound or form.is_valid():
        if not form.is_bound:
            form = apply_pickers(AgingForm({}, tenant=tenant), tenant=tenant)
            form.is_valid()
        try:
            report = aging_report(
                tenant=tenant,
                query=form.aging_query(),
                page=form.cleaned_data.get("page") or 1,
                page_size=form.cleaned_data.get("page_size") or 50,
            )
        except ValidationFailed as failure:
            error = failure.detail
    rows = []
    if report is not None:
        columns = [bucket.label for bucket in report.buckets]
        base_query = _query_string(request)
        for line in report.rows:
            cells = [
                {
                    "amount": amount,
                    "url": _cell_url(base_query, line.key, label, line.currency, report)
                    if amount
                    else "",
                }
                for label, amount in zip(columns, line.buckets, strict=True)
            ]
            rows.append(
                {
                    "line": line,
                    "cells": cells,
                    "deductions_url": _cell_url(
                        base_query, line.key, Column.DEDUCTIONS, line.currency, report
                    ),
                    "unapplied_url": _cell_url(
                        base_query, line.key, Column.UNAPPLIED, line.currency, report
                    ),
                    "total_url": _cell_url(
                        base_query, line.key, Column.TOTAL, line.currency, report
                    ),
                }
            )
    page_query = _query_string(request)
    return render(
        request,
        "reporting/aging.html",
        {
            "form": form,
            "report": report,
            "rows": rows,
            "error": error,
            "page_query": page_query,
            "today": tenant_today(tenant),
            "group_by_label": dict(GROUP_BY_CHOICES).get(report.query.group_by, "")
            if report
            else "",
            "age_by_label": dict(AGE_BY_CHOICES).get(report.query.age_by, "") if report else "",
        },
    )


def _cell_url(base_query: str, key: str, column: str, currency: str, report: Any) -> str:
    extra = {"key": key, "column": column}
    if report.query.amount_in == AmountIn.DOCUMENT:
        extra["row_currency"] = currency
    joined = "&".join(part for part in (base_query, urlencode(extra)) if part)
    return f"items/?{joined}"


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def aging_items(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = AgingCellForm(request.GET, tenant=tenant)
    listing = None
    error = ""
    if form.is_valid():
        try:
            items = aging_cell_items(
                tenant=tenant,
                query=form.aging_query(),
                key=form.cleaned_data.get("key") or "",
                column=form.cleaned_data["column"],
                currency=form.cleaned_data.get("row_currency") or "",
            )
            listing = list_page(request, items, sortable=ITEM_SORTABLE, default_sort="date")
        except ValidationFailed as failure:
            error = failure.detail
    else:
        error = "; ".join(
            f"{_field_label(form, field)}: {' '.join(str(e) for e in errors)}"
            for field, errors in form.errors.items()
        )
    back = _query_string(request)
    for name in ("key", "column", "row_currency"):
        back = "&".join(part for part in back.split("&") if not part.startswith(f"{name}="))
    return render(
        request,
        "reporting/aging_items.html",
        {
            "form": form,
            "listing": listing,
            "error": error,
            "back_query": back,
            "as_of": form.cleaned_data.get("as_of") if form.is_valid() else None,
            "column": request.GET.get("column", ""),
        },
    )


def _field_label(form: AgingCellForm, name: str) -> str:
    field = form.fields.get(name)
    return str(field.label) if field is not None and field.label else name


@require_http_methods(["GET", "POST"])
@require_perm(Perm.TENANT_SETTINGS)
def bucket_settings(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    current = tenant_bucket_days(tenant=tenant)
    if request.method == "POST":
        form = BucketSettingsForm(request.POST)
        if form.is_valid():
            try:
                reporting_buckets_set(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    bucket_days=form.cleaned_data["buckets"],
                )
            except ValidationFailed as failure:
                form.add_error("buckets", failure.detail)
            else:
                messages.success(request, "Aging buckets saved.")
                return redirect("reporting:settings")
    else:
        form = BucketSettingsForm(initial={"buckets": ", ".join(str(day) for day in current)})
    labels = [bucket.label for bucket in buckets_for(current)]
    return render(request, "reporting/settings.html", {"form": form, "labels": labels})


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def kpis(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = apply_pickers(KpiForm(request.GET or None), tenant=tenant)
    if not form.is_bound:
        form = apply_pickers(KpiForm({}), tenant=tenant)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        months = kpi_months(
            tenant=tenant, months=form.cleaned_data.get("months") or 12, book=form.book_filter()
        )
        latest = months[-1]
        context.update(
            {
                "months": months,
                "latest": latest,
                "tiles": kpi_tiles(months),
                "trend_rows": [
                    {"definition": d, "values": [m.kpis.get(d.key) for m in months]}
                    for d in KPI_DEFINITIONS
                ],
                "dso_chart": dso_trend_chart(months),
                "cycle_days": deduction_cycle_days(tenant=tenant),
                "utilisation": credit_utilisation_today(tenant=tenant),
                "collectors": collector_performance(tenant=tenant),
            }
        )
    return render(request, "reporting/kpis.html", context)


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def cash_forecast_page(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    forecast = cached_cash_forecast(tenant=tenant)
    return render(
        request,
        "reporting/cash_forecast.html",
        {
            "forecast": forecast,
            "chart": forecast_chart(forecast),
            "currencies": forecast.currencies,
            "rows": [
                {
                    "week": week,
                    "amounts": [(c, week.by_currency.get(c)) for c in forecast.currencies],
                }
                for week in forecast.weeks
            ],
            "backtest": cached_forecast_backtest(tenant=tenant),
        },
    )


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def customer_options_view(request: HttpRequest) -> HttpResponse:
    """The customer picker's suggestions for what has been typed (htmx)."""
    customers = customer_options(tenant=_tenant(request), q=request.GET.get("customer", ""))
    return render(request, "reporting/_customer_options.html", {"customers": customers})


ITEM_EXPORT_COLUMNS = [
    CsvColumn("Document"),
    CsvColumn("Type"),
    CsvColumn("Customer number"),
    CsvColumn("Customer"),
    CsvColumn("Document date", CellKind.DATE),
    CsvColumn("Aging date", CellKind.DATE),
    CsvColumn("Currency"),
    CsvColumn("Amount", CellKind.MONEY, currency_column=6),
    CsvColumn("Open", CellKind.MONEY, currency_column=6),
    CsvColumn("Open (base)", CellKind.MONEY, currency_column=10),
    CsvColumn("Base currency"),
]


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def aging_items_export(request: HttpRequest) -> HttpResponse:
    """The items behind a cell (a row's total: a customer's, a country's, a
    currency's) as CSV, streamed from a server-side cursor, so hundreds of
    thousands of rows never sit in memory."""
    tenant = _tenant(request)
    form = AgingCellForm(request.GET, tenant=tenant)
    if not form.is_valid():
        messages.error(request, "The export's filters are not valid: open the aging again.")
        return redirect("reporting:aging")
    try:
        items = aging_cell_items(
            tenant=tenant,
            query=form.aging_query(),
            key=form.cleaned_data.get("key") or "",
            column=form.cleaned_data["column"],
            currency=form.cleaned_data.get("row_currency") or "",
        )
    except ValidationFailed as failure:
        messages.error(request, failure.detail)
        return redirect("reporting:aging")
    base = str(tenant.base_currency)

    def rows() -> Iterator[list[Cell]]:
        # Runs after the view returned: the generator sets its own tenant
        # and keeps one transaction open for the server-side cursor.
        with tenant_context(tenant), transaction.atomic():
            for item in items.iterator(chunk_size=EXPORT_CHUNK):
                yield [
                    item.number,
                    item.get_kind_display(),
                    item.customer.number,
                    item.customer.legal_name,
                    item.document_date,
                    item.aging_date,
                    item.currency,
                    item.amount,
                    item.open_as_of,
                    item.open_base_as_of,
                    base,
                ]

    response = StreamingHttpResponse(
        csv_lines(ITEM_EXPORT_COLUMNS, rows()), content_type="text/csv; charset=utf-8"
    )
    as_of = form.aging_query().as_of.isoformat()
    response["Content-Disposition"] = f'attachment; filename="aging-items-{as_of}.csv"'
    # require_perm types its views as returning HttpResponse; a streaming
    # response is served the same way by every middleware this app has.
    return cast(HttpResponse, response)
