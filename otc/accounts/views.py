"""Signing in and out, changing password, switching tenant.

Password reset uses Django's own views (wired in urls.py) with our
templates; everything else is here.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from otc.accounts.forms import LoginForm, SwitchTenantForm
from otc.accounts.middleware import IDLE_SIGNED_OUT_KEY, IDLE_SIGNED_OUT_MESSAGE
from otc.accounts.models import User
from otc.accounts.services import (
    user_password_change,
    user_signed_in,
    user_signed_out,
    user_switched_tenant,
)
from otc.accounts.throttling import (
    THROTTLED_MESSAGE,
    client_ip,
    login_failure_record,
    login_failures_clear,
    login_throttled,
)
from otc.audit.services import Actor
from otc.tenancy.context import tenant_context
from otc.tenancy.selectors import membership_for_session, user_memberships
from otc.tenancy.services import session_tenant_set

logger = logging.getLogger(__name__)

WRONG_CREDENTIALS_MESSAGE = (
    "That e-mail address and password do not match. Check both and try again."
)
NO_ACCESS_MESSAGE = (
    "Your account has no active access to any tenant, so you cannot sign in. "
    "Ask an owner of your organisation to give you a role."
)


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _sign_in(request: HttpRequest, form: LoginForm) -> bool:
    """Try the credentials in a valid form; on refusal add the reason to the
    form and return False."""
    email = form.cleaned_data["email"]
    ip = client_ip(request)
    if login_throttled(email=email, ip=ip):
        # Checked before the password, and worded the same for every address,
        # so the answer never tells whether an account exists.
        logger.warning("Sign-in refused by throttling from %s", ip)
        form.add_error(None, THROTTLED_MESSAGE)
        return False
    user = authenticate(request, username=email, password=form.cleaned_data["password"])
    if not isinstance(user, User):
        login_failure_record(email=email, ip=ip)
        form.add_error(None, WRONG_CREDENTIALS_MESSAGE)
        return False
    choices = user_memberships(user=user)
    membership = (
        membership_for_session(user=user, tenant_id=choices[0].tenant_id) if choices else None
    )
    if membership is None:
        form.add_error(None, NO_ACCESS_MESSAGE)
        return False
    login_failures_clear(email=email)
    # login() rotates the session key, so a session id planted before sign-in
    # (session fixation) is worthless afterwards.
    login(request, user)
    session_tenant_set(session=request.session, membership=membership)
    with tenant_context(membership.tenant):
        user_signed_in(tenant=membership.tenant, actor=Actor.from_request(request))
    return True


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and getattr(request, "membership", None) is not None:
        return redirect(_safe_next(request))
    if request.session.pop(IDLE_SIGNED_OUT_KEY, False):
        messages.info(request, IDLE_SIGNED_OUT_MESSAGE)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _sign_in(request, form):
        return redirect(_safe_next(request))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    tenant = getattr(request, "tenant", None)
    if request.user.is_authenticated and tenant is not None:
        user_signed_out(tenant=tenant, actor=Actor.from_request(request))
    logout(request)
    messages.success(request, "You have been signed out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(user=request.user, data=request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            raise Http404
        user = user_password_change(
            tenant=tenant,
            actor=Actor.from_request(request),
            user=request.user,  # type: ignore[arg-type]
            new_password=form.cleaned_data["new_password1"],
        )
        # Keep this session signed in; every other session of the user ends.
        update_session_auth_hash(request, user)
        messages.success(request, "Your password has been changed.")
        return redirect("web:home")
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
@login_required
def switch_tenant_view(request: HttpRequest) -> HttpResponse:
    form = SwitchTenantForm(request.POST)
    if not form.is_valid():
        raise Http404
    # Only a tenant where this user has an active membership; any other id,
    # existing or not, answers the same 404.
    membership = membership_for_session(
        user=request.user,  # type: ignore[arg-type]
        tenant_id=form.cleaned_data["tenant"],
    )
    if membership is None:
        raise Http404
    session_tenant_set(session=request.session, membership=membership)
    with tenant_context(membership.tenant):
        user_switched_tenant(tenant=membership.tenant, actor=Actor.from_request(request))
    messages.success(request, f"You are now working in {membership.tenant.name}.")
    return redirect("web:home")
