"""Many invoices in one call (the ERP's bulk endpoint, data migrations).

Per item, not all-or-nothing: each item is written in its own savepoint, so
an item is created (and issued, if asked) completely or not at all, and a
bad item does not cost the good ones their place. An item whose external
reference exists already is answered with the existing document and nothing
is written: retrying a batch after a timeout never duplicates an invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction

from invoicing.models import Invoice, InvoiceOrigin
from invoicing.services.drafts import invoice_create_draft
from invoicing.services.issuing import invoice_issue
from invoicing.services.lines import LineInput
from otc.audit.services import Actor
from otc.customers.models import Customer
from otc.errors import DomainError, ValidationFailed
from otc.tenancy.models import Tenant

BulkStatus = Literal["created", "exists", "error"]


@dataclass(frozen=True)
class BulkItem:
    index: int
    customer: Customer
    lines: Sequence[LineInput]
    issue: bool = False
    # Further keywords of invoice_create_draft (currency, dates, refs, notes...).
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def external_ref(self) -> str | None:
        value = str(self.fields.get("external_ref") or "").strip()
        return value or None


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str
    code: str


@dataclass
class BulkOutcome:
    index: int
    status: BulkStatus
    invoice_id: int | None = None
    number: str | None = None
    external_ref: str | None = None
    problems: list[Problem] = field(default_factory=list)


def problems_of(error: DomainError) -> list[Problem]:
    if isinstance(error, ValidationFailed) and error.errors:
        return [
            Problem(field=name or None, message=message, code=error.code)
            for name, messages in error.errors.items()
            for message in messages
        ]
    return [Problem(field=None, message=error.detail, code=error.code)]


def _write_one(*, tenant: Tenant, actor: Actor, item: BulkItem, origin: InvoiceOrigin) -> Invoice:
    with transaction.atomic():  # the item's savepoint
        invoice = invoice_create_draft(
            tenant=tenant,
            actor=actor,
            customer=item.customer,
            lines=item.lines,
            origin=origin,
            **item.fields,
        )
        if item.issue:
            invoice = invoice_issue(tenant=tenant, actor=actor, invoice=invoice)
        return invoice


@transaction.atomic
def invoice_bulk_create(
    *,
    tenant: Tenant,
    actor: Actor,
    items: Sequence[BulkItem],
    origin: InvoiceOrigin = InvoiceOrigin.API,
) -> list[BulkOutcome]:
    """One outcome per item, in the items' order."""
    refs = [ref for ref in (item.external_ref for item in items) if ref]
    existing = {
        ref: (pk, number)
        for ref, pk, number in Invoice.objects.for_tenant(tenant)
        .filter(external_ref__in=refs)
        .values_list("external_ref", "pk", "number")
    }
    created_refs: dict[str, int] = {}
    outcomes = []
    for item in items:
        ref = item.external_ref
        if ref is not None and ref in existing:
            pk, number = existing[ref]
            outcomes.append(BulkOutcome(item.index, "exists", pk, number or None, external_ref=ref))
            continue
        if ref is not None and ref in created_refs:
            outcomes.append(
                BulkOutcome(
                    item.index,
                    "error",
                    external_ref=ref,
                    problems=[
                        Problem(
                            "external_ref",
                            f"Item {created_refs[ref]} of this request has the same external_ref.",
                            "duplicate_external_ref",
                        )
                    ],
                )
            )
            continue
        try:
            invoice = _write_one(tenant=tenant, actor=actor, item=item, origin=origin)
        except DomainError as error:
            outcomes.append(
                BulkOutcome(item.index, "error", external_ref=ref, problems=problems_of(error))
            )
            continue
        if ref is not None:
            created_refs[ref] = item.index
        outcomes.append(BulkOutcome(item.index, "created", invoice.pk, invoice.number or None, ref))
    return outcomes
