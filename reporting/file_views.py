"""HTML pages of report files (request one, follow its progress, download
it, retry a failed one) and of scheduled reports (subscribe, pause, resume,
delete, see what was sent and what failed)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from otc.accounts.models import User
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import require_perm
from reporting.forms import ReportRequestForm, SubscriptionForm
from reporting.models import ReportFormat, RunStatus
from reporting.selectors.report_runs import (
    delivery_list,
    report_run_get,
    report_run_list,
    subscription_list,
)
from reporting.services.report_runs import CONTENT_TYPES, report_run_request, report_run_retry
from reporting.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_set_active,
)

RUN_SORTABLE = {
    "created": ("Requested", "created_at"),
    "kind": ("Report", "kind"),
    "status": ("Status", "status"),
}
# While a run on the page is queued or running the page reloads itself.
REFRESH_SECONDS = 3


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


@require_http_methods(["GET", "POST"])
@require_perm(Perm.REPORTS_VIEW)
def report_files(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    if request.method == "POST":
        form = ReportRequestForm(request.POST, tenant=tenant)
        if form.is_valid():
            try:
                run = report_run_request(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    kind=form.cleaned_data["kind"],
                    file_format=form.cleaned_data["format"],
                    parameters=form.parameters(),
                )
            except DomainError as refused:
                form.add_error(None, refused.detail)
            else:
                messages.success(
                    request, f"{run.get_kind_display()} ({run.get_format_display()}) requested."
                )
                return redirect("reporting:files")
    else:
        form = ReportRequestForm(
            initial={"kind": "kpi_pack", "format": ReportFormat.PDF}, tenant=tenant
        )
    mine = request.GET.get("mine") == "1"
    runs = report_run_list(tenant=tenant, requested_by=request.user if mine else None)  # type: ignore[arg-type]
    listing = list_page(request, runs, sortable=RUN_SORTABLE, default_sort="-created")
    active = any(run.is_active for run in listing.page.object_list)
    return render(
        request,
        "reporting/files.html",
        {
            "form": form,
            "listing": listing,
            "mine": mine,
            "refresh_seconds": REFRESH_SECONDS if active else None,
        },
    )


@require_POST
@require_perm(Perm.REPORTS_VIEW)
def report_file_retry(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = report_run_retry(
            tenant=_tenant(request), actor=Actor.from_request(request), run_id=run_id
        )
    except NotFound:
        raise Http404("No such report.") from None
    except DomainError as refused:
        messages.error(request, refused.detail)
    else:
        messages.success(request, f"{run.get_kind_display()} queued again.")
    return redirect("reporting:files")


@require_GET
@require_perm(Perm.REPORTS_VIEW)
def report_file_download(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        run = report_run_get(tenant=_tenant(request), run_id=run_id)
    except NotFound:
        raise Http404("No such report.") from None
    if run.status != RunStatus.SUCCEEDED or not run.file:
        messages.error(request, "This report has no file yet.")
        return redirect("reporting:files")
    with run.file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=CONTENT_TYPES[ReportFormat(run.format)])
    response["Content-Disposition"] = f'attachment; filename="{run.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET", "POST"])
@require_perm(Perm.REPORTS_VIEW)
def subscriptions(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        form = SubscriptionForm(request.POST, tenant=tenant)
        if form.is_valid():
            data = form.cleaned_data
            try:
                subscription_create(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    user=user,
                    kind=data["kind"],
                    file_format=data["format"],
                    parameters=form.parameters(),
                    frequency=data["frequency"],
                    hour=data["hour"],
                    weekday=data.get("weekday") or 0,
                    day_of_month=data.get("day_of_month") or 1,
                )
            except DomainError as refused:
                form.add_error(None, refused.detail)
            else:
                messages.success(request, f"Subscribed: it will be e-mailed to {user.email}.")
                return redirect("reporting:subscriptions")
    else:
        form = SubscriptionForm(
            initial={"kind": "kpi_pack", "format": ReportFormat.PDF, "frequency": "weekly"},
            tenant=tenant,
        )
    return render(
        request,
        "reporting/subscriptions.html",
        {
            "form": form,
            "subscriptions": subscription_list(tenant=tenant, user=user),
            "deliveries": delivery_list(tenant=tenant, user=user),
        },
    )


@require_POST
@require_perm(Perm.REPORTS_VIEW)
def subscription_change(request: HttpRequest, subscription_id: int, action: str) -> HttpResponse:
    tenant = _tenant(request)
    user: User = request.user  # type: ignore[assignment]
    actor = Actor.from_request(request)
    try:
        if action == "delete":
            subscription_delete(
                tenant=tenant, actor=actor, user=user, subscription_id=subscription_id
            )
            messages.success(request, "Subscription deleted.")
        elif action in ("pause", "resume"):
            subscription_set_active(
                tenant=tenant,
                actor=actor,
                user=user,
                subscription_id=subscription_id,
                active=action == "resume",
            )
            messages.success(
                request, "Subscription paused." if action == "pause" else "Subscription resumed."
            )
        else:
            raise Http404("No such action.")
    except NotFound:
        raise Http404("No such subscription.") from None
    return redirect("reporting:subscriptions")
