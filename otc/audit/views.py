from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from otc.audit.forms import AuditFilterForm
from otc.audit.selectors import (
    AuditFilters,
    audit_actions,
    audit_change_rows,
    audit_event_list,
    audit_object_types,
)
from otc.tenancy.roles import Perm
from otc.tenancy.selectors import tenant_members
from otc.web.listing import list_page
from otc.web.permissions import require_perm

SORTABLE = {
    "occurred_at": ("When", "occurred_at"),
    "actor": ("Who", "actor_label"),
    "action": ("Action", "action"),
    "object_type": ("Object", "object_type"),
}


@require_GET
@require_perm(Perm.AUDIT_VIEW)
def audit_list(request: HttpRequest) -> HttpResponse:
    tenant = request.tenant  # type: ignore[attr-defined]
    form = AuditFilterForm(
        request.GET,
        actions=audit_actions(tenant=tenant),
        object_types=audit_object_types(tenant=tenant),
    )
    # A filter that does not validate (a bad date) is shown with its error
    # and the list falls back to unfiltered rather than guessing.
    filters = form.filters() if form.is_valid() else AuditFilters()
    listing = list_page(
        request,
        audit_event_list(tenant=tenant, filters=filters),
        sortable=SORTABLE,
        default_sort="-occurred_at",
    )
    rows = [(event, audit_change_rows(event=event)) for event in listing.page]
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "listing": listing,
            "rows": rows,
            "is_filtered": filters != AuditFilters(),
            "actor_suggestions": [m.user.email for m in tenant_members(tenant=tenant)],
        },
    )
