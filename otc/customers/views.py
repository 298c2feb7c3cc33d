"""HTML pages of the customer master: thin views that validate with a form,
call the same services the API calls, and show the result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from otc.audit.selectors import audit_change_rows
from otc.audit.services import Actor
from otc.customers import selectors, services
from otc.customers.forms import (
    AddressForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    PaymentTermsForm,
    StatusChangeForm,
    installments_text,
)
from otc.customers.models import Customer, CustomerStatus, PaymentTerms
from otc.errors import DomainError, IllegalTransition, NotFound, ValidationFailed
from otc.ledger.selectors import customer_aging, customer_balance
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

CUSTOMER_SORTABLE = {
    "number": ("Number", "number"),
    "name": ("Name", "legal_name"),
    "country": ("Country", "country"),
    "currency": ("Currency", "currency"),
    "status": ("Status", "status"),
    "updated": ("Last change", "updated_at"),
}
TERMS_SORTABLE = {
    "code": ("Code", "code"),
    "name": ("Name", "name"),
    "net_days": ("Net days", "net_days"),
    "customers": ("Customers", "customer_count"),
}
# Service error keys that belong to a differently named form field.
_CUSTOMER_FIELD_FOR = {"parent": "parent_number"}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _customer_or_404(request: HttpRequest, pk: int) -> Customer:
    try:
        return selectors.customer_get(tenant=_tenant(request), customer_id=pk)
    except NotFound:
        # Another tenant's customer is exactly as absent as a deleted one.
        raise Http404("No such customer.") from None


def _show_errors(
    form: forms.Form, error: DomainError, field_for: Mapping[str, str] | None = None
) -> None:
    """Put a service's field errors on the form fields they belong to."""
    if not isinstance(error, ValidationFailed) or not error.errors:
        form.add_error(None, error.detail)
        return
    for key, messages_ in error.errors.items():
        field = (field_for or {}).get(key, key)
        for message in messages_:
            if field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)


# --- customers -----------------------------------------------------------------


@require_GET
@require_perm(Perm.CUSTOMERS_VIEW)
def customer_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = CustomerFilterForm(request.GET, tenant=tenant)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "q": data["q"],
            "status": data["status"],
            "country": data["country"],
            "currency": data["currency"],
            "collector_id": data["collector"],
        }
    listing = list_page(
        request,
        selectors.customer_list(tenant=tenant, **filters),
        sortable=CUSTOMER_SORTABLE,
        default_sort="name",
    )
    return render(
        request,
        "customers/customer_list.html",
        {
            "form": form,
            "listing": listing,
            "is_filtered": any(filters.values()),
            "can_edit": can(request, Perm.CUSTOMERS_EDIT),
        },
    )


def _customer_data(form: CustomerForm, tenant: Tenant) -> services.CustomerFields:
    """The form's values as service input; a parent number or collector
    that does not resolve is put on its field and None is returned there."""
    # Read everything first: add_error() drops the field from cleaned_data.
    data = dict(form.cleaned_data)
    terms = None
    if data["payment_terms"] is not None:
        try:
            terms = selectors.payment_terms_get(tenant=tenant, terms_id=data["payment_terms"])
        except NotFound:
            form.add_error("payment_terms", "Choose payment terms from the list.")
    parent = None
    parent_number = data["parent_number"].strip()
    if parent_number:
        parent = selectors.customer_list(tenant=tenant).filter(number=parent_number).first()
        if parent is None:
            form.add_error(
                "parent_number", f"No customer has the number {parent_number}: check the number."
            )
    collector = None
    if data["collector"] is not None:
        try:
            collector = selectors.tenant_user_get(tenant=tenant, user_id=data["collector"])
        except NotFound:
            form.add_error("collector", "Choose a collector from the list.")
    return services.CustomerFields(
        legal_name=data["legal_name"],
        trading_name=data["trading_name"],
        number=data["number"],
        external_ref=data["external_ref"] or None,
        country=data["country"],
        tax_id=data["tax_id"],
        currency=data["currency"],
        payment_terms=terms,
        language=data["language"],
        parent=parent,
        collector=collector,
        segment=data["segment"],
        region=data["region"],
        notes=data["notes"],
    )


