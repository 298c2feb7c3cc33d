"""HTML pages of invoicing: thin views that validate with a form, call the
same services the API calls, and show the result. The line editor adds and
removes rows and recomputes totals on the server (htmx), with the rounding
rule of ``invoicing.totals``."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from invoicing import document_views, selectors, services
from invoicing.forms import (
    CancelForm,
    CreditMemoForm,
    ImportForm,
    InvoiceFilterForm,
    InvoiceForm,
    IssueForm,
    LineForm,
    line_formset,
    posted_rows,
    row_preview,
)
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceOrigin, InvoiceStatus
from invoicing.services.imports import IMPORT_COLUMNS, ImportFailed, open_invoices_import
from invoicing.totals import Totals, compute_totals
from otc.audit.selectors import audit_change_rows
from otc.audit.services import Actor
from otc.customers.selectors import customer_get, customer_list
from otc.errors import DomainError, NotFound, ValidationFailed
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

SORTABLE = {
    "number": ("Number", "number"),
    "customer": ("Customer", "customer__legal_name"),
    "issued": ("Issue date", "issue_date"),
    "due": ("Due", "due_date"),
    "gross": ("Amount", "gross_amount"),
    "open": ("Open", "open_amount_now"),
    "status": ("Status", "status"),
}
# Service error keys that belong to a differently named form field.
_FORM_FIELD = {"customer": "customer_number", "related_invoice": None}
_BLANK_LINE = {"unit": "C62", "tax_category": "S"}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _invoice_or_404(request: HttpRequest, pk: int) -> Invoice:
    try:
        return selectors.invoice_get(tenant=_tenant(request), invoice_id=pk)
    except NotFound:
        # Another tenant's invoice is exactly as absent as one that never was.
        raise Http404("No such invoice.") from None


# --- list ----------------------------------------------------------------------------


@require_GET
@require_perm(Perm.INVOICES_VIEW)
def invoice_list(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = InvoiceFilterForm(request.GET, currencies=selectors.invoice_currencies(tenant=tenant))
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "q": data["q"],
            "customer_query": data["customer"],
            "kind": data["kind"] or None,
            "status": data["status"],
            "currency": data["currency"],
            "due_after": data["due_after"],
            "due_before": data["due_before"],
            "overdue": {"yes": True, "no": False}.get(data["overdue"]),
        }
    invoices = selectors.invoice_list(tenant=tenant, **filters)
    listing = list_page(request, invoices, sortable=SORTABLE, default_sort="-issued")
    return render(
        request,
        "invoicing/invoice_list.html",
        {
            "form": form,
            "listing": listing,
            "totals": selectors.invoice_totals_by_currency(invoices=invoices),
            "is_filtered": any(value not in (None, "") for value in filters.values()),
            "today": tenant_today(tenant),
            "can_edit": can(request, Perm.INVOICES_EDIT),
        },
    )


# --- the line editor -----------------------------------------------------------------


def _preview(rows: list[dict[str, str]], currency: str) -> tuple[list[Decimal | None], Totals]:
    """Each typed row's net (None when its numbers do not read) and the
    totals of the rows that do, by the one rounding rule."""
    lines = [row_preview(row) for row in rows]
    priced = [line for line in lines if line is not None]
    totals = compute_totals(priced, currency=currency)
    nets = iter(totals.line_nets)
    return [next(nets) if line is not None else None for line in lines], totals


def _editor_context(
    rows: list[dict[str, str]], currency: str, formset: Any = None, *, show_errors: bool = False
) -> dict[str, Any]:
    nets, totals = _preview(rows, currency)
    if formset is None:
        formset = line_formset(initial=rows)
    return {
        "line_rows": list(zip(formset.forms, nets, strict=True)),
        "total_forms": len(rows),
        "totals": totals,
        "currency": currency,
        "incomplete": any(net is None for net in nets) and any(any(r.values()) for r in rows),
        "show_errors": show_errors,
    }


def _currency_for(request: HttpRequest, data: Any, invoice: Invoice | None = None) -> str:
    """The currency the editor prices in: the one chosen, else the invoice's,
    else the customer's, else the tenant's base currency."""
    tenant = _tenant(request)
    chosen = str(data.get("currency", "") if data is not None else "").upper()
    if chosen:
        return chosen
    if invoice is not None:
        return str(invoice.currency)
    number = str(data.get("customer_number", "") if data is not None else "").split(" — ")[0]
    customer = customer_list(tenant=tenant).filter(number=number.strip()).first()
    return str(customer.currency) if customer else str(tenant.base_currency)


@require_POST
@require_perm(Perm.INVOICES_EDIT)
def line_editor(request: HttpRequest) -> HttpResponse:
    """htmx: add a row (`action=add`) or remove one (`action=remove&index=N`)
    and answer the editor re-rendered, with the totals out of band."""
    rows = posted_rows(request.POST)
    action = request.GET.get("action", "")
    if action == "add" and len(rows) < 1000:
        last = rows[-1] if rows else {}
        rows.append(
            {
                **_BLANK_LINE,
                "tax_category": last.get("tax_category") or "S",
                "tax_rate": last.get("tax_rate", ""),
            }
        )
    elif action == "remove":
        with contextlib.suppress(ValueError, IndexError):
            del rows[int(request.GET.get("index", ""))]
    invoice = None
    if request.POST.get("invoice_id", "").isdigit():
        invoice = (
            selectors.invoice_list(tenant=_tenant(request))
            .filter(pk=int(request.POST["invoice_id"]))
            .first()
        )
    currency = _currency_for(request, request.POST, invoice)
    return render(
        request,
        "invoicing/_line_editor.html",
        {**_editor_context(rows, currency), "oob_totals": True},
    )


@require_POST
@require_perm(Perm.INVOICES_EDIT)
def line_preview(request: HttpRequest) -> HttpResponse:
    """htmx: the totals for what is typed now, plus each row's net out of band."""
    rows = posted_rows(request.POST)
    invoice = None
    if request.POST.get("invoice_id", "").isdigit():
        invoice = (
            selectors.invoice_list(tenant=_tenant(request))
            .filter(pk=int(request.POST["invoice_id"]))
            .first()
        )
    currency = _currency_for(request, request.POST, invoice)
    return render(
        request,
        "invoicing/_totals.html",
        {**_editor_context(rows, currency), "oob_nets": True},
    )


