"""Helpers the invoicing services share: tenant checks, row locks, the
tenant's today, audit shapes."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from invoicing.models import Invoice
from otc.audit.services import field_changes, snapshot
from otc.errors import NotFound
from otc.tenancy.models import Tenant

INVOICE_AUDIT_FIELDS = [
    "kind",
    "status",
    "customer_id",
    "currency",
    "series",
    "number",
    "issue_date",
    "due_date",
    "payment_terms_id",
    "discount_date",
    "discount_amount",
    "external_ref",
    "related_invoice_id",
    "notes",
    "buyer_reference",
    "po_number",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "fx_rate",
    "base_gross_amount",
]


def check_same_tenant(instance: Model, tenant: Tenant, *, what: str) -> None:
    if getattr(instance, "tenant_id", None) != tenant.pk:
        # Worded like a missing row: another tenant's rows do not exist here.
        raise NotFound(f"No such {what}.")


def lock_invoice(*, tenant: Tenant, invoice: Invoice) -> Invoice:
    """The document row, locked until the transaction ends, re-read so every
    check runs against what is committed now, not what the caller saw."""
    check_same_tenant(invoice, tenant, what="invoice")
    locked = (
        Invoice.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer", "payment_terms", "open_item")
        .filter(pk=invoice.pk)
        .first()
    )
    if locked is None:
        raise NotFound("No such invoice.")
    return locked


def lock_invoices(*, tenant: Tenant, invoice_ids: list[int]) -> dict[int, Invoice]:
    """Several documents locked in id order, so two writers never deadlock."""
    rows = (
        Invoice.objects.for_tenant(tenant)
        .select_for_update(of=("self",))
        .select_related("customer", "payment_terms", "open_item")
        .filter(pk__in=invoice_ids)
        .order_by("pk")
    )
    found = {row.pk: row for row in rows}
    if len(found) != len(set(invoice_ids)):
        raise NotFound("No such invoice.")
    return found


def invoice_snapshot(invoice: Invoice) -> dict[str, Any]:
    return snapshot(invoice, INVOICE_AUDIT_FIELDS)


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return field_changes(before=before, after=after)
