"""The cash application workbench for AR clerks (HTML).

- ``queue``: unapplied payments with filters, sorted and paginated, and the
  auto-match figures of the last 30 days;
- ``payment_detail``: one payment, its ranked candidates with explanations
  (accept in one click), manual allocation across several invoices with a
  running remainder (htmx), split to deduction / on account, unapply,
  returned payment, refund;
- ``statements`` / ``statement_detail`` / ``statement_upload``: imports and
  their lines with the match result.

Every action calls the same services as the API; a refused action shows the
service's sentence as a message.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collections_app import selectors, services
from collections_app.bank_files.types import BankFileFormat
from collections_app.models import CsvMappingProfile, PaymentStatus, ProposalStatus
from collections_app.services.imports import csv_mapping_for
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.customers.selectors import customer_get
from otc.errors import DomainError, NotFound
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.tenancy.roles import Perm
from otc.web.listing import list_page
from otc.web.permissions import can, require_perm

QUEUE_SORTABLE = {
    "date": ("Value date", "value_date"),
    "amount": ("Amount", "amount"),
    "confidence": ("Best match", "match_confidence"),
    "payer": ("Payer", "payer_name"),
}
QUEUE_STATUSES = [PaymentStatus.UNIDENTIFIED, PaymentStatus.UNAPPLIED]


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "To work on (unidentified, unapplied)"),
            *PaymentStatus.choices,
            ("all", "All"),
        ],
    )
    q = forms.CharField(required=False, label="Search", max_length=100)
    max_confidence = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        label="Best match up to",
        error_messages={"max_value": "Enter a confidence from 0 to 100."},
    )


@require_GET
@require_perm(Perm.CASH_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = QueueFilterForm(request.GET or None)
    status: Any = QUEUE_STATUSES
    search, max_confidence = "", None
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["status"]
        status = None if chosen == "all" else (chosen or QUEUE_STATUSES)
        search = form.cleaned_data["q"] or ""
        max_confidence = form.cleaned_data["max_confidence"]
    payments = selectors.payment_list(
        tenant=tenant, status=status, search=search, max_confidence=max_confidence
    )
    listing = list_page(request, payments, sortable=QUEUE_SORTABLE, default_sort="-date")
    today = tenant_today(tenant)
    metrics = selectors.cash_metrics(
        tenant=tenant, date_from=today - timedelta(days=30), date_to=today
    )
    return render(
        request,
        "collections_app/queue.html",
        {
            "form": form,
            "listing": listing,
            "metrics": metrics,
            "can_apply": can(request, Perm.CASH_APPLY),
        },
    )


def _payment_or_404(tenant: Tenant, payment_id: int) -> Any:
    try:
        return selectors.payment_get(tenant=tenant, payment_id=payment_id)
    except NotFound:
        raise Http404("No such payment.") from None


def _chosen_customer(request: HttpRequest, tenant: Tenant, payment: Any) -> Customer | None:
    raw = request.GET.get("customer") or request.POST.get("customer")
    if raw:
        try:
            return customer_get(tenant=tenant, customer_id=raw)
        except NotFound:
            return None
    return payment.customer


def _customer_choices(tenant: Tenant, search: str) -> list[Customer]:
    customers = Customer.objects.for_tenant(tenant).order_by("legal_name")
    if search:
        customers = customers.filter(legal_name__icontains=search) | customers.filter(
            number__iexact=search
        )
    return list(customers[:20])


@require_GET
@require_perm(Perm.CASH_VIEW)
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    tenant = _tenant(request)
    payment = _payment_or_404(tenant, payment_id)
    customer = _chosen_customer(request, tenant, payment)
    proposals = list(selectors.payment_proposals(tenant=tenant, payment=payment, open_only=True))
    history = [
        p
        for p in selectors.payment_proposals(tenant=tenant, payment=payment)
        if p.status in (ProposalStatus.APPLIED, ProposalStatus.REVERSED)
    ]
    items = (
        list(selectors.open_items_for_allocation(tenant=tenant, customer_id=customer.pk)[:200])
        if customer
        else []
    )
    return render(
        request,
        "collections_app/payment_detail.html",
        {
            "payment": payment,
            "proposals": proposals,
            "history": history,
            "allocations": list(selectors.payment_allocations(tenant=tenant, payment=payment)),
            "customer": customer,
            "customer_search": request.GET.get("customer_q", ""),
            "customer_choices": _customer_choices(tenant, request.GET.get("customer_q", ""))
            if request.GET.get("customer_q")
            else [],
            "items": items,
            "unapplied": _unapplied(payment),
            "is_open": payment.status
            in (
                PaymentStatus.UNIDENTIFIED,
                PaymentStatus.UNAPPLIED,
                PaymentStatus.PARTIALLY_APPLIED,
            ),
            "can_apply": can(request, Perm.CASH_APPLY),
        },
    )


def _unapplied(payment: Any) -> Decimal:
    if payment.open_item is not None:
        return Decimal(-payment.open_item.open_amount)
    return Decimal(payment.amount) if payment.status == PaymentStatus.UNIDENTIFIED else Decimal(0)


def _back(payment_id: int) -> HttpResponse:
    return redirect("cash:payment_detail", payment_id=payment_id)


@require_POST
@require_perm(Perm.CASH_APPLY)
def proposal_accept(request: HttpRequest, payment_id: int, proposal_id: int) -> HttpResponse:
    tenant = _tenant(request)
    payment = _payment_or_404(tenant, payment_id)
    try:
        proposal = selectors.proposal_get(tenant=tenant, payment=payment, proposal_id=proposal_id)
        applied = services.proposal_apply(
            tenant=tenant, actor=Actor.from_request(request), proposal_id=proposal.pk
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"Applied: {applied.explanation}")
        for learned in applied.learned:
            messages.info(request, learned)
    return _back(payment.pk)


def _decimal(raw: str) -> Decimal | None:
    raw = (raw or "").strip().replace(",", ".")
    if not raw:
        return Decimal(0)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _read_lines(request: HttpRequest) -> tuple[list[services.ManualLine], list[str]]:
    lines: list[services.ManualLine] = []
    problems: list[str] = []
    for key in request.POST:
        if not key.startswith("amount_"):
            continue
        item_id = key.removeprefix("amount_")
        if not item_id.isdigit():
            continue
        amount = _decimal(request.POST.get(key, ""))
        deduction = _decimal(request.POST.get(f"deduction_{item_id}", ""))
        payment_amount = _decimal(request.POST.get(f"paid_{item_id}", ""))
        if amount is None or deduction is None or payment_amount is None:
            problems.append(f"Enter amounts as numbers like 1250.00 (line for item {item_id}).")
            continue
        if amount == 0 and deduction == 0:
            continue
        lines.append(
            services.ManualLine(
                item_id=int(item_id),
                amount=amount,
                payment_amount=payment_amount or None,
                deduction=deduction,
                reason=request.POST.get("deduction_reason", "").strip(),
            )
        )
    return lines, problems


@require_POST
@require_perm(Perm.CASH_APPLY)
def payment_allocate(request: HttpRequest, payment_id: int) -> HttpResponse:
    tenant = _tenant(request)
    payment = _payment_or_404(tenant, payment_id)
    customer = _chosen_customer(request, tenant, payment)
    if customer is None:
        messages.error(request, "Choose the customer who paid before allocating.")
        return _back(payment.pk)
    lines, problems = _read_lines(request)
    if not problems and not lines:
        problems.append("Enter an amount for at least one invoice.")
    if any(line.deduction > 0 for line in lines) and not request.POST.get("deduction_reason"):
        problems.append("Say why the customer deducted (e.g. 'damaged goods') for the deduction.")
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect(f"{request.path.removesuffix('allocate/')}?customer={customer.pk}")
    try:
        applied = services.payment_allocate(
            tenant=tenant,
            actor=Actor.from_request(request),
            payment_id=payment.pk,
            customer=customer,
            lines=lines,
            note=request.POST.get("note", "").strip(),
        )
    except DomainError as error:
        messages.error(request, error.detail)
        for errors in getattr(error, "errors", {}).values():
            for message in errors:
                messages.error(request, message)
        return redirect(f"{request.path.removesuffix('allocate/')}?customer={customer.pk}")
    messages.success(request, "Allocation applied. Whatever was not allocated stays on account.")
    for learned in applied.learned:
        messages.info(request, learned)
    return _back(payment.pk)


@require_POST
@require_perm(Perm.CASH_VIEW)
def allocation_remainder(request: HttpRequest, payment_id: int) -> HttpResponse:
    """htmx: what the typed lines leave of the payment, recomputed on the
    server on every keystroke pause."""
    payment = _payment_or_404(_tenant(request), payment_id)
    lines, problems = _read_lines(request)
    taken = sum(((line.payment_amount or line.amount) for line in lines), Decimal(0))
    deducted = sum((line.deduction for line in lines), Decimal(0))
    remainder = _unapplied(payment) - taken
    return render(
        request,
        "collections_app/_remainder.html",
        {
            "payment": payment,
            "taken": taken,
            "deducted": deducted,
            "remainder": remainder,
            "over": -remainder,
            "problems": problems,
        },
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        error_messages={"required": "Say why, e.g. 'applied to the wrong invoice' or 'NSF'."},
    )


def _reason_action(request: HttpRequest, payment_id: int, action: Any, done: str) -> HttpResponse:
    tenant = _tenant(request)
    payment = _payment_or_404(tenant, payment_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(form.errors["reason"][0]))
        return _back(payment.pk)
    try:
        action(
            tenant=tenant,
            actor=Actor.from_request(request),
            payment_id=payment.pk,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, done)
    return _back(payment.pk)


@require_POST
@require_perm(Perm.CASH_APPLY)
def payment_unapply(request: HttpRequest, payment_id: int) -> HttpResponse:
    return _reason_action(
        request,
        payment_id,
        services.payment_unapply,
        "Applications reversed; the invoices are open again.",
    )


@require_POST
@require_perm(Perm.CASH_APPLY)
def payment_return(request: HttpRequest, payment_id: int) -> HttpResponse:
    return _reason_action(
        request,
        payment_id,
        services.payment_return,
        "Payment returned: its applications were reversed and the invoices re-opened.",
    )


@require_POST
@require_perm(Perm.CASH_APPLY)
def payment_refund(request: HttpRequest, payment_id: int) -> HttpResponse:
    return _reason_action(
        request, payment_id, services.payment_refund, "Refund recorded; the payment is closed."
    )


@require_POST
@require_perm(Perm.CASH_APPLY)
def payment_rematch(request: HttpRequest, payment_id: int) -> HttpResponse:
    tenant = _tenant(request)
    payment = _payment_or_404(tenant, payment_id)
    counts = services.payments_match(
        tenant=tenant, actor=Actor.from_request(request), payment_ids=[payment.pk]
    )
    if counts["auto_applied"]:
        messages.success(request, "Matched and applied automatically.")
    else:
        messages.info(request, "Matched again; the candidates below are current.")
    return _back(payment.pk)


STATEMENT_SORTABLE = {
    "imported": ("Imported", "imported_at"),
    "account": ("Account", "account"),
    "statement": ("Statement", "statement_id"),
}


@require_GET
@require_perm(Perm.CASH_VIEW)
def statements(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    listing = list_page(
        request,
        selectors.statement_list(tenant=tenant),
        sortable=STATEMENT_SORTABLE,
        default_sort="-imported",
    )
    return render(
        request,
        "collections_app/statements.html",
        {"listing": listing, "can_apply": can(request, Perm.CASH_APPLY)},
    )


LINE_SORTABLE = {"position": ("#", "position"), "amount": ("Amount", "amount")}


@require_GET
@require_perm(Perm.CASH_VIEW)
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    tenant = _tenant(request)
    try:
        statement = selectors.statement_get(tenant=tenant, statement_id=statement_id)
    except NotFound:
        raise Http404("No such statement.") from None
    listing = list_page(
        request,
        selectors.statement_lines(tenant=tenant, statement=statement),
        sortable=LINE_SORTABLE,
        default_sort="position",
    )
    metrics = selectors.cash_metrics(
        tenant=tenant,
        date_from=statement.from_date or tenant_today(tenant),
        date_to=statement.to_date or tenant_today(tenant),
        statement_id=statement.pk,
    )
    return render(
        request,
        "collections_app/statement_detail.html",
        {"statement": statement, "listing": listing, "metrics": metrics},
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Bank file",
        error_messages={"required": "Choose the statement file your bank gave you."},
    )
    file_format = forms.ChoiceField(
        required=False,
        label="Format",
        choices=[
            ("", "Detect automatically"),
            *[(f.value, f.value.upper()) for f in BankFileFormat],
        ],
    )
    csv_mapping = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="CSV column mapping",
        help_text="Needed for CSV files: the saved description of your bank's columns.",
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        profiles = CsvMappingProfile.objects.for_tenant(tenant).values_list("pk", "name")
        self.fields["csv_mapping"].choices = [("", "None (not a CSV file)"), *profiles]  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
@require_perm(Perm.CASH_APPLY)
def statement_upload(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = UploadForm(request.POST or None, request.FILES or None, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        mapping = form.cleaned_data["csv_mapping"]
        try:
            result = services.bank_file_import(
                tenant=tenant,
                actor=Actor.from_request(request),
                data=upload.read(),
                file_name=upload.name or "",
                file_format=form.cleaned_data["file_format"] or None,
                csv_mapping=csv_mapping_for(tenant=tenant, profile_id=mapping),
            )
        except DomainError as error:
            form.add_error("file", error.detail)
        else:
            for message in result.messages:
                messages.info(request, message)
            messages.success(
                request,
                f"Imported {result.payments_created} payment"
                f"{'' if result.payments_created == 1 else 's'}; matching runs in the background.",
            )
            if len(result.statements) == 1:
                return redirect("cash:statement_detail", statement_id=result.statements[0].pk)
            return redirect("cash:statements")
    return render(request, "collections_app/statement_upload.html", {"form": form})


class PolicyForm(forms.Form):
    auto_apply_threshold = forms.IntegerField(
        min_value=50,
        max_value=100,
        label="Apply automatically from confidence",
        help_text="Proposals at or above this (0-100) are applied without a person. 90 is safe.",
    )
    tolerance_amount = forms.DecimalField(
        min_value=0, max_digits=12, decimal_places=2, label="Write off differences up to (amount)"
    )
    tolerance_percent = forms.DecimalField(
        min_value=0,
        max_value=5,
        max_digits=5,
        decimal_places=2,
        label="and up to (% of the invoice)",
        help_text="The smaller of the two limits applies.",
    )
    fx_tolerance_percent = forms.DecimalField(
        min_value=0, max_value=5, max_digits=5, decimal_places=2, label="FX tolerance (%)"
    )
    discount_grace_days = forms.IntegerField(
        min_value=0, max_value=30, label="Days of grace after the discount date"
    )
    max_subset_size = forms.IntegerField(
        min_value=1, max_value=8, label="Invoices per combined payment, at most"
    )


class CsvMappingForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="E.g. the bank's name.")
    booking_date = forms.CharField(max_length=100, label="Booking date column")
    amount = forms.CharField(
        max_length=100,
        required=False,
        label="Amount column (signed)",
        help_text="Or the credit and debit columns below.",
    )
    credit_amount = forms.CharField(max_length=100, required=False, label="Credit column")
    debit_amount = forms.CharField(max_length=100, required=False, label="Debit column")
    currency = forms.CharField(max_length=100, required=False, label="Currency column")
    default_currency = forms.CharField(max_length=3, required=False, label="Currency if none")
    value_date = forms.CharField(max_length=100, required=False, label="Value date column")
    payer_name = forms.CharField(max_length=100, required=False, label="Payer name column")
    payer_account = forms.CharField(max_length=100, required=False, label="Payer IBAN column")
    bank_reference = forms.CharField(max_length=100, required=False, label="Bank reference column")
    end_to_end_id = forms.CharField(max_length=100, required=False, label="End-to-end id column")
    remittance_text = forms.CharField(max_length=100, required=False, label="Purpose column")
    delimiter = forms.CharField(max_length=1, strip=False, initial=",")
    decimal_separator = forms.CharField(max_length=1, initial=".")
    thousands_separator = forms.CharField(max_length=1, required=False, strip=False)
    date_format = forms.CharField(max_length=20, initial="%Y-%m-%d", help_text="E.g. %d.%m.%Y")
    encoding = forms.CharField(max_length=20, initial="utf-8")
    account = forms.CharField(max_length=64, required=False, label="Account (IBAN) of the file")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("amount") and not (data.get("credit_amount") or data.get("debit_amount")):
            raise forms.ValidationError("Name the amount column, or the credit and debit columns.")
        if not data.get("currency") and not data.get("default_currency"):
            raise forms.ValidationError("Name the currency column or give a default currency.")
        return data


@require_http_methods(["GET", "POST"])
@require_perm(Perm.CASH_APPLY)
def cash_settings(request: HttpRequest) -> HttpResponse:
    from dataclasses import fields as dataclass_fields

    from collections_app.bank_files.types import CsvColumnMapping

    tenant = _tenant(request)
    policy = services.cash_policy_get(tenant=tenant)
    initial = {f: getattr(policy, f) for f in PolicyForm.base_fields}
    policy_form = PolicyForm(
        request.POST if request.POST.get("form") == "policy" else None, initial=initial
    )
    mapping_form = CsvMappingForm(request.POST if request.POST.get("form") == "csv" else None)
    actor = Actor.from_request(request)
    if policy_form.is_bound and policy_form.is_valid():
        try:
            services.cash_policy_update(tenant=tenant, actor=actor, **policy_form.cleaned_data)
        except DomainError as error:
            for field, errors in getattr(error, "errors", {}).items():
                for message in errors:
                    policy_form.add_error(field if field in policy_form.fields else None, message)
        else:
            messages.success(request, "Cash application rules saved.")
            return redirect("cash:settings")
    if mapping_form.is_bound and mapping_form.is_valid():
        data = dict(mapping_form.cleaned_data)
        name = data.pop("name")
        known = {f.name for f in dataclass_fields(CsvColumnMapping)}
        mapping = CsvColumnMapping(**{k: v for k, v in data.items() if k in known and v != ""})
        try:
            services.csv_mapping_save(tenant=tenant, actor=actor, name=name, mapping=mapping)
        except DomainError as error:
            mapping_form.add_error(None, error.detail)
        else:
            messages.success(request, f"CSV mapping '{name}' saved; choose it when you import.")
            return redirect("cash:settings")
    return render(
        request,
        "collections_app/settings.html",
        {
            "policy_form": policy_form,
            "mapping_form": mapping_form,
            "mappings": CsvMappingProfile.objects.for_tenant(tenant).order_by("name"),
        },
    )


class RemittanceUploadForm(forms.Form):
    remittance_file = forms.FileField(
        label="Remittance advice",
        error_messages={"required": "Choose the EDI 820 or CSV advice the payer sent."},
    )
    remittance_format = forms.ChoiceField(
        required=False,
        label="Format",
        choices=[("", "Detect automatically"), ("edi820", "EDI 820"), ("csv", "CSV")],
    )


@require_http_methods(["GET", "POST"])
@require_perm(Perm.CASH_APPLY)
def remittance_upload(request: HttpRequest) -> HttpResponse:
    tenant = _tenant(request)
    form = RemittanceUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["remittance_file"]
        try:
            created = services.remittance_import(
                tenant=tenant,
                actor=Actor.from_request(request),
                data=upload.read(),
                file_name=upload.name or "",
                file_format=form.cleaned_data["remittance_format"] or None,
            )
        except DomainError as error:
            form.add_error("remittance_file", error.detail)
        else:
            linked = sum(1 for remittance in created if remittance.payment_id)
            messages.success(
                request,
                f"Imported {len(created)} advice{'' if len(created) == 1 else 's'}; "
                f"{linked} linked to a payment (open ones are matched again), the others "
                "link when their payment arrives.",
            )
            return redirect("cash:queue")
    return render(request, "collections_app/remittance_upload.html", {"form": form})
