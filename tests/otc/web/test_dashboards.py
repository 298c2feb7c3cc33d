"""Home, role dashboards and the role-aware navigation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer
from otc.tenancy.context import tenant_context
from otc.tenancy.roles import INTERACTIVE_ROLES, Role
from otc.web.dashboards import DASHBOARDS
from tests.factories import MembershipFactory, UserFactory

DASHBOARD_ROLES = list(DASHBOARDS)
OWN_ONLY_ROLES = [r for r in DASHBOARD_ROLES if r not in (Role.OWNER, Role.AUDITOR)]


def dashboard_url(role: Role) -> str:
    return reverse("web:dashboard", kwargs={"role": role.value})


def test_every_interactive_role_has_a_dashboard():
    assert set(DASHBOARDS) == set(INTERACTIVE_ROLES)


def test_home_needs_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


@pytest.mark.parametrize("role", DASHBOARD_ROLES)
def test_home_opens_my_roles_dashboard(signed_in_client, tenant_a, role):
    client = signed_in_client(tenant_a, role)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == dashboard_url(role)


@pytest.mark.parametrize("role", DASHBOARD_ROLES)
def test_each_dashboard_renders_for_its_role(signed_in_client, tenant_a, role):
    client = signed_in_client(tenant_a, role)
    response = client.get(dashboard_url(role))
    assert response.status_code == 200
    body = response.content.decode()
    spec = DASHBOARDS[role]
    assert f"<h1>{spec.title}</h1>" in body
    for panel in spec.upcoming:
        assert panel.title in body
        assert f"Arrives with {panel.module}" in body
    assert 'data-testid="kpi-members"' in body


@pytest.mark.parametrize("role", OWN_ONLY_ROLES)
def test_other_roles_dashboards_are_forbidden(signed_in_client, tenant_a, role):
    client = signed_in_client(tenant_a, role)
    others = [r for r in DASHBOARD_ROLES if r != role]
    for other in others:
        response = client.get(dashboard_url(other))
        assert response.status_code == 403, other
        assert "You do not have access to this page" in response.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.AUDITOR])
def test_owner_and_auditor_may_open_every_dashboard(signed_in_client, tenant_a, role):
    client = signed_in_client(tenant_a, role)
    for other in DASHBOARD_ROLES:
        assert client.get(dashboard_url(other)).status_code == 200, other


def test_unknown_dashboard_is_404(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "owner")
    assert client.get("/dashboards/astrologer/").status_code == 404
    assert client.get("/dashboards/erp_integration/").status_code == 404


def test_owner_dashboard_shows_this_tenants_team_and_activity_only(
    signed_in_client, tenant_a, tenant_b, owner_b
):
    client = signed_in_client(tenant_a, "owner", email="boss@alpha.example")
    with tenant_context(tenant_a):
        MembershipFactory(
            tenant=tenant_a, user=UserFactory(email="ana@alpha.example"), role="credit_analyst"
        )
        audit_record(tenant=tenant_a, actor=Actor.system(), action="alpha.happened")
    with tenant_context(tenant_b):
        MembershipFactory(
            tenant=tenant_b, user=UserFactory(email="bo@bravo.example"), role="collector"
        )
        audit_record(tenant=tenant_b, actor=Actor.system(), action="bravo.happened")

    body = client.get(dashboard_url(Role.OWNER)).content.decode()

    assert "ana@alpha.example" in body
    assert "alpha.happened" in body
    assert "bo@bravo.example" not in body
    assert owner_b.email not in body
    assert "bravo.happened" not in body
    assert 'data-testid="kpi-api-keys"' in body
    assert 'data-testid="kpi-audit"' in body


def test_customer_count_is_this_tenants_only(signed_in_client, tenant_a, tenant_b):
    for tenant, count in ((tenant_a, 2), (tenant_b, 5)):
        with tenant_context(tenant):
            for n in range(count):
                Customer.objects.create(
                    number=f"C{n}", legal_name=f"Customer {n}", country="DE", currency="EUR"
                )
    client = signed_in_client(tenant_a, "credit_analyst")
    body = client.get(dashboard_url(Role.CREDIT_ANALYST)).content.decode()
    kpi = body.split('data-testid="kpi-customers"', 1)[1][:300]
    assert '<div class="kpi-value">2</div>' in kpi


def test_roles_without_audit_permission_see_no_activity(signed_in_client, tenant_a):
    with tenant_context(tenant_a):
        audit_record(tenant=tenant_a, actor=Actor.system(), action="secret.thing")
    client = signed_in_client(tenant_a, "collector")
    body = client.get(dashboard_url(Role.COLLECTOR)).content.decode()
    assert "secret.thing" not in body
    assert 'data-testid="kpi-audit"' not in body
    assert 'data-testid="panel-team"' not in body


def test_approval_limit_is_shown_with_the_base_currency(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "credit_manager", approval_limit=250000)
    body = client.get(dashboard_url(Role.CREDIT_MANAGER)).content.decode()
    assert "EUR\xa0250,000.00" in body


# --- navigation ----------------------------------------------------------------


def _nav(client: Client) -> str:
    body = client.get("/", follow=True).content.decode()
    return body.split('<nav class="nav">', 1)[1].split("</nav>", 1)[0]


def _optional_url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def test_owner_nav_has_administration(signed_in_client, tenant_a):
    nav = _nav(signed_in_client(tenant_a, "owner"))
    assert f'href="{reverse("web:tenant_settings")}"' in nav
    assert f'href="{reverse("audit:list")}"' in nav
    assert nav.count("/dashboards/") == len(DASHBOARD_ROLES)
    api_keys = _optional_url("api_keys:list")
    if api_keys:
        assert f'href="{api_keys}"' in nav


def test_auditor_nav_has_the_audit_log_but_no_settings(signed_in_client, tenant_a):
    nav = _nav(signed_in_client(tenant_a, "auditor"))
    assert f'href="{reverse("audit:list")}"' in nav
    assert reverse("web:tenant_settings") not in nav
    api_keys = _optional_url("api_keys:list")
    if api_keys:
        assert api_keys not in nav


@pytest.mark.parametrize("role", OWN_ONLY_ROLES)
def test_staff_nav_shows_only_their_dashboard_and_permitted_pages(signed_in_client, tenant_a, role):
    nav = _nav(signed_in_client(tenant_a, role))
    assert nav.count("/dashboards/") == 1
    assert dashboard_url(role) in nav
    assert "My dashboard" in nav
    assert reverse("web:tenant_settings") not in nav
    assert reverse("audit:list") not in nav
    customers = _optional_url("customers:list")
    if customers:
        assert f'href="{customers}"' in nav  # every staff role may view customers


def test_nav_marks_the_open_page(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "owner")
    body = client.get(reverse("audit:list")).content.decode()
    assert f'<a href="{reverse("audit:list")}" class="active" aria-current="page">' in body


def test_user_menu_signs_out_with_post(signed_in_client, tenant_a):
    body = signed_in_client(tenant_a, "owner").get("/", follow=True).content.decode()
    assert f'<form method="post" action="{reverse("accounts:logout")}">' in body
    assert "csrfmiddlewaretoken" in body
    assert "X-CSRFToken" in body  # htmx requests carry the token
    assert "htmx" in body


def test_tenant_brand_colours_reach_the_page(signed_in_client, tenant_a):
    tenant_a.primary_colour = "#123456"
    tenant_a.save(update_fields=["primary_colour"])
    body = signed_in_client(tenant_a, "owner").get("/", follow=True).content.decode()
    assert "--primary: #123456;" in body


def test_a_bad_colour_in_the_database_never_reaches_the_style_element(signed_in_client, tenant_a):
    tenant_a.primary_colour = "red;}"
    tenant_a.save(update_fields=["primary_colour"])
    body = signed_in_client(tenant_a, "owner").get("/", follow=True).content.decode()
    assert "red;}" not in body
    assert "--primary: #1f4e79;" in body


def test_unknown_page_uses_the_product_404(signed_in_client, tenant_a):
    response = signed_in_client(tenant_a, "owner").get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "We could not find that page" in body
    assert 'class="sidebar"' in body


def test_404_for_anonymous_visitors_has_no_shell(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()
    assert 'class="sidebar"' not in response.content.decode()


def test_only_the_most_specific_nav_link_is_active(tenant_a, owner_a):
    from otc.tenancy.context import tenant_context
    from otc.tenancy.models import Membership
    from otc.web.navigation import navigation_for

    with tenant_context(tenant_a):
        membership = Membership.objects.get(user=owner_a)
    sections = navigation_for(membership, current_path=reverse("api_keys:list"))
    active = [link.label for section in sections for link in section.links if link.is_active]
    assert active == ["API keys"]
    sections = navigation_for(membership, current_path=reverse("web:tenant_settings"))
    active = [link.label for section in sections for link in section.links if link.is_active]
    assert active == ["Tenant settings"]
