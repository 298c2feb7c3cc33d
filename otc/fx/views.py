"""HTML pages of exchange rates: the rates OTC converts with, the ECB feed's
health, a pair's history, the tenant's manual rates, and the month-end
revaluation report. Thin: forms validate, selectors read, services write."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from otc.audit.services import Actor
from otc.fx import selectors, services
from otc.fx.forms import HistoryForm, ManualRateForm, RatesDateForm, RevaluationForm
from otc.fx.selectors.revaluation import Revaluation, RevaluedItem, fx_revaluation
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

MANUAL_SORTABLE = {
    "date": ("Valid from", "rate_date"),
    "from": ("From", "from_currency"),
    "to": ("To", "to_currency"),
    "entered": ("Entered", "created_at"),
}
HISTORY_DEFAULT_DAYS = 90
REVALUATION_PAGE_SIZE = 100


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _today(tenant: Tenant) -> date:
    return timezone.localdate(timezone=ZoneInfo(tenant.timezone))


# --- the rates page -------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A line of rates drawn as SVG on the server (no scripts, prints as is)."""

    width: int
    height: int
    points: str
    low: Decimal
    high: Decimal
    first: date
    last: date


def _chart(history: list[selectors.RateOnDay], width: int = 640, height: int = 160) -> Chart | None:
    if len(history) < 2:
        return None
    rates = [point.quote.rate for point in history]
    low, high = min(rates), max(rates)
    spread = (high - low) or Decimal(1)
    first, last = history[0].day, history[-1].day
    days = max((last - first).days, 1)
    pad = 6
    points = " ".join(
        f"{pad + (width - 2 * pad) * (point.day - first).days / days:.1f},"
        f"{pad + (height - 2 * pad) * float((high - point.quote.rate) / spread):.1f}"
        for point in history
    )
    return Chart(width, height, points, low, high, first, last)


