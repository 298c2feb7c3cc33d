"""Sets the tenant for a signed-in browser session.

The session remembers which tenant the user works in; the membership for
that tenant must still be active, otherwise the user falls back to another
active membership or, with none, is signed out. API requests are left alone:
API key authentication sets their tenant (``otc.api.authentication``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from otc.tenancy import context
from otc.tenancy.selectors import membership_for_session, user_memberships

SESSION_TENANT_KEY = "otc_tenant_id"


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        token = context._current_tenant.set(None)
        try:
            if request.user.is_authenticated and not request.path.startswith("/api/"):
                self._attach(request)
            return self.get_response(request)
        finally:
            context._current_tenant.reset(token)
            timezone.deactivate()

    def _attach(self, request: HttpRequest) -> None:
        tenant_id = request.session.get(SESSION_TENANT_KEY)
        membership = (
            membership_for_session(user=request.user, tenant_id=tenant_id)  # type: ignore[arg-type]
            if tenant_id
            else None
        )
        if membership is None:
            choices = user_memberships(user=request.user)  # type: ignore[arg-type]
            if not choices:
                logout(request)
                return
            membership = membership_for_session(
                user=request.user,  # type: ignore[arg-type]
                tenant_id=choices[0].tenant_id,
            )
            if membership is None:
                logout(request)
                return
            request.session[SESSION_TENANT_KEY] = membership.tenant_id
        context.activate(membership.tenant)
        # Forms parse and templates print dates in the tenant's own zone.
        timezone.activate(zoneinfo.ZoneInfo(membership.tenant.timezone))
        request.tenant = membership.tenant  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
