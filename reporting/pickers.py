"""Pickers for the report filters on the HTML pages: people choose a
collector or a customer group by name from a list and find a customer by
typing part of its name or number. The fields stay the ids the API takes
(the same form serves both); only the pages' widgets change, and the lists
are read when a page is built, never at import time."""

from __future__ import annotations

from typing import TypeVar

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse

from otc.accounts.models import User
from otc.customers.models import Customer
from otc.customers.selectors import customer_list
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Role

CUSTOMER_OPTIONS = 20
GROUP_OPTIONS = 500
CUSTOMER_LIST_ID = "customer-options"

FormT = TypeVar("FormT", bound=forms.Form)


def collector_choices(*, tenant: Tenant) -> list[tuple[str, str]]:
    """Everyone who collects: the collector seats and whoever customers name
    as their collector, by name."""
    seats = Membership.objects.for_tenant(tenant).filter(role=Role.COLLECTOR.value, is_active=True)
    assigned = (
        Customer.objects.for_tenant(tenant)
        .filter(collector__isnull=False)
        .values("collector_id")
        .distinct()
    )
    users = User.objects.filter(Q(pk__in=seats.values("user_id")) | Q(pk__in=assigned)).order_by(
        "full_name", "email"
    )
    return [(str(user.pk), user.full_name or user.email) for user in users]


def group_choices(*, tenant: Tenant) -> list[tuple[str, str]]:
    """Customer groups: the customers that head others."""
    heads = (
        Customer.objects.for_tenant(tenant)
        .filter(
            pk__in=Customer.objects.for_tenant(tenant)
            .filter(parent__isnull=False)
            .values("parent_id")
        )
        .order_by("number")[:GROUP_OPTIONS]
    )
    return [(str(head.pk), f"{head.number} {head.legal_name}") for head in heads]


def customer_options(*, tenant: Tenant, q: str) -> QuerySet[Customer]:
    """The customers a typed fragment finds (a customer id finds that one)."""
    q = q.strip()
    if q.isdigit():
        by_id = Customer.objects.for_tenant(tenant).filter(pk=int(q))
        if by_id.exists():
            return by_id
    return customer_list(tenant=tenant, q=q).order_by("number")[:CUSTOMER_OPTIONS]


def customer_label(*, tenant: Tenant, customer_id: object) -> str:
    try:
        pk = int(str(customer_id))
    except ValueError:
        return ""
    found = Customer.objects.for_tenant(tenant).filter(pk=pk).first()
    return f"{found.number} {found.legal_name}" if found else ""


def apply_pickers(form: FormT, *, tenant: Tenant) -> FormT:
    """Turn a BookFilterForm's id fields into pickers for a page."""
    fields = form.fields
    fields["collector"].label = "Collector"
    fields["collector"].widget = forms.Select(
        choices=[("", "Any collector"), *collector_choices(tenant=tenant)]
    )
    fields["customer_group"].label = "Customer group"
    fields["customer_group"].widget = forms.Select(
        choices=[("", "Any group"), *group_choices(tenant=tenant)]
    )
    customer = fields["customer"]
    customer.label = "Customer"
    customer.error_messages["invalid"] = (
        "Pick a customer from the list: type part of its name or number."
    )
    customer.widget = forms.TextInput(
        attrs={
            "list": CUSTOMER_LIST_ID,
            "autocomplete": "off",
            "placeholder": "Type a name or number",
            "hx-get": reverse("reporting:customer_options"),
            "hx-trigger": "input changed delay:300ms",
            "hx-target": f"#{CUSTOMER_LIST_ID}",
            "hx-swap": "innerHTML",
        }
    )
    chosen = form.data.get("customer") if form.is_bound else None
    if chosen:
        customer.help_text = customer_label(tenant=tenant, customer_id=chosen)
    return form
