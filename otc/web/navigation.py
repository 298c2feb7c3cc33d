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
        (_LinkSpec("Customers", "customers:list", Perm.CUSTOMERS_VIEW),),
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


def _is_active(url: str, current_path: str) -> bool:
    return current_path == url or (url != "/" and current_path.startswith(url))


def navigation_for(membership: Membership, *, current_path: str = "") -> list[NavSection]:
    """The menu for this membership's role; `current_path` marks the open page."""
    role = Role(membership.role)
    sections: list[NavSection] = []

    dashboard_links = []
    for dashboard_role in dashboard_roles_for(role):
        url = _reverse_or_none("web:dashboard", role=dashboard_role.value)
        if url is not None:
            label = "My dashboard" if dashboard_role == role else dashboard_role.label
            dashboard_links.append(NavLink(label, url, _is_active(url, current_path)))
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
            links.append(NavLink(spec.label, url, _is_active(url, current_path)))
        if links:
            sections.append(NavSection(section_label, tuple(links)))
    return sections
