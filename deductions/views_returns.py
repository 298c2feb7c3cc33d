"""HTML pages of returns (RMA) and refunds: the lists, one return with its
actions (authorise, receive, credit, close with refund or credit on account,
cancel), a new return from an invoice, one refund with approve/reject, a new
refund of open credit, and the SEPA transfer files. Views validate with a
form and call the same services as the API."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from credit.services.common import format_money
from deductions import selectors_returns as selectors
from deductions import services
from deductions.forms import apply_errors
from deductions.forms_returns import (
    CancelForm,
    CloseForm,
    DecisionForm,
    ExportForm,
    ReceiveForm,
    RefundFilterForm,
    RefundNewForm,
    ReturnFilterForm,
    ReturnNewForm,
)
from deductions.models import ReasonCode, Refund, ReturnAuthorisation, ReturnStatus
from invoicing.models import Invoice
from otc.audit.services import Actor
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

RETURN_SORTABLE = {
    "opened": ("Opened", "created_at"),
    "number": ("Return", "number"),
    "customer": ("Customer", "customer__legal_name"),
    "status": ("Status", "status"),
}
REFUND_SORTABLE = {
    "opened": ("Requested", "created_at"),
    "number": ("Refund", "number"),
    "customer": ("Customer", "customer__legal_name"),
    "value": ("Amount", "amount"),
    "status": ("Status", "status"),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _actor(request: HttpRequest) -> Actor:
    return Actor.from_request(request)


def _reasons(tenant: Tenant) -> Any:
    services.reason_codes_ensure(tenant=tenant)
    return ReasonCode.objects.for_tenant(tenant).filter(is_active=True).order_by("code")


# --- returns ------------------------------------------------------------------------------


@require_perm(Perm.DEDUCTIONS_VIEW)
def return_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = ReturnFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.return_list(
        tenant=tenant, status=data.get("status") or "", search=data.get("search") or ""
    )
    return render(
        request,
        "deductions/returns_list.html",
        {
            "listing": list_page(request, rows, sortable=RETURN_SORTABLE, default_sort="-opened"),
            "form": form,
            "can_resolve": can(request, Perm.DEDUCTIONS_RESOLVE),
        },
    )


def _new_return_form(request: HttpRequest, invoice: Invoice, data: Any = None) -> ReturnNewForm:
    tenant = _tenant(request)
    return ReturnNewForm(
        data,
        lines=selectors.returnable_lines(tenant=tenant, invoice=invoice),
        reasons=_reasons(tenant),
        initial={
            "idempotency_key": uuid.uuid4().hex,
            "reason": services.reason_code_by_code(tenant=tenant, code="RETURNS"),
        },
    )


@require_perm(Perm.DEDUCTIONS_RESOLVE)
def return_new(request: HttpRequest) -> HttpResponse:
    """A new return for the invoice named in ?invoice= (its id)."""
    tenant = _tenant(request)
    invoice_id = request.GET.get("invoice", "")
    invoice = (
        Invoice.objects.for_tenant(tenant).select_related("customer").filter(pk=invoice_id).first()
        if invoice_id.isdigit()
        else None
    )
    if invoice is None:
        raise Http404
    form = _new_return_form(request, invoice, request.POST or None)
    if request.method == "POST" and form.is_valid():
        lines = form.line_inputs()
        try:
            rma = services.return_request(
                tenant=tenant,
                actor=_actor(request),
                invoice_id=invoice.pk,
                reason_id=form.cleaned_data["reason"].pk,
                lines=lines,
                note=form.cleaned_data["note"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ValidationFailed as error:
            for key, texts in error.errors.items():
                index = key.removeprefix("lines[").split("]")[0]
                field = (
                    f"qty_{lines[int(index)].invoice_line_id}"
                    if key.startswith("lines[") and index.isdigit() and int(index) < len(lines)
                    else None
                )
                for text in texts:
                    form.add_error(field, text)
            if not error.errors:
                form.add_error(None, error.detail)
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            messages.success(request, f"Return {rma.number} requested.")
            return redirect("deductions:return_detail", pk=rma.pk)
    return render(
        request,
        "deductions/return_new.html",
        {"form": form, "invoice": invoice},
        status=422 if request.method == "POST" else 200,
    )


def _get_return(request: HttpRequest, pk: int) -> ReturnAuthorisation:
    rma = selectors.return_get(tenant=_tenant(request), rma_id=pk)
    if rma is None:
        raise Http404
    return rma


def _return_context(request: HttpRequest, rma: ReturnAuthorisation, **forms: Any) -> dict[str, Any]:
    tenant = _tenant(request)
    lines = list(selectors.return_lines(tenant=tenant, rma=rma))
    context: dict[str, Any] = {
        "rma": rma,
        "lines": lines,
        "refunds": list(selectors.refund_list(tenant=tenant).filter(rma=rma)),
        "can_resolve": can(request, Perm.DEDUCTIONS_RESOLVE),
        "can": {
            target: services.can_transition_return(rma.status, target)
            for target in ("authorised", "received", "credited", "closed", "cancelled")
        },
        "receive_form": ReceiveForm(lines=lines),
        "close_form": CloseForm(initial={"settlement": "on_account"}),
        "cancel_form": CancelForm(),
    }
    context.update(forms)
    return context


@require_perm(Perm.DEDUCTIONS_VIEW)
def return_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rma = _get_return(request, pk)
    return render(request, "deductions/return_detail.html", _return_context(request, rma))


@require_POST
@require_perm(Perm.DEDUCTIONS_RESOLVE)
def return_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:  # noqa: PLR0912
    """Every button of the return page."""
    tenant, actor = _tenant(request), _actor(request)
    rma = _get_return(request, pk)
    form: Any = None
    try:
        if name == "authorise":
            services.return_authorise(tenant=tenant, actor=actor, rma_id=pk)
            messages.success(request, "Return authorised: the customer may send the goods.")
        elif name == "receive":
            lines = list(selectors.return_lines(tenant=tenant, rma=rma))
            form = ReceiveForm(request.POST, lines=lines)
            if form.is_valid():
                services.return_receive(
                    tenant=tenant,
                    actor=actor,
                    rma_id=pk,
                    lines=[
                        services.ReceiptLineInput(
                            return_line_id=row.pk,
                            accepted_quantity=form.cleaned_data[f"line_{row.pk}"],
                        )
                        for row in lines
                    ],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, "Goods received.")
        elif name == "credit":
            services.return_credit(tenant=tenant, actor=actor, rma_id=pk)
            messages.success(request, "Credit memo issued for the accepted goods.")
        elif name == "close":
            if rma.status == ReturnStatus.CREDITED:
                form = CloseForm(request.POST)
                if form.is_valid():
                    services.return_close(
                        tenant=tenant, actor=actor, rma_id=pk, **form.cleaned_data
                    )
                    messages.success(request, "Return closed.")
            else:
                services.return_close(tenant=tenant, actor=actor, rma_id=pk)
                messages.success(request, "Return closed.")
        elif name == "cancel":
            form = CancelForm(request.POST)
            if form.is_valid():
                services.return_cancel(
                    tenant=tenant, actor=actor, rma_id=pk, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "Return cancelled.")
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except ValidationFailed as error:
        if form is None:
            messages.error(request, error.detail)
        else:
            apply_errors(form, error)
    except DomainError as error:
        messages.error(request, error.detail)
    if form is not None and form.errors:
        context = _return_context(request, _get_return(request, pk), **{f"{name}_form": form})
        return render(request, "deductions/return_detail.html", context, status=422)
    return redirect("deductions:return_detail", pk=pk)


# --- refunds ------------------------------------------------------------------------------


@require_perm(Perm.DEDUCTIONS_VIEW)
def refund_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = RefundFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.refund_list(
        tenant=tenant, status=data.get("status") or "", search=data.get("search") or ""
    )
    return render(
        request,
        "deductions/refunds_list.html",
        {
            "listing": list_page(request, rows, sortable=REFUND_SORTABLE, default_sort="-opened"),
            "form": form,
            "export_form": ExportForm(initial={"idempotency_key": uuid.uuid4().hex}),
            "to_export": selectors.refund_list(tenant=tenant, status="approved")
            .filter(currency="EUR")
            .count(),
            "exports": selectors.refund_exports(tenant=tenant)[:10],
            "can_resolve": can(request, Perm.DEDUCTIONS_RESOLVE),
        },
    )


def _credit_choices(tenant: Tenant, search: str) -> list[tuple[int, str]]:
    return [
        (
            item.pk,
            " · ".join(
                (
                    item.customer.legal_name,
                    item.number,
                    item.get_kind_display(),
                    f"{format_money(-item.open_amount, item.currency)} open",
                )
            ),
        )
        for item in selectors.refundable_credit(tenant=tenant, search=search)[:200]
    ]


@require_perm(Perm.DEDUCTIONS_RESOLVE)
def refund_new(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    search = request.GET.get("q", "").strip()[:100]
    form = RefundNewForm(
        request.POST or None,
        credit=_credit_choices(tenant, search),
        initial={"idempotency_key": uuid.uuid4().hex, "credit_item": request.GET.get("item")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            refund = services.refund_request(
                tenant=tenant,
                actor=_actor(request),
                credit_item_id=data["credit_item"],
                amount=data["amount"],
                payee_iban=data["payee_iban"],
                payee_bic=data["payee_bic"],
                payee_name=data["payee_name"],
                note=data["note"],
                idempotency_key=data["idempotency_key"],
            )
        except NotFound:
            form.add_error("credit_item", "Choose open credit of this tenant.")
        except ValidationFailed as error:
            apply_errors(form, error)
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            if refund.status == "pending_approval":
                messages.warning(
                    request, "The refund is above your approval limit: it waits for a manager."
                )
            else:
                messages.success(request, "Refund approved and posted to the ledger.")
            return redirect("deductions:refund_detail", pk=refund.pk)
    return render(
        request,
        "deductions/refund_new.html",
        {"form": form, "search": search},
        status=422 if request.method == "POST" else 200,
    )


def _get_refund(request: HttpRequest, pk: int) -> Refund:
    refund = selectors.refund_get(tenant=_tenant(request), refund_id=pk)
    if refund is None:
        raise Http404
    return refund


@require_perm(Perm.DEDUCTIONS_VIEW)
def refund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    refund = _get_refund(request, pk)
    return render(
        request,
        "deductions/refund_detail.html",
        {
            "refund": refund,
            "decision_form": DecisionForm(),
            "can_resolve": can(request, Perm.DEDUCTIONS_RESOLVE),
            "waiting": refund.status == "pending_approval",
        },
    )


@require_POST
@require_perm(Perm.DEDUCTIONS_RESOLVE)
def refund_action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    tenant, actor = _tenant(request), _actor(request)
    _get_refund(request, pk)
    try:
        if name == "approve":
            services.refund_approve(tenant=tenant, actor=actor, refund_id=pk)
            messages.success(request, "Refund approved and posted to the ledger.")
        elif name == "reject":
            form = DecisionForm(request.POST)
            note = form.cleaned_data["note"] if form.is_valid() else ""
            services.refund_reject(tenant=tenant, actor=actor, refund_id=pk, note=note)
            messages.success(request, "Refund rejected: the credit is free again.")
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect("deductions:refund_detail", pk=pk)


@require_POST
@require_perm(Perm.DEDUCTIONS_RESOLVE)
def refund_export(request: HttpRequest) -> HttpResponse:
    """Write the transfer file for every approved EUR refund and show it."""
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the payment date as YYYY-MM-DD, or leave it empty.")
        return redirect("deductions:refund_list")
    try:
        export = services.refunds_export(
            tenant=_tenant(request),
            actor=_actor(request),
            execution_date=form.cleaned_data["execution_date"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("deductions:refund_list")
    messages.success(
        request, f"Transfer file {export.message_id} written: {export.count} refund(s)."
    )
    return redirect("deductions:refund_list")


@require_perm(Perm.DEDUCTIONS_VIEW)
def refund_export_file(request: HttpRequest, export_id: int) -> HttpResponse:
    try:
        export = services.refund_export_get(tenant=_tenant(request), export_id=export_id)
    except NotFound:
        raise Http404 from None
    response = HttpResponse(export.xml, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{export.message_id}.xml"'
    return response
