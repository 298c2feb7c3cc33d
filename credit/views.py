"""HTML pages of credit: the analyst's dashboard, orders and their holds,
the customer credit page and the policy settings. Each validates with a
form and calls the same services as the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from credit import selectors, services
from credit.forms import (
    LimitForm,
    NoteForm,
    OrderFilterForm,
    OrderForm,
    OrderLineFormSet,
    PolicyForm,
    ProfileForm,
    ReleaseForm,
    apply_errors,
)
from credit.models import OPEN_ORDER_STATUSES, CreditProfile, LimitKind, Order, OrderStatus
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

ORDER_SORTABLE = {
    "ref": ("Order", "external_ref"),
    "customer": ("Customer", "customer__legal_name"),
    "ship": ("Ship date", "requested_ship_date"),
    "value": ("Value (base)", "base_amount"),
    "status": ("Status", "status"),
    "created": ("Received", "created_at"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return selectors.order_get(tenant=_tenant(request), order_id=pk)
    except NotFound:
        raise Http404 from None


def _customer_or_404(request: HttpRequest, pk: int) -> Customer:
    customer = Customer.objects.for_tenant(_tenant(request)).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


@require_perm(Perm.CREDIT_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    held = selectors.held_order_queue(tenant=tenant)
    return render(
        request,
        "credit/dashboard.html",
        {
            "held": held[:20],
            "held_count": held.count(),
            "over_utilized": selectors.customers_over_utilization(tenant=tenant)[:20],
            "reviews": selectors.reviews_due(tenant=tenant)[:20],
            "applications": selectors.applications_to_decide(tenant=tenant)[:20],
            "today": tenant_today(tenant),
            "base_currency": tenant.base_currency,
        },
    )


@require_perm(Perm.ORDERS_VIEW)
def order_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = OrderFilterForm(request.GET)
    orders = selectors.order_list(tenant=tenant)
    is_filtered = False
    if form.is_valid():
        if form.cleaned_data["status"]:
            orders = orders.filter(status=form.cleaned_data["status"])
            is_filtered = True
        query = form.cleaned_data["q"].strip()
        if query:
            orders = orders.filter(
                Q(external_ref__icontains=query)
                | Q(customer__legal_name__icontains=query)
                | Q(customer__number__icontains=query)
            )
            is_filtered = True
    listing = list_page(request, orders, sortable=ORDER_SORTABLE, default_sort="-created")
    return render(
        request,
        "credit/order_list.html",
        {
            "form": form,
            "listing": listing,
            "is_filtered": is_filtered,
            "can_enter": can(request, Perm.ORDERS_EDIT),
        },
    )


def _order_context(request: HttpRequest, order: Order, **forms: Any) -> dict[str, Any]:
    tenant = _tenant(request)
    return {
        "order": order,
        "lines": selectors.order_lines(tenant=tenant, order=order),
        "events": selectors.order_events(tenant=tenant, order=order),
        "can_decide": can(request, Perm.CREDIT_APPROVE)
        and order.status in (OrderStatus.HELD, OrderStatus.INFO_REQUESTED),
        # Billing lives in invoicing (above credit): the page links to it.
        "can_invoice": can(request, Perm.INVOICES_EDIT)
        and order.status in OPEN_ORDER_STATUSES
        and order.invoiced_amount < order.released_amount,
        "release_form": forms.get("release_form") or ReleaseForm(),
        "reject_form": forms.get("reject_form") or NoteForm(prefix="reject"),
        "info_form": forms.get("info_form") or NoteForm(prefix="info"),
    }


@require_perm(Perm.ORDERS_EDIT)
def order_new(request: HttpRequest) -> HttpResponse:
    """Enter an order by hand (phone or e-mail orders) and get the credit
    decision at once, as the ERP does through the API."""
    tenant = _tenant(request)
    form = OrderForm(request.POST or None)
    lines = OrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        customer = (
            Customer.objects.for_tenant(tenant)
            .filter(number=data["customer_number"].strip())
            .first()
        )
        entered = [line.cleaned_data for line in lines if line.has_content()]
        if customer is None:
            form.add_error(
                "customer_number", f"No customer has the number {data['customer_number']}."
            )
        else:
            try:
                order = services.order_create(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    customer=customer,
                    currency=data["currency"] or str(customer.currency),
                    lines=[
                        services.OrderLineInput(
                            description=line["description"] or "",
                            sku=line["sku"] or "",
                            quantity=line["quantity"]
                            if line["quantity"] is not None
                            else Decimal(0),
                            unit_price=line["unit_price"]
                            if line["unit_price"] is not None
                            else Decimal(0),
                            tax_rate=line["tax_rate"] or Decimal(0),
                        )
                        for line in entered
                    ],
                    requested_ship_date=data["requested_ship_date"],
                    external_ref=data["external_ref"] or None,
                    customer_po=data["customer_po"],
                    submit=True,
                )
            except ValidationFailed as error:
                apply_errors(form, error)
            except DomainError as error:
                form.add_error(None, error.detail)
            else:
                if order.status == OrderStatus.APPROVED:
                    messages.success(request, f"{order} approved: it may ship.")
                else:
                    messages.warning(request, f"{order} is on credit hold.")
                return redirect("credit:order_detail", pk=order.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "credit/order_form.html", {"form": form, "lines": lines}, status=status)


@require_perm(Perm.ORDERS_VIEW)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    return render(request, "credit/order_detail.html", _order_context(request, order))


def _decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    tenant = _tenant(request)
    order = _order_or_404(request, pk)
    actor = Actor.from_request(request)
    if action == "release":
        form: Any = ReleaseForm(request.POST)
        key = "release_form"
    else:
        form = NoteForm(request.POST, prefix=action)
        key = f"{action}_form"
    if form.is_valid():
        try:
            if action == "release":
                services.order_release(tenant=tenant, actor=actor, order=order, **form.cleaned_data)
                messages.success(request, f"{order} released.")
            elif action == "reject":
                services.order_reject(tenant=tenant, actor=actor, order=order, **form.cleaned_data)
                messages.success(request, f"{order} rejected.")
            else:
                services.order_request_info(
                    tenant=tenant, actor=actor, order=order, **form.cleaned_data
                )
                messages.success(request, f"Information requested for {order}.")
            return redirect("credit:order_detail", pk=order.pk)
        except ValidationFailed as error:
            apply_errors(form, error)
        except DomainError as error:
            messages.error(request, error.detail)
            return redirect("credit:order_detail", pk=order.pk)
    context = _order_context(request, order, **{key: form})
    return render(request, "credit/order_detail.html", context, status=400)


@require_POST
@require_perm(Perm.CREDIT_APPROVE)
def order_release(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "release")


@require_POST
@require_perm(Perm.CREDIT_APPROVE)
def order_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "reject")


@require_POST
@require_perm(Perm.CREDIT_APPROVE)
def order_request_info(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, "info")


def _customer_context(
    request: HttpRequest,
    customer: Customer,
    *,
    limit_form: LimitForm | None = None,
    profile_form: ProfileForm | None = None,
) -> dict[str, Any]:
    tenant = _tenant(request)
    profile: CreditProfile | None = selectors.credit_profile_find(tenant=tenant, customer=customer)
    policy = selectors.credit_policy_get(tenant=tenant)
    today = tenant_today(tenant)
    exposure = selectors.customer_exposure(
        tenant=tenant,
        customer=customer,
        limit=profile.credit_limit if profile else None,
        overdue_days=policy.overdue_days,
        today=today,
    )
    group = None
    root = selectors.group_root(tenant=tenant, customer=customer)
    head = root or customer
    head_profile = (
        selectors.credit_profile_find(tenant=tenant, customer=head) if head != customer else profile
    )
    if head_profile is not None and head_profile.group_limit is not None:
        group = selectors.group_exposure(
            tenant=tenant,
            root=head,
            limit=head_profile.group_limit,
            overdue_days=policy.overdue_days,
            today=today,
        )
    initial = {
        "risk_class": profile.risk_class if profile and profile.risk_class_manual else "",
        "external_rating": profile.external_rating if profile else "",
        "external_rating_agency": profile.external_rating_agency if profile else "",
        "next_review_date": profile.next_review_date if profile else None,
        "is_blocked": profile.is_blocked if profile else False,
        "blocked_reason": profile.blocked_reason if profile else "",
    }
    return {
        "customer": customer,
        "profile": profile,
        "exposure": exposure,
        "group": group,
        "group_head": head if group is not None else None,
        "score": selectors.credit_score_latest(tenant=tenant, customer=customer),
        "history": selectors.credit_limit_history(tenant=tenant, customer=customer)[:50],
        "events": selectors.order_events(tenant=tenant, customer=customer, limit=30),
        "open_orders": selectors.order_list(tenant=tenant, customer_id=customer.pk).exclude(
            status__in=[OrderStatus.INVOICED, OrderStatus.CANCELLED, OrderStatus.REJECTED]
        )[:50],
        "base_currency": tenant.base_currency,
        "can_approve": can(request, Perm.CREDIT_APPROVE),
        "can_edit": can(request, Perm.CREDIT_EDIT),
        "limit_form": limit_form or LimitForm(),
        "profile_form": profile_form or ProfileForm(initial=initial),
    }


@require_perm(Perm.CREDIT_VIEW)
def customer_credit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    return render(request, "credit/customer_credit.html", _customer_context(request, customer))


@require_POST
@require_perm(Perm.CREDIT_APPROVE)
def customer_limit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    form = LimitForm(request.POST)
    if form.is_valid():
        try:
            services.credit_limit_set(
                tenant=_tenant(request),
                actor=Actor.from_request(request),
                customer=customer,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                kind=LimitKind(form.cleaned_data["kind"]),
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, "Limit saved.")
            return redirect("credit:customer", pk=customer.pk)
    context = _customer_context(request, customer, limit_form=form)
    return render(request, "credit/customer_credit.html", context, status=400)


@require_POST
@require_perm(Perm.CREDIT_EDIT)
def customer_profile(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(request, pk)
    form = ProfileForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        actor = Actor.from_request(request)
        try:
            services.credit_profile_update(
                tenant=tenant,
                actor=actor,
                customer=customer,
                risk_class=data["risk_class"],
                next_review_date=data["next_review_date"],
                clear_review_date=data["next_review_date"] is None,
                external_rating=data["external_rating"],
                external_rating_agency=data["external_rating_agency"],
            )
            if data["is_blocked"]:
                services.credit_profile_block(
                    tenant=tenant, actor=actor, customer=customer, reason=data["blocked_reason"]
                )
            else:
                services.credit_profile_unblock(tenant=tenant, actor=actor, customer=customer)
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Credit profile saved.")
            return redirect("credit:customer", pk=customer.pk)
    context = _customer_context(request, customer, profile_form=form)
    return render(request, "credit/customer_credit.html", context, status=400)


@require_POST
@require_perm(Perm.CREDIT_EDIT)
def customer_rescore(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    score = services.credit_score_customer(
        tenant=_tenant(request), actor=Actor.from_request(request), customer=customer
    )
    messages.success(request, f"Score recomputed: {score.score} (class {score.risk_class}).")
    return redirect("credit:customer", pk=customer.pk)


@require_perm(Perm.CREDIT_VIEW)
def policy(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    current = selectors.credit_policy_get(tenant=tenant)
    can_edit = can(request, Perm.CREDIT_EDIT)
    initial: dict[str, Any] = {
        name: getattr(current, name) for name in services.CREDIT_POLICY_FIELDS
    }
    for risk_class, months in (current.review_months or {}).items():
        initial[f"review_months_{risk_class}"] = months
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Your role may read the credit policy, not change it.")
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                services.credit_policy_update(
                    tenant=tenant, actor=Actor.from_request(request), **form.policy_values()
                )
            except ValidationFailed as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Credit policy saved; it applies to the next order.")
                return redirect("credit:policy")
        status = 400
    else:
        form = PolicyForm(initial=initial)
        status = 200
    return render(
        request,
        "credit/policy.html",
        {"form": form, "can_edit": can_edit, "base_currency": tenant.base_currency},
        status=status,
    )
