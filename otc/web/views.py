"""The shell's own pages: the home redirect, role dashboards, tenant
settings and members."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from otc.audit.services import Actor
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Perm, Role, role_can
from otc.tenancy.selectors import tenant_members
from otc.tenancy.services import (
    SETTINGS_FIELDS,
    TenancyRuleError,
    member_add,
    membership_collection_target_set,
    membership_update,
    tenant_logo_remove,
    tenant_logo_replace,
    tenant_settings_update,
)
from otc.web import selectors
from otc.web.dashboards import (
    DASHBOARDS,
    dashboard_content,
    dashboard_roles_for,
    may_open_dashboard,
)
from otc.web.forms import MemberAddForm, MemberForm, TenantSettingsForm
from otc.web.permissions import can, require_perm


def _membership(request: HttpRequest) -> Membership:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise PermissionDenied("You have no active role in a tenant.")
    return membership


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:dashboard", role=_membership(request).role)


@login_required
@require_GET
def dashboard(request: HttpRequest, role: str) -> HttpResponse:
    membership = _membership(request)
    try:
        dashboard_role = Role(role)
    except ValueError:
        raise Http404 from None
    spec = DASHBOARDS.get(dashboard_role)
    if spec is None:
        raise Http404
    viewer = Role(membership.role)
    if not may_open_dashboard(viewer=viewer, dashboard=dashboard_role):
        raise PermissionDenied("This dashboard belongs to another role.")

    tenant = membership.tenant
    customers = (
        selectors.customer_count(tenant=tenant) if role_can(viewer, Perm.CUSTOMERS_VIEW) else None
    )
    api_keys = (
        selectors.api_key_count(tenant=tenant)
        if spec.show_api_keys and role_can(viewer, Perm.API_KEYS_MANAGE)
        else None
    )
    shows_activity = spec.show_activity and role_can(viewer, Perm.AUDIT_VIEW)
    app_figures, app_panels = dashboard_content(
        tenant=tenant, dashboard=dashboard_role, viewer=viewer, user=request.user
    )
    context = {
        "dashboard": spec,
        "is_own_dashboard": dashboard_role == viewer,
        "other_dashboards": [r for r in dashboard_roles_for(viewer) if r != dashboard_role],
        "customer_count": customers,
        "customers_url": _url_or_none("customers:list"),
        "api_key_count": api_keys,
        "api_keys_url": _url_or_none("api_keys:list"),
        "member_count": selectors.active_member_count(tenant=tenant),
        "team_by_role": selectors.team_by_role(tenant=tenant) if spec.show_team else [],
        "members": tenant_members(tenant=tenant) if spec.show_team else [],
        "can_manage_members": role_can(viewer, Perm.MEMBERS_MANAGE),
        "audit_count_7d": (
            selectors.audit_event_count_since(tenant=tenant, days=7) if shows_activity else None
        ),
        "recent_events": selectors.audit_recent(tenant=tenant) if shows_activity else [],
        "audit_url": _url_or_none("audit:list") if shows_activity else None,
        "app_figures": app_figures,
        "app_panels": app_panels,
    }
    return render(request, "web/dashboard.html", context)


@login_required
@require_GET
def tenant_logo(request: HttpRequest) -> HttpResponseBase:
    """The current tenant's logo, served by the app so it needs no public
    media server and never shows one tenant's file to another."""
    tenant = _membership(request).tenant
    if not tenant.logo:
        raise Http404
    content_type = mimetypes.guess_type(tenant.logo.name or "")[0] or "application/octet-stream"
    response = FileResponse(tenant.logo.open("rb"), content_type=content_type)
    # An SVG opened directly would run in our origin: forbid scripts and
    # everything else it might load, and stop browsers second-guessing types.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _settings_initial(tenant: Tenant) -> dict[str, str]:
    return {field: getattr(tenant, field) for field in SETTINGS_FIELDS}


@require_perm(Perm.TENANT_SETTINGS)
def tenant_settings(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    tenant = membership.tenant
    form = TenantSettingsForm(
        request.POST or None,
        request.FILES or None,
        initial=_settings_initial(tenant),
        current_locale=tenant.locale,
    )
    if request.method == "POST" and form.is_valid():
        actor = Actor.from_request(request)
        try:
            # Settings and logo commit together or not at all.
            with transaction.atomic():
                tenant_settings_update(tenant=tenant, actor=actor, settings=form.tenant_settings())
                if form.cleaned_data["logo"]:
                    tenant_logo_replace(
                        tenant=tenant,
                        actor=actor,
                        logo=form.cleaned_data["logo"],
                        extension=form.logo_extension,
                    )
                elif form.cleaned_data["remove_logo"]:
                    tenant_logo_remove(tenant=tenant, actor=actor)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Tenant settings saved.")
            return redirect("web:tenant_settings")
    return render(
        request,
        "web/tenant_settings.html",
        {
            "form": form,
            "members": tenant_members(tenant=tenant),
            "can_manage_members": can(request, Perm.MEMBERS_MANAGE),
        },
    )


@require_perm(Perm.MEMBERS_MANAGE)
def member_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    tenant = _membership(request).tenant
    # Another tenant's membership id is simply not found here.
    member = get_object_or_404(
        Membership.objects.for_tenant(tenant).select_related("user"), pk=membership_id
    )
    form = MemberForm(
        request.POST or None,
        initial={
            "role": member.role,
            "approval_limit": member.approval_limit,
            "is_active": member.is_active,
            "monthly_collection_target": member.monthly_collection_target,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                membership_update(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    membership=member,
                    role=form.cleaned_data["role"],
                    approval_limit=form.cleaned_data["approval_limit"],
                    is_active=form.cleaned_data["is_active"],
                )
                membership_collection_target_set(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    membership=member,
                    target=form.cleaned_data["monthly_collection_target"],
                )
        except TenancyRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{member.user.email} updated.")
            return redirect(reverse("web:tenant_settings") + "#members")
    return render(
        request,
        "web/member_edit.html",
        {"form": form, "member": member, "is_self": member.user_id == request.user.pk},
    )


@require_perm(Perm.MEMBERS_MANAGE)
def member_add_view(request: HttpRequest) -> HttpResponse:
    tenant = _membership(request).tenant
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = member_add(
                tenant=tenant,
                actor=Actor.from_request(request),
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=form.cleaned_data["role"],
                approval_limit=form.cleaned_data["approval_limit"],
                base_url=request.build_absolute_uri("/"),
            )
        except TenancyRuleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{membership.user.email} was added as {membership.get_role_display()} "
                "and will receive an invitation by e-mail.",
            )
            return redirect(reverse("web:tenant_settings") + "#members")
    return render(request, "web/member_add.html", {"form": form})
