"""Signing in and out: the product's front door."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from otc.accounts.throttling import THROTTLED_MESSAGE
from otc.accounts.views import NO_ACCESS_MESSAGE, WRONG_CREDENTIALS_MESSAGE
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from otc.tenancy.middleware import SESSION_TENANT_KEY
from tests.factories import MembershipFactory, UserFactory

PASSWORD = "correct-horse-battery"
LOGIN_URL = "/accounts/login/"


def _login(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN_URL, {"email": email, "password": password, **extra})


def _member(tenant, email, role="credit_analyst", *, is_active=True):
    user = UserFactory(email=email)
    with tenant_context(tenant):
        MembershipFactory(tenant=tenant, user=user, role=role, is_active=is_active)
    return user


def test_login_page_is_tenant_neutral(client, tenant_a, owner_a):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sign in" in body
    assert tenant_a.name not in body
    assert 'name="email"' in body
    assert reverse("accounts:password_reset") in body


def test_login_with_right_password_signs_in_and_chooses_the_tenant(client, tenant_a, owner_a):
    response = _login(client, "owner@alpha.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(owner_a.pk)
    assert client.session[SESSION_TENANT_KEY] == tenant_a.pk
    dashboard = client.get("/", follow=True)
    assert dashboard.status_code == 200
    assert tenant_a.name in dashboard.content.decode()
    with tenant_context(tenant_a):
        event = AuditEvent.objects.get(action="session.signed_in")
    assert event.actor_user == owner_a
    assert event.ip_address == "127.0.0.1"


def test_login_email_is_case_insensitive(client, tenant_a, owner_a):
    response = _login(client, "Owner@Alpha.Example")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner_a.pk)


def test_login_rotates_the_session_key(client, tenant_a, owner_a):
    session = client.session
    session["planted"] = "before sign-in"
    session.save()
    key_before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = key_before

    response = _login(client, "owner@alpha.example")

    assert response.status_code == 302
    assert client.session.session_key != key_before
    assert client.session["_auth_user_id"] == str(owner_a.pk)


@pytest.mark.parametrize("email", ["owner@alpha.example", "nobody@alpha.example"])
def test_wrong_password_and_unknown_email_get_the_same_answer(client, tenant_a, owner_a, email):
    response = _login(client, email, "wrong-password-123")
    assert response.status_code == 200
    assert WRONG_CREDENTIALS_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_form_errors_say_what_to_fix(client, db):
    response = client.post(LOGIN_URL, {"email": "not-an-address", "password": ""})
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "This field is required." in body


def test_next_parameter_is_followed_only_within_the_site(client, tenant_a, owner_a):
    response = _login(client, "owner@alpha.example", next="/audit/")
    assert response["Location"] == "/audit/"
    client.post(reverse("accounts:logout"))
    response = _login(client, "owner@alpha.example", next="https://evil.example/phish")
    assert response["Location"] == reverse("web:home")


def test_user_without_any_membership_cannot_sign_in(client, db):
    UserFactory(email="lonely@example.com")
    response = _login(client, "lonely@example.com")
    assert response.status_code == 200
    assert NO_ACCESS_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_user_with_only_a_deactivated_membership_cannot_sign_in(client, tenant_a):
    _member(tenant_a, "gone@alpha.example", is_active=False)
    response = _login(client, "gone@alpha.example")
    assert NO_ACCESS_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_api_only_role_cannot_sign_in(client, tenant_a):
    _member(tenant_a, "erp@alpha.example", role="erp_integration")
    response = _login(client, "erp@alpha.example")
    assert NO_ACCESS_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_user_of_a_deactivated_tenant_cannot_sign_in(client, tenant_a):
    _member(tenant_a, "ann@alpha.example")
    tenant_a.is_active = False
    tenant_a.save(update_fields=["is_active"])
    response = _login(client, "ann@alpha.example")
    assert NO_ACCESS_MESSAGE in response.content.decode()


def test_signed_in_user_visiting_login_goes_home(client, tenant_a, owner_a):
    _login(client, "owner@alpha.example")
    response = client.get(LOGIN_URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")


# --- throttling ----------------------------------------------------------------


@pytest.fixture
def low_limit(settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 60
    return 3


def test_after_the_limit_even_the_right_password_is_refused(client, tenant_a, low_limit):
    _member(tenant_a, "target@alpha.example")
    for _ in range(low_limit):
        response = _login(client, "target@alpha.example", "guess-guess-guess")
        assert WRONG_CREDENTIALS_MESSAGE in response.content.decode()

    response = _login(client, "target@alpha.example")

    assert THROTTLED_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttle_answer_does_not_reveal_whether_the_account_exists(client, tenant_a, low_limit):
    _member(tenant_a, "real@alpha.example")
    answers = {}
    for block, email in enumerate(("real@alpha.example", "ghost@alpha.example")):
        # A fresh IP for every attempt, so only the per-e-mail counter trips.
        for n in range(low_limit):
            _login(Client(REMOTE_ADDR=f"10.0.{block}.{n}"), email, "guess-guess-guess")
        fresh = Client(REMOTE_ADDR=f"10.0.{block}.99")
        answers[email] = _login(fresh, email, "guess-guess-guess").content.decode()
    assert THROTTLED_MESSAGE in answers["real@alpha.example"]
    assert THROTTLED_MESSAGE in answers["ghost@alpha.example"]


def test_failures_per_email_throttle_attempts_from_every_address(tenant_a, low_limit):
    _member(tenant_a, "popular@alpha.example")
    for n in range(low_limit):
        _login(Client(REMOTE_ADDR=f"10.4.0.{n}"), "popular@alpha.example", "guess-guess-guess")

    response = _login(Client(REMOTE_ADDR="10.4.1.1"), "popular@alpha.example")

    assert THROTTLED_MESSAGE in response.content.decode()


def test_failures_per_ip_throttle_attempts_on_other_addresses(tenant_a, low_limit):
    _member(tenant_a, "victim@alpha.example")
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(low_limit):
        _login(attacker, f"spray{n}@alpha.example", "guess-guess-guess")

    response = _login(attacker, "victim@alpha.example")

    assert THROTTLED_MESSAGE in response.content.decode()
    # The victim signs in fine from their own address.
    assert _login(Client(REMOTE_ADDR="10.1.1.1"), "victim@alpha.example").status_code == 302


def test_success_resets_the_email_counter(client, tenant_a, low_limit):
    _member(tenant_a, "forgetful@alpha.example")
    other_ip = Client(REMOTE_ADDR="10.2.2.2")
    for _ in range(low_limit - 1):
        _login(other_ip, "forgetful@alpha.example", "guess-guess-guess")
    assert _login(other_ip, "forgetful@alpha.example").status_code == 302

    again = Client(REMOTE_ADDR="10.3.3.3")
    for _ in range(low_limit - 1):
        _login(again, "forgetful@alpha.example", "guess-guess-guess")
    assert _login(again, "forgetful@alpha.example").status_code == 302


# --- logout --------------------------------------------------------------------


def test_logout_is_post_only(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "collector")
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert client.get("/", follow=True).status_code == 200  # still signed in


def test_logout_signs_out_and_records_it(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "collector")
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert "You have been signed out." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith(reverse("accounts:login"))
    with tenant_context(tenant_a):
        assert AuditEvent.objects.filter(
            action="session.signed_out", actor_user=client.user
        ).exists()
