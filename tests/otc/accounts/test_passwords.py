"""Password reset by e-mail and password change."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context

NEW_PASSWORD = "a-much-better-passphrase-42"


def _reset_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def _request_reset(client, email: str, capture):
    with capture(execute=True):
        return client.post(reverse("accounts:password_reset"), {"email": email})


def test_reset_mail_goes_through_the_worker_after_commit(
    client, tenant_a, owner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("accounts:password_reset"), {"email": "owner@alpha.example"})
    assert len(callbacks) == 1  # queued for after the commit, not sent inline
    assert mail.outbox == []


@pytest.mark.usefixtures("eager_tasks")
def test_reset_sends_a_mail_with_a_working_link(
    client, tenant_a, owner_a, django_capture_on_commit_callbacks
):
    response = _request_reset(client, "OWNER@alpha.example", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@alpha.example"]
    assert message.subject == "Reset your OTC password"
    assert message.alternatives  # an HTML part beside the text

    # The link redirects to a token-free URL (Django keeps the token in the
    # session), which shows the form.
    form_page = client.get(_reset_link(message), follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]

    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert authenticate(username="owner@alpha.example", password=NEW_PASSWORD) == owner_a

    # The link works once.
    again = client.get(_reset_link(message), follow=True)
    assert "This link no longer works" in again.content.decode()


@pytest.mark.usefixtures("eager_tasks")
def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(
    client, db, django_capture_on_commit_callbacks
):
    response = _request_reset(client, "ghost@example.com", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


@pytest.mark.usefixtures("eager_tasks")
def test_reset_refuses_a_weak_password(
    client, tenant_a, owner_a, django_capture_on_commit_callbacks
):
    _request_reset(client, "owner@alpha.example", django_capture_on_commit_callbacks)
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert authenticate(username="owner@alpha.example", password="12345678") is None


def test_password_change_requires_the_old_password(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "ar_clerk")
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()


def test_password_change_keeps_this_session_and_is_audited(signed_in_client, tenant_a):
    client = signed_in_client(tenant_a, "ar_clerk")
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/", follow=True).status_code == 200  # still signed in
    assert authenticate(username=client.user.email, password=NEW_PASSWORD) == client.user
    with tenant_context(tenant_a):
        assert AuditEvent.objects.filter(
            action="user.password_changed", object_id=str(client.user.pk)
        ).exists()


def test_password_change_needs_sign_in(client, db):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
