"""What every page's shell needs: the tenant, the membership, the nav, the
tenant switcher and the tenant's brand colours."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

from otc.tenancy.models import Tenant

DEFAULT_PRIMARY = "#1f4e79"
DEFAULT_ACCENT = "#f2a900"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _safe_colour(value: str, default: str) -> str:
    # The colours go into a <style> element; only a plain hex value may,
    # whatever reached the database.
    return value if _HEX_COLOUR.match(value or "") else default


def brand_for(tenant: Tenant | None) -> dict[str, str]:
    if tenant is None:
        return {"primary": DEFAULT_PRIMARY, "accent": DEFAULT_ACCENT}
    return {
        "primary": _safe_colour(tenant.primary_colour, DEFAULT_PRIMARY),
        "accent": _safe_colour(tenant.accent_colour, DEFAULT_ACCENT),
    }


def shell(request: HttpRequest) -> dict[str, Any]:
    from otc.tenancy.selectors import user_memberships
    from otc.web.navigation import navigation_for

    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    signed_in = membership is not None and user is not None and user.is_authenticated
    return {
        "current_tenant": tenant,
        "current_membership": membership,
        "nav_sections": (
            navigation_for(membership, current_path=request.path) if membership is not None else []
        ),
        "tenant_choices": user_memberships(user=user) if signed_in else [],  # type: ignore[arg-type]
        "brand": brand_for(tenant),
        # base.html renders every date in the tenant's zone; the zone was
        # validated against zoneinfo when it was saved.
        "tenant_timezone": tenant.timezone if tenant is not None else "UTC",
    }
