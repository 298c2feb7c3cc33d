"""Permission checks for HTML views: the same matrix the API uses
(``otc.tenancy.roles``), applied as one decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from otc.tenancy.roles import Perm, role_can


def require_perm(
    permission: Perm,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed in, with a membership in the current tenant whose role holds
    `permission`; otherwise the login page or a 403 page."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or not role_can(membership.role, permission):
                raise PermissionDenied(f"Your role does not allow this ({permission.value}).")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def can(request: HttpRequest, permission: Perm) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, permission)
