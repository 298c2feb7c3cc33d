"""Collections pages for collectors (HTML).

- ``worklist``: today's customers by priority score with the reasons, the
  day's calls, promises due, broken promises, escalations and follow-ups
  (tasks with done / snooze / reassign); mine / everyone / unassigned;
- ``customer_collections``: one customer's timeline (letters, calls, notes,
  promises, payments) with forms to log a call or note, record a promise and
  assign the collector; the statement of account PDF;
- ``runs`` / ``run_detail`` / ``letter_detail`` / ``run_preview``: dunning
  run history with drill-down to each letter and its items, start a run;
- ``policies`` / ``policy_detail`` / ``template_preview``: policies with
  their levels and each template's letter filled with sample figures.

Every action calls the same services as the API; a refused action shows the
service's sentence as a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from collections_app.assignment.services import collector_override_set
from collections_app.dunning import selectors
from collections_app.dunning.forms import (
    ActivityForm,
    CollectorForm,
    DisputeForm,
    PromiseForm,
    StartRunForm,
    WorklistFilterForm,
)
from collections_app.dunning.models import DunningTemplate, RunTrigger
from collections_app.dunning.services.disputes import collections_dispute_flag
from collections_app.dunning.services.letters import (
    statement_of_account_pdf,
    template_preview_html,
)
from collections_app.dunning.services.priorities import collection_priorities_compute
from collections_app.dunning.services.promises import PromiseInput, activity_log, promise_record
from collections_app.dunning.services.selection import dunning_due_pairs
from collections_app.strategies import selectors as strategy_selectors
from collections_app.strategies.views import collector_options
from invoicing.models import InvoiceStatus
from invoicing.selectors import invoice_list
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.customers.selectors import collector_choices, customer_get
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.ledger.models import DEBIT_KINDS, ItemStatus, OpenItem
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

WORKLIST_SORTABLE = {
    "score": ("Priority", "score"),
    "amount": ("Overdue", "overdue_base_amount"),
    "days": ("Days overdue", "max_days_overdue"),
    "customer": ("Customer", "customer__legal_name"),
}
RUN_SORTABLE = {"date": ("Run date", "run_date"), "letters": ("Letters", "letter_count")}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _apply_errors(form: Any, error: ValidationFailed) -> None:
    for field, texts in error.errors.items():
        name = field if field in form.fields else None
        for text in texts:
            form.add_error(name, text)
    if not error.errors:
        form.add_error(None, error.detail)


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
# One transaction for the page's two dozen reads (rendered lazily): one
# snapshot, so the tiles and the list agree, and one tenant setting instead
# of a BEGIN / set_config / COMMIT around every statement (worklist budget).
@transaction.atomic
def worklist(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    today = tenant_today(tenant)
    if not selectors.worklist_computed(tenant=tenant, day=today):
        collection_priorities_compute(tenant=tenant, day=today)
    form = WorklistFilterForm(request.GET or None)
    scope, search = "mine", ""
    if form.is_bound and form.is_valid():
        scope = form.cleaned_data["scope"] or "mine"
        search = form.cleaned_data["q"] or ""
    collector_id = request.user.pk if scope == "mine" else None
    rows = selectors.worklist(
        tenant=tenant,
        day=today,
        collector_id=collector_id,
        unassigned=scope == "unassigned",
        search=search,
    )
    listing = list_page(request, rows, sortable=WORKLIST_SORTABLE, default_sort="-score")
    return render(
        request,
        "collections_app/dunning/worklist.html",
        {
            "form": form,
            "scope": scope,
            "listing": listing,
            "today": today,
            "base_currency": str(tenant.base_currency),
            "promises_due": selectors.promises_due(
                tenant=tenant, day=today, collector_id=collector_id
            )[:20],
            "promises_broken": selectors.promises_broken_recently(
                tenant=tenant, since=today.replace(day=1), collector_id=collector_id
            )[:20],
            "follow_ups": selectors.follow_ups_due(
                tenant=tenant, day=today, collector_id=collector_id
            )[:20],
            "calls": strategy_selectors.calls_due(
                tenant=tenant,
                day=today,
                collector_id=collector_id,
                unassigned=scope == "unassigned",
            )[:20],
            "escalations": strategy_selectors.escalations_due(
                tenant=tenant,
                day=today,
                collector_id=collector_id,
                unassigned=scope == "unassigned",
            )[:20],
            "collectors": collector_options(tenant),
            "can_work": can(request, Perm.COLLECTIONS_WORK),
            "figures": selectors.collector_figures(
                tenant=tenant, day=today, collector_id=collector_id
            ),
        },
    )


def _customer_or_404(tenant: Tenant, customer_id: int) -> Customer:
    try:
        return customer_get(tenant=tenant, customer_id=customer_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _open_item_choices(tenant: Tenant, customer: Customer) -> list[tuple[str, str]]:
    items = OpenItem.objects.for_tenant(tenant).filter(
        customer=customer, status=ItemStatus.OPEN, kind__in=DEBIT_KINDS
    )
    return [
        (
            str(item.pk),
            f"{item.number} · due {item.due_date or '—'} · {item.open_amount:,.2f} {item.currency}",
        )
        for item in items.order_by("due_date", "id")[:200]
    ]


def _disputable_invoice_choices(tenant: Tenant, customer: Customer) -> list[tuple[str, str]]:
    invoices = (
        invoice_list(tenant=tenant, customer_id=customer.pk)
        .filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID])
        .order_by("due_date", "id")[:200]
    )
    return [
        (str(invoice.pk), f"{invoice.number} · due {invoice.due_date or '—'} · {invoice.currency}")
        for invoice in invoices
    ]


@require_POST
@require_perm(Perm.COLLECTIONS_WORK)
def customer_dispute(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Hand a disputed invoice to the deductions process; back to the page
    with a message saying what happened or what to fix."""
    tenant = _tenant(request)
    customer = _customer_or_404(tenant, customer_id)
    form = DisputeForm(
        request.POST,
        prefix="dispute",
        invoice_choices=_disputable_invoice_choices(tenant, customer),
    )
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return redirect("collections:customer", customer_id=customer.pk)
    data = form.cleaned_data
    try:
        deduction = collections_dispute_flag(
            tenant=tenant,
            actor=Actor.from_request(request),
            customer_id=customer.pk,
            invoice_id=data["invoice"],
            amount=data["amount"],
            note=data["note"],
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request,
            f"{deduction.amount:,.2f} {deduction.currency} handed to deductions; "
            "dunning leaves it out while it is researched.",
        )
    return redirect("collections:customer", customer_id=customer.pk)


