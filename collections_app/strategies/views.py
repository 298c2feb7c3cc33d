"""Collections pages for tasks and strategies (HTML).

- ``task_action``: done / snooze / reassign a worklist task, back to the
  worklist with a message saying what happened or why not;
- ``strategies``: per risk class the steps that create tasks, with forms to
  add a step, remove one, and switch a strategy on or off.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from collections_app.strategies import selectors
from collections_app.strategies.forms import StrategyStepForm, TaskActionForm
from collections_app.strategies.services.strategies import (
    strategy_set_active,
    strategy_step_add,
    strategy_step_remove,
)
from collections_app.strategies.services.tasks import task_done, task_reassign, task_snooze
from otc.audit.services import Actor
from otc.customers.selectors import collector_choices
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.permissions import can, require_perm


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def collector_options(tenant: Tenant) -> list[tuple[str, str]]:
    return [(str(c.user_id), c.name or c.email) for c in collector_choices(tenant=tenant)]


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("collections:worklist")


@require_POST
@require_perm(Perm.COLLECTIONS_WORK)
def task_action(request: HttpRequest, task_id: int) -> HttpResponse:
    tenant = _tenant(request)
    actor = Actor.from_request(request)
    form = TaskActionForm(request.POST, collector_choices=collector_options(tenant))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _back(request)
    data = form.cleaned_data
    try:
        if data["action"] == "done":
            task = task_done(tenant=tenant, actor=actor, task_id=task_id)
            messages.success(request, f"Done: {task.title}.")
        elif data["action"] == "snooze":
            task = task_snooze(tenant=tenant, actor=actor, task_id=task_id, until=data["until"])
            messages.success(request, f"Snoozed until {data['until']:%d %b %Y}: {task.title}.")
        else:
            task = task_reassign(
                tenant=tenant, actor=actor, task_id=task_id, user_id=data["user_id"]
            )
            messages.success(request, f"Handed over: {task.title}.")
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as error:
        messages.error(request, error.detail)
    return _back(request)


def _strategy_change(request: HttpRequest, tenant: Tenant, action: str) -> None:
    """Remove a step or switch a strategy on or off (the id comes from the form)."""
    actor = Actor.from_request(request)
    try:
        object_id = int(request.POST.get("id", ""))
    except ValueError:
        raise Http404("Not found") from None
    if action == "remove_step":
        strategy_step_remove(tenant=tenant, actor=actor, step_id=object_id)
        messages.success(request, "Step removed; the tasks it created stay.")
        return
    switched_on = action == "activate"
    strategy_set_active(tenant=tenant, actor=actor, strategy_id=object_id, is_active=switched_on)
    messages.success(request, "Strategy switched " + ("on." if switched_on else "off."))


@require_perm(Perm.COLLECTIONS_VIEW)
def strategies(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = StrategyStepForm()
    if request.method == "POST":
        if not can(request, Perm.COLLECTIONS_WORK):
            raise Http404("Not found")
        action = request.POST.get("action", "")
        try:
            if action in ("remove_step", "activate", "deactivate"):
                _strategy_change(request, tenant, action)
                return redirect("collections:strategies")
            form = StrategyStepForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                step = strategy_step_add(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    risk_class=data["risk_class"],
                    kind=data["kind"],
                    days_overdue=data["days_overdue"],
                )
                messages.success(request, f"Class {data['risk_class']}: {step} added.")
                return redirect("collections:strategies")
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
        "collections_app/strategies/strategies.html",
        {
            "strategies": selectors.strategy_list(tenant=tenant),
            "form": form,
            "can_work": can(request, Perm.COLLECTIONS_WORK),
        },
    )
