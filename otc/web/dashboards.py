"""One dashboard per role: what each person sees first after signing in.

A dashboard shows the figures that exist today (team, customers, API keys,
audit activity) and names the worklists that later modules fill, so people
see where their work will appear rather than a blank page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.safestring import mark_safe

from otc.ledger.selectors import ledger_version
from otc.tenancy.roles import INTERACTIVE_ROLES, Role


@dataclass(frozen=True)
class UpcomingPanel:
    title: str
    description: str
    module: str  # "the credit module", "cash application", ...


@dataclass(frozen=True)
class Dashboard:
    role: Role
    title: str
    intro: str
    show_team: bool
    show_activity: bool
    show_api_keys: bool
    upcoming: tuple[UpcomingPanel, ...]


# Roles that oversee the whole tenant and may open every dashboard.
_SEES_EVERY_DASHBOARD = frozenset({Role.OWNER, Role.AUDITOR})

DASHBOARDS: dict[Role, Dashboard] = {
    Role.OWNER: Dashboard(
        role=Role.OWNER,
        title="Administration overview",
        intro="Your team, your integrations and what changed recently in this tenant.",
        show_team=True,
        show_activity=True,
        show_api_keys=True,
        upcoming=(
            UpcomingPanel(
                "Receivables at a glance",
                "Open receivables, overdue share and DSO for the whole tenant.",
                "the AR ledger",
            ),
            UpcomingPanel(
                "Approvals above team limits",
                "Credit limits, write-offs and refunds waiting for someone with a higher "
                "approval limit.",
                "the credit module",
            ),
        ),
    ),
    Role.CREDIT_MANAGER: Dashboard(
        role=Role.CREDIT_MANAGER,
        title="Credit management",
        intro="Exposure, holds and reviews across the portfolio.",
        show_team=True,
        show_activity=False,
        show_api_keys=False,
        upcoming=(),
    ),
    Role.CREDIT_ANALYST: Dashboard(
        role=Role.CREDIT_ANALYST,
        title="Credit analyst worklist",
        intro="Orders on hold and customers due for a credit review.",
        show_team=False,
        show_activity=False,
        show_api_keys=False,
        upcoming=(),
    ),
    Role.AR_CLERK: Dashboard(
        role=Role.AR_CLERK,
        title="Accounts receivable",
        intro="Cash to apply, statements to import and invoices to send.",
        show_team=False,
        show_activity=False,
        show_api_keys=False,
        upcoming=(),
    ),
    Role.COLLECTOR: Dashboard(
        role=Role.COLLECTOR,
        title="Collections worklist",
        intro="Who to call today and which promises fall due.",
        show_team=False,
        show_activity=False,
        show_api_keys=False,
        upcoming=(),
    ),
    Role.DEDUCTIONS_ANALYST: Dashboard(
        role=Role.DEDUCTIONS_ANALYST,
        title="Deductions and disputes",
        intro="Short payments to research, resolve or charge back.",
        show_team=False,
        show_activity=False,
        show_api_keys=False,
        upcoming=(),
    ),
    Role.EXECUTIVE: Dashboard(
        role=Role.EXECUTIVE,
        title="Executive summary",
        intro="The headline figures of order-to-cash.",
        show_team=False,
        show_activity=False,
        show_api_keys=False,
        upcoming=(),  # reporting fills this dashboard with its panels
    ),
    Role.AUDITOR: Dashboard(
        role=Role.AUDITOR,
        title="Audit overview",
        intro="Who changed what, and who may do what, in this tenant.",
        show_team=True,
        show_activity=True,
        show_api_keys=False,
        upcoming=(
            UpcomingPanel(
                "Write-offs and credit memos",
                "Every write-off and credit memo with the approver and their limit.",
                "the AR ledger",
            ),
        ),
    ),
}


def dashboard_roles_for(role: Role) -> list[Role]:
    """The dashboards a role may open: its own, or all of them for the
    roles that oversee the tenant. The ERP role has none (API only)."""
    if role not in INTERACTIVE_ROLES:
        return []
    if role in _SEES_EVERY_DASHBOARD:
        return list(DASHBOARDS)
    return [role] if role in DASHBOARDS else []


def may_open_dashboard(*, viewer: Role, dashboard: Role) -> bool:
    return dashboard in dashboard_roles_for(viewer)


# --- figures that apps above the kernel contribute ---------------------------------


@dataclass(frozen=True)
class DashboardFigure:
    """One key figure an app shows on a role's dashboard (the kernel cannot
    import the apps, so they register a provider in ``AppConfig.ready``)."""

    label: str
    value: str
    note: str = ""
    url: str | None = None
    testid: str = ""
    # An amount ("EUR\xa01,234,567.89") is set smaller and may wrap, so a
    # long one stays inside its tile.
    is_money: bool = False


# provider(tenant, viewer_role) -> figures the viewer may see
FigureProvider = Callable[[Any, Role], list[DashboardFigure]]
_FIGURE_PROVIDERS: dict[Role, list[FigureProvider]] = {}


def register_dashboard_figures(role: Role, provider: FigureProvider) -> None:
    providers = _FIGURE_PROVIDERS.setdefault(role, [])
    if provider not in providers:
        providers.append(provider)


def dashboard_figures(*, tenant: Any, dashboard: Role, viewer: Role) -> list[DashboardFigure]:
    return [
        figure
        for provider in _FIGURE_PROVIDERS.get(dashboard, [])
        for figure in provider(tenant, viewer)
    ]


# --- panels that apps above the kernel contribute -----------------------------------


@dataclass(frozen=True)
class DashboardPanel:
    """A card an app renders for a role's dashboard: a chart, a table. The
    app renders `html` itself (escaped, server-side), so the kernel needs no
    knowledge of what is in it."""

    title: str
    html: str
    testid: str = ""
    url: str | None = None
    wide: bool = False  # spans the whole row instead of half


# provider(tenant, viewer_role, viewer_user) -> panels the viewer may see; the
# user scopes "my" panels (a collector's own customers, an analyst's own items).
PanelProvider = Callable[[Any, Role, Any], list[DashboardPanel]]
_PANEL_PROVIDERS: dict[Role, list[PanelProvider]] = {}


def register_dashboard_panels(role: Role, provider: PanelProvider) -> None:
    providers = _PANEL_PROVIDERS.setdefault(role, [])
    if provider not in providers:
        providers.append(provider)


def dashboard_panels(
    *, tenant: Any, dashboard: Role, viewer: Role, user: Any = None
) -> list[DashboardPanel]:
    return [
        panel
        for provider in _PANEL_PROVIDERS.get(dashboard, [])
        for panel in provider(tenant, viewer, user)
    ]


# --- what a dashboard shows, cached briefly -----------------------------------------


def _content_key(*, tenant: Any, dashboard: Role, viewer: Role, user: Any) -> str:
    # Every ledger change posts, so cash applied, an invoice issued or a
    # deduction opened shows on the next view; other changes (an
    # assignment, a hold released) within DASHBOARD_CACHE_SECONDS.
    last = ledger_version(tenant=tenant)
    user_id = getattr(user, "pk", None) or 0
    return f"web:dashboard:v1:{tenant.pk}:{dashboard}:{viewer}:{user_id}:{last}"


def dashboard_content(
    *, tenant: Any, dashboard: Role, viewer: Role, user: Any = None
) -> tuple[list[DashboardFigure], list[DashboardPanel]]:
    """The apps' figures and panels for one viewer of one dashboard, kept
    for DASHBOARD_CACHE_SECONDS per tenant, dashboard, viewer role and user
    (panels are scoped to the user) and the tenant's last ledger posting: at
    a million items some figures take a second to count, and people reopen
    their dashboard often."""
    seconds = int(getattr(settings, "DASHBOARD_CACHE_SECONDS", 0))
    if seconds <= 0:
        return (
            dashboard_figures(tenant=tenant, dashboard=dashboard, viewer=viewer),
            dashboard_panels(tenant=tenant, dashboard=dashboard, viewer=viewer, user=user),
        )
    key = _content_key(tenant=tenant, dashboard=dashboard, viewer=viewer, user=user)
    cached = cache.get(key)
    if cached is None:
        figures = dashboard_figures(tenant=tenant, dashboard=dashboard, viewer=viewer)
        panels = dashboard_panels(tenant=tenant, dashboard=dashboard, viewer=viewer, user=user)
        # Plain values: safe strings are marked again on the way out.
        cached = (
            [asdict(figure) for figure in figures],
            [{**asdict(panel), "html": str(panel.html)} for panel in panels],
        )
        cache.set(key, cached, seconds)
    figure_rows, panel_rows = cached
    return (
        [DashboardFigure(**row) for row in figure_rows],
        # Rendered by the apps' own (autoescaping) templates before caching.
        [DashboardPanel(**{**row, "html": mark_safe(row["html"])}) for row in panel_rows],  # noqa: S308
    )
