"""Roles and what each may do: the one permission matrix of OTC.

Both the REST API (``otc.api.permissions``) and the HTML views
(``otc.web.permissions``) ask ``role_can(role, permission)``; nothing else
decides who may do what. Approval *amounts* live on the membership
(``approval_limit``) and are checked by the services that approve things.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    CREDIT_MANAGER = "credit_manager"
    CREDIT_ANALYST = "credit_analyst"
    AR_CLERK = "ar_clerk"
    COLLECTOR = "collector"
    DEDUCTIONS_ANALYST = "deductions_analyst"
    EXECUTIVE = "executive"
    AUDITOR = "auditor"
    ERP_INTEGRATION = "erp_integration"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.OWNER: "Owner / admin",
    Role.CREDIT_MANAGER: "Credit manager",
    Role.CREDIT_ANALYST: "Credit analyst",
    Role.AR_CLERK: "AR clerk",
    Role.COLLECTOR: "Collector",
    Role.DEDUCTIONS_ANALYST: "Deductions analyst",
    Role.EXECUTIVE: "Executive",
    Role.AUDITOR: "Auditor",
    Role.ERP_INTEGRATION: "ERP integration (API only)",
}

ROLE_CHOICES = [(role.value, role.label) for role in Role]

# Roles that may sign in to the browser UI; the ERP role is for API keys only.
INTERACTIVE_ROLES = frozenset(Role) - {Role.ERP_INTEGRATION}


class Perm(StrEnum):
    """A permission is '<area>.<verb>'; read and write are separate."""

    CUSTOMERS_VIEW = "customers.view"
    CUSTOMERS_EDIT = "customers.edit"
    CREDIT_VIEW = "credit.view"
    CREDIT_EDIT = "credit.edit"
    CREDIT_APPROVE = "credit.approve"
    ORDERS_VIEW = "orders.view"
    ORDERS_EDIT = "orders.edit"
    INVOICES_VIEW = "invoices.view"
    INVOICES_EDIT = "invoices.edit"
    CASH_VIEW = "cash.view"
    CASH_APPLY = "cash.apply"
    COLLECTIONS_VIEW = "collections.view"
    COLLECTIONS_WORK = "collections.work"
    DEDUCTIONS_VIEW = "deductions.view"
    DEDUCTIONS_RESOLVE = "deductions.resolve"
    REPORTS_VIEW = "reports.view"
    AUDIT_VIEW = "audit.view"
    API_KEYS_MANAGE = "api_keys.manage"
    TENANT_SETTINGS = "tenant.settings"
    MEMBERS_MANAGE = "members.manage"


_READ_EVERYTHING = frozenset(p for p in Perm if p.value.endswith((".view",)))

# The matrix. Read it row by row: a role and every permission it holds.
ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.CREDIT_MANAGER: _READ_EVERYTHING - {Perm.AUDIT_VIEW}
    | {
        Perm.CUSTOMERS_EDIT,
        Perm.CREDIT_EDIT,
        Perm.CREDIT_APPROVE,
        Perm.ORDERS_EDIT,
        Perm.COLLECTIONS_WORK,
        Perm.DEDUCTIONS_RESOLVE,
    },
    Role.CREDIT_ANALYST: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.CUSTOMERS_EDIT,
            Perm.CREDIT_VIEW,
            Perm.CREDIT_EDIT,
            Perm.CREDIT_APPROVE,
            Perm.ORDERS_VIEW,
            Perm.ORDERS_EDIT,
            Perm.INVOICES_VIEW,
            Perm.CASH_VIEW,
            Perm.COLLECTIONS_VIEW,
            Perm.DEDUCTIONS_VIEW,
            Perm.REPORTS_VIEW,
        }
    ),
    Role.AR_CLERK: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.CUSTOMERS_EDIT,
            Perm.ORDERS_VIEW,
            Perm.INVOICES_VIEW,
            Perm.INVOICES_EDIT,
            Perm.CASH_VIEW,
            Perm.CASH_APPLY,
            Perm.DEDUCTIONS_VIEW,
            Perm.REPORTS_VIEW,
        }
    ),
    Role.COLLECTOR: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.CREDIT_VIEW,
            Perm.INVOICES_VIEW,
            Perm.CASH_VIEW,
            Perm.COLLECTIONS_VIEW,
            Perm.COLLECTIONS_WORK,
            Perm.DEDUCTIONS_VIEW,
            Perm.REPORTS_VIEW,
        }
    ),
    Role.DEDUCTIONS_ANALYST: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.INVOICES_VIEW,
            Perm.CASH_VIEW,
            Perm.COLLECTIONS_VIEW,
            Perm.DEDUCTIONS_VIEW,
            Perm.DEDUCTIONS_RESOLVE,
            Perm.REPORTS_VIEW,
        }
    ),
    Role.EXECUTIVE: frozenset({Perm.REPORTS_VIEW, Perm.CUSTOMERS_VIEW, Perm.CREDIT_VIEW}),
    Role.AUDITOR: _READ_EVERYTHING,
    Role.ERP_INTEGRATION: frozenset(
        {
            Perm.CUSTOMERS_VIEW,
            Perm.CUSTOMERS_EDIT,
            Perm.CREDIT_VIEW,
            Perm.ORDERS_VIEW,
            Perm.ORDERS_EDIT,
            Perm.INVOICES_VIEW,
            Perm.INVOICES_EDIT,
            Perm.CASH_VIEW,
            Perm.CASH_APPLY,
            # ERPs pull aging, KPIs and the cash forecast (read-only).
            Perm.REPORTS_VIEW,
        }
    ),
}


def role_can(role: str | Role, permission: Perm) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False
