"""The shell's own pages: the home redirect, role dashboards, tenant
settings and members."""

from __future__ import annotations

import mimetypes

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from otc.tenancy.models import Membership
from otc.tenancy.roles import Perm, Role, role_can
from otc.tenancy.selectors import tenant_members
from otc.web import selectors
from otc.web.dashboards import DASHBOARDS, dashboard_roles_for, may_open_dashboard


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