@require_perm(Perm.COLLECTIONS_VIEW)
def customer_collections(request: HttpRequest, customer_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(tenant, customer_id)
    actor = Actor.from_request(request)
    item_choices = _open_item_choices(tenant, customer)
    activity_form = ActivityForm(prefix="activity")
    promise_form = PromiseForm(
        prefix="promise", item_choices=item_choices, initial={"currency": customer.currency}
    )
    choices = [(str(c.user_id), f"{c.name} <{c.email}>") for c in collector_choices(tenant=tenant)]
    collector_form = CollectorForm(
        prefix="collector",
        collector_choices=choices,
        initial={"collector": str(customer.collector_id or "")},
    )
    if request.method == "POST":
        if not can(request, Perm.COLLECTIONS_WORK):
            raise Http404("Not found")
        action = request.POST.get("action")
        try:
            if action == "activity":
                activity_form = ActivityForm(request.POST, prefix="activity")
                if activity_form.is_valid():
                    data = activity_form.cleaned_data
                    activity_log(
                        tenant=tenant,
                        actor=actor,
                        customer_id=customer.pk,
                        kind=data["kind"],
                        subject=data["subject"],
                        body=data["body"],
                        outcome=data["outcome"],
                        contact_name=data["contact_name"],
                        next_action_date=data["next_action_date"],
                    )
                    messages.success(request, "Activity logged.")
                    return redirect("collections:customer", customer_id=customer.pk)
            elif action == "promise":
                promise_form = PromiseForm(
                    request.POST, prefix="promise", item_choices=item_choices
                )
                if promise_form.is_valid():
                    data = promise_form.cleaned_data
                    promise_record(
                        tenant=tenant,
                        actor=actor,
                        data=PromiseInput(
                            customer_id=customer.pk,
                            amount=data["amount"],
                            currency=data["currency"].upper(),
                            promised_date=data["promised_date"],
                            item_ids=[int(pk) for pk in data["items"]],
                            note=data["note"],
                        ),
                    )
                    messages.success(request, "Promise to pay recorded.")
                    return redirect("collections:customer", customer_id=customer.pk)
            elif action == "collector":
                collector_form = CollectorForm(
                    request.POST, prefix="collector", collector_choices=choices
                )
                if collector_form.is_valid():
                    user_id = collector_form.cleaned_data["collector"]
                    collector_override_set(
                        tenant=tenant,
                        actor=actor,
                        customer_id=customer.pk,
                        collector_id=int(user_id) if user_id else None,
                    )
                    messages.success(
                        request, "Collector assigned by hand; the assignment rules keep it."
                    )
                    return redirect("collections:customer", customer_id=customer.pk)
        except ValidationFailed as error:
            form = {"activity": activity_form, "promise": promise_form}.get(
                action or "", collector_form
            )
            _apply_errors(form, error)
        except DomainError as error:
            messages.error(request, error.detail)
    return render(
        request,
        "collections_app/dunning/customer.html",
        {
            "customer": customer,
            "timeline": selectors.customer_timeline(tenant=tenant, customer=customer),
            "activity_form": activity_form,
            "promise_form": promise_form,
            "collector_form": collector_form,
            "dispute_form": DisputeForm(
                prefix="dispute", invoice_choices=_disputable_invoice_choices(tenant, customer)
            ),
            "can_work": can(request, Perm.COLLECTIONS_WORK),
            "today": tenant_today(tenant),
        },
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
def customer_statement(request: HttpRequest, customer_id: int) -> HttpResponse:
    tenant = _tenant(request)
    customer = _customer_or_404(tenant, customer_id)
    today = tenant_today(tenant)
    pdf = statement_of_account_pdf(tenant=tenant, customer=customer, as_of=today)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="statement-{customer.number}-{today.isoformat()}.pdf"'
    )
    return response


@require_perm(Perm.COLLECTIONS_VIEW)
def runs(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = StartRunForm(initial={"run_date": tenant_today(tenant)})
    if request.method == "POST":
        if not can(request, Perm.COLLECTIONS_WORK):
            raise Http404("Not found")
        form = StartRunForm(request.POST)
        if form.is_valid():
            from collections_app.dunning.tasks import run_dunning

            run_date = form.cleaned_data["run_date"]
            if run_date > tenant_today(tenant):
                form.add_error("run_date", "A run cannot be started for a future day.")
            else:
                run_dunning.delay_on_commit(tenant.pk, run_date.isoformat(), RunTrigger.MANUAL)
                messages.success(
                    request,
                    f"The dunning run for {run_date.isoformat()} was started; "
                    "its letters appear below as they are selected.",
                )
                return redirect("collections:runs")
    listing = list_page(
        request,
        selectors.dunning_run_list(tenant=tenant),
        sortable=RUN_SORTABLE,
        default_sort="-date",
    )
    return render(
        request,
        "collections_app/dunning/runs.html",
        {"listing": listing, "form": form, "can_work": can(request, Perm.COLLECTIONS_WORK)},
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
def run_preview(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    today = tenant_today(tenant)
    pairs = dunning_due_pairs(tenant=tenant, day=today)
    customers = {
        c.pk: c
        for c in Customer.objects.for_tenant(tenant).filter(pk__in={p.customer_id for p in pairs})
    }
    numbers = dict(
        OpenItem.objects.for_tenant(tenant)
        .filter(pk__in=[p.item_id for p in pairs[:2000]])
        .values_list("pk", "number")
    )
    groups: dict[int, list[Any]] = {}
    for pair in pairs[:2000]:
        groups.setdefault(pair.customer_id, []).append(
            {"pair": pair, "number": numbers.get(pair.item_id, "")}
        )
    return render(
        request,
        "collections_app/dunning/run_preview.html",
        {
            "today": today,
            "total": len(pairs),
            "groups": [(customers[cid], rows) for cid, rows in groups.items()],
        },
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    tenant = _tenant(request)
    try:
        run = selectors.dunning_run_get(tenant=tenant, run_id=run_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    letters = selectors.dunning_letter_list(tenant=tenant, run=run)
    status = request.GET.get("status", "")
    if status:
        letters = letters.filter(status=status)
    listing = list_page(
        request,
        letters,
        sortable={"customer": ("Customer", "customer__number"), "level": ("Level", "level")},
        default_sort="customer",
    )
    return render(
        request,
        "collections_app/dunning/run_detail.html",
        {
            "run": run,
            "listing": listing,
            "counts": selectors.dunning_run_letter_counts(tenant=tenant, run=run),
            "status": status,
        },
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
def letter_detail(request: HttpRequest, letter_id: int) -> HttpResponse:
    tenant = _tenant(request)
    try:
        letter = selectors.dunning_letter_get(tenant=tenant, letter_id=letter_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    if request.GET.get("pdf") and letter.pdf:
        response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="dunning-letter-{letter.pk}.pdf"'
        return response
    return render(
        request,
        "collections_app/dunning/letter_detail.html",
        {
            "letter": letter,
            "notices": selectors.dunning_letter_notices(tenant=tenant, letter=letter),
            "charges": selectors.dunning_letter_charges(tenant=tenant, letter=letter),
        },
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
def policies(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    return render(
        request,
        "collections_app/dunning/policies.html",
        {
            "policies": selectors.dunning_policy_list(tenant=tenant),
            "can_edit": can(request, Perm.COLLECTIONS_WORK),
        },
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
def policy_detail(request: HttpRequest, policy_id: int) -> HttpResponse:
    tenant = _tenant(request)
    try:
        policy = selectors.dunning_policy_get(tenant=tenant, policy_id=policy_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    from collections_app.dunning.services.templating import PLACEHOLDERS

    return render(
        request,
        "collections_app/dunning/policy_detail.html",
        {
            "policy": policy,
            "placeholders": PLACEHOLDERS.items(),
            "can_edit": can(request, Perm.COLLECTIONS_WORK),
        },
    )


@require_GET
@require_perm(Perm.COLLECTIONS_VIEW)
@xframe_options_sameorigin  # shown in a frame of the policy page
def template_preview(request: HttpRequest, template_id: int) -> HttpResponse:
    tenant = _tenant(request)
    template = (
        DunningTemplate.objects.for_tenant(tenant)
        .select_related("level")
        .filter(pk=template_id)
        .first()
    )
    if template is None:
        raise Http404("No such template.")
    return HttpResponse(template_preview_html(tenant=tenant, template=template))


@require_POST
@require_perm(Perm.COLLECTIONS_WORK)
def worklist_refresh(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    collection_priorities_compute(tenant=tenant, day=tenant_today(tenant))
    messages.success(request, "Priorities recomputed from the ledger as it is now.")
    return redirect("collections:worklist")
