"""Returns (RMA): goods come back against issued invoice lines.

    requested ─authorise─> authorised ─receive─> received ─credit─> credited ─close─> closed
        └──────cancel──────────┴─> cancelled        └──close (nothing accepted)──────┘

A return names invoice lines and quantities, never more than was invoiced
less what other returns of the line already took back (the invoice row is
locked while that is checked, so two returns of the same line serialize).
On receipt each line's accepted quantity is counted; the rest is rejected,
with a note saying why. Crediting issues one credit memo through invoicing
for the accepted quantities at the lines' own prices, discounts and VAT
rates; invoicing applies it to what is open on the invoice and leaves the
rest on the account as credit. Closing records what the customer chose for
that credit: a refund (requested here, approved like any refund) or keeping
it on account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from deductions.models import (
    ReturnAuthorisation,
    ReturnLine,
    ReturnSettlement,
    ReturnStatus,
)
from deductions.services.reasons import reason_code_get
from deductions.services.refunds import refund_request
from invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from invoicing.services import LineInput, credit_memo_create
from invoicing.services.numbering import next_document_number
from otc.audit.services import Actor, audit_record
from otc.errors import ConflictError, NotFound, ValidationFailed
from otc.ledger.models import OpenItem
from otc.tenancy.dates import tenant_today
from otc.tenancy.models import Tenant
from otc.transitions import TransitionTable

S = ReturnStatus
QUANTITY_STEP = Decimal("0.0001")
RETURN_SERIES = "RMA"
RETURNABLE_INVOICE_STATUSES = frozenset(
    {InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID}
)

TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.AUTHORISED, S.CANCELLED}),
    S.AUTHORISED: frozenset({S.RECEIVED, S.CANCELLED}),
    S.RECEIVED: frozenset({S.CREDITED, S.CLOSED}),
    S.CREDITED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

_REFUSALS: dict[tuple[str, str], str] = {
    (S.REQUESTED, S.RECEIVED): "Authorise the return before receiving the goods.",
    (S.REQUESTED, S.CREDITED): "Authorise the return and receive the goods before crediting.",
    (S.AUTHORISED, S.CREDITED): "Receive the goods before crediting them.",
    (S.RECEIVED, S.CANCELLED): "The goods are received: credit them or close the return.",
    (S.CREDITED, S.CANCELLED): "The return is credited: it can only be closed.",
}

_TABLE = TransitionTable(moves=TRANSITIONS, labels=dict(ReturnStatus.choices), refusals=_REFUSALS)


def can_transition_return(current: str, target: str) -> bool:
    return _TABLE.allows(current, target)


def _move(rma: ReturnAuthorisation, target: str) -> str:
    return _TABLE.move(rma, target, name=f"Return {rma.number}")


@dataclass(frozen=True)
class ReturnLineInput:
    invoice_line_id: int
    quantity: Decimal


@dataclass(frozen=True)
class ReceiptLineInput:
    return_line_id: int
    accepted_quantity: Decimal


def returned_quantities(*, tenant: Tenant, invoice_line_ids: Sequence[int]) -> dict[int, Decimal]:
    """How much of each invoice line returns already take back: the accepted
    quantity once goods are received, the authorised one before; cancelled
    returns take nothing."""
    rows = (
        ReturnLine.objects.for_tenant(tenant)
        .filter(invoice_line_id__in=invoice_line_ids)
        .exclude(rma__status=S.CANCELLED)
        .values("invoice_line_id")
        .annotate(
            pending=Sum("quantity", filter=Q(accepted_quantity__isnull=True)),
            accepted=Sum("accepted_quantity"),
        )
    )
    return {
        row["invoice_line_id"]: (row["pending"] or Decimal(0)) + (row["accepted"] or Decimal(0))
        for row in rows
    }


def _lock_invoice(*, tenant: Tenant, invoice_id: int) -> Invoice:
    invoice = (
        Invoice.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in RETURNABLE_INVOICE_STATUSES:
        raise ValidationFailed(
            f"{invoice} is not an issued invoice: goods are returned against issued invoices.",
            errors={"invoice_id": ["Choose an issued invoice."]},
            code="invoice_not_returnable",
        )
    return invoice


def _checked_lines(
    *, tenant: Tenant, invoice: Invoice, lines: Sequence[ReturnLineInput]
) -> list[tuple[InvoiceLine, Decimal]]:
    if not lines:
        raise ValidationFailed(
            "Say which lines come back.", errors={"lines": ["Enter at least one line."]}
        )
    by_id = {
        line.pk: line for line in InvoiceLine.objects.for_tenant(tenant).filter(invoice=invoice)
    }
    returned = returned_quantities(tenant=tenant, invoice_line_ids=list(by_id))
    errors: dict[str, list[str]] = {}
    checked: list[tuple[InvoiceLine, Decimal]] = []
    seen: set[int] = set()
    for index, item in enumerate(lines):
        where = f"lines[{index}]"
        line = by_id.get(item.invoice_line_id)
        if line is None:
            errors[f"{where}.invoice_line_id"] = [f"{invoice} has no such line."]
            continue
        if line.pk in seen:
            errors[f"{where}.invoice_line_id"] = ["Each line once."]
            continue
        seen.add(line.pk)
        quantity = Decimal(item.quantity).quantize(QUANTITY_STEP)
        available = line.quantity - returned.get(line.pk, Decimal(0))
        if quantity <= 0:
            errors[f"{where}.quantity"] = ["Enter a quantity greater than zero."]
        elif quantity > available:
            errors[f"{where}.quantity"] = [
                (
                    f"Line {line.position} invoiced {line.quantity.normalize():f}, of which "
                    f"{available.normalize():f} can still be returned."
                )
            ]
        else:
            checked.append((line, quantity))
    if errors:
        raise ValidationFailed(
            "The return asks for more than can be returned, or names unknown lines.",
            errors=errors,
            code="over_returned",
        )
    return checked


def _replay(*, tenant: Tenant, key: str, invoice_id: int) -> ReturnAuthorisation | None:
    done = ReturnAuthorisation.objects.for_tenant(tenant).filter(idempotency_key=key).first()
    if done is None:
        return None
    if done.invoice_id != invoice_id:
        raise ConflictError(
            "This idempotency key was used for a return of another invoice.",
            code="idempotency_key_reused",
        )
    return done


def return_request(
    *,
    tenant: Tenant,
    actor: Actor,
    invoice_id: int,
    reason_id: int,
    lines: Sequence[ReturnLineInput],
    note: str = "",
    idempotency_key: str = "",
) -> ReturnAuthorisation:
    """Ask to return quantities of an issued invoice's lines (see the module
    docstring). Numbered gap-free per tenant and year: RMA-2026-000001."""
    key = idempotency_key.strip()[:100]
    with transaction.atomic():
        if key and (done := _replay(tenant=tenant, key=key, invoice_id=invoice_id)):
            return done
        invoice = _lock_invoice(tenant=tenant, invoice_id=invoice_id)
        try:
            reason = reason_code_get(tenant=tenant, reason_id=reason_id)
        except NotFound:
            raise ValidationFailed(errors={"reason_id": ["Choose a reason code."]}) from None
        checked = _checked_lines(tenant=tenant, invoice=invoice, lines=lines)
        today = tenant_today(tenant)
        rma = ReturnAuthorisation.objects.for_tenant(tenant).create(
            tenant=tenant,
            number=next_document_number(tenant=tenant, series=RETURN_SERIES, year=today.year),
            customer=invoice.customer,
            invoice=invoice,
            reason=reason,
            currency=invoice.currency,
            note=note.strip()[:500],
            idempotency_key=key,
            requested_by=actor.user,
        )
        ReturnLine.objects.for_tenant(tenant).bulk_create(
            [
                ReturnLine(tenant=tenant, rma=rma, invoice_line=line, quantity=quantity)
                for line, quantity in checked
            ]
        )
        audit_record(
            tenant=tenant,
            actor=actor,
            action="return.requested",
            instance=rma,
            changes={
                "invoice": invoice.number,
                "lines": {
                    str(line.position): f"{quantity.normalize():f}" for line, quantity in checked
                },
                "reason": reason.code,
            },
        )
    return rma


def lock_return(*, tenant: Tenant, rma_id: int) -> ReturnAuthorisation:
    """The return, locked for this transaction; another tenant's reads as missing."""
    rma = (
        ReturnAuthorisation.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .filter(pk=rma_id)
        .first()
    )
    if rma is None:
        raise NotFound("No such return.")
    return rma