def _history(
    request: HttpRequest, tenant: Tenant, end: date
) -> tuple[HistoryForm, list[selectors.RateOnDay]]:
    base = str(tenant.base_currency)
    defaults: dict[str, Any] = {
        "from_currency": "USD" if base != "USD" else "EUR",
        "to_currency": base,
        "start": end - timedelta(days=HISTORY_DEFAULT_DAYS),
        "end": end,
    }
    asked = "from_currency" in request.GET
    form = HistoryForm(request.GET if asked else None, initial=defaults)
    if asked and not form.is_valid():
        return form, []
    pair = form.cleaned_data if asked else defaults
    try:
        history = selectors.fx_rate_history(
            tenant=tenant,
            from_currency=pair["from_currency"],
            to_currency=pair["to_currency"],
            start=pair["start"],
            end=pair["end"],
        )
    except ValueError as error:
        form.add_error("start", str(error))
        return form, []
    return form, history


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def rates_page(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    today = _today(tenant)
    feed = selectors.ecb_feed_status()
    date_form = RatesDateForm(request.GET if "on" in request.GET else None)
    on = today
    if date_form.is_bound and date_form.is_valid() and date_form.cleaned_data["on"]:
        on = date_form.cleaned_data["on"]
    if not date_form.is_bound:
        date_form = RatesDateForm(initial={"on": on})
    rates = selectors.rates_to_base(tenant=tenant, on=on)
    # With stale rates nothing converts today; offer the newest rates there are.
    newest = feed.latest_rate_date if not rates and feed.latest_rate_date else None
    # Default history: up to the rates shown, or up to the newest ECB rates
    # when nothing covers the chosen date.
    history_end = on if rates or not feed.latest_rate_date else min(on, feed.latest_rate_date)
    history_form, history = _history(request, tenant, history_end)
    can_set = can(request, Perm.TENANT_SETTINGS)
    context: dict[str, Any] = {
        "feed": feed,
        "date_form": date_form,
        "on": on,
        "today": today,
        "rates": rates,
        "newest_rate_date": newest,
        "history_form": history_form,
        "history": list(reversed(history)),
        "history_pair": (
            (history[0].quote.from_currency, history[0].quote.to_currency) if history else None
        ),
        "chart": _chart(history),
        "manual_listing": list_page(
            request,
            selectors.manual_rate_list(tenant=tenant),
            sortable=MANUAL_SORTABLE,
            default_sort="-date",
        ),
        "can_set_rates": can_set,
        "manual_form": (
            ManualRateForm(initial={"rate_date": today, "to_currency": str(tenant.base_currency)})
            if can_set
            else None
        ),
        "can_view_revaluation": can(request, Perm.REPORTS_VIEW),
    }
    return render(request, "fx/rates.html", context)


@require_perm(Perm.TENANT_SETTINGS)
def manual_rate_create(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = ManualRateForm(
        request.POST or None,
        initial={"rate_date": _today(tenant), "to_currency": str(tenant.base_currency)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            manual = services.manual_rate_set(
                tenant=tenant,
                actor=Actor.from_request(request),
                rate_date=data["rate_date"],
                from_currency=data["from_currency"],
                to_currency=data["to_currency"],
                rate=data["rate"],
                note=data["note"],
            )
        except services.ManualRateError as error:
            for field, field_messages in error.errors.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request,
                f"Rate set: 1 {manual.from_currency} = {manual.rate.normalize():f} "
                f"{manual.to_currency} from {manual.rate_date:%d %b %Y}.",
            )
            return redirect(reverse("fx:rates") + "#manual-rates")
    return render(request, "fx/manual_rate_form.html", {"form": form})


# --- month-end revaluation -----------------------------------------------------------


def last_month_end(today: date) -> date:
    """Today when it is a month end, else the last day of the previous month."""
    if (today + timedelta(days=1)).day == 1:
        return today
    return today.replace(day=1) - timedelta(days=1)


def _revaluation_date(request: HttpRequest, tenant: Tenant) -> tuple[RevaluationForm, date]:
    default = last_month_end(_today(tenant))
    form = RevaluationForm(request.GET if "as_of" in request.GET else None)
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        return form, form.cleaned_data["as_of"]
    if not form.is_bound:
        form = RevaluationForm(initial={"as_of": default})
    return form, default


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def revaluation_page(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form, as_of = _revaluation_date(request, tenant)
    report = fx_revaluation(tenant=tenant, as_of=as_of)
    page = Paginator(report.items, REVALUATION_PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params["as_of"] = as_of.isoformat()
    return render(
        request,
        "fx/revaluation.html",
        {
            "form": form,
            "report": report,
            "page": page,
            "query_without_page": params.urlencode(),
            "csv_query": f"as_of={as_of.isoformat()}",
            "can_view_items": can(request, Perm.INVOICES_VIEW),
        },
    )


_CSV_HEADER = [
    "customer_number",
    "customer_name",
    "kind",
    "number",
    "currency",
    "document_date",
    "due_date",
    "open_amount",
    "locked_rate",
    "book_value_base",
    "rate_as_of",
    "rate_date",
    "rate_source",
    "revalued_base",
    "unrealised_gain_loss_base",
    "base_currency",
    "note",
]


def _text(value: str) -> str:
    """A spreadsheet would run a cell that starts like a formula; quote it."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _csv_row(item: RevaluedItem, base: str) -> list[str]:
    def plain(value: Decimal | None) -> str:
        return "" if value is None else f"{value:f}"

    return [
        _text(item.customer_number),
        _text(item.customer_name),
        item.kind_label,
        _text(item.number),
        item.currency,
        item.document_date.isoformat(),
        item.due_date.isoformat() if item.due_date else "",
        plain(item.open_amount),
        plain(item.locked_rate.normalize()),
        plain(item.book_base),
        plain(item.rate.normalize() if item.rate is not None else None),
        item.rate_date.isoformat() if item.rate_date else "",
        item.rate_source,
        plain(item.revalued_base),
        plain(item.gain),
        base,
        _text(item.reason),
    ]


def revaluation_csv_rows(report: Revaluation) -> list[list[str]]:
    base = report.base_currency
    return [
        _CSV_HEADER,
        *(_csv_row(item, base) for item in report.items),
        *(_csv_row(item, base) for item in report.unrated),
    ]


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def revaluation_csv(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    _, as_of = _revaluation_date(request, tenant)
    report = fx_revaluation(tenant=tenant, as_of=as_of)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="fx-revaluation-{tenant.slug}-{as_of.isoformat()}.csv"'
    )
    csv.writer(response).writerows(revaluation_csv_rows(report))
    return response
