"""Collector assignment page (HTML): the rules in priority order with a form
to add one and a button to delete one, the customers with a manual collector
(with a button to hand them back to the rules), and "Assign now", which
applies the rules to every customer."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from collections_app.assignment import selectors
from collections_app.assignment.forms import CollectorRuleForm
from collections_app.assignment.services import (
    RuleInput,
    collector_override_clear,
    collector_rule_create,
    collector_rule_delete,
    collectors_assign,
)
from collections_app.strategies.views import collector_options
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.permissions import can, require_perm


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _posted_id(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("id", ""))
    except ValueError:
        raise Http404("Not found") from None


def _change(request: HttpRequest, tenant: Tenant, action: str) -> None:
    actor = Actor.from_request(request)
    if action == "assign":
        moved = collectors_assign(tenant=tenant, actor=actor)
        messages.success(request, f"Rules applied: {moved} customers changed collector.")
    elif action == "delete_rule":
        collector_rule_delete(tenant=tenant, actor=actor, rule_id=_posted_id(request))
        messages.success(request, "Rule deleted; customers keep their collector until you assign.")
    else:
        collector_override_clear(tenant=tenant, actor=actor, customer_id=_posted_id(request))
        messages.success(request, "The customer follows the rules again from the next assignment.")


@require_perm(Perm.COLLECTIONS_VIEW)
def assignment(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    choices = collector_options(tenant)
    form = CollectorRuleForm(collector_choices=choices)
    if request.method == "POST":
        if not can(request, Perm.COLLECTIONS_WORK):
            raise Http404("Not found")
        action = request.POST.get("action", "")
        try:
            if action in ("assign", "delete_rule", "clear_override"):
                _change(request, tenant, action)
                return redirect("collections:assignment")
            form = CollectorRuleForm(request.POST, collector_choices=choices)
            if form.is_valid():
                data = form.cleaned_data
                collector_rule_create(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    data=RuleInput(
                        priority=data["priority"],
                        collector_id=data["collector_id"],
                        country=data["country"],
                        region=data["region"],
                        segment=data["segment"],
                        min_exposure=data["min_exposure"],
                        max_exposure=data["max_exposure"],
                    ),
                )
                messages.success(request, "Rule added. Assign now to apply it.")
                return redirect("collections:assignment")
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        except ValidationFailed as error:
            for field, texts in error.errors.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
        except DomainError as error:
            messages.error(request, error.detail)
    return render(
        request,
        "collections_app/assignment/assignment.html",
        {
            "rules": selectors.collector_rule_list(tenant=tenant),
            "overrides": selectors.collector_override_list(tenant=tenant)[:200],
            "form": form,
            "can_work": can(request, Perm.COLLECTIONS_WORK),
            "base_currency": str(tenant.base_currency),
        },
    )
