"""HTML pages of credit applications: file one (with statements and
references), the list, and the page an analyst decides on."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from credit import selectors, services
from credit.forms import ApplicationForm, ApproveForm, NoteForm, apply_errors
from credit.models import ApplicationStatus, CreditApplication
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

SORTABLE = {
    "customer": ("Customer", "customer__legal_name"),
    "requested": ("Requested", "requested_limit"),
    "status": ("Status", "status"),
    "submitted": ("Submitted", "submitted_at"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _get(request: HttpRequest, pk: int) -> CreditApplication:
    try:
        return selectors.application_get(tenant=_tenant(request), application_id=pk)
    except NotFound:
        raise Http404 from None


@require_perm(Perm.CREDIT_VIEW)
def application_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ApplicationStatus.values:
        status = ""
    applications = selectors.application_list(tenant=_tenant(request), status=status)
    listing = list_page(request, applications, sortable=SORTABLE, default_sort="-submitted")
    return render(
        request,
        "credit/application_list.html",
        {
            "listing": listing,
            "status": status,
            "statuses": ApplicationStatus.choices,
            "can_file": can(request, Perm.CUSTOMERS_EDIT),
        },
    )


@require_perm(Perm.CUSTOMERS_EDIT)
def application_new(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        initial={"customer_number": request.GET.get("customer", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        number = data.pop("customer_number").strip()
        customer = Customer.objects.for_tenant(tenant).filter(number=number).first()
        if customer is None:
            form.add_error("customer_number", f"No customer has the number {number}.")
        else:
            try:
                application = services.credit_application_create(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    customer=customer,
                    trade_references=data.pop("references"),
                    statements_file=data.pop("statements_file"),
                    submit=True,
                    **data,
                )
            except ValidationFailed as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"{application} submitted.")
                return redirect("credit:application_detail", pk=application.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "credit/application_form.html", {"form": form}, status=status)


def _detail_context(
    request: HttpRequest, application: CreditApplication, **forms: Any
) -> dict[str, Any]:
    decidable = application.status == ApplicationStatus.UNDER_REVIEW
    return {
        "application": application,
        "ratios": services.application_ratios(application),
        "can_decide": can(request, Perm.CREDIT_APPROVE),
        "decidable": decidable,
        "approve_form": forms.get("approve_form") or ApproveForm(),
        "reject_form": forms.get("reject_form") or NoteForm(prefix="reject"),
        "info_form": forms.get("info_form") or NoteForm(prefix="info"),
    }


@require_perm(Perm.CREDIT_VIEW)
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get(request, pk)
    return render(request, "credit/application_detail.html", _detail_context(request, application))


def _invalid(
    request: HttpRequest,
    application: CreditApplication,
    key: str,
    form: Any,
    error: ValidationFailed | None = None,
) -> HttpResponse:
    if error is not None:
        apply_errors(form, error)
    context = _detail_context(request, application, **{key: form})
    return render(request, "credit/application_detail.html", context, status=400)


def _start_review(request: HttpRequest, application: CreditApplication) -> HttpResponse:
    services.credit_application_start_review(
        tenant=_tenant(request), actor=Actor.from_request(request), application=application
    )
    messages.success(request, "Review started.")
    return redirect("credit:application_detail", pk=application.pk)


def _approve(request: HttpRequest, application: CreditApplication) -> HttpResponse:
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _invalid(request, application, "approve_form", form)
    try:
        done = services.credit_application_approve(
            tenant=_tenant(request),
            actor=Actor.from_request(request),
            application=application,
            **form.cleaned_data,
        )
    except ValidationFailed as error:
        return _invalid(request, application, "approve_form", form, error)
    if done.status == ApplicationStatus.APPROVED:
        messages.success(request, "Approved; the customer's limit is set.")
    else:
        messages.warning(
            request,
            "Your approval limit does not cover this amount: the "
            "application is escalated to someone with a higher limit.",
        )
    return redirect("credit:application_detail", pk=application.pk)


def _with_note(
    request: HttpRequest, application: CreditApplication, *, reject: bool
) -> HttpResponse:
    key, prefix = ("reject_form", "reject") if reject else ("info_form", "info")
    form = NoteForm(request.POST, prefix=prefix)
    if not form.is_valid():
        return _invalid(request, application, key, form)
    service = (
        services.credit_application_reject if reject else services.credit_application_request_info
    )
    try:
        service(
            tenant=_tenant(request),
            actor=Actor.from_request(request),
            application=application,
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as error:
        return _invalid(request, application, key, form, error)
    messages.success(request, "Rejected." if reject else "Information requested.")
    return redirect("credit:application_detail", pk=application.pk)


_ACTIONS = {
    "start-review": _start_review,
    "approve": _approve,
    "reject": lambda request, application: _with_note(request, application, reject=True),
    "request-info": lambda request, application: _with_note(request, application, reject=False),
}


@require_POST
@require_perm(Perm.CREDIT_APPROVE)
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    handler = _ACTIONS.get(action)
    if handler is None:
        raise Http404
    application = _get(request, pk)
    try:
        return handler(request, application)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("credit:application_detail", pk=pk)
