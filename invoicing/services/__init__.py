"""Writes of invoicing, for this app and every other one. Import from here,
not from the topic modules.

Signatures other apps call:
- ``invoice_issue(*, tenant, actor, invoice, issue_date=None) -> Invoice``
- ``invoice_issue_many(*, tenant, actor, invoices, issue_date=None)`` for
  billing runs (invoices and debit memos; all or nothing);
- ``invoice_refresh_payment_status(*, tenant, invoice, actor=None) -> Invoice``
  after cash is applied to (or taken off) an invoice in the ledger;
- ``credit_memo_create(*, tenant, actor, lines, related_invoice=None,
  customer=None, issue=True, ...) -> Invoice``.
"""

from invoicing.services.bulk import BulkItem, BulkOutcome, invoice_bulk_create
from invoicing.services.drafts import InvoiceFields, invoice_create_draft, invoice_update_draft
from invoicing.services.issuing import (
    invoice_issue,
    invoice_issue_many,
    invoice_refresh_payment_status,
)
from invoicing.services.lines import MAX_LINES, LineInput
from invoicing.services.memos import credit_memo_create, debit_memo_create, invoice_cancel
from invoicing.services.transitions import TRANSITIONS, can_transition

__all__ = [
    "MAX_LINES",
    "TRANSITIONS",
    "BulkItem",
    "BulkOutcome",
    "InvoiceFields",
    "LineInput",
    "can_transition",
    "credit_memo_create",
    "debit_memo_create",
    "invoice_bulk_create",
    "invoice_cancel",
    "invoice_create_draft",
    "invoice_issue",
    "invoice_issue_many",
    "invoice_refresh_payment_status",
    "invoice_update_draft",
]
