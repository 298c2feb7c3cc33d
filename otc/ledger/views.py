"""HTML pages of the AR ledger: a customer's items as of any date, each with
the applications that settled it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from otc.customers.models import Customer
from otc.customers.selectors import customer_get
from otc.errors import NotFound
from otc.ledger import selectors
from otc.ledger.models import Application, ApplicationKind, OpenItem
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

ITEM_SORTABLE = {
    "due": ("Due", "due_date"),
    "date": ("Date", "document_date"),
    "number": ("Document", "number"),
}
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        required=False,
        label="As of",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, e.g. 2026-01-31."},
        help_text="Items open at the end of this day, with what was applied up to it.",
    )

    def clean_as_of(self) -> date | None:
        value: date | None = self.cleaned_data["as_of"]
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise forms.ValidationError("Enter a date between 1900-01-01 and 2199-12-31.")
        return value


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _customer_or_404(tenant: Tenant, customer_id: int) -> Customer:
    try:
        return customer_get(tenant=tenant, customer_id=customer_id)
    except NotFound:
        raise Http404("No such customer.") from None


@dataclass(frozen=True)
class ApplicationLine:
    """One application seen from one of its two items."""

    application: Application
    counter_item: OpenItem
    amount: Decimal  # settled on this item, in its currency (negative: a reversal)
    counter_amount: Decimal  # in the counter item's currency
    base_amount: Decimal  # what this item's open base amount moved by
    counter_base_amount: Decimal
    fx_gain_base: Decimal  # realised: positive gain, negative loss

    @property
    def is_reversal(self) -> bool:
        return self.application.reverses_id is not None

    @property
    def kind_label(self) -> str:
        return ApplicationKind(self.application.kind).label


def _line(item: OpenItem, application: Application) -> ApplicationLine:
    if application.debit_item_id == item.pk:
        return ApplicationLine(
            application=application,
            counter_item=application.credit_item,
            amount=application.amount,
            counter_amount=application.credit_amount,
            base_amount=application.debit_base_amount,
            counter_base_amount=application.credit_base_amount,
            fx_gain_base=application.fx_gain_base,
        )
    return ApplicationLine(
        application=application,
        counter_item=application.debit_item,
        amount=application.credit_amount,
        counter_amount=application.amount,
        base_amount=application.credit_base_amount,
        counter_base_amount=application.debit_base_amount,
        fx_gain_base=application.fx_gain_base,
    )


@require_GET
@require_perm(Perm.INVOICES_VIEW)
def customer_items(request: HttpRequest, customer_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(tenant, customer_id)
    today = timezone.localdate(timezone=ZoneInfo(tenant.timezone))
    form = AsOfForm(request.GET if "as_of" in request.GET else None)
    as_of = today
    if form.is_bound and form.is_valid() and form.cleaned_data["as_of"]:
        as_of = form.cleaned_data["as_of"]
    aging = selectors.customer_aging(
        tenant=tenant, customer=customer, as_of=as_of, with_items=False
    )
    listing = list_page(
        request,
        selectors.open_items_as_of(tenant=tenant, as_of=as_of, customer=customer),
        sortable=ITEM_SORTABLE,
        default_sort="due",
    )
    items: list[OpenItem] = list(listing.page.object_list)
    applications = selectors.item_applications(
        tenant=tenant, item_ids=[item.pk for item in items], as_of=as_of
    )
    rows: list[dict[str, Any]] = [
        {
            "item": item,
            "days_past_due": (as_of - (item.due_date or item.document_date)).days,
            "applications": [_line(item, application) for application in applications[item.pk]],
        }
        for item in items
    ]
    return render(
        request,
        "ledger/customer_items.html",
        {
            "customer": customer,
            "form": form,
            "as_of": as_of,
            "is_today": as_of == today,
            "aging": aging,
            "aging_rows": list(zip(aging.buckets, aging.amounts, strict=True)),
            "listing": listing,
            "rows": rows,
            "can_view_customer": can(request, Perm.CUSTOMERS_VIEW),
        },
    )
