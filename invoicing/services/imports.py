"""Go-live import of open invoices from the old system (CSV).

At go-live the ledger must know what every customer still owes. Each row is
an invoice that is still (partly) open in the old system; it is imported as
an issued invoice that keeps its old number, with a ledger item for the open
amount at the rate of its issue date. Old invoices carry no lines here: OTC
does not know their tax breakdown, so their whole amount shows as net.

The import is all-or-nothing: every row is checked first and one bad row
imports nothing; the errors name the row (as a spreadsheet numbers it: the
header is row 1) and the column. Importing the same file again creates
nothing new: a row whose invoice exists already (by its external reference,
else by its number) is counted as existing and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from invoicing.models import Invoice, InvoiceKind, InvoiceOrigin, InvoiceStatus
from invoicing.services.import_checks import (
    COLUMN_NAMES,
    IMPORT_COLUMNS,
    IMPORT_SERIES,
    MAX_ROWS,
    ImportFailed,
    OpenInvoiceRow,
    RowProblem,
    check_open_invoices,
    read_csv,
)
from invoicing.services.issuing import SOURCE_TYPE
from otc.audit.services import Actor, audit_record
from otc.errors import ConflictError
from otc.fx.money import quantize_money
from otc.ledger.models import ItemKind
from otc.ledger.services import ledger_item_post
from otc.tenancy.models import Tenant

__all__ = [
    "COLUMN_NAMES",
    "IMPORT_COLUMNS",
    "MAX_ROWS",
    "ImportFailed",
    "ImportResult",
    "RowProblem",
    "open_invoices_import",
]


@dataclass
class ImportResult:
    rows: int
    created: int
    existing: int
    created_ids: list[int] = field(default_factory=list)


# --- writing ---------------------------------------------------------------------


def _import_row(*, tenant: Tenant, actor: Actor, row: OpenInvoiceRow) -> Invoice:
    base_currency = str(tenant.base_currency)
    status = (
        InvoiceStatus.PARTIALLY_PAID
        if row.original_amount > row.open_amount
        else InvoiceStatus.ISSUED
    )
    invoice = Invoice.objects.for_tenant(tenant).create(
        tenant=tenant,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.DRAFT,
        origin=InvoiceOrigin.IMPORT,
        customer=row.customer,
        currency=row.currency,
        series=IMPORT_SERIES,
        number=row.invoice_number,
        issue_date=row.issue_date,
        due_date=row.due_date,
        due_date_manual=True,
        external_ref=row.external_ref,
        po_number=row.po_number,
        net_amount=row.original_amount,
        tax_amount=Decimal(0),
        gross_amount=row.original_amount,
        created_by=actor.user,
    )
    item = ledger_item_post(
        tenant=tenant,
        actor=actor,
        customer=row.customer,
        kind=ItemKind.INVOICE,
        number=row.invoice_number,
        currency=row.currency,
        amount=row.open_amount,
        document_date=row.issue_date,
        due_date=row.due_date,
        source_type=SOURCE_TYPE,
        source_id=str(invoice.pk),
        rate=row.rate,
    )
    # Saved in one step with its ledger item: the database refuses an issued
    # invoice without one.
    invoice.status = status
    invoice.open_item = item
    invoice.fx_rate = row.rate
    invoice.base_currency = base_currency
    invoice.base_gross_amount = quantize_money(row.original_amount * row.rate, base_currency)
    invoice.issued_at = timezone.now()
    invoice.save(
        update_fields=[
            "status",
            "open_item",
            "fx_rate",
            "base_currency",
            "base_gross_amount",
            "issued_at",
            "updated_at",
        ]
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        action="invoice.imported",
        instance=invoice,
        changes={
            "number": {"before": None, "after": row.invoice_number},
            "open_amount": {"before": None, "after": f"{row.open_amount} {row.currency}"},
            "original_amount": {"before": None, "after": f"{row.original_amount} {row.currency}"},
            "source_row": {"before": None, "after": row.row},
        },
    )
    return invoice


def open_invoices_import(
    *, tenant: Tenant, actor: Actor, content: bytes, dry_run: bool = False
) -> ImportResult:
    """Check the whole file, then import every new row in one transaction.
    `dry_run` checks and counts without writing."""
    records = read_csv(content)
    try:
        with transaction.atomic():
            new, existing = check_open_invoices(tenant=tenant, records=records)
            result = ImportResult(rows=len(records), created=len(new), existing=len(existing))
            if dry_run:
                return result
            for row in new:
                result.created_ids.append(_import_row(tenant=tenant, actor=actor, row=row).pk)
            return result
    except IntegrityError as error:
        raise ConflictError(
            "Some of these invoices were imported at the same moment by someone else; "
            "nothing was imported. Import the file again: what exists is skipped.",
            code="import_conflict",
        ) from error
