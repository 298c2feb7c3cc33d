"""Settings → API keys: list, issue and revoke keys in the browser.

The plaintext of a new key is shown once, on the page after the POST: the
create view parks it in the (server-side) session and the "created" page
takes it out again, so a reload shows it no more.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from otc.api.forms import ApiKeyCreateForm, ApiKeyFilterForm
from otc.api.models import ApiKey
from otc.api.selectors import api_key_get, api_key_list
from otc.api.services import api_key_create, api_key_revoke
from otc.audit.services import Actor
from otc.errors import NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import require_perm

NEW_KEY_SESSION_KEY = "otc_new_api_key"

SORTABLE = {
    "name": ("Name", "name"),
    "prefix": ("Prefix", "prefix"),
    "role": ("Role", "role"),
    "created": ("Created", "created_at"),
    "last_used": ("Last used", "last_used_at"),
    "status": ("Status", "revoked_at"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _key_or_404(request: HttpRequest, api_key_id: int) -> ApiKey:
    try:
        return api_key_get(tenant=_tenant(request), api_key_id=api_key_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


@require_perm(Perm.API_KEYS_MANAGE)
@require_http_methods(["GET"])
def api_key_list_view(request: HttpRequest) -> HttpResponse:
    filters = ApiKeyFilterForm(request.GET)
    status = search = ""
    if filters.is_valid():
        status = filters.cleaned_data["status"]
        search = filters.cleaned_data["q"]
    keys = api_key_list(tenant=_tenant(request), status=status, search=search)
    listing = list_page(request, keys, sortable=SORTABLE, default_sort="-created")
    return render(
        request,
        "api/api_key_list.html",
        {"listing": listing, "filters": filters, "is_filtered": bool(status or search)},
    )


@require_perm(Perm.API_KEYS_MANAGE)
@require_http_methods(["GET", "POST"])
def api_key_create_view(request: HttpRequest) -> HttpResponse:
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_create(
                tenant=_tenant(request),
                actor=Actor.from_request(request),
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                approval_limit=form.cleaned_data["approval_limit"] or Decimal(0),
            )
        except ValidationFailed as exc:
            for field, field_messages in exc.errors.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            request.session[NEW_KEY_SESSION_KEY] = {
                "id": issued.api_key.pk,
                "key": issued.plaintext,
            }
            return redirect("api_keys:created", api_key_id=issued.api_key.pk)
    return render(request, "api/api_key_form.html", {"form": form})


@never_cache  # the page carries a secret: no browser or proxy may keep it
@require_perm(Perm.API_KEYS_MANAGE)
@require_http_methods(["GET"])
def api_key_created_view(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = _key_or_404(request, api_key_id)
    parked = request.session.get(NEW_KEY_SESSION_KEY)
    plaintext = None
    if isinstance(parked, dict) and parked.get("id") == api_key.pk:
        plaintext = parked.get("key")
        del request.session[NEW_KEY_SESSION_KEY]
    return render(request, "api/api_key_created.html", {"api_key": api_key, "plaintext": plaintext})


@require_perm(Perm.API_KEYS_MANAGE)
@require_http_methods(["GET", "POST"])
def api_key_revoke_view(request: HttpRequest, api_key_id: int) -> HttpResponse:
    api_key = _key_or_404(request, api_key_id)
    if request.method == "POST":
        was_active = api_key.is_active
        api_key_revoke(tenant=_tenant(request), actor=Actor.from_request(request), api_key=api_key)
        if was_active:
            messages.success(
                request,
                f"Revoked “{api_key.name}”. Requests with this key are refused from now on.",
            )
        else:
            messages.info(request, f"“{api_key.name}” was already revoked.")
        return redirect("api_keys:list")
    return render(request, "api/api_key_revoke.html", {"api_key": api_key})
