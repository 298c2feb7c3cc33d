"""The filters of the reports, one form for the HTML pages and the API
(the API turns its errors into problem+json, the pages into messages)."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django import forms

from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from reporting.models import Frequency, ReportFormat, ReportKind
from reporting.reports.parameters import ReportParameters
from reporting.selectors.aging import AgeBy, AgingQuery, AgingSort, AmountIn, GroupBy
from reporting.selectors.common import BookFilter, bucket_days_problems

EARLIEST_DATE = date(1900, 1, 1)

GROUP_BY_CHOICES = [
    (GroupBy.CUSTOMER.value, "Customer"),
    (GroupBy.CUSTOMER_GROUP.value, "Customer group"),
    (GroupBy.COLLECTOR.value, "Collector"),
    (GroupBy.RISK_CLASS.value, "Risk class"),
    (GroupBy.COUNTRY.value, "Country"),
    (GroupBy.CURRENCY.value, "Currency"),
]
AGE_BY_CHOICES = [(AgeBy.DUE_DATE.value, "Due date"), (AgeBy.DOCUMENT_DATE.value, "Document date")]
AMOUNT_IN_CHOICES = [
    (AmountIn.BASE.value, "Base currency"),
    (AmountIn.DOCUMENT.value, "Document currency"),
]
SORT_CHOICES = [
    (AgingSort.TOTAL_DESC.value, "Largest balance first"),
    (AgingSort.TOTAL.value, "Smallest balance first"),
    (AgingSort.OVERDUE_DESC.value, "Most overdue first"),
    (AgingSort.LABEL.value, "Name"),
]


def parse_bucket_days(value: str) -> list[int]:
    """'30, 60, 90' -> [30, 60, 90]; a ValidationError that says what to fix."""
    try:
        days = [int(part) for part in value.replace(" ", "").split(",") if part]
    except ValueError:
        raise forms.ValidationError(
            "Give whole numbers of days separated by commas, e.g. 30, 60, 90, 120."
        ) from None
    problems = bucket_days_problems(days)
    if problems:
        raise forms.ValidationError(problems)
    return days


class BookFilterForm(forms.Form):
    """Which part of the book: every field optional."""

    customer = forms.IntegerField(required=False, min_value=1, label="Customer id")
    customer_group = forms.IntegerField(
        required=False, min_value=1, label="Customer group (parent customer id)"
    )
    collector = forms.IntegerField(required=False, min_value=1, label="Collector (user id)")
    risk_class = forms.ChoiceField(
        required=False,
        choices=[("", "Any")] + [(c, f"Class {c}") for c in "ABCDE"],
        label="Risk class",
    )
    country = forms.CharField(required=False, max_length=2, label="Country (ISO code)")
    currency = forms.CharField(required=False, max_length=3, label="Document currency")

    def clean_country(self) -> str:
        return str(self.cleaned_data["country"]).upper()

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def book_filter(self) -> BookFilter:
        data = self.cleaned_data
        return BookFilter(
            customer_id=data.get("customer"),
            customer_group_id=data.get("customer_group"),
            collector_id=data.get("collector"),
            risk_class=data.get("risk_class") or "",
            country=data.get("country") or "",
            currency=data.get("currency") or "",
        )


class AgingForm(BookFilterForm):
    as_of = forms.DateField(
        required=False,
        label="As of",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-01-31."},
    )
    group_by = forms.ChoiceField(required=False, choices=GROUP_BY_CHOICES, label="Group by")
    age_by = forms.ChoiceField(required=False, choices=AGE_BY_CHOICES, label="Age by")
    amount_in = forms.ChoiceField(required=False, choices=AMOUNT_IN_CHOICES, label="Amounts in")
    buckets = forms.CharField(
        required=False,
        max_length=100,
        label="Buckets",
        help_text="Last day of each bucket after Current, e.g. 30, 60, 90, 120. "
        "Empty: the tenant's buckets.",
    )
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort")
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=200)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_as_of(self) -> date | None:
        value: date | None = self.cleaned_data["as_of"]
        if value is None:
            return None
        if value < EARLIEST_DATE:
            raise forms.ValidationError("Enter a date after 1900-01-01.")
        if value > tenant_today(self.tenant):
            raise forms.ValidationError(
                "The as-of date is in the future. Use today or an earlier date."
            )
        return value

    def clean_buckets(self) -> list[int] | None:
        value = str(self.cleaned_data["buckets"] or "").strip()
        return parse_bucket_days(value) if value else None

    def aging_query(self) -> AgingQuery:
        data = self.cleaned_data
        buckets = data.get("buckets")
        return AgingQuery(
            as_of=data.get("as_of") or tenant_today(self.tenant),
            group_by=GroupBy(data.get("group_by") or GroupBy.CUSTOMER),
            age_by=AgeBy(data.get("age_by") or AgeBy.DUE_DATE),
            amount_in=AmountIn(data.get("amount_in") or AmountIn.BASE),
            book=self.book_filter(),
            bucket_days=tuple(buckets) if buckets else None,
            sort=AgingSort(data.get("sort") or AgingSort.TOTAL_DESC),
        )


class AgingCellForm(AgingForm):
    key = forms.CharField(max_length=64, required=False, label="Row")
    column = forms.CharField(max_length=32, label="Column")
    row_currency = forms.CharField(max_length=3, required=False, label="Row currency")


class BucketSettingsForm(forms.Form):
    buckets = forms.CharField(
        max_length=100,
        label="Aging buckets",
        help_text="The last day past due of each bucket after Current, in increasing order, "
        "e.g. 30, 60, 90, 120 gives Current, 1-30, 31-60, 61-90, 91-120 and 120+.",
    )

    def clean_buckets(self) -> list[int]:
        return parse_bucket_days(str(self.cleaned_data["buckets"]))


class KpiForm(BookFilterForm):
    months = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(12, "12 months"), (18, "18 months"), (24, "24 months")],
        label="Trend over",
    )


def _choice_error(choices: list[tuple[str, str]]) -> dict[str, str]:
    values = ", ".join(value for value, _ in choices if value)
    return {"invalid_choice": f"Unknown value %(value)s: use one of {values}."}


class ReportParametersForm(BookFilterForm):
    """The filters of a report file or a subscription (no paging, no sort)."""

    as_of = forms.DateField(
        required=False,
        label="As of",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Empty: the day the report is made.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-01-31."},
    )
    group_by = forms.ChoiceField(
        required=False,
        choices=GROUP_BY_CHOICES,
        label="Group aging by",
        error_messages=_choice_error(GROUP_BY_CHOICES),
    )
    age_by = forms.ChoiceField(
        required=False,
        choices=AGE_BY_CHOICES,
        label="Age by",
        error_messages=_choice_error(AGE_BY_CHOICES),
    )
    amount_in = forms.ChoiceField(
        required=False,
        choices=AMOUNT_IN_CHOICES,
        label="Amounts in",
        error_messages=_choice_error(AMOUNT_IN_CHOICES),
    )
    months = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(12, "12 months"), (18, "18 months"), (24, "24 months")],
        label="KPI trend over",
        error_messages={"invalid_choice": "Use 12, 18 or 24 months."},
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant

    def clean_as_of(self) -> date | None:
        value: date | None = self.cleaned_data["as_of"]
        if value is None:
            return None
        if value < EARLIEST_DATE:
            raise forms.ValidationError("Enter a date after 1900-01-01.")
        if value > tenant_today(self.tenant):
            raise forms.ValidationError(
                "The as-of date is in the future. Use today or an earlier date."
            )
        return value

    def parameters(self) -> ReportParameters:
        data = self.cleaned_data
        return ReportParameters(
            as_of=data.get("as_of"),
            group_by=GroupBy(data.get("group_by") or GroupBy.CUSTOMER),
            age_by=AgeBy(data.get("age_by") or AgeBy.DUE_DATE),
            amount_in=AmountIn(data.get("amount_in") or AmountIn.BASE),
            months=data.get("months") or 12,
            book=self.book_filter(),
        )


class ReportRequestForm(ReportParametersForm):
    kind = forms.ChoiceField(
        choices=ReportKind.choices,
        label="Report",
        error_messages=_choice_error(list(ReportKind.choices)),
    )
    format = forms.ChoiceField(
        choices=ReportFormat.choices,
        label="Format",
        error_messages=_choice_error(list(ReportFormat.choices)),
    )
    field_order = ["kind", "format"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ReportKind.CUSTOMER_STATEMENT and not data.get("customer"):
            self.add_error("customer", "A customer statement needs the customer's id.")
        return data


class SubscriptionForm(ReportRequestForm):
    frequency = forms.ChoiceField(choices=Frequency.choices, label="How often")
    hour = forms.TypedChoiceField(
        coerce=int,
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        initial=7,
        label="At (your company's time zone)",
    )
    weekday = forms.TypedChoiceField(
        coerce=int,
        required=False,
        choices=list(enumerate(calendar.day_name)),
        label="Weekly: on",
    )
    day_of_month = forms.TypedChoiceField(
        coerce=int,
        required=False,
        choices=[(day, str(day)) for day in range(1, 29)],
        label="Monthly: on day",
    )
    field_order = ["kind", "format", "frequency", "hour", "weekday", "day_of_month"]

    def clean_as_of(self) -> date | None:
        if self.cleaned_data.get("as_of"):
            raise forms.ValidationError(
                "A scheduled report is always as of the day it is made: leave the date empty."
            )
        return None
