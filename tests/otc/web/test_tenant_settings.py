"""Tenant settings, logo upload and member edits."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from otc.accounts.models import User
from otc.audit.models import AuditEvent
from otc.tenancy.context import tenant_context
from otc.tenancy.models import Membership, Tenant
from tests.factories import MembershipFactory, UserFactory

SETTINGS_URL = "/settings/"


def valid_post(**overrides):
    data = {
        "name": "Alpha Industries",
        "legal_name": "Alpha Industries GmbH",
        "address": "Hauptstr. 1\n10115 Berlin",
        "base_currency": "EUR",
        "timezone": "Europe/Berlin",
        "locale": "de-DE",
        "primary_colour": "#1f4e79",
        "accent_colour": "#f2a900",
    }
    data.update(overrides)
    return data


def png_bytes(size=(64, 64)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (31, 78, 121)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def owner(signed_in_client, tenant_a):
    return signed_in_client(tenant_a, "owner")


def test_settings_page_shows_current_values_and_members(owner, tenant_a, tenant_b, owner_b):
    response = owner.get(SETTINGS_URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Alpha Industries"' in body
    assert owner.user.email in body
    assert owner_b.email not in body  # Bravo's members are not listed


@pytest.mark.parametrize("role", ["credit_manager", "auditor", "collector", "executive"])
def test_settings_page_is_for_owners_only(signed_in_client, tenant_a, role):
    client = signed_in_client(tenant_a, role)
    assert client.get(SETTINGS_URL).status_code == 403
    assert client.post(SETTINGS_URL, valid_post(name="Hijacked")).status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.name == "Alpha Industries"


def test_saving_settings_changes_the_tenant_and_audits_the_difference(owner, tenant_a, tenant_b):
    response = owner.post(
        SETTINGS_URL,
        valid_post(name="Alpha Group", base_currency="CHF", timezone="Europe/Zurich"),
    )
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert (tenant_a.name, str(tenant_a.base_currency), tenant_a.timezone) == (
        "Alpha Group",
        "CHF",
        "Europe/Zurich",
    )
    with tenant_context(tenant_a):
        event = AuditEvent.objects.get(action="tenant.settings_updated")
    assert event.actor_user == owner.user
    assert event.changes["name"] == {"before": "Alpha Industries", "after": "Alpha Group"}
    assert event.changes["base_currency"] == {"before": "EUR", "after": "CHF"}
    assert "primary_colour" not in event.changes  # unchanged fields are not noise
    # Bravo is untouched.
    tenant_b.refresh_from_db()
    assert tenant_b.name == "Bravo Trading"
    with tenant_context(tenant_b):
        assert not AuditEvent.objects.filter(action="tenant.settings_updated").exists()


def test_saving_without_changes_writes_no_audit_event(owner, tenant_a):
    tenant_a.locale = "de-DE"
    tenant_a.legal_name = "Alpha Industries GmbH"
    tenant_a.address = "Hauptstr. 1\n10115 Berlin"
    tenant_a.save()
    owner.post(SETTINGS_URL, valid_post())
    with tenant_context(tenant_a):
        assert not AuditEvent.objects.filter(action="tenant.settings_updated").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "Select a valid choice"),
        ("primary_colour", "red", "Use a hex colour like #1f4e79."),
        ("accent_colour", "#12345", "Use a hex colour like #1f4e79."),
        ("base_currency", "ZZZ", "Select a valid choice"),
        ("name", "", "This field is required."),
        ("locale", "tlh", "Select a valid choice"),
    ],
)
def test_invalid_settings_are_refused_with_a_reason(owner, tenant_a, field, value, message):
    response = owner.post(SETTINGS_URL, valid_post(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    tenant_a.refresh_from_db()
    assert tenant_a.locale == "en"  # nothing saved
    with tenant_context(tenant_a):
        assert not AuditEvent.objects.filter(action__startswith="tenant.").exists()


def test_png_logo_is_stored_served_and_audited(owner, tenant_a):
    logo = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    response = owner.post(SETTINGS_URL, {**valid_post(), "logo": logo})
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.logo.name.startswith("tenant-logos/alpha-")
    assert tenant_a.logo.name.endswith(".png")

    served = owner.get(reverse("web:tenant_logo"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == png_bytes()
    page = owner.get("/", follow=True).content.decode()
    assert 'class="brand-logo"' in page
    with tenant_context(tenant_a):
        assert AuditEvent.objects.filter(action="tenant.logo_replaced").exists()


def test_logo_can_be_removed(owner, tenant_a):
    owner.post(SETTINGS_URL, {**valid_post(), "logo": SimpleUploadedFile("l.png", png_bytes())})
    response = owner.post(SETTINGS_URL, {**valid_post(), "remove_logo": "on"})
    assert response.status_code == 302
    tenant_a.refresh_from_db()
    assert not tenant_a.logo
    assert owner.get(reverse("web:tenant_logo")).status_code == 404


CLEAN_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<rect width="10" height="10" fill="#1f4e79"/></svg>'
)


def test_clean_svg_logo_is_accepted(owner, tenant_a):
    logo = SimpleUploadedFile("logo.svg", CLEAN_SVG, content_type="image/svg+xml")
    assert owner.post(SETTINGS_URL, {**valid_post(), "logo": logo}).status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.logo.name.endswith(".svg")
    assert owner.get(reverse("web:tenant_logo"))["Content-Type"] == "image/svg+xml"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.gif", b"GIF89a....", "Upload a PNG, JPEG or SVG file."),
        ("logo.png", b"not really a png", "not a readable PNG or JPEG"),
        ("logo.jpg", None, "the content is PNG"),
        ("big.png", b"\x89PNG" + b"0" * (1024 * 1024 + 1), "the limit is 1 MB"),
        (
            "evil.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "may not contain &lt;script&gt;",
        ),
        (
            "evil.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
            "may not contain scripts",
        ),
        (
            "bomb.svg",
            (
                b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
            ),
            "declares a DTD",
        ),
        (
            "link.svg",
            (
                b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                b'<image xlink:href="https://tracker.example/x.png"/></svg>'
            ),
            "may not link to other files",
        ),
        ("notsvg.svg", b"<html><body>hi</body></html>", "not an SVG image"),
    ],
)
def test_bad_logos_are_refused(owner, tenant_a, name, content, message):
    logo = SimpleUploadedFile(name, content if content is not None else png_bytes())
    response = owner.post(SETTINGS_URL, {**valid_post(), "logo": logo})
    assert response.status_code == 200
    assert message in response.content.decode()
    tenant_a.refresh_from_db()
    assert not tenant_a.logo


def test_logo_of_another_tenant_is_never_served(signed_in_client, tenant_a, tenant_b):
    owner_of_b = signed_in_client(tenant_b, "owner")
    owner_of_b.post(
        SETTINGS_URL,
        {**valid_post(name="Bravo Trading"), "logo": SimpleUploadedFile("b.png", png_bytes())},
    )
    tenant_b.refresh_from_db()
    assert tenant_b.logo
    # A's member asks for "the logo" and gets A's (none), never B's.
    assert (
        signed_in_client(tenant_a, "collector").get(reverse("web:tenant_logo")).status_code == 404
    )


# --- members -------------------------------------------------------------------


def member_url(membership: Membership) -> str:
    return reverse("web:member_edit", kwargs={"membership_id": membership.pk})


@pytest.fixture
def analyst(tenant_a):
    with tenant_context(tenant_a):
        return MembershipFactory(
            tenant=tenant_a, user=UserFactory(email="ana@alpha.example"), role="credit_analyst"
        )


def test_owner_changes_a_members_role_and_limit(owner, tenant_a, analyst):
    page = owner.get(member_url(analyst))
    assert page.status_code == 200
    assert "ana@alpha.example" in page.content.decode()

    response = owner.post(
        member_url(analyst),
        {"role": "credit_manager", "approval_limit": "50000.00", "is_active": "on"},
    )

    assert response.status_code == 302
    with tenant_context(tenant_a):
        analyst.refresh_from_db()
        event = AuditEvent.objects.get(action="membership.updated")
    assert analyst.role == "credit_manager"
    assert str(analyst.approval_limit) == "50000.00"
    assert event.actor_user == owner.user
    assert event.changes == {
        "role": {"before": "credit_analyst", "after": "credit_manager"},
        "approval_limit": {"before": "0.00", "after": "50000.00"},
    }


def test_deactivated_member_can_no_longer_work_in_the_tenant(owner, signed_in_client, tenant_a):
    collector = signed_in_client(tenant_a, "collector")
    assert collector.get("/", follow=True).status_code == 200
    owner.post(
        member_url(collector.membership), {"role": "collector", "approval_limit": "0"}
    )  # is_active unticked
    with tenant_context(tenant_a):
        collector.membership.refresh_from_db()
    assert not collector.membership.is_active
    response = collector.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_last_owner_cannot_be_demoted_or_deactivated(owner, tenant_a):
    for data in (
        {"role": "auditor", "approval_limit": "0", "is_active": "on"},
        {"role": "owner", "approval_limit": "0"},
    ):
        response = owner.post(member_url(owner.membership), data)
        assert response.status_code == 200
        assert "is the only active owner" in response.content.decode()
    with tenant_context(tenant_a):
        owner.membership.refresh_from_db()
        assert not AuditEvent.objects.filter(action="membership.updated").exists()
    assert owner.membership.role == "owner"
    assert owner.membership.is_active


def test_with_a_second_owner_an_owner_may_step_down(owner, signed_in_client, tenant_a):
    signed_in_client(tenant_a, "owner")
    response = owner.post(
        member_url(owner.membership), {"role": "auditor", "approval_limit": "0", "is_active": "on"}
    )
    assert response.status_code == 302
    with tenant_context(tenant_a):
        owner.membership.refresh_from_db()
    assert owner.membership.role == "auditor"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "erp_integration", "approval_limit": "0"}, "Select a valid choice"),
        ({"role": "collector", "approval_limit": "-1"}, "greater than or equal to 0"),
        ({"role": "collector", "approval_limit": "1.234"}, "no more than 2 decimal places"),
    ],
)
def test_member_form_errors_say_what_to_fix(owner, tenant_a, analyst, data, message):
    response = owner.post(member_url(analyst), data)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_another_tenants_member_is_404_and_unchanged(owner, tenant_b, owner_b):
    with tenant_context(tenant_b):
        theirs = Membership.objects.get(user=owner_b)
    assert owner.get(member_url(theirs)).status_code == 404
    response = owner.post(member_url(theirs), {"role": "collector", "approval_limit": "0"})
    assert response.status_code == 404
    with tenant_context(tenant_b):
        theirs.refresh_from_db()
        assert not AuditEvent.objects.filter(action="membership.updated").exists()
    assert theirs.role == "owner"
    assert theirs.is_active


def test_missing_member_is_the_same_404(owner):
    assert (
        owner.get(reverse("web:member_edit", kwargs={"membership_id": 999999})).status_code == 404
    )


def test_only_owners_edit_members(signed_in_client, tenant_a, analyst):
    manager = signed_in_client(tenant_a, "credit_manager")
    response = manager.post(member_url(analyst), {"role": "owner", "approval_limit": "0"})
    assert response.status_code == 403
    with tenant_context(tenant_a):
        analyst.refresh_from_db()
    assert analyst.role == "credit_analyst"


def test_tenant_model_is_untouched_by_a_forged_slug(owner, tenant_a):
    # The slug is not a settings field: posting one changes nothing.
    owner.post(SETTINGS_URL, valid_post(slug="hijack"))
    assert Tenant.objects.filter(slug="alpha").exists()


# --- adding members ---------------------------------------------------------------

ADD_URL = "/settings/members/add/"


def _add(owner, capture, **data):
    post = {"email": "new@alpha.example", "full_name": "Nina New", "role": "collector",
            "approval_limit": "0", **data}  # fmt: skip
    with capture(execute=True):
        return owner.post(ADD_URL, post)


@pytest.mark.usefixtures("eager_tasks")
def test_adding_a_new_person_creates_the_account_and_mails_a_set_password_link(
    owner, tenant_a, client, django_capture_on_commit_callbacks
):
    response = _add(owner, django_capture_on_commit_callbacks, email="Nina@Alpha.example")

    assert response.status_code == 302
    user = User.objects.get(email="nina@alpha.example")
    assert not user.has_usable_password()
    with tenant_context(tenant_a):
        membership = Membership.objects.get(user=user)
        assert AuditEvent.objects.filter(
            action="membership.created", object_id=str(membership.pk), actor_user=owner.user
        ).exists()
    assert membership.role == "collector"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@alpha.example"]
    assert "Alpha Industries" in message.subject
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    # The link lets Nina choose a password and sign in.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new_password = "ninas-own-passphrase-1"
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    signed_in = client.post(
        reverse("accounts:login"), {"email": "nina@alpha.example", "password": new_password}
    )
    assert signed_in.status_code == 302


@pytest.mark.usefixtures("eager_tasks")
def test_adding_someone_with_an_account_elsewhere_keeps_their_password(
    owner, tenant_a, tenant_b, owner_b, django_capture_on_commit_callbacks
):
    response = _add(owner, django_capture_on_commit_callbacks, email=owner_b.email, role="auditor")
    assert response.status_code == 302
    owner_b.refresh_from_db()
    assert owner_b.has_usable_password()
    assert "/accounts/login/" in mail.outbox[0].body
    with tenant_context(tenant_a):
        assert Membership.objects.get(user=owner_b).role == "auditor"
    with tenant_context(tenant_b):  # their seat in Bravo is untouched
        assert Membership.objects.get(user=owner_b).role == "owner"


@pytest.mark.usefixtures("eager_tasks")
def test_adding_an_existing_member_is_refused(owner, analyst, django_capture_on_commit_callbacks):
    response = _add(owner, django_capture_on_commit_callbacks, email="ana@alpha.example")
    assert response.status_code == 200
    assert "already a member of Alpha Industries" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"role": "erp_integration"}, "Select a valid choice"),
        ({"role": ""}, "This field is required."),
        ({"approval_limit": "-10"}, "greater than or equal to 0"),
    ],
)
def test_add_member_form_errors(owner, data, message, django_capture_on_commit_callbacks):
    response = _add(owner, django_capture_on_commit_callbacks, **data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.filter(email="new@alpha.example").exists()


def test_only_owners_add_members(signed_in_client, tenant_a, django_capture_on_commit_callbacks):
    manager = signed_in_client(tenant_a, "credit_manager")
    assert manager.get(ADD_URL).status_code == 403
    assert _add(manager, django_capture_on_commit_callbacks).status_code == 403
    assert not User.objects.filter(email="new@alpha.example").exists()
