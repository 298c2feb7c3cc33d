"""The credit review worklist and the page a review is completed on."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from credit import selectors, services
from credit.forms import ReviewForm, apply_errors
from credit.models import CreditReview, ReviewStatus
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

SORTABLE = {
    "due": ("Due", "due_date"),
    "customer": ("Customer", "customer__legal_name"),
    "class": ("Risk class", "risk_class"),
    "limit": ("Limit", "limit_before"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


@require_perm(Perm.CREDIT_VIEW)
def review_worklist(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status not in ReviewStatus.values:
        status = ReviewStatus.OPEN
    reviews = selectors.review_worklist(tenant=tenant, status=status)
    listing = list_page(request, reviews, sortable=SORTABLE, default_sort="due")
    return render(
        request,
        "credit/review_list.html",
        {
            "listing": listing,
            "status": status,
            "today": tenant_today(tenant),
        },
    )


def _review(request: HttpRequest, pk: int) -> CreditReview:
    try:
        return selectors.review_get(tenant=_tenant(request), review_id=pk)
    except NotFound:
        raise Http404 from None


@require_perm(Perm.CREDIT_VIEW)
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    review = _review(request, pk)
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can(request, Perm.CREDIT_APPROVE):
            raise Http404
        if form.is_valid():
            try:
                services.credit_review_complete(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    review=review,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                    new_limit=form.cleaned_data["new_limit"],
                    risk_class=form.cleaned_data["risk_class"] or None,
                )
            except ValidationFailed as error:
                apply_errors(form, error)
            except DomainError as error:
                form.add_error(None, error.detail)
            else:
                messages.success(request, "Review completed; the next one is scheduled.")
                return redirect("credit:reviews")
        status = 400
    profile = selectors.credit_profile_find(tenant=tenant, customer=review.customer)
    exposure = selectors.customer_exposure(
        tenant=tenant,
        customer=review.customer,
        limit=profile.credit_limit if profile else None,
        today=tenant_today(tenant),
    )
    return render(
        request,
        "credit/review_detail.html",
        {
            "review": review,
            "form": form,
            "profile": profile,
            "exposure": exposure,
            "score": selectors.credit_score_latest(tenant=tenant, customer=review.customer),
            "can_complete": can(request, Perm.CREDIT_APPROVE)
            and review.status == ReviewStatus.OPEN,
        },
        status=status,
    )
