"""Cancelling documents and creating credit and debit memos.

A memo is an invoice document of its own (numbered in its series, posted to
the ledger at its own locked rate). A credit memo for an invoice is applied
to it through the ledger, never by changing the invoice; cancelling an
issued invoice is exactly that, with a memo for all of its lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceOrigin, InvoiceStatus
from invoicing.services.common import check_same_tenant, lock_invoice
from invoicing.services.drafts import invoice_create_draft
from invoicing.services.issuing import (
    apply_credit_memo,
    credited_so_far,
    issue_locked,
    lock_ledger_items,
    locked_with_related,
)
from invoicing.services.lines import LineInput
from invoicing.services.transitions import _transition, can_transition
from otc.audit.services import Actor, audit_record
from otc.customers.models import Customer, PaymentTerms
from otc.errors import ConflictError, IllegalTransition, ValidationFailed
from otc.tenancy.models import Tenant


def _cancellation_lines(*, tenant: Tenant, invoice: Invoice) -> list[LineInput]:
    lines = [
        LineInput.from_line(line)
        for line in InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice)
    ]
    if not lines:
        # Imported open balances carry no lines, so OTC cannot know their tax
        # breakdown; a memo that guessed it would be a wrong tax document.
        raise ConflictError(
            f"{invoice} was imported without lines: credit it with a credit memo that "
            "states what is credited and its tax.",
            code="no_lines_to_cancel",
        )
    return lines


@transaction.atomic
def invoice_cancel(
    *,
    tenant: Tenant,
    actor: Actor,
    invoice: Invoice,
    reason: str = "",
    cancel_date: date | None = None,
) -> Invoice:
    """Discard a draft, or cancel an issued (or partially paid) document by
    issuing the full credit memo for it: all its lines, applied to what is
    open; what the customer already paid stays on the account as a credit.
    The memo is `invoice.cancellation_memo`. A document that has been
    credited in part already is finished with a credit memo for the rest."""
    invoice, _ = locked_with_related(tenant=tenant, invoice=invoice)
    reason = reason.strip()[:500]
    if invoice.status == InvoiceStatus.DRAFT:
        _transition(invoice, InvoiceStatus.CANCELLED)
        invoice.cancel_reason = reason
        invoice.cancelled_at = timezone.now()
        invoice.save(update_fields=["status", "cancel_reason", "cancelled_at", "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            action="invoice.discarded",
            instance=invoice,
            changes={"status": {"before": InvoiceStatus.DRAFT, "after": InvoiceStatus.CANCELLED}},
        )
        return invoice
    if invoice.kind == InvoiceKind.CREDIT_MEMO:
        raise IllegalTransition(
            f"{invoice} cannot be cancelled: reverse a credit memo with a debit memo.",
            current=invoice.status,
            requested=InvoiceStatus.CANCELLED,
        )
    if not can_transition(invoice.status, InvoiceStatus.CANCELLED):
        _transition(invoice, InvoiceStatus.CANCELLED)  # raises with the reason
    if credited_so_far(tenant=tenant, invoice=invoice):
        raise ConflictError(
            f"{invoice} is partly credited already: credit the rest with a credit memo "
            "instead of cancelling it.",
            code="partly_credited",
        )
    memo = invoice_create_draft(
        tenant=tenant,
        actor=actor,
        customer=invoice.customer,
        kind=InvoiceKind.CREDIT_MEMO,
        lines=_cancellation_lines(tenant=tenant, invoice=invoice),
        currency=str(invoice.currency),
        related_invoice=invoice,
        payment_terms=invoice.payment_terms,
        notes=f"Cancels {invoice.number}." + (f" {reason}" if reason else ""),
        buyer_reference=invoice.buyer_reference,
        po_number=invoice.po_number,
    )
    memo = issue_locked(
        tenant=tenant,
        actor=actor,
        invoice=memo,
        related=invoice,
        issue_date=cancel_date,
        apply_to_related=False,
    )
    # The cancelled invoice keeps its status until the memo is on it; it then
    # goes straight to cancelled, never through "paid".
    apply_credit_memo(tenant=tenant, actor=actor, memo=memo, target=invoice, refresh_target=False)
    before = _transition(invoice, InvoiceStatus.CANCELLED)
    invoice.cancellation_memo = memo
    invoice.cancel_reason = reason
    invoice.cancelled_at = timezone.now()
    invoice.save(
        update_fields=[
            "status",
            "cancellation_memo",
            "cancel_reason",
            "cancelled_at",
            "updated_at",
        ]
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="invoice.cancelled",
        instance=invoice,
        changes={
            "status": {"before": before, "after": InvoiceStatus.CANCELLED},
            "cancellation_memo": {"before": None, "after": memo.number},
            "reason": {"before": None, "after": reason},
        },
    )
    return invoice


def _memo_parties(
    *, tenant: Tenant, related_invoice: Invoice | None, customer: Customer | None
) -> Customer:
    if related_invoice is not None:
        check_same_tenant(related_invoice, tenant, what="invoice")
        if customer is not None and customer.pk != related_invoice.customer_id:
            raise ValidationFailed(
                "The memo's customer must be the invoice's customer.",
                errors={"customer": [f"{related_invoice} belongs to another customer."]},
            )
        return related_invoice.customer
    if customer is None:
        raise ValidationFailed(
            "Say whom the memo is for.",
            errors={"customer": ["Choose the customer, or the invoice the memo refers to."]},
        )
    return customer


def _memo_create(
    *,
    tenant: Tenant,
    actor: Actor,
    kind: InvoiceKind,
    lines: Sequence[LineInput],
    related_invoice: Invoice | None,
    customer: Customer | None,
    issue: bool,
    fields: dict[str, object],
    apply_to_related: bool = True,
) -> Invoice:
    customer = _memo_parties(tenant=tenant, related_invoice=related_invoice, customer=customer)
    related = None
    if related_invoice is not None:
        lock_ledger_items(tenant=tenant, invoice_ids=[related_invoice.pk])
        related = lock_invoice(tenant=tenant, invoice=related_invoice)
    issue_date = fields.pop("issue_date", None)
    memo = invoice_create_draft(
        tenant=tenant,
        actor=actor,
        customer=customer,
        kind=kind,
        lines=lines,
        related_invoice=related,
        issue_date=issue_date,  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    if not issue:
        return memo
    return issue_locked(
        tenant=tenant,
        actor=actor,
        invoice=memo,
        related=related,
        issue_date=None,
        apply_to_related=apply_to_related,
    )


@transaction.atomic
def credit_memo_create(
    *,
    tenant: Tenant,
    actor: Actor,
    lines: Sequence[LineInput],
    related_invoice: Invoice | None = None,
    customer: Customer | None = None,
    currency: str | None = None,
    issue: bool = True,
    issue_date: date | None = None,
    series: str | None = None,
    external_ref: str | None = None,
    notes: str = "",
    buyer_reference: str = "",
    po_number: str = "",
    origin: InvoiceOrigin = InvoiceOrigin.MANUAL,
    apply_to_related: bool = True,
) -> Invoice:
    """A credit memo for `related_invoice` (or on account for `customer`),
    issued at once unless `issue=False`. Issuing applies it to the invoice up
    to its open amount; the rest stays on the account. The credit memos of
    one invoice never add up to more than its gross amount.
    `apply_to_related=False` leaves it unapplied, for a caller that applies
    it elsewhere (deductions apply it to the deduction item taken from the
    invoice)."""
    return _memo_create(
        tenant=tenant,
        actor=actor,
        kind=InvoiceKind.CREDIT_MEMO,
        lines=lines,
        related_invoice=related_invoice,
        customer=customer,
        issue=issue,
        fields={
            "currency": currency,
            "issue_date": issue_date,
            "series": series,
            "external_ref": external_ref,
            "notes": notes,
            "buyer_reference": buyer_reference,
            "po_number": po_number,
            "origin": origin,
        },
        apply_to_related=apply_to_related,
    )


@transaction.atomic
def debit_memo_create(
    *,
    tenant: Tenant,
    actor: Actor,
    lines: Sequence[LineInput],
    related_invoice: Invoice | None = None,
    customer: Customer | None = None,
    currency: str | None = None,
    issue: bool = True,
    issue_date: date | None = None,
    due_date: date | None = None,
    payment_terms: PaymentTerms | None = None,
    series: str | None = None,
    external_ref: str | None = None,
    notes: str = "",
    buyer_reference: str = "",
    po_number: str = "",
    origin: InvoiceOrigin = InvoiceOrigin.MANUAL,
) -> Invoice:
    """A debit memo (an extra charge: freight, a price correction upwards),
    optionally referring to the invoice it corrects; it is owed like an
    invoice, with its own due date."""
    return _memo_create(
        tenant=tenant,
        actor=actor,
        kind=InvoiceKind.DEBIT_MEMO,
        lines=lines,
        related_invoice=related_invoice,
        customer=customer,
        issue=issue,
        fields={
            "currency": currency,
            "issue_date": issue_date,
            "due_date": due_date,
            "payment_terms": payment_terms,
            "series": series,
            "external_ref": external_ref,
            "notes": notes,
            "buyer_reference": buyer_reference,
            "po_number": po_number,
            "origin": origin,
        },
    )
