"""HTML pages of deductions: the analyst queue, one deduction with its
timeline and actions, raising a dispute, and reason codes with their
mappings and the auto write-off rule. Views validate with a form and call
the same services as the API."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from deductions import selectors, services
from deductions.forms import (
    AssignForm,
    AttachmentForm,
    DisputeForm,
    MappingForm,
    PolicyForm,
    QueueFilterForm,
    ReasonCodeForm,
    ReasonForm,
    ResolveForm,
    TransitionForm,
    apply_errors,
)
from deductions.models import Deduction, ReasonCode
from deductions.selectors_returns import return_refund_counts
from invoicing.models import Invoice, InvoiceLine
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Membership, Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

SORTABLE = {
    "opened": ("Opened", "created_at"),
    "value": ("Amount", "amount"),
    "due": ("Research due", "research_due"),
    "customer": ("Customer", "customer__legal_name"),
    "status": ("Status", "status"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request)


def _owners(tenant: Tenant) -> list[tuple[str, str]]:
    return [
        (str(user_id), email)
        for user_id, email in Membership.objects.for_tenant(tenant)
        .filter(is_active=True)
        .order_by("user__email")
        .values_list("user_id", "user__email")
    ]


def _reasons(tenant: Tenant) -> Any:
    services.reason_codes_ensure(tenant=tenant)
    return ReasonCode.objects.for_tenant(tenant).filter(is_active=True).order_by("code")


@require_perm(Perm.DEDUCTIONS_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = QueueFilterForm(request.GET or None, reasons=_reasons(tenant), owners=_owners(tenant))
    filters = selectors.QueueFilters()
    if form.is_valid():
        data = form.cleaned_data
        owner = data.get("owner") or ""
        filters = selectors.QueueFilters(
            status=data.get("status") or "",
            reason_id=data["reason"].pk if data.get("reason") else None,
            owner_id=request.user.pk
            if owner == "me"
            else (int(owner) if owner.isdigit() else None),
            unassigned=owner == "none",
            source=data.get("source") or "",
            sla_breached=bool(data.get("sla")),
        )
    today = tenant_today(tenant)
    rows = selectors.deduction_queue(tenant=tenant, filters=filters, today=today)
    listing = list_page(request, rows, sortable=SORTABLE, default_sort="opened")
    return render(
        request,
        "deductions/queue.html",
        {
            "listing": listing,
            "form": form,
            "pending": selectors.pending_write_offs(tenant=tenant)[:20],
            "today": today,
            "can_resolve": can(request, Perm.DEDUCTIONS_RESOLVE),
        },
    )


def _get(request: HttpRequest, pk: int) -> Deduction:
    tenant = _tenant(request)
    deduction = selectors.deduction_get(tenant=tenant, deduction_id=pk, today=tenant_today(tenant))
    if deduction is None:
        raise Http404
    return deduction


def _detail_context(request: HttpRequest, deduction: Deduction, **forms: Any) -> dict[str, Any]:
    tenant = _tenant(request)
    allowed = sorted(
        target
        for target in services.MANUAL_TARGETS
        if services.can_transition(deduction.status, target)
    )
    invoice = (
        Invoice.objects.for_tenant(tenant).filter(open_item_id=deduction.invoice_item_id).first()
    )
    payment_item = deduction.payment_item
    payment_id = (
        payment_item.source_id
        if payment_item is not None and payment_item.source_type == "collections_app.payment"
        else None
    )
    context = {
        "deduction": deduction,
        "invoice": invoice,
        "payment_id": payment_id,
        "resolutions": selectors.deduction_resolutions(tenant=tenant, deduction=deduction),
        "attachments": selectors.deduction_attachments(tenant=tenant, deduction=deduction),
        "timeline": selectors.deduction_timeline(tenant=tenant, deduction=deduction),
        "can_resolve": can(request, Perm.DEDUCTIONS_RESOLVE),
        "resolvable": deduction.status in ("valid", "invalid"),
        "assign_form": AssignForm(
            owners=_owners(tenant),
            initial={"owner": deduction.owner_id or "", "owner_team": deduction.owner_team},
        ),
        "transition_form": TransitionForm(allowed=allowed),
        "reason_form": ReasonForm(
            reasons=_reasons(tenant), initial={"reason": deduction.reason_id}
        ),
        "resolve_form": ResolveForm(
            initial={
                "amount_1": deduction.open_amount,
                "idempotency_key": uuid.uuid4().hex,
            }
        ),
        "attachment_form": AttachmentForm(),
        "allowed": allowed,
    }
    context.update(forms)
    return context


@require_perm(Perm.DEDUCTIONS_VIEW)
def figures(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    return render(
        request,
        "deductions/figures.html",
        {
            "figures": selectors.deduction_figures(tenant=tenant, today=tenant_today(tenant)),
            "returns_refunds": return_refund_counts(tenant=tenant),
        },
    )


@require_perm(Perm.DEDUCTIONS_VIEW)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    deduction = _get(request, pk)
    return render(request, "deductions/detail.html", _detail_context(request, deduction))


def _rerender(request: HttpRequest, pk: int, **forms: Any) -> HttpResponse:
    deduction = _get(request, pk)
    context = _detail_context(request, deduction, **forms)
    return render(request, "deductions/detail.html", context, status=422)


@require_POST
@require_perm(Perm.DEDUCTIONS_RESOLVE)
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:  # noqa: PLR0911, PLR0912, PLR0915
    """Every button of the detail page: assign, transition, reason, resolve,
    attach, approve or reject a waiting write-off."""
    tenant, actor = _tenant(request), _actor(request)
    deduction = _get(request, pk)
    try:
        if name == "assign":
            form: Any = AssignForm(request.POST, owners=_owners(tenant))
            if not form.is_valid():
                return _rerender(request, pk, assign_form=form)
            owner = form.cleaned_data["owner"]
            services.deduction_assign(
                tenant=tenant,
                actor=actor,
                deduction_id=pk,
                owner_id=int(owner) if owner else None,
                owner_team=form.cleaned_data["owner_team"] or None,
            )
            messages.success(request, "Owner saved.")
        elif name == "transition":
            allowed = list(services.MANUAL_TARGETS)
            form = TransitionForm(request.POST, allowed=allowed)
            if not form.is_valid():
                return _rerender(request, pk, transition_form=form)
            services.deduction_transition(
                tenant=tenant,
                actor=actor,
                deduction_id=pk,
                target=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, "Status changed.")
        elif name == "reason":
            form = ReasonForm(request.POST, reasons=_reasons(tenant))
            if not form.is_valid():
                return _rerender(request, pk, reason_form=form)
            services.deduction_set_reason(
                tenant=tenant,
                actor=actor,
                deduction_id=pk,
                reason_id=form.cleaned_data["reason"].pk,
            )
            messages.success(request, "Reason saved; the customer's claim code is learned.")
        elif name == "resolve":
            form = ResolveForm(request.POST)
            parts = form.parts() if form.is_valid() else []
            if not form.is_valid():
                return _rerender(request, pk, resolve_form=form)
            note = form.cleaned_data["note"]
            try:
                rows = services.deduction_resolve(
                    tenant=tenant,
                    actor=actor,
                    deduction_id=pk,
                    parts=[
                        services.ResolutionPart(kind=kind, amount=amount, note=note)
                        for kind, amount in parts
                    ],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except ValidationFailed as error:
                apply_errors(form, error)
                return _rerender(request, pk, resolve_form=form)
            waiting = [r for r in rows if r.status == "pending_approval"]
            if waiting:
                messages.warning(
                    request,
                    "The write-off is above your approval limit: it waits for a manager.",
                )
            else:
                messages.success(request, "Resolution posted.")
        elif name == "attach":
            form = AttachmentForm(request.POST, request.FILES)
            if not form.is_valid():
                return _rerender(request, pk, attachment_form=form)
            try:
                services.deduction_attachment_add(
                    tenant=tenant,
                    actor=actor,
                    deduction_id=pk,
                    upload=form.cleaned_data["file"],
                    description=form.cleaned_data["description"],
                )
            except ValidationFailed as error:
                apply_errors(form, error)
                return _rerender(request, pk, attachment_form=form)
            messages.success(request, "Attached.")
        elif name in ("approve", "reject"):
            resolution_id = request.POST.get("resolution", "")
            if not resolution_id.isdigit():
                raise Http404
            decide = (
                services.deduction_write_off_approve
                if name == "approve"
                else services.deduction_write_off_reject
            )
            row = decide(tenant=tenant, actor=actor, resolution_id=int(resolution_id))
            if row.deduction_id != deduction.pk:
                raise Http404
            messages.success(
                request, f"Write-off {'approved' if name == 'approve' else 'rejected'}."
            )
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect("deductions:detail", pk=pk)


@require_perm(Perm.DEDUCTIONS_VIEW)
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    try:
        attachment = services.deduction_attachment_get(
            tenant=_tenant(request), deduction_id=pk, attachment_id=attachment_id
        )
    except NotFound:
        raise Http404 from None
    response: HttpResponse = FileResponse(  # type: ignore[assignment]
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
    return response


@require_perm(Perm.DEDUCTIONS_RESOLVE)
def dispute(request: HttpRequest) -> HttpResponse:
    """Raise a dispute on an invoice (or one of its lines) by hand."""
    tenant = _tenant(request)
    form = DisputeForm(
        request.POST or None,
        reasons=_reasons(tenant),
        initial={"invoice_number": request.GET.get("invoice", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invoice = (
            Invoice.objects.for_tenant(tenant).filter(number=data["invoice_number"].strip()).first()
        )
        line_id = None
        if invoice is None:
            form.add_error("invoice_number", "No issued invoice has this number.")
        elif data.get("line_position"):
            line = (
                InvoiceLine.objects.for_tenant(tenant)
                .filter(invoice=invoice, position=data["line_position"])
                .first()
            )
            if line is None:
                form.add_error("line_position", f"{invoice} has no line {data['line_position']}.")
            else:
                line_id = line.pk
        if invoice is not None and not form.errors:
            try:
                deduction = services.deduction_raise_dispute(
                    tenant=tenant,
                    actor=_actor(request),
                    invoice_id=invoice.pk,
                    invoice_line_id=line_id,
                    amount=data.get("amount"),
                    reason_id=data["reason"].pk if data.get("reason") else None,
                    claim_code=data.get("claim_code") or "",
                    note=data.get("note") or "",
                )
            except ValidationFailed as error:
                apply_errors(form, error)
            except DomainError as error:
                form.add_error(None, error.detail)
            else:
                messages.success(request, "Dispute raised: the amount is off the invoice.")
                return redirect("deductions:detail", pk=deduction.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "deductions/dispute.html", {"form": form}, status=status)


@require_perm(Perm.DEDUCTIONS_VIEW)
def reason_codes(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    reasons = _reasons(tenant)
    codes = [(reason.code, f"{reason.code} {reason.name}") for reason in reasons]
    policy = services.deduction_policy_get(tenant=tenant)
    reason_form = ReasonCodeForm()
    mapping_form = MappingForm(reasons=reasons)
    policy_form = PolicyForm(
        codes=codes,
        initial={
            "auto_write_off_limit": policy.auto_write_off_limit,
            "auto_write_off_reasons": policy.auto_write_off_reasons,
        },
    )
    failed = False
    if request.method == "POST":
        if not can(request, Perm.DEDUCTIONS_RESOLVE):
            raise Http404
        actor, which = _actor(request), request.POST.get("form")
        try:
            if which == "reason":
                reason_form = ReasonCodeForm(request.POST)
                if reason_form.is_valid():
                    services.reason_code_create(
                        tenant=tenant, actor=actor, **reason_form.cleaned_data
                    )
                    messages.success(request, "Reason code added.")
                    return redirect("deductions:reason_codes")
            elif which == "mapping":
                mapping_form = MappingForm(request.POST, reasons=reasons)
                if mapping_form.is_valid():
                    data = mapping_form.cleaned_data
                    services.reason_mapping_set(
                        tenant=tenant,
                        actor=actor,
                        source=data["source"],
                        pattern=data["pattern"],
                        reason=data["reason"],
                    )
                    messages.success(request, "Mapping saved.")
                    return redirect("deductions:reason_codes")
            elif which == "delete-mapping":
                mapping_id = request.POST.get("mapping", "")
                if mapping_id.isdigit():
                    services.reason_mapping_delete(
                        tenant=tenant, actor=actor, mapping_id=int(mapping_id)
                    )
                messages.success(request, "Mapping removed.")
                return redirect("deductions:reason_codes")
            elif which == "policy":
                policy_form = PolicyForm(request.POST, codes=codes)
                if policy_form.is_valid():
                    services.deduction_policy_update(
                        tenant=tenant,
                        actor=actor,
                        auto_write_off_limit=policy_form.cleaned_data["auto_write_off_limit"]
                        or Decimal(0),
                        reason_codes=policy_form.cleaned_data["auto_write_off_reasons"],
                    )
                    messages.success(request, "Auto write-off rule saved.")
                    return redirect("deductions:reason_codes")
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.detail)
        failed = True
    return render(
        request,
        "deductions/reason_codes.html",
        {
            "reasons": selectors.reason_code_list(tenant=tenant),
            "mappings": selectors.reason_mapping_list(tenant=tenant),
            "policy": policy,
            "reason_form": reason_form,
            "mapping_form": mapping_form,
            "policy_form": policy_form,
            "can_edit": can(request, Perm.DEDUCTIONS_RESOLVE),
        },
        status=422 if failed else 200,
    )
