"""Which API key may call which endpoint: the role matrix of
``otc.tenancy.roles``, read from two attributes on the view.

    class CustomerList(TenantAPIView):
        read_permission = Perm.CUSTOMERS_VIEW     # GET, HEAD, OPTIONS
        write_permission = Perm.CUSTOMERS_EDIT    # POST, PUT, PATCH, DELETE

A view without the attribute for the method is refused (fail closed): an
endpoint is never open because someone forgot to say who may use it.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from otc.api.models import ApiKey
from otc.tenancy.roles import Perm, role_can

logger = logging.getLogger(__name__)


def required_permission(view: Any, method: str) -> Perm | None:
    attribute = "read_permission" if method in SAFE_METHODS else "write_permission"
    permission = getattr(view, attribute, None)
    return permission if isinstance(permission, Perm) else None


class HasRolePermission(BasePermission):
    message = "Your API key's role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey):
            return False  # DRF turns this into 401 for an unauthenticated call
        permission = required_permission(view, request.method or "")
        if permission is None:
            logger.error(
                "%s declares no %s permission; refusing the call.",
                type(view).__name__,
                "read" if request.method in SAFE_METHODS else "write",
            )
            self.message = "This endpoint does not accept calls with this method."
            return False
        if not role_can(api_key.role, permission):
            self.message = (
                f"Your API key's role ({api_key.role}) does not allow this ({permission.value})."
            )
            return False
        return True