# --- drafts ------------------------------------------------------------------------


def _show_errors(form: forms.Form, formset: Any, error: DomainError) -> None:
    """A service's field errors on the fields (and line rows) they belong to."""
    if not isinstance(error, ValidationFailed) or not error.errors:
        form.add_error(None, error.detail)
        return
    for key, texts in error.errors.items():
        for text in texts:
            if key.startswith("lines["):
                index_text, _, field = key[len("lines[") :].partition("].")
                try:
                    line_form = formset.forms[int(index_text)]
                except (ValueError, IndexError):
                    form.add_error(None, text)
                    continue
                line_form.add_error(field if field in line_form.fields else None, text)
            else:
                field_name = _FORM_FIELD.get(key, key)
                if field_name and field_name in form.fields:
                    form.add_error(field_name, text)
                else:
                    form.add_error(None, f"{key.replace('_', ' ')}: {text}" if key else text)


def _filled_forms(formset: Any) -> list[LineForm]:
    """Rows someone typed into; untouched blank rows are ignored."""
    return [f for f in formset.forms if f.has_changed() and f.is_valid() and f.cleaned_data]


def _header_kwargs(form: InvoiceForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "currency": data["currency"] or None,
        "issue_date": data["issue_date"],
        "payment_terms": data["payment_terms"],
        "due_date": data["due_date"],
        "po_number": data["po_number"],
        "buyer_reference": data["buyer_reference"],
        "external_ref": data["external_ref"] or None,
        "series": data["series"] or None,
        "notes": data["notes"],
    }


def _line_rows(lines: list[InvoiceLine]) -> list[dict[str, str]]:
    return [
        {
            "description": line.description,
            "product_code": line.product_code,
            "quantity": f"{line.quantity.normalize():f}",
            "unit": line.unit,
            "unit_price": f"{line.unit_price.normalize():f}",
            "discount_percent": (
                f"{line.discount_percent.normalize():f}" if line.discount_percent else ""
            ),
            "tax_category": line.tax_category,
            "tax_rate": f"{line.tax_rate.normalize():f}",
            "order_line": str(line.order_line_id or ""),
        }
        for line in lines
    ]


