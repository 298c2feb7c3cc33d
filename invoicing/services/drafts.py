"""Drafts: create and change an invoice document before it is issued.

A draft has no number, no ledger item and no locked rate; it may change
freely. Lines are always replaced as a whole, in the same transaction as the
header, and the totals are recomputed from them (``invoicing.totals``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.db import IntegrityError, transaction
from moneyed import CURRENCIES

from invoicing.models import (
    DEFAULT_SERIES,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceOrigin,
    InvoiceStatus,
)
from invoicing.services.common import (
    changes_between,
    check_same_tenant,
    invoice_snapshot,
    lock_invoice,
)
from invoicing.services.lines import LineInput, build_lines, validate_lines
from invoicing.totals import Totals
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer, CustomerStatus, PaymentTerms
from otc.customers.selectors import payment_terms_discount_date, payment_terms_due_date
from otc.errors import ConflictError, ValidationFailed
from otc.fx.money import quantize_money
from otc.tenancy.models import Tenant

_SERIES = re.compile(r"^[A-Z0-9]{1,16}$")
_NOT_CURRENCIES = frozenset({"XXX", "XTS"})
# Documents whose payment a memo may adjust.
MEMO_TARGET_STATUSES = frozenset(
    {InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID}
)


class InvoiceFields(TypedDict, total=False):
    """The header fields a draft update may set (lines go separately)."""

    customer: Customer
    currency: str
    series: str
    issue_date: date | None
    due_date: date | None  # a date fixes it by hand; None follows the payment terms
    payment_terms: PaymentTerms | None
    external_ref: str | None
    related_invoice: Invoice | None
    notes: str
    buyer_reference: str
    po_number: str


def apply_terms(invoice: Invoice) -> None:
    """Due date, early-payment discount date and amount from the terms and the
    issue date. The discount is a percentage of the gross amount (cash
    discount as customers deduct it), rounded half-up like every amount."""
    on = invoice.issue_date
    terms = invoice.payment_terms
    if invoice.kind == InvoiceKind.CREDIT_MEMO:
        # A credit is never "due" and earns no early-payment discount; it is
        # usable from its date on.
        invoice.due_date = on
        invoice.due_date_manual = False
        invoice.discount_date = None
        invoice.discount_amount = Decimal(0)
        return
    if not invoice.due_date_manual:
        if on is None:
            invoice.due_date = None
        elif terms is not None:
            invoice.due_date = payment_terms_due_date(terms=terms, document_date=on)
        else:
            invoice.due_date = on  # no terms: due on receipt
    invoice.discount_date = None
    invoice.discount_amount = Decimal(0)
    if on is not None and terms is not None and terms.discount_percent:
        invoice.discount_date = payment_terms_discount_date(terms=terms, document_date=on)
        invoice.discount_amount = quantize_money(
            invoice.gross_amount * terms.discount_percent / Decimal(100), invoice.currency
        )


def set_totals(invoice: Invoice, totals: Totals) -> None:
    invoice.net_amount = totals.net
    invoice.tax_amount = totals.tax
    invoice.gross_amount = totals.gross


def _header_problems(*, tenant: Tenant, invoice: Invoice) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    customer = invoice.customer
    if customer.tenant_id != tenant.pk:
        errors["customer"] = ["Choose a customer that exists."]
    elif customer.status == CustomerStatus.CLOSED and invoice.kind != InvoiceKind.CREDIT_MEMO:
        errors["customer"] = [
            f"{customer.display_name} is closed: reactivate the customer before invoicing."
        ]
    if str(invoice.currency) not in CURRENCIES or str(invoice.currency) in _NOT_CURRENCIES:
        errors["currency"] = [f"'{invoice.currency}' is not an ISO 4217 currency code."]
    if not _SERIES.match(invoice.series):
        errors["series"] = ["Use 1 to 16 capital letters or digits for the series, e.g. INV."]
    terms = invoice.payment_terms
    if terms is not None and terms.tenant_id != tenant.pk:
        errors["payment_terms"] = ["Choose payment terms that exist."]
    if (
        invoice.due_date_manual
        and invoice.due_date is not None
        and invoice.issue_date is not None
        and invoice.due_date < invoice.issue_date
    ):
        errors["due_date"] = ["The due date cannot be before the issue date."]
    if invoice.external_ref is not None and len(invoice.external_ref) > 100:
        errors["external_ref"] = ["Keep the external reference to 100 characters."]
    for name in ("buyer_reference", "po_number"):
        if len(getattr(invoice, name)) > 100:
            errors[name] = ["Keep this to 100 characters."]
    if len(invoice.notes) > 5000:
        errors["notes"] = ["Keep the notes to 5,000 characters."]
    errors.update(_related_problems(tenant=tenant, invoice=invoice))
    return errors


def _related_problem(invoice: Invoice, related: Invoice) -> str | None:
    if invoice.kind == InvoiceKind.INVOICE:
        return "Only credit and debit memos refer to another invoice."
    if related.kind == InvoiceKind.CREDIT_MEMO:
        return "A memo refers to an invoice or a debit memo."
    if related.status not in MEMO_TARGET_STATUSES:
        return (
            f"{related} is {related.get_status_display().lower()}: only issued "
            "documents can be credited or charged further."
        )
    if related.customer_id != invoice.customer_id:
        return f"{related} belongs to another customer."
    if related.currency != invoice.currency:
        return f"{related} is in {related.currency}; the memo must be in the same currency."
    return None


def _related_problems(*, tenant: Tenant, invoice: Invoice) -> dict[str, list[str]]:
    related = invoice.related_invoice
    if related is None:
        return {}
    if related.tenant_id != tenant.pk:
        return {"related_invoice": ["Choose an invoice that exists."]}
    problem = _related_problem(invoice, related)
    return {"related_invoice": [problem]} if problem else {}


def problems_before_issue(*, tenant: Tenant, invoice: Invoice) -> dict[str, list[str]]:
    """The header checks again, at issue: the customer may have been closed or
    the related invoice cancelled since the draft was saved."""
    return _header_problems(tenant=tenant, invoice=invoice)


def _check_external_ref(*, tenant: Tenant, invoice: Invoice) -> None:
    if invoice.external_ref is None:
        return
    clash = Invoice.objects.for_tenant(tenant).filter(external_ref=invoice.external_ref)
    if invoice.pk:
        clash = clash.exclude(pk=invoice.pk)
    existing = clash.first()
    if existing is not None:
        raise ConflictError(
            f"{existing} already has the external reference {invoice.external_ref}.",
            code="duplicate_external_ref",
        )


def _save(invoice: Invoice, **kwargs: object) -> None:
    try:
        with transaction.atomic():
            invoice.save(**kwargs)  # type: ignore[arg-type]
    except IntegrityError as error:
        if "external_ref" in str(error):
            raise ConflictError(
                f"A document with the external reference {invoice.external_ref} was "
                "saved at the same time.",
                code="duplicate_external_ref",
            ) from error
        raise


def _clean_ref(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _validate(*, tenant: Tenant, invoice: Invoice) -> None:
    errors = _header_problems(tenant=tenant, invoice=invoice)
    if errors:
        raise ValidationFailed("The invoice needs fixing.", errors=errors)
    _check_external_ref(tenant=tenant, invoice=invoice)


@transaction.atomic
def invoice_create_draft(
    *,
    tenant: Tenant,
    actor: Actor,
    customer: Customer,
    lines: Sequence[LineInput] = (),
    kind: InvoiceKind = InvoiceKind.INVOICE,
    currency: str | None = None,
    series: str | None = None,
    issue_date: date | None = None,
    due_date: date | None = None,
    payment_terms: PaymentTerms | None = None,
    external_ref: str | None = None,
    related_invoice: Invoice | None = None,
    notes: str = "",
    buyer_reference: str = "",
    po_number: str = "",
    origin: InvoiceOrigin = InvoiceOrigin.MANUAL,
) -> Invoice:
    """A new draft. Currency and payment terms default to the customer's
    (memos: to the related invoice's); the series to the kind's default
    (INV, CRN, DBN). A `due_date` fixes the due date by hand; without one it
    follows the terms from the issue date."""
    check_same_tenant(customer, tenant, what="customer")
    if related_invoice is not None:
        check_same_tenant(related_invoice, tenant, what="invoice")
    default_terms = related_invoice.payment_terms if related_invoice else customer.payment_terms
    invoice = Invoice(
        tenant=tenant,
        kind=kind,
        status=InvoiceStatus.DRAFT,
        origin=origin,
        customer=customer,
        currency=(
            currency or (related_invoice.currency if related_invoice else customer.currency)
        ).upper(),
        series=(series or DEFAULT_SERIES[kind]).strip().upper(),
        issue_date=issue_date,
        due_date=due_date,
        due_date_manual=due_date is not None,
        payment_terms=payment_terms if payment_terms is not None else default_terms,
        external_ref=_clean_ref(external_ref),
        related_invoice=related_invoice,
        notes=notes.strip(),
        buyer_reference=buyer_reference.strip(),
        po_number=po_number.strip(),
        created_by=actor.user,
    )
    _validate(tenant=tenant, invoice=invoice)
    totals = validate_lines(lines, currency=str(invoice.currency))
    set_totals(invoice, totals)
    apply_terms(invoice)
    _save(invoice)
    InvoiceLine.objects.for_tenant(tenant).bulk_create(
        build_lines(tenant=tenant, invoice_id=invoice.pk, lines=lines, totals=totals)
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="invoice.draft_created",
        instance=invoice,
        changes=changes_between({}, {**invoice_snapshot(invoice), "lines": len(lines)}),
    )
    return invoice


@transaction.atomic
def invoice_update_draft(
    *,
    tenant: Tenant,
    actor: Actor,
    invoice: Invoice,
    data: InvoiceFields,
    lines: Sequence[LineInput] | None = None,
) -> Invoice:
    """Change the fields in `data`; `lines`, when given, replace all lines.
    Only drafts change: an issued document is corrected with a memo."""
    invoice = lock_invoice(tenant=tenant, invoice=invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ConflictError(
            f"{invoice} is {invoice.get_status_display().lower()}: only drafts can be changed. "
            "Correct an issued document with a credit or debit memo.",
            code="not_a_draft",
        )
    line_rows = InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice)
    current_lines = list(line_rows)
    before = {**invoice_snapshot(invoice), "lines": len(current_lines)}
    for name, value in data.items():
        if name == "due_date":
            invoice.due_date = value  # type: ignore[assignment]
            invoice.due_date_manual = value is not None
        elif name == "external_ref":
            invoice.external_ref = _clean_ref(value)  # type: ignore[arg-type]
        elif name in ("series", "currency"):
            setattr(invoice, name, str(value or "").strip().upper())
        elif name in ("notes", "buyer_reference", "po_number"):
            setattr(invoice, name, str(value or "").strip())
        else:
            setattr(invoice, name, value)
    if "customer" in data:
        check_same_tenant(invoice.customer, tenant, what="customer")
    if "related_invoice" in data and invoice.related_invoice is not None:
        check_same_tenant(invoice.related_invoice, tenant, what="invoice")
    _validate(tenant=tenant, invoice=invoice)
    line_inputs = (
        list(lines) if lines is not None else [LineInput.from_line(line) for line in current_lines]
    )
    # Lines are re-priced even when unchanged: the currency may have moved.
    totals = validate_lines(line_inputs, currency=str(invoice.currency))
    set_totals(invoice, totals)
    apply_terms(invoice)
    _save(invoice)
    if lines is not None or before["currency"] != invoice.currency:
        line_rows.delete()
        InvoiceLine.objects.for_tenant(tenant).bulk_create(
            build_lines(tenant=tenant, invoice_id=invoice.pk, lines=line_inputs, totals=totals)
        )
    after = {**invoice_snapshot(invoice), "lines": len(line_inputs)}
    changes = changes_between(before, after)
    if lines is not None and "lines" not in changes:
        changes["lines"] = {"before": before["lines"], "after": len(line_inputs)}
    audit_record(
        tenant=tenant,
        actor=actor,
        action="invoice.draft_updated",
        instance=invoice,
        changes=changes,
    )
    return invoice