@require_perm(Perm.CUSTOMERS_EDIT)
def customer_create(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = CustomerForm(
        request.POST or None,
        tenant=tenant,
        initial={"currency": str(tenant.base_currency), "language": "en"},
    )
    if request.method == "POST" and form.is_valid():
        data = _customer_data(form, tenant)
        if form.is_valid():  # resolving references may have added errors
            number = data.pop("number", "")
            try:
                customer = services.customer_create(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    number=number,
                    **data,  # type: ignore[misc]
                )
            except DomainError as error:
                _show_errors(form, error, _CUSTOMER_FIELD_FOR)
            else:
                messages.success(request, f"Customer {customer.number} created.")
                return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@require_perm(Perm.CUSTOMERS_EDIT)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    form = CustomerForm(
        request.POST or None,
        tenant=tenant,
        current_terms=customer.payment_terms,
        initial=CustomerForm.initial_for(customer),
    )
    if request.method == "POST" and form.is_valid():
        data = _customer_data(form, tenant)
        if not data["number"].strip():
            form.add_error("number", "Enter a customer number: an existing customer keeps one.")
        if form.is_valid():
            try:
                services.customer_update(
                    tenant=tenant, actor=Actor.from_request(request), customer=customer, data=data
                )
            except DomainError as error:
                _show_errors(form, error, _CUSTOMER_FIELD_FOR)
            else:
                messages.success(request, "Customer saved.")
                return redirect("customers:detail", pk=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@require_GET
@require_perm(Perm.CUSTOMERS_VIEW)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    events = selectors.customer_audit_events(tenant=tenant, customer=customer, limit=15)
    labels = dict(CustomerStatus.choices)
    # What the customer owes: one balance query and one aging query.
    aging = customer_aging(tenant=tenant, customer=customer, with_items=False)
    return render(
        request,
        "customers/customer_detail.html",
        {
            "customer": customer,
            "balance": customer_balance(tenant=tenant, customer=customer),
            "aging": aging,
            "aging_rows": list(zip(aging.buckets, aging.amounts, strict=True)),
            "can_view_items": can(request, Perm.INVOICES_VIEW),
            "tax_id_display": selectors.customer_tax_id_display(customer=customer),
            "addresses": selectors.customer_addresses(tenant=tenant, customer=customer),
            "contacts": selectors.customer_contacts(tenant=tenant, customer=customer),
            "group_path": selectors.customer_group_path(tenant=tenant, customer=customer),
            "group_members": selectors.customer_group_members(tenant=tenant, customer=customer),
            "events": [(event, audit_change_rows(event=event)) for event in events],
            "status_moves": [
                (status, labels[status]) for status in services.allowed_statuses(customer.status)
            ],
            "can_edit": can(request, Perm.CUSTOMERS_EDIT),
            "can_view_audit": can(request, Perm.AUDIT_VIEW),
        },
    )


_STATUS_VERBS = {
    CustomerStatus.ACTIVE: "Reactivate",
    CustomerStatus.ON_HOLD: "Put on hold",
    CustomerStatus.IN_LEGAL: "Hand over to legal",
    CustomerStatus.CLOSED: "Close",
}


@require_perm(Perm.CUSTOMERS_EDIT)
def customer_set_status(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    """A confirmation page (GET) and the status move itself (POST)."""
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    if status not in CustomerStatus.values:
        raise Http404("No such status.")
    form = StatusChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_set_status(
                tenant=tenant,
                actor=Actor.from_request(request),
                customer=customer,
                status=status,
                reason=form.cleaned_data["reason"],
            )
        except IllegalTransition as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request, f"{customer.display_name} is now {customer.get_status_display()}."
            )
        return redirect("customers:detail", pk=customer.pk)
    return render(
        request,
        "customers/status_confirm.html",
        {
            "customer": customer,
            "form": form,
            "status": status,
            "status_label": dict(CustomerStatus.choices)[status],
            "verb": _STATUS_VERBS[CustomerStatus(status)],
            "is_allowed": status in services.allowed_statuses(customer.status),
        },
    )


# --- contacts ------------------------------------------------------------------


@require_perm(Perm.CUSTOMERS_EDIT)
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_contact_add(
                tenant=tenant,
                actor=Actor.from_request(request),
                customer=customer,
                **form.cleaned_data,
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Contact {form.cleaned_data['name']} added.")
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
    context = {"form": form, "customer": customer, "contact": None}
    return render(request, "customers/contact_form.html", context)


@require_perm(Perm.CUSTOMERS_EDIT)
def contact_edit(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    try:
        contact = selectors.customer_contact_get(
            tenant=tenant, customer=customer, contact_id=contact_id
        )
    except NotFound:
        raise Http404("No such contact.") from None
    form = ContactForm(
        request.POST or None,
        initial={
            "name": contact.name,
            "job_title": contact.job_title,
            "email": contact.email,
            "phone": contact.phone,
            "roles": contact.roles,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_contact_update(
                tenant=tenant,
                actor=Actor.from_request(request),
                contact=contact,
                data=services.ContactFields(**form.cleaned_data),  # type: ignore[typeddict-item]
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Contact {form.cleaned_data['name']} saved.")
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": customer, "contact": contact},
    )


@require_perm(Perm.CUSTOMERS_EDIT)
def contact_remove(request: HttpRequest, pk: int, contact_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    try:
        contact = selectors.customer_contact_get(
            tenant=tenant, customer=customer, contact_id=contact_id
        )
    except NotFound:
        raise Http404("No such contact.") from None
    if request.method == "POST":
        services.customer_contact_remove(
            tenant=tenant, actor=Actor.from_request(request), contact=contact
        )
        messages.success(request, f"Contact {contact.name} removed.")
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#contacts")
    return render(
        request,
        "customers/confirm_remove.html",
        {
            "customer": customer,
            "title": f"Remove contact {contact.name}?",
            "explanation": (
                f"{contact.name} will no longer receive documents or reminders for "
                f"{customer.display_name}. The removal is recorded in the customer's history."
            ),
            "button": "Remove contact",
            "anchor": "contacts",
        },
    )


# --- addresses -----------------------------------------------------------------


@require_perm(Perm.CUSTOMERS_EDIT)
def address_add(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    form = AddressForm(request.POST or None, initial={"country": str(customer.country)})
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_address_add(
                tenant=tenant,
                actor=Actor.from_request(request),
                customer=customer,
                **form.cleaned_data,
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, "Address added.")
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#addresses")
    context = {"form": form, "customer": customer, "address": None}
    return render(request, "customers/address_form.html", context)


@require_perm(Perm.CUSTOMERS_EDIT)
def address_edit(request: HttpRequest, pk: int, address_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    try:
        address = selectors.customer_address_get(
            tenant=tenant, customer=customer, address_id=address_id
        )
    except NotFound:
        raise Http404("No such address.") from None
    form = AddressForm(
        request.POST or None,
        initial={
            "kind": address.kind,
            "is_default": address.is_default,
            "line1": address.line1,
            "line2": address.line2,
            "line3": address.line3,
            "postal_code": address.postal_code,
            "city": address.city,
            "region": address.region,
            "country": str(address.country),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_address_update(
                tenant=tenant,
                actor=Actor.from_request(request),
                address=address,
                data=services.AddressFields(**form.cleaned_data),  # type: ignore[typeddict-item]
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, "Address saved.")
            return redirect(reverse("customers:detail", args=[customer.pk]) + "#addresses")
    return render(
        request,
        "customers/address_form.html",
        {"form": form, "customer": customer, "address": address},
    )


@require_perm(Perm.CUSTOMERS_EDIT)
def address_remove(request: HttpRequest, pk: int, address_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    try:
        address = selectors.customer_address_get(
            tenant=tenant, customer=customer, address_id=address_id
        )
    except NotFound:
        raise Http404("No such address.") from None
    if request.method == "POST":
        services.customer_address_remove(
            tenant=tenant, actor=Actor.from_request(request), address=address
        )
        messages.success(request, "Address removed.")
        return redirect(reverse("customers:detail", args=[customer.pk]) + "#addresses")
    explanation = f"{address} will be removed from {customer.display_name}."
    if address.is_default:
        explanation += (
            f" It is the default {address.get_kind_display().lower()} address; the oldest "
            "remaining one of that kind becomes the default."
        )
    return render(
        request,
        "customers/confirm_remove.html",
        {
            "customer": customer,
            "title": f"Remove this {address.get_kind_display().lower()} address?",
            "explanation": explanation,
            "button": "Remove address",
            "anchor": "addresses",
        },
    )


# --- payment terms ---------------------------------------------------------------


@require_GET
@require_perm(Perm.CUSTOMERS_VIEW)
def payment_terms_list(request: HttpRequest) -> HttpResponse:
    listing = list_page(
        request,
        selectors.payment_terms_list(tenant=_tenant(request)),
        sortable=TERMS_SORTABLE,
        default_sort="code",
    )
    return render(
        request,
        "customers/payment_terms_list.html",
        {"listing": listing, "can_edit": can(request, Perm.CUSTOMERS_EDIT)},
    )


def _terms_or_404(request: HttpRequest, pk: int) -> PaymentTerms:
    try:
        return selectors.payment_terms_get(tenant=_tenant(request), terms_id=pk)
    except NotFound:
        raise Http404("No such payment terms.") from None


@require_perm(Perm.CUSTOMERS_EDIT)
def payment_terms_create(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = PaymentTermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            terms = services.payment_terms_create(
                tenant=tenant, actor=Actor.from_request(request), **form.cleaned_data
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Payment terms {terms.code} created.")
            return redirect("customers:payment_terms_list")
    return render(request, "customers/payment_terms_form.html", {"form": form, "terms": None})


@require_perm(Perm.CUSTOMERS_EDIT)
def payment_terms_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    terms = _terms_or_404(request, pk)
    form = PaymentTermsForm(
        request.POST or None,
        initial={
            "code": terms.code,
            "name": terms.name,
            "kind": terms.kind,
            "net_days": terms.net_days,
            "discount_percent": terms.discount_percent,
            "discount_days": terms.discount_days,
            "is_active": terms.is_active,
            "installments": installments_text(
                [
                    {"share_percent": p.share_percent, "net_days": p.net_days, "kind": p.kind}
                    for p in selectors.payment_terms_installments(terms=terms)
                ]
            ),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_terms_update(
                tenant=tenant,
                actor=Actor.from_request(request),
                terms=terms,
                data=services.PaymentTermsFields(**form.cleaned_data),  # type: ignore[typeddict-item]
            )
        except DomainError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"Payment terms {form.cleaned_data['code']} saved.")
            return redirect("customers:payment_terms_list")
    return render(request, "customers/payment_terms_form.html", {"form": form, "terms": terms})