def _moved(
    *, tenant: Tenant, actor: Actor, rma: ReturnAuthorisation, target: str, **extra: object
) -> ReturnAuthorisation:
    previous = _move(rma, target)
    stamps: dict[str, str] = {
        S.AUTHORISED: "authorised_at",
        S.RECEIVED: "received_at",
        S.CREDITED: "credited_at",
        S.CLOSED: "closed_at",
    }
    stamp = stamps.get(target)
    fields = ["status", "updated_at", *extra]
    for name, value in extra.items():
        setattr(rma, name, value)
    if stamp:
        setattr(rma, stamp, timezone.now())
        fields.append(stamp)
    rma.save(update_fields=fields)
    audit_record(
        tenant=tenant,
        actor=actor,
        action="return.status_changed",
        instance=rma,
        changes={
            "status": {"before": previous, "after": target},
            **{name: str(value) for name, value in extra.items()},
        },
    )
    return rma


def return_authorise(*, tenant: Tenant, actor: Actor, rma_id: int) -> ReturnAuthorisation:
    with transaction.atomic():
        rma = lock_return(tenant=tenant, rma_id=rma_id)
        return _moved(tenant=tenant, actor=actor, rma=rma, target=S.AUTHORISED)


def return_cancel(
    *, tenant: Tenant, actor: Actor, rma_id: int, reason: str = ""
) -> ReturnAuthorisation:
    with transaction.atomic():
        rma = lock_return(tenant=tenant, rma_id=rma_id)
        return _moved(
            tenant=tenant, actor=actor, rma=rma, target=S.CANCELLED, cancel_reason=reason[:500]
        )


