"""REST endpoints of reporting for ERP systems and BI tools: aging (with
the items behind any cell), KPIs and the cash forecast. Read-only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from otc.api.errors import PROBLEM_CONTENT_TYPE
from otc.api.pagination import CursorPagination
from otc.api.serializers import ProblemSerializer
from otc.api.views import TenantAPIView
from otc.fx.money import quantize_money
from otc.tenancy.roles import Perm
from reporting.forms import AgingCellForm, AgingForm, KpiForm
from reporting.report_cache import cached_cash_forecast, cached_forecast_backtest
from reporting.selectors.aging import AgingLine, aging_cell_items, aging_report
from reporting.selectors.kpis import KPI_DEFINITIONS, kpi_months

TAGS = ["Reports"]
BAD_QUERY = {
    (400, PROBLEM_CONTENT_TYPE): ProblemSerializer,
    (422, PROBLEM_CONTENT_TYPE): ProblemSerializer,
}


def _valid(form: forms.Form) -> None:
    if not form.is_valid():
        raise ValidationError(
            {field: [str(error) for error in errors] for field, errors in form.errors.items()}
        )


def _money(amount: Decimal, currency: str) -> str:
    return str(quantize_money(amount, currency))


def _parameters(form_class: type[forms.Form]) -> list[OpenApiParameter]:
    kinds = {
        forms.IntegerField: OpenApiTypes.INT,
        forms.DateField: OpenApiTypes.DATE,
    }
    parameters = []
    for name, field in form_class.base_fields.items():
        kind = next((v for k, v in kinds.items() if isinstance(field, k)), OpenApiTypes.STR)
        enum = None
        if isinstance(field, forms.ChoiceField):
            enum = [value for value, _ in list(field.choices) if value]  # type: ignore[arg-type]
        parameters.append(
            OpenApiParameter(
                name,
                kind,
                required=field.required,
                enum=enum,
                description=str(field.help_text or field.label or ""),
            )
        )
    return parameters


def line_body(line: AgingLine) -> dict[str, Any]:
    currency = line.currency
    return {
        "key": line.key,
        "label": line.label,
        "currency": currency,
        "buckets": [_money(amount, currency) for amount in line.buckets],
        "deductions": _money(line.deductions, currency),
        "unapplied": _money(line.unapplied, currency),
        "total": _money(line.total, currency),
        "item_count": line.item_count,
        "customer_count": line.customer_count,
    }


class AgingLineSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Use as `key` of the items drill-down.")
    label = serializers.CharField()  # type: ignore[assignment]
    currency = serializers.CharField()
    buckets = serializers.ListField(child=serializers.CharField(), help_text="One per bucket.")
    deductions = serializers.CharField()
    unapplied = serializers.CharField(help_text="Open payments and credit memos (negative).")
    total = serializers.CharField()
    item_count = serializers.IntegerField()
    customer_count = serializers.IntegerField()


class BucketSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    days_from = serializers.IntegerField(allow_null=True)
    days_to = serializers.IntegerField(allow_null=True)


class AgingReportSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    base_currency = serializers.CharField()
    group_by = serializers.CharField()
    age_by = serializers.CharField()
    amount_in = serializers.CharField()
    buckets = BucketSerializer(many=True)
    rows = AgingLineSerializer(many=True)
    totals = AgingLineSerializer(many=True, help_text="One per currency.")
    count = serializers.IntegerField(help_text="Rows in the whole report.")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    page_count = serializers.IntegerField()


class AgingReportApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="reports_aging",
        parameters=_parameters(AgingForm),
        responses={200: AgingReportSerializer, **BAD_QUERY},
        description="AR aging of the whole book (or the filtered part) as of today or any "
        "past date, grouped by customer, customer group, collector, risk class, country or "
        "currency; in the base currency or per document currency; by due or document date. "
        "Deductions and unapplied cash have their own columns. Paged by `page`.",
    )
    def get(self, request: Request) -> Response:
        form = AgingForm(request.query_params, tenant=self.tenant)
        _valid(form)
        query = form.aging_query()
        report = aging_report(
            tenant=self.tenant,
            query=query,
            page=form.cleaned_data.get("page") or 1,
            page_size=form.cleaned_data.get("page_size") or 50,
        )
        body = {
            "as_of": query.as_of,
            "base_currency": report.base_currency,
            "group_by": query.group_by.value,
            "age_by": query.age_by.value,
            "amount_in": query.amount_in.value,
            "buckets": [
                {"label": b.label, "days_from": b.low, "days_to": b.high} for b in report.buckets
            ],
            "rows": [line_body(line) for line in report.rows],
            "totals": [line_body(line) for line in report.totals],
            "count": report.group_count,
            "page": report.page,
            "page_size": report.page_size,
            "page_count": report.page_count,
        }
        return Response(AgingReportSerializer(body).data)


class AgingCellItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    customer_number = serializers.CharField(source="customer.number")
    kind = serializers.CharField()
    number = serializers.CharField()
    document_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    aging_date = serializers.DateField()
    currency = serializers.CharField()
    amount = serializers.SerializerMethodField()
    open_amount = serializers.SerializerMethodField(help_text="Open at the end of as_of.")
    open_base_amount = serializers.SerializerMethodField()

    def get_amount(self, item: Any) -> str:
        return _money(item.amount, item.currency)

    def get_open_amount(self, item: Any) -> str:
        return _money(item.open_as_of, item.currency)

    def get_open_base_amount(self, item: Any) -> str:
        return _money(item.open_base_as_of, self.context["base_currency"])


class AgingCellItemPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AgingCellItemSerializer(many=True)


class AgingItemPagination(CursorPagination):
    ordering = "id"


class AgingItemsApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="reports_aging_items",
        parameters=[
            *_parameters(AgingCellForm),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next`."),
        ],
        responses={200: AgingCellItemPageSerializer, **BAD_QUERY},
        description="The items behind one cell of the aging: the same filters, the row's "
        "`key`, and `column`: a bucket label (`Current`, `1-30`, ...), `deductions`, "
        "`unapplied` or `total`.",
    )
    def get(self, request: Request) -> Response:
        form = AgingCellForm(request.query_params, tenant=self.tenant)
        _valid(form)
        items = aging_cell_items(
            tenant=self.tenant,
            query=form.aging_query(),
            key=form.cleaned_data.get("key") or "",
            column=form.cleaned_data["column"],
            currency=form.cleaned_data.get("row_currency") or "",
        )
        paginator = AgingItemPagination()
        page = paginator.paginate_queryset(items, request, view=self)
        body = AgingCellItemSerializer(
            page, many=True, context={"base_currency": str(self.tenant.base_currency)}
        ).data
        return paginator.get_paginated_response(body)


class KpiMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    end = serializers.DateField(help_text="Month end, or today for the running month.")
    inputs = serializers.DictField(child=serializers.CharField(), help_text="Base currency.")
    kpis = serializers.DictField(
        child=serializers.CharField(allow_null=True), help_text="null: undefined this month."
    )


class KpiDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    unit = serializers.CharField()
    formula = serializers.CharField()
    better = serializers.CharField()


class KpiReportSerializer(serializers.Serializer):
    base_currency = serializers.CharField()
    definitions = KpiDefinitionSerializer(many=True)
    months = KpiMonthSerializer(many=True)


class KpiReportApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="reports_kpis",
        parameters=_parameters(KpiForm),
        responses={200: KpiReportSerializer, **BAD_QUERY},
        description="Receivables KPIs per month (oldest first, the running month last) with "
        "the inputs each is computed from, over 12 to 24 months; filterable like the aging.",
    )
    def get(self, request: Request) -> Response:
        form = KpiForm(request.query_params)
        _valid(form)
        base = str(self.tenant.base_currency)
        months = kpi_months(
            tenant=self.tenant,
            months=form.cleaned_data.get("months") or 12,
            book=form.book_filter(),
        )
        body = {
            "base_currency": base,
            "definitions": [vars(definition) for definition in KPI_DEFINITIONS],
            "months": [
                {
                    "month": m.month,
                    "end": m.end,
                    "inputs": {
                        "receivables": _money(m.receivables, base),
                        "current": _money(m.current, base),
                        "deductions": _money(m.deductions, base),
                        "opening_receivables": _money(m.opening_receivables, base),
                        "sales": _money(m.sales, base),
                        "sales_last_3_months": _money(m.period_sales, base),
                        "days_last_3_months": str(m.period_days),
                        "cash_applied": _money(m.collected, base),
                        "written_off": _money(m.written_off, base),
                    },
                    "kpis": {
                        key: None if value is None else str(value) for key, value in m.kpis.items()
                    },
                }
                for m in months
            ],
        }
        return Response(KpiReportSerializer(body).data)


class ForecastWeekSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    by_currency = serializers.DictField(child=serializers.CharField())
    base = serializers.CharField()


class BacktestSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive.")
    forecast = serializers.CharField()
    collected = serializers.CharField()
    error_percent = serializers.CharField(allow_null=True)


class CashForecastSerializer(serializers.Serializer):
    today = serializers.DateField()
    base_currency = serializers.CharField()
    weeks = ForecastWeekSerializer(many=True)
    total_base = serializers.CharField()
    later_base = serializers.CharField(help_text="Expected after the 13 weeks.")
    overdue_beyond_habit_base = serializers.CharField(
        help_text="More than 30 days past the expected date: not forecast."
    )
    backtest = BacktestSerializer(
        many=True,
        required=False,
        help_text="With backtest=true, once computed in the background (it replays six months "
        "of the ledger); absent until then: ask again in a few minutes.",
    )


class CashForecastApi(TenantAPIView):
    read_permission = Perm.REPORTS_VIEW

    @extend_schema(
        tags=TAGS,
        operation_id="reports_cash_forecast",
        parameters=[
            OpenApiParameter(
                "backtest",
                OpenApiTypes.BOOL,
                description="Also replay the last 6 months' forecasts against what came in.",
            )
        ],
        responses={200: CashForecastSerializer, **BAD_QUERY},
        description="Expected receipts for the next 13 weeks by week and currency, from each "
        "customer's recent amount-weighted days late (risk class, then the book, as fallback).",
    )
    def get(self, request: Request) -> Response:
        flag = request.query_params.get("backtest", "false").lower()
        if flag not in {"true", "false", "1", "0"}:
            raise ValidationError({"backtest": ["Use true or false."]})
        base = str(self.tenant.base_currency)
        forecast = cached_cash_forecast(tenant=self.tenant)
        body: dict[str, Any] = {
            "today": forecast.today,
            "base_currency": base,
            "weeks": [
                {
                    "start": week.start,
                    "end": week.end,
                    "by_currency": {c: _money(a, c) for c, a in sorted(week.by_currency.items())},
                    "base": _money(week.base, base),
                }
                for week in forecast.weeks
            ],
            "total_base": _money(forecast.total_base, base),
            "later_base": _money(forecast.later_base, base),
            "overdue_beyond_habit_base": _money(forecast.stale_base, base),
        }
        backtest = cached_forecast_backtest(tenant=self.tenant) if flag in {"true", "1"} else None
        if backtest is not None:
            body["backtest"] = [
                {
                    "start": period.start,
                    "end": period.end,
                    "forecast": _money(period.predicted, base),
                    "collected": _money(period.actual, base),
                    "error_percent": None
                    if period.error_percent is None
                    else str(period.error_percent),
                }
                for period in backtest
            ]
        return Response(CashForecastSerializer(body).data)
