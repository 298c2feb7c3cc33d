"""What every page's shell needs: the tenant, the membership and the nav."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    from otc.web.navigation import navigation_for

    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None),
        "current_membership": membership,
        "nav_sections": navigation_for(membership) if membership is not None else [],
    }