def return_receive(
    *,
    tenant: Tenant,
    actor: Actor,
    rma_id: int,
    lines: Sequence[ReceiptLineInput],
    note: str = "",
) -> ReturnAuthorisation:
    """Count the goods that came back: every line's accepted quantity (at
    most what was authorised); the rest is rejected, and a note says why."""
    with transaction.atomic():
        rma = lock_return(tenant=tenant, rma_id=rma_id)
        if not can_transition_return(rma.status, S.RECEIVED):
            _move(rma, S.RECEIVED)  # raises with the reason
        rows = {row.pk: row for row in ReturnLine.objects.for_tenant(tenant).filter(rma=rma)}
        given = {item.return_line_id: item for item in lines}
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(lines):
            if item.return_line_id not in rows:
                errors[f"lines[{index}].return_line_id"] = [f"{rma} has no such line."]
        for row in rows.values():
            if row.pk not in given:
                errors[f"line_{row.pk}"] = ["Enter the accepted quantity (0 if none)."]
                continue
            accepted = Decimal(given[row.pk].accepted_quantity).quantize(QUANTITY_STEP)
            if accepted < 0 or accepted > row.quantity:
                errors[f"line_{row.pk}"] = [
                    f"Accept between 0 and the {row.quantity.normalize():f} authorised."
                ]
                continue
            row.accepted_quantity = accepted
            row.rejected_quantity = row.quantity - accepted
        rejected = any((row.rejected_quantity or 0) > 0 for row in rows.values())
        if not errors and rejected and not note.strip():
            errors["note"] = ["Say why goods were rejected."]
        if errors:
            raise ValidationFailed("The receipt is not complete.", errors=errors)
        for row in rows.values():
            row.rejection_note = note.strip()[:500] if row.rejected_quantity else ""
        ReturnLine.objects.for_tenant(tenant).bulk_update(
            list(rows.values()), ["accepted_quantity", "rejected_quantity", "rejection_note"]
        )
        return _moved(
            tenant=tenant, actor=actor, rma=rma, target=S.RECEIVED, receipt_note=note.strip()[:500]
        )


