"""Writes about people: creating users and recording their sessions."""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from otc.accounts.models import User
from otc.accounts.tasks import send_email
from otc.audit.services import Actor, audit_record
from otc.tenancy.models import Tenant

_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def password_generate(*, length: int = 20) -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))


@transaction.atomic
def user_create(*, email: str, full_name: str = "", password: str | None = None) -> User:
    """A new user. Users are global (one person, many tenants); what they
    may do is on their memberships, which the tenancy services create and
    audit. Raises ValidationError when the password is too weak."""
    user = User(email=User.objects.normalize_email(email).lower(), full_name=full_name)
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user=user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def user_signed_in(*, tenant: Tenant, actor: Actor) -> None:
    """Sign-ins go into the trail of the tenant the session starts in, so an
    auditor sees who worked in the tenant and from where."""
    audit_record(
        tenant=tenant,
        actor=actor,
        action="session.signed_in",
        instance=actor.user,
        object_type="accounts.user",
    )


def user_signed_out(*, tenant: Tenant, actor: Actor) -> None:
    audit_record(
        tenant=tenant,
        actor=actor,
        action="session.signed_out",
        instance=actor.user,
        object_type="accounts.user",
    )


@transaction.atomic
def user_password_change(*, tenant: Tenant, actor: Actor, user: User, new_password: str) -> User:
    """Set a new password (already validated by the form) and note it in the
    trail of the tenant the person was working in."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(
        tenant=tenant,
        actor=actor,
        action="user.password_changed",
        instance=user,
        object_type="accounts.user",
    )
    return user


def user_switched_tenant(*, tenant: Tenant, actor: Actor) -> None:
    """Recorded in the tenant switched to: it shows when a person who works
    for several tenants started working in this one."""
    audit_record(
        tenant=tenant,
        actor=actor,
        action="session.tenant_switched",
        instance=actor.user,
        object_type="accounts.user",
    )


def email_enqueue(
    *,
    to: str,
    subject_template: str,
    text_template: str,
    html_template: str,
    context: dict[str, Any],
) -> None:
    """Render a message now and hand it to the worker once the surrounding
    transaction commits."""
    subject = "".join(render_to_string(subject_template, context).splitlines())
    send_email.delay_on_commit(
        subject=subject,
        body=render_to_string(text_template, context),
        html_body=render_to_string(html_template, context),
        to=[to],
    )


def invitation_send(
    *, user: User, tenant: Tenant, invited_by: str, base_url: str, role_label: str
) -> None:
    """Tell a person they were given a seat. Someone without a password yet
    gets a link to choose one (a password-reset token, valid for
    PASSWORD_RESET_TIMEOUT); everyone else a link to sign in."""
    base = base_url.rstrip("/")
    if user.has_usable_password():
        action_url = base + reverse("accounts:login")
    else:
        action_url = base + reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    email_enqueue(
        to=user.email,
        subject_template="accounts/email/invitation_subject.txt",
        text_template="accounts/email/invitation.txt",
        html_template="accounts/email/invitation.html",
        context={
            "user": user,
            "tenant": tenant,
            "invited_by": invited_by,
            "role_label": role_label,
            "action_url": action_url,
            "needs_password": not user.has_usable_password(),
        },
    )