def _form_page(
    request: HttpRequest,
    *,
    form: InvoiceForm,
    rows: list[dict[str, str]],
    formset: Any,
    invoice: Invoice | None,
    show_errors: bool,
) -> HttpResponse:
    currency = _currency_for(request, request.POST if request.method == "POST" else None, invoice)
    customers = customer_list(tenant=_tenant(request)).exclude(status="closed").order_by("number")
    return render(
        request,
        "invoicing/invoice_form.html",
        {
            "form": form,
            "invoice": invoice,
            "customers": customers[:2000],
            **_editor_context(rows, currency, formset, show_errors=show_errors),
        },
    )


@require_perm(Perm.INVOICES_EDIT)
def invoice_create(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    initial: dict[str, Any] = {"kind": InvoiceKind.INVOICE}
    if request.GET.get("kind") == InvoiceKind.DEBIT_MEMO:
        initial["kind"] = InvoiceKind.DEBIT_MEMO
    if request.GET.get("customer", "").isdigit():
        try:
            customer = customer_get(tenant=tenant, customer_id=request.GET["customer"])
        except NotFound:
            pass
        else:
            initial["customer_number"] = customer.number
    form = InvoiceForm(request.POST or None, tenant=tenant, initial=initial)
    if request.method != "POST":
        rows = [dict(_BLANK_LINE)]
        return _form_page(
            request, form=form, rows=rows, formset=None, invoice=None, show_errors=False
        )
    formset = line_formset(request.POST)
    rows = posted_rows(request.POST)
    if form.is_valid() and formset.is_valid():
        try:
            invoice = services.invoice_create_draft(
                tenant=tenant,
                actor=Actor.from_request(request),
                customer=form.cleaned_data["customer_number"],
                kind=InvoiceKind(form.cleaned_data["kind"]),
                lines=[line_form.line_input() for line_form in _filled_forms(formset)],
                origin=InvoiceOrigin.MANUAL,
                **_header_kwargs(form),
            )
        except DomainError as error:
            _show_errors(form, formset, error)
        else:
            messages.success(request, "Draft saved.")
            if "save_and_issue" in request.POST:
                return redirect("invoicing:issue", pk=invoice.pk)
            return redirect("invoicing:detail", pk=invoice.pk)
    return _form_page(
        request, form=form, rows=rows, formset=formset, invoice=None, show_errors=True
    )


@require_perm(Perm.INVOICES_EDIT)
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    if not invoice.is_draft:
        messages.error(
            request,
            f"{invoice} is {invoice.status_label.lower()}: only drafts can be changed. "
            "Correct it with a credit or debit memo.",
        )
        return redirect("invoicing:detail", pk=invoice.pk)
    form = InvoiceForm(
        request.POST or None,
        tenant=tenant,
        current_terms=invoice.payment_terms,
        with_kind=False,
        initial={
            "customer_number": invoice.customer.number,
            "currency": invoice.currency,
            "issue_date": invoice.issue_date,
            "payment_terms": invoice.payment_terms_id,
            "due_date": invoice.due_date if invoice.due_date_manual else None,
            "po_number": invoice.po_number,
            "buyer_reference": invoice.buyer_reference,
            "external_ref": invoice.external_ref or "",
            "series": invoice.series,
            "notes": invoice.notes,
        },
    )
    if request.method != "POST":
        rows = _line_rows(selectors.invoice_lines(tenant=tenant, invoice=invoice)) or [
            dict(_BLANK_LINE)
        ]
        return _form_page(
            request, form=form, rows=rows, formset=None, invoice=invoice, show_errors=False
        )
    formset = line_formset(request.POST)
    rows = posted_rows(request.POST)
    if form.is_valid() and formset.is_valid():
        header = _header_kwargs(form)
        customer = form.cleaned_data["customer_number"]
        try:
            services.invoice_update_draft(
                tenant=tenant,
                actor=Actor.from_request(request),
                invoice=invoice,
                data=services.InvoiceFields(
                    customer=customer,
                    currency=header["currency"] or str(customer.currency),
                    issue_date=header["issue_date"],
                    payment_terms=header["payment_terms"] or customer.payment_terms,
                    due_date=header["due_date"],
                    po_number=header["po_number"],
                    buyer_reference=header["buyer_reference"],
                    external_ref=header["external_ref"],
                    series=header["series"] or invoice.series,
                    notes=header["notes"],
                ),
                lines=[line_form.line_input() for line_form in _filled_forms(formset)],
            )
        except DomainError as error:
            _show_errors(form, formset, error)
        else:
            messages.success(request, "Draft saved.")
            if "save_and_issue" in request.POST:
                return redirect("invoicing:issue", pk=invoice.pk)
            return redirect("invoicing:detail", pk=invoice.pk)
    return _form_page(
        request, form=form, rows=rows, formset=formset, invoice=invoice, show_errors=True
    )


# --- detail ---------------------------------------------------------------------------


@require_GET
@require_perm(Perm.INVOICES_VIEW)
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    lines = selectors.invoice_lines(tenant=tenant, invoice=invoice)
    memos = selectors.invoice_memos(tenant=tenant, invoice=invoice)
    events = selectors.invoice_audit_events(tenant=tenant, invoice=invoice)
    today = tenant_today(tenant)
    open_amounts = selectors.document_open_amounts(invoice=invoice)
    installments = selectors.invoice_installment_rows(tenant=tenant, invoice=invoice)
    is_open = invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
    # Overdue since the earliest installment still open is due (the first
    # installment's date, the invoice's due date, may be paid already).
    open_due = [row.due_date for row in installments if row.open_amount]
    due_date = open_due[0] if open_due else invoice.due_date
    overdue_days = (today - due_date).days if is_open and due_date and due_date < today else 0
    credited = sum(
        (m.gross_amount for m in memos if m.kind == InvoiceKind.CREDIT_MEMO and not m.is_draft),
        Decimal(0),
    )
    can_edit = can(request, Perm.INVOICES_EDIT)
    creditable = invoice.kind != InvoiceKind.CREDIT_MEMO and invoice.status in (
        InvoiceStatus.ISSUED,
        InvoiceStatus.PARTIALLY_PAID,
        InvoiceStatus.PAID,
    )
    return render(
        request,
        "invoicing/invoice_detail.html",
        {
            "invoice": invoice,
            "lines": lines,
            "tax_summary": selectors.invoice_tax_summary(
                lines=lines, currency=str(invoice.currency)
            ),
            "memos": memos,
            "applications": selectors.invoice_applications(tenant=tenant, invoice=invoice),
            "events": [(event, audit_change_rows(event=event)) for event in events],
            "open_amount": open_amounts[0] if open_amounts else None,
            "open_base_amount": open_amounts[1] if open_amounts else None,
            "installments": installments,
            "overdue_since": due_date,
            "overdue_days": overdue_days,
            "credited": credited,
            "can_edit": can_edit,
            "can_issue": can_edit and invoice.is_draft,
            "can_cancel": can_edit
            and (
                invoice.is_draft
                or (
                    is_open
                    and invoice.kind != InvoiceKind.CREDIT_MEMO
                    and not credited
                    and bool(lines)
                )
            ),
            "can_credit": can_edit and creditable and credited < invoice.gross_amount,
            "can_view_audit": can(request, Perm.AUDIT_VIEW),
            **document_views.documents_context(request, invoice),
            **document_views.deliveries_context(request, invoice),
        },
    )


# --- actions ------------------------------------------------------------------------


@require_perm(Perm.INVOICES_EDIT)
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (GET) and the issue itself (POST)."""
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    if not invoice.is_draft:
        messages.error(request, f"{invoice} is {invoice.status_label.lower()}: it is issued once.")
        return redirect("invoicing:detail", pk=invoice.pk)
    form = IssueForm(
        request.POST or None, initial={"issue_date": invoice.issue_date or tenant_today(tenant)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_issue(
                tenant=tenant,
                actor=Actor.from_request(request),
                invoice=invoice,
                issue_date=form.cleaned_data["issue_date"],
            )
        except DomainError as error:
            _show_errors(form, line_formset(), error)
        else:
            messages.success(request, f"Issued as {invoice.number}.")
            return redirect("invoicing:detail", pk=invoice.pk)
    return render(
        request,
        "invoicing/issue_confirm.html",
        {
            "invoice": invoice,
            "form": form,
            "line_count": len(selectors.invoice_lines(tenant=tenant, invoice=invoice)),
        },
    )


@require_perm(Perm.INVOICES_EDIT)
def invoice_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page (GET) and the cancellation (POST): a draft is
    discarded, an issued invoice cancelled by its full credit memo."""
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    # An empty reason is a valid POST: bind the form to it anyway.
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_cancel(
                tenant=tenant,
                actor=Actor.from_request(request),
                invoice=invoice,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            messages.error(request, error.detail)
        else:
            if invoice.cancellation_memo_id:
                memo = invoice.cancellation_memo
                messages.success(
                    request, f"{invoice} is cancelled by credit memo {memo.number if memo else ''}."
                )
            else:
                messages.success(request, f"Draft {invoice.display_number} discarded.")
        return redirect("invoicing:detail", pk=invoice.pk)
    open_amounts = selectors.document_open_amounts(invoice=invoice)
    return render(
        request,
        "invoicing/cancel_confirm.html",
        {
            "invoice": invoice,
            "form": form,
            "open_amount": open_amounts[0] if open_amounts else None,
            "line_count": len(selectors.invoice_lines(tenant=tenant, invoice=invoice)),
            "is_allowed": invoice.is_draft
            or (
                invoice.kind != InvoiceKind.CREDIT_MEMO
                and invoice.status in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)
            ),
        },
    )


@require_perm(Perm.INVOICES_EDIT)
def credit_memo_create(request: HttpRequest, pk: int) -> HttpResponse:
    tenant = _tenant(request)
    invoice = _invoice_or_404(request, pk)
    form = CreditMemoForm(request.POST or None, initial={"issue": True})
    lines = selectors.invoice_lines(tenant=tenant, invoice=invoice)
    currency = str(invoice.currency)
    if request.method != "POST":
        rows = _line_rows(lines) or [dict(_BLANK_LINE)]
        formset = None
    else:
        rows = posted_rows(request.POST)
        formset = line_formset(request.POST)
        if form.is_valid() and formset.is_valid():
            try:
                memo = services.credit_memo_create(
                    tenant=tenant,
                    actor=Actor.from_request(request),
                    related_invoice=invoice,
                    lines=[line_form.line_input() for line_form in _filled_forms(formset)],
                    issue=form.cleaned_data["issue"],
                    issue_date=form.cleaned_data["issue_date"],
                    notes=form.cleaned_data["notes"],
                )
            except DomainError as error:
                _show_errors(form, formset, error)
            else:
                what = f"Credit memo {memo.number}" if memo.number else "Draft credit memo"
                messages.success(request, f"{what} for {invoice.number} saved.")
                return redirect("invoicing:detail", pk=memo.pk)
    return render(
        request,
        "invoicing/credit_memo_form.html",
        {
            "invoice": invoice,
            "form": form,
            **_editor_context(rows, currency, formset, show_errors=formset is not None),
        },
    )


# --- go-live import -----------------------------------------------------------------


@require_perm(Perm.INVOICES_EDIT)
def invoice_import(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    problems = None
    if request.method == "POST" and form.is_valid():
        try:
            result = open_invoices_import(
                tenant=tenant,
                actor=Actor.from_request(request),
                content=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except ImportFailed as error:
            problems = error.problems
        except DomainError as error:
            form.add_error(None, error.detail)
        else:
            if form.cleaned_data["dry_run"]:
                messages.success(
                    request,
                    f"The file is fine: {result.created} invoices would be imported, "
                    f"{result.existing} were imported before. Nothing was written.",
                )
                return redirect("invoicing:import")
            messages.success(
                request,
                f"Imported {result.created} open invoices; {result.existing} were imported "
                "before and were skipped.",
            )
            return redirect("invoicing:list")
    return render(
        request,
        "invoicing/import.html",
        {"form": form, "problems": problems, "columns": IMPORT_COLUMNS},
    )