def return_credit(
    *, tenant: Tenant, actor: Actor, rma_id: int, on: date | None = None
) -> ReturnAuthorisation:
    """Issue the credit memo for the accepted goods (each line's price,
    discount and VAT rate); invoicing applies it to the invoice's open
    amount and leaves the rest on the account."""
    with transaction.atomic():
        rma = lock_return(tenant=tenant, rma_id=rma_id)
        if not can_transition_return(rma.status, S.CREDITED):
            _move(rma, S.CREDITED)  # raises with the reason
        rows = list(
            ReturnLine.objects.for_tenant(tenant)
            .select_related("invoice_line")
            .filter(rma=rma, accepted_quantity__gt=0)
        )
        if not rows:
            raise ValidationFailed(
                "No goods were accepted: there is nothing to credit. Close the return instead.",
                code="nothing_accepted",
            )
        invoice = Invoice.objects.for_tenant(tenant).get(pk=rma.invoice_id)
        memo = credit_memo_create(
            tenant=tenant,
            actor=actor,
            related_invoice=invoice,
            lines=[
                LineInput(
                    description=f"Return {rma.number}: {row.invoice_line.description}"[:500],
                    quantity=row.accepted_quantity or Decimal(0),
                    unit_price=row.invoice_line.unit_price,
                    tax_rate=row.invoice_line.tax_rate,
                    tax_category=row.invoice_line.tax_category,
                    discount_percent=row.invoice_line.discount_percent,
                    unit=row.invoice_line.unit,
                    product_code=row.invoice_line.product_code,
                )
                for row in rows
            ],
            issue_date=on,
            notes=f"Goods returned under {rma.number}."[:500],
        )
        return _moved(tenant=tenant, actor=actor, rma=rma, target=S.CREDITED, credit_memo=memo)


def return_close(
    *,
    tenant: Tenant,
    actor: Actor,
    rma_id: int,
    settlement: str = "",
    payee_iban: str = "",
    payee_bic: str = "",
) -> ReturnAuthorisation:
    """Close a credited return with the customer's choice for the credit
    left on account: refund it (a refund request for what the credit memo
    still has open, approved like any refund) or keep it on account. A
    return whose goods were all rejected closes without a choice."""
    with transaction.atomic():
        rma = lock_return(tenant=tenant, rma_id=rma_id)
        if rma.status == S.RECEIVED and (
            ReturnLine.objects.for_tenant(tenant).filter(rma=rma, accepted_quantity__gt=0).exists()
        ):
            raise ConflictError(
                "Goods were accepted: credit them before closing the return.",
                code="credit_first",
            )
        if rma.status != S.CREDITED:
            return _moved(tenant=tenant, actor=actor, rma=rma, target=S.CLOSED)
        if settlement not in ReturnSettlement.values:
            raise ValidationFailed(
                "Say whether the credit is refunded or kept on account.",
                errors={"settlement": [f"Choose one of: {', '.join(ReturnSettlement.values)}."]},
            )
        if settlement == ReturnSettlement.REFUND:
            memo = Invoice.objects.for_tenant(tenant).get(pk=rma.credit_memo_id or 0)
            item = OpenItem.objects.for_tenant(tenant).get(pk=memo.open_item_id or 0)
            if item.open_amount == 0:
                raise ValidationFailed(
                    f"{memo} went entirely onto the invoice: there is no credit to refund.",
                    errors={"settlement": ["Keep it on account: nothing is left to refund."]},
                    code="nothing_to_refund",
                )
            refund_request(
                tenant=tenant,
                actor=actor,
                credit_item_id=item.pk,
                amount=-item.open_amount,
                payee_iban=payee_iban,
                payee_bic=payee_bic,
                note=f"Refund for return {rma.number}",
                rma=rma,
            )
        return _moved(tenant=tenant, actor=actor, rma=rma, target=S.CLOSED, settlement=settlement)
