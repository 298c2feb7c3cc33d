"""The sidebar: sections of links, each shown only to roles that may open it.

A link whose URL name does not resolve (its app is not mounted yet) is left
out, so the menu never offers a page that answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from otc.tenancy.models import Membership
from otc.tenancy.roles import Perm, Role, role_can
from otc.web.dashboards import dashboard_roles_for


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    is_active: bool = False


@dataclass(frozen=True)
class NavSection:
    label: str
    links: tuple[NavLink, ...]


@dataclass(frozen=True)
class _LinkSpec:
    label: str
    url_name: str
    permission: Perm | None = None


# Order matters: this is the order people read the menu in.
_SECTIONS: tuple[tuple[str, tuple[_LinkSpec, ...]], ...] = (
    (
        "Customers",
        (
            _LinkSpec("Customers", "customers:list", Perm.CUSTOMERS_VIEW),
            _LinkSpec("Payment terms", "customers:payment_terms_list", Perm.CUSTOMERS_VIEW),
        ),
    ),
    (
        "Credit",
        (
            _LinkSpec("Credit worklist", "credit:dashboard", Perm.CREDIT_VIEW),
            _LinkSpec("Orders", "credit:orders", Perm.ORDERS_VIEW),
            _LinkSpec("Credit applications", "credit:applications", Perm.CREDIT_VIEW),
            _LinkSpec("Credit reviews", "credit:reviews", Perm.CREDIT_VIEW),
            _LinkSpec("Credit policy", "credit:policy", Perm.CREDIT_VIEW),
        ),
    ),
    (
        "Billing",
        (
            _LinkSpec("Invoices", "invoicing:list", Perm.INVOICES_VIEW),
            _LinkSpec("Outbox", "invoicing:outbox", Perm.INVOICES_VIEW),
        ),
    ),
    (
        "Cash",
        (
            _LinkSpec("Cash to apply", "cash:queue", Perm.CASH_VIEW),
            _LinkSpec("Bank statements", "cash:statements", Perm.CASH_VIEW),
        ),
    ),
    (
        "Collections",
        (
            _LinkSpec("Worklist", "collections:worklist", Perm.COLLECTIONS_VIEW),
            _LinkSpec("Dunning runs", "collections:runs", Perm.COLLECTIONS_VIEW),
            _LinkSpec("Dunning policies", "collections:policies", Perm.COLLECTIONS_VIEW),
        ),
    ),
    (
        "Deductions",
        (
            _LinkSpec("Deductions queue", "deductions:queue", Perm.DEDUCTIONS_VIEW),
            _LinkSpec("Deduction figures", "deductions:figures", Perm.DEDUCTIONS_VIEW),
            _LinkSpec("Raise a dispute", "deductions:dispute", Perm.DEDUCTIONS_RESOLVE),
            _LinkSpec("Reason codes", "deductions:reason_codes", Perm.DEDUCTIONS_VIEW),
            _LinkSpec("Returns", "deductions:return_list", Perm.DEDUCTIONS_VIEW),
            _LinkSpec("Refunds", "deductions:refund_list", Perm.DEDUCTIONS_VIEW),
        ),
    ),
    (
        "Reports",
        (
            _LinkSpec("Aging", "reporting:aging", Perm.REPORTS_VIEW),
            _LinkSpec("KPIs", "reporting:kpis", Perm.REPORTS_VIEW),
            _LinkSpec("Cash forecast", "reporting:cash_forecast", Perm.REPORTS_VIEW),
            _LinkSpec("Aging buckets", "reporting:settings", Perm.TENANT_SETTINGS),
            _LinkSpec("Report files", "reporting:files", Perm.REPORTS_VIEW),
            _LinkSpec("Scheduled reports", "reporting:subscriptions", Perm.REPORTS_VIEW),
        ),
    ),
    (
        "Finance",
        (
            _LinkSpec("Exchange rates", "fx:rates", Perm.REPORTS_VIEW),
            _LinkSpec("FX revaluation", "fx:revaluation", Perm.REPORTS_VIEW),
        ),
    ),
    (
        "Administration",
        (
            _LinkSpec("Tenant settings", "web:tenant_settings", Perm.TENANT_SETTINGS),
            _LinkSpec("API keys", "api_keys:list", Perm.API_KEYS_MANAGE),
            _LinkSpec("Audit log", "audit:list", Perm.AUDIT_VIEW),
        ),
    ),
)


def _reverse_or_none(url_name: str, **kwargs: str) -> str | None:
    try:
        return reverse(url_name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _matches(url: str, current_path: str) -> bool:
    return current_path == url or (url != "/" and current_path.startswith(url))


def _mark_active(sections: list[NavSection], current_path: str) -> list[NavSection]:
    """Highlight only the most specific link that contains the open page, so
    /settings/api-keys/ lights up "API keys", not also "Tenant settings"."""
    matching = [
        link.url
        for section in sections
        for link in section.links
        if _matches(link.url, current_path)
    ]
    active = max(matching, key=len, default=None)
    return [
        NavSection(
            section.label,
            tuple(NavLink(link.label, link.url, link.url == active) for link in section.links),
        )
        for section in sections
    ]


def navigation_for(membership: Membership, *, current_path: str = "") -> list[NavSection]:
    """The menu for this membership's role; `current_path` marks the open page."""
    role = Role(membership.role)
    sections: list[NavSection] = []

    dashboard_links = []
    for dashboard_role in dashboard_roles_for(role):
        url = _reverse_or_none("web:dashboard", role=dashboard_role.value)
        if url is not None:
            label = "My dashboard" if dashboard_role == role else dashboard_role.label
            dashboard_links.append(NavLink(label, url))
    if dashboard_links:
        sections.append(NavSection("Dashboards", tuple(dashboard_links)))

    for section_label, specs in _SECTIONS:
        links = []
        for spec in specs:
            if spec.permission is not None and not role_can(role, spec.permission):
                continue
            url = _reverse_or_none(spec.url_name)
            if url is None:
                continue
            links.append(NavLink(spec.label, url))
        if links:
            sections.append(NavSection(section_label, tuple(links)))
    return _mark_active(sections, current_path)
