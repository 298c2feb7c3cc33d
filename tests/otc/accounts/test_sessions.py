"""The tenant switcher and the idle timeout."""

from __future__ import annotations

import time

from django.urls import reverse

from otc.accounts.middleware import LAST_SEEN_KEY
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from otc.tenancy.middleware import SESSION_TENANT_KEY
from tests.factories import MembershipFactory, TenantFactory

SWITCH_URL = "/accounts/switch-tenant/"


def test_switcher_lists_only_my_tenants(signed_in_client, tenant_a, tenant_b):
    client = signed_in_client(tenant_a, "collector")
    with tenant_context(tenant_b):
        MembershipFactory(tenant=tenant_b, user=client.user, role="auditor")
    TenantFactory(name="Charlie Foods", slug="charlie")

    body = client.get("/", follow=True).content.decode()

    assert 'data-testid="tenant-switcher"' in body
    assert "Bravo Trading" in body
    assert "Charlie Foods" not in body


def test_switch_to_a_tenant_where_i_am_a_member(signed_in_client, tenant_a, tenant_b):
    client = signed_in_client(tenant_a, "collector")
    with tenant_context(tenant_b):
        MembershipFactory(tenant=tenant_b, user=client.user, role="auditor")

    response = client.post(SWITCH_URL, {"tenant": tenant_b.pk})

    assert response.status_code == 302
    assert client.session[SESSION_TENANT_KEY] == tenant_b.pk
    page = client.get("/", follow=True)
    # The role in Bravo decides the dashboard.
    assert page.redirect_chain[-1][0] == reverse("web:dashboard", kwargs={"role": "auditor"})
    assert "You are now working in Bravo Trading." in page.content.decode()
    with tenant_context(tenant_b):
        event = AuditEvent.objects.get(action="session.tenant_switched")
    assert event.actor_user == client.user


def test_switch_to_another_tenant_is_404(signed_in_client, tenant_a, tenant_b, owner_b):
    client = signed_in_client(tenant_a, "owner")
    response = client.post(SWITCH_URL, {"tenant": tenant_b.pk})
    assert response.status_code == 404
    assert client.session[SESSION_TENANT_KEY] == tenant_a.pk


def test_switch_to_a_missing_tenant_answers_the_same_404(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "owner")
    assert client.post(SWITCH_URL, {"tenant": 987654}).status_code == 404
    assert client.post(SWITCH_URL, {"tenant": "abc"}).status_code == 404


def test_switch_to_a_tenant_where_my_membership_is_deactivated_is_404(
    signed_in_client, tenant_a, tenant_b
):
    client = signed_in_client(tenant_a, "collector")
    with tenant_context(tenant_b):
        MembershipFactory(tenant=tenant_b, user=client.user, role="auditor", is_active=False)
    assert client.post(SWITCH_URL, {"tenant": tenant_b.pk}).status_code == 404
    assert client.session[SESSION_TENANT_KEY] == tenant_a.pk


def test_switch_is_post_only(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "owner")
    assert client.get(SWITCH_URL, {"tenant": tenant_a.pk}).status_code == 405


def test_switch_needs_sign_in(client, tenant_a):
    response = client.post(SWITCH_URL, {"tenant": tenant_a.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _set_last_seen(client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_idle_session_is_signed_out(signed_in_client, tenant_a, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    client = signed_in_client(tenant_a, "executive")
    _set_last_seen(client, 601)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in client.session
    login_page = client.get(response["Location"])
    assert "signed out after a period of inactivity" in login_page.content.decode()


def test_active_session_stays_signed_in_and_is_refreshed(signed_in_client, tenant_a, settings):
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 600
    client = signed_in_client(tenant_a, "executive")
    _set_last_seen(client, 599)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("web:dashboard", kwargs={"role": "executive"})
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 5
